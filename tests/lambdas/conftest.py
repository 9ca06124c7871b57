"""Fixtures for the ops Lambdas: AWS through moto and real local HTTP endpoints."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (HERE, ROOT / "lambdas/alarm_router", ROOT / "lambdas/snapshot_pruner"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# Imported here, while pytest's session-wide capture is in place: Powertools' logger keeps the
# stdout it was created with, and one created inside a test would keep that test's capsys.
import alarm_router.handler  # noqa: E402, F401
import snapshot_pruner.handler  # noqa: E402, F401
from lambda_support import (  # noqa: E402
    ALARM,
    REGION,
    ROUTER_PREFIX,
    Answer,
    Endpoint,
    LambdaContext,
    put_alarm,
    receiver_ca,
)


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def aws(monkeypatch):
    """moto for every AWS API, with credentials that can reach nothing real."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    # Another suite's moto server endpoint would take these clients away from the in-process mock.
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key)
    with mock_aws():
        yield


@pytest.fixture
def endpoints():
    """Slack (answers 200 "ok"), PagerDuty (202) and a generic webhook (204-like 200)."""
    made = {
        "slack": Endpoint("slack", Answer(200, body="ok")),
        "pagerduty": Endpoint("pagerduty", Answer(202, body='{"status":"success"}')),
        "webhook": Endpoint("webhook", Answer(200)),
    }
    yield made
    for endpoint in made.values():
        endpoint.close()


@pytest.fixture
def endpoint():
    one = Endpoint("hook", Answer(200))
    yield one
    one.close()


@pytest.fixture
def router(aws, endpoints, monkeypatch):
    from alarm_router import handler

    secrets = boto3.client("secretsmanager")
    secrets.create_secret(
        Name=ROUTER_PREFIX + "slack", SecretString=json.dumps({"webhook_url": endpoints["slack"].url})
    )
    secrets.create_secret(
        Name=ROUTER_PREFIX + "pagerduty",
        SecretString=json.dumps({"routing_key": "R0UT1NGKEY", "url": endpoints["pagerduty"].url}),
    )
    secrets.create_secret(
        Name=ROUTER_PREFIX + "webhook",
        SecretString=json.dumps({"url": endpoints["webhook"].url, "hmac_key": "sign-me"}),
    )
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="chat-test-alarm-router-dlq")["QueueUrl"]
    inbox = sqs.create_queue(QueueName="chat-test-oncall-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="chat-test-oncall-email")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    boto3.client("dynamodb").create_table(
        TableName="chat-test-alarm-router-idempotency",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    boto3.client("dynamodb").create_table(
        TableName="chat-test-alarm-router-state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    put_alarm(ALARM, {"Env": "prod", "Severity": "critical"})
    for key, value in {
        "ENV": "dev",
        "SECRET_PREFIX": ROUTER_PREFIX,
        "EMAIL_TOPIC_ARN": topic,
        "DLQ_URL": dlq,
        "IDEMPOTENCY_TABLE": "chat-test-alarm-router-idempotency",
        "STATE_TABLE": "chat-test-alarm-router-state",
        "HTTP_TIMEOUT_SECONDS": "0.3",
        "HTTP_MAX_ATTEMPTS": "3",
        "HTTP_BACKOFF_BASE_SECONDS": "0.01",
        "HTTP_BACKOFF_CAP_SECONDS": "0.05",
        "RECEIVER_CA_BUNDLE": receiver_ca().ca_file,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ROUTES_PARAMETER", raising=False)
    handler.reset()

    def invoke(event):
        return handler.lambda_handler(event, LambdaContext())

    def dead_letters():
        answer = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]

    def emails():
        answer = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)
        return [m["Body"] for m in answer.get("Messages", [])]

    yield SimpleNamespace(
        handler=handler,
        invoke=invoke,
        dead_letters=dead_letters,
        emails=emails,
        slack=endpoints["slack"],
        pagerduty=endpoints["pagerduty"],
        webhook=endpoints["webhook"],
        monkeypatch=monkeypatch,
    )
    handler.reset()
