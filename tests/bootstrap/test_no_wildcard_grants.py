"""No Allow statement grants a wildcard action: not in the bootstrap templates (identity, key,
bucket, topic and log resource policies alike) and not in the modules (aws_iam_policy_document
statements and jsonencode'd policies). Deny statements may use wildcards.

One exception, by structure and not by name: a permissions boundary. A boundary grants
nothing; it is the ceiling the grants of the roles it bounds are cut to (bootstrap/README.md,
"What the deploy role cannot do"), and a ceiling over hundreds of listed actions would not fit
IAM's size limit for one policy. A managed policy counts as a boundary only if it is some role's
PermissionsBoundary or the boundary an `iam:PermissionsBoundary` condition requires, and is
attached to no role, user or group as a grant."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "bootstrap"
MODULES = REPO / "modules"
sys.path.insert(0, str(REPO / "tools" / "iac"))

import hcl  # noqa: E402

TEMPLATES = sorted(p.name for p in BOOTSTRAP.glob("*.yaml"))


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _wildcard_actions(statement: dict) -> list[str]:
    """The wildcards an Allow grants: `*` or a prefix in Action, or any NotAction (which
    grants everything it does not name)."""
    if statement.get("Effect") != "Allow":
        return []
    found = [a for a in _list(statement.get("Action", [])) if isinstance(a, str) and "*" in a]
    if "NotAction" in statement:
        found.append(f"NotAction {statement['NotAction']}")
    return found


# --- bootstrap templates -------------------------------------------------------------------


def _policy_documents(node, path=""):
    """Every policy document in a template: dicts with a Statement list, and JSON strings
    (plain or inside Fn::Sub) holding one."""
    if isinstance(node, dict):
        if "Statement" in node and isinstance(node["Statement"], list):
            yield path, node
        for key, value in node.items():
            yield from _policy_documents(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _policy_documents(value, f"{path}[{i}]")
    elif isinstance(node, str) and '"Statement"' in node:
        try:
            parsed = json.loads(node)
        except ValueError:
            return
        yield from _policy_documents(parsed, path)


def _ref(value):
    return value.get("Ref") if isinstance(value, dict) else None


def boundaries(template: dict) -> set[str]:
    """Logical ids of the managed policies that are permissions boundaries and nothing else."""
    resources = template.get("Resources", {})
    named = set()
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::IAM::Role" and _ref(properties.get("PermissionsBoundary")):
            named.add(_ref(properties["PermissionsBoundary"]))
    for _, document in _policy_documents(resources):
        for statement in document["Statement"]:
            for keys in statement.get("Condition", {}).values():
                if isinstance(keys, dict) and _ref(keys.get("iam:PermissionsBoundary")):
                    named.add(_ref(keys["iam:PermissionsBoundary"]))
    granted = set()
    for logical_id, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::IAM::ManagedPolicy" and any(
            properties.get(k) for k in ("Roles", "Users", "Groups")
        ):
            granted.add(logical_id)
        if resource.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            granted.update(_ref(a) for a in properties.get("ManagedPolicyArns", []) if _ref(a))
    return {
        logical_id
        for logical_id in named - granted
        if resources.get(logical_id, {}).get("Type") == "AWS::IAM::ManagedPolicy"
    }


def template_wildcard_grants(template: dict) -> list[str]:
    exempt = boundaries(template)
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if logical_id in exempt:
            continue
        for path, document in _policy_documents(resource):
            for statement in document["Statement"]:
                for action in _wildcard_actions(statement):
                    found.append(f"{logical_id}{path} {statement.get('Sid', '?')}: {action}")
    return found


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_bootstrap_template_allows_a_wildcard_action(name, load_template):
    assert template_wildcard_grants(load_template(name)) == []


def test_the_bootstrap_has_the_five_templates_and_the_two_boundaries(load_template):
    assert len(TEMPLATES) == 5
    assert boundaries(load_template("deploy-role.yaml")) == {"DeployBoundary", "WorkloadBoundary"}
    for name in TEMPLATES:
        if name != "deploy-role.yaml":
            assert boundaries(load_template(name)) == set(), name


def test_a_boundary_also_attached_as_a_grant_loses_its_exemption(load_template):
    template = load_template("deploy-role.yaml")
    assert template_wildcard_grants(template) == []
    template["Resources"]["DeployBoundary"]["Properties"]["Roles"] = [{"Ref": "DeployRole"}]
    found = template_wildcard_grants(template)
    assert any(f.startswith("DeployBoundary") and ": *" in f for f in found), found


def test_the_template_check_finds_wildcards_in_every_form(load_template):
    template = load_template("alarm-contacts.yaml")
    key_policy = template["Resources"]["ContactsKey"]["Properties"]["KeyPolicy"]
    key_policy["Statement"].append({"Sid": "Star", "Effect": "Allow", "Action": "kms:*", "Resource": "*"})
    key_policy["Statement"].append(
        {"Sid": "Prefix", "Effect": "Allow", "Action": ["kms:Get*"], "Resource": "*"}
    )
    key_policy["Statement"].append({"Sid": "Not", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    key_policy["Statement"].append({"Sid": "Denied", "Effect": "Deny", "Action": "kms:*", "Resource": "*"})
    as_json = {"Statement": [{"Sid": "InJson", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    template["Resources"]["ContactsKey"]["Properties"]["Description"] = json.dumps(as_json)
    sids = {f.split(" ")[1].rstrip(":") for f in template_wildcard_grants(template)}
    assert sids == {"Star", "Prefix", "Not", "InJson"}


def aws_managed_policies_attached(template: dict) -> list[str]:
    """AWS managed policies (arn:aws:iam::aws:policy/...) a role, user or group of the template
    holds: each a grant of wildcard actions (ReadOnlyAccess: ec2:Describe*, s3:Get*, ...) whose
    document is AWS's, which this check cannot read."""
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") not in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            continue
        for arn in resource.get("Properties", {}).get("ManagedPolicyArns", []):
            text = json.dumps(arn)
            if ":iam::aws:policy/" in text:
                found.append(f"{logical_id}: {text}")
    return found


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_role_of_the_bootstrap_holds_an_aws_managed_policy(name, load_template):
    assert aws_managed_policies_attached(load_template(name)) == []


def test_the_managed_policy_check_finds_readonlyaccess_on_a_role(load_template):
    template = load_template("deploy-role.yaml")
    read_only = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}
    template["Resources"]["PlanRole"]["Properties"]["ManagedPolicyArns"] = [read_only]
    template["Resources"]["OperatorRole"]["Properties"]["ManagedPolicyArns"] = [
        "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess",
        {"Ref": "PlanReadEdgePolicy"},  # the project's own: read by the wildcard check instead
    ]
    found = aws_managed_policies_attached(template)
    assert [f.split(":")[0] for f in found] == ["PlanRole", "OperatorRole"], found


# --- modules --------------------------------------------------------------------------------


def _literals(node) -> list[str] | None:
    """The strings of a literal, a template's fixed parts, or a tuple of them; None when the
    value comes from elsewhere (a variable, a function)."""
    if node.kind == "lit":
        return [node.args[0]] if isinstance(node.args[0], str) else []
    if node.kind == "tmpl":
        return ["".join(p if isinstance(p, str) else "${...}" for p in node.args[0])]
    if node.kind == "tuple":
        out = []
        for item in node.args[0]:
            values = _literals(item)
            if values is None:
                return None
            out.extend(values)
        return out
    return None


def _locals(bodies) -> dict:
    found = {}
    for body in bodies:
        for block in body.blocks_of("locals"):
            found.update({name: attr.expr for name, attr in block.body.attributes.items()})
    return found


def _resolve(node, local_values):
    values = _literals(node)
    if (
        values is None
        and node.kind == "attr"
        and node.args[0].kind == "var"
        and node.args[0].args[0] == "local"
    ):
        target = local_values.get(node.args[1])
        if target is not None:
            values = _literals(target)
    return values


def _document_statements(body, local_values, where):
    """Statements of an aws_iam_policy_document: `statement` blocks, and the `content` of
    `dynamic "statement"` blocks."""
    for block in body.blocks:
        if block.type == "statement":
            content = block.body
        elif block.type == "dynamic" and block.labels == ["statement"]:
            content = next((b.body for b in block.body.blocks if b.type == "content"), None)
            if content is None:
                continue
        else:
            continue
        effect_attr = content.attributes.get("effect")
        effect = _literals(effect_attr.expr) if effect_attr else ["Allow"]
        statement = {"Effect": effect[0] if effect else "Allow"}  # unknown effect: checked as Allow
        for hcl_name, json_name in (("actions", "Action"), ("not_actions", "NotAction")):
            if hcl_name in content.attributes:
                statement[json_name] = _resolve(content.attributes[hcl_name].expr, local_values)
        yield f"{where}:{block.line}", statement


def _objects(node):
    if isinstance(node, hcl.Node):
        if node.kind == "object":
            yield node
        for arg in node.args:
            yield from _objects(arg)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _objects(item)


def _json_statements(body, local_values, where):
    """Statements written as HCL objects (jsonencode({...})): objects with an Effect and an
    Action or NotAction."""
    expressions = [a.expr for a in body.attributes.values()]
    stack = list(body.blocks)
    while stack:
        block = stack.pop()
        expressions.extend(a.expr for a in block.body.attributes.values())
        stack.extend(block.body.blocks)
    for expr in expressions:
        for obj in _objects(expr):
            fields = {k.args[0]: v for k, v in obj.args[0] if isinstance(k, hcl.Node) and k.kind == "lit"}
            if "Effect" not in fields or not ({"Action", "NotAction"} & fields.keys()):
                continue
            effect = _literals(fields["Effect"])
            statement = {"Effect": effect[0] if effect else "Allow"}
            for name in ("Action", "NotAction"):
                if name in fields:
                    statement[name] = _resolve(fields[name], local_values)
            yield f"{where}:{obj.line}", statement


def module_statements(module_dir: Path, root: Path = REPO):
    files = sorted(module_dir.glob("*.tf"))
    bodies = [(f, hcl.parse(f.read_text(), str(f))) for f in files]
    local_values = _locals(b for _, b in bodies)
    for path, body in bodies:
        where = str(path.relative_to(root))
        for block in body.blocks_of("data"):
            if block.labels[:1] == ["aws_iam_policy_document"]:
                yield from _document_statements(block.body, local_values, where)
        yield from _json_statements(body, local_values, where)


def _module_dirs():
    return sorted(p for p in MODULES.iterdir() if p.is_dir() and list(p.glob("*.tf")))


def test_no_module_allows_a_wildcard_action():
    found, read, unresolved = [], 0, []
    for module_dir in _module_dirs():
        for where, statement in module_statements(module_dir):
            for key in ("Action", "NotAction"):
                if key in statement and statement[key] is None:
                    unresolved.append(where)  # from a variable: checked where it is validated
                    statement[key] = []
            read += 1
            found.extend(f"{where}: {a}" for a in _wildcard_actions(statement))
    assert found == []
    # the scan must have seen the modules' policies, not parsed nothing
    assert read > 40, read
    assert len(unresolved) < read / 4, unresolved


def test_the_module_check_finds_wildcards_in_both_policy_styles(tmp_path):
    (tmp_path / "main.tf").write_text(
        """
locals {
  admin = ["kms:*"]
}
data "aws_iam_policy_document" "x" {
  statement {
    actions   = ["s3:Get*"]
    resources = ["*"]
  }
  statement {
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = [1]
    content {
      actions   = local.admin
      resources = ["*"]
    }
  }
}
resource "aws_sqs_queue_policy" "q" {
  queue_url = "u"
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Action = "sqs:*", Resource = "*" },
      { Effect = "Allow", NotAction = ["iam:PassRole"], Resource = "*" },
      { Effect = "Deny", Action = "sqs:*", Resource = "*" },
    ]
  })
}
"""
    )
    found = [a for _, s in module_statements(tmp_path, root=tmp_path) for a in _wildcard_actions(s)]
    assert sorted(found) == sorted(["s3:Get*", "kms:*", "sqs:*", "NotAction ['iam:PassRole']"])
