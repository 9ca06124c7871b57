"""Socket.IO transport: authenticate the connect, parse events, call the actions, ack.

Every client-to-server event answers through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {...}}``; errors become that envelope here and nowhere else. A
malformed payload never disconnects the client. What a room hears leaves through
``Delivery`` (app/delivery), never from here directly.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from socketio.exceptions import ConnectionRefusedError as ConnectRefused

from ..chat import Chat, validate
from ..delivery.delivery import Delivery
from ..delivery.envelope import room_key, user_key
from ..errors import ChatError, Unavailable
from ..models import User
from .admission import TICKET
from .turns import Turns

log = logging.getLogger("chat.socket")
# Events with a per-user limit of their own (chat/limits.py); send, edit and react count
# toward the send limit in the rules.
EVENT_LIMITS = {"typing": "typing", "join": "join", "leave": "join", "delete": "delete"}
EVENTS = ("join", "leave", "send", "edit", "delete", "typing", "react", "read")
# A join waits this long at most for its turn (the action's own deadline starts with its turn)
JOIN_QUEUE_SECONDS = 30.0
# A join of a room sent again this long after one still waiting for its turn replaces it: the
# client's acknowledgement timed out and it retried (after 10 s in the load generator). Joins
# sent together reach their handlers more than 2 s apart on a loaded process (a flood of 400
# did), and those must all run: hence half of that timeout
REPLACE_JOIN_AFTER = 5.0
# A connect (session lookup and registration) waits this long at most for its turn; the
# client's own connect timeout (socket.io-client: 20 s) usually ends the wait first
HANDSHAKE_QUEUE_SECONDS = 30.0
# how long a connect waits, at most, for the joins waiting for their turns to get one
JOINS_FIRST_SECONDS = 5.0
# closed sockets unregistered from the shared state in one round trip, at most
CLOSE_BATCH = 500


@dataclass
class SocketState:
    user: User
    rooms: set[str] = field(default_factory=set)
    joining: dict[str, tuple] = field(default_factory=dict)  # room -> its newest join waiting


class SocketHandlers:
    def __init__(self, sio, chat: Chat, delivery: Delivery, metrics):
        """``sio``: the python-socketio server."""
        self.sio = sio
        self.chat = chat
        self.delivery = delivery
        self.metrics = metrics
        self.sockets: dict[str, SocketState] = {}
        # joins in progress at once: as many as the reads' pool holds connections (pool and
        # overflow), so a burst of reconnects queues here instead of for the pool inside each
        # join's 5 s deadline (where the last of a burst ran out of time after waiting and were
        # answered `unavailable`); newest first, so that a storm is answered while its clients
        # still wait for the answers (transport/turns.py)
        self.join_turns = Turns(max(1, 2 * chat.config.db_pool_size))
        # connects in progress at once: a quarter of the Redis pool, so that a storm of
        # reconnects queues here, in order and outside the lookup's 5 s deadline, instead of
        # thousands of lookups waiting together for the pool (and refused `unavailable`)
        self.handshake_turns = threading.BoundedSemaphore(max(2, chat.config.redis_pool_size // 4))
        # closed sockets whose shared state is still to be unregistered: (session, sid, rooms)
        self.closing: list[tuple[str, str, list[str]]] = []
        delivery.local_sids = lambda: list(self.sockets)
        delivery.evict_local = self.evict

    # ------------------------------------------------------------ wiring
    def register(self) -> None:
        # registered on python-socketio itself: Flask-SocketIO would push a Flask request
        # context for every event, 13 % of the CPU of a busy server
        self.sio.on("connect", self.on_connect, namespace="/")
        self.sio.on("disconnect", self.on_disconnect, namespace="/")
        for name in EVENTS:
            self.sio.on(name, self._event(name, getattr(self, "on_" + name)), namespace="/")
        self.sio.on("*", self.on_unknown, namespace="/")
        self._close_on_malformed_frames()

    def _close_on_malformed_frames(self) -> None:
        """A frame that is not Socket.IO (bad JSON, an unknown packet type) closes the
        connection, as the reference server does, instead of leaving the client to wait for
        an answer until the ping timeout. python-socketio raises on such a frame; its
        handler of Engine.IO messages is wrapped through Engine.IO's own ``on``."""
        eio = self.sio.eio
        dispatch = eio.handlers["message"]

        def on_message(eio_sid, data):
            try:
                if not data:  # python-socketio reads an empty message as an empty event
                    raise ValueError("an empty Socket.IO packet")
                return dispatch(eio_sid, data)
            except (ValueError, TypeError, IndexError, KeyError) as exc:
                # python-socketio's parser and dispatch raise these on a frame that is not
                # Socket.IO; the events' own handlers never raise (app/chat/guard.py)
                log.info("malformed Socket.IO frame: connection closed", extra={"error": str(exc)[:200]})
                # not here: closing waits until the close packet is taken, which for long
                # polling is the client's next GET, after this POST is answered
                eio.start_background_task(eio.disconnect, eio_sid)
                return None

        eio.on("message", on_message)

    @staticmethod
    def on_unknown(event, _sid=None, *_args):
        """A misspelt event is answered, so a client waiting on its ack does not wait forever."""
        name = str(event)[:64]
        return {"ok": False, "error": {"code": "not_found", "message": f"no event named {name!r}"}}

    def _event(self, name: str, fn):
        def handler(sid, *args):
            started = time.perf_counter()
            state = self.sockets.get(sid)
            try:
                if state is None:
                    raise ChatError("unauthorized", "the connection is not authenticated")
                if name in EVENT_LIMITS:
                    self.chat.limits.check(state.user, EVENT_LIMITS[name])
                result = fn(state, sid, args[0] if args else None)
                out = {"ok": True, **(result or {})}
            except ChatError as exc:
                if exc.code == "internal":
                    self.metrics.error()
                out = {"ok": False, "error": exc.as_dict()}
                if exc.retry_after is not None:
                    # whole milliseconds, rounded up: a refusal never says "retry after 0"
                    out["error"]["retry_after"] = math.ceil(exc.retry_after * 1000) / 1000
                log.info("event refused", extra={"sid": sid, "event": name, "code": exc.code})
            except Exception:
                self.metrics.error()
                log.exception("event failed", extra={"sid": sid, "event": name})
                out = {"ok": False, "error": {"code": "internal", "message": "internal error"}}
            if log.isEnabledFor(logging.DEBUG):
                log.debug(
                    "event",
                    extra={
                        "sid": sid,
                        "event": name,
                        "ok": out["ok"],
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
            return out

        handler.__name__ = "on_" + name
        return handler

    def close_ended_sessions(self) -> int:
        """Disconnect this process's sockets whose session ended (idle, too old, or revoked
        while its socket's process missed the logout); returns how many were closed."""
        by_session: dict[str, list[str]] = {}
        for sid, state in list(self.sockets.items()):
            by_session.setdefault(state.user.session, []).append(sid)
        live = self.chat.state.live_sessions(list(by_session))
        ended = [sid for key, sids in by_session.items() if key not in live for sid in sids]
        for sid in ended:
            self.sio.disconnect(sid)
        return len(ended)

    # ------------------------------------------------------------ connection
    def on_connect(self, sid, environ=None, auth=None):
        # the turn its Engine.IO handshake took (transport/admission.py) is held until this
        # connect is answered
        ticket = environ.get(TICKET) if isinstance(environ, dict) else None
        if ticket is not None:
            ticket.claim()
        try:
            self._connect(sid, auth)
        finally:
            if ticket is not None:
                ticket.release()

    def _connect(self, sid, auth) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        if not self.handshake_turns.acquire(timeout=HANDSHAKE_QUEUE_SECONDS):
            raise ConnectRefused("unavailable")  # the contract's message in an overload
        try:
            # while joins wait for their turns, a connect waits too (up to JOINS_FIRST_SECONDS):
            # a storm is let in no faster than its joins are answered, instead of adding joins
            # to a queue that grows past the clients' acknowledgement timeouts
            self.join_turns.until_none_waiting(JOINS_FIRST_SECONDS)
            user = self._authenticate(sid, token)
            self.sockets[sid] = SocketState(user)
        finally:
            self.handshake_turns.release()
        self.sio.enter_room(sid, user_key(user.id), namespace="/")  # what is said to the user
        self.metrics.connected(len(self.sockets))
        log.info("connect", extra={"sid": sid, "user": user.username})

    def _authenticate(self, sid: str, token) -> User:
        """The connect's user, looked up only while its client is still there. A client that
        left during its connect gets no disconnect handler from python-socketio (the connect
        was in progress), so what the lookup registered is undone here."""
        if not self._open(sid):  # gave up while it waited for its turn: nobody to answer
            raise ConnectRefused("unavailable")
        try:
            user = self.chat.accounts.authenticate(token, sid)
        except ChatError as exc:
            # the contract's connect_error message: "unauthorized" (or "unavailable" in an outage)
            raise ConnectRefused(exc.code) from None
        if not self._open(sid):
            try:
                self.chat.state.remove_session_sid(user.session, sid)
            except Exception as exc:  # noqa: BLE001 - best effort; the set expires with the session
                log.warning("could not unregister socket", extra={"sid": sid, "error": str(exc)})
            raise ConnectRefused("unavailable")
        return user

    def _open(self, sid: str) -> bool:
        """Whether the Engine.IO connection under this Socket.IO ``sid`` is still open."""
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        socket = self.sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
        return socket is not None and not socket.closed

    def on_disconnect(self, sid, reason=None):
        state = self.sockets.pop(sid, None)
        self.metrics.connected(len(self.sockets))
        if state is None:
            return
        rooms = list(state.rooms)
        state.rooms.clear()
        for name in rooms:
            self.delivery.forget_socket(name, sid)
        # the shared state's part (presence in its rooms, the session's sockets) goes in the
        # next batch: a storm's thousands of disconnects take a few pipelined round trips
        # instead of one each (each waiting for the Redis pool, some past its 5 s), and the
        # handler returns without waiting
        self.closing.append((state.user.session, sid, rooms))
        if len(self.closing) == 1:
            self.sio.start_background_task(self._unregister_closed)
        log.info("disconnect", extra={"sid": sid, "user": state.user.username, "reason": str(reason)})

    def _unregister_closed(self) -> None:
        while self.closing:
            batch = self.closing[:CLOSE_BATCH]
            del self.closing[:CLOSE_BATCH]
            try:
                gone = self.chat.state.sockets_closed(batch)
            except Exception as exc:  # noqa: BLE001 - best effort; the keys expire with the session
                log.warning("could not unregister sockets", extra={"sockets": len(batch), "error": str(exc)})
                continue
            for rooms in gone:
                for name, user, went_offline in rooms:
                    if went_offline:
                        self.delivery.presence(name, user, "offline")

    # ------------------------------------------------------------ events
    @contextmanager
    def _join_turn(self, sid: str):
        if not self.join_turns.acquire(timeout=JOIN_QUEUE_SECONDS):
            raise Unavailable("too many joins in progress; try again")
        try:
            if sid not in self.sockets:  # closed while it waited: nobody to answer
                raise ChatError("unauthorized", "the connection is closed")
            yield
        finally:
            self.join_turns.release()

    def on_join(self, state: SocketState, sid: str, data):
        # a client whose join's acknowledgement timed out sends it again while the first still
        # waits for its turn; in a storm that doubled the queue with work nobody waited for.
        # A join sent REPLACE_JOIN_AFTER or more after one of the same room still waiting
        # replaces it, and the older one is answered at once; joins sent together all run.
        # The ticket is a new object, told apart by identity, holding its time
        name = data.get("room") if isinstance(data, dict) else None
        ticket = (time.monotonic(),)
        tracked = isinstance(name, str)
        if tracked:
            waiting = state.joining.get(name)
            tracked = waiting is None or ticket[0] - waiting[0] >= REPLACE_JOIN_AFTER
            if tracked:
                state.joining[name] = ticket
        try:
            with self._join_turn(sid):
                if tracked and state.joining.get(name) is not ticket:
                    raise Unavailable("a newer join of this room replaced this one")
                joined = self._join(state, sid, data)
        finally:
            if tracked and state.joining.get(name) is ticket:
                del state.joining[name]
        if sid not in self.sockets:
            # closed during the join: its disconnect did not see this room
            self.sio.leave_room(sid, room_key(joined["room"]["name"]), namespace="/")
            self._leave(state, sid, joined["room"]["name"])
        return joined

    def _join(self, state: SocketState, sid: str, data):
        entered: list[str] = []

        def enter(room) -> None:
            # enter first, read history second, and hold this socket's live messages until
            # its ack is out: each message reaches it once, in the history or live
            # (delivery/ordering.py); called by the join once the user may read the room
            self.delivery.begin_join(room.name, sid)
            self.sio.enter_room(sid, room_key(room.name), namespace="/")
            entered.append(room.name)

        try:
            room, page, more, last_seq, access = self.chat.messages.join(state.user, data, enter)
            last_read = self.chat.members.joined(state.user, room, access)
        except ChatError:
            for name in entered:
                self.delivery.forget_socket(name, sid)
                if name not in state.rooms:
                    self.sio.leave_room(sid, room_key(name), namespace="/")
            raise
        state.rooms.add(room.name)
        try:
            came_online, online = self.chat.state.presence_join(room.name, sid, state.user.username)
        except Exception as exc:  # noqa: BLE001 - presence is advisory; the join itself holds
            log.warning("presence unavailable", extra={"sid": sid, "error": str(exc)})
            came_online, online = False, [state.user.username]
        if came_online:
            self.delivery.presence(room.name, state.user.username, "online", skip_sid=sid)
        # started last, so it runs only after this handler returned and its ack was queued
        self.sio.start_background_task(self.delivery.end_join, room.name, sid, last_seq)
        return {
            "room": room.as_dict(viewer=state.user.username),
            "messages": page,
            "more": more,
            "online": online,
            "last_read": last_read,
        }

    def on_leave(self, state: SocketState, sid: str, data):
        data = validate.payload(data)
        name = validate.room_name(data)
        self.chat.rooms.get(name)  # an unknown room is not_found
        self.sio.leave_room(sid, room_key(name), namespace="/")
        self._leave(state, sid, name)
        return {}

    def _leave(self, state: SocketState, sid: str, name: str) -> None:
        state.rooms.discard(name)
        self.delivery.forget_socket(name, sid)
        try:
            user, went_offline = self.chat.state.presence_leave(name, sid)
        except Exception as exc:  # noqa: BLE001 - the reaper cleans up if this fails
            log.warning("presence unavailable", extra={"sid": sid, "error": str(exc)})
            return
        if went_offline:
            self.delivery.presence(name, user, "offline")

    def _joined_room(self, state: SocketState, data):
        data = validate.payload(data)
        name = validate.room_name(data)
        room = self.chat.rooms.get(name)
        if name not in state.rooms:
            raise ChatError("forbidden", f"join {name!r} first")
        return data, room

    def on_send(self, state: SocketState, sid: str, data):
        data, room = self._joined_room(state, data)
        msg, created = self.chat.messages.send(state.user, room, data)
        if created:
            self.metrics.sent()
        return {"message": msg}

    def on_edit(self, state: SocketState, sid: str, data):
        return {"message": self.chat.messages.edit(state.user, data)}

    def on_delete(self, state: SocketState, sid: str, data):
        self.chat.messages.delete(state.user, data)
        return {}

    def on_typing(self, state: SocketState, sid: str, data):
        _, room = self._joined_room(state, data)
        self.delivery.typing(room.name, state.user.username, skip_sid=sid)
        return {}

    def on_react(self, state: SocketState, sid: str, data):
        return {"reactions": self.chat.reactions.react(state.user, data)}

    def on_read(self, state: SocketState, sid: str, data):
        return {"last_read": self.chat.members.read(state.user, data, sid)}

    # ------------------------------------------------------------ from other layers
    def evict(self, room: str, user_id: int) -> None:
        """The user is no longer a member: their sockets of this process leave the room."""
        for sid, state in list(self.sockets.items()):
            if state.user.id == user_id and room in state.rooms:
                self.sio.leave_room(sid, room_key(room), namespace="/")
                self._leave(state, sid, room)

    def emit_offline(self, gone: list[tuple[str, str]]) -> None:
        for room, user in gone:
            self.delivery.presence(room, user, "offline")
