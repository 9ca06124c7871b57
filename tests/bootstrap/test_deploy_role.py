"""The deploy role stack: who may assume it, what it may do, what it may never do."""

from __future__ import annotations

import json
import re

import boto3
import pytest

TEMPLATE = "deploy-role.yaml"
OPERATORS = "444444444444"
CI_ROLE = f"arn:aws:iam::{OPERATORS}:role/chat-ci"
SSO_ROLE = (
    f"arn:aws:iam::{OPERATORS}:role/aws-reserved/sso.amazonaws.com/eu-west-1/"
    + "AWSReservedSSO_Ops_0123456789abcdef"
)


# What the deploy role applies with (test_deploy_policies.py checks what they allow).
APPLY_POLICIES = {
    "chat-deploy-iam",
    "chat-deploy-read",
    "chat-deploy-network",
    "chat-deploy-compute",
    "chat-deploy-data",
    "chat-deploy-ops",
    "chat-deploy-edge",
    "chat-deploy-operations",
}


def _params(**overrides: str) -> dict[str, str]:
    return {
        "Environment": "prod",
        "TrustedAccountId": OPERATORS,
        "TrustedPrincipalArns": f"{CI_ROLE},{SSO_ROLE}",
        **overrides,
    }


@pytest.fixture
def stack(create_stack):
    return create_stack(TEMPLATE, **_params())


def _document(policy_arn: str) -> dict:
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=policy_arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=policy_arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(doc) if isinstance(doc, str) else doc


def _by_sid(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_only_the_named_operator_and_ci_roles_may_assume_the_deploy_role(stack, account):
    role = boto3.client("iam").get_role(RoleName="chat-deploy")["Role"]
    assert stack.outputs["DeployRoleArn"] == f"arn:aws:iam::{account}:role/chat-deploy"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OPERATORS}:root"}
    assert "sts:AssumeRole" in statement["Action"]
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [CI_ROLE, SSO_ROLE]},
        "Null": {"sts:SourceIdentity": "false"},
    }


def test_deploy_role_is_capped_by_its_boundary_and_lives_long_enough_for_rds(stack, account):
    role = boto3.client("iam").get_role(RoleName="chat-deploy")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        f"arn:aws:iam::{account}:policy/chat-deploy-boundary"
    )
    assert stack.outputs["DeployBoundaryArn"] == role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    assert role["MaxSessionDuration"] == 14400
    tags = {t["Key"]: t["Value"] for t in role["Tags"]}
    assert tags["env"] == "prod"


def test_deploy_role_gets_the_projects_own_policies_and_iam_for_project_names_only(
    stack, account, load_template
):
    iam = boto3.client("iam")
    attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    }
    assert "chat-deploy-iam" in attached
    # moto does not attach a role's ManagedPolicyArns from a template: read that from the source.
    # No AWS managed policy at all: every grant is the project's own, with every action listed.
    role = load_template(TEMPLATE)["Resources"]["DeployRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    doc = _document(f"arn:aws:iam::{account}:policy/chat-deploy-iam")
    for statement in doc["Statement"]:
        actions = _as_list(statement["Action"])
        writes = [a for a in actions if not re.match(r"iam:(Get|List)", a)]
        if statement["Sid"] == "ServiceLinkedRoles":
            assert statement["Resource"] == f"arn:aws:iam::{account}:role/aws-service-role/*"
        elif writes:
            for resource in _as_list(statement["Resource"]):
                assert re.fullmatch(
                    rf"arn:aws:iam::{account}:(role|policy|instance-profile)/chat-\*", resource
                ), resource


def test_boundary_protects_state_bootstrap_and_the_role_itself(stack, account):
    statements = _by_sid(_document(stack.outputs["DeployBoundaryArn"]))
    assert statements["AllowWhatThePoliciesGrant"]["Action"] == "*"
    denied = {sid: s for sid, s in statements.items() if s["Effect"] == "Deny"}
    assert "organizations:*" in denied["DenyAccountAndOrganizationChanges"]["Action"]
    assert "iam:CreateAccessKey" in denied["DenyAccountAndOrganizationChanges"]["Action"]
    role_guard = denied["DenyChangingTheDeployRoleAndBoundaries"]
    assert f"arn:aws:iam::{account}:role/chat-deploy" in role_guard["Resource"]
    assert f"arn:aws:iam::{account}:policy/chat-deploy-boundary" in role_guard["Resource"]
    assert {"iam:Put*", "iam:Delete*", "iam:Update*", "iam:Attach*"} <= set(role_guard["Action"])
    state = denied["DenyDestroyingTheStateBackend"]
    assert state["Resource"] == "arn:aws:s3:::chat-tfstate-*"
    assert {"s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning"} <= set(state["Action"])
    key = denied["DenyDeletingTheStateKey"]
    assert key["Condition"] == {"ForAnyValue:StringLike": {"kms:ResourceAliases": "alias/chat-tfstate*"}}
    admin = denied["DenyGrantingAdministrativePolicies"]["Condition"]["ArnLike"]["iam:PolicyARN"]
    assert "arn:aws:iam::aws:policy/AdministratorAccess" in admin


def test_workload_boundary_is_enforced_by_default(stack):
    iam = boto3.client("iam")
    attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    }
    assert "chat-deploy-enforce-workload-boundary" in attached


def test_the_enforcement_can_be_switched_off_for_an_account_with_old_roles(create_stack):
    create_stack(TEMPLATE, **_params(EnforceWorkloadBoundary="false"))
    iam = boto3.client("iam")
    names = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert names == {"chat-deploy-boundary", "chat-workload-boundary", *APPLY_POLICIES}


def test_enforcing_the_workload_boundary_denies_roles_created_without_it(create_stack, account):
    stack = create_stack(TEMPLATE, **_params(EnforceWorkloadBoundary="true"))
    iam = boto3.client("iam")
    attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    }
    assert attached == {"chat-deploy-enforce-workload-boundary", *APPLY_POLICIES}
    doc = _document(f"arn:aws:iam::{account}:policy/chat-deploy-enforce-workload-boundary")
    (statement,) = doc["Statement"]
    assert statement["Effect"] == "Deny"
    assert "iam:CreateRole" in statement["Action"]
    assert statement["Condition"] == {
        "StringNotEquals": {"iam:PermissionsBoundary": stack.outputs["WorkloadBoundaryArn"]}
    }


def test_workload_boundary_keeps_created_roles_out_of_iam_and_the_state(stack, account):
    statements = _by_sid(_document(stack.outputs["WorkloadBoundaryArn"]))
    assert set(statements["AllowWithinTheBoundary"]["NotAction"]) == {
        "iam:*",
        "organizations:*",
        "account:*",
    }
    assert statements["DenyTouchingTheState"]["Resource"] == [
        f"arn:aws:s3:::chat-tfstate-{account}-*",
        f"arn:aws:s3:::chat-tfstate-{account}-*/*",
    ]


def test_deploy_role_name_follows_the_parameter(create_stack, account):
    stack = create_stack(TEMPLATE, **_params(DeployRoleName="chat-terragrunt"))
    assert stack.outputs["DeployRoleArn"] == f"arn:aws:iam::{account}:role/chat-terragrunt"


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("TrustedAccountId", "444444444444", True),
        ("TrustedAccountId", "44444444444", False),
        ("TrustedAccountId", "arn:aws:iam::444444444444:root", False),
        ("DeployRoleName", "chat-deploy", True),
        ("DeployRoleName", "chat deploy", False),
    ],
)
def test_parameters_refuse_malformed_values(load_template, parameter, value, accepted):
    pattern = load_template(TEMPLATE)["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_environment_is_one_of_the_three(load_template):
    env = load_template(TEMPLATE)["Parameters"]["Environment"]
    assert env["AllowedValues"] == ["dev", "staging", "prod"]
    assert "Default" not in env  # a forgotten parameter must not silently become dev


# -- the operator role: on-call by hand, created only for named operators

ON_CALL = SSO_ROLE


def test_no_operator_role_without_named_operators(stack):
    iam = boto3.client("iam")
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert "chat-operator" not in roles
    assert "OperatorRoleArn" not in stack.outputs


def test_the_operator_role_is_assumed_by_the_named_operators_for_an_hour_under_the_deploy_boundary(
    create_stack, account, load_template
):
    stack = create_stack(
        TEMPLATE, **_params(TrustedPrincipalArns=CI_ROLE, OperatorTrustedPrincipalArns=ON_CALL)
    )
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="chat-operator")["Role"]
    assert stack.outputs["OperatorRoleArn"] == f"arn:aws:iam::{account}:role/chat-operator"
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OPERATORS}:root"}
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [ON_CALL]},
        "Null": {"sts:SourceIdentity": "false"},
    }
    assert role["MaxSessionDuration"] == 3600
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == stack.outputs["DeployBoundaryArn"]
    attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="chat-operator")["AttachedPolicies"]
    }
    # its own policy and the plan's read policies; no AWS managed policy (ReadOnlyAccess was one)
    assert attached == {
        "chat-operator-operations",
        "chat-plan-read-describe",
        "chat-plan-read-services",
        "chat-plan-read-edge",
    }
    properties = load_template(TEMPLATE)["Resources"]["OperatorRole"]["Properties"]
    assert "ManagedPolicyArns" not in properties
    # and the deploy role holds none of it
    deploy_attached = {
        p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    }
    assert "chat-operator-operations" not in deploy_attached
