"""app/gcpolicy.py against CPython's real collector: what survives a young collection leaves
the collector's walk, a cycle that dies among frozen objects waits for the full walk, and the
full walk comes when the memory held outgrows the open sockets, not before."""

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


class World:
    """The inputs the policy reads: open sockets, allocated blocks and a clock."""

    def __init__(self):
        self.open = 0
        self.blocks = 1_000_000
        self.now = 0.0

    def collector(self, **kw) -> Collector:
        options = {"slack_blocks": 0, "blocks_per_socket": 100, "min_gap": 30, **kw}
        return Collector(lambda: self.open, blocks=lambda: self.blocks, clock=lambda: self.now, **options)


@pytest.fixture
def hooked():
    gc.collect()
    gc.freeze()
    made = []

    def make(world: World) -> Collector:
        policy = world.collector()
        gc.callbacks.append(policy.after_collection)
        made.append(policy)
        return policy

    yield make
    for policy in made:
        policy.stop()
    gc.unfreeze()
    gc.collect()


def test_survivors_of_a_young_collection_are_frozen(hooked):
    hooked(World())
    held = cycles(2_000)
    frozen = gc.get_freeze_count()
    gc.collect(1)
    assert gc.get_freeze_count() >= frozen + 4_000
    assert len(gc.get_objects(2)) < 100  # a full collection now walks only what is new
    assert held


def test_garbage_of_a_young_collection_is_not_frozen(hooked):
    hooked(World())
    gone = cycles(1)
    probe = weakref.ref(gone[0])
    del gone
    assert probe() is not None  # a cycle: reference counting alone does not free it
    gc.collect(1)
    assert probe() is None  # collected, not frozen


def test_a_frozen_cycle_waits_for_the_walk(hooked):
    world = World()
    policy = hooked(world)
    sockets = cycles(1_000)
    gc.collect(1)
    probe = weakref.ref(sockets[0])
    del sockets  # a closed socket whose objects refer to each other
    gc.collect()
    assert probe() is not None  # frozen: the collector does not see it
    report = policy.walk()
    assert probe() is None
    assert report["collected"] >= 2_000
    assert len(gc.get_objects(2)) < 100  # the survivors are frozen again


def test_the_walk_comes_when_memory_outgrows_the_sockets(hooked):
    world = World()
    policy = hooked(world)
    world.now = 31
    # 1,000 sockets explain 100,000 blocks: the limit is 1,000,000 + 1.25 * 100,000
    world.open = 1_000
    world.blocks = 1_125_000
    assert policy.check() is None
    world.blocks = 1_125_001
    assert policy.check() is not None
    assert policy.walks == 1


def test_growth_with_the_sockets_is_not_a_walk(hooked):
    world = World()
    policy = hooked(world)
    world.now = 31
    for sockets in (1_000, 5_000, 10_000):
        world.open = sockets
        world.blocks = 1_000_000 + 110 * sockets  # 10 % more per socket than measured
        assert policy.check() is None
    world.open = 0  # every socket closed and the memory stayed: frozen cycles
    assert policy.check() is None  # not while the sockets may be coming back (a storm)
    world.now += 120
    assert policy.check() is None  # the 10,000 of 120 s ago still count
    world.now += 1
    assert policy.check() is not None


def test_a_process_with_few_sockets_walks_after_a_little_garbage(hooked):
    world = World()
    policy = world.collector(slack_blocks=50_000)
    world.now, world.open = 31, 20
    world.blocks = 1_000_000 + 2_500 + 50_000  # 20 sockets of 100 blocks, a quarter more, and 50,000
    assert policy.check() is None
    world.blocks += 1
    assert policy.check() is not None


def test_walks_are_spaced(hooked):
    world = World()
    policy = hooked(world)
    world.blocks = 10**9
    world.now = 29
    assert policy.check() is None  # 30 s after the start at the earliest
    world.now = 30
    assert policy.check() is not None
    world.blocks = 2 * 10**9  # what survived the walk is the new base; this outgrows it
    world.now = 59
    assert policy.check() is None
    world.now = 60
    assert policy.check() is not None


def test_a_walk_measures_what_a_socket_holds(hooked):
    world = World()
    policy = hooked(world)
    world.open = 200
    world.blocks = 1_000_000 + 200 * 300  # measured by the blocks seen after the walk
    policy.walk()
    assert policy.blocks_per_socket == 300


def test_switch():
    assert load({}, serving=False).gc_freeze is True
    assert load({"GC_FREEZE": "off"}, serving=False).gc_freeze is False
    with pytest.raises(ConfigError, match="GC_FREEZE"):
        load({"GC_FREEZE": "sometimes"}, serving=False)
