"""Fixtures for the ops Lambdas: AWS through moto and real local HTTP endpoints."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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
from lambda_support import REGION, Answer, Endpoint, LambdaContext  # noqa: E402


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
