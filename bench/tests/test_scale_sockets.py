"""bench/scale_sockets.py and bench/sockets.js at toy sizes: the ladder, the probe, the storm."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

from bench import harness, scale_sockets
from bench.tests.conftest import run_tool
from tests.support.ports import free_port

BENCH = harness.BENCH


def sockets_js(plan: dict, tmp_path) -> dict:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    res = subprocess.run(
        ["node", str(BENCH / "sockets.js"), str(path)],
        cwd=BENCH,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return json.loads([line for line in res.stdout.splitlines() if line.startswith("{")][-1])


def scale_sockets_run(tmp_path, *args: str) -> dict:
    """`python -m bench.scale_sockets` with these arguments; its results."""
    out = tmp_path / "sockets.json"
    proc = run_tool("scale_sockets", *args, "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())


def test_both_servers_climb_the_ladder_and_come_back_from_a_storm_with_nothing_missed(tmp_path, node_modules):
    results = scale_sockets_run(
        tmp_path,
        *("--counts", "20,60", "--users", "6", "--idle-seconds", "1", "--probe-seconds", "1"),
        *("--plot", str(tmp_path / "sockets.png")),
    )
    assert set(results["servers"]) == {"ref", "svc"}
    for srv in results["servers"].values():
        assert [r["sockets"] for r in srv["counts"]] == [20, 60]
        for row in srv["counts"]:
            assert row["connected_now"] == row["sockets"]
            assert row["rss_bytes"] > 0
            probe = row["probe"]
            # 10 receivers in the probe room, every acknowledged message delivered to each
            assert probe["acked"] == probe["sent"] > 0
            assert probe["delivered"] == probe["expected"] == probe["acked"] * 10
            assert 0 < probe["latency_ms"]["p50"] <= probe["latency_ms"]["p99"]
        storm = srv["storm"]
        assert storm["rejoined"] == storm["clients"] == 60
        assert storm["refused"] == storm["timeout"] == storm["missed_messages"] == 0
        # rooms of 100: the 60 sockets share one room, which gets the gap messages
        assert storm["gap_messages"] == 2 and storm["gap_send_errors"] == 0
        assert 0 < storm["all_back_s"] == storm["rejoin_s"]["max"]
    comparison = results["comparison"]
    assert [r["sockets"] for r in comparison["by_count"]] == [20, 60]
    assert comparison["svc_storm"]["met"] is True
    assert (tmp_path / "sockets.png").stat().st_size > 0


def test_with_two_processes_the_sockets_are_spread_over_both_and_come_back(tmp_path, node_modules):
    results = scale_sockets_run(
        tmp_path,
        *("--servers", "svc", "--processes", "2", "--db-pool-size", "2", "--counts", "40", "--users", "4"),
        *("--idle-seconds", "1", "--probe-seconds", "1"),
    )
    assert results["processes"] == 2 and results["db_pool_size"] == 2
    svc = results["servers"]["svc"]
    assert svc["label"] == "service (eventlet), 2 processes"
    assert svc["counts"][0]["per_process_sockets"] == [20, 20]  # 40 spread round robin
    storm = svc["storm"]
    assert storm["rejoined"] == storm["clients"] == 40 and storm["missed_messages"] == 0


def test_a_catch_up_that_leaves_out_the_gap_is_counted_as_missed(tmp_path, node_modules):
    """The duplicating test server answers every join with no messages: every client of the
    storm misses every message sent to its room while it was away."""
    port = free_port()
    server = subprocess.Popen(["node", str(BENCH / "tests" / "dup_server.js"), str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/rooms", data=b"{}", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        result = sockets_js(
            {
                "server": "dup",
                "url": f"http://127.0.0.1:{port}",
                "pids": [server.pid],
                "user_prefix": "u",
                "room_prefix": "r",
                "password": "pw",
                "users": 3,
                "counts": [30],
                "room_size": 10,
                "idle_s": 0.5,
                "probe_s": 0.5,
                "settle_ms": 100,
                "storm": True,
                "gap_per_room": 3,
                "deadline_s": 60,
            },
            tmp_path,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    storm = result["storm"]
    assert storm["rejoined"] == 30
    assert storm["gap_messages"] == 9  # three rooms of ten, three messages each
    assert storm["missed_messages"] == 30 * 3
    assert storm["clients_missing_messages"] == 30


def test_a_storm_with_refusals_or_misses_does_not_meet_the_target():
    def server(storm: dict, p99s=(10.0, 15.0)) -> dict:
        rows = zip((100, 1000, 2000), (100_000_000, 101_024_000, 102_048_000), (*p99s, p99s[-1]), strict=True)
        probe = {"delivered": 10, "expected": 10}
        counts = [
            {
                "sockets": n,
                "rss_bytes": rss,
                "idle_cpu_percent": 1.0,
                "probe": {"latency_ms": {"p99": p99}, **probe},
            }
            for n, rss, p99 in rows
        ]
        base = {"refused": 0, "timeout": 0, "join_timeout": 0, "join_error": 0, "missed_messages": 0}
        return {"counts": counts, "storm": {"clients": 2000, "all_back_s": 5.0, **base, **storm}}

    ok = scale_sockets.compare({"servers": {"ref": server({}), "svc": server({})}})
    assert ok["svc_storm"]["met"] is True and ok["svc_p99_growth"]["met"] is True
    assert ok["kib_per_socket"] == {"svc": 1.0, "ref": 1.0}  # 1,024,000 bytes for 1,000 more
    for bad in (
        {"refused": 1},
        {"join_error": 1},
        {"missed_messages": 3},
        {"all_back_s": 31.0},
        {"all_back_s": None},
    ):
        cmp = scale_sockets.compare({"servers": {"ref": server({}), "svc": server(bad)}})
        assert cmp["svc_storm"]["met"] is False, bad
    # clients that gave up waiting at their own end and came back in time: counted, not refused
    gave_up = server({"timeout": 7, "join_timeout": 2})
    retried = scale_sockets.compare({"servers": {"ref": server({}), "svc": gave_up}})
    assert retried["svc_storm"]["met"] is True and retried["svc_storm"]["timeouts"] == 9
    slow = scale_sockets.compare({"servers": {"ref": server({}), "svc": server({}, (10.0, 25.0))}})
    assert slow["svc_p99_growth"] == {"from": 100, "to": 2000, "ratio": 2.5, "target": 2.0, "met": False}
