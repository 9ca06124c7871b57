"""Where the memory of an idle joined socket goes: a breakdown by allocation site.

    .venv/bin/python -m bench.socket_memory --counts 1000,2000        # ~2-3 minutes

One process of the service (eventlet, the default) runs under tracemalloc (``serve`` below,
through ``BENCH_SERVICE_MODULE``); bench/sockets.js opens the idle joined sockets of
bench/scale_sockets.py rung by rung. Inside the service a watcher thread takes a snapshot
once the number of engine.io sockets has reached each count and stayed there for a few
seconds (after a full collection), and writes what it holds grouped by allocation site:
the innermost frame outside the standard library decides the group (greenlet, WSGI
request, eventlet WebSocket, engine.io, socket.io, the service's own state, ...).

Between the first and the last count the figures are per socket: tracemalloc's total, each
group, the top allocation lines, and the RSS growth. What RSS grew by beyond what
tracemalloc saw (and beyond tracemalloc's own bookkeeping) is what it cannot see: mostly
the greenlets' saved C stacks, plus allocator overhead. tracemalloc slows the service and
its own memory is subtracted, so the absolute RSS here is not the benchmark's figure:
bench/scale_sockets.py measures that, against the reference.

Results: bench/results/socket-memory.json, and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

NFRAMES = 12
STABLE_CHECKS = 3  # one a second: the count unchanged this long before a snapshot

# (group, path fragments): the innermost frame outside the standard library that matches
# a fragment decides the group; the first rule that matches wins
# (a greenlet's saved stack is allocated by the switch away from it: eventlet/hubs/hub.py)
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "greenlet (object and saved stack)",
        ("/greenlet/", "eventlet/greenthread.py", "eventlet/greenpool.py", "eventlet/hubs/hub.py"),
    ),
    ("eventlet WebSocket", ("eventlet/websocket.py",)),
    (
        "WSGI environ and request objects",
        ("eventlet/wsgi.py", "/werkzeug/", "/flask/", "app/transport/wsgi.py"),
    ),
    ("engine.io socket and queue", ("/engineio/", "app/fastpath/wsdirect.py", "app/fastpath/framewriter.py")),
    ("socket.io session and rooms", ("/socketio/", "/flask_socketio/", "app/fastpath/rooms.py")),
    ("the service's own per-socket state", ("/app/",)),
)
# generic helpers: their caller decides the group
PASS_THROUGH = (
    "eventlet/semaphore.py",
    "eventlet/queue.py",
    "eventlet/event.py",
    "eventlet/timeout.py",
    "eventlet/hubs/timer.py",
    "eventlet/greenio/",
)
STDLIB = os.path.dirname(os.__file__)


def group_of(frames) -> tuple[str, str]:
    """(group, "file:line" of the deciding frame) for a traceback, innermost frame last."""
    for frame in reversed(frames):
        name = frame.filename
        if (name.startswith(STDLIB) and "site-packages" not in name) or any(p in name for p in PASS_THROUGH):
            continue
        for group, fragments in GROUPS:
            if any(f in name for f in fragments):
                return group, f"{_short(name)}:{frame.lineno}"
        return "other", f"{_short(name)}:{frame.lineno}"
    frame = frames[-1] if len(frames) else None
    return "other (standard library only)", f"{_short(frame.filename)}:{frame.lineno}" if frame else "?"


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", STDLIB + "/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def census(snapshot) -> dict:
    groups: dict[str, int] = {}
    sites: dict[str, int] = {}
    snapshot = snapshot.filter_traces(
        [tracemalloc.Filter(False, __file__), tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    for stat in snapshot.statistics("traceback"):
        group, site = group_of(stat.traceback)
        groups[group] = groups.get(group, 0) + stat.size
        key = f"{group} | {site}"
        sites[key] = sites.get(key, 0) + stat.size
    return {"groups": groups, "sites": sites}


def _engineio_server():
    import engineio.base_server

    # the service's collector policy freezes survivors, which get_objects() leaves out:
    # thawed for the search (once, before any socket), frozen again after
    frozen = gc.get_freeze_count()
    if frozen:
        gc.unfreeze()
    try:
        for obj in gc.get_objects():
            if isinstance(obj, engineio.base_server.BaseServer):
                return obj
        return None
    finally:
        if frozen:
            gc.freeze()


def watch(counts: list[int], out: Path, sleep=time.sleep) -> None:
    """In a thread of the service: a snapshot at each count once it holds steady."""
    server = None
    pending = sorted(counts)
    last, steady = -1, 0
    while pending:
        sleep(1)
        if server is None:
            # tracemalloc starts once the service is up: its imports are not per socket
            if "app.server" in sys.modules and "engineio.base_server" in sys.modules:
                server = _engineio_server()
                if server is not None:
                    tracemalloc.start(NFRAMES)
            continue
        n = len(server.sockets)
        steady = steady + 1 if n == last else 0
        last = n
        with open(out / "watch.log", "a") as f:
            f.write(f"{time.strftime('%H:%M:%S')} {n} sockets, steady {steady} s\n")
        if n < pending[0] or steady < STABLE_CHECKS:
            continue
        started = time.monotonic()
        gc.collect()
        # RSS and the traced total before the snapshot, whose own objects would count
        rss, (traced, _) = rss_bytes(), tracemalloc.get_traced_memory()
        overhead = tracemalloc.get_tracemalloc_memory()
        snap = tracemalloc.take_snapshot()
        row = {
            "sockets": len(server.sockets),
            "rss_bytes": rss,
            "traced_bytes": traced,
            "tracemalloc_overhead_bytes": overhead,
            **census(snap),
            "snapshot_s": round(time.monotonic() - started, 1),
        }
        del snap
        (out / f"at-{pending[0]}.json").write_text(json.dumps(row))
        pending.pop(0)


def serve() -> None:
    """``python -m bench.socket_memory serve --host H --port P``: the service, traced."""
    counts = [int(c) for c in os.environ["SOCKET_MEMORY_AT"].split(",")]
    out = Path(os.environ["SOCKET_MEMORY_OUT"])
    # a real thread with the real sleep, started before the service patches the event loop in
    threading.Thread(target=watch, args=(counts, out, time.sleep), daemon=True).start()
    from app.__main__ import main as app_main

    app_main(sys.argv[1:])


def per_socket(first: dict, last: dict) -> dict:
    n = last["sockets"] - first["sockets"]
    if n <= 0:
        raise ValueError("the counts did not grow")

    def diff(key):
        a, b = first[key], last[key]
        return {k: (b.get(k, 0) - a.get(k, 0)) / n for k in set(a) | set(b)}

    traced = (last["traced_bytes"] - first["traced_bytes"]) / n
    overhead = (last["tracemalloc_overhead_bytes"] - first["tracemalloc_overhead_bytes"]) / n
    rss = (last["rss_bytes"] - first["rss_bytes"]) / n
    groups = dict(sorted(diff("groups").items(), key=lambda kv: -kv[1]))
    sites = sorted(diff("sites").items(), key=lambda kv: -kv[1])[:25]
    return {
        "from": first["sockets"],
        "to": last["sockets"],
        "rss_per_socket": rss,
        "traced_per_socket": traced,
        "tracemalloc_overhead_per_socket": overhead,
        "unseen_per_socket": rss - traced - overhead,
        "groups_per_socket": groups,
        "top_sites_per_socket": sites,
    }


def table(res: dict) -> str:
    kib = 1024
    lines = [
        f"Per idle joined socket, between {res['from']:,} and {res['to']:,} sockets "
        "(KiB; x1,000 = MiB per 1,000)",
        "",
        "| allocated by | KiB per socket |",
        "|---|---|",
    ]
    for group, size in res["groups_per_socket"].items():
        if abs(size) >= 0.05 * kib:
            lines.append(f"| {group} | {size / kib:.1f} |")
    lines += [
        f"| **tracemalloc's total** | **{res['traced_per_socket'] / kib:.1f}** |",
        "| not seen by tracemalloc (RSS growth - traced - tracemalloc's own) | "
        f"{res['unseen_per_socket'] / kib:.1f} |",
        f"| RSS growth (tracemalloc's own {res['tracemalloc_overhead_per_socket'] / kib:.1f} included) | "
        f"{res['rss_per_socket'] / kib:.1f} |",
        "",
        "| top allocation sites | KiB per socket |",
        "|---|---|",
    ]
    for site, size in res["top_sites_per_socket"][:15]:
        lines.append(f"| {site} | {size / kib:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "serve":
        serve()
        return 0
    from .harness import BENCH, Bench, BenchError, Target, log, run_dir
    from .scale_sockets import node_modules, raise_fd_limit, run_sockets, sockets_plan

    ap = argparse.ArgumentParser(prog="python -m bench.socket_memory", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--counts",
        default="1000,2000",
        help="socket counts: the per-socket figures are between the first and the last",
    )
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument(
        "--hold-seconds",
        type=float,
        default=45,
        help="time at each count (a census takes 30 s at 1,000 sockets on a loaded machine)",
    )
    ap.add_argument("--deadline", type=float, default=600)
    ap.add_argument("--out", type=Path, default=BENCH / "results" / "socket-memory.json")
    args = ap.parse_args(argv)
    counts = sorted(int(c) for c in args.counts.split(","))
    node_modules()
    raise_fd_limit(counts[-1] + 1000)
    out_dir, tag = run_dir()
    snaps = out_dir / "socket-memory"
    snaps.mkdir(parents=True, exist_ok=True)
    bench = Bench("socket-memory", out_dir, tag)
    os.environ["BENCH_SERVICE_MODULE"] = "bench.socket_memory"
    plan_args = argparse.Namespace(
        users=args.users,
        counts=counts,
        idle_seconds=args.hold_seconds,
        probe_seconds=1,
        storm_deadline=10,
        deadline=args.deadline,
    )
    loadavg = os.getloadavg()
    try:
        cluster = bench.start(
            Target("svc-1p", "svc", "service (eventlet), one process, traced"),
            1,
            {"SOCKET_MEMORY_AT": ",".join(map(str, counts)), "SOCKET_MEMORY_OUT": str(snaps)},
        )
        try:
            run_sockets(bench, cluster, sockets_plan(bench, cluster, plan_args, False))
            deadline = time.monotonic() + 240  # the last census runs after the sockets closed
            while not (snaps / f"at-{counts[-1]}.json").exists() and time.monotonic() < deadline:
                time.sleep(1)
        finally:
            bench.stop(cluster)
    except BenchError as err:
        log(str(err))
        return 1
    finally:
        bench.cleanup()
    rows = [
        json.loads((snaps / f"at-{c}.json").read_text()) for c in counts if (snaps / f"at-{c}.json").exists()
    ]
    if len(rows) < 2:
        log(
            f"snapshots taken at {[r['sockets'] for r in rows]} only: hold the counts longer (--hold-seconds)"
        )
        return 1
    res = per_socket(rows[0], rows[-1])
    res["loadavg"] = [loadavg, os.getloadavg()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1))
    print(table(res))
    print(f"\nload average {loadavg[0]:.1f} before, {os.getloadavg()[0]:.1f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
