"""Each escalation path a security review found in the deploy-role model, and each reach outside
the project's own resources, tried against the policies the bootstrap stack really creates (read
back from IAM after moto deploys it; no role holds an AWS managed policy) with the evaluator of
iam_eval.py (itself checked in test_iam_eval.py). Every attempt must be refused; the legitimate
twin of each must pass, so a refusal cannot come from a policy that refuses everything.
The same for the operator role: what on-call does by hand is refused to the deploy role (so to
every pipeline run) and allowed to the operator role, which in turn changes no infrastructure."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.bootstrap.conftest import ACCOUNT
from tests.bootstrap.iam_eval import decide

OPERATORS = "444444444444"
CI_ROLE = f"arn:aws:iam::{OPERATORS}:role/chat-ci"
ON_CALL = f"arn:aws:iam::{OPERATORS}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_OnCall_0a"
# The tags Terraform's default_tags put on what it creates (root terragrunt.hcl), and the
# bootstrap stacks' tags (bootstrap/README.md: project, owner, cost-centre; no managed-by).
TERRAFORM_TAGS = {"aws:ResourceTag/project": "chat", "aws:ResourceTag/managed-by": "terragrunt"}
BOOTSTRAP_TAGS = {"aws:ResourceTag/project": "chat"}


def _document(arn: str) -> dict:
    iam = boto3.client("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    return json.loads(doc) if isinstance(doc, str) else doc


@pytest.fixture(scope="module")
def model(create_stack_once):
    # every test here only reads the policies: one stack for the module
    create_stack_once(
        "deploy-role.yaml",
        Environment="prod",
        TrustedAccountId=OPERATORS,
        TrustedPrincipalArns=CI_ROLE,
        OperatorTrustedPrincipalArns=ON_CALL,
    )
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="chat-deploy")["Role"]
    attached = [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="chat-deploy")["AttachedPolicies"]
    ]
    identity = [_document(a) for a in attached]
    operator = iam.get_role(RoleName="chat-operator")["Role"]
    operator_attached = [
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="chat-operator")["AttachedPolicies"]
    ]
    # its own policy and the plan's read policies: no AWS managed policy (test_plan_policies.py)
    return {
        "operator": {
            "identity": [_document(a) for a in operator_attached],
            "boundary": _document(operator["PermissionsBoundary"]["PermissionsBoundaryArn"]),
            "trust": operator["AssumeRolePolicyDocument"],
        },
        "account": ACCOUNT,
        "identity": identity,
        "boundary": _document(role["PermissionsBoundary"]["PermissionsBoundaryArn"]),
        "workload_boundary": _document(f"arn:aws:iam::{ACCOUNT}:policy/chat-workload-boundary"),
        "trust": role["AssumeRolePolicyDocument"],
    }


def deploy(model, action, resource, **context):
    return decide(model["identity"], action, resource, context, boundary=model["boundary"])


def operator(model, action, resource, **context):
    role = model["operator"]
    return decide(role["identity"], action, resource, context, boundary=role["boundary"])


def arn(model, kind, name):
    return f"arn:aws:iam::{model['account']}:{kind}/{name}"


def test_a_role_without_the_workload_boundary_cannot_be_created(model):
    role = arn(model, "role", "chat-x")
    boundary = arn(model, "policy", "chat-workload-boundary")
    assert deploy(model, "iam:CreateRole", role) == "ExplicitDeny"
    admin_as_boundary = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert (
        deploy(model, "iam:CreateRole", role, **{"iam:PermissionsBoundary": admin_as_boundary})
        == "ExplicitDeny"
    )
    assert deploy(model, "iam:CreateRole", role, **{"iam:PermissionsBoundary": boundary}) == "Allow"


def test_admin_policies_cannot_be_attached_or_put_on_an_unbounded_role(model):
    role = arn(model, "role", "chat-x")
    boundary = {"iam:PermissionsBoundary": arn(model, "policy", "chat-workload-boundary")}
    admin = {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess", **boundary}
    assert deploy(model, "iam:AttachRolePolicy", role, **admin) == "ExplicitDeny"
    assert deploy(model, "iam:PutRolePolicy", role) == "ExplicitDeny"  # a role without the boundary
    assert deploy(model, "iam:PutRolePolicy", role, **boundary) == "Allow"


def test_the_boundary_cannot_be_removed_or_swapped(model):
    role = arn(model, "role", "chat-x")
    assert deploy(model, "iam:DeleteRolePermissionsBoundary", role) == "ExplicitDeny"
    other = {"iam:PermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}
    assert deploy(model, "iam:PutRolePermissionsBoundary", role, **other) == "ExplicitDeny"


def test_no_managed_policy_can_be_made_or_rewritten(model):
    policy = arn(model, "policy", "chat-anything")
    for action in ("iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"):
        assert deploy(model, action, policy) != "Allow", action


def test_the_deploy_role_and_the_boundaries_cannot_be_changed(model):
    for target in (
        arn(model, "role", "chat-deploy"),
        arn(model, "policy", "chat-deploy-boundary"),
        arn(model, "policy", "chat-workload-boundary"),
    ):
        for action in (
            "iam:PutRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:CreatePolicyVersion",
            "iam:DeleteRolePermissionsBoundary",
        ):
            assert deploy(model, action, target) == "ExplicitDeny", (action, target)


def test_roles_are_passed_only_to_the_services_the_modules_run_them_in(model):
    role = arn(model, "role", "chat-prod-app")
    for service in ("cloudformation.amazonaws.com", "ecs-tasks.amazonaws.com", "glue.amazonaws.com"):
        assert deploy(model, "iam:PassRole", role, **{"iam:PassedToService": service}) != "Allow", service
    for service in ("ec2.amazonaws.com", "lambda.amazonaws.com", "monitoring.rds.amazonaws.com"):
        assert deploy(model, "iam:PassRole", role, **{"iam:PassedToService": service}) == "Allow", service
    assert (
        deploy(
            model,
            "iam:PassRole",
            "arn:aws:iam::1:role/OrganizationAccountAccessRole",
            **{"iam:PassedToService": "ec2.amazonaws.com"},
        )
        != "Allow"
    )


def test_state_history_the_state_key_and_the_trail_are_out_of_reach(model):
    state = f"arn:aws:s3:::chat-tfstate-{model['account']}-us-west-2"
    assert (
        deploy(model, "s3:DeleteObjectVersion", f"{state}/live/prod/app-asg/terraform.tfstate")
        == "ExplicitDeny"
    )
    assert deploy(model, "s3:PutBucketVersioning", state) == "ExplicitDeny"
    assert deploy(model, "s3:PutObject", f"{state}/live/prod/app-asg/terraform.tfstate") == "Allow"
    alias = f"arn:aws:kms:us-west-2:{model['account']}:alias/chat-tfstate"
    key = f"arn:aws:kms:us-west-2:{model['account']}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert deploy(model, "kms:DeleteAlias", alias) == "ExplicitDeny"
    assert deploy(model, "kms:UpdateAlias", alias) == "ExplicitDeny"
    aliased = {"kms:ResourceAliases": ["alias/chat-tfstate"]}
    assert deploy(model, "kms:ScheduleKeyDeletion", key, **aliased) == "ExplicitDeny"
    assert deploy(model, "kms:PutKeyPolicy", key, **aliased) == "ExplicitDeny"
    assert (
        deploy(
            model,
            "kms:ScheduleKeyDeletion",
            key,
            **{"kms:ResourceAliases": ["alias/chat-prod/app"]},
            **TERRAFORM_TAGS,
        )
        == "Allow"
    )
    trail = f"arn:aws:cloudtrail:us-west-2:{model['account']}:trail/org"
    for action in (
        "cloudtrail:StopLogging",
        "cloudtrail:DeleteTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:PutEventSelectors",
    ):
        assert deploy(model, action, trail) == "ExplicitDeny", action


def test_locked_releases_cannot_be_unlocked(model):
    release = "arn:aws:s3:::chat-prod-artifacts-abc/releases/chat-1.4.2.tar.gz"
    assert deploy(model, "s3:BypassGovernanceRetention", release) == "ExplicitDeny"


def test_a_role_the_modules_create_cannot_reach_iam_the_state_or_the_trail(model):
    anything = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]

    def workload(action, resource, **context):
        return decide(anything, action, resource, context, boundary=model["workload_boundary"])

    state = f"arn:aws:s3:::chat-tfstate-{model['account']}-us-west-2"
    assert workload("iam:CreateRole", arn(model, "role", "chat-x")) != "Allow"
    assert workload("iam:AttachRolePolicy", arn(model, "role", "chat-prod-app")) != "Allow"
    assert workload("s3:GetObject", f"{state}/live/prod/postgres/terraform.tfstate") == "ExplicitDeny"
    assert workload(
        "kms:Decrypt", "arn:aws:kms:us-west-2:1:key/k", **{"kms:ResourceAliases": ["alias/chat-tfstate"]}
    ) == ("ExplicitDeny")
    assert workload("cloudtrail:StopLogging", "arn:aws:cloudtrail:us-west-2:1:trail/org") == "ExplicitDeny"
    assert (
        workload("s3:BypassGovernanceRetention", "arn:aws:s3:::chat-prod-artifacts-abc/x") == "ExplicitDeny"
    )
    assert workload("s3:GetObject", "arn:aws:s3:::chat-prod-media-abc/uploads/x") == "Allow"


def test_only_the_named_roles_with_a_source_identity_may_assume_the_deploy_role(model):
    trust = model["trust"]

    def assume(principal, **context):
        return decide([trust], "sts:AssumeRole", "*", {"aws:PrincipalArn": principal, **context})

    assert assume(CI_ROLE, **{"sts:SourceIdentity": "ci-run-1234"}) == "Allow"
    assert assume(CI_ROLE) == "ImplicitDeny"  # no source identity: nothing in CloudTrail says who
    assert assume(f"arn:aws:iam::{OPERATORS}:role/chat-ci-2", **{"sts:SourceIdentity": "x"}) == "ImplicitDeny"
    assert assume(f"arn:aws:iam::{OPERATORS}:user/admin", **{"sts:SourceIdentity": "x"}) == "ImplicitDeny"


def test_the_deploy_role_is_granted_no_wildcard_action(model):
    for document in model["identity"]:
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = statement.get("Action", [])
            for action in actions if isinstance(actions, list) else [actions]:
                assert "*" not in action, (statement.get("Sid"), action)


# --- reach outside the project's names and tags -------------------------------------------------


def test_a_database_not_named_for_the_environment_cannot_be_deleted_or_changed(model):
    db = "arn:aws:rds:us-west-2:{}:db:{}"
    for other in ("other-db", "chat-staging-postgres"):  # another system's; another environment's
        for action in ("rds:DeleteDBInstance", "rds:ModifyDBInstance", "rds:CreateDBSnapshot"):
            assert deploy(model, action, db.format(model["account"], other)) != "Allow", (action, other)
    assert deploy(model, "rds:DeleteDBInstance", db.format(model["account"], "chat-prod-postgres")) == "Allow"


def test_instances_are_never_terminated_and_launched_only_from_the_projects_template(model):
    instance = f"arn:aws:ec2:us-west-2:{model['account']}:instance/i-0a1b2c3d4e5f60718"
    template = f"arn:aws:ec2:us-west-2:{model['account']}:launch-template/lt-0a1b2c3d4e5f60718"
    # Terraform never terminates an instance (the Auto Scaling group does, through its own
    # service-linked role), so neither may the deploy role, tagged or not.
    assert deploy(model, "ec2:TerminateInstances", instance) != "Allow"
    assert deploy(model, "ec2:TerminateInstances", instance, **TERRAFORM_TAGS) != "Allow"
    assert deploy(model, "ec2:RunInstances", instance) != "Allow"  # no launch template
    assert deploy(model, "ec2:RunInstances", instance, **{"ec2:LaunchTemplate": template}) == "Allow"
    assert deploy(model, "ec2:RunInstances", template) != "Allow"  # a template without the tags
    assert deploy(model, "ec2:RunInstances", template, **TERRAFORM_TAGS) == "Allow"


def test_ec2_resources_without_the_project_tags_cannot_be_changed(model):
    group = f"arn:aws:ec2:us-west-2:{model['account']}:security-group/sg-0a1b2c3d4e5f60718"
    vpc = f"arn:aws:ec2:us-west-2:{model['account']}:vpc/vpc-0a1b2c3d4e5f60718"
    for action, resource in (
        ("ec2:AuthorizeSecurityGroupIngress", group),
        ("ec2:DeleteSecurityGroup", group),
        ("ec2:DeleteVpc", vpc),
        ("ec2:CreateSubnet", vpc),
    ):
        assert deploy(model, action, resource, **BOOTSTRAP_TAGS) != "Allow", action  # project tag only
        assert deploy(model, action, resource, **{"aws:ResourceTag/project": "other"}) != "Allow", action
        assert deploy(model, action, resource, **TERRAFORM_TAGS) == "Allow", action
    # creating one needs the tags in the request
    assert deploy(model, "ec2:CreateVpc", vpc) != "Allow"
    request = {"aws:RequestTag/project": "chat", "aws:RequestTag/managed-by": "terragrunt"}
    assert deploy(model, "ec2:CreateVpc", vpc, **request) == "Allow"


def test_a_tagged_resource_cannot_be_taken_over_by_tagging_it(model):
    group = f"arn:aws:ec2:us-west-2:{model['account']}:security-group/sg-0a1b2c3d4e5f60718"
    instance = f"arn:aws:ec2:us-west-2:{model['account']}:instance/i-0a1b2c3d4e5f60718"
    adopt = {"aws:RequestTag/project": "chat", "aws:RequestTag/managed-by": "terragrunt"}
    marked = {"aws:ResourceTag/managed-by": "another-tool"}
    assert deploy(model, "ec2:CreateTags", instance, **adopt) != "Allow"
    assert deploy(model, "ec2:CreateTags", group, **marked, **adopt) != "Allow"
    # what is left on purpose: a group no one has tagged managed-by (a VPC's default group)
    assert deploy(model, "ec2:CreateTags", group, **adopt) == "Allow"


def test_secrets_not_named_for_the_environment_cannot_be_read(model):
    secret = "arn:aws:secretsmanager:us-west-2:{}:secret:{}-AbCdEf"
    for other in ("other-app/db", "chat-staging/app/secret-key-1", "rds!db-0a1b2c3d"):
        assert (
            deploy(model, "secretsmanager:GetSecretValue", secret.format(model["account"], other)) != "Allow"
        ), other
    mine = secret.format(model["account"], "chat-prod/redis/auth-token-1")
    assert deploy(model, "secretsmanager:GetSecretValue", mine) == "Allow"


def test_keys_the_bootstrap_made_cannot_be_used_or_changed(model):
    key = f"arn:aws:kms:us-west-2:{model['account']}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for action in ("kms:Decrypt", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:CreateGrant"):
        assert deploy(model, action, key, **BOOTSTRAP_TAGS) != "Allow", action
        assert deploy(model, action, key, **TERRAFORM_TAGS) == "Allow", action


def test_buckets_tables_and_functions_of_others_are_out_of_reach(model):
    account = model["account"]
    for action, other, mine in (
        ("s3:DeleteBucket", "arn:aws:s3:::other-bucket", "arn:aws:s3:::chat-prod-media-x"),
        ("s3:PutBucketPolicy", "arn:aws:s3:::chat-staging-media-x", "arn:aws:s3:::chat-prod-media-x"),
        (
            "dynamodb:DeleteTable",
            f"arn:aws:dynamodb:us-west-2:{account}:table/orders",
            f"arn:aws:dynamodb:us-west-2:{account}:table/chat-prod-alarm-router-state",
        ),
        (
            "lambda:UpdateFunctionCode",
            f"arn:aws:lambda:us-west-2:{account}:function:billing",
            f"arn:aws:lambda:us-west-2:{account}:function:chat-prod-alarm-router",
        ),
        (
            "logs:DeleteLogGroup",
            f"arn:aws:logs:us-west-2:{account}:log-group:/aws/route53/chat.example.com",
            f"arn:aws:logs:us-west-2:{account}:log-group:/chat-prod/app",
        ),
    ):
        assert deploy(model, action, other) != "Allow", (action, other)
        assert deploy(model, action, mine) == "Allow", (action, mine)


def test_the_alarm_contacts_topic_and_alias_stay_out_of_reach(model):
    account = model["account"]
    contacts = f"arn:aws:sns:us-west-2:{account}:chat-prod-alarm-contacts"
    for action in ("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe"):
        assert deploy(model, action, contacts) == "ExplicitDeny", action
        assert deploy(model, action, f"arn:aws:sns:us-west-2:{account}:chat-prod-alarms") == "Allow", action
    alias = f"arn:aws:kms:us-west-2:{account}:alias/chat-prod-alarm-contacts"
    assert deploy(model, "kms:DeleteAlias", alias) == "ExplicitDeny"
    assert (
        deploy(model, "kms:DeleteAlias", f"arn:aws:kms:us-west-2:{account}:alias/chat-prod-monitoring")
        == "Allow"
    )


# --- what on-call does by hand: the operator role's, never the deploy role's -------------------

FLEET = {"aws:ResourceTag/aws:autoscaling:groupName": "chat-prod-app"}


def _instance(model):
    return f"arn:aws:ec2:us-west-2:{model['account']}:instance/i-0a1b2c3d4e5f60718"


def test_the_deploy_role_cannot_run_commands_or_shells_on_the_fleet_the_operator_role_can(model):
    instance = _instance(model)
    for action in ("ssm:SendCommand", "ssm:StartSession"):
        assert deploy(model, action, instance, **FLEET) != "Allow", action
        assert operator(model, action, instance, **FLEET) == "Allow", action
        # and the operator role only on this environment's fleet
        other = {"aws:ResourceTag/aws:autoscaling:groupName": "chat-staging-app"}
        assert operator(model, action, instance, **other) != "Allow", action
        assert operator(model, action, instance) != "Allow", action  # not an Auto Scaling instance
    document = "arn:aws:ssm:us-west-2::document/AWS-RunShellScript"
    assert deploy(model, "ssm:SendCommand", document) != "Allow"
    assert operator(model, "ssm:SendCommand", document) == "Allow"


def test_the_deploy_role_cannot_restore_a_snapshot_or_run_a_failover_drill_the_operator_role_can(model):
    account = model["account"]
    snapshot = f"arn:aws:rds:us-west-2:{account}:snapshot:chat-prod-postgres-202601011200"
    restored = f"arn:aws:rds:us-west-2:{account}:db:chat-prod-postgres-restored"
    group = f"arn:aws:elasticache:us-west-2:{account}:replicationgroup:chat-prod-redis"
    for action, resource in (
        ("rds:RestoreDBInstanceFromDBSnapshot", snapshot),
        ("rds:RestoreDBInstanceFromDBSnapshot", restored),
        ("rds:RestoreDBInstanceToPointInTime", restored),
        ("elasticache:TestFailover", group),
    ):
        assert deploy(model, action, resource, **TERRAFORM_TAGS) != "Allow", (action, resource)
        assert operator(model, action, resource, **TERRAFORM_TAGS) == "Allow", (action, resource)
    other = f"arn:aws:rds:us-west-2:{account}:snapshot:other-db-202601011200"
    assert operator(model, "rds:RestoreDBInstanceFromDBSnapshot", other) != "Allow"


def test_the_deploy_role_cannot_read_or_delete_dead_letters_the_operator_role_can(model):
    account = model["account"]
    queue = f"arn:aws:sqs:us-west-2:{account}:chat-prod-alarm-router-dlq"
    key = f"arn:aws:kms:us-west-2:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    through_sqs = {
        "kms:ViaService": "sqs.us-west-2.amazonaws.com",
        "kms:EncryptionContext:aws:sqs:arn": queue,
    }
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage"):
        assert deploy(model, action, queue, **TERRAFORM_TAGS) != "Allow", action
        assert operator(model, action, queue, **TERRAFORM_TAGS) == "Allow", action
    assert operator(model, "kms:Decrypt", key, **through_sqs, **TERRAFORM_TAGS) == "Allow"
    # the queue's key decrypts nothing else for the operator role, not even through SQS
    assert operator(model, "kms:Decrypt", key, **TERRAFORM_TAGS) != "Allow"
    other_queue = {**through_sqs, "kms:EncryptionContext:aws:sqs:arn": queue.replace("chat-prod", "orders")}
    assert operator(model, "kms:Decrypt", key, **other_queue) != "Allow"


def test_the_operator_role_changes_no_infrastructure(model):
    account = model["account"]
    instance = _instance(model)
    template = f"arn:aws:ec2:us-west-2:{account}:launch-template/lt-0a1b2c3d4e5f60718"
    db = f"arn:aws:rds:us-west-2:{account}:db:chat-prod-postgres"
    snapshot = f"arn:aws:rds:us-west-2:{account}:snapshot:chat-prod-postgres-202601011200"
    function = f"arn:aws:lambda:us-west-2:{account}:function:chat-prod-alarm-router"
    role = arn(model, "role", "chat-prod-app")
    refused = [
        ("ec2:RunInstances", instance, {"ec2:LaunchTemplate": template}),
        ("ec2:RunInstances", template, TERRAFORM_TAGS),
        ("rds:DeleteDBInstance", db, TERRAFORM_TAGS),
        ("lambda:UpdateFunctionCode", function, TERRAFORM_TAGS),
        ("rds:ModifyDBSnapshotAttribute", snapshot, TERRAFORM_TAGS),  # sharing a snapshot
        ("iam:CreateRole", role, {"iam:PermissionsBoundary": arn(model, "policy", "chat-workload-boundary")}),
        ("iam:PutRolePolicy", role, {}),
        ("iam:AttachRolePolicy", role, {"iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        ("iam:UpdateAssumeRolePolicy", arn(model, "role", "chat-operator"), {}),
        ("iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}),
        ("iam:CreateAccessKey", arn(model, "user", "anyone"), {}),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-west-2:{account}:secret:chat-prod/x-Ab",
            {},
        ),
        ("s3:GetObject", "arn:aws:s3:::chat-prod-media-abc/rooms/1/x", {}),
        ("s3:GetObject", f"arn:aws:s3:::chat-tfstate-{account}-us-west-2/prod/terraform.tfstate", {}),
    ]
    for action, resource, context in refused:
        assert operator(model, action, resource, **context) != "Allow", (action, resource)
    # the twins: what the operator role does to the same things, and the deploy role's change
    assert operator(model, "rds:RestoreDBInstanceFromDBSnapshot", snapshot, **TERRAFORM_TAGS) == "Allow"
    assert operator(model, "lambda:InvokeFunction", function, **TERRAFORM_TAGS) == "Allow"
    assert operator(model, "rds:DescribeDBInstances", db) == "Allow"  # chat-plan-read-services
    assert deploy(model, "lambda:UpdateFunctionCode", function) == "Allow"
    assert deploy(model, "rds:DeleteDBInstance", db) == "Allow"


def test_only_the_named_operators_with_a_source_identity_may_assume_the_operator_role(model):
    trust = model["operator"]["trust"]

    def assume(principal, **context):
        return decide([trust], "sts:AssumeRole", "*", {"aws:PrincipalArn": principal, **context})

    assert assume(ON_CALL, **{"sts:SourceIdentity": "alice"}) == "Allow"
    assert assume(ON_CALL) == "ImplicitDeny"  # no source identity
    # the pipeline's roles, trusted by the deploy role, are not trusted here
    for principal in (CI_ROLE, f"arn:aws:iam::{OPERATORS}:role/chat-ci-apply-prod", f"{ON_CALL}-2"):
        assert assume(principal, **{"sts:SourceIdentity": "gh-1"}) == "ImplicitDeny", principal


@pytest.mark.parametrize("name", ["chat-operator", "chat-plan"])
def test_the_deploy_role_cannot_change_the_operator_or_plan_role(model, name):
    role = arn(model, "role", name)
    policy = arn(model, "policy", "chat-operator-operations")
    boundary = {"iam:PermissionsBoundary": arn(model, "policy", "chat-workload-boundary")}
    for action in (
        "iam:UpdateAssumeRolePolicy",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteRole",
    ):
        assert deploy(model, action, role, **boundary) == "ExplicitDeny", action
        # the twin: a module's role, which the deploy role does manage
        if action != "iam:DeleteRolePermissionsBoundary":
            assert deploy(model, action, arn(model, "role", "chat-prod-app"), **boundary) == "Allow", action
    assert deploy(model, "iam:CreatePolicyVersion", policy) == "ExplicitDeny"


def test_silences_are_written_by_the_operator_role_to_the_router_s_table_only(model):
    account = model["account"]
    table = f"arn:aws:dynamodb:us-west-2:{account}:table/chat-prod-alarm-router-state"
    assert operator(model, "dynamodb:PutItem", table, **TERRAFORM_TAGS) == "Allow"
    assert deploy(model, "dynamodb:PutItem", table, **TERRAFORM_TAGS) != "Allow"
    for other in ("chat-prod-alarm-router-idempotency", "orders"):
        assert operator(model, "dynamodb:PutItem", table.replace("chat-prod-alarm-router-state", other)) != (
            "Allow"
        ), other
