"""Socket.IO transport: authenticate the connect, parse events, call the actions, ack.

Every client-to-server event answers through its ack, ``{"ok": true, ...}`` or
``{"ok": false, "error": {...}}``; errors become that envelope here and nowhere else. A
malformed payload never disconnects the client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis
import socketio
from flask import request
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError as ConnectRefused

from . import green, validate
from .actions import Chat, User
from .errors import ChatError
from .ordering import Reorderer
from .publisher import Publisher

log = logging.getLogger("chat.socket")

# host_id no process has: every process, the emitting one included, delivers the emit from
# its Redis subscription, so all of them see one room's messages in the same (id) order.
_ORDERED = "ordered-delivery"


class DeliveryError(Exception):
    """Publishing to the message queue failed."""


class OrderedRedisManager(socketio.RedisManager):
    """python-socketio's Redis manager, changed in two ways the contract needs.

    1. Broadcasts are not delivered to this process's sockets before they go through Redis
       (the stock manager does that, which lets a socket see a later message from its own
       process before an earlier one from another process).
    2. Chat messages carry their room's sequence number and pass through a ``Reorderer``
       on every process, so sockets see a room's messages in id order even when two
       processes publish them in the other order.
    3. When the subscription is lost and comes back, messages published meanwhile were
       missed: every local socket is disconnected so its client reconnects and re-joins
       with ``since``, which fills the gap from the database.
    4. Under eventlet or gevent, publishing does not wait for Redis: payloads are queued and
       written in pipelines by one green thread (app/publisher.py); a failure is logged and
       passed to ``on_publish_failure(count)`` instead of raising ``DeliveryError``.
    """

    reorderer: Reorderer | None = None

    def emit_message(self, msg: dict | None, room: str, seq: int | None) -> None:
        """Publish a chat message with its sequence number (msg None: the number was skipped)."""
        if seq is None:
            self.emit("message", msg, namespace="/", room=room_key(room))
            return
        self._publish_or_raise(
            {
                "method": "emit",
                "event": "message",
                "data": [msg],
                "binary": False,
                "namespace": "/",
                "room": room_key(room),
                "skip_sid": None,
                "callback": None,
                "host_id": _ORDERED,
                "order": [room, seq],
            }
        )

    def _handle_emit(self, message):
        order = message.get("order")
        if order and self.reorderer is not None:
            self.reorderer.push(order[0], order[1], message)
        else:
            super()._handle_emit(message)

    def deliver_envelope(self, message, _seq=None, skip=None) -> None:
        if message["data"][0] is not None:
            super()._handle_emit(dict(message, skip_sid=skip or None) if skip else message)

    def send_to_sid(self, sid: str, message) -> None:
        """One held message to one local socket (a join's catch-up)."""
        self.emit("message", message["data"][0], namespace="/", room=sid, ignore_queue=True)

    @staticmethod
    def envelope(msg: dict) -> dict:
        return {
            "method": "emit",
            "event": "message",
            "data": [msg],
            "binary": False,
            "namespace": "/",
            "room": room_key(msg["room"]),
            "skip_sid": None,
            "callback": None,
            "host_id": _ORDERED,
        }

    def __init__(
        self,
        *args,
        on_resubscribe=None,
        on_publish_failure: Callable[[int], None] | None = None,
        pool_size: int = 32,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.on_resubscribe = on_resubscribe
        self.on_publish_failure = on_publish_failure
        self.pool_size = pool_size
        self.publisher = None
        if green.cooperative():
            self.publisher = Publisher(self._publish_pipeline, self._publish_failed)

    def _redis_connect(self):
        # redis-py's default pool raises "Too many connections" at its limit, which would
        # drop messages under load; a blocking pool of a known size waits instead.
        pool = redis.BlockingConnectionPool.from_url(
            self.redis_url, max_connections=self.pool_size, timeout=5, **self.redis_options
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if kwargs.get("ignore_queue") or callback is not None:
            return super().emit(
                event,
                data,
                namespace=namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                to=to,
                **kwargs,
            )
        message = {
            "method": "emit",
            "event": event,
            "data": [data],
            "binary": False,
            "namespace": namespace or "/",
            "room": to or room,
            "skip_sid": skip_sid,
            "callback": None,
            "host_id": _ORDERED,
        }
        self._publish_or_raise(message)
        return None

    def _publish_or_raise(self, data):
        if self.publisher is not None:
            self.publisher.put(self.json.dumps(data))
            return
        self._with_reconnect(lambda: self.redis.publish(self.channel, self.json.dumps(data)))

    def _publish_pipeline(self, payloads: list[str]) -> None:
        def write():
            pipe = self.redis.pipeline(transaction=False)
            for payload in payloads:
                pipe.publish(self.channel, payload)
            pipe.execute()

        self._with_reconnect(write)

    def _with_reconnect(self, call):
        """``call()``, once more on a new connection if it fails; DeliveryError after that."""
        last = None
        for _ in range(2):
            try:
                if not self.connected:
                    self._redis_connect()
                return call()
            except Exception as exc:  # noqa: BLE001 - redis/valkey raise their own hierarchies
                last = exc
                self.connected = False
        raise DeliveryError(str(last))

    def _publish_failed(self, count: int, exc: BaseException) -> None:
        # the messages are committed: clients recover them with `since` once every
        # process's subscription is re-established (and their sockets reset)
        log.error("stored but not published", extra={"count": count, "error": str(exc)})
        if self.on_publish_failure is not None:
            self.on_publish_failure(count)

    def _redis_listen_with_retries(self):  # pragma: no cover - exercised by the fault tests
        retry_sleep = 0.5
        subscribed = False
        first = True
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed = True
                    retry_sleep = 0.5
                    if not first and self.on_resubscribe:
                        self.on_resubscribe()
                    first = False
                yield from self.pubsub.listen()
            except Exception as exc:  # noqa: BLE001
                log.error("message queue subscription lost; retrying", extra={"error": str(exc)})
                subscribed = False
                time.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 5)


class OrderedLocalManager(socketio.Manager):
    """The single-process manager, with the same sequence ordering of chat messages."""

    reorderer: Reorderer | None = None

    def emit_message(self, msg: dict | None, room: str, seq: int | None) -> None:
        if seq is None or self.reorderer is None:
            if msg is not None:
                self.emit("message", msg, namespace="/", room=room_key(room))
        else:
            self.reorderer.push(room, seq, msg)

    def deliver_message(self, msg: dict | None, _seq=None, skip=None) -> None:
        if msg is not None:
            self.emit("message", msg, namespace="/", room=room_key(msg["room"]), skip_sid=skip or None)

    def send_to_sid(self, sid: str, msg: dict) -> None:
        self.emit("message", msg, namespace="/", room=sid)


def install_ordering(manager, fetch, gap_timeout: float = 1.0) -> Reorderer:
    """Give a manager its Reorderer; ``fetch(room, seq)`` loads a message from the database."""
    if isinstance(manager, OrderedRedisManager):

        def fetch_envelope(room, seq):
            msg = fetch(room, seq)
            return None if msg is None else manager.envelope(msg)

        manager.reorderer = Reorderer(manager.deliver_envelope, fetch_envelope, gap_timeout)
    else:
        manager.reorderer = Reorderer(manager.deliver_message, fetch, gap_timeout)
    return manager.reorderer


@dataclass
class SocketState:
    user: User
    rooms: set[str] = field(default_factory=set)


def room_key(name: str) -> str:
    return "r:" + name


class SocketHandlers:
    def __init__(self, socketio: SocketIO, chat: Chat, metrics):
        self.socketio = socketio
        self.chat = chat
        self.metrics = metrics
        self.sockets: dict[str, SocketState] = {}

    # ------------------------------------------------------------ wiring
    def register(self) -> None:
        sio = self.socketio
        sio.on_event("connect", self.on_connect)
        sio.on_event("disconnect", self.on_disconnect)
        # the six events are registered on python-socketio itself: Flask-SocketIO would push
        # a Flask request context for every event, 13 % of the CPU of a busy server
        for name in ("join", "leave", "send", "edit", "delete", "typing"):
            sio.server.on(name, self._event(name, getattr(self, "on_" + name)), namespace="/")
        sio.on_event("*", self.on_unknown)

    @staticmethod
    def on_unknown(event, *_args):
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
                result = fn(state, sid, args[0] if args else None)
                out = {"ok": True, **(result or {})}
            except ChatError as exc:
                if exc.code == "internal":
                    self.metrics.error()
                out = {"ok": False, "error": exc.as_dict()}
                if exc.retry_after is not None:
                    out["error"]["retry_after"] = round(exc.retry_after, 3)
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

    # ------------------------------------------------------------ connection
    def on_connect(self, auth=None):
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            user = self.chat.authenticate(token)
            self.chat.store.add_session_sid(user.session, request.sid)
        except ChatError as exc:
            # the contract's connect_error message: "unauthorized" (or "unavailable" in an outage)
            raise ConnectRefused(exc.code) from None
        self.sockets[request.sid] = SocketState(user)
        self.metrics.connected(len(self.sockets))
        log.info("connect", extra={"sid": request.sid, "user": user.username})

    def on_disconnect(self, reason=None):
        sid = request.sid
        state = self.sockets.pop(sid, None)
        self.metrics.connected(len(self.sockets))
        if state is None:
            return
        for name in list(state.rooms):
            self._leave(state, sid, name)
        try:
            self.chat.store.remove_session_sid(state.user.session, sid)
        except Exception:  # noqa: BLE001 - best effort; the key expires with the session
            log.warning("could not unregister socket", extra={"sid": sid})
        log.info("disconnect", extra={"sid": sid, "user": state.user.username, "reason": str(reason)})

    # ------------------------------------------------------------ events
    def on_join(self, state: SocketState, sid: str, data):
        room, since = self.chat.join_target(state.user, data)
        manager = self.socketio.server.manager
        reorderer = manager.reorderer
        # enter first, read history second, and hold this socket's live messages until its
        # ack is out: each message reaches it once, in the history or live (app/ordering.py)
        reorderer.begin_join(room.name, sid)
        self.socketio.server.enter_room(sid, room_key(room.name), namespace="/")
        try:
            page, more, last_seq = self.chat.join_page(room, since)
        except ChatError:
            reorderer.forget_socket(room.name, sid)
            if room.name not in state.rooms:
                self.socketio.server.leave_room(sid, room_key(room.name), namespace="/")
            raise
        state.rooms.add(room.name)
        try:
            came_online = self.chat.store.presence_join(room.name, sid, state.user.username)
            online = self.chat.store.online(room.name)
        except Exception as exc:  # noqa: BLE001 - presence is advisory; the join itself holds
            log.warning("presence unavailable", extra={"sid": sid, "error": str(exc)})
            came_online, online = False, [state.user.username]
        if came_online:
            self._emit_presence(room.name, state.user.username, "online", skip_sid=sid)
        # started last, so it runs only after this handler returned and its ack was queued
        self.socketio.start_background_task(
            reorderer.end_join, room.name, sid, last_seq, lambda m: manager.send_to_sid(sid, m)
        )
        return {"room": room.as_dict(), "messages": page, "more": more, "online": online}

    def on_leave(self, state: SocketState, sid: str, data):
        data = validate.payload(data)
        name = validate.room_name(data)
        self.chat.room(name)  # an unknown room is not_found
        self.socketio.server.leave_room(sid, room_key(name), namespace="/")
        self._leave(state, sid, name)
        return {}

    def _leave(self, state: SocketState, sid: str, name: str) -> None:
        state.rooms.discard(name)
        self.socketio.server.manager.reorderer.forget_socket(name, sid)
        try:
            user, went_offline = self.chat.store.presence_leave(name, sid)
        except Exception as exc:  # noqa: BLE001 - the reaper cleans up if this fails
            log.warning("presence unavailable", extra={"sid": sid, "error": str(exc)})
            return
        if went_offline:
            self._emit_presence(name, user, "offline")

    def _emit_presence(self, room: str, user: str, status: str, skip_sid=None) -> None:
        try:
            self.socketio.emit(
                "presence",
                {"room": room, "user": user, "status": status},
                to=room_key(room),
                skip_sid=skip_sid,
            )
        except DeliveryError as exc:
            log.warning("presence not delivered", extra={"error": str(exc)})

    def _joined_room(self, state: SocketState, data):
        data = validate.payload(data)
        name = validate.room_name(data)
        room = self.chat.room(name)
        if name not in state.rooms:
            raise ChatError("forbidden", f"join {name!r} first")
        return data, room

    def on_send(self, state: SocketState, sid: str, data):
        data, room = self._joined_room(state, data)

        def publish(msg: dict | None, seq: int | None) -> None:
            try:
                self.socketio.server.manager.emit_message(msg, room.name, seq)
            except DeliveryError as exc:
                # the message is committed: clients recover it with `since` once every
                # process's subscription is re-established (and their sockets reset)
                self.metrics.error()
                log.error("message stored but not published", extra={"seq": seq, "error": str(exc)})

        msg, created = self.chat.send(state.user, room, data, publish)
        if created:
            self.metrics.sent()
        return {"message": msg}

    def on_edit(self, state: SocketState, sid: str, data):
        msg = self.chat.edit(state.user, data)
        self._broadcast("message_updated", msg, msg["room"])
        return {"message": msg}

    def on_delete(self, state: SocketState, sid: str, data):
        gone = self.chat.delete(state.user, data)
        self._broadcast("message_deleted", gone, gone["room"])
        return {}

    def on_typing(self, state: SocketState, sid: str, data):
        _, room = self._joined_room(state, data)
        self.socketio.emit(
            "typing",
            {"room": room.name, "user": state.user.username},
            to=room_key(room.name),
            skip_sid=sid,
        )
        return {}

    def _broadcast(self, event: str, data: dict, room: str) -> None:
        try:
            self.socketio.emit(event, data, to=room_key(room))
        except DeliveryError as exc:
            self.metrics.error()
            log.error("update stored but not published", extra={"event": event, "error": str(exc)})

    # ------------------------------------------------------------ from other layers
    def disconnect_sids(self, sids: list[str]) -> None:
        """Close sockets by id on whichever process holds them (logout)."""
        for sid in sids:
            try:
                self.socketio.server.disconnect(sid, namespace="/")
            except Exception:  # noqa: BLE001
                log.warning("could not disconnect socket", extra={"sid": sid})

    def reset_local_sockets(self) -> None:
        """After the message queue was lost: make every local client reconnect and catch up."""
        sids = list(self.sockets)
        reorderer = getattr(self.socketio.server.manager, "reorderer", None)
        if reorderer is not None:
            reorderer.reset()
        log.warning("message queue resubscribed; resetting local sockets", extra={"count": len(sids)})
        for sid in sids:
            try:
                self.socketio.server.disconnect(sid, namespace="/", ignore_queue=True)
            except Exception:  # noqa: BLE001
                log.warning("could not reset socket", extra={"sid": sid})

    def emit_offline(self, gone: list[tuple[str, str]]) -> None:
        for room, user in gone:
            self._emit_presence(room, user, "offline")
