"""Fixtures for the benchmark tooling's own tests: real PostgreSQL, Redis and Node.js servers."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from bench import harness

BENCH = harness.BENCH


@pytest.fixture(scope="session")
def node_modules() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("Node.js 20 with npm is needed for the benchmark tests")
    modules = BENCH / "node_modules"
    lock = BENCH / "package-lock.json"
    marker = modules / ".package-lock.json"
    if not marker.exists() or lock.stat().st_mtime > marker.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=BENCH,
            check=True,
            timeout=300,
        )
    return modules


def run_tool(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """``python -m bench.<module> args...`` from the repository root, output captured; the
    caller checks the exit status (its stderr is the message when it fails)."""
    return subprocess.run(
        [str(harness.PYTHON), "-m", f"bench.{module}", *args],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def bench(tmp_path, node_modules):
    """A Bench with its own results folder, databases and Redis prefix, cleaned up after."""
    b = harness.Bench("test", tmp_path, f"t{uuid.uuid4().hex[:10]}")
    yield b
    b.cleanup()
