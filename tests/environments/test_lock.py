"""The lock files agree with the requirement files they were written from (scripts/lock.sh):
CI fails when a requirement changed and `make lock` was not run, when a pin differs, or when
an entry has no hash. That the lock covers every transitive dependency is shown by every
install of it: pip's --require-hashes refuses a lock that misses one."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
PAIRS = [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        m = PIN.match(line.strip())
        if m:
            found[normal(m[1])] = m[2]
    return found


def entries(lock: Path) -> dict[str, list[str]]:
    """name -> the hashes of its entry."""
    found: dict[str, list[str]] = {}
    current = None
    for line in lock.read_text().splitlines():
        m = PIN.match(line)
        if m:
            current = normal(m[1])
            found[current] = []
        elif current and (h := re.search(r"--hash=sha256:([0-9a-f]{64})", line)):
            found[current].append(h[1])
    return found


@pytest.mark.parametrize(("source", "lock"), PAIRS)
def test_the_lock_was_written_from_the_requirements_as_they_are(source, lock):
    header = (ROOT / lock).read_text().splitlines()[0]
    digest = hashlib.sha256(
        (ROOT / "requirements.txt").read_bytes() + (ROOT / source).read_bytes()
    ).hexdigest()
    assert header.startswith(f"# inputs sha256 {digest}:"), (
        f"{source} changed since {lock} was written: run `make lock`"
    )


@pytest.mark.parametrize(("source", "lock"), PAIRS)
def test_every_pin_is_locked_at_its_version_with_hashes(source, lock):
    wanted = pins(ROOT / "requirements.txt") | pins(ROOT / source)
    locked = pins(ROOT / lock)
    assert {n: locked.get(n) for n in wanted} == wanted
    hashes = entries(ROOT / lock)
    assert hashes.keys() == locked.keys()
    assert all(hashes.values()), [n for n, h in hashes.items() if not h]


def test_the_runtime_lock_is_the_dev_lock_s_subset():
    """The service runs in production on exactly what it is tested with."""
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert {n: dev.get(n) for n in runtime} == runtime
