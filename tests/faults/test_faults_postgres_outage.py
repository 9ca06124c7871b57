"""Stop PostgreSQL under a running service.

The shared PostgreSQL is never stopped: the service reaches it through a TCP proxy of the
test's own, and cutting the proxy (every connection reset, new connects refused) is the
outage. Sends must then be acknowledged `unavailable`, never `ok`, and reach nobody;
`/readyz` says 503 naming the database; HTTP answers 503 with the error envelope; and once
the proxy listens again, sends succeed without restarting the service.
"""

from __future__ import annotations

import time

import pytest
import requests
import socketio

from tests.support.client import Api, ChatClient
from tests.support.measure import record_figure
from tests.support.ports import unique, wait_until
from tests.support.processes import migrate
from tests.support.proxy import TcpProxy
from tests.support.server import FEW_CONNECTIONS, server_env
from tests.support.settings import REDIS_URL

OUTAGE_SENDS = 8
ACK_BOUND = 10.0
RECOVERY_BOUND = 20.0
MIN_OUTAGE = 3.0


@pytest.fixture
def proxied_server(server_factory, database, channel):
    proxy = TcpProxy(database.host, database.port)
    proxy.start()
    env = server_env(database.url, channel, REDIS_URL, **FEW_CONNECTIONS)
    migrate(env)
    server = server_factory(
        server_env(database.url_via(port=proxy.port), channel, REDIS_URL, **FEW_CONNECTIONS), "serve"
    )
    try:
        yield server, proxy
    finally:
        proxy.stop()


def test_postgres_outage_answers_unavailable_then_recovers_without_restart(proxied_server):
    server, proxy = proxied_server
    api = Api(server.url)
    room = unique("pg-")
    alice = api.register(unique("alice"))
    bob = api.register(unique("bob"))
    api.create_room(alice["token"], room)
    sender = ChatClient(alice["user"]["username"], alice["token"], room, [server.url])
    watcher = ChatClient(bob["user"]["username"], bob["token"], room, [server.url])
    for c in (sender, watcher):
        c.connect()
        assert c.join().get("ok")
    try:
        ack = sender.call("send", {"room": room, "body": "before", "client_id": "before"})
        assert ack.get("ok"), ack
        assert wait_until(lambda: ack["message"]["id"] in watcher.live, 5)
        pid = server.pid

        proxy.cut()
        cut_at = time.monotonic()

        ack_seconds = []
        for k in range(OUTAGE_SENDS):
            t0 = time.monotonic()
            ack = sender.call(
                "send",
                {"room": room, "body": f"during {k}", "client_id": f"during-{k}"},
                timeout=ACK_BOUND + 5,
            )
            ack_seconds.append(time.monotonic() - t0)
            assert ack.get("ok") is False, f"send acknowledged during the outage: {ack!r}"
            assert ack["error"]["code"] == "unavailable", ack
            assert isinstance(ack["error"].get("message"), str) and ack["error"]["message"]
        record_figure("PostgreSQL down: slowest `unavailable` ack", f"{max(ack_seconds) * 1000:.0f} ms")
        assert max(ack_seconds) < ACK_BOUND

        r = server.readyz()
        assert r.status_code == 503, r.text
        body = r.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] != "ok", body
        assert body["checks"]["redis"] == "ok", body

        # HTTP that needs the database answers 503 with the envelope, never a 500
        h = {"Authorization": f"Bearer {alice['token']}"}
        for method, path, kwargs in [
            ("get", f"/api/rooms/{room}/messages", {}),
            ("get", "/api/rooms", {}),
            ("post", "/api/rooms", {"json": {"name": unique("r"), "private": False}}),
            ("post", "/api/login", {"json": {"username": "nobody", "password": "x" * 10}}),
            ("post", "/api/register", {"json": {"username": unique("n"), "password": "x" * 10}}),
        ]:
            resp = requests.request(method, server.url + path, headers=h, timeout=ACK_BOUND + 5, **kwargs)
            assert resp.status_code == 503, (path, resp.status_code, resp.text)
            assert resp.json()["error"]["code"] == "unavailable", (path, resp.text)

        assert sender.connected and watcher.connected, "the outage disconnected clients"
        assert server.alive()

        # long enough for the pool's connections to be found dead and for reconnects to fail
        time.sleep(max(0.0, MIN_OUTAGE - (time.monotonic() - cut_at)))
        r = server.readyz()
        assert r.status_code == 503, r.text
        proxy.restore()
        restored_at = time.monotonic()
        k = 0
        ok_ack = None
        while time.monotonic() - restored_at < RECOVERY_BOUND:
            k += 1
            ack = sender.call(
                "send", {"room": room, "body": f"after {k}", "client_id": f"after-{k}"}, timeout=15
            )
            if ack.get("ok"):
                ok_ack = ack
                break
            assert ack["error"]["code"] == "unavailable", ack
            time.sleep(0.1)
        recovered_after = time.monotonic() - restored_at
        assert ok_ack is not None, f"sends still failing {RECOVERY_BOUND}s after the database returned"
        record_figure("PostgreSQL down: outage length", f"{restored_at - cut_at:.1f} s")
        record_figure("PostgreSQL back: first `ok` send after", f"{recovered_after:.2f} s")
        assert server.pid == pid and server.alive(), "the service restarted"
        assert wait_until(lambda: _ready(server.url), RECOVERY_BOUND), "/readyz not back to 200"
        record_figure("PostgreSQL back: /readyz 200 after", f"{time.monotonic() - restored_at:.2f} s")

        assert wait_until(lambda: ok_ack["message"]["id"] in watcher.live, 5)
        bodies = set(watcher.bodies.values())
        assert not any(b.startswith("during") for b in bodies), "an unavailable send was broadcast"
        history = api.history(bob["token"], room)
        assert not [m for m in history if m["body"].startswith("during")], (
            "a send acknowledged `unavailable` was stored"
        )
        assert {"before", ok_ack["message"]["body"]} <= {m["body"] for m in history}
    finally:
        sender.close()
        watcher.close()


def _ready(url: str) -> bool:
    try:
        return requests.get(url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


PARTITION_BOUND = 10.0


def test_postgres_partition_answers_unavailable_within_a_bound(proxied_server):
    """The database stops answering without closing anything (a network partition, or an RDS
    primary that vanished in a failover): a send must still be answered `unavailable` within
    a bound, not wait on a dead connection until TCP gives up."""
    server, proxy = proxied_server
    api = Api(server.url)
    room = unique("part-")
    alice = api.register(unique("alice"))
    api.create_room(alice["token"], room)
    sender = ChatClient(alice["user"]["username"], alice["token"], room, [server.url])
    sender.connect()
    try:
        assert sender.join().get("ok")
        assert sender.call("send", {"room": room, "body": "before", "client_id": "before"}).get("ok")
        proxy.freeze()
        t0 = time.monotonic()
        try:
            ack = sender.call(
                "send", {"room": room, "body": "during", "client_id": "during"}, timeout=PARTITION_BOUND + 5
            )
        except socketio.exceptions.TimeoutError:
            pytest.fail(f"no ack {PARTITION_BOUND + 5:.0f} s into a database partition")
        waited = time.monotonic() - t0
        record_figure("PostgreSQL partition: `unavailable` ack after", f"{waited:.1f} s")
        assert ack.get("ok") is False and ack["error"]["code"] == "unavailable", ack
        assert waited < PARTITION_BOUND
        try:
            r = requests.get(server.url + "/readyz", timeout=PARTITION_BOUND)
        except requests.Timeout:
            pytest.fail(f"/readyz did not answer within {PARTITION_BOUND:.0f} s of a partition")
        assert r.status_code == 503 and r.json()["checks"]["database"] != "ok", r.text
        proxy.thaw()
        assert wait_until(lambda: _ready(server.url), RECOVERY_BOUND), "/readyz not back after the partition"
    finally:
        proxy.thaw()
        sender.close()


def test_reads_after_postgres_dropped_every_connection_answer_at_once(proxied_server):
    """The reads on every request's path (history, the room list, search) use connections
    without a ping per checkout. When PostgreSQL has dropped them all (a restart, a failover)
    and accepts new ones, the first read meets a dead connection and must run again on a
    fresh one: 200 at once, not a 503 the user has to retry."""
    server, proxy = proxied_server
    api = Api(server.url)
    room = unique("drop-")
    alice = api.register(unique("alice"))
    api.create_room(alice["token"], room)
    h = {"Authorization": f"Bearer {alice['token']}"}
    reads = [f"/api/rooms/{room}/messages", "/api/rooms", "/api/search?q=anything"]
    for path in reads:  # the read pool holds live connections now
        assert requests.get(server.url + path, headers=h, timeout=10).status_code == 200, path
    for path in reads:
        proxy.cut()  # every connection reset
        proxy.restore()  # new connections accepted again
        resp = requests.get(server.url + path, headers=h, timeout=ACK_BOUND + 5)
        assert resp.status_code == 200, (path, resp.status_code, resp.text)
    assert server.alive()
