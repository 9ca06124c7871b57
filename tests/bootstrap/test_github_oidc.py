"""bootstrap/github-oidc.yaml, deployed by moto: the pipeline's roles trust GitHub's tokens of
this one repository only, each for what it is for (the trust conditions evaluated against
sample token claims with iam_eval), and each may assume only its own role in the environment
accounts. Also the plan role bootstrap/deploy-role.yaml creates for them."""

from __future__ import annotations

import ast
import json
from urllib.parse import unquote

import boto3
import pytest

from tests.bootstrap.iam_eval import decide

ACCOUNTS = {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}
ISSUER = "token.actions.githubusercontent.com"
REPO = "acme/chat"


@pytest.fixture
def roles(create_stack, account):
    stack = create_stack(
        "github-oidc.yaml",
        GitHubOwner="acme",
        GitHubRepository="chat",
        DevAccountId=ACCOUNTS["dev"],
        StagingAccountId=ACCOUNTS["staging"],
        ProdAccountId=ACCOUNTS["prod"],
        # moto's CloudFormation cannot create an OIDC provider: the roles trust the provider by
        # its ARN, as they do in an account that has one already (the provider's own properties
        # are checked on the template below)
        CreateOidcProvider="false",
    )
    iam = boto3.client("iam")
    out = {}
    for name in ("chat-ci-plan", "chat-ci-apply-dev", "chat-ci-apply-staging", "chat-ci-apply-prod"):
        role = iam.get_role(RoleName=name)["Role"]
        inline = [
            document(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        out[name] = {"trust": role["AssumeRolePolicyDocument"], "identity": inline, "arn": role["Arn"]}
    out["outputs"] = stack.outputs
    return out


def policy_document(arn: str) -> dict:
    """A managed policy's default version, as IAM returns it."""
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return document(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def document(doc) -> dict:
    """A policy document as IAM returns it: a dict or its URL-encoded JSON; moto's CloudFormation
    stores an inline policy as the Python text of the template's mapping, read back here too."""
    if isinstance(doc, dict):
        return doc
    try:
        return json.loads(unquote(doc))
    except json.JSONDecodeError:
        return ast.literal_eval(doc)


def token(sub: str, aud: str = "sts.amazonaws.com") -> dict:
    """The claims of a GitHub Actions OIDC token, as IAM's condition keys."""
    return {f"{ISSUER}:sub": sub, f"{ISSUER}:aud": aud}


def assume(role: dict, claims: dict) -> str:
    return decide([role["trust"]], "sts:AssumeRoleWithWebIdentity", "*", claims)


def test_every_role_trusts_only_github_s_identity_provider_in_this_account(roles, account, load_template):
    resource = load_template("github-oidc.yaml")["Resources"]["GitHubOidcProvider"]
    assert resource["Properties"]["Url"] == f"https://{ISSUER}"
    assert resource["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    provider = f"arn:aws:iam::{account}:oidc-provider/{ISSUER}"
    for name, role in roles.items():
        if name == "outputs":
            continue
        for statement in role["trust"]["Statement"]:
            assert statement["Principal"] == {"Federated": provider}, name
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity", name


def test_the_plan_role_takes_this_repository_s_pull_requests_and_main_only(roles):
    plan = roles["chat-ci-plan"]
    assert assume(plan, token(f"repo:{REPO}:pull_request")) == "Allow"
    assert assume(plan, token(f"repo:{REPO}:ref:refs/heads/main")) == "Allow"  # the nightly drift check
    refused = [
        token("repo:mallory/chat:pull_request"),  # another repository (a fork's own runs included)
        token("repo:acme/chat-fork:pull_request"),
        token(f"repo:{REPO}:ref:refs/heads/feature"),  # any other branch
        token(f"repo:{REPO}:environment:prod"),
        token(f"repo:{REPO}:pull_request", aud="https://github.com/acme"),  # another audience
        {f"{ISSUER}:sub": f"repo:{REPO}:pull_request"},  # no audience at all
    ]
    for claims in refused:
        assert assume(plan, claims) == "ImplicitDeny", claims


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_apply_role_takes_only_jobs_of_its_own_github_environment(roles, env):
    role = roles[f"chat-ci-apply-{env}"]
    assert assume(role, token(f"repo:{REPO}:environment:{env}")) == "Allow"
    others = [e for e in ACCOUNTS if e != env]
    refused = [token(f"repo:{REPO}:environment:{o}") for o in others] + [
        token(f"repo:{REPO}:ref:refs/heads/main"),  # a branch, not the protected environment
        token(f"repo:{REPO}:pull_request"),  # nothing is applied from a pull request
        token(f"repo:mallory/chat:environment:{env}"),  # another repository's environment
        token(f"repo:{REPO}:environment:{env}", aud="sts.example.com"),
    ]
    for claims in refused:
        assert assume(role, claims) == "ImplicitDeny", claims


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_apply_role_reaches_only_its_environment_s_deploy_role(roles, env):
    identity = roles[f"chat-ci-apply-{env}"]["identity"]
    for target_env, acct in ACCOUNTS.items():
        want = "Allow" if target_env == env else "ImplicitDeny"
        assert decide(identity, "sts:AssumeRole", f"arn:aws:iam::{acct}:role/chat-deploy") == want
        assert decide(identity, "sts:AssumeRole", f"arn:aws:iam::{acct}:role/chat-plan") == "ImplicitDeny"
    assert decide(identity, "iam:CreateAccessKey", "*") == "ImplicitDeny"


def test_the_plan_role_reaches_only_the_plan_roles(roles):
    identity = roles["chat-ci-plan"]["identity"]
    for acct in ACCOUNTS.values():
        assert decide(identity, "sts:AssumeRole", f"arn:aws:iam::{acct}:role/chat-plan") == "Allow"
        assert decide(identity, "sts:AssumeRole", f"arn:aws:iam::{acct}:role/chat-deploy") == "ImplicitDeny"


def test_no_pipeline_role_reaches_the_operator_role(roles):
    """On-call's role (instance shells and commands, restores, dead letters) is for people: no
    role of the pipeline may assume it, in any environment account, by any name."""
    for name, role in roles.items():
        if name == "outputs":
            continue
        for acct in ACCOUNTS.values():
            operator = f"arn:aws:iam::{acct}:role/chat-operator"
            for action in ("sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"):
                assert decide(role["identity"], action, operator) == "ImplicitDeny", (name, action, acct)
        # the twin: each does reach a role of its own
        reached = [
            target
            for acct in ACCOUNTS.values()
            for target in (f"arn:aws:iam::{acct}:role/chat-deploy", f"arn:aws:iam::{acct}:role/chat-plan")
            if decide(role["identity"], "sts:AssumeRole", target) == "Allow"
        ]
        assert reached, name


def test_the_outputs_are_the_role_arns_the_workflows_are_given(roles):
    outputs = roles["outputs"]
    assert outputs["CiPlanRoleArn"] == roles["chat-ci-plan"]["arn"]
    for env in ACCOUNTS:
        assert outputs[f"CiApply{env.capitalize()}RoleArn"] == roles[f"chat-ci-apply-{env}"]["arn"]


# -- the plan role of an environment account (bootstrap/deploy-role.yaml)

OPERATORS = "444444444444"
CI_PLAN = f"arn:aws:iam::{OPERATORS}:role/chat-ci-plan"


@pytest.fixture
def plan_role(create_stack, account, load_template):
    create_stack(
        "deploy-role.yaml",
        Environment="prod",
        TrustedAccountId=OPERATORS,
        TrustedPrincipalArns=f"arn:aws:iam::{OPERATORS}:role/chat-ci-apply-prod",
        PlanTrustedPrincipalArns=CI_PLAN,
    )
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="chat-plan")["Role"]
    inline = [
        document(iam.get_role_policy(RoleName="chat-plan", PolicyName=p)["PolicyDocument"])
        for p in iam.list_role_policies(RoleName="chat-plan")["PolicyNames"]
    ]
    # the plan's read policies (test_plan_policies.py), no AWS managed policy
    assert "ManagedPolicyArns" not in load_template("deploy-role.yaml")["Resources"]["PlanRole"]["Properties"]
    attached = [
        policy_document(p["PolicyArn"])
        for p in iam.list_attached_role_policies(RoleName="chat-plan")["AttachedPolicies"]
    ]
    assert len(attached) == 3
    return {
        "trust": role["AssumeRolePolicyDocument"],
        "identity": [*inline, *attached],
    }


def test_the_plan_role_is_assumed_by_the_ci_plan_role_alone_with_a_source_identity(plan_role):
    def assume_plan(principal, **context):
        return decide([plan_role["trust"]], "sts:AssumeRole", "*", {"aws:PrincipalArn": principal, **context})

    assert assume_plan(CI_PLAN, **{"sts:SourceIdentity": "gh-run-1"}) == "Allow"
    assert assume_plan(CI_PLAN) == "ImplicitDeny"
    assert (
        assume_plan(f"arn:aws:iam::{OPERATORS}:role/chat-ci-apply-prod", **{"sts:SourceIdentity": "x"})
        == "ImplicitDeny"
    )


def test_the_plan_role_reads_and_locks_the_state_and_changes_nothing(plan_role, account):
    identity = plan_role["identity"]
    state = f"arn:aws:s3:::chat-tfstate-{account}-eu-west-1"

    def plan(action, resource):
        return decide(identity, action, resource)

    assert plan("s3:GetObject", f"{state}/live/prod/eu-west-1/network/terraform.tfstate") == "Allow"
    assert plan("s3:PutObject", f"{state}/live/prod/eu-west-1/network/terraform.tfstate.tflock") == "Allow"
    assert plan("s3:DeleteObject", f"{state}/live/prod/eu-west-1/network/terraform.tfstate.tflock") == "Allow"
    assert plan("ec2:DescribeVpcs", "*") == "Allow"
    # no writes but the lock, and no reads of what users stored
    assert plan("s3:PutObject", f"{state}/live/prod/eu-west-1/network/terraform.tfstate") == "ImplicitDeny"
    assert plan("s3:GetObject", "arn:aws:s3:::chat-prod-media-abc/rooms/1/x") == "ExplicitDeny"
    for action in ("ec2:RunInstances", "iam:CreateRole", "rds:DeleteDBInstance", "s3:DeleteBucket"):
        assert plan(action, "*") == "ImplicitDeny", action


def test_the_plan_role_reads_no_secret_value_and_decrypts_only_what_a_refresh_needs(plan_role, account):
    identity = plan_role["identity"]
    key = f"arn:aws:kms:eu-west-1:{account}:key/11111111-2222-3333-4444-555555555555"
    secret = f"arn:aws:secretsmanager:eu-west-1:{account}:secret:"
    parameter = f"arn:aws:ssm:eu-west-1:{account}:parameter/"

    def plan(action, resource, **context):
        return decide(identity, action, resource, context)

    def decrypt(via, **context):
        return plan("kms:Decrypt", key, **{"kms:ViaService": via, **context})

    # the alarm receivers' webhooks and any other secret: never
    for name in ("chat-prod/alarm-router/slack-abc123", "chat-prod-other-abc123", "rds!db-1234-abc123"):
        assert plan("secretsmanager:GetSecretValue", secret + name) == "ImplicitDeny", name
        arn = {"kms:EncryptionContext:SecretARN": secret + name}
        assert decrypt("secretsmanager.eu-west-1.amazonaws.com", **arn) == "ImplicitDeny", name
    # the legacy Redis AUTH token, whose value the state holds anyway
    token = secret + "chat-prod/redis/auth-token-20261204-abc123"
    assert plan("secretsmanager:GetSecretValue", token) == "Allow"
    token_context = {"kms:EncryptionContext:SecretARN": token}
    assert decrypt("secretsmanager.eu-west-1.amazonaws.com", **token_context) == "Allow"
    # the project's SecureString parameters through SSM, nothing else, never directly
    mine = {"kms:EncryptionContext:PARAMETER_ARN": parameter + "chat-prod/app/DATABASE_URL"}
    assert decrypt("ssm.eu-west-1.amazonaws.com", **mine) == "Allow"
    other = {"kms:EncryptionContext:PARAMETER_ARN": parameter + "payroll/db-password"}
    assert decrypt("ssm.eu-west-1.amazonaws.com", **other) == "ImplicitDeny"
    assert plan("kms:Decrypt", key) == "ImplicitDeny"
    assert decrypt("ec2.eu-west-1.amazonaws.com", **mine) == "ImplicitDeny"
    via_ssm = {"kms:ViaService": "ssm.eu-west-1.amazonaws.com", **mine}
    assert plan("kms:GenerateDataKey", key, **via_ssm) == "ImplicitDeny"
