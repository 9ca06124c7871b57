"""python-socketio's room map with an index of each client's rooms beside it.

The stock ``Manager.basic_disconnect`` finds the rooms of a closing client by copying the
namespace's whole room map and asking every room whether the client is in it. Every client
has a room of its own, so one disconnect costs time in proportion to the clients connected,
and a process with 10,000 sockets spent ~10 ms of CPU on each of them: 100 s of work when
they all dropped at once (docs/benchmarks.md, "Many sockets"), during which nothing else ran.

``IndexedManager`` keeps, for each client, the rooms it entered (the map python-socketio
keeps is unchanged and still the one emits read), so a disconnect leaves exactly those
rooms; and it keeps the clients whose connect or disconnect is in progress in ordered dicts
instead of lists (``Waiting``). What it overrides, and the attributes it relies on (``rooms``, ``callbacks``,
``pending_connect``, ``pending_disconnect``), are python-socketio 5.18's; app/fastpath
checks the names at start and tests/app/test_fastpath.py compares it with the stock manager.
"""

from __future__ import annotations

import socketio


class Waiting(dict):
    """The clients of a namespace whose connect or disconnect is in progress: python-socketio
    keeps them in a list it scans on every event (``is_connected``), a cost in proportion to
    the connects in progress, thousands in a reconnect storm. The same operations (append,
    remove, ``in``, ``len``) on an ordered dict."""

    def append(self, sid) -> None:
        self[sid] = None

    def remove(self, sid) -> None:
        del self[sid]


class WaitingByNamespace(dict):
    """Turns the empty list python-socketio stores for a namespace into a ``Waiting``."""

    def __setitem__(self, namespace, waiting) -> None:
        super().__setitem__(namespace, Waiting.fromkeys(waiting))


class IndexedManager(socketio.Manager):
    def __init__(self):
        super().__init__()
        # (namespace, sid) -> its rooms, in the order entered (a dict used as an ordered set)
        self.rooms_of: dict[tuple[str, str], dict] = {}
        self.pending_connect = WaitingByNamespace()
        self.pending_disconnect = WaitingByNamespace()

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self.rooms_of.setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self, sid, namespace, room):
        super().basic_leave_room(sid, namespace, room)
        mine = self.rooms_of.get((namespace, sid))
        if mine is not None:
            mine.pop(room, None)
            if not mine:
                del self.rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid, namespace, **kwargs):
        mine = self.rooms_of.get((namespace, sid))
        if namespace not in self.rooms:
            self.rooms_of.pop((namespace, sid), None)
            return
        for room in list(mine or ()):
            self.basic_leave_room(sid, namespace, room)
        self.rooms_of.pop((namespace, sid), None)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def get_rooms(self, sid, namespace):
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]
