"""Runtime at scale: a rolling restart under steady load, and a long run of churn.

    .venv/bin/python -m bench.scale_runtime [--rolling-seconds 60] [--soak-seconds 600] [--reference]

Rolling restart: two service processes (PostgreSQL + Redis) behind two FailoverProxy
forwarders that play the load balancer (half the clients come in through each; a proxy sends a
new connection to the first registered process that accepts it). Members of one room receive
``--rate`` messages a second from ``--senders`` of them (``--members`` x ``--rate`` deliveries a
second). Then, one process at a time, as an Auto Scaling instance refresh does: the process is
deregistered from both proxies and sent SIGTERM, it drains for SHUTDOWN_GRACE_SECONDS
(``--grace``) and exits; the clients it served reconnect through their proxy to the other one
and re-join with ``since`` = the last id they saw (paging on while ``more``), as the contract
says; a sender whose ``send`` got no ack sends it again with the same ``client_id``. A
replacement process starts on the same port and is registered again before the next one goes.
Measured: every acknowledged message reached every member (lost), a message twice on one
socket (the contract's "exactly once" per socket), a message both in a re-join's catch-up and
live on the new socket (the client drops it by id), duplicates stored, and the longest time a
member saw no new message (the client-visible gap) next to the gap of steady running.

Long run: one service process under connect / join / send / leave / disconnect churn from
``--workers`` clients for ``--warmup`` + ``--soak-seconds``; every ``--interval`` seconds its
RSS and open descriptors are read from /proc/<pid>/ and its green threads counted from inside
(SIGUSR1 writes a census line to its log: app/green.py). The mean of the first
``--window`` seconds after the warm-up is compared with the mean of the last ones. Those
means of descriptors and green threads move with the clients connected at each sample, so
at the end of the warm-up and at the end the churn pauses and an idle sample is taken with
nobody connected, descriptors told apart by what they connect to (clients, PostgreSQL,
Redis, listening, other). Flat: the RSS's window means, and the idle samples' RSS, green
threads and descriptors other than connections, within 5 %, PostgreSQL connections within
the pools' bound (``flat_raw``: the raw window means alone). ``--reference`` runs the same
churn against the Node.js reference server (RSS and descriptors; it has no green threads)
for the ratio.

Everything listens on 127.0.0.1; counts and durations are bounded; the processes started here
are stopped by their PID, also on SIGTERM. Results: bench/results/scale-runtime.json (and the
plot with --plot). The machine's load average is written beside the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import signal
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import socketio

from tests.support.client import Api, ChatClient
from tests.support.processes import stop_processes
from tests.support.proxy import FailoverProxy
from tests.support.server import ServerProcess

from . import harness

RESULTS = harness.BENCH / "results"
PASSWORD = "bench-password-1"  # noqa: S105 - users of a throwaway database
FLAT = 5.0  # per cent: the long run's target


def log(msg: str) -> None:
    print(f"[runtime] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- rolling restart


class Member(ChatClient):
    """A ChatClient that also knows which connection (socket) each live message came on."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.socket_no = 0
        self.live_by_socket: list[tuple[int, int]] = []  # (socket number, id)
        self.history_by_socket: list[tuple[int, int]] = []
        self.disconnected_at: list[float] = []

    def connect(self, timeout: float = 10) -> None:
        super().connect(timeout)
        self.socket_no += 1

    def _on_message(self, msg: dict) -> None:
        if isinstance(msg, dict) and msg.get("room") == self.room:
            with self.lock:
                self.live_by_socket.append((self.socket_no, msg["id"]))
        super()._on_message(msg)

    def join(self, since: int | None = None, timeout: float = 10) -> dict:
        ack = super().join(since, timeout)
        if isinstance(ack, dict) and ack.get("ok"):
            with self.lock:
                self.history_by_socket.extend((self.socket_no, m["id"]) for m in ack["messages"])
        return ack


class Rolling:
    def __init__(self, bench: harness.Bench, args) -> None:
        self.bench = bench
        self.args = args
        self.target = harness.Target("rolling", "svc", "chat service")
        self.env = bench.server_env(self.target)
        bench.migrate("svc", bench.database(self.target.name))
        self.env["SHUTDOWN_GRACE_SECONDS"] = str(max(1, round(args.grace)))
        self.servers: list[ServerProcess] = []
        self.proxies: list[FailoverProxy] = []
        self.stop = threading.Event()
        self.acked: dict[int, float] = {}  # id -> ack time
        self.send_failures = 0
        self.resends = 0
        self.errors: list[str] = []

    def start_server(self, port: int | None = None, n: int = 0) -> ServerProcess:
        srv = ServerProcess(
            self.env, self.bench.out / f"rolling-{n}-{port or 'new'}.log", "rolling", port=port
        )
        self.servers.append(srv)
        srv.start(60)
        return srv

    def register(self, port: int) -> None:
        for i, proxy in enumerate(self.proxies):
            # proxy 0 prefers the first process, proxy 1 the second: the load is split
            ports = sorted({*proxy.backends, port}, key=lambda p: self.order.index(p))
            proxy.backends = ports if i == 0 else list(reversed(ports))

    def deregister(self, port: int) -> None:
        for proxy in self.proxies:
            proxy.backends = [p for p in proxy.backends if p != port]

    def member_loop(self, m: Member, deadline: float) -> None:
        while not self.stop.is_set() and time.monotonic() < deadline:
            if not m.connected:
                m.disconnected_at.append(time.monotonic())
                try:
                    m.reconnect(min(deadline, time.monotonic() + 60), failover=False)
                except AssertionError as exc:
                    self.errors.append(str(exc)[:300])
                    return
            time.sleep(0.02)

    def sender_loop(self, m: Member, rate: float, deadline: float) -> None:
        period = 1.0 / rate
        next_at = time.monotonic()
        n = 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            next_at += period
            n += 1
            payload = {"room": m.room, "body": f"{m.username} {n}", "client_id": uuid.uuid4().hex}
            for attempt in range(50):  # the same client_id until acknowledged
                if self.stop.is_set():
                    return
                try:
                    if not m.connected:
                        m.reconnect(time.monotonic() + 60, failover=False)
                    ack = m.call("send", payload, timeout=10)
                except (socketio.exceptions.SocketIOError, AssertionError, OSError):
                    self.send_failures += 1
                    m.close()
                    continue
                if isinstance(ack, dict) and ack.get("ok"):
                    with m.lock:
                        self.acked[ack["message"]["id"]] = time.monotonic()
                    self.resends += attempt
                    break
                self.errors.append(f"send refused: {ack!r}"[:300])
                break
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()  # behind (a failover): no burst to catch up

    def run(self) -> dict:
        a = self.args
        first = self.start_server(n=0)
        second = self.start_server(n=1)
        self.order = [first.port, second.port]
        for prefer in (self.order, list(reversed(self.order))):
            proxy = FailoverProxy(list(prefer))
            proxy.start()
            self.proxies.append(proxy)
        api = Api(first.url)
        tag = self.bench.tag[-6:]
        room = f"rolling-{tag}"
        owner = api.register(f"r{tag}o", PASSWORD)
        api.create_room(owner["token"], room)
        members: list[Member] = []
        for i in range(a.members):
            user = api.register(f"r{tag}m{i}", PASSWORD)
            m = Member(user["user"]["username"], user["token"], room, [self.proxies[i % 2].origin])
            m.connect()
            ack = m.join()
            assert ack.get("ok"), ack
            members.append(m)
        senders = members[: a.senders]
        log(
            f"rolling: {a.members} members, {a.senders} sending {a.rate:g}/s in all, "
            f"pids {[s.pid for s in self.servers]}"
        )
        started = time.monotonic()
        deadline = started + a.rolling_seconds + 120  # the loops stop themselves even if this does not
        threads = [
            # one thread per client: a sender reconnects in its own loop, when a send fails
            threading.Thread(target=self.member_loop, args=(m, deadline), daemon=True)
            for m in members[a.senders :]
        ]
        threads += [
            threading.Thread(target=self.sender_loop, args=(m, a.rate / a.senders, deadline), daemon=True)
            for m in senders
        ]
        for t in threads:
            t.start()
        events = []
        # steady running, then each process in turn; then steady again until the end
        time.sleep(a.settle)
        steady_until = time.monotonic()
        for n, old in enumerate([first, second]):
            port = old.port
            self.deregister(port)
            at = time.monotonic()
            old.terminate()
            old.proc.wait(timeout=a.grace + 30)
            exited = time.monotonic()
            new = self.start_server(port=port, n=n + 2)
            self.register(port)
            ready = time.monotonic()
            events.append(
                {
                    "process": n,
                    "sigterm_s": round(at - started, 2),
                    "exited_s": round(exited - started, 2),
                    "replacement_ready_s": round(ready - started, 2),
                    "pid": old.pid,
                    "replacement_pid": new.pid,
                }
            )
            log(
                f"rolling: process {n} (pid {old.pid}) drained in {exited - at:.1f} s, "
                f"replacement pid {new.pid}"
            )
            time.sleep(a.settle)
        remaining = started + a.rolling_seconds - time.monotonic()
        if remaining > 0:
            time.sleep(remaining)
        self.stop.set()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - started
        time.sleep(a.drain)  # the last acknowledged messages reach everyone
        # a member still behind catches up as a reconnecting client would, then it is judged
        for m in members:
            if m.connected and not set(self.acked) <= set(m.stream):
                with contextlib.suppress(Exception):
                    m.rejoin_until_complete(m.last_seen)
        result = self.judge(members, api, owner["token"], room, started, steady_until, elapsed)
        result["events"] = events
        for m in members:
            m.close()
        return result

    def judge(self, members, api, token, room, started, steady_until, elapsed) -> dict:
        acked = set(self.acked)
        lost = {}
        dup_socket = 0
        overlap = 0
        gaps = []
        steady_gaps = []
        reconnects = []
        for m in members:
            with m.lock:
                seen = set(m.stream)
                live = list(m.live_by_socket)
                hist = list(m.history_by_socket)
                arrivals = sorted(t for i, t in m.arrivals.items() if i in acked)
            missing = acked - seen
            if missing:
                lost[m.username] = sorted(missing)[:20]
            dup_socket += len(live) - len(set(live))  # the same id twice on one socket
            overlap += len(set(live) & set(hist))  # catch-up and live on the same socket
            diffs = [(b - a, a) for a, b in itertools.pairwise(arrivals)]
            if diffs:
                gaps.append(max(d for d, _ in diffs))
                steady = [d for d, at in diffs if at < steady_until]
                if steady:
                    steady_gaps.append(max(steady))
            reconnects.append(m.reconnects)
        stored = api.history(token, room)
        bodies = [s["body"] for s in stored]
        seconds = max(1e-9, max(self.acked.values(), default=started) - started)
        return {
            "members": len(members),
            "senders": self.args.senders,
            "seconds": round(elapsed, 1),
            "acked": len(acked),
            "deliveries_per_s": round(len(acked) * len(members) / seconds),
            "lost": sum(len(v) for v in lost.values()),
            "lost_sample": lost,
            "duplicates_on_one_socket": dup_socket,
            "catch_up_overlap_dropped_by_id": overlap,
            "stored": len(stored),
            "stored_duplicates": len(bodies) - len(set(bodies)),
            "stored_not_acked": len({s["id"] for s in stored} - acked),
            "longest_gap_s": round(max(gaps, default=0), 2),
            "longest_gap_steady_s": round(max(steady_gaps, default=0), 3),
            "median_member_gap_s": round(statistics.median(gaps), 2) if gaps else None,
            "reconnects": sum(reconnects),
            "send_retries": self.resends,
            "send_failures": self.send_failures,
            "errors": self.errors[:10],
            "grace_s": self.args.grace,
            "loadavg": os.getloadavg(),
        }

    def close(self) -> None:
        self.stop.set()
        while self.proxies:
            self.proxies.pop().stop()
        stop_processes([s.proc for s in self.servers if s.proc is not None])


# --------------------------------------------------------------------------- long run


def proc_figures(pid: int) -> dict:
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return {"rss_kib": rss, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


LISTEN = "0A"  # TCP state in /proc/net/tcp


def tcp_sockets() -> dict[int, tuple[int, int, str]]:
    """inode -> (local port, remote port, state) of every TCP socket on the machine."""
    out = {}
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            f = line.split()
            out[int(f[9])] = (int(f[1].rsplit(":", 1)[1], 16), int(f[2].rsplit(":", 1)[1], 16), f[3])
    return out


def fd_classes(pid: int, port: int) -> dict[str, int]:
    """The process's open descriptors by what they are: connections of clients (to ``port``),
    to PostgreSQL (5432) and to Redis (6379), listening sockets, and the rest."""
    classes = {"clients": 0, "postgres": 0, "redis": 0, "listening": 0, "other": 0}
    tcp = tcp_sockets()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        inode = int(target[8:-1]) if target.startswith("socket:[") else None
        local, remote, state = tcp.get(inode, (0, 0, ""))
        if state == LISTEN:
            classes["listening"] += 1
        elif local == port and state:
            classes["clients"] += 1
        elif remote == 5432:
            classes["postgres"] += 1
        elif remote == 6379:
            classes["redis"] += 1
        else:
            classes["other"] += 1
    return classes


def idle_sample(pid: int, port: int, logfile: Path | None, timeout: float = 15, settle: float = 2) -> dict:
    """What the process holds with no client connected (the churn paused): RSS, descriptors
    by class and green threads. None of it moves with the connections of the moment, so a
    leak is what changes between two of these."""
    end = time.monotonic() + timeout
    while fd_classes(pid, port)["clients"] and time.monotonic() < end:
        time.sleep(0.1)
    time.sleep(settle)
    row = {**proc_figures(pid), **{f"fds_{k}": v for k, v in fd_classes(pid, port).items()}}
    if logfile is not None:
        row.update(census(pid, logfile) or {"greenlets": None})
    return row


def census(pid: int, logfile: Path, timeout: float = 5) -> dict | None:
    """Asks the service for its census (SIGUSR1) and reads the line it writes to its log."""
    before = logfile.stat().st_size
    os.kill(pid, signal.SIGUSR1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(0.05)
        with logfile.open("rb") as f:
            f.seek(before)
            for line in f.read().decode(errors="replace").splitlines():
                if line.startswith('{"census"'):
                    return json.loads(line)["census"]
    return None


def churn(
    url: str,
    tokens: list[str],
    rooms: list[str],
    stop: threading.Event,
    counts: dict,
    seed: int,
    paused: threading.Event | None = None,
) -> None:
    """connect, join a room, send one to three messages, leave, disconnect; again (waiting
    between cycles while ``paused`` is set)."""
    rnd = random.Random(seed)
    while not stop.is_set():
        if paused is not None and paused.is_set():
            time.sleep(0.05)
            continue
        sio = socketio.Client(reconnection=False, handle_sigint=False)
        try:
            sio.connect(url, auth={"token": rnd.choice(tokens)}, transports=["websocket"], wait_timeout=10)
            room = rnd.choice(rooms)
            ok = sio.call("join", {"room": room}, timeout=10).get("ok")
            for _ in range(rnd.randint(1, 3)):
                ok = (
                    sio.call("send", {"room": room, "body": f"churn {rnd.random()}"}, timeout=10).get("ok")
                    and ok
                )
            ok = sio.call("leave", {"room": room}, timeout=10).get("ok") and ok
            counts["cycles" if ok else "refused"] += 1
        except (socketio.exceptions.SocketIOError, OSError, AttributeError):
            counts["errors"] += 1
            time.sleep(0.2)
        finally:
            with contextlib.suppress(Exception):
                sio.disconnect()
            with contextlib.suppress(Exception):
                sio.shutdown()


def window_mean(samples: list[dict], key: str, lo: float, hi: float) -> float | None:
    values = [s[key] for s in samples if lo <= s["t"] < hi and s.get(key) is not None]
    return statistics.mean(values) if values else None


def soak(bench: harness.Bench, target: harness.Target, args) -> dict:
    env_target = target
    cluster = bench.start(env_target, 1)
    pid, url, logfile = cluster.pids[0], cluster.urls[0], cluster.logs[0]
    try:
        api = Api(url)
        tag = f"{bench.tag[-6:]}{target.kind}"
        users = [api.register(f"s{tag}u{i}", PASSWORD) for i in range(args.workers * 2)]
        tokens = [u["token"] for u in users]
        rooms = [f"soak-{tag}-{i}" for i in range(10)]
        for room in rooms:
            api.create_room(tokens[0], room)
        api.http.close()  # its keep-alive connection would count as a client in the idle samples
        stop, paused = threading.Event(), threading.Event()
        counts = {"cycles": 0, "refused": 0, "errors": 0}
        workers = [
            threading.Thread(target=churn, args=(url, tokens, rooms, stop, counts, i, paused), daemon=True)
            for i in range(args.workers)
        ]
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        inside_log = logfile if target.kind == "svc" else None
        idle = {}
        log(
            f"long run ({target.label}, pid {pid}): {args.workers} churning clients, "
            f"{args.warmup:g} s warm-up + {args.soak_seconds:g} s"
        )
        started = time.monotonic()
        for w in workers:
            w.start()
        samples = []
        end = started + args.warmup + args.soak_seconds
        next_at = started
        try:
            while time.monotonic() < end:
                if "start" not in idle and time.monotonic() - started >= args.warmup:
                    paused.set()  # the baseline with nobody connected, once the warm-up is over
                    idle["start"] = idle_sample(pid, port, inside_log)
                    paused.clear()
                    next_at = time.monotonic()  # the samples go on from here, not in a burst
                next_at += args.interval
                t = time.monotonic() - started
                row = {
                    "t": round(t, 1),
                    **proc_figures(pid),
                    "cycles": counts["cycles"],
                    "load1": os.getloadavg()[0],
                }
                if target.kind == "svc":
                    inside = census(pid, logfile)
                    row.update(inside or {"greenlets": None})
                samples.append(row)
                time.sleep(max(0.0, min(next_at, end) - time.monotonic()))
            paused.set()
            idle["end"] = idle_sample(pid, port, inside_log)
        finally:
            stop.set()
            for w in workers:
                w.join(15)
        seconds = time.monotonic() - started
        base_lo, base_hi = args.warmup, args.warmup + args.window
        last_lo, last_hi = args.warmup + args.soak_seconds - args.window, args.warmup + args.soak_seconds + 1
        growth = {}
        for key in ("rss_kib", "fds", "greenlets"):
            first = window_mean(samples, key, base_lo, base_hi)
            last = window_mean(samples, key, last_lo, last_hi)
            if first and last is not None:
                growth[key] = {
                    "first": round(first, 1),
                    "last": round(last, 1),
                    "growth_pct": round((last / first - 1) * 100, 2),
                }
        idle_growth = {}
        if "start" in idle and "end" in idle:
            for key in ("rss_kib", "fds_other", "fds_listening", "greenlets"):
                first, last = idle["start"].get(key), idle["end"].get(key)
                if first and last is not None:
                    idle_growth[key] = {
                        "first": first,
                        "last": last,
                        "growth_pct": round((last / first - 1) * 100, 2),
                    }
        # the pools open connections when the load first needs them, up to their bound: the
        # reads' 2 x DB_POOL_SIZE (no overflow), the main pool's half that plus as many,
        # and the send path's 5 plus 5 (app/server.py)
        size = int(harness.SERVICE_ENV.get("DB_POOL_SIZE", "10"))
        pool_bound = 2 * size + 2 * max(1, size // 2) + 10
        pools = {k: idle.get("end", {}).get(f"fds_{k}") for k in ("postgres", "redis")}
        checks = [abs(g["growth_pct"]) <= FLAT for g in idle_growth.values()]
        checks += [abs(growth["rss_kib"]["growth_pct"]) <= FLAT] if "rss_kib" in growth else []
        return {
            "server": target.label,
            "kind": target.kind,
            "idle": idle,
            "idle_growth": idle_growth,
            "pools": pools,
            "postgres_bound": pool_bound,
            "pid": pid,
            "workers": args.workers,
            "warmup_s": args.warmup,
            "soak_s": args.soak_seconds,
            "window_s": args.window,
            "seconds": round(seconds, 1),
            "cycles": counts["cycles"],
            "cycles_per_s": round(counts["cycles"] / seconds, 1),
            "refused": counts["refused"],
            "errors": counts["errors"],
            "growth": growth,
            # raw: the window means of every sample, which move with the clients connected
            # at the moment; flat: the RSS's window means and what the process holds with
            # nobody connected (idle samples), descriptors other than connections
            "flat_raw": all(abs(g["growth_pct"]) <= FLAT for g in growth.values()) if growth else None,
            "flat": all(checks) and (pools["postgres"] or 0) <= pool_bound if checks else None,
            "loadavg": os.getloadavg(),
            "samples": samples,
        }
    finally:
        bench.stop(cluster)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale_runtime", description=__doc__.split("\n")[0])
    ap.add_argument("--scenarios", default="rolling,soak", help="rolling, soak or both")
    ap.add_argument("--rolling-seconds", type=float, default=60, help="the rolling restart's whole run")
    ap.add_argument("--members", type=int, default=22, help="members of the room (rolling)")
    ap.add_argument("--senders", type=int, default=4, help="members that send (rolling)")
    ap.add_argument("--rate", type=float, default=100, help="messages a second, all senders (rolling)")
    ap.add_argument(
        "--grace", type=float, default=5, help="SHUTDOWN_GRACE_SECONDS of the processes (rolling)"
    )
    ap.add_argument("--settle", type=float, default=10, help="steady seconds before and after each restart")
    ap.add_argument("--drain", type=float, default=3, help="seconds for the last messages to arrive")
    ap.add_argument("--soak-seconds", type=float, default=600, help="the long run after its warm-up")
    ap.add_argument("--warmup", type=float, default=30, help="churn before the baseline")
    ap.add_argument("--window", type=float, default=120, help="seconds compared at the start and the end")
    ap.add_argument("--interval", type=float, default=10, help="seconds between samples")
    ap.add_argument("--workers", type=int, default=8, help="churning clients (long run)")
    ap.add_argument(
        "--reference", action="store_true", help="also the long run against the Node.js reference"
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "scale-runtime.json", help="the results (JSON)")
    ap.add_argument(
        "--plot", type=Path, help="also a plot of RSS, descriptors and green threads over the long run"
    )
    args = ap.parse_args(argv)
    args.window = min(args.window, args.soak_seconds / 2)
    scenarios = set(args.scenarios.split(","))
    # stopped early (SIGTERM): the servers, proxies and databases started here still go
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    out_dir = RESULTS / ("runtime-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = datetime.now(UTC).strftime("%H%M%S") + f"-{os.getpid() % 10000}"
    bench = harness.Bench("scale", out_dir, tag)
    out: dict = {"loadavg_before": os.getloadavg(), "cpus": os.cpu_count()}
    rolling = None
    try:
        if "rolling" in scenarios:
            rolling = Rolling(bench, args)
            try:
                out["rolling"] = rolling.run()
            finally:
                rolling.close()
            r = out["rolling"]
            print(
                json.dumps(
                    {
                        k: r[k]
                        for k in (
                            "acked",
                            "deliveries_per_s",
                            "lost",
                            "duplicates_on_one_socket",
                            "longest_gap_s",
                        )
                    }
                )
            )
        if "soak" in scenarios:
            out["soak"] = [soak(bench, harness.Target("svc", "svc", "chat service"), args)]
            if args.reference:
                out["soak"].append(soak(bench, harness.Target("ref", "ref", "Node.js reference"), args))
            for s in out["soak"]:
                print(
                    json.dumps(
                        {
                            "server": s["server"],
                            "cycles_per_s": s["cycles_per_s"],
                            "growth": s["growth"],
                            "idle_growth": s["idle_growth"],
                            "pools": s["pools"],
                            "flat": s["flat"],
                        }
                    )
                )
        sys.stdout.flush()
    finally:
        if rolling is not None:
            rolling.close()
        bench.cleanup()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    if args.plot and out.get("soak"):
        plot(out, args.plot)
    return 0


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        ("rss_kib", "RSS (MiB)", 1 / 1024),
        ("fds", "open descriptors", 1),
        ("greenlets", "green threads", 1),
    ]
    fig, axes = plt.subplots(len(keys), 1, figsize=(9, 7), sharex=True)
    for run in results["soak"]:
        for ax, (key, label, scale) in zip(axes, keys, strict=True):
            pts = [(s["t"] / 60, s[key] * scale) for s in run["samples"] if s.get(key) is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), marker=".", label=run["server"])
            ax.set_ylabel(label)
            ax.grid(True, alpha=0.3)
    warm = results["soak"][0]["warmup_s"] / 60
    for ax in axes:
        ax.axvline(warm, color="grey", linestyle=":")
        ax.set_ylim(bottom=0)
    axes[0].legend(fontsize=8)
    axes[-1].set_xlabel("minutes (dotted: end of the warm-up)")
    axes[0].set_title("Long run: connect/join/send/leave/disconnect churn, one process")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
