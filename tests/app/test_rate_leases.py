"""The leased send limit (app/store.py) against a real Redis: several processes' stores
sharing one limit never let through more than the limit allows, and a single client
still gets its whole burst."""

from __future__ import annotations

import time
import uuid

import pytest
import redis

from app.config import Rate, load
from app.storage.state import RedisState
from tests.support.processes import run_module
from tests.support.settings import BACKEND, REDIS_URL

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="the Redis store is the multi-process one")


@pytest.fixture
def stores():
    channel = f"leases-{uuid.uuid4().hex[:10]}"
    config = load({"SECRET_KEY": "k" * 40, "REDIS_URL": REDIS_URL, "SOCKETIO_CHANNEL": channel})
    made = [RedisState(config, f"inst{i}") for i in range(3)]
    yield made
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{channel}:*"):
        client.delete(key)


def test_one_process_gets_exactly_its_burst_then_waits(stores):
    store, rate = stores[0], Rate(count=10, period=1.0, burst=20)
    waits = [store.hit_leased("send:1", rate) for _ in range(40)]
    allowed = sum(1 for w in waits if w == 0)
    assert 20 <= allowed <= 21  # the burst, plus at most one token that refilled meanwhile
    refused = [w for w in waits if w > 0]
    assert refused and all(0 < w <= 0.1 + 1e-6 for w in refused)
    time.sleep(0.25)  # two tokens come back
    assert store.hit_leased("send:1", rate) == 0


def test_processes_sharing_a_limit_never_exceed_it(stores):
    rate = Rate(count=50, period=1.0, burst=40)
    started = time.monotonic()
    allowed = 0
    for k in range(600):  # round-robin over three "processes", as fast as Redis answers
        if stores[k % 3].hit_leased("send:2", rate) == 0:
            allowed += 1
    elapsed = time.monotonic() - started
    ceiling = rate.burst + elapsed * rate.count / rate.period + 1
    assert allowed <= ceiling, f"{allowed} allowed in {elapsed:.2f}s, the limit allows {ceiling:.0f}"
    # leases lapse unused: fewer than the limit is allowed, but not many fewer
    assert allowed >= rate.burst - 3 * 9


def test_busy_subjects_use_few_round_trips(stores):
    store, rate = stores[0], Rate(count=100_000, period=1.0, burst=100_000)
    calls = 0
    real = store._script

    def counting(*args):
        nonlocal calls
        calls += 1
        return real(*args)

    store._script = counting
    for _ in range(200):
        assert store.hit_leased("send:3", rate) == 0
    assert calls <= 20, f"{calls} Redis round trips for 200 sends"


def test_an_unused_lease_lapses(stores):
    store, rate = stores[0], Rate(count=1000, period=1.0, burst=1000)
    store.lease_ttl = 0.3
    for _ in range(10):
        store.hit_leased("send:4", rate)
    assert store._leases["send:4"].left > 0
    time.sleep(store.lease_ttl + 0.05)
    before = store._leases["send:4"]
    assert store.hit_leased("send:4", rate) == 0
    assert store._leases["send:4"] is not before and store._leases["send:4"].size == 1


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_burst_fired_at_once_gets_the_whole_burst(mode):
    """60 sends fired together (a client that does not wait for acks), each on its own green
    thread as in the server: the burst of 20 is granted in full, none of it stranded in a
    lease while concurrent requests were refused."""
    out = run_module("tests.support.scripts.lease_burst", REDIS_URL, mode)
    allowed, answered, elapsed = out.split()
    assert int(answered) == 60
    assert 20 <= int(allowed) <= 20 + float(elapsed) * 10 + 1, out
