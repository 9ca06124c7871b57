"""Carrying envelopes to every process of the deployment, the emitting one included.

``RedisBus`` publishes to the ``SOCKETIO_CHANNEL`` channel and every process (the emitting
one too) receives from its subscription, so all of them see one room's messages in the same
(id) order. ``LocalBus`` is the embedded default: one process, no queue.

A subscription that is lost and comes back missed what was published meanwhile: the bus
says so (``on_resubscribe``) and the sockets of this process are reset, so their clients
reconnect and re-join with ``since``, which fills the gap from the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .. import green
from .publisher import Publisher

log = logging.getLogger("chat.delivery")

Receive = Callable[[dict], None]


class DeliveryError(Exception):
    """Publishing to the message queue failed."""


class LocalBus:
    """One process: an envelope is received as it is published."""

    def __init__(self):
        self.receive: Receive | None = None

    def start(self, receive: Receive, on_resubscribe: Callable[[], None]) -> None:
        self.receive = receive

    def publish(self, env: dict) -> None:
        self.receive(env)


class RedisBus:
    """Every process publishes to and subscribes to one Redis channel.

    Under eventlet or gevent, publishing does not wait for Redis: payloads are queued and
    written in pipelines by one green thread (publisher.py); a failure is logged and passed
    to ``on_publish_failure(count)``. Without a green hub (tools, tests) it publishes at once.
    """

    def __init__(
        self,
        url: str,
        channel: str,
        json,
        pool_size: int,
        on_publish_failure: Callable[[int], None] | None = None,
        connection_kwargs: dict | None = None,
    ):
        self.url = url
        # e.g. the IAM credential provider (app/redis_iam.py): for every connection made
        self.connection_kwargs = connection_kwargs or {}
        self.channel = channel
        self.json = json
        self.on_publish_failure = on_publish_failure
        # redis-py's default pool raises "Too many connections" at its limit, which would
        # drop messages under load; a blocking pool of a known size (REDIS_POOL_SIZE) waits.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=pool_size,
            timeout=5,
            socket_connect_timeout=3,
            socket_keepalive=True,
            health_check_interval=10,
            **self.connection_kwargs,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.publisher = Publisher(self._write, self._failed) if green.cooperative() else None

    # ------------------------------------------------------------------ publishing
    def publish(self, env: dict) -> None:
        payload = self.json.dumps(env)
        if self.publisher is not None:
            self.publisher.put(payload)
            return
        try:
            self._write([payload])
        except DeliveryError as exc:
            self._failed(1, exc)

    def _write(self, payloads: list[str]) -> None:
        """One pipeline, once more if it fails (the pool reconnects); DeliveryError after."""
        last = None
        for _ in range(2):
            try:
                pipe = self.redis.pipeline(transaction=False)
                for payload in payloads:
                    pipe.publish(self.channel, payload)
                pipe.execute()
                return
            except redis.RedisError as exc:
                last = exc
        raise DeliveryError(str(last))

    def _failed(self, count: int, exc: BaseException) -> None:
        # the messages are committed: clients recover them with `since` once every
        # process's subscription is re-established (and their sockets reset)
        log.error("stored but not published", extra={"count": count, "error": str(exc)})
        if self.on_publish_failure is not None:
            self.on_publish_failure(count)

    # ------------------------------------------------------------------ subscribing
    def start(self, receive: Receive, on_resubscribe: Callable[[], None]) -> None:
        green.spawn(self._listen, receive, on_resubscribe)

    def _subscribe(self):
        # no silent reconnect: a subscription that was lost must be noticed (on_resubscribe)
        client = redis.Redis.from_url(
            self.url,
            socket_connect_timeout=3,
            socket_keepalive=True,
            health_check_interval=10,
            retry=Retry(NoBackoff(), 0),
            **self.connection_kwargs,
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.channel)
        return client, pubsub

    def _listen(self, receive: Receive, on_resubscribe: Callable[[], None]) -> None:
        retry_sleep = 0.5
        first = True
        while True:
            client = pubsub = None
            try:
                client, pubsub = self._subscribe()
                retry_sleep = 0.5
                if not first:
                    on_resubscribe()
                for item in pubsub.listen():
                    if item.get("type") != "message":
                        continue
                    try:
                        env = self.json.loads(item["data"])
                        receive(env)
                    except Exception:  # one bad envelope must not end the subscription
                        log.exception("could not deliver an envelope")
            except Exception as exc:  # noqa: BLE001 - redis raises its own hierarchy
                log.error("message queue subscription lost; retrying", extra={"error": str(exc)})
                green.sleep(retry_sleep)
                retry_sleep = min(retry_sleep * 2, 5)
            finally:
                first = False
                for closable in (pubsub, client):
                    if closable is not None:
                        try:
                            closable.close()
                        except Exception:  # noqa: BLE001, S110 - it is being replaced
                            pass
