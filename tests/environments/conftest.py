"""The rendered Terragrunt units of every environment, read once through `tools/iaccheck --dump-units`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("dev", "staging", "prod")


@pytest.fixture(scope="session")
def dump() -> dict:
    result = subprocess.run(
        [str(ROOT / "tools" / "iaccheck"), "--dump-units", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"--dump-units failed:\n{result.stderr}\n{result.stdout[-2000:]}"
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def units(dump: dict) -> dict[str, dict[str, dict]]:
    """env -> unit path below the environment (e.g. `us-west-2/postgres`) -> unit."""
    by_env: dict[str, dict[str, dict]] = {env: {} for env in ENVS}
    for unit in dump["units"]:
        env = unit["env"]
        assert env in by_env, f"unit {unit['path']} is in no known environment"
        by_env[env][unit["path"].split("/", 2)[2]] = unit
    return by_env
