"""The alarm contacts stack: an encrypted topic CloudWatch may publish to, and its subscribers."""

from __future__ import annotations

import json
import re

import boto3
import pytest

TEMPLATE = "alarm-contacts.yaml"


def test_topic_is_named_for_the_environment_and_the_primary_mailbox_is_subscribed(
    create_stack, account, region
):
    stack = create_stack(TEMPLATE, Environment="staging", PrimaryEmail="oncall@example.com")
    topic = f"arn:aws:sns:{region}:{account}:chat-staging-alarm-contacts"
    assert stack.outputs["ContactsTopicArn"] == topic
    subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic)
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [
        ("email", "oncall@example.com")
    ]


def test_topic_is_encrypted_with_its_own_key_that_cloudwatch_may_use(create_stack):
    stack = create_stack(TEMPLATE, Environment="dev", PrimaryEmail="oncall@example.com")
    attributes = boto3.client("sns").get_topic_attributes(TopicArn=stack.outputs["ContactsTopicArn"])[
        "Attributes"
    ]
    assert attributes["KmsMasterKeyId"] == "alias/chat-dev-alarm-contacts"
    kms = boto3.client("kms")
    key = stack.outputs["ContactsKeyArn"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True
    policy = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    # moto hands back the template's policy object as it was; AWS returns a JSON string.
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statements = {s["Sid"]: s for s in policy["Statement"]}
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]}
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}


def test_optional_contacts_are_separate_conditional_subscriptions(create_stack, load_template):
    # moto cannot create AWS::SNS::Subscription or AWS::SNS::TopicPolicy from a template; the
    # stack still completes, and their definitions are checked from the template.
    stack = create_stack(
        TEMPLATE,
        Environment="prod",
        PrimaryEmail="oncall@example.com",
        SecondaryEmail="lead@example.com",
        PagerHttpsEndpoint="https://events.pager.example/integration/abc",
    )
    assert stack.skipped_types == {"AWS::SNS::Subscription", "AWS::SNS::TopicPolicy"}
    resources = load_template(TEMPLATE)["Resources"]
    assert resources["SecondaryEmailSubscription"]["Condition"] == "HasSecondaryEmail"
    assert resources["SecondaryEmailSubscription"]["Properties"]["Protocol"] == "email"
    assert resources["PagerSubscription"]["Condition"] == "HasPager"
    assert resources["PagerSubscription"]["Properties"]["Protocol"] == "https"


def test_without_optional_contacts_only_the_topic_policy_is_skipped(create_stack):
    stack = create_stack(TEMPLATE, Environment="prod", PrimaryEmail="oncall@example.com")
    assert stack.skipped_types == {"AWS::SNS::TopicPolicy"}


def test_topic_policy_lets_only_this_accounts_alarms_publish_over_tls(load_template):
    statements = {
        s["Sid"]: s
        for s in load_template(TEMPLATE)["Resources"]["ContactsTopicPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
    }
    alarms = statements["CloudWatchAlarmsOfThisAccount"]
    assert alarms["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert alarms["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    tls = statements["DenyInsecureTransport"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("PrimaryEmail", "oncall@example.com", True),
        ("PrimaryEmail", "", False),
        ("PrimaryEmail", "oncall", False),
        ("SecondaryEmail", "", True),
        ("SecondaryEmail", "a b@example.com", False),
        ("PagerHttpsEndpoint", "", True),
        ("PagerHttpsEndpoint", "http://pager.example/x", False),
    ],
)
def test_contact_parameters_refuse_malformed_values(load_template, parameter, value, accepted):
    pattern = load_template(TEMPLATE)["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_pager_endpoint_is_not_echoed(load_template):
    assert load_template(TEMPLATE)["Parameters"]["PagerHttpsEndpoint"]["NoEcho"] is True


def test_budget_is_made_once_per_account_by_the_us_east_1_copy(create_stack, load_template):
    west = create_stack(
        TEMPLATE, Environment="prod", PrimaryEmail="oncall@example.com", MonthlyBudgetUsd="1800"
    )
    assert "AWS::Budgets::Budget" not in west.skipped_types
    east = create_stack(
        TEMPLATE,
        region="us-east-1",
        Environment="prod",
        PrimaryEmail="oncall@example.com",
        MonthlyBudgetUsd="1800",
    )
    # moto has no Budgets resource for CloudFormation: that it was attempted proves the condition
    # held; what it would make is read from the template.
    assert "AWS::Budgets::Budget" in east.skipped_types
    budget = load_template(TEMPLATE)["Resources"]["CostBudget"]
    assert budget["Condition"] == "HasBudget"
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications
    ] == [
        ("ACTUAL", 80),
        ("FORECASTED", 100),
    ]
    assert all(
        n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": "ContactsTopic"}}]
        for n in notifications
    )


def test_no_budget_without_an_amount(create_stack):
    east = create_stack(TEMPLATE, region="us-east-1", Environment="dev", PrimaryEmail="oncall@example.com")
    assert "AWS::Budgets::Budget" not in east.skipped_types


def test_budgets_may_publish_to_the_topic(load_template):
    statements = {
        s["Sid"]: s
        for s in load_template(TEMPLATE)["Resources"]["ContactsTopicPolicy"]["Properties"]["PolicyDocument"][
            "Statement"
        ]
    }
    budgets = statements["BudgetsOfThisAccount"]
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert budgets["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
