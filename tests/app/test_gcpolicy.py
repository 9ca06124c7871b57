"""app/gcpolicy.py against CPython's real collector: what is frozen leaves the collector's
walk, what dies in a cycle among frozen objects waits for the next full walk, and the full
walk comes after the socket turnover, not before."""

from __future__ import annotations

import gc
import weakref

import pytest

from app.config import ConfigError, load
from app.gcpolicy import Collector


class Node:
    def __init__(self):
        self.other = None


def cycles(n: int) -> list[Node]:
    out = []
    for _ in range(n):
        a, b = Node(), Node()
        a.other, b.other = b, a
        out.append(a)
    return out


@pytest.fixture
def counters():
    gc.collect()
    gc.freeze()  # what the test process holds already stays out of the figures
    state = {"open": 100, "closed": 0}
    yield state
    gc.unfreeze()
    gc.collect()


def collector(state, **kw) -> Collector:
    return Collector(lambda: state["open"], lambda: state["closed"], batch=1_000, floor=50, **kw)


def test_survivors_are_frozen_in_batches(counters):
    policy = collector(counters)
    assert policy.tick() is None  # nothing young enough to bother
    held = cycles(2_000)  # 4,000 objects that live on
    gc.collect()  # they reach the oldest generation
    frozen = gc.get_freeze_count()
    assert policy.tick() == "freeze"
    assert gc.get_freeze_count() >= frozen + 4_000
    assert len(gc.get_objects(2)) < 1_000  # a full collection now walks only what is new
    assert held


def test_young_garbage_is_collected_not_frozen(counters):
    policy = collector(counters)
    keep = cycles(1_000)
    gc.collect()  # old enough to be frozen
    gone = cycles(1)  # young, and dead before the freeze
    probe = weakref.ref(gone[0])
    del gone
    assert probe() is not None  # a cycle: reference counting alone does not free it
    assert policy.tick() == "freeze"
    assert probe() is None  # collected first, not frozen with the rest
    assert keep


def test_frozen_cycle_waits_for_the_walk_after_the_turnover(counters):
    policy = collector(counters)
    sockets = cycles(1_000)
    gc.collect()
    assert policy.tick() == "freeze"
    probe = weakref.ref(sockets[0])
    del sockets  # a closed socket whose objects refer to each other
    gc.collect()
    assert probe() is not None  # frozen: the collector does not see it

    counters["closed"] = 49  # below the floor of 50 closed sockets
    assert policy.tick() is None
    assert probe() is not None

    counters["closed"] = 50
    assert policy.tick() == "walk"
    assert probe() is None
    assert policy.walks == 1 and policy.frozen_since_walk == 0
    assert len(gc.get_objects(2)) < 1_000  # the survivors are frozen again
    assert policy.tick() is None  # the count starts again from the walk


def test_turnover_scales_with_the_open_sockets(counters):
    counters["open"] = 1_000
    policy = collector(counters)
    held = cycles(1_000)
    gc.collect()
    assert policy.tick() == "freeze"
    counters["closed"] = 249  # a quarter of 1,000 is 250
    assert policy.tick() is None
    counters["closed"] = 250
    assert policy.tick() == "walk"
    assert held


def test_nothing_frozen_means_no_walk(counters):
    policy = collector(counters)
    counters["closed"] = 10_000
    assert policy.tick() is None  # closed sockets, but nothing frozen since: nothing to find


def test_switch():
    assert load({}, serving=False).gc_freeze is True
    assert load({"GC_FREEZE": "off"}, serving=False).gc_freeze is False
    with pytest.raises(ConfigError, match="GC_FREEZE"):
        load({"GC_FREEZE": "sometimes"}, serving=False)
