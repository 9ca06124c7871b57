"""The state backend stack: what the root terragrunt.hcl expects to find in every account and region.

moto creates the KMS key, its alias and both buckets with their default encryption; it does not
apply versioning, public access blocks, logging, lifecycle or bucket policies from a template,
so those are read from the template itself (and the skipped types are asserted, so a moto that
learns them, or a template that adds another, is noticed)."""

from __future__ import annotations

import json
import re

import boto3
import pytest

TEMPLATE = "state-backend.yaml"


@pytest.fixture
def stack(create_stack):
    return create_stack(TEMPLATE)


@pytest.fixture
def template(load_template):
    return load_template(TEMPLATE)


def test_state_bucket_name_is_the_one_terragrunt_derives_from_account_and_region(stack, account, region):
    expected = f"chat-tfstate-{account}-{region}"
    assert stack.outputs["StateBucketName"] == expected
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert names == {expected, f"chat-tfstate-logs-{account}-{region}"}


def test_project_parameter_renames_every_bucket_and_the_key_alias(create_stack, account, region):
    stack = create_stack(TEMPLATE, Project="acme")
    assert stack.outputs["StateBucketName"] == f"acme-tfstate-{account}-{region}"
    assert stack.outputs["AccessLogBucketName"] == f"acme-tfstate-logs-{account}-{region}"
    assert stack.outputs["StateKeyAlias"] == "alias/acme-tfstate"


def test_state_bucket_is_encrypted_by_default_with_the_rotating_state_key(stack):
    kms = boto3.client("kms")
    key_arn = stack.outputs["StateKeyArn"]
    rule = boto3.client("s3").get_bucket_encryption(Bucket=stack.outputs["StateBucketName"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert rule == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/chat-tfstate"] == key_arn.rsplit("/", 1)[1]


def test_state_key_is_usable_only_through_this_accounts_iam(stack, account):
    kms = boto3.client("kms")
    key = stack.outputs["StateKeyArn"]
    policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    # moto hands back the template's policy object as it was; AWS returns a JSON string.
    policy = json.loads(policy) if isinstance(policy, str) else policy
    principals = [s["Principal"] for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert principals == [{"AWS": f"arn:aws:iam::{account}:root"}]
    # listed, not kms:*: what S3 needs for the state, and the key's administration
    (actions,) = [s["Action"] for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert not [a for a in actions if "*" in a]
    assert {"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:PutKeyPolicy"} <= set(actions)


def test_access_log_bucket_uses_sse_s3_because_log_delivery_cannot_use_kms(stack):
    rule = boto3.client("s3").get_bucket_encryption(Bucket=stack.outputs["AccessLogBucketName"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert rule["SSEAlgorithm"] == "AES256"


def test_moto_skips_only_the_bucket_policies(stack):
    assert stack.skipped_types == {"AWS::S3::BucketPolicy"}


@pytest.mark.parametrize("bucket", ["StateBucket", "AccessLogBucket"])
def test_buckets_are_versioned_private_owner_enforced_and_retained(template, bucket):
    resource = template["Resources"][bucket]
    props = resource["Properties"]
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"),
        True,
    )
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_state_bucket_logs_to_the_log_bucket_and_expires_only_old_versions(template):
    props = template["Resources"]["StateBucket"]["Properties"]
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    # Current state must never expire: only overwritten versions and delete markers do.
    assert "ExpirationInDays" not in rule
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == {"Ref": "NoncurrentStateVersionDays"}
    assert rule["ExpiredObjectDeleteMarker"] is True
    assert template["Parameters"]["NoncurrentStateVersionDays"]["MinValue"] >= 30


def _statements(template: dict, policy_resource: str) -> dict[str, dict]:
    doc = template["Resources"][policy_resource]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in doc["Statement"]}


@pytest.mark.parametrize("policy", ["StateBucketPolicy", "AccessLogBucketPolicy"])
def test_bucket_policies_deny_every_request_without_tls(template, policy):
    statement = _statements(template, policy)["DenyInsecureTransport"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statement["Resource"]) == 2  # the bucket and its objects


def test_state_bucket_policy_refuses_tls_below_1_2_and_sse_s3_writes(template):
    statements = _statements(template, "StateBucketPolicy")
    assert statements["DenyOutdatedTls"]["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}
    sse = statements["DenyStateNotEncryptedWithKms"]
    assert sse["Effect"] == "Deny"
    assert sse["Action"] == "s3:PutObject"
    assert sse["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": "aws:kms"}
    # A request without the header falls back to the bucket's KMS default, so it is allowed.
    assert sse["Condition"]["Null"] == {"s3:x-amz-server-side-encryption": "false"}


def test_log_bucket_accepts_deliveries_only_from_this_accounts_state_bucket(template):
    statement = _statements(template, "AccessLogBucketPolicy")["S3ServerAccessLogsFromStateBucket"]
    assert statement["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    assert source.endswith(":s3:::${Project}-tfstate-${AWS::AccountId}-${AWS::Region}")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("chat", True), ("acme-chat", True), ("Chat", False), ("c", False), ("9chat", False)],
)
def test_project_must_be_a_valid_bucket_name_prefix(template, value, accepted):
    pattern = template["Parameters"]["Project"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted
