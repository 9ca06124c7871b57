"""The deploy role's apply policies against what the modules create: every `aws_*` resource type
and data source in modules/ has its actions listed in deploy_actions.py, and the policies the
stack really creates (read back from IAM after moto deploys it) allow each of them, on a
resource named the way the modules name theirs, under the deploy boundary. Likewise every
`aws` command in docs/: the role that runs it (RUN_BY: the deploy role or the operator role)
allows it, and the deploy role is refused what only the operator role runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
import pytest

from tests.bootstrap.deploy_actions import (
    CONSOLE,
    DEPLOY,
    ENV,
    NEEDS_NO_PERMISSION,
    OPERATIONS,
    OPERATOR,
    PROVIDER_READS,
    RESOURCE_ACTIONS,
    RUN_BY,
    TOOLS,
    context_for,
    operation_requests,
    requests,
)
from tests.bootstrap.iam_eval import decide

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "modules"
DOCS = REPO / "docs"
# `aws <service> <command>` in prose and code blocks ("redraws" is not a command)
CLI = re.compile(r"(?<![\w/-])aws ([a-z0-9-]+) ([a-z][a-z0-9-]*)")
OPERATORS = "444444444444"
ON_CALL = f"arn:aws:iam::{OPERATORS}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_OnCall_0a"
TYPE = re.compile(r'^\s*(resource|data)\s+"(aws_[a-z0-9_]+)"', re.MULTILINE)
# IAM's limits: characters of a managed policy document (white space not counted), managed
# policies attached to one role.
MANAGED_POLICY_CHARACTERS = 6144
MANAGED_POLICIES_PER_ROLE = 10
# The writes AWS authorizes on no resource, so "*" is the only resource they can take. Each
# is here by name: a new one is a decision, not a side effect of editing the template.
WRITES_WITHOUT_RESOURCES = {
    "cloudfront:CreateOriginAccessControl",
    "elasticloadbalancing:SetWebAcl",
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "route53:CreateHealthCheck",
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
}
READ = re.compile(r"^[a-z0-9-]+:(Describe|Get|List)[A-Za-z]+$")
# What the deploy role may still do of a command only the operator role runs, because Terraform
# needs it for the modules' resources (deploy_actions.py says which type), each with the reason.
DEPLOY_ALSO_NEEDS = {
    "rds:RebootDBInstance": "aws_db_instance: Terraform reboots an instance to apply a parameter change",
}


def module_types(root: Path = MODULES) -> set[str]:
    found = set()
    for tf in root.rglob("*.tf"):
        if ".terraform" in tf.parts:
            continue
        for kind, name in TYPE.findall(tf.read_text()):
            found.add(f"data.{name}" if kind == "data" else name)
    return found


def _document(arn: str) -> dict:
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(doc) if isinstance(doc, str) else doc


def _list(value):
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def deployed(create_stack_once):
    create_stack_once(
        "deploy-role.yaml",
        Environment=ENV,
        TrustedAccountId=OPERATORS,
        TrustedPrincipalArns=f"arn:aws:iam::{OPERATORS}:role/chat-ci",
        OperatorTrustedPrincipalArns=ON_CALL,
    )
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="chat-deploy")["Role"]
    attached = {
        p["PolicyName"]: _document(p["PolicyArn"])
        for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    }
    operator = iam.get_role(RoleName="chat-operator")["Role"]
    operator_policies = {
        p["PolicyName"]: _document(p["PolicyArn"])
        for p in iam.list_attached_role_policies(RoleName="chat-operator")["AttachedPolicies"]
    }
    return {
        "policies": attached,
        "boundary": _document(role["PermissionsBoundary"]["PermissionsBoundaryArn"]),
        "local": {p["PolicyName"]: _document(p["Arn"]) for p in iam.list_policies(Scope="Local")["Policies"]},
        "operator_policies": operator_policies,
        # chat-operator-operations and the plan's read policies (test_plan_policies.py): no
        # AWS managed policy
        "operator_identity": list(operator_policies.values()),
        "operator_boundary": _document(operator["PermissionsBoundary"]["PermissionsBoundaryArn"]),
    }


def test_the_table_lists_every_resource_type_the_modules_use():
    in_modules = module_types()
    assert len(in_modules) > 50, "the module scan found too little to be a scan of modules/"
    missing = sorted(in_modules - RESOURCE_ACTIONS.keys())
    assert not missing, (
        "resource types used in modules/ without their actions in tests/bootstrap/deploy_actions.py "
        f"(add each with the calls the AWS provider makes for it, then grant them in "
        f"bootstrap/deploy-role.yaml): {missing}"
    )
    stale = sorted(RESOURCE_ACTIONS.keys() - in_modules)
    assert not stale, f"deploy_actions.py lists types no module uses any more (remove them): {stale}"


def test_the_deploy_policies_allow_every_action_the_modules_need(deployed):
    identity = list(deployed["policies"].values())
    provider = [("provider", action, resource, {}) for action, resource in PROVIDER_READS]
    refused = [
        f"{resource_type}: {action} on {resource} -> {outcome}"
        for resource_type, action, resource, context in [*requests(), *provider]
        if (outcome := decide(identity, action, resource, context, deployed["boundary"])) != "Allow"
    ]
    assert not refused, "the deploy role cannot make these calls:\n" + "\n".join(refused)


def doc_commands() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for page in sorted(DOCS.glob("*.md")):
        for service, command in CLI.findall(page.read_text()):
            found.setdefault(f"{service} {command}", set()).add(page.name)
    return found


def test_every_aws_command_in_the_docs_is_listed_with_its_actions():
    in_docs = doc_commands()
    assert len(in_docs) > 20, "the docs scan found too little"
    missing = {c: sorted(p) for c, p in in_docs.items() if c not in OPERATIONS}
    assert not missing, (
        "AWS CLI commands in docs/ without their actions in OPERATIONS of "
        f"tests/bootstrap/deploy_actions.py (and a grant in chat-deploy-operations): {missing}"
    )
    assert sorted(OPERATIONS.keys() - in_docs.keys()) == [], "commands no page shows any more"


def test_every_documented_command_names_the_role_that_runs_it():
    documented = OPERATIONS | CONSOLE | TOOLS
    assert sorted(RUN_BY) == sorted(documented)
    for command, roles in RUN_BY.items():
        assert set(roles) <= {DEPLOY, OPERATOR}, command
        assert bool(roles) == bool(documented[command]), (command, "calls and roles disagree")


def test_the_deploy_role_can_run_every_command_the_docs_give_it(deployed):
    identity = list(deployed["policies"].values())
    asked = list(operation_requests(DEPLOY))
    assert len(asked) > 20
    refused = [
        f"{command}: {action} on {resource} -> {outcome}"
        for command, action, resource, context in asked
        if (outcome := decide(identity, action, resource, context, deployed["boundary"])) != "Allow"
    ]
    assert not refused, "the deploy role cannot run these documented commands:\n" + "\n".join(refused)


def test_the_operator_role_can_run_every_command_the_docs_give_it(deployed):
    identity = deployed["operator_identity"]
    asked = [request for request in operation_requests(OPERATOR) if request[1] not in NEEDS_NO_PERMISSION]
    assert len(asked) > 20
    refused = [
        f"{command}: {action} on {resource} -> {outcome}"
        for command, action, resource, context in asked
        if (outcome := decide(identity, action, resource, context, deployed["operator_boundary"])) != "Allow"
    ]
    assert not refused, "the operator role cannot run these documented commands:\n" + "\n".join(refused)


def test_the_deploy_role_cannot_run_what_only_the_operator_role_runs(deployed):
    """Every call of an operator-only command that changes something is refused to the deploy
    role (so to the pipeline), but the calls Terraform needs anyway and the key uses its
    apply policies hold for Terraform (the command's own action is what is refused)."""
    identity = list(deployed["policies"].values())
    checked, allowed = 0, []
    for command, action, resource, context in operation_requests(OPERATOR):
        if DEPLOY in RUN_BY[command] or READ.match(action) or action.startswith("kms:"):
            continue
        if action in DEPLOY_ALSO_NEEDS:
            continue
        checked += 1
        if decide(identity, action, resource, context, deployed["boundary"]) == "Allow":
            allowed.append(f"{command}: {action} on {resource}")
    assert checked >= 10, "too few operator calls checked to mean anything"
    assert not allowed, "the deploy role can still do what only on-call should:\n" + "\n".join(allowed)


def test_what_the_deploy_role_keeps_of_the_operators_commands_terraform_needs():
    for action, reason in DEPLOY_ALSO_NEEDS.items():
        resource_type = reason.split(":")[0]
        listed = {a if isinstance(a, str) else a[0] for a in RESOURCE_ACTIONS[resource_type][1]}
        assert action in listed, (action, resource_type)


def test_the_operator_policy_grants_nothing_the_operators_commands_do_not_ask_for(deployed):
    """chat-operator-operations; the plan's read policies it also holds are checked against the
    table's reads in test_plan_policies.py."""
    asked = {a for _, a, _, _ in operation_requests(OPERATOR)}
    granted = {
        action
        for name, document in deployed["operator_policies"].items()
        if not name.startswith("chat-plan-read-")
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in _list(statement["Action"])
    }
    assert granted, "the operator role has no policy of its own"
    assert sorted(granted - asked) == [], "granted for no documented command"


def test_the_apply_policies_grant_nothing_the_table_does_not_ask_for(deployed):
    asked = (
        {action for _, action, _, _ in requests()}
        | {a for _, a, _, _ in operation_requests(DEPLOY)}
        | {action for action, _ in PROVIDER_READS}
    )
    granted = {
        action
        for name, document in deployed["policies"].items()
        if name not in ("chat-deploy-iam", "chat-deploy-enforce-workload-boundary")
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
        for action in _list(statement["Action"])
    }
    assert sorted(granted - asked) == [], "granted for no resource type in deploy_actions.py"


def test_a_type_added_to_a_module_without_an_entry_is_named(tmp_path):
    (tmp_path / "queue").mkdir()
    (tmp_path / "queue" / "main.tf").write_text(
        'resource "aws_sqs_queue" "q" {}\nresource "aws_ecs_cluster" "c" {}\ndata "aws_vpc" "v" {}\n'
    )
    assert module_types(tmp_path) - RESOURCE_ACTIONS.keys() == {"aws_ecs_cluster", "data.aws_vpc"}


def test_a_type_whose_actions_are_not_granted_fails_the_check(deployed):
    identity = list(deployed["policies"].values())
    # what the previous test would meet if a module started using a service nobody granted
    for action, resource in (
        ("ecs:CreateCluster", f"arn:aws:ecs:us-west-2:123456789012:cluster/chat-{ENV}-app"),
        ("rds:DeleteDBInstance", "arn:aws:rds:us-west-2:123456789012:db:chat-staging-postgres"),
    ):
        assert decide(identity, action, resource, context_for(action, resource), deployed["boundary"]) != (
            "Allow"
        )


def test_power_user_access_is_gone_and_the_role_holds_at_most_ten_managed_policies(deployed, load_template):
    role = load_template("deploy-role.yaml")["Resources"]["DeployRole"]["Properties"]
    assert "PowerUserAccess" not in json.dumps(role)
    aws_managed = role.get("ManagedPolicyArns", [])
    assert set(deployed["policies"]) == {
        "chat-deploy-iam",
        "chat-deploy-enforce-workload-boundary",
        "chat-deploy-read",
        "chat-deploy-network",
        "chat-deploy-compute",
        "chat-deploy-data",
        "chat-deploy-ops",
        "chat-deploy-edge",
        "chat-deploy-operations",
    }
    assert len(deployed["policies"]) + len(aws_managed) <= MANAGED_POLICIES_PER_ROLE


def test_every_managed_policy_of_the_stack_fits_iams_size_limit(deployed):
    for name, document in deployed["local"].items():
        size = len(re.sub(r"\s", "", json.dumps(document)))
        assert size <= MANAGED_POLICY_CHARACTERS, f"{name}: {size} characters"


def test_resource_star_is_for_reads_and_the_named_writes_without_resources(deployed):
    for name, document in (deployed["policies"] | deployed["operator_policies"]).items():
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow" or _list(statement["Resource"]) != ["*"]:
                continue
            actions = set(_list(statement["Action"]))
            where = f"{name}/{statement['Sid']}"
            if statement["Sid"] == "WritesWithoutResourceLevelPermissions":
                assert actions == WRITES_WITHOUT_RESOURCES, where
            elif "Condition" in statement:
                # creates that take no resource but do take tags: only with the project's
                assert statement["Condition"]["StringEquals"] == {
                    "aws:RequestTag/project": "chat",
                    "aws:RequestTag/managed-by": "terragrunt",
                }, where
            else:
                writes = sorted(a for a in actions if not READ.match(a) and a != "s3:ListAllMyBuckets")
                assert not writes, f"{where} grants writes on every resource: {writes}"


def test_every_other_statement_names_the_environment_the_account_or_the_project_tags(deployed):
    """A write on a resource ARN must name this environment's resources (chat-prod-...), or be
    held to the project's tags, or name a resource type the modules only reach by id in this
    account (CloudFront, ACM, Route 53, EC2 images from Amazon), or name one AWS resource (the
    shell documents, the two service quotas of runbook.md)."""
    for name, document in (deployed["policies"] | deployed["operator_policies"]).items():
        if name in ("chat-deploy-iam", "chat-deploy-enforce-workload-boundary"):
            continue  # tested in test_deploy_role.py and test_escalation.py
        for statement in document["Statement"]:
            resources = _list(statement["Resource"])
            if resources == ["*"]:
                continue
            tagged = any(
                k.startswith(("aws:ResourceTag/", "aws:RequestTag/"))
                for keys in statement.get("Condition", {}).values()
                for k in keys
            )
            for resource in resources:
                scoped = (
                    f"chat-{ENV}" in resource
                    or "chat-tfstate-" in resource
                    or tagged
                    or "Condition" in statement
                    or re.search(
                        r":(cloudfront|acm|route53)::?|::image/|managedruleset|017000801446", resource
                    )
                    or "/aws/service/" in resource
                    or ":iam::aws:policy/service-role/" in resource  # AWS's, read only
                    or resource.endswith(":og:default:*")
                    or "secret:rds!db-" in resource
                    or re.search(r":document/(AWS-RunShellScript|SSM-SessionManagerRunShell)$", resource)
                    or re.search(r":servicequotas:\*:\d{12}:(ec2|lambda)/L-[0-9A-F]+$", resource)
                )
                assert scoped, f"{name}/{statement['Sid']}: {resource}"
