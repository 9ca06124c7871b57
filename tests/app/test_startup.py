"""Starting up: bad configuration is one clear line and exit 2; migrations; AUTO_MIGRATE."""

import contextlib
import json
import os
import socket
import subprocess
import threading
import time

import pytest
import requests

from tests.support.ports import free_port
from tests.support.server import ServerProcess
from tests.support.services import Database
from tests.support.settings import BACKEND, PYTHON, ROOT


def run_app(*args, env=None, timeout=60):
    full = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    full.update(env or {})
    return subprocess.run(
        [PYTHON, "-m", "app", *args], cwd=ROOT, env=full, capture_output=True, text=True, timeout=timeout
    )


def assert_one_line_error(proc, variable):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert variable in errors[0]
    assert "Traceback" not in proc.stderr


PG_OK = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "mysql://root@localhost/x", "SECRET_KEY": "k" * 32}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url at all", "SECRET_KEY": "k" * 32}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "k" * 32}, "DATABASE_URL"),
        (
            {"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x", "SECRET_KEY": "k" * 32},
            "DATABASE_URL",
        ),
        ({"DATABASE_URL": PG_OK}, "SECRET_KEY"),
        ({"DATABASE_URL": PG_OK, "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"REDIS_URL": "redis://127.0.0.1:notaport"}, "REDIS_URL"),
        ({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "REDIS_URL"),
        ({"AUTH_RATE_LIMIT": "lots"}, "AUTH_RATE_LIMIT"),
        ({"PROXY_HOPS": "-1"}, "PROXY_HOPS"),
        ({"PROXY_HOPS": "two"}, "PROXY_HOPS"),
        ({"CORS_ORIGINS": "chat.example.com"}, "CORS_ORIGINS"),
        ({"SOCKETIO_CHANNEL": "bad channel!"}, "SOCKETIO_CHANNEL"),
        ({"ASYNC_MODE": "threading"}, "ASYNC_MODE"),
        ({"AUTO_MIGRATE": "maybe"}, "AUTO_MIGRATE"),
        ({"MEDIA_DIR": "/dev/null/media"}, "MEDIA_DIR"),
    ],
)
def test_bad_configuration_stops_serve_with_one_line_naming_the_variable(env, variable, tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "AUTO_MIGRATE": "1", **env}
    proc = run_app("serve", "--port", str(free_port()), env=env)
    assert_one_line_error(proc, variable)


def test_serve_refuses_an_unmigrated_database_with_a_clear_message(tmp_path):
    proc = run_app("serve", "--port", str(free_port()), env={"DATABASE_URL": f"sqlite:///{tmp_path}/new.db"})
    assert_one_line_error(proc, "python -m app migrate")


def test_migrate_is_idempotent_and_auto_migrate_lets_serve_start():
    db = Database(BACKEND).create()
    try:
        first = run_app("migrate", env={"DATABASE_URL": db.url})
        assert first.returncode == 0 and "migrated" in first.stdout, first.stderr
        again = run_app("migrate", env={"DATABASE_URL": db.url})
        assert again.returncode == 0 and "up to date" in again.stdout
    finally:
        db.drop()
    db = Database(BACKEND).create()
    try:
        env = {
            "DATABASE_URL": db.url,
            "SECRET_KEY": "k" * 32,
            "AUTO_MIGRATE": "1",
            "SOCKETIO_CHANNEL": db.name,
        }
        srv = ServerProcess({**os.environ, **env}).start()
        try:
            assert requests.get(srv.url + "/readyz").status_code == 200
        finally:
            srv.close()
    finally:
        db.drop()


def test_migrate_with_an_unreachable_database_is_one_line():
    proc = run_app("migrate", env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"})
    assert_one_line_error(proc, "DATABASE_URL")


def test_port_in_use_is_one_line(server, tmp_path):
    db = f"sqlite:///{tmp_path}/p.db"
    run_app("migrate", env={"DATABASE_URL": db})
    proc = run_app("serve", "--port", str(server.port), env={"DATABASE_URL": db})
    assert_one_line_error(proc, "--port")


def test_embedded_default_needs_no_services(tmp_path):
    """`python -m app serve` with no DATABASE_URL or REDIS_URL: SQLite file, in-process queue."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")}
    workdir = tmp_path / "w"
    workdir.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, "-m", "app", "serve", "--port", str(port)],
        cwd=workdir,
        env={**env, "PYTHONPATH": str(ROOT), "AUTO_MIGRATE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                r = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert r.status_code == 200
        assert r.json()["checks"] == {"database": "ok"}
        assert (workdir / "chat.db").exists()
    finally:
        proc.terminate()
        proc.wait(10)


def test_sigterm_stops_the_server_within_its_grace_period_whatever_is_open(stack):
    """A long poll (held for PING_INTERVAL) and an idle keep-alive connection would hold the
    WSGI server's shutdown; SHUTDOWN_GRACE_SECONDS bounds it."""
    srv = stack.server(SHUTDOWN_GRACE_SECONDS="2", PING_INTERVAL="120", PING_TIMEOUT="60")
    poll = srv.url + "/socket.io/?EIO=4&transport=polling"
    opened = requests.get(poll, timeout=10).text
    sid = json.loads(opened[opened.index("{") :])["sid"]

    # a long poll with nothing to send for 120 s
    def long_poll():
        with contextlib.suppress(requests.RequestException):  # ended by the shutdown
            requests.get(f"{poll}&sid={sid}", timeout=150)

    waiter = threading.Thread(target=long_poll)
    waiter.daemon = True
    waiter.start()
    idle = socket.create_connection(("127.0.0.1", srv.port))
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    idle.recv(4096)  # answered; the connection stays open (keep-alive)
    time.sleep(0.5)
    started = time.monotonic()
    srv.terminate()
    srv.proc.wait(timeout=60)
    took = time.monotonic() - started
    idle.close()
    assert srv.proc.returncode == 0
    assert took < 20, took  # the long poll alone would hold it for 120 s
