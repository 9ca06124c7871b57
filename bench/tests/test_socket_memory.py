"""bench/socket_memory.py: allocation sites fall in the right groups, the per-socket figures
are differences over the sockets added, and a toy run of the service yields a table."""

from __future__ import annotations

import json
from types import SimpleNamespace

from bench import socket_memory
from bench.tests.conftest import run_tool


def frames(*paths):
    return [SimpleNamespace(filename=p, lineno=i + 1) for i, p in enumerate(paths)]


def test_the_innermost_frame_outside_the_standard_library_and_generic_helpers_decides_the_group():
    site = "/x/.venv/lib/python3.11/site-packages/"
    stdlib = socket_memory.STDLIB + "/queue.py"
    # outermost first, as tracemalloc gives them
    assert socket_memory.group_of(frames(site + "eventlet/wsgi.py", site + "engineio/socket.py", stdlib))[
        0
    ] == ("engine.io socket and queue")
    assert socket_memory.group_of(frames(site + "eventlet/wsgi.py", site + "eventlet/greenio/base.py"))[
        0
    ] == ("WSGI environ and request objects")
    assert (
        socket_memory.group_of(frames(site + "eventlet/hubs/hub.py"))[0]
        == "greenlet (object and saved stack)"
    )
    assert socket_memory.group_of(frames("/work/main/app/chat/presence.py"))[0] == (
        "the service's own per-socket state"
    )
    assert socket_memory.group_of(frames(site + "redis/client.py"))[0] == "other"


def test_per_socket_figures_are_differences_over_the_sockets_added():
    first = {
        "sockets": 1000,
        "rss_bytes": 100 << 20,
        "traced_bytes": 10 << 20,
        "tracemalloc_overhead_bytes": 1 << 20,
        "groups": {"greenlet": 5 << 20},
        "sites": {"greenlet | hub.py:1": 5 << 20},
    }
    last = {
        "sockets": 2000,
        "rss_bytes": 150 << 20,
        "traced_bytes": 40 << 20,
        "tracemalloc_overhead_bytes": 11 << 20,
        "groups": {"greenlet": 15 << 20, "engine.io": 1 << 20},
        "sites": {"greenlet | hub.py:1": 15 << 20},
    }
    res = socket_memory.per_socket(first, last)
    kib = 1024 * 1024 / 1000  # 1 MiB over 1,000 sockets, in bytes per socket
    assert res["rss_per_socket"] == 50 * kib
    assert res["traced_per_socket"] == 30 * kib
    assert abs(res["unseen_per_socket"] - (50 - 30 - 10) * kib) < 1e-6
    assert list(res["groups_per_socket"]) == ["greenlet", "engine.io"]
    assert "| greenlet | 10.2 |" in socket_memory.table(res)


def test_a_toy_run_of_the_traced_service_gives_a_breakdown(tmp_path, node_modules):
    out = tmp_path / "memory.json"
    proc = run_tool(
        "socket_memory", *("--counts", "20,60", "--users", "6", "--hold-seconds", "8", "--out", str(out))
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text())
    assert res["from"] < res["to"]
    assert res["traced_per_socket"] > 0
    assert "greenlet (object and saved stack)" in res["groups_per_socket"]
    assert "tracemalloc's total" in proc.stdout
