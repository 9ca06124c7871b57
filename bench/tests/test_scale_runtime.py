"""bench/scale_runtime.py at toy sizes: a rolling restart, a long run, SIGTERM, the judging."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time

from bench import harness, scale_runtime


def run(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [str(harness.PYTHON), "-m", "bench.scale_runtime", *args],
        cwd=harness.ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_a_rolling_restart_and_a_long_run_at_toy_sizes_lose_nothing_and_sample_everything(tmp_path):
    out = tmp_path / "runtime.json"
    proc = run(
        [
            *("--rolling-seconds", "12", "--settle", "2", "--grace", "1", "--members", "5"),
            *("--senders", "2", "--rate", "20", "--soak-seconds", "8", "--warmup", "2"),
            *("--window", "4", "--interval", "1", "--workers", "2"),
            *("--out", str(out), "--plot", str(tmp_path / "runtime.png")),
        ]
    )
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    result = json.loads(out.read_text())
    rolling = result["rolling"]
    assert rolling["acked"] > 50, rolling
    assert rolling["lost"] == 0 and rolling["duplicates_on_one_socket"] == 0, rolling
    assert rolling["stored"] >= rolling["acked"] and rolling["stored_duplicates"] == 0, rolling
    # both processes went and came back, and the members followed them
    assert [e["process"] for e in rolling["events"]] == [0, 1]
    assert all(e["replacement_pid"] != e["pid"] for e in rolling["events"])
    assert rolling["reconnects"] >= 3 and rolling["longest_gap_s"] > 0, rolling
    (soak,) = result["soak"]
    assert soak["cycles"] > 10 and soak["errors"] == 0, soak
    assert all(s["rss_kib"] > 0 and s["fds"] > 0 for s in soak["samples"])
    # the green threads come from inside the process (SIGUSR1 census)
    assert all(s["greenlets"] and s["greenlets"] > 0 for s in soak["samples"]), soak["samples"]
    assert set(soak["growth"]) == {"rss_kib", "fds", "greenlets"}
    # the idle samples: taken with nobody connected, green threads counted from inside
    for when in ("start", "end"):
        idle = soak["idle"][when]
        assert idle["fds_clients"] == 0 and idle["fds_listening"] >= 1, idle
        assert idle["greenlets"] and idle["rss_kib"] > 0, idle
    assert {"rss_kib", "fds_other", "greenlets"} <= set(soak["idle_growth"]), soak["idle_growth"]
    assert soak["pools"]["postgres"] <= soak["postgres_bound"] and soak["flat"] is not None
    assert (tmp_path / "runtime.png").stat().st_size > 10_000
    # every process it started is gone
    pids = [soak["pid"]] + [p for e in rolling["events"] for p in (e["pid"], e["replacement_pid"])]
    assert not [p for p in pids if os.path.exists(f"/proc/{p}")]


def test_sigterm_stops_the_run_and_the_server_it_started():
    proc = run(["--scenarios", "soak", "--soak-seconds", "120", "--warmup", "1", "--workers", "2"])
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    pid = None
    while pid is None and time.monotonic() < deadline:
        time.sleep(0.2)
        found = [m for line in list(lines) if (m := re.search(r"long run \(.*, pid (\d+)\)", line))]
        pid = int(found[0].group(1)) if found else None
    assert pid is not None, "".join(lines)[-2000:]
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    time.sleep(1)  # its child, once reaped by init
    assert not os.path.exists(f"/proc/{pid}")


class FakeMember:
    def __init__(self, name: str, live: list[tuple[int, int]], history: list[tuple[int, int]]) -> None:
        self.username = name
        self.lock = threading.Lock()
        self.live_by_socket = live
        self.history_by_socket = history
        ids = [i for _, i in history + live]
        self.stream = ids
        self.arrivals = {i: float(n) for n, i in enumerate(sorted(set(ids)))}
        self.reconnects = 1


class FakeApi:
    def __init__(self, stored: list[dict]) -> None:
        self.stored = stored

    def history(self, token, room):
        return self.stored


def test_the_judging_finds_a_lost_message_a_duplicate_and_a_duplicate_stored():
    rolling = object.__new__(scale_runtime.Rolling)
    rolling.args = type("Args", (), {"senders": 1, "grace": 1})()
    rolling.acked = {1: 1.0, 2: 2.0, 3: 3.0}
    rolling.resends = rolling.send_failures = 0
    rolling.errors = []
    members = [
        FakeMember("whole", [(1, 1), (2, 2), (2, 3)], [(2, 2)]),  # 2 in catch-up and live: fine
        FakeMember("short", [(1, 1), (1, 2)], []),  # 3 never came
        FakeMember("twice", [(1, 1), (1, 2), (1, 2), (1, 3)], []),  # 2 twice on one socket
    ]
    stored = [{"id": 1, "body": "a"}, {"id": 2, "body": "b"}, {"id": 3, "body": "c"}, {"id": 4, "body": "c"}]
    r = rolling.judge(members, FakeApi(stored), "t", "room", 0.0, 0.5, 10.0)
    assert r["lost"] == 1 and r["lost_sample"] == {"short": [3]}
    assert r["duplicates_on_one_socket"] == 1
    assert r["catch_up_overlap_dropped_by_id"] == 1
    assert r["stored_duplicates"] == 1 and r["stored_not_acked"] == 1


def test_growth_compares_the_first_window_after_the_warm_up_with_the_last():
    samples = [{"t": t, "rss_kib": 100 if t < 50 else 110} for t in range(0, 100, 10)]
    assert scale_runtime.window_mean(samples, "rss_kib", 10, 30) == 100
    assert scale_runtime.window_mean(samples, "rss_kib", 70, 101) == 110
    assert scale_runtime.window_mean(samples, "missing", 0, 100) is None


def test_descriptors_are_told_apart_by_what_they_connect_to():
    """This process's own descriptors: a listening socket, a client connected to it and the
    accepted end, a connection to Redis, a file."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    redis = socket.create_connection(("127.0.0.1", 6379))
    before = scale_runtime.fd_classes(os.getpid(), port)
    try:
        assert before["listening"] >= 1
        # the accepted end's local port is the listener's; the client's remote port is
        assert before["clients"] == 1
        assert before["redis"] >= 1
        with open(__file__) as f:
            after = scale_runtime.fd_classes(os.getpid(), port)
            assert f.fileno() >= 0
        assert after["other"] == before["other"] + 1
    finally:
        for s in (listener, client, accepted, redis):
            s.close()
    assert scale_runtime.fd_classes(os.getpid(), port)["clients"] == 0


def test_the_churn_waits_while_paused():
    stop, paused = threading.Event(), threading.Event()
    paused.set()
    counts = {"cycles": 0, "refused": 0, "errors": 0}
    worker = threading.Thread(
        target=scale_runtime.churn, args=("http://127.0.0.1:9", ["t"], ["r"], stop, counts, 1, paused)
    )
    worker.start()
    time.sleep(0.5)
    assert counts == {"cycles": 0, "refused": 0, "errors": 0}  # no connect was tried
    paused.clear()
    deadline = time.monotonic() + 10
    while not counts["errors"] and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    worker.join(10)
    assert counts["errors"] >= 1  # resumed: it tried (port 9 refuses)
