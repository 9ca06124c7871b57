"""The servers under test and what they run on, for one benchmark run.

Every target (a server in one configuration) gets a PostgreSQL database and a Redis channel
of its own, made on first use and removed by `Bench.cleanup`; its processes listen on free
ports of 127.0.0.1 and are stopped by their PID. The load generator (loadgen.js) runs one
plan against one or several clusters.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.support.processes import stop_processes
from tests.support.server import EVENT_LIMIT_PREFIXES, ServerProcess
from tests.support.services import Database, delete_redis_keys
from tests.support.settings import REDIS_URL

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
REFERENCE = ["node", str(BENCH / "reference" / "server.js")]

P99_LIMIT_MS = 500
# Measurement settings that differ from production defaults, stated in the report.
SERVICE_ENV = {
    "SEND_RATE_LIMIT": "1000000/second",
    **{f"{prefix}_RATE_LIMIT": "1000000/second" for prefix in EVENT_LIMIT_PREFIXES},
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


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def run_dir() -> tuple[Path, str]:
    """A fresh results folder and the tag that names this run's databases and Redis keys."""
    now = datetime.now(UTC)
    tag = now.strftime("%H%M%S") + f"-{os.getpid() % 10000}"
    out = BENCH / "results" / now.strftime("%Y%m%dT%H%M%SZ")
    try:
        out.mkdir(parents=True)
    except FileExistsError:  # another run started in the same second (make bench-scale)
        out = out.with_name(f"{out.name}-{os.getpid()}")
        out.mkdir(parents=True, exist_ok=True)
    return out, tag


class Bench:
    def __init__(self, mode: str, out: Path, tag: str):
        self.mode = mode
        self.out = out
        self.tag = tag
        self.databases: dict[str, Database] = {}
        self.clusters: list[Cluster] = []
        self.loadgen_runs = 0
        self.secret = secrets.token_hex(32)
        self.started = 0  # clusters started so far; names their log files

    # ------------------------------------------------------------ shared services

    def database(self, target: str) -> Database:
        """One database per target (server and configuration) per run, created on first
        use, dropped at the end; with its own Redis channel (``channel``), so that targets
        measured side by side share nothing but the machine. (Sharing them once made every
        message of the service in one async mode reach the other mode's sockets too: twice
        the work on the machine in every step.)

        ``start`` migrates it before every start of a server."""
        if target not in self.databases:
            name = f"bench_{self.tag}_{target}".replace("-", "_")
            self.databases[target] = Database("postgres", name=name).create()
        return self.databases[target]

    def channel(self, target: str) -> str:
        return f"bench-{self.tag}-{target}"

    def server_env(self, target: Target) -> dict:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database(target.name).url,
            REDIS_URL=REDIS_URL,
            SOCKETIO_CHANNEL=self.channel(target.name),
            SECRET_KEY=self.secret,
            **SERVICE_ENV,
        )
        env.update(target.env)
        return env

    def migrate(self, kind: str, db: Database) -> None:
        env = dict(os.environ, DATABASE_URL=db.url, REDIS_URL=REDIS_URL)
        env["SECRET_KEY"] = self.secret
        if kind == "ref":
            cmd = [*REFERENCE, "migrate"]
        else:
            cmd = [str(PYTHON), "-m", "app", "migrate"]
        res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise BenchError(f"migrate {kind}: {res.stderr.strip()[-500:]}")

    def cleanup(self) -> None:
        for cluster in list(self.clusters):
            self.stop(cluster)
        for db in self.databases.values():
            db.drop()
        # Only this run's keys: every key both servers write starts with the run's channel.
        delete_redis_keys(f"bench-{self.tag}-")

    # ------------------------------------------------------------ servers

    def start(self, target: Target, processes: int, extra_env: dict | None = None) -> Cluster:
        env = self.server_env(target)
        # Migrations are idempotent; running them at every start keeps a run going when the
        # service gains a migration while the run is under way.
        self.migrate(target.kind, self.databases[target.name])
        env.update(extra_env or {})
        # BENCH_SERVICE_MODULE=bench.traced_service: the service with its collector watched
        module = os.environ.get("BENCH_SERVICE_MODULE", "app")
        command = [*REFERENCE, "serve"] if target.kind == "ref" else [str(PYTHON), "-m", module, "serve"]
        servers = [
            ServerProcess(
                env, self.out / f"{target.name}-{self.started}-{i}.log", target.name, command=command
            )
            for i in range(processes)
        ]
        for server in servers:
            server.launch()
        cluster = Cluster(
            target, [s.proc for s in servers], [s.url for s in servers], [s.log for s in servers]
        )
        self.clusters.append(cluster)
        self.started += 1
        for server in servers:
            try:
                server.wait_ready(60)
            except RuntimeError as err:
                self.stop(cluster)
                raise BenchError(str(err)[-1000:]) from None
        log(f"{target.label}: {processes} process(es) ready, pids {cluster.pids}")
        return cluster

    def stop(self, cluster: Cluster) -> None:
        stop_processes(cluster.procs)
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
