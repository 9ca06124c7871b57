"""`python -m app serve` processes on free ports of 127.0.0.1, started and stopped by PID."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path

import requests

from .ports import free_port, unique
from .processes import stop_processes, tail, wait_http
from .services import Database, delete_redis_keys
from .settings import BACKEND, PYTHON, REDIS_URL, ROOT, SECRET_KEY

APP_SERVE = [PYTHON, "-m", "app", "serve"]
# a few connections per process, for suites that start many: the shared PostgreSQL has 100
# slots for everyone
FEW_CONNECTIONS = {"DB_POOL_SIZE": "4"}


# The per-user event limits of app/config.py EVENT_LIMITS, lifted like the send limit.
EVENT_LIMIT_PREFIXES = ("TYPING", "JOIN", "DELETE", "ROOM_CREATE", "MEMBERSHIP", "UPLOAD")


def server_env(database_url: str, channel: str, redis_url: str | None = None, **settings) -> dict[str, str]:
    """A server's whole environment: this process's, less the harness's own variables, with
    limits no test trips by accident (tests about a limit set it again)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    env.update(
        DATABASE_URL=database_url,
        SOCKETIO_CHANNEL=channel,
        SECRET_KEY=SECRET_KEY,
        AUTH_RATE_LIMIT="100000/minute",
        SEND_RATE_LIMIT="1000000/second",
        **{f"{prefix}_RATE_LIMIT": "1000000/second" for prefix in EVENT_LIMIT_PREFIXES},
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    env.update({k: str(v) for k, v in settings.items()})
    return env


class ServerProcess:
    """One server process on a free port (`command` + `--host 127.0.0.1 --port N`).

    stdout and stderr go to `log` (a temporary file when none is named); `stdout` sends the
    process's stdout elsewhere, for a test that reads it on its own."""

    def __init__(
        self,
        env: dict[str, str],
        log: Path | None = None,
        name: str = "server",
        *,
        command: list[str] = APP_SERVE,
        stdout=None,
        port: int | None = None,
    ) -> None:
        self.env = env
        self.name = name
        self.command = command
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._own_log = log is None
        if log is None:
            fd, path = tempfile.mkstemp(prefix=f"chat-{name}-", suffix=".log")
            os.close(fd)
            log = Path(path)
        self.log = log
        self.stdout = stdout
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
        self.launch()
        self.wait_ready(timeout)
        return self

    def launch(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.command, "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env,
                stdout=log if self.stdout is None else self.stdout,
                stderr=log if self.stdout is not None else subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        assert self.proc is not None
        try:
            wait_http(self.url + "/readyz", self.proc, timeout, self.name, self.log)
        except RuntimeError:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """kill -9: no goodbye to anyone."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def terminate(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)

    def stop(self, grace: float = 10) -> None:
        stop_processes([self.proc], grace)

    def close(self) -> None:
        self.stop()
        if self._own_log:
            with contextlib.suppress(OSError):
                self.log.unlink()

    def logs(self, n: int = 5000) -> str:
        return tail(self.log, n)

    def readyz(self) -> requests.Response:
        return requests.get(self.url + "/readyz", timeout=10)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")


class Stack:
    """A database, a Redis key space (on PostgreSQL runs) and any number of servers on them."""

    def __init__(self, backend: str = BACKEND, **env):
        self.backend = backend
        self.db = Database(backend).create()
        self.db.migrate()
        self.channel = unique("chattest-")
        self.log_dir = tempfile.TemporaryDirectory(prefix="chat-test-logs-")
        self.redis_url = REDIS_URL if backend == "postgres" else None
        self.settings = {
            # tests that are about the send limit start a server with the default one
            "SEND_RATE_LIMIT": "1000/second",
            "LOG_LEVEL": "INFO",
            **env,
        }
        self.servers: list[ServerProcess] = []

    @property
    def multiprocess(self) -> bool:
        return self.backend == "postgres"

    def server(self, stdout=None, **env) -> ServerProcess:
        name = f"s{len(self.servers)}"
        # the environment as it is now: a test may set variables for the servers it starts
        srv = ServerProcess(
            server_env(self.db.url, self.channel, self.redis_url, **{**self.settings, **env}),
            Path(self.log_dir.name) / f"{name}.log",
            name,
            stdout=subprocess.DEVNULL if stdout is None else stdout,
        )
        self.servers.append(srv)
        return srv.start()

    def close(self) -> None:
        stop_processes([s.proc for s in self.servers])
        if self.backend == "postgres":
            delete_redis_keys(self.channel)
        self.db.drop()
        self.log_dir.cleanup()
