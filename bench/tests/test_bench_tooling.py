"""The benchmark tooling measures what it claims: every acknowledged message reaches every
receiver once, and a loss or a duplicate is reported, never hidden."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request

import psycopg2
import pytest

from bench import bench_report as report
from bench import harness, orchestrate, profile_service
from bench.summary import summarize, sustained
from bench.tests.conftest import run_tool
from tests.support.ports import free_port

BENCH = harness.BENCH


def small_plan(**extra) -> dict:
    plan = {
        "users": 4,
        "rooms": ["t-room"],
        "clients": 12,
        "steps": [{"sends_per_s": 20, "duration_s": 1.5}],
        "drain_ms": 1500,
    }
    plan.update(extra)
    return plan


def test_reference_delivers_every_acknowledged_message_once_across_two_processes(bench):
    ref = harness.Target("ref", "ref", "reference")
    cluster = bench.start(ref, 2)
    result = bench.loadgen(cluster, "check", small_plan())[0]
    step = result["steps"][0]
    assert step["sent"] >= 25
    assert step["acked"] == step["sent"]
    assert step["expected_deliveries"] == step["acked"] * 12
    assert step["delivered"] == step["expected_deliveries"]
    assert step["lost"] == 0
    assert step["duplicated"] == 0
    assert step["malformed"] == 0
    assert step["pass"] is True
    assert 0 < step["latency_ms"]["p50"] <= step["latency_ms"]["p99"]
    # CPU and RSS are read from the two server processes started here
    assert step["server_cpu_s"] > 0
    assert [p["pid"] for p in step["server_processes"]] == cluster.pids
    assert all(p["rss_bytes"] > 10 * 2**20 for p in step["server_processes"])


def test_reference_send_is_stored_before_the_ack_and_idempotent_by_client_id(bench):
    ref = harness.Target("ref", "ref", "reference")
    cluster = bench.start(ref, 1)
    bench.loadgen(cluster, "check", small_plan(clients=4))
    url = bench.databases["ref"].dsn
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT client_id) FROM messages")
        total, distinct = cur.fetchone()
    assert total > 0
    assert total == distinct


def run_with_stall(bench, steps: int, resume_after_first_step: bool) -> list[dict]:
    """Load on two reference processes; the second one is stopped (SIGSTOP) once the sockets
    have joined, and resumed either after the first step or only after the run."""
    cluster = bench.start(harness.Target("ref", "ref", "reference"), 2)
    spec = {"sends_per_s": 20, "duration_s": 2.0}
    plan = bench.plan(
        [cluster],
        "stall",
        small_plan(steps=[spec] * steps, drain_ms=1000, ack_timeout_ms=8000, final_drain_ms=3000),
    )
    plan_path = bench.out / "stall.json"
    plan_path.write_text(json.dumps(plan))
    proc = subprocess.Popen(
        ["node", str(BENCH / "loadgen.js"), str(plan_path)],
        cwd=BENCH,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stalled = cluster.procs[1]
    try:
        for line in proc.stderr:
            if "joined" in line:
                os.kill(stalled.pid, signal.SIGSTOP)
            if "stall: offered" in line and resume_after_first_step:
                os.kill(stalled.pid, signal.SIGCONT)
                break
        out, _ = proc.communicate(timeout=60)
    finally:
        os.kill(stalled.pid, signal.SIGCONT)
    return json.loads(out.strip().splitlines()[-1])["runs"][0]["steps"]


def test_stalled_server_process_shows_up_as_lost_deliveries(bench):
    (step,) = run_with_stall(bench, steps=1, resume_after_first_step=False)
    # the stalled process neither acks its senders nor delivers to its receivers
    assert step["acked"] < step["sent"]
    assert step["lost"] > 0
    assert step["late_deliveries"] == 0
    assert step["pass"] is False


def test_deliveries_after_the_drain_are_late_not_lost(bench):
    first, second = run_with_stall(bench, steps=2, resume_after_first_step=True)
    # the resumed process delivers its backlog during the second step
    assert first["pass"] is False
    assert first["late_deliveries"] > 0
    assert first["lost"] == 0
    assert second["lost"] == 0


def test_duplicated_deliveries_are_counted(bench, tmp_path):
    port = free_port()
    server = subprocess.Popen(["node", str(BENCH / "tests" / "dup_server.js"), str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                # the dup server answers any POST; this only waits for it to listen
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/rooms", data=b"{}", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        cluster = harness.Cluster(
            harness.Target("dup", "dup", "duplicating server"),
            [server],
            [f"http://127.0.0.1:{port}"],
            [],
        )
        result = bench.loadgen(cluster, "dup", small_plan(clients=5))[0]
    finally:
        server.terminate()
        server.wait(timeout=10)
    step = result["steps"][0]
    assert step["delivered"] == step["expected_deliveries"]
    assert step["duplicated"] == step["delivered"]
    # its message objects also lack the contract's fields (user, created_at, ...)
    assert step["malformed"] == step["delivered"]
    assert step["pass"] is False


def test_server_that_cannot_start_is_reported_with_its_output(bench):
    broken = harness.Target("ref", "ref", "reference", {"REDIS_URL": "redis://127.0.0.1:1/0"})
    with pytest.raises(harness.BenchError, match="exited with 2"):
        bench.start(broken, 1)
    assert bench.clusters == []


# ---------------------------------------------------------------- pure parts


def step(offered, delivered, ok=True, lost=0, dup=0, reordered=0, cpu=50.0, p99=100.0):
    return {
        "offered_deliveries_per_s": offered,
        "delivered_per_s": delivered,
        "acked_per_s": offered // 100,
        "pass": ok,
        "lost": lost,
        "duplicated": dup,
        "reordered": reordered,
        "ack_errors": {} if ok else {"timeout": 2},
        "latency_ms": {"p50": p99 / 4, "p95": p99 / 2, "p99": p99},
        "server_cpu_us_per_delivery": cpu,
        "server_cpu_percent": 40.0,
        "delivered": delivered * 2,  # two-second windows
        "server_cpu_s": cpu * delivered * 2 / 1e6,
    }


def test_sustained_rate_is_the_best_passing_step_not_the_last():
    run = {"steps": [step(1000, 990), step(4000, 3900), step(8000, 5000, ok=False), step(6000, 5800)]}
    assert sustained(run) == 5800
    assert sustained({"steps": [step(1000, 500, ok=False)]}) == 0


def test_summary_compares_each_service_with_the_reference():
    results = {
        "scenarios": {
            "fanout": [
                {"server": "ref", "steps": [step(10000, 9900), step(20000, 12000, ok=False)]},
                {"server": "svc", "steps": [step(4000, 3960), step(8000, 6000, ok=False, lost=3)]},
            ],
            "latency": [
                {"server": "ref", "steps": [step(2000, 1990, cpu=40.0, p99=p) for p in (50, 900, 40)]},
                {"server": "svc", "steps": [step(2000, 1990, cpu=70.0, p99=p) for p in (60, 55, 70)]},
            ],
        }
    }
    summary = summarize(results, "ref", ["svc"])
    fanout = summary["services"]["svc"]["fanout"]
    assert (fanout["service"], fanout["reference"]) == (3960, 9900)
    assert fanout["ratio"] == pytest.approx(0.4)
    latency = summary["services"]["svc"]["latency"]
    # the median window: one stall of the shared machine (900 ms) does not decide it
    assert (latency["service"]["p99"], latency["reference"]["p99"]) == (60, 50)
    assert latency["p99_ratio"] == pytest.approx(1.2)
    assert latency["cpu_ratio"] == pytest.approx(1.75)
    assert summary["integrity"]["svc"]["lost"] == 3
    assert summary["integrity"]["svc"]["ack_errors"] == 2
    assert summary["integrity"]["ref"]["steps"] == 5
    lines = "\n".join(orchestrate.ratio_lines({"summary": summary}))
    assert "ratio 0.40 (misses 0.8)" in lines
    assert "ratio 1.20 (meets 1.5)" in lines
    assert "ratio 1.75 (misses 1.5)" in lines


def test_docs_section_is_replaced_between_the_markers_and_prose_is_kept(tmp_path):
    docs = tmp_path / "docs" / "benchmarks.md"
    docs.parent.mkdir()
    docs.write_text("# Benchmarks\n\nprose before\n\n<!-- s -->\nold\n<!-- e -->\n\nprose after\n")
    machine = {
        "date": "2026-11-26 10:00 UTC",
        "cpu": "cpu",
        "cores": 2,
        "memory_gib": 23.5,
        "kernel": "k",
        "python": "Python 3.11",
        "node": "v20",
        "postgresql": "15",
        "redis": "7",
        "node_packages": {"socket.io": "4.8.4"},
        "python_packages": {"eventlet": "0.41.3"},
        "load_before": (1.0, 1.0, 1.0),
    }
    runs = [
        {"server": "ref", "processes": 2, "steps": [step(1000, 990), step(2000, 1980)]},
        {"server": "svc", "processes": 2, "steps": [step(1000, 990), step(2000, 1200, ok=False)]},
    ]
    results = {"machine": machine, "elapsed_s": 60.0, "scenarios": {"fanout": runs}}
    results["summary"] = summarize(results, "ref", ["svc"])
    report.write_docs(results, docs, tmp_path / "docs" / "img", "<!-- s -->", "<!-- e -->")
    text = docs.read_text()
    assert "old" not in text
    assert text.startswith("# Benchmarks\n\nprose before\n")
    assert text.rstrip().endswith("prose after")
    assert "![Fan-out, 100 clients in one room](img/bench-fanout.png)" in text
    assert "| fan-out, svc | sustained deliveries/s | 990 | 1,980 | 0.50 | >= 0.8 |" in text
    assert (tmp_path / "docs" / "img" / "bench-fanout.png").stat().st_size > 5000


def test_profile_summary_drops_parked_threads_and_attributes_stages(tmp_path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "main (t.py:1);on_send (app/sockets.py:9);SocketHandlers.on_send (app/sockets.py:9);"
        "do_execute (sqlalchemy/engine/default.py:1) 30\n"
        "main (t.py:1);writer (engineio/socket.py:214);send (eventlet/websocket.py:838) 70\n"
        "tworker (eventlet/tpool.py:1);Condition.wait (threading.py:327) 500\n"
    )
    summary = profile_service.summarize(profile_service.read_collapsed(raw))
    assert summary["samples"] == 100
    assert summary["parked_samples_dropped"] == 500
    stages = dict(summary["stages"])
    assert stages["persist: SQLAlchemy + psycopg2"] == 30.0
    assert stages["frame writes (WebSocket writer)"] == 70.0
    assert summary["self"][0] == ("send (eventlet/websocket.py:838)", 70.0)


def test_scaling_and_persistence_compare_variants_measured_side_by_side():
    results = {
        "scenarios": {
            "scaling": [
                {"server": "ref-1p", "steps": [step(4000, 3950)]},
                {"server": "ref", "steps": [step(6000, 5900)]},
                {"server": "svc-1p", "steps": [step(1000, 990)]},
                {"server": "svc", "steps": [step(2000, 1980), step(3000, 2000, ok=False)]},
            ],
            "persistence": [
                {"server": "ref", "steps": [step(6000, 5900)]},
                {"server": "ref-nodb", "steps": [step(6000, 5900)]},
                {"server": "svc", "steps": [step(2000, 1980)]},
                {"server": "svc-nodb", "steps": [step(10000, 9900)]},
            ],
        }
    }
    summary = summarize(results, "ref", ["svc"])
    scaling = summary["services"]["svc"]["scaling"]
    assert scaling["service"] == pytest.approx(2.0)
    assert scaling["reference"] == pytest.approx(5900 / 3950, abs=1e-3)
    persistence = summary["services"]["svc"]["persistence"]
    assert persistence["service_cost"] == pytest.approx(0.8)
    assert persistence["reference_cost"] == 0
    # the variants count towards their server's integrity figures
    assert summary["integrity"]["svc"]["steps"] == 5
    assert summary["integrity"]["svc"]["ack_errors"] == 2


def test_the_history_scale_benchmark_fills_grows_and_measures_every_operation(tmp_path):
    """bench/scale_history.py at toy sizes: the generator reaches each size exactly, and every
    history operation is measured through a real server at each."""
    out = tmp_path / "scale.json"
    proc = run_tool("scale_history", *("--sizes", "3000,6000", "--samples", "5", "--out", str(out)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert [row["messages"] for row in results["sizes"]] == [3000, 6000]
    for row in results["sizes"]:
        ops = row["ops"]
        assert {"newest page", "page before the middle", "join with since (catch-up)", "search"} <= set(ops)
        for figures in ops.values():
            assert 0 < figures["p50"] <= figures["p99"] <= figures["max"]
            # CPU per call of the service and of its database backends, next to the latency
            assert figures["service_cpu_ms"] >= 0 and figures["postgres_cpu_ms"] >= 0
        assert "Index" in row["explain"]["newest page"] or "Scan" in row["explain"]["newest page"]
        assert "ix_messages_thread_id_id" in row["explain"]["thread page"]
        # the join's prepared statements, on the plan PostgreSQL keeps: a walk of an index
        for name in (
            "newest page, prepared (the plan PostgreSQL keeps)",
            "join catch-up, prepared (the plan PostgreSQL keeps)",
        ):
            assert "Seq Scan on messages" not in row["explain"][name], row["explain"][name]
