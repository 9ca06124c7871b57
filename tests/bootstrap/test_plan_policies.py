"""The plan role's reads against the table of deploy_actions.py: chat-plan (its chat-plan-read-*
policies and its inline state statements, read back from IAM after moto deploys the stack) is
allowed every read of every resource type and data source the modules use, on the type's ARN,
and refused every other action of the table; the read policies grant exactly those reads, so a
read a future type needs and the table lacks, or a read the table gains and the policies lack,
fails here. The operator role holds the same read policies; neither role holds an AWS managed
policy."""

from __future__ import annotations

import ast
import copy
import json
from urllib.parse import unquote

import boto3
import pytest

from tests.bootstrap.deploy_actions import (
    ACCOUNT,
    DB,
    ENV,
    KEY,
    STATE_OBJECT,
    VALUE_READS,
    context_for,
    plan_read_actions,
    plan_requests,
    write_requests,
)
from tests.bootstrap.iam_eval import decide

OPERATORS = "444444444444"
CI_PLAN = f"arn:aws:iam::{OPERATORS}:role/chat-ci-plan"
ON_CALL = f"arn:aws:iam::{OPERATORS}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_OnCall_0a"
READ_POLICIES = {"chat-plan-read-describe", "chat-plan-read-services", "chat-plan-read-edge"}
# What a plan writes, and only through the backend: its lock file, and the state key through S3.
LOCK_FILE = f"{STATE_OBJECT}.tflock"
BACKEND_WRITES = {
    ("s3:PutObject", LOCK_FILE),
    ("s3:DeleteObject", LOCK_FILE),
    ("kms:GenerateDataKey", KEY),
    ("kms:Decrypt", KEY),
}


def _document(arn: str) -> dict:
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(doc) if isinstance(doc, str) else doc


def _inline(doc) -> dict:
    """An inline policy as moto's CloudFormation stores it: the Python text of the mapping."""
    if isinstance(doc, dict):
        return doc
    try:
        return json.loads(unquote(doc))
    except json.JSONDecodeError:
        return ast.literal_eval(doc)


def _list(value):
    return value if isinstance(value, list) else [value]


def _attached(role: str) -> dict[str, dict]:
    iam = boto3.client("iam")
    return {
        p["PolicyName"]: _document(p["PolicyArn"])
        for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    }


@pytest.fixture(scope="module")
def roles(create_stack_once):
    create_stack_once(
        "deploy-role.yaml",
        Environment=ENV,
        TrustedAccountId=OPERATORS,
        TrustedPrincipalArns=f"arn:aws:iam::{OPERATORS}:role/chat-ci-apply-{ENV}",
        PlanTrustedPrincipalArns=CI_PLAN,
        OperatorTrustedPrincipalArns=ON_CALL,
    )
    iam = boto3.client("iam")
    plan = iam.get_role(RoleName="chat-plan")["Role"]
    inline = [
        _inline(iam.get_role_policy(RoleName="chat-plan", PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName="chat-plan")["PolicyNames"]
    ]
    attached = _attached("chat-plan")
    return {
        "attached": attached,
        "inline": inline,
        "identity": [*attached.values(), *inline],
        "boundary": _document(plan["PermissionsBoundary"]["PermissionsBoundaryArn"]),
        "operator_attached": _attached("chat-operator"),
    }


def _refused_reads(identity, boundary) -> list[str]:
    return [
        f"{resource_type}: {action} on {resource} -> {outcome}"
        for resource_type, action, resource, context in plan_requests()
        if (outcome := decide(identity, action, resource, context, boundary)) != "Allow"
    ]


def test_the_plan_role_may_make_every_read_of_every_type_in_the_table(roles):
    asked = list(plan_requests())
    assert len(asked) > 150, "too few reads to be the table's"
    refused = _refused_reads(roles["identity"], roles["boundary"])
    assert not refused, "chat-plan cannot make these reads of a plan:\n" + "\n".join(refused)


def test_the_plan_role_makes_no_other_call_of_the_table_but_its_lock_and_the_state_key(roles):
    allowed, checked = [], 0
    for resource_type, action, resource, context in write_requests():
        outcome = decide(roles["identity"], action, resource, context, roles["boundary"])
        if resource_type == "S3 backend" and (action, resource) in BACKEND_WRITES:
            assert outcome == "Allow", (action, resource)  # the twin: what a plan does write
            continue
        checked += 1
        if outcome == "Allow":
            allowed.append(f"{resource_type}: {action} on {resource}")
    assert checked > 300, "too few writes checked to mean anything"
    assert not allowed, "chat-plan may make these calls, which are not reads:\n" + "\n".join(allowed)


def test_the_read_policies_grant_exactly_the_reads_of_the_table(roles):
    assert set(roles["attached"]) == READ_POLICIES
    granted = set()
    for name, document in roles["attached"].items():
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow", (name, statement.get("Sid"))
            granted.update(_list(statement["Action"]))
    assert sorted(granted - plan_read_actions()) == [], "granted for no read in deploy_actions.py"
    assert sorted(plan_read_actions() - granted) == [], "reads of the table no read policy grants"
    # the values stay out of the policies the operator role shares
    assert not granted & VALUE_READS


def test_a_read_the_policies_lack_fails_the_coverage_check(roles):
    """The twin of the coverage test: the same check over the policies less one read names it."""
    attached = copy.deepcopy(roles["attached"])
    for document in attached.values():
        for statement in document["Statement"]:
            actions = _list(statement["Action"])
            if "rds:DescribeDBInstances" in actions:
                statement["Action"] = [a for a in actions if a != "rds:DescribeDBInstances"]
    refused = _refused_reads([*attached.values(), *roles["inline"]], roles["boundary"])
    assert refused and all("rds:DescribeDBInstances" in r for r in refused), refused
    # and a read a future type would need, which no entry of the table lists yet
    cluster = f"arn:aws:ecs:us-west-2:{ACCOUNT}:cluster/chat-{ENV}-app"
    action = "ecs:DescribeClusters"
    assert decide(roles["identity"], action, cluster, context_for(action, cluster), roles["boundary"]) != (
        "Allow"
    )


def test_the_plan_role_reads_the_project_s_resources_not_another_s(roles):
    def plan(action, resource, **context):
        return decide(roles["identity"], action, resource, context, roles["boundary"])

    tagged = context_for("rds:DescribeDBInstances", DB)
    assert plan("rds:DescribeDBInstances", DB, **tagged) == "Allow"
    for other in ("chat-staging-postgres", "payroll"):
        assert plan("rds:DescribeDBInstances", DB.replace(f"chat-{ENV}-postgres", other), **tagged) != (
            "Allow"
        ), other
    # a key without the project's tags (the bootstrap's, another team's): not even its policy
    assert plan("kms:GetKeyPolicy", KEY, **tagged) == "Allow"
    assert plan("kms:GetKeyPolicy", KEY, **{"aws:ResourceTag/project": "chat"}) != "Allow"
    # no object, no secret value, no parameter outside the environment
    assert plan("s3:GetObject", f"arn:aws:s3:::chat-{ENV}-media-{ACCOUNT}-us-west-2/rooms/1/x") != "Allow"
    secret = f"arn:aws:secretsmanager:us-west-2:{ACCOUNT}:secret:chat-{ENV}/alarm-router/slack-AbCdEf"
    assert plan("secretsmanager:DescribeSecret", secret) == "Allow"
    assert plan("secretsmanager:GetSecretValue", secret) != "Allow"
    assert plan("ssm:GetParameter", f"arn:aws:ssm:us-west-2:{ACCOUNT}:parameter/payroll/db") != "Allow"


def test_the_operator_role_holds_the_plan_s_read_policies_and_no_aws_managed_policy(roles, load_template):
    assert set(roles["operator_attached"]) == READ_POLICIES | {"chat-operator-operations"}
    for name in READ_POLICIES:
        assert roles["operator_attached"][name] == roles["attached"][name]
    resources = load_template("deploy-role.yaml")["Resources"]
    for role in ("PlanRole", "OperatorRole"):
        assert "ManagedPolicyArns" not in resources[role]["Properties"], role
        assert "ReadOnlyAccess" not in json.dumps(resources[role]), role
