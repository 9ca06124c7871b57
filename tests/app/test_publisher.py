"""Publishing without a round trip per message (app/publisher.py), under eventlet, against a
real Redis: every payload arrives once and in order, bursts share pipelines, a failure is
reported with its count, a full queue refuses instead of growing, and a killed publisher
does not strand what was queued."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.processes import run_module
from tests.support.settings import BACKEND, REDIS_URL

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="Redis is the multi-process queue")


def test_publisher_pipelines_in_order_reports_failures_and_survives_a_kill():
    channel = f"pub-{uuid.uuid4().hex[:10]}"
    out = json.loads(
        run_module("tests.support.scripts.publisher", REDIS_URL, channel).strip().splitlines()[-1]
    )
    assert out["burst"] is True
    assert out["burst_pipelines"] == [250]  # one write for the whole burst
    assert out["spread_once"] is True and out["spread_order_per_thread"] is True
    assert out["spread_pipelines"] < 200  # puts that met a write under way shared the next one
    assert out["overflow_failures"] == [[1, "OverflowError"]] * 10
    assert out["queued_delivered"] == 300
    assert out["failed"] == [[5, "ConnectionError"]]
    assert out["after_failure"] == ["after"]
    # the killed write's payload is lost with it (the message is in the database; clients
    # recover it with `since`); the one queued behind it is published
    assert out["after_kill"] == ["survives"]
