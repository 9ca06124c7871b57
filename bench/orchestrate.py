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
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import redis

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DOCS = ROOT / "docs" / "benchmarks.md"
IMG = ROOT / "docs" / "img"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
MARK_START = "<!-- bench:results:start -->"
MARK_END = "<!-- bench:results:end -->"

P99_LIMIT_MS = 500
LATENCY_RATE = 2000  # deliveries/s of the latency scenario
# Offered fan-out loads (deliveries/s); a ramp stops at its first failing step.
FANOUT_RAMP = [500, 1000, 2000, 3000, 4500, 6750, 10000, 15000, 22500, 34000, 50000, 75000]
MANYROOMS_RAMP = [250, 500, 1000, 1500, 2250, 3400, 5000, 7500, 11000, 17000, 25000, 34000]
QUICK_RAMP = [2000, 4000, 8000, 16000, 32000]
# Measurement settings that differ from production defaults, stated in the report.
SERVICE_ENV = {
    "SEND_RATE_LIMIT": "1000000/second",
    # PostgreSQL's 100 connections are shared by every test suite on the machine
    "DB_POOL_SIZE": "4",
    "AUTH_RATE_LIMIT": "100000/minute",
    "LOG_LEVEL": "WARNING",
}


class BenchError(Exception):
    """The benchmark could not run (a server did not start, the load generator failed)."""


@dataclass
class Target:
    """One server under test: the service in one async mode, or the reference."""

    name: str
    kind: str  # "svc" or "ref"
    label: str
    env: dict = field(default_factory=dict)
    plan: dict = field(default_factory=dict)  # load-plan settings for this target only

    def variant(self, suffix: str, label: str, env: dict | None = None, plan=None) -> Target:
        """The same server in another configuration, measured side by side with this one."""
        return Target(
            f"{self.name}-{suffix}",
            self.kind,
            f"{self.label}, {label}",
            {**self.env, **(env or {})},
            {**self.plan, **(plan or {})},
        )


@dataclass
class Cluster:
    target: Target
    procs: list
    urls: list
    logs: list

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, mode: str, out: Path, tag: str):
        self.mode = mode
        self.out = out
        self.tag = tag
        self.databases: dict[str, str] = {}
        self.clusters: list[Cluster] = []
        self.loadgen_runs = 0
        self.secret = secrets.token_hex(32)
        self.started = 0  # clusters started so far; names their log files

    # ------------------------------------------------------------ shared services

    def database(self, target: str) -> str:
        """One database per target (server and configuration) per run, created on first
        use, dropped at the end; with its own Redis channel (``channel``), so that targets
        measured side by side share nothing but the machine. (Sharing them once made every
        message of the service in one async mode reach the other mode's sockets too: twice
        the work on the machine in every step.)

        ``start`` migrates it before every start of a server."""
        if target not in self.databases:
            name = f"bench_{self.tag}_{target}".replace("-", "_")
            conn = psycopg2.connect(PG_ADMIN)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
            conn.close()
            self.databases[target] = name
        return self.databases[target]

    def db_url(self, name: str) -> str:
        base = PG_ADMIN.rsplit("/", 1)[0]
        return f"{base}/{name}"

    def channel(self, target: str) -> str:
        return f"bench-{self.tag}-{target}"

    def server_env(self, target: Target) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.db_url(self.database(target.name)),
            REDIS_URL=REDIS_BASE,
            SOCKETIO_CHANNEL=self.channel(target.name),
            SECRET_KEY=self.secret,
            **SERVICE_ENV,
        )
        env.update(target.env)
        return env

    def migrate(self, kind: str, name: str) -> None:
        env = dict(os.environ, DATABASE_URL=self.db_url(name), REDIS_URL=REDIS_BASE)
        env["SECRET_KEY"] = self.secret
        if kind == "ref":
            cmd = ["node", str(BENCH / "reference" / "server.js"), "migrate"]
        else:
            cmd = [str(PYTHON), "-m", "app", "migrate"]
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise BenchError(f"migrate {kind}: {res.stderr.strip()[-500:]}")

    def cleanup(self) -> None:
        for cluster in list(self.clusters):
            self.stop(cluster)
        if self.databases:
            conn = psycopg2.connect(PG_ADMIN)
            conn.autocommit = True
            with conn.cursor() as cur:
                for name in self.databases.values():
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.close()
        client = redis.Redis.from_url(REDIS_BASE)
        # Only this run's keys: every key both servers write starts with the run's channel.
        for key in client.scan_iter(match=f"bench-{self.tag}-*", count=1000):
            client.delete(key)
        client.close()

    # ------------------------------------------------------------ servers

    def start(self, target: Target, processes: int, extra_env: dict | None = None) -> Cluster:
        env = self.server_env(target)
        # Migrations are idempotent; running them at every start keeps a run going when the
        # service gains a migration while the run is under way.
        self.migrate(target.kind, self.databases[target.name])
        env.update(extra_env or {})
        procs, urls, logs = [], [], []
        for i in range(processes):
            port = free_port()
            if target.kind == "ref":
                cmd = ["node", str(BENCH / "reference" / "server.js"), "serve"]
            else:
                cmd = [str(PYTHON), "-m", "app", "serve"]
            cmd += ["--host", "127.0.0.1", "--port", str(port)]
            log_path = self.out / f"{target.name}-{self.started}-{i}.log"
            fh = log_path.open("w")
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT))
            fh.close()
            urls.append(f"http://127.0.0.1:{port}")
            logs.append(log_path)
        cluster = Cluster(target, procs, urls, logs)
        self.clusters.append(cluster)
        self.started += 1
        deadline = time.monotonic() + 60
        for proc, url, log_path in zip(procs, urls, logs, strict=True):
            while True:
                if proc.poll() is not None:
                    self.stop(cluster)
                    tail = log_path.read_text()[-800:]
                    raise BenchError(f"{target.name} exited with {proc.returncode}: {tail}")
                with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
                    # url is always http://127.0.0.1:<port> of a server started here
                    with urllib.request.urlopen(f"{url}/readyz", timeout=2) as res:  # noqa: S310
                        if res.status == 200:
                            break
                if time.monotonic() > deadline:
                    self.stop(cluster)
                    raise BenchError(f"{target.name} at {url} not ready within 60 s")
                time.sleep(0.2)
        log(f"{target.label}: {processes} process(es) ready, pids {cluster.pids}")
        return cluster

    def stop(self, cluster: Cluster) -> None:
        for proc in cluster.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in cluster.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if cluster in self.clusters:
            self.clusters.remove(cluster)

    # ------------------------------------------------------------ load generator

    def plan(self, clusters: list[Cluster], scenario: str, plan: dict) -> dict:
        """The load generator's whole plan: the scenario's part plus the servers and users.

        With several clusters the load generator alternates their steps (see loadgen.js).
        """
        self.loadgen_runs += 1
        targets = [
            {
                "server": c.target.name,
                "urls": c.urls,
                "pids": c.pids,
                "user_prefix": f"b{self.tag[-6:]}{c.target.kind}",
                "tokens_file": str(self.out / f"tokens-{c.target.name}.json"),
                "run_tag": f"{self.tag}-{self.loadgen_runs}-{i}",
                **c.target.plan,
            }
            for i, c in enumerate(clusters)
        ]
        return {
            "scenario": scenario,
            "password": "bench-password-1",
            "p99_limit_ms": P99_LIMIT_MS,
            "drain_ms": 3000,
            "ack_timeout_ms": 10000,
            **plan,
            "targets": targets,
        }

    def loadgen(self, clusters: Cluster | list[Cluster], scenario: str, plan: dict) -> list[dict]:
        """Runs one load plan against one or several clusters; one result per cluster."""
        clusters = [clusters] if isinstance(clusters, Cluster) else clusters
        full = self.plan(clusters, scenario, plan)
        names = "-".join(c.target.name for c in clusters)
        plan_path = self.out / f"plan-{self.loadgen_runs}-{scenario}-{names}.json"
        plan_path.write_text(json.dumps(full, indent=1))
        # stderr (progress) goes straight to the terminal; stdout carries the one JSON result
        res = subprocess.run(
            ["node", str(BENCH / "loadgen.js"), str(plan_path)],
            cwd=BENCH,
            stdout=subprocess.PIPE,
            text=True,
            timeout=900,
        )
        lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
        if res.returncode != 0 or not lines:
            detail = lines[-1] if lines else f"exit {res.returncode}, no result"
            raise BenchError(f"load generator ({names} {scenario}) failed: {detail}")
        results = json.loads(lines[-1])["runs"]
        for result, cluster in zip(results, clusters, strict=True):
            result["label"] = cluster.target.label
            result["processes"] = len(cluster.procs)
        return results


# ---------------------------------------------------------------- scenarios


def ramp_steps(levels: list[int], room_size: int, duration: float) -> list[dict]:
    return [{"sends_per_s": d / room_size, "duration_s": duration} for d in levels]


def fanout_plan(levels: list[int], duration: float, users: int, refine: int = 2) -> dict:
    return {
        "users": users,
        "rooms": ["fanout"],
        "clients": 100,
        "steps": ramp_steps(levels, 100, duration),
        "stop_on_fail": True,
        "refine": refine,
    }


def latency_plan(windows: int, seconds: float, users: int) -> dict:
    """Fixed load in several short windows; the servers' windows alternate (see fixed_load)."""
    return {
        "users": users,
        "rooms": ["latency"],
        "clients": 100,
        "steps": [{"sends_per_s": LATENCY_RATE / 100, "duration_s": seconds}] * windows,
    }


def fixed_load(run: dict) -> dict:
    """One figure per measure from the windows of a fixed-load run.

    Latency percentiles are the median over the windows, so one stall of the shared machine
    during one server's window does not decide the comparison; CPU per delivery is the total
    CPU over the total deliveries.
    """
    steps = run["steps"]
    lat = {
        k: statistics.median(s["latency_ms"][k] for s in steps if s["latency_ms"][k] is not None)
        for k in ("p50", "p95", "p99")
    }
    delivered = sum(s["delivered"] for s in steps)
    cpu = sum(s["server_cpu_s"] for s in steps)
    return {
        "latency_ms": {k: round(v, 1) for k, v in lat.items()},
        "cpu_us_per_delivery": round(cpu / delivered * 1e6, 1) if delivered else None,
        "windows": len(steps),
        "lost": sum(s["lost"] for s in steps),
        "duplicated": sum(s["duplicated"] for s in steps),
    }


def manyrooms_plan(levels: list[int], duration: float, users: int, refine: int = 2) -> dict:
    return {
        "users": users,
        "rooms": [f"many-{i}" for i in range(50)],
        "clients": 500,
        "steps": ramp_steps(levels, 10, duration),
        "stop_on_fail": True,
        "refine": refine,
    }


def idle_plan(users: int) -> dict:
    return {
        "mode": "idle",
        "users": users,
        "rooms": [f"idle-{i}" for i in range(20)],
        "clients": 1000,
        "settle_ms": 3000,
        "connect_concurrency": 40,
    }


def best_step(result: dict) -> dict | None:
    """The highest sustained load: the passing step with the most deliveries per second."""
    passing = [s for s in result.get("steps", []) if s["pass"]]
    return max(passing, key=lambda s: s["delivered_per_s"]) if passing else None


def sustained(result: dict) -> int:
    step = best_step(result)
    return step["delivered_per_s"] if step else 0


def capped(run: dict) -> bool:
    """Every step passed: the ramp's top was reached, so the sustained rate is a lower bound."""
    steps = run.get("steps", [])
    return bool(steps) and all(s["pass"] for s in steps)


def integrity(results: list[dict]) -> dict:
    """Lost, duplicated and reordered deliveries summed over every step of every run."""
    total = {
        "lost": 0,
        "late": 0,
        "duplicated": 0,
        "reordered": 0,
        "malformed": 0,
        "ack_errors": 0,
        "steps": 0,
    }
    for r in results:
        for s in r.get("steps", []):
            total["steps"] += 1
            total["lost"] += s["lost"]
            total["late"] += s.get("late_deliveries", 0)
            total["malformed"] += s.get("malformed", 0)
            total["duplicated"] += s["duplicated"]
            total["reordered"] += s["reordered"]
            total["ack_errors"] += sum(s["ack_errors"].values())
    return total


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b; None when either is missing or the reference is not positive (a figure such
    as memory growth can come out zero or negative on a garbage-collected runtime, and a
    ratio against it means nothing)."""
    if a is None or b is None or b <= 0:
        return None
    return round(a / b, 3)


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


def run_dir() -> tuple[Path, str]:
    """A fresh results folder and the tag that names this run's databases and Redis keys."""
    now = datetime.now(UTC)
    tag = now.strftime("%H%M%S") + f"-{os.getpid() % 10000}"
    out = BENCH / "results" / now.strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    return out, tag


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


def by_server(runs: list[dict]) -> dict[str, dict]:
    return {r["server"]: r for r in runs}


def summarize(results: dict, ref: str, svcs: list[str]) -> dict:
    sc = results["scenarios"]
    summary: dict = {"services": {}}
    for svc in svcs:
        s: dict = {}
        if "fanout" in sc and svc in by_server(sc["fanout"]):
            f = by_server(sc["fanout"])
            s["fanout"] = {
                "service": sustained(f[svc]),
                "reference": sustained(f[ref]),
                "capped": [name for name in (svc, ref) if capped(f[name])],
                "ratio": ratio(sustained(f[svc]), sustained(f[ref])),
                "target": 0.8,
            }
        if "latency" in sc and svc in by_server(sc["latency"]):
            lat = by_server(sc["latency"])
            a, b = fixed_load(lat[svc]), fixed_load(lat[ref])
            s["latency"] = {
                "service": a["latency_ms"],
                "reference": b["latency_ms"],
                "p99_ratio": ratio(a["latency_ms"]["p99"], b["latency_ms"]["p99"]),
                "p99_target": 1.5,
                "cpu_us_per_delivery": [a["cpu_us_per_delivery"], b["cpu_us_per_delivery"]],
                "cpu_ratio": ratio(a["cpu_us_per_delivery"], b["cpu_us_per_delivery"]),
                "cpu_target": 1.5,
            }
        if "manyrooms" in sc and svc in by_server(sc["manyrooms"]):
            m = by_server(sc["manyrooms"])
            s["manyrooms"] = {
                "service": sustained(m[svc]),
                "reference": sustained(m[ref]),
                "ratio": ratio(sustained(m[svc]), sustained(m[ref])),
                "target": 0.6,
            }
        if "memory" in sc and {svc, f"{svc}-1p"} & set(by_server(sc["memory"])):
            mem = by_server(sc["memory"])
            # measured on one process: the runs carry the one-process variant's name
            a, b = (mem.get(f"{n}-1p", mem.get(n))["rss_per_1000_bytes"] for n in (svc, ref))
            s["memory"] = {"service": a, "reference": b, "ratio": ratio(a, b), "target": 1.5}
        if "scaling" in sc and svc in by_server(sc["scaling"]):
            sc_runs = by_server(sc["scaling"])
            s["scaling"] = {
                "service": ratio(sustained(sc_runs[svc]), sustained(sc_runs[f"{svc}-1p"])),
                "reference": ratio(sustained(sc_runs[ref]), sustained(sc_runs[f"{ref}-1p"])),
                "service_1proc": sustained(sc_runs[f"{svc}-1p"]),
                "service_2proc": sustained(sc_runs[svc]),
                "reference_1proc": sustained(sc_runs[f"{ref}-1p"]),
                "reference_2proc": sustained(sc_runs[ref]),
            }
        if "persistence" in sc and svc in by_server(sc["persistence"]):
            runs = by_server(sc["persistence"])
            cost = {}
            for name in (svc, ref):
                off, on = sustained(runs[f"{name}-nodb"]), sustained(runs[name])
                cost[name] = round(1 - on / off, 3) if off else None
            s["persistence"] = {
                "service_cost": cost[svc],
                "reference_cost": cost[ref],
                "service_without_db": sustained(runs[f"{svc}-nodb"]),
                "service_with_db": sustained(runs[svc]),
                "reference_without_db": sustained(runs[f"{ref}-nodb"]),
                "reference_with_db": sustained(runs[ref]),
                "target": 0.10,
            }
            lat = by_server(sc.get("latency-persistence", []))
            if svc in lat and f"{svc}-nodb" in lat:
                a = fixed_load(lat[svc])["cpu_us_per_delivery"]
                b = fixed_load(lat[f"{svc}-nodb"])["cpu_us_per_delivery"]
                s["persistence"]["cpu_us_per_delivery"] = [a, b]
                s["persistence"]["cpu_cost"] = round(1 - b / a, 3) if a and b else None
        summary["services"][svc] = s
    all_runs = [r for runs in sc.values() for r in runs]
    summary["integrity"] = {
        name: integrity([r for r in all_runs if r["server"] in (name,) or r["server"].startswith(f"{name}-")])
        for name in [ref, *svcs]
    }
    return summary


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
        conn = psycopg2.connect(PG_ADMIN)
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            pg_version = cur.fetchone()[0]
        conn.close()
    redis_version = ""
    with contextlib.suppress(redis.RedisError):
        redis_version = redis.Redis.from_url(REDIS_BASE).info("server")["redis_version"]
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
        from profile_service import profile

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
        from bench_report import write_docs

        write_docs(results, DOCS, IMG, MARK_START, MARK_END)
        print(f"wrote {DOCS.relative_to(ROOT)} and plots under {IMG.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
