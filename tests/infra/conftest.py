"""Shared fixtures of the toolchain tests: one warm toolchain, and fixture trees to break.

Every broken case starts from a copy of fixtures/good and lays fixtures/broken/<case>/ over it
(files there replace or add files; a `.delete` file lists paths to remove), so each case differs
from the good tree by exactly the problem it is about.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"


@dataclass
class Outcome:
    rc: int
    out: str

    def json(self) -> dict:
        return json.loads(self.out[self.out.index("{") :])


@pytest.fixture(scope="session")
def toolchain() -> None:
    """Builds (or finds warm) the toolchain once for the whole session."""
    proc = subprocess.run([str(TOOLS / "setup")], capture_output=True, text=True, timeout=1500, check=False)
    assert proc.returncode == 0, f"tools/setup failed:\n{proc.stdout}\n{proc.stderr}"


def run_tool(tool: str, *args: str, env: dict | None = None, timeout: float = 600) -> Outcome:
    full_env = {**os.environ, **(env or {})}
    # A unit's get_env() must not see the developer's own settings.
    full_env.pop("FIXTURE_AUDIT_SUFFIX", None)
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [str(TOOLS / tool), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout + proc.stderr)


def iaccheck(tree: Path, *args: str, env: dict | None = None, verbose: bool = True) -> Outcome:
    """The tests read each item's line: verbose unless asked otherwise."""
    return run_tool("iaccheck", str(tree), *(("-v",) if verbose else ()), *args, env=env)


def build_tree(dest: Path, case: str | None = None) -> Path:
    tree = dest / (case or "good")
    shutil.copytree(GOOD, tree)
    if case is None:
        return tree
    overlay = BROKEN / case
    assert overlay.is_dir(), f"no broken fixture {case}"
    for src in sorted(overlay.rglob("*")):
        rel = src.relative_to(overlay)
        if src.name == ".delete":
            for line in src.read_text().split():
                target = tree / rel.parent / line
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink()
        elif src.is_file():
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, tree / rel)
    return tree


@pytest.fixture(name="iaccheck")
def iaccheck_fixture(toolchain):
    """iaccheck(tree, *args, env=None) -> Outcome (exit status and combined output)."""
    return iaccheck


@pytest.fixture(name="run_tool")
def run_tool_fixture(toolchain):
    """run_tool("terraform" | "iaccheck" | "moddoc" | "setup", *args, env=None) -> Outcome."""
    return run_tool


@pytest.fixture
def tree_of(tmp_path, toolchain):
    """tree_of("case") -> a good tree with the named broken overlay applied."""
    return lambda case=None: build_tree(tmp_path, case)
