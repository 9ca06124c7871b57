"""Fixtures for the bootstrap CloudFormation templates: moto's CloudFormation stands in for AWS."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.decode import decode_str
from moto import mock_aws

BOOTSTRAP = Path(__file__).resolve().parents[2] / "bootstrap"
REGION = "us-west-2"
# moto's default account: what the stacks see as AWS::AccountId.
ACCOUNT = "123456789012"


def _load_template(name: str) -> dict[str, Any]:
    template, matches = decode_str((BOOTSTRAP / name).read_text())
    assert not matches, f"{name} does not parse: {matches}"
    return template


@pytest.fixture
def load_template() -> Callable[[str], dict[str, Any]]:
    """The template as data, short-form intrinsics (!Sub, !If, ...) expanded to their long form."""
    return _load_template


@pytest.fixture
def account() -> str:
    return ACCOUNT


@pytest.fixture
def region() -> str:
    return REGION


def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _fake_credentials(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture(scope="module")
def module_aws() -> Iterator[None]:
    """One moto account for a whole test module, for modules that only read what one stack
    made (the deploy role's policies): deploying it once instead of once per test."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _fake_credentials(monkeypatch)
        with mock_aws():
            yield


class Stack:
    """A created stack: its outputs, and the resource types moto could not create."""

    def __init__(self, outputs: dict[str, str], skipped_types: set[str]) -> None:
        self.outputs = outputs
        self.skipped_types = skipped_types


def _create_stack(
    template: str, stack_name: str | None = None, region: str | None = None, **parameters: str
) -> Stack:
    # The hosted zone stack belongs in us-east-1 (Route 53 query logs live only there).
    region = region or ("us-east-1" if template == "hosted-zone.yaml" else REGION)
    cloudformation = boto3.client("cloudformation", region_name=region)
    name = stack_name or f"chat-bootstrap-{template.removesuffix('.yaml')}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=name,
            TemplateBody=(BOOTSTRAP / template).read_text(),
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    skipped = {
        str(w.message).split("parse ")[1].split(" but")[0]
        for w in caught
        if "not supported by moto" in str(w.message)
    }
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return Stack(outputs, skipped)


@pytest.fixture
def create_stack(aws: None) -> Callable[..., Stack]:
    return _create_stack


@pytest.fixture(scope="module")
def create_stack_once(module_aws: None) -> Callable[..., Stack]:
    return _create_stack
