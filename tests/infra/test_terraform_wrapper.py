"""tools/terraform: the real CLI, offline, never writing Terraform state into the project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# The first test of a session may build the toolchain (minutes on a cold cache), and the whole
# machine is shared: allow more than the project's default per-test timeout.
pytestmark = pytest.mark.timeout(1500)

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"


def test_validate_and_test_run_offline_without_touching_the_module(tmp_path, run_tool):
    shutil.copytree(GOOD / "modules", tmp_path / "modules")
    module = tmp_path / "modules" / "logs"
    out = run_tool("terraform", f"-chdir={module}", "validate", "-no-color")
    assert out.rc == 0, out.out
    assert "Success! The configuration is valid." in out.out
    out = run_tool("terraform", f"-chdir={module}", "test", "-no-color")
    assert out.rc == 0, out.out
    assert "2 passed, 0 failed" in out.out
    written = [p.name for p in Path(tmp_path).rglob("*") if p.name.startswith(".terraform")]
    assert written == []


def test_validate_reports_terraform_errors_with_file_and_line(tmp_path, run_tool):
    shutil.copytree(GOOD / "modules", tmp_path / "modules")
    main = tmp_path / "modules" / "logs" / "main.tf"
    main.write_text(main.read_text().replace("kms_key_id ", "kms_key "))
    out = run_tool("terraform", f"-chdir={main.parent}", "validate", "-no-color")
    assert out.rc == 1
    assert 'An argument named "kms_key" is not expected here' in out.out
    assert "on main.tf line 4" in out.out


def test_version_is_terraform_1_15(run_tool):
    out = run_tool("terraform", "version")
    assert out.rc == 0
    assert out.out.startswith("Terraform v1.15.")


def test_hclfmt_formats_terragrunt_files_in_place(tmp_path, run_tool):
    unformatted = GOOD.parent / "broken" / "unformatted" / "live" / "dev" / "account.hcl"
    target = tmp_path / "account.hcl"
    shutil.copyfile(unformatted, target)
    assert run_tool("hclfmt", "--check", str(tmp_path)).rc == 3
    assert run_tool("hclfmt", str(tmp_path)).rc == 0
    assert target.read_text() == (GOOD / "live" / "dev" / "account.hcl").read_text()
    assert run_tool("hclfmt", "--check", str(tmp_path)).rc == 0
