"""Many sockets: one process of each server holding 100 to 10,000 idle joined sockets, and a
reconnect storm of all of them.

    .venv/bin/python -m bench.scale_sockets --counts 100,1000,5000,10000 --idle-seconds 10 \
        --probe-seconds 5 --storm-deadline 120 --plot docs/img/scale-sockets.png   # ~8 minutes

The defaults (100 and 1,000 sockets, short windows: about a minute and a half) are what
`make bench-scale` runs, which must stay under 15 minutes with the history scenario.

One process of the Node.js reference and one of the service (eventlet), one after the other
(10,000 sockets of each at once would need more file descriptors in the load generator than
this machine allows), each on a database and Redis channel of its own (bench/harness.py).
bench/sockets.js climbs the ladder of socket counts; at each count it records the server's
RSS, its CPU over a window with nothing sent (heartbeats, timers) and the latency of
messages to a room of 10 while all the others are connected. With --storm it then closes
every socket at once, sends a few messages to every room, and reconnects them all at the
same moment, each re-joining with `since`: time until all are back, refusals, timeouts,
messages missed.

Both servers can do the same work, so the figures are given side by side and as ratios
(service / reference); the machine's load average is written beside each row. The soft
limit on open files is raised to the hard limit for this process and the processes it
starts (the servers and the load generator inherit it).

Results: bench/results/scale-sockets.json (and the plot with --plot).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from .harness import BENCH, Bench, BenchError, Target, log, run_dir

RESULTS = BENCH / "results"
P99_TARGET_RATIO = 2.0  # p99 at the top count against p99 at 100 sockets
STORM_TARGET_S = 30.0


def raise_fd_limit(needed: int) -> tuple[int, int]:
    """The soft limit on open files up to the hard one; (soft, hard) after. Children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    if soft < needed:
        log(f"open-file limit {soft} is below the {needed} this run needs: expect refused connects")
    return soft, hard


def node_modules() -> None:
    """The load generator's packages, as bench/run installs them."""
    lock = BENCH / "node_modules" / ".package-lock.json"
    if not lock.exists() or (BENCH / "package-lock.json").stat().st_mtime > lock.stat().st_mtime:
        cmd = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(cmd, cwd=BENCH, check=True, timeout=600)


def sockets_plan(bench: Bench, cluster, args, storm: bool) -> dict:
    plan = bench.plan([cluster], "sockets", {})
    target = plan.pop("targets")[0]
    return {
        **plan,
        "server": target["server"],
        "url": target["urls"][0],
        "urls": target["urls"],  # the idle sockets are spread over them, round robin
        "pids": target["pids"],
        "user_prefix": target["user_prefix"],
        "room_prefix": f"s{bench.tag[-6:]}-",
        "users": args.users,
        "counts": args.counts,
        "idle_s": args.idle_seconds,
        "probe_s": args.probe_seconds,
        "storm": storm,
        "storm_deadline_s": args.storm_deadline,
        "deadline_s": args.deadline,
    }


def run_sockets(bench: Bench, cluster, plan: dict) -> dict:
    path = bench.out / f"plan-sockets-{cluster.target.name}.json"
    path.write_text(json.dumps(plan, indent=1))
    res = subprocess.run(
        ["node", str(BENCH / "sockets.js"), str(path)],
        cwd=BENCH,
        stdout=subprocess.PIPE,
        text=True,
        timeout=plan["deadline_s"] + 30,
    )
    lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": f"exit {res.returncode}, no result"}
    if res.returncode != 0 or "error" in result:
        raise BenchError(f"sockets.js ({cluster.target.name}) failed: {result.get('error')}")
    return result


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def compare(results: dict) -> dict:
    """Service against reference at each count; the targets met or missed."""
    ref, svc = results["servers"].get("ref"), results["servers"].get("svc")
    if not ref or not svc:
        return {}
    rows = []
    by_count = {r["sockets"]: r for r in ref["counts"]}
    for s in svc["counts"]:
        r = by_count.get(s["sockets"])
        if not r:
            continue
        rows.append(
            {
                "sockets": s["sockets"],
                "rss_ratio": ratio(s["rss_bytes"], r["rss_bytes"]),
                "p99_ratio": ratio(s["probe"]["latency_ms"]["p99"], r["probe"]["latency_ms"]["p99"]),
                "idle_cpu_ratio": ratio(s["idle_cpu_percent"], r["idle_cpu_percent"]),
            }
        )
    out: dict = {"by_count": rows}
    first, last = svc["counts"][0], svc["counts"][-1]
    # memory per idle connection: the RSS between the second-lowest and the top count
    # (the first rung absorbs one-time growth, as in the 1,000-connection scenario)
    per = {}
    for name, srv in (("svc", svc), ("ref", ref)):
        a, b = srv["counts"][min(1, len(srv["counts"]) - 1)], srv["counts"][-1]
        if b["sockets"] > a["sockets"]:
            per[name] = (b["rss_bytes"] - a["rss_bytes"]) / (b["sockets"] - a["sockets"])
    if len(per) == 2:
        out["kib_per_socket"] = {k: round(v / 1024, 1) for k, v in per.items()}
        out["kib_per_socket_ratio"] = ratio(per["svc"], per["ref"])
    p99_first, p99_last = first["probe"]["latency_ms"]["p99"], last["probe"]["latency_ms"]["p99"]
    out["svc_p99_growth"] = {
        "from": first["sockets"],
        "to": last["sockets"],
        "ratio": ratio(p99_last, p99_first),
        "target": P99_TARGET_RATIO,
        "met": (p99_last is not None and p99_first is not None and p99_last <= P99_TARGET_RATIO * p99_first)
        and last["probe"]["delivered"] == last["probe"]["expected"],
    }
    if "storm" in svc:
        st = svc["storm"]
        out["svc_storm"] = {
            "clients": st["clients"],
            "all_back_s": st["all_back_s"],
            "target_s": STORM_TARGET_S,
            # the target: every client back within 30 s, none refused (a connect
            # refused or a join answered with an error), nothing missed. A client whose
            # connect or join timed out at its own end is counted beside it (`timeout`,
            # `join_timeout`): in a burst of 10,000 at once, those past what one process
            # answers within socket.io-client's 20 s give up and come back
            "met": st["all_back_s"] is not None
            and st["all_back_s"] <= STORM_TARGET_S
            and st["refused"] + st["join_error"] == 0
            and st["missed_messages"] == 0,
            "timeouts": st["timeout"] + st["join_timeout"],
        }
        if "storm" in ref:
            out["svc_storm"]["ratio"] = ratio(st["all_back_s"], ref["storm"]["all_back_s"])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale_sockets", description=__doc__.split("\n")[0])
    ap.add_argument("--counts", default="100,1000", help="socket counts of the ladder")
    ap.add_argument(
        "--storm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the reconnect storm at the top count",
    )
    ap.add_argument("--servers", default="ref,svc", help="ref, svc or both (one after the other)")
    ap.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes of each server, the sockets spread over them round robin (production"
        " runs one per vCPU behind nginx: modules/app-asg)",
    )
    ap.add_argument(
        "--db-pool-size",
        type=int,
        help="the service's DB_POOL_SIZE (the benchmarks' 4 when not given; production's default is 10)",
    )
    ap.add_argument("--users", type=int, default=100, help="users the sockets belong to")
    ap.add_argument("--idle-seconds", type=float, default=5, help="CPU window with nothing sent, per count")
    ap.add_argument("--probe-seconds", type=float, default=3, help="room-message latency window, per count")
    ap.add_argument("--storm-deadline", type=float, default=30, help="give up the storm after this")
    ap.add_argument("--deadline", type=float, default=600, help="per server: the load generator stops itself")
    ap.add_argument("--out", type=Path, default=RESULTS / "scale-sockets.json", help="the results (JSON)")
    ap.add_argument("--plot", type=Path, help="also a plot of p50/p99 and RSS against the socket count")
    args = ap.parse_args(argv)
    args.counts = sorted(int(c) for c in args.counts.split(","))
    # stopped early (SIGTERM): the servers it started and their databases still go (finally)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    node_modules()
    soft, hard = raise_fd_limit(args.counts[-1] + 1000)
    out_dir, tag = run_dir()
    bench = Bench("sockets", out_dir, tag)
    results: dict = {
        "counts": args.counts,
        "processes": args.processes,
        "db_pool_size": args.db_pool_size,
        "fd_limit": [soft, hard],
        "loadavg_before": os.getloadavg(),
        "servers": {},
    }
    started = time.monotonic()
    wanted = args.servers.split(",")
    try:
        procs = "one process" if args.processes == 1 else f"{args.processes} processes"
        for kind, target in (
            ("ref", Target(f"ref-{args.processes}p", "ref", f"Node.js reference, {procs}")),
            ("svc", Target(f"svc-{args.processes}p", "svc", f"service (eventlet), {procs}")),
        ):
            if kind not in wanted:
                continue
            pool = {"DB_POOL_SIZE": str(args.db_pool_size)} if kind == "svc" and args.db_pool_size else {}
            cluster = bench.start(target, args.processes, pool)
            try:
                results["servers"][kind] = run_sockets(
                    bench, cluster, sockets_plan(bench, cluster, args, args.storm)
                )
                results["servers"][kind]["label"] = target.label
            finally:
                bench.stop(cluster)
    except BenchError as err:
        results["error"] = str(err)  # what was measured before is kept
        log(str(err))
    finally:
        bench.cleanup()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["loadavg_after"] = os.getloadavg()
    results["comparison"] = compare(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps({"elapsed_s": results["elapsed_s"], **results["comparison"]}, indent=1))
    if args.plot and results["servers"]:
        plot(results, args.plot)
    return 1 if "error" in results else 0


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (lat, mem) = plt.subplots(1, 2, figsize=(11, 4.5))
    for kind, srv in results["servers"].items():
        counts = [r["sockets"] for r in srv["counts"]]
        p99 = [r["probe"]["latency_ms"]["p99"] for r in srv["counts"]]
        p50 = [r["probe"]["latency_ms"]["p50"] for r in srv["counts"]]
        line = lat.plot(counts, p99, marker="o", label=f"{srv['label']} p99")[0]
        lat.plot(counts, p50, marker=".", linestyle=":", color=line.get_color(), label=f"{kind} p50")
        mem.plot(counts, [r["rss_bytes"] / 2**20 for r in srv["counts"]], marker="o", label=srv["label"])
    for ax in (lat, mem):
        ax.set_xscale("log")
        ax.set_xlabel("idle joined sockets on the process")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    lat.set_ylabel("ms, send to delivery (room of 10)")
    lat.set_title("Room message latency while the sockets are held")
    mem.set_ylabel("server RSS, MiB")
    mem.set_title("Server memory")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
