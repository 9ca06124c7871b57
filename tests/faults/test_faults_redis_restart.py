"""Restart Redis while clients send, on a redis-server of the test's own.

Redis is started with `--save "" --appendonly no`, so the restart also loses everything the
service kept there (message queue subscriptions, sessions, rate-limit counters, presence).
The service must recover by itself: `/readyz` back to 200 and messages fanned out across
processes again within RECOVERY_BOUND seconds of Redis answering, and every acknowledged
message in history and shown to every member once it re-joins.
"""

from __future__ import annotations

import threading
import time

import requests
import socketio

from tests.support.client import Api, ChatClient
from tests.support.measure import duplicates, record_figure
from tests.support.ports import unique, wait_until
from tests.support.processes import migrate
from tests.support.server import FEW_CONNECTIONS, server_env

USERS = 4
SEND_INTERVAL = 0.05
OUTAGE = 3.0
RECOVERY_BOUND = 20.0
ACK_TIMEOUT = 5.0


class Sender(threading.Thread):
    """Sends until told to stop; a send without an `ok` ack is retried with its client_id."""

    def __init__(self, client: ChatClient, stop: threading.Event, deadline: float) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.stop = stop
        self.deadline = deadline
        self.acked: dict[str, int] = {}
        self.not_ok: dict[str, int] = {}  # error code or "no ack" -> count
        self.errors: list[str] = []

    def run(self) -> None:
        c = self.client
        k = 0
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            client_id = f"{c.username}-{k}"
            while time.monotonic() < self.deadline:
                if not c.connected:
                    try:
                        c.reconnect(self.deadline, failover=False)
                    except AssertionError as exc:
                        self.errors.append(str(exc))
                        return
                try:
                    ack = c.call(
                        "send",
                        {"room": c.room, "body": f"m{k} {c.username}", "client_id": client_id},
                        timeout=ACK_TIMEOUT,
                    )
                except socketio.exceptions.SocketIOError:
                    self.not_ok["no ack"] = self.not_ok.get("no ack", 0) + 1
                    c.close()
                    continue
                if isinstance(ack, dict) and ack.get("ok"):
                    self.acked[client_id] = ack["message"]["id"]
                    break
                code = ack.get("error", {}).get("code") if isinstance(ack, dict) else repr(ack)
                self.not_ok[code] = self.not_ok.get(code, 0) + 1
                if code not in ("unavailable", "rate_limited", "unauthorized"):
                    self.errors.append(f"{client_id}: unexpected ack {ack!r}")
                    return
                time.sleep(0.1)
            k += 1
            time.sleep(SEND_INTERVAL)


def cross_process_delivery_works(sender: ChatClient, receiver: ChatClient, tag: str) -> bool:
    """One send through one process, seen live on the other within a second."""
    try:
        ack = sender.call("send", {"room": sender.room, "body": tag, "client_id": tag}, timeout=ACK_TIMEOUT)
    except socketio.exceptions.SocketIOError:
        return False
    if not (isinstance(ack, dict) and ack.get("ok")):
        return False
    mid = ack["message"]["id"]
    return wait_until(lambda: mid in receiver.live, 1.0, 0.02)


def test_redis_restart_recovers_and_keeps_every_acknowledged_message(
    private_redis, database, channel, server_factory
):
    env = server_env(database.url, channel, private_redis.url, **FEW_CONNECTIONS)
    migrate(env)
    a = server_factory(env, "serve-a")
    b = server_factory(env, "serve-b")
    api = Api(a.url)
    room = unique("redis-")
    users = [api.register(unique("u")) for _ in range(USERS)]
    api.create_room(users[0]["token"], room)

    clients: list[ChatClient] = []
    for i, u in enumerate(users):
        url = a.url if i % 2 == 0 else b.url
        c = ChatClient(u["user"]["username"], u["token"], room, [url])
        name = u["user"]["username"]
        # sessions live in Redis and this Redis keeps nothing across a restart: a client
        # whose token is refused logs in again, as the web client does
        c.refresh_token = lambda name=name, url=url: Api(url).login(name).json()["token"]
        c.connect()
        assert c.join().get("ok")
        clients.append(c)
    probe_a, probe_b = clients[0], clients[1]

    stop = threading.Event()
    deadline = time.monotonic() + 90
    senders = [Sender(c, stop, deadline) for c in clients[2:]]
    try:
        for s in senders:
            s.start()
        time.sleep(1.0)
        before_outage = {c.username: c.last_seen for c in clients}
        private_redis.kill()
        down_at = time.monotonic()

        # during the outage: the processes stay up and say they are not ready
        time.sleep(0.5)
        assert a.alive() and b.alive()
        r = a.readyz()
        assert r.status_code == 503, r.text
        assert r.json()["checks"]["redis"] != "ok"
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))

        private_redis.start()
        up_at = time.monotonic()
        ready = wait_until(lambda: all(_ready(s.url) for s in (a, b)), RECOVERY_BOUND, interval=0.1)
        ready_after = time.monotonic() - up_at
        assert ready, f"/readyz not 200 on both processes {RECOVERY_BOUND}s after Redis returned"

        for c in (probe_a, probe_b):
            if not c.connected:
                c.reconnect(up_at + RECOVERY_BOUND, failover=False)
        k = 0
        while time.monotonic() - up_at < RECOVERY_BOUND:
            k += 1
            if cross_process_delivery_works(
                probe_a, probe_b, f"probe-a-{k}"
            ) and cross_process_delivery_works(probe_b, probe_a, f"probe-b-{k}"):
                break
            if not probe_a.connected:
                probe_a.reconnect(up_at + RECOVERY_BOUND, failover=False)
            if not probe_b.connected:
                probe_b.reconnect(up_at + RECOVERY_BOUND, failover=False)
            time.sleep(0.1)
        fanout_after = time.monotonic() - up_at
        assert fanout_after < RECOVERY_BOUND, "fan-out across processes did not come back"
        record_figure("Redis restart: outage length", f"{up_at - down_at:.1f} s")
        record_figure("Redis restart: /readyz 200 on both processes after", f"{ready_after:.2f} s")
        record_figure("Redis restart: cross-process fan-out back after", f"{fanout_after:.2f} s")

        time.sleep(1.0)  # keep sending a little after recovery
        stop.set()
        for s in senders:
            s.join(timeout=30)
        assert not any(s.is_alive() for s in senders)
        errors = [e for s in senders for e in s.errors]
        assert not errors, errors
        not_ok: dict[str, int] = {}
        for s in senders:
            for code, n in s.not_ok.items():
                not_ok[code] = not_ok.get(code, 0) + n
        record_figure("Redis restart: sends not acked ok during the outage", repr(not_ok))

        acked_ids = {mid for s in senders for mid in s.acked.values()}
        assert acked_ids, "nothing was acknowledged"

        history = api.history(api.login(users[0]["user"]["username"]).json()["token"], room)
        history_ids = {m["id"] for m in history}
        assert acked_ids <= history_ids, f"acked but not in history: {acked_ids - history_ids}"
        stored = [(m["user"], m["client_id"]) for m in history]
        assert len(stored) == len(set(stored)), "a retried send was stored twice"

        missed_live = sorted(len(acked_ids - set(c.live)) for c in clients)
        record_figure(
            "Redis restart: acked messages a client got from join history, not live",
            repr(missed_live),
        )
        record_figure(
            "Redis restart: clients that had to sign in again",
            f"{sum(1 for c in clients if c.relogins)} of {len(clients)}",
        )

        # a client that re-joins with `since` = the last id it saw before the outage is
        # shown everything acknowledged
        for c in clients:
            if not c.connected:
                c.reconnect(time.monotonic() + 15, failover=False)
            c.rejoin_until_complete(before_outage[c.username], timeout=10)
            missing = acked_ids - set(c.stream)
            assert not missing, f"{c.username} never shown acked ids {sorted(missing)}"
            assert not duplicates(c.live), f"{c.username} got live ids twice: {duplicates(c.live)}"
    finally:
        stop.set()
        for c in clients:
            c.close()


def _ready(url: str) -> bool:
    try:
        return requests.get(url + "/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False
