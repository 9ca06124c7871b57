"""The client's pure logic (app/web/test/*.test.js), run by Node's own test runner so that
`make test` covers it with the browser tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support.settings import ROOT


def test_client_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: install Node.js 20 (Debian: apt-get install nodejs npm)")
    proc = subprocess.run(
        [node, "--test", "test/"],
        cwd=ROOT / "app" / "web",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout, proc.stdout
