"""Benchmark orchestrator: the chat service against the Node.js reference, same machine, same run.

``bench/run --quick`` (under a minute) prints the ratios; ``bench/run --full`` (under ten
minutes) runs every scenario of docs/benchmarks.md, writes its results section and the plots
under docs/img/. ``bench/run --profile`` samples the service with py-spy under fan-out load.

Both servers share one PostgreSQL and one Redis (their own database and key prefix per run);
each scenario runs the reference and the service back to back so a noisy machine hits both.
Raw results go to bench/results/<run>/ (not committed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import redis

from bench.harness import BENCH, PYTHON, ROOT, Bench, BenchError, Target, run_dir
from bench.plans import (
    FANOUT_RAMP,
    LATENCY_RATE,
    MANYROOMS_RAMP,
    QUICK_RAMP,
    fanout_plan,
    idle_plan,
    latency_plan,
    manyrooms_plan,
)
from bench.summary import summarize
from tests.support.settings import PG_ADMIN_URL, REDIS_URL

DOCS = ROOT / "docs" / "benchmarks.md"
IMG = ROOT / "docs" / "img"
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"


def targets(async_modes: list[str]) -> tuple[Target, list[Target]]:
    ref = Target("ref", "ref", "Node.js reference")
    svcs = [
        Target(f"svc-{m}", "svc", f"service ({m})", {"ASYNC_MODE": m})
        if m != "default"
        else Target("svc", "svc", "service", {})
        for m in async_modes
        if m != "none"  # reference only: for checking the bench itself
    ]
    return ref, svcs


def run(mode: str, async_modes: list[str], only: set[str] | None) -> dict:
    out, tag = run_dir()
    bench = Bench(mode, out, tag)
    ref, svcs = targets(async_modes)
    # Scenarios beyond fan-out and latency run for the first async mode only.
    main = [ref, *svcs[:1]]
    quick = mode == "quick"
    step_s = 2.0 if quick else 2.5
    users = 10 if quick else 100
    results: dict = {"mode": mode, "machine": machine_info(), "scenarios": {}, "out": str(out)}
    wanted = (lambda name: name in only) if only else (lambda name: True)
    started = time.monotonic()
    sc = results["scenarios"]
    try:
        pair = [ref, *svcs]
        clusters = [bench.start(t, 2) for t in pair]
        ramp = QUICK_RAMP if quick else FANOUT_RAMP
        if wanted("fanout"):
            sc["fanout"] = bench.loadgen(
                clusters, "fanout", fanout_plan(ramp, step_s, users, 1 if quick else 2)
            )
        if wanted("latency"):
            sc["latency"] = bench.loadgen(
                clusters, "latency", latency_plan(2 if quick else 3, 2.0 if quick else 3.0, users)
            )
        if not quick and wanted("manyrooms"):
            sc["manyrooms"] = bench.loadgen(
                clusters[: len(main)], "manyrooms", manyrooms_plan(MANYROOMS_RAMP, step_s, users, 1)
            )
        for cluster in clusters:
            bench.stop(cluster)

        if not quick and (wanted("memory") or wanted("scaling")):
            one = [t.variant("1p", "one process") for t in main]
            singles = [bench.start(t, 1) for t in one]
            if wanted("memory"):
                # one server at a time: the other's connections would only add noise
                sc["memory"] = [bench.loadgen(c, "memory", idle_plan(users))[0] for c in singles]
            if wanted("scaling") and wanted("memory"):
                # 1,000 sockets just left; fresh processes so their clean-up is not measured
                for cluster in singles:
                    bench.stop(cluster)
                singles = [bench.start(t, 1) for t in one]
            if wanted("scaling"):
                # one and two processes side by side, steps alternating; one server at a
                # time keeps PostgreSQL's shared connection limit in reach
                sc["scaling"] = []
                for single, t in zip(singles, main, strict=True):
                    pair = bench.start(t, 2)
                    sc["scaling"] += bench.loadgen(
                        [single, pair], "scaling", fanout_plan(FANOUT_RAMP[1:], step_s, users, 1)
                    )
                    bench.stop(pair)
            for cluster in singles:
                bench.stop(cluster)

        if not quick and wanted("persistence"):
            # with and without the INSERT side by side; without it ids are no commit order
            no_db = [
                t.variant("nodb", "no database writes", {"BENCH_NO_PERSIST": "1"},
                          {"check_order": False})
                for t in main
            ]  # fmt: skip
            sc["persistence"], sc["latency-persistence"] = [], []
            for with_db, without in zip(main, no_db, strict=True):
                clusters = [bench.start(with_db, 2), bench.start(without, 2)]
                sc["persistence"] += bench.loadgen(
                    clusters, "persistence", fanout_plan(FANOUT_RAMP[1:], step_s, users, 1)
                )
                sc["latency-persistence"] += bench.loadgen(
                    clusters, "latency-persistence", latency_plan(2, 4.0, users)
                )
                for cluster in clusters:
                    bench.stop(cluster)
    except BenchError as err:
        # What was measured before the failure is kept and reported with the error.
        results["error"] = str(err)
    finally:
        bench.cleanup()
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    results["machine"]["load_after"] = os.getloadavg()
    results["summary"] = summarize(results, ref.name, [s.name for s in svcs])
    (out / "results.json").write_text(json.dumps(results, indent=1))
    return results


# ---------------------------------------------------------------- machine and versions


def _cmd(args: list[str]) -> str:
    try:
        res = subprocess.run(args, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (res.stdout or res.stderr).strip().splitlines()[0] if (res.stdout or res.stderr) else ""


def machine_info() -> dict:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        m = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = m.group(1).strip() if m else cpu
    mem_kb = 0
    with contextlib.suppress(OSError, AttributeError):
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    pkgs = {}
    lock = json.loads((BENCH / "package-lock.json").read_text())
    for name in ("socket.io", "socket.io-client", "@socket.io/redis-adapter", "redis", "pg"):
        pkgs[name] = lock["packages"].get(f"node_modules/{name}", {}).get("version")
    py = subprocess.run(
        [
            str(PYTHON),
            "-c",
            "import importlib.metadata as m, json;"
            "print(json.dumps({p: m.version(p) for p in ('flask-socketio', 'python-socketio',"
            " 'python-engineio', 'simple-websocket', 'eventlet', 'gevent', 'redis',"
            " 'psycopg2-binary', 'SQLAlchemy')}))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    py_pkgs = json.loads(py.stdout) if py.returncode == 0 else {}
    pg_version = ""
    with contextlib.suppress(psycopg2.Error):
        conn = psycopg2.connect(PG_ADMIN_URL)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg_version = cur.fetchone()[0]
        conn.close()
    redis_version = ""
    with contextlib.suppress(redis.RedisError):
        redis_version = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": _cmd([str(PYTHON), "--version"]),
        "node": _cmd(["node", "--version"]),
        "postgresql": pg_version,
        "redis": redis_version,
        "node_packages": pkgs,
        "python_packages": py_pkgs,
        "load_before": os.getloadavg(),
    }


# ---------------------------------------------------------------- output


def fmt_rate(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def fmt_ratio(v: float | None, target: float | None = None, higher_is_better: bool = True) -> str:
    if v is None:
        return "-"
    if target is None:
        return f"{v:.2f}"
    ok = v >= target if higher_is_better else v <= target
    return f"{v:.2f} ({'meets' if ok else 'misses'} {target:g})"


def ratio_lines(results: dict) -> list[str]:
    lines = []
    for svc, s in results["summary"]["services"].items():
        lines.append(f"{svc} against the reference:")
        if "fanout" in s:
            f = s["fanout"]
            lines.append(
                f"  fan-out sustained deliveries/s: {fmt_rate(f['service'])} vs "
                f"{fmt_rate(f['reference'])} -> ratio {fmt_ratio(f['ratio'], 0.8)}"
            )
            if f.get("capped"):
                lines.append(f"  (top of the ramp reached by {', '.join(f['capped'])}: a lower bound)")
        if "latency" in s:
            lat = s["latency"]
            lines.append(
                f"  p99 at {LATENCY_RATE} deliveries/s: {lat['service']['p99']} ms vs "
                f"{lat['reference']['p99']} ms -> ratio {fmt_ratio(lat['p99_ratio'], 1.5, False)}"
            )
            cpu = lat["cpu_us_per_delivery"]
            lines.append(
                f"  server CPU per delivery: {cpu[0]} us vs {cpu[1]} us -> ratio "
                f"{fmt_ratio(lat['cpu_ratio'], 1.5, False)}"
            )
        if "manyrooms" in s:
            m = s["manyrooms"]
            lines.append(
                f"  many rooms sustained deliveries/s: {fmt_rate(m['service'])} vs "
                f"{fmt_rate(m['reference'])} -> ratio {fmt_ratio(m['ratio'], 0.6)}"
            )
        if "memory" in s:
            m = s["memory"]
            lines.append(
                f"  RSS per 1,000 idle connections: {m['service'] / 2**20:.1f} MiB vs "
                f"{m['reference'] / 2**20:.1f} MiB -> ratio {fmt_ratio(m['ratio'], 1.5, False)}"
            )
        if "scaling" in s:
            sc = s["scaling"]
            lines.append(
                f"  two processes / one: service {fmt_ratio(sc['service'])}, "
                f"reference {fmt_ratio(sc['reference'])}"
            )
        if "persistence" in s:
            p = s["persistence"]
            cost = "-" if p["service_cost"] is None else f"{p['service_cost']:.0%}"
            ref_cost = "-" if p["reference_cost"] is None else f"{p['reference_cost']:.0%}"
            lines.append(
                f"  persistence cost (fan-out, with / without the INSERT): service {cost} "
                f"({fmt_rate(p['service_with_db'])} / {fmt_rate(p['service_without_db'])}), "
                f"reference {ref_cost} (target at most 10%)"
            )
    for name, i in results["summary"]["integrity"].items():
        lines.append(
            f"{name}: lost {i['lost']}, late {i['late']}, duplicated {i['duplicated']}, out of order "
            f"{i['reordered']}, malformed {i['malformed']}, failed acks {i['ack_errors']} "
            f"over {i['steps']} steps"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="fan-out and latency, under a minute")
    group.add_argument("--full", action="store_true", help="every scenario, under ten minutes")
    group.add_argument("--profile", action="store_true", help="py-spy profile of the service")
    parser.add_argument(
        "--async-modes",
        default=None,
        help="comma-separated service async modes to measure (default: the service's default "
        "for --quick; eventlet,gevent for --full, the first one used for every scenario)",
    )
    parser.add_argument("--only", default=None, help="comma-separated scenario names")
    parser.add_argument("--rate", type=int, default=3000, help="--profile: deliveries/s offered")
    parser.add_argument(
        "--scenario",
        choices=("fanout", "manyrooms"),
        default="fanout",
        help="--profile: the load (100 clients in one room, or 500 in 50 rooms)",
    )
    parser.add_argument("--seconds", type=int, default=20, help="--profile: seconds sampled")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/ (--full)")
    args = parser.parse_args(argv)
    if args.profile:
        from bench.profile_service import profile  # py-spy's driver, only for --profile

        mode = (args.async_modes or "default").split(",")[0]
        return profile(args.rate, args.seconds, mode, args.scenario)
    mode = "full" if args.full else "quick"
    modes = (args.async_modes or ("eventlet,gevent" if args.full else "default")).split(",")
    only = set(args.only.split(",")) if args.only else None
    try:
        results = run(mode, modes, only)
    except BenchError as err:
        print(f"bench: {err}", file=sys.stderr)
        return 1
    print()
    print(f"benchmark ({mode}, {results['elapsed_s']} s, raw results in {results['out']})")
    for line in ratio_lines(results):
        print(line)
    if "error" in results:
        print(f"bench: stopped early: {results['error']}", file=sys.stderr)
        return 1
    if mode == "full" and not args.no_docs:
        from bench.bench_report import write_docs  # matplotlib, only when docs are written

        write_docs(results, DOCS, IMG, MARK_START, MARK_END)
        print(f"wrote {DOCS.relative_to(ROOT)} and plots under {IMG.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
