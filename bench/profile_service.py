"""Where the service spends its time under fan-out load: py-spy on a server process started here.

``bench/run --profile [--rate 3000] [--seconds 20] [--async-modes gevent]`` starts two service
processes, drives the fan-out room (100 clients) at a fixed rate and samples one of them with
``py-spy record --format raw``. The collapsed stacks are summarised by function (self and
inclusive share of the samples) and by stage of a message's path (validate, persist,
publish, fan out, frame writes), written to bench/results/<run>/profile-*.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.harness import BENCH, ROOT, Bench, Target, log, run_dir
from bench.plans import fanout_plan, manyrooms_plan

# Stages of one message's path, matched against "function (file:line)" frames. A sample
# counts once for every stage that appears anywhere on its stack.
STAGES = [
    ("send handler, all of it (app on_send)", ("SocketHandlers.on_send",)),
    ("persist: SQLAlchemy + psycopg2", ("sqlalchemy/", "psycopg2", "psycogreen")),
    (
        "persist: pool checkout work (pre-ping, isolation level, reset)",
        (
            "do_ping",
            "set_isolation_level",
            "do_rollback",
            "_ConnectionFairy._checkout",
            "_finalize_fairy",
            "_reset",
        ),
    ),
    ("Redis client calls (rate limit, publish, presence)", ("redis/",)),
    (
        "Redis listener: receive and fan out to local sockets",
        ("_thread (socketio/pubsub_manager", "_listen (socketio/", "_handle_emit"),
    ),
    (
        "fan-out: emit to the room's sockets",
        ("BaseManager.emit", "_emit_internal", "_send_packet", "Socket.send (engineio/socket.py"),
    ),
    ("JSON encode/decode", ("json/", "packet.py")),
    (
        "frame writes (WebSocket writer)",
        ("writer (engineio/socket.py", "RFC6455WebSocket", "simple_websocket", "wsproto"),
    ),
    ("Flask request context per event", ("RequestContext", "open_session", "AppContext")),
    ("event-loop hub and switches", ("hubs/", "gevent/hub", "greenlet")),
    ("service code (app/)", ("(app/",)),
]


def read_collapsed(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            continue
        stacks.append((frames.split(";"), int(count)))
    return stacks


def short(frame: str) -> str:
    """'f (/x/site-packages/socketio/base_manager.py:80)' -> 'f (socketio/base_manager.py:80)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"


# Helper threads parked on a lock (eventlet's tpool workers, gevent's threadpool) are not
# idle to py-spy, which sees them inside a Python frame; they would swamp the real work.
PARKED = ("Condition.wait (threading.py", "tworker (eventlet/tpool.py", "Queue.get (queue.py")


def busy(stacks: list[tuple[list[str], int]]) -> list[tuple[list[str], int]]:
    return [(f, c) for f, c in stacks if not any(p in x for x in f for p in PARKED)]


def summarize(stacks: list[tuple[list[str], int]], top: int = 25) -> dict:
    parked = sum(c for _, c in stacks) - sum(c for _, c in busy(stacks))
    stacks = busy(stacks)
    total = sum(count for _, count in stacks) or 1
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    stages: Counter = Counter()
    for frames, count in stacks:
        self_time[short(frames[-1])] += count
        for name in {short(f).rsplit(":", 1)[0] for f in frames}:
            inclusive[name] += count
        for stage, needles in STAGES:
            if any(n in f for f in frames for n in needles):
                stages[stage] += count
    pct = lambda c: round(100 * c / total, 1)  # noqa: E731 - local shorthand
    return {
        "samples": total,
        "parked_samples_dropped": parked,
        "self": [(name, pct(c)) for name, c in self_time.most_common(top)],
        "inclusive": [(name, pct(c)) for name, c in inclusive.most_common(top)],
        "stages": [(stage, pct(stages[stage])) for stage, _ in STAGES],
    }


def render(summary: dict, title: str) -> str:
    lines = [
        f"# {title}",
        "",
        f"{summary['samples']} samples of the event-loop thread (idle time and "
        f"{summary['parked_samples_dropped']} samples of parked helper threads excluded)",
        "",
    ]
    lines += ["## By stage (share of samples with the stage on the stack)", ""]
    lines += [f"- {stage}: {p}%" for stage, p in summary["stages"]]
    lines += ["", "## Self time (leaf frame)", ""]
    lines += [f"- {p}% {name}" for name, p in summary["self"]]
    lines += ["", "## Inclusive time (function anywhere on the stack)", ""]
    lines += [f"- {p}% {name}" for name, p in summary["inclusive"]]
    return "\n".join(lines) + "\n"


def profile(rate: int, seconds: int, async_mode: str, scenario: str = "fanout") -> int:
    make_plan = manyrooms_plan if scenario == "manyrooms" else fanout_plan

    py_spy = shutil.which("py-spy", path=str(ROOT / ".venv" / "bin")) or shutil.which("py-spy")
    if not py_spy:
        print("bench: py-spy is missing: run 'make setup' (requirements-dev.txt pins it)")
        return 1
    out, tag = run_dir()
    bench = Bench("profile", out, tag)
    env = {} if async_mode == "default" else {"ASYNC_MODE": async_mode}
    target = Target(f"svc-{async_mode}", "svc", f"service ({async_mode})", env)
    name = f"{scenario}-{async_mode}"
    raw = out / f"profile-{name}.txt"
    try:
        cluster = bench.start(target, 2)
        pid = cluster.pids[0]
        # Users are registered first so the sampled window holds only connected load.
        setup = make_plan([], 1, 100)
        bench.loadgen(cluster, "profile-setup", setup)
        plan = make_plan([rate], seconds + 4, 100)
        plan["stop_on_fail"] = False
        plan_path = out / "plan-profile.json"
        plan_path.write_text(json.dumps(bench.plan([cluster], "profile", plan)))
        load = subprocess.Popen(
            ["node", str(BENCH / "loadgen.js"), str(plan_path)],
            cwd=BENCH,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # Sampling starts once every socket has joined: connecting is not the hot path.
        for line in load.stderr:
            sys.stderr.write(line)
            if "joined" in line:
                break
        time.sleep(1)
        log(f"py-spy record on pid {pid} for {seconds} s at {rate} deliveries/s offered")
        rec = subprocess.run(
            [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
             "--format", "raw", "--output", str(raw)],
            capture_output=True, text=True, timeout=seconds + 60,
        )  # fmt: skip
        dump = subprocess.run([py_spy, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60)
        (out / f"profile-{name}-dump.txt").write_text(dump.stdout + dump.stderr)
        stdout, stderr = load.communicate(timeout=seconds + 120)
        sys.stderr.write(stderr)
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        result = json.loads(lines[-1])["runs"][0] if lines else {"error": "no result"}
    finally:
        bench.cleanup()
    if rec.returncode != 0 or not raw.exists():
        print(f"bench: py-spy failed: {rec.stderr.strip()[-500:]}")
        return 1
    summary = summarize(read_collapsed(raw))
    summary["load"] = result.get("steps", [{}])[0] if "steps" in result else result
    (out / f"profile-{name}.json").write_text(json.dumps(summary, indent=1))
    report = render(summary, f"Service profile, {async_mode}, {scenario} at {rate} deliveries/s")
    (out / f"profile-{name}.md").write_text(report)
    print(report)
    print(f"raw stacks and summary in {out}")
    return 0


if __name__ == "__main__":
    print(render(summarize(read_collapsed(Path(sys.argv[1]))), sys.argv[1]))
