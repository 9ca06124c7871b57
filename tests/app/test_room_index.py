"""app/fastpath/rooms.py: the indexed room map against python-socketio's own, operation for
operation, and a disconnect that no longer walks every room."""

from __future__ import annotations

import random

import pytest
import socketio

from app.fastpath.rooms import IndexedManager, Waiting

NS = "/"


def managers():
    out = []
    for cls in (socketio.Manager, IndexedManager):
        manager = cls()
        manager.set_server(socketio.Server())
        out.append(manager)
    return out


def test_same_rooms_as_the_stock_manager_through_a_random_run():
    stock, indexed = managers()
    rng = random.Random(7)
    connected: list[tuple[str, str]] = []  # (stock sid, indexed sid)
    names = [f"room-{i}" for i in range(8)]
    for step in range(3_000):
        op = rng.random()
        if op < 0.25 or not connected:
            eio = f"eio-{step}"
            pair = (stock.connect(eio, NS), indexed.connect(eio, NS))
            connected.append(pair)
        elif op < 0.55:
            room = rng.choice(names)
            for manager, sid in zip((stock, indexed), rng.choice(connected), strict=True):
                manager.enter_room(sid, NS, room)
        elif op < 0.75:
            room = rng.choice(names)
            for manager, sid in zip((stock, indexed), rng.choice(connected), strict=True):
                manager.leave_room(sid, NS, room)
        elif op < 0.8:
            room = rng.choice(names)
            stock.close_room(room, NS)
            indexed.close_room(room, NS)
        else:
            pair = connected.pop(rng.randrange(len(connected)))
            for manager, sid in zip((stock, indexed), pair, strict=True):
                manager.pre_disconnect(sid, NS)
                manager.disconnect(sid, NS)
        # the sids differ between the two managers; the rooms' shapes must not
        assert _shape(stock, connected, 0) == _shape(indexed, connected, 1), step
        for stock_sid, indexed_sid in connected[-3:]:
            theirs = sorted(r for r in stock.get_rooms(stock_sid, NS) if r != stock_sid)
            ours = sorted(r for r in indexed.get_rooms(indexed_sid, NS) if r != indexed_sid)
            assert theirs == ours, step
    assert not indexed.pending_disconnect and not stock.pending_disconnect


def _shape(manager, connected, side):
    """Rooms by name -> the positions (in ``connected``) of their members, sid rooms aside."""
    position = {pair[side]: i for i, pair in enumerate(connected)}
    shape = {}
    for room, members in manager.rooms.get(NS, {}).items():
        if room in position:
            assert set(members) == {room}  # a sid room holds that sid alone
            continue
        shape[room] = sorted(position[sid] for sid in members)
    return shape


def test_everything_of_a_client_goes_with_it():
    _, manager = managers()
    sid = manager.connect("eio-1", NS)
    other = manager.connect("eio-2", NS)
    for room in ("a", "b"):
        manager.enter_room(sid, NS, room)
        manager.enter_room(other, NS, room)
    manager.pre_disconnect(sid, NS)
    manager.disconnect(sid, NS)
    assert (NS, sid) not in manager.rooms_of
    assert set(manager.rooms[NS]) == {None, other, "a", "b"}
    assert all(sid not in members for members in manager.rooms[NS].values())
    assert manager.get_rooms(other, NS) == [other, "a", "b"]


class NoScan(dict):
    """A room map that refuses to be walked: what the stock disconnect does."""

    def copy(self):
        raise AssertionError("the whole room map was walked")

    def items(self):
        raise AssertionError("the whole room map was walked")


@pytest.mark.parametrize("cls", [socketio.Manager, IndexedManager])
def test_a_disconnect_does_not_walk_every_room(cls):
    manager = cls()
    manager.set_server(socketio.Server())
    sids = [manager.connect(f"eio-{i}", NS) for i in range(100)]
    for sid in sids:
        manager.enter_room(sid, NS, "lobby")
    manager.rooms[NS] = NoScan(manager.rooms[NS])
    if cls is socketio.Manager:
        with pytest.raises(AssertionError, match="walked"):
            manager.disconnect(sids[0], NS)
        return
    manager.disconnect(sids[0], NS)
    assert sids[0] not in manager.rooms[NS]["lobby"]
    assert len(manager.rooms[NS]["lobby"]) == 99


def test_connects_in_progress_are_found_without_a_scan():
    stock, indexed = managers()
    for manager in (stock, indexed):
        sids = [manager.pre_connect(f"eio-{i}", NS) for i in range(3)]
        assert manager.is_pre_connected(sids[1], NS)
        assert not manager.is_connected(sids[1], NS)  # in progress
        manager.connect(sids[1], NS)
        assert manager.is_connected(sids[1], NS)
        assert not manager.is_pre_connected(sids[1], NS)
        assert list(manager.pending_connect[NS]) == [sids[0], sids[2]]  # the order kept
        manager.pre_disconnect(sids[1], NS)
        assert not manager.is_connected(sids[1], NS)
        manager.disconnect(sids[1], NS)
        for sid in (sids[0], sids[2]):
            manager.connect(sid, NS)
        assert NS not in manager.pending_connect and NS not in manager.pending_disconnect
    indexed.pre_connect("eio-9", NS)
    assert isinstance(indexed.pending_connect[NS], Waiting)  # what python-socketio scans
