"""The client's logic (app/web/test/*.test.js: the timeline, the stored state, the socket
session against a scripted socket in happy-dom), run by Node's own test runner, and its lint,
so that `make test` covers them with the browser tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support.settings import ROOT


def test_client_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js 20 (Debian: apt-get install nodejs npm)")
    web = ROOT / "app" / "web"
    proc = subprocess.run(
        [node, "--test", *sorted(str(p.relative_to(web)) for p in (web / "test").glob("*.test.js"))],
        cwd=web,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, proc.stdout


def test_client_code_passes_lint_and_the_size_limits():
    """ESLint (app/web/eslint.config.js): no undefined or unused names, no function over 150
    lines and no module over 400 in the web client."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx is missing: install Node.js 20 with npm")
    proc = subprocess.run(
        [npx, "--no-install", "eslint", "."],
        cwd=ROOT / "app" / "web",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
