"""The fast paths: checked before they are installed, refused on a mismatch, observably on
in a running server, and off (stock libraries) with FASTPATH=0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app import fastpath
from tests.support.client import SioClient, register
from tests.support.ports import free_port
from tests.support.server import server_env

ROOT = Path(__file__).resolve().parents[2]


def test_every_hooked_name_exists_in_the_installed_libraries():
    for mode in ("eventlet", "gevent"):
        assert fastpath.check(mode)


def test_a_library_of_another_version_is_refused_with_the_way_out():
    versions = {**fastpath.WRITTEN_FOR, "python-engineio": "4.99.0"}
    with pytest.raises(fastpath.FastpathError) as err:
        fastpath.check("eventlet", version_of=versions.__getitem__)
    assert "python-engineio is 4.99.0" in str(err.value)
    assert "FASTPATH=0" in str(err.value)


def test_a_hooked_name_that_moved_is_refused():
    def resolve(spec):
        if spec.endswith("_socket_can_read"):
            raise AttributeError(spec)
        return object()

    with pytest.raises(fastpath.FastpathError) as err:
        fastpath.check("eventlet", resolve=resolve)
    assert "redis._parsers.hiredis._socket_can_read" in str(err.value)


def test_gevent_gets_only_the_hooks_written_for_it():
    names = {h.name for h in fastpath.check("gevent")}
    assert names == {"ws-direct-writer", "packet-binary-scan", "room-index"}


# a library upgrade that renamed a hooked method, played by deleting it before the service starts
RENAMED_HOOK = """
import runpy, sys
import engineio.socket
del engineio.socket.Socket._websocket_handler
sys.argv = ["app"] + sys.argv[1:]
runpy.run_module("app", run_name="__main__", alter_sys=True)
"""


def _start_with_renamed_hook(stack, **env):

    return subprocess.run(
        [sys.executable, "-c", RENAMED_HOOK, "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=ROOT,
        env=server_env(stack.db.url, stack.channel, stack.redis_url, **{**stack.settings, **env}),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_renamed_hook_stops_the_server_at_start_with_one_clear_line(stack):
    done = _start_with_renamed_hook(stack, ASYNC_MODE="eventlet", FASTPATH="1")
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: FASTPATH:")
    assert "engineio.socket.Socket._websocket_handler" in lines[0]
    assert "Traceback" not in done.stderr


def _direct_writer_used(stack, **env) -> bool:
    srv = stack.server(LOG_LEVEL="DEBUG", ASYNC_MODE="eventlet", **env)
    try:
        _, token = register(srv.url)  # sessions of the embedded default live in its process
        client = SioClient(srv.url, token)
        try:
            assert client.call("join", {"room": "no-such-room"})["error"]["code"] == "not_found"
        finally:
            client.close()
        logs = srv.logs()
        assert "event" in logs  # the debug log is on: its absence below means something
        return "websocket on the direct writer" in logs
    finally:
        srv.close()


def test_a_running_eventlet_server_writes_websockets_with_the_direct_writer(stack):
    assert _direct_writer_used(stack, FASTPATH="1")


def test_fastpath_0_runs_the_stock_transport(stack):
    assert not _direct_writer_used(stack, FASTPATH="0")
