"""``Delivery``: the one place events leave the service.

The rules (``Events``: message, message_updated, message_deleted) and the socket layer
(presence, typing, disconnects) hand their events here; each becomes one envelope on the bus.
Every process receives every envelope: chat messages pass through the ``Reorderer`` (room
sequence order, joins gated), everything else goes out at once; either way to this
process's sockets of the room, through the stock Socket.IO manager.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .envelope import DISCONNECT, EVICT, envelope, room_key, user_key
from .ordering import Reorderer

log = logging.getLogger("chat.delivery")

NAMESPACE = "/"


class Delivery:
    def __init__(self, sio, bus, fetch: Callable[[str, int], dict | None] | None = None, gap_timeout=1.0):
        """``sio``: the python-socketio server; ``bus``: RedisBus or LocalBus; ``fetch(room,
        seq)``: a stored message by sequence number (fills a gap left by a lost publish)."""
        self.sio = sio
        self.bus = bus
        self.fetch = fetch
        self.reorderer = Reorderer(self._deliver, self._fetch_envelope, gap_timeout)
        self.local_sids: Callable[[], list[str]] = list  # set by the socket layer
        self.evict_local: Callable[[str, int], None] = lambda room, user_id: None  # likewise

    def start(self) -> None:
        self.bus.start(self.receive, self.reset)

    # ------------------------------------------------------------------ what is said
    def message(self, msg: dict | None, room: str, seq: int | None) -> None:
        if seq is None:
            if msg is not None:
                self.bus.publish(envelope("message", msg, room))
            return
        self.bus.publish(envelope("message", msg, room, seq=seq))

    def message_updated(self, msg: dict) -> None:
        self.bus.publish(envelope("message_updated", msg, msg["room"]))

    def message_deleted(self, gone: dict) -> None:
        self.bus.publish(envelope("message_deleted", gone, gone["room"]))

    def presence(self, room: str, user: str, status: str, skip_sid: str | None = None) -> None:
        self.bus.publish(
            envelope("presence", {"room": room, "user": user, "status": status}, room, skip_sid=skip_sid)
        )

    def typing(self, room: str, user: str, skip_sid: str) -> None:
        self.bus.publish(envelope("typing", {"room": room, "user": user}, room, skip_sid=skip_sid))

    def member_added(self, room, username: str, user_id: int, *, others_see: bool = True) -> None:
        """To the room's sockets (unless ``others_see`` is off: a new DM) and every socket of the
        user, with the room as they see it."""
        self.bus.publish(
            envelope(
                "member_added",
                {"room": room.as_dict(viewer=username), "user": username},
                room.name if others_see else None,
                users=[user_id],
            )
        )

    def member_removed(self, room: str, username: str, user_id: int) -> None:
        self.bus.publish(envelope("member_removed", {"room": room, "user": username}, room, users=[user_id]))
        self.bus.publish(envelope(EVICT, {"room": room, "user_id": user_id}))

    def mention(self, room: str, msg: dict, user_ids: list[int]) -> None:
        if user_ids:
            self.bus.publish(envelope("mention", {"room": room, "message": msg}, users=user_ids))

    def read(self, room: str, last_read: int | None, user_id: int, skip_sid: str | None = None) -> None:
        self.bus.publish(
            envelope("read", {"room": room, "last_read": last_read}, users=[user_id], skip_sid=skip_sid)
        )

    def reactions(self, message_id: int, room: str, reactions: list) -> None:
        self.bus.publish(
            envelope("reactions", {"id": message_id, "room": room, "reactions": reactions}, room)
        )

    def disconnect(self, sids: list[str]) -> None:
        """Close sockets by id on whichever process holds them (logout)."""
        if sids:
            self.bus.publish(envelope(DISCONNECT, list(sids)))

    # ------------------------------------------------------------------ what is heard
    def receive(self, env: dict) -> None:
        if env["event"] == DISCONNECT:
            mine = set(self.local_sids())
            for sid in env["data"]:
                if sid in mine:
                    self._close(sid)
        elif env["event"] == EVICT:
            self.evict_local(env["data"]["room"], env["data"]["user_id"])
        elif env.get("seq") is not None:
            self.reorderer.push(env["room"], env["seq"], env)
        else:
            self._deliver(env, None, ())

    def _deliver(self, env: dict, _seq, skip) -> None:
        if env["data"] is None:
            return  # a burnt number: it only moves the room's sequence on
        skip_sids = list(skip)
        if env.get("skip"):
            skip_sids.append(env["skip"])
        to = [user_key(u) for u in env.get("users") or ()]
        if env["room"] is not None:
            to.append(room_key(env["room"]))
        # a list of rooms reaches each socket once, however many of them it is in; one room
        # goes as a name (a list costs a copy of the room's participants per emit)
        target = to[0] if len(to) == 1 else to
        self.sio.emit(env["event"], env["data"], to=target, skip_sid=skip_sids or None, namespace=NAMESPACE)

    def send_to_sid(self, sid: str, env: dict) -> None:
        """One held message to one local socket (a join's catch-up)."""
        self.sio.emit(env["event"], env["data"], to=sid, namespace=NAMESPACE)

    def _fetch_envelope(self, room: str, seq: int) -> dict | None:
        msg = None if self.fetch is None else self.fetch(room, seq)
        return None if msg is None else envelope("message", msg, room, seq=seq)

    def close_gaps(self) -> int:
        return self.reorderer.close_gaps()

    # ------------------------------------------------------------------ joins
    def begin_join(self, room: str, sid: str) -> None:
        self.reorderer.begin_join(room, sid)

    def end_join(self, room: str, sid: str, last_seq: int) -> None:
        self.reorderer.end_join(room, sid, last_seq, lambda env: self.send_to_sid(sid, env))

    def forget_socket(self, room: str, sid: str) -> None:
        self.reorderer.forget_socket(room, sid)

    # ------------------------------------------------------------------ after an outage
    def reset(self) -> None:
        """The subscription came back: what was published meanwhile was missed here. Every
        local client reconnects and catches up with ``since``."""
        self.reorderer.reset()
        sids = self.local_sids()
        log.warning("message queue resubscribed; resetting local sockets", extra={"count": len(sids)})
        for sid in sids:
            self._close(sid)

    def _close(self, sid: str) -> None:
        try:
            self.sio.disconnect(sid, namespace=NAMESPACE)
        except Exception:  # noqa: BLE001 - the socket may be closing already
            log.warning("could not disconnect socket", extra={"sid": sid})
