"""Every bootstrap template is cfn-lint clean at the command line's default level."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import lint

BOOTSTRAP = Path(__file__).resolve().parents[2] / "bootstrap"
TEMPLATES = sorted(p.name for p in BOOTSTRAP.glob("*.yaml"))


def test_bootstrap_has_the_five_templates():
    assert TEMPLATES == [
        "alarm-contacts.yaml",
        "deploy-role.yaml",
        "github-oidc.yaml",
        "hosted-zone.yaml",
        "state-backend.yaml",
    ]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_is_cfn_lint_clean(name):
    matches = lint((BOOTSTRAP / name).read_text())
    assert [str(m) for m in matches] == []


def test_cfn_lint_does_report_a_broken_template():
    broken = (
        (BOOTSTRAP / "state-backend.yaml").read_text().replace("SSEAlgorithm: aws:kms", "SSEAlgorithm: rot13")
    )
    assert any("rot13" in str(m) for m in lint(broken))
