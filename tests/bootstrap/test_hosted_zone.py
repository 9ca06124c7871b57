"""The hosted zone stack: the environment's public zone, made before the first apply so that its
delegation can be set up before any certificate is validated through it."""

from __future__ import annotations

import json
import re

import boto3
import pytest

TEMPLATE = "hosted-zone.yaml"


@pytest.fixture
def zone_stack(aws, create_stack):
    return create_stack(TEMPLATE, Environment="staging", DomainName="staging.chat.example.com")


def test_zone_is_public_and_named_after_the_environments_domain(zone_stack):
    route53 = boto3.client("route53")
    (zone,) = route53.list_hosted_zones()["HostedZones"]
    assert zone["Name"].rstrip(".") == "staging.chat.example.com"
    assert zone["Config"]["PrivateZone"] is False
    delegation = route53.get_hosted_zone(Id=zone["Id"])["DelegationSet"]["NameServers"]
    assert len(delegation) == 4


def test_query_log_group_lives_where_route53_writes_and_only_route53_may_write(zone_stack, account):
    logs = boto3.client("logs", region_name="us-east-1")
    (group,) = logs.describe_log_groups()["logGroups"]
    assert group["logGroupName"] == "/aws/route53/staging.chat.example.com"
    assert group["retentionInDays"] == 30
    (policy,) = logs.describe_resource_policies()["resourcePolicies"]
    (statement,) = json.loads(policy["policyDocument"])["Statement"]
    assert statement["Principal"] == {"Service": "route53.amazonaws.com"}
    assert statement["Resource"].startswith(group["logGroupArn"])
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}


def test_outputs_give_the_zone_id_for_env_hcl_and_the_name_servers(load_template):
    # moto cannot resolve Fn::GetAtt on a hosted zone, so the outputs are read from the template.
    template = load_template(TEMPLATE)
    outputs = template["Outputs"]
    assert outputs["ZoneId"]["Value"] == {"Ref": "Zone"}
    assert outputs["NameServers"]["Value"] == {"Fn::Join": [",", {"Fn::GetAtt": ["Zone", "NameServers"]}]}
    zone = template["Resources"]["Zone"]["Properties"]
    assert zone["QueryLoggingConfig"]["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": ["QueryLogGroup", "Arn"]}


@pytest.mark.parametrize(
    ("domain", "accepted"),
    [
        ("chat.example.com", True),
        ("dev.chat.example.com", True),
        ("Chat.Example.com", False),
        ("chat.example.com.", False),
        ("-bad.example.com", False),
        ("localhost", False),
    ],
)
def test_domain_parameter_takes_only_lower_case_dns_names(load_template, domain, accepted):
    pattern = load_template(TEMPLATE)["Parameters"]["DomainName"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, domain)) is accepted


def test_query_logs_are_encrypted_with_a_key_only_this_log_group_may_use(load_template):
    resources = load_template(TEMPLATE)["Resources"]
    # moto's CloudFormation drops a log group's KmsKeyId, so the template is what is read.
    assert resources["QueryLogGroup"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["QueryLogKey", "Arn"]}
    policy = resources["QueryLogKey"]["Properties"]["KeyPolicy"]
    (service,) = [s for s in policy["Statement"] if s["Principal"].get("Service")]
    assert service["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    group_arn = (
        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/route53/${DomainName}"
    )
    assert service["Condition"] == {
        "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": {"Fn::Sub": group_arn}}
    }


def test_the_zone_is_signed_with_a_kms_key_signing_key(zone_stack, load_template):
    resources = load_template(TEMPLATE)["Resources"]
    key = resources["DnssecSigningKey"]["Properties"]
    assert key["KeySpec"] == "ECC_NIST_P256" and key["KeyUsage"] == "SIGN_VERIFY"  # what Route 53 accepts
    ksk = resources["KeySigningKey"]
    assert ksk["Type"] == "AWS::Route53::KeySigningKey" and ksk["Properties"]["Status"] == "ACTIVE"
    assert ksk["Properties"]["KeyManagementServiceArn"] == {"Fn::GetAtt": ["DnssecSigningKey", "Arn"]}
    assert ksk["Properties"]["HostedZoneId"] == {"Ref": "Zone"}
    signing = resources["ZoneSigning"]
    assert signing["Type"] == "AWS::Route53::DNSSEC" and signing["DependsOn"] == "KeySigningKey"
    route53 = [
        s
        for s in key["KeyPolicy"]["Statement"]
        if s["Principal"].get("Service") == "dnssec-route53.amazonaws.com"
    ]
    assert {a for s in route53 for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
        "kms:DescribeKey",
        "kms:GetPublicKey",
        "kms:Sign",
        "kms:CreateGrant",
    }
    assert all(
        s["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}} for s in route53
    )
    # moto has no DNSSEC: the signing resources are the only ones it skipped.
    assert zone_stack.skipped_types <= {"AWS::Route53::KeySigningKey", "AWS::Route53::DNSSEC"}


def test_no_key_policy_of_the_zone_grants_a_wildcard_action(load_template):
    resources = load_template(TEMPLATE)["Resources"]
    for name in ("QueryLogKey", "DnssecSigningKey"):
        for statement in resources[name]["Properties"]["KeyPolicy"]["Statement"]:
            actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            assert all("*" not in a for a in actions), (name, statement["Sid"])
