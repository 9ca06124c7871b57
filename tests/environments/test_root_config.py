"""What the root terragrunt.hcl gives every unit, resolved per unit by the project's Terragrunt
reader (tools/iac/terragrunt.py): state in its own account and region's bucket with a lock file,
a provider that can only act in the right account through its deploy role, and the tags."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "iac"))

import hcl  # noqa: E402 - the project's own HCL parser, beside the reader
import terragrunt  # noqa: E402
from hcleval import Scope, evaluate  # noqa: E402

ACCOUNTS = {
    env: re.search(r'account_id\s*=\s*"([0-9]{12})"', (ROOT / "live" / env / "account.hcl").read_text())[1]
    for env in ("dev", "staging", "prod")
}
UNIT_FILES = sorted((ROOT / "live").glob("*/*/*/terragrunt.hcl"))


@pytest.fixture(scope="module")
def loaded() -> dict[str, terragrunt.Unit]:
    reader = terragrunt.Reader(ROOT)
    units = {}
    for path in UNIT_FILES:
        unit = reader.load_unit(path)
        assert unit.errors == [], unit.errors
        units[str(path.parent.relative_to(ROOT))] = unit
    return units


def _where(path: str) -> tuple[str, str, str]:
    _, env, region_dir, _ = path.split("/")
    region = "us-east-1" if region_dir == "_global" else region_dir
    return env, ACCOUNTS[env], region


def test_there_are_units_in_every_environment():
    envs = {p.parts[-4] for p in UNIT_FILES}
    assert envs == set(ACCOUNTS)


def test_state_goes_to_the_bootstrap_bucket_of_the_units_account_and_region(loaded):
    for path, unit in loaded.items():
        env, account, region = _where(path)
        state = unit.remote_state
        assert state["backend"] == "s3", path
        config = state["config"]
        assert config["bucket"] == f"chat-tfstate-{account}-{region}", path
        assert config["region"] == region, path
        assert config["key"] == f"{path}/terraform.tfstate", path
        assert config["encrypt"] is True
        assert config["kms_key_id"] == f"arn:aws:kms:{region}:{account}:alias/chat-tfstate"
        assert config["assume_role"]["role_arn"] == f"arn:aws:iam::{account}:role/chat-deploy"
        # Native S3 lock files, no DynamoDB table.
        assert config["use_lockfile"] is True
        assert "dynamodb_table" not in config
        assert config["disable_bucket_update"] is True


def test_no_two_units_share_a_state_object(loaded):
    objects = [(u.remote_state["config"]["bucket"], u.remote_state["config"]["key"]) for u in loaded.values()]
    assert len(objects) == len(set(objects))


def _providers(unit: terragrunt.Unit) -> list[dict]:
    contents = unit.generate["provider"]["contents"]
    blocks = re.findall(r'provider "aws" \{(.*?)\n\}', contents, re.S)
    parsed = []
    for block in blocks:
        alias = re.search(r'alias\s*=\s*"([^"]+)"', block)
        tags = re.search(r"tags = (\{.*?\})\n", block)
        parsed.append(
            {
                "alias": alias[1] if alias else None,
                "region": re.search(r'region\s*=\s*"([^"]+)"', block)[1],
                "allowed": re.search(r"allowed_account_ids\s*=\s*\[(.*?)\]", block)[1],
                "role": re.search(r'role_arn\s*=\s*"([^"]+)"', block)[1],
                "tags": json.loads(tags[1]),
            }
        )
    return parsed


def test_provider_acts_only_in_the_units_account_through_its_deploy_role(loaded):
    for path, unit in loaded.items():
        env, account, region = _where(path)
        assert unit.generate["provider"]["if_exists"] == "overwrite_terragrunt"
        default, us_east_1 = _providers(unit)
        assert (default["alias"], default["region"]) == (None, region), path
        assert (us_east_1["alias"], us_east_1["region"]) == ("us_east_1", "us-east-1"), path
        for provider in (default, us_east_1):
            assert provider["allowed"] == f'"{account}"', path
            assert provider["role"] == f"arn:aws:iam::{account}:role/chat-deploy", path


def test_the_pipeline_s_plans_assume_the_read_only_plan_role_instead(monkeypatch):
    monkeypatch.setenv("CHAT_DEPLOY_ROLE_NAME", "chat-plan")
    path = UNIT_FILES[0]
    unit = terragrunt.Reader(ROOT).load_unit(path)
    assert unit.errors == []
    _, account, _ = _where(str(path.parent.relative_to(ROOT)))
    for provider in _providers(unit):
        assert provider["role"] == f"arn:aws:iam::{account}:role/chat-plan"
    assert unit.remote_state["config"]["assume_role"]["role_arn"] == f"arn:aws:iam::{account}:role/chat-plan"


def test_every_resource_is_tagged_with_project_env_owner_and_cost_centre(loaded):
    for path, unit in loaded.items():
        env, _, _ = _where(path)
        for provider in _providers(unit):
            tags = provider["tags"]
            assert tags["project"] == "chat"
            assert tags["env"] == env
            assert tags["owner"]
            assert tags["cost-centre"]


def _root_attribute(name: str):
    body = hcl.parse((ROOT / "terragrunt.hcl").read_text(), "terragrunt.hcl")
    return evaluate(body.attributes[name].expr, Scope({}, {}, "terragrunt.hcl"))


def test_terraform_and_terragrunt_versions_are_pinned():
    assert _root_attribute("terragrunt_version_constraint") == ">= 0.93.0, < 1.0.0"
    assert _root_attribute("terraform_version_constraint") == ">= 1.11.0, < 2.0.0"


def test_the_root_keeps_the_designs_name_and_no_root_hcl_competes():
    assert (ROOT / "terragrunt.hcl").is_file()
    assert not (ROOT / "root.hcl").exists()
    for path in UNIT_FILES:
        assert 'find_in_parent_folders("terragrunt.hcl")' in path.read_text(), path


def test_units_holding_data_refuse_destroy_in_staging_and_prod():
    reader = terragrunt.Reader(ROOT)
    protect = {
        env: reader.read_config(ROOT / "live" / env / "env.hcl")["locals"]["prevent_destroy"]
        for env in ACCOUNTS
    }
    assert protect == {"dev": False, "staging": True, "prod": True}
    for unit in ("postgres", "media-bucket", "artifacts"):
        name = f"live/_envcommon/{unit}.hcl"
        body = hcl.parse((ROOT / name).read_text(), name)
        assert "prevent_destroy" in body.attributes, name
        assert "local.env.prevent_destroy" in (ROOT / name).read_text(), name
