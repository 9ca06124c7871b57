"""Child processes of the tests: one-off programs, `python -m app migrate`, and stopping what
was started. Only processes started here are signalled, and only by their PID."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from pathlib import Path

import requests

from .settings import PYTHON, ROOT


def run_module(module: str, *args: str, timeout: float = 60) -> str:
    """Run `python -m module` in a process of its own (one that patches for eventlet or
    gevent without touching the test process); its stdout, once it exited 0."""
    done = subprocess.run(
        [PYTHON, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def migrate(env: dict[str, str]) -> None:
    proc = subprocess.run(
        [PYTHON, "-m", "app", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if proc.returncode != 0:
        raise RuntimeError(f"migrate failed ({proc.returncode}): {proc.stderr[-2000:]}")


def tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "(no log)"


def wait_http(url: str, proc: subprocess.Popen, timeout: float, what: str, log: Path) -> None:
    """Until url answers 200; fails at once with the log when proc exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{tail(log)}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} was not ready within {timeout}s:\n{tail(log)}")


def stop_processes(procs: list[subprocess.Popen | None], grace: float = 10) -> None:
    """SIGTERM to all first, then wait: the graceful shutdowns overlap instead of adding up."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        proc.send_signal(signal.SIGTERM)
    for proc in running:
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
