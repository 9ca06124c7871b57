"""tools/iaccheck on fixture trees: the good one passes, each broken one fails naming its problem.

Each broken case runs only the steps that can see its problem (--only), so the suite stays fast;
test_good_tree_passes_every_check runs everything on the good tree.
"""

from __future__ import annotations

import pytest

# The first test of a session may build the toolchain (minutes on a cold cache), and the whole
# machine is shared: allow more than the project's default per-test timeout.
pytestmark = pytest.mark.timeout(1500)


def assert_fails_with(outcome, *needles: str) -> None:
    assert outcome.rc == 1, f"expected exit 1, got {outcome.rc}:\n{outcome.out}"
    for needle in needles:
        assert needle in outcome.out, f"{needle!r} not in output:\n{outcome.out}"


def test_good_tree_passes_every_check_and_leaves_no_terraform_state(iaccheck, tree_of):
    tree = tree_of()
    out = iaccheck(tree)
    assert out.rc == 0, out.out
    leftovers = [p for p in tree.rglob("*") if p.name in (".terraform", ".terraform.lock.hcl")]
    assert leftovers == []
    # every step ran and reported what it counted
    assert "fmt: terraform fmt -check" in out.out
    assert "module modules/logs: validate + test - valid, tests: 2 passed, 0 failed" in out.out
    assert "module modules/edge: validate + test - valid, tests: 1 passed, 0 failed" in out.out
    assert "checkov: modules/" in out.out
    assert "checkov: rendered Terragrunt units" in out.out
    assert "cfn-lint: bootstrap/ CloudFormation templates - 1 templates: 0 errors" in out.out
    assert "unit live/dev/eu-west-1/audit-logs: render + validate (modules/logs) - valid" in out.out
    assert "unit live/dev/_global/edge: render + validate (modules/edge) - valid" in out.out
    assert "units: terraform init + validate of 3 rendered units - validated together" in out.out
    assert "moddoc: README.md inputs/outputs tables" in out.out
    assert "iaccheck: all " in out.out


def test_without_v_the_output_is_the_summary_and_nothing_for_items_that_passed(iaccheck, tree_of):
    out = iaccheck(tree_of(), "--only", "fmt,terragrunt,cfn-lint", verbose=False)
    assert out.rc == 0, out.out
    lines = [ln for ln in out.out.splitlines() if ln.strip() and not ln.startswith("(tools/")]
    assert len(lines) == 2, out.out  # what is checked, then the outcome
    assert lines[0].startswith("iaccheck ") and "2 modules" in lines[0]
    assert lines[1].startswith("iaccheck: all ") and "-v lists each item" in lines[1]


def test_apply_order_lists_dependencies_after_what_they_need(iaccheck, tree_of):
    out = iaccheck(tree_of(), "--only", "terragrunt")
    assert out.rc == 0, out.out
    lines = out.out.splitlines()
    logs = lines.index("    1. live/dev/eu-west-1/logs  (after: -)")
    audit = lines.index("    2. live/dev/eu-west-1/audit-logs  (after: live/dev/eu-west-1/logs)")
    assert logs < audit


# -- modules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        (
            "misspelt_argument",
            ["modules/logs/main.tf:3", 'An argument named "retention_in_dayz" is not expected'],
        ),
        (
            "missing_required_argument",
            ["modules/logs/main.tf:8", "Missing required argument", '"log_group_name" is required'],
        ),
        (
            "bad_reference",
            ["modules/logs/outputs.tf:3", "Reference to undeclared resource"],
        ),
        (
            "failing_tftest",
            [
                "modules/logs/tests/logs.tftest.hcl",
                'run "keeps_logs_a_year_encrypted": Test assertion failed',
                "tests: 1 passed, 1 failed",
            ],
        ),
        (
            "stale_readme",
            ["modules/logs/README.md", "out of date: run tools/moddoc"],
        ),
    ],
)
def test_broken_module_fails_naming_the_problem(iaccheck, tree_of, case, needles):
    assert_fails_with(iaccheck(tree_of(case), "--only", "modules"), *needles)


def test_checkov_violation_in_a_module_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("checkov_violation"), "--only", "checkov")
    assert_fails_with(out, "[checkov] modules/logs/main.tf:1: CKV_AWS_158")


def test_checkov_skip_without_a_reason_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("reasonless_skip"), "--only", "checkov")
    assert_fails_with(out, "[skip-reason] modules/logs/main.tf:2: checkov:skip=CKV_AWS_158 has no reason")
    # the suppression itself still works: the check is skipped, not failed
    assert "CKV_AWS_158 Ensure" not in out.out


def test_checkov_scans_the_cloudformation_in_bootstrap_too(iaccheck, tree_of):
    out = iaccheck(tree_of("cfn_checkov_violation"), "--only", "checkov")
    assert_fails_with(out, "[checkov] bootstrap/logs.yaml", "CKV_AWS_158")


def test_a_cloudformation_checkov_skip_without_a_reason_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("cfn_reasonless_skip"), "--only", "checkov")
    assert_fails_with(
        out, "[skip-reason] bootstrap/logs.yaml:9: a checkov skip in Metadata needs an id and a comment"
    )


def test_unformatted_terraform_and_terragrunt_files_fail(iaccheck, tree_of):
    out = iaccheck(tree_of("unformatted"), "--only", "fmt")
    assert_fails_with(
        out, "[fmt] modules/logs/main.tf: not formatted", "[fmt] live/dev/account.hcl: not formatted"
    )


def test_bad_cloudformation_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("bad_cloudformation"), "--only", "cfn-lint")
    assert_fails_with(out, "[cfn-lint] bootstrap/alarm-topic.yaml:11: E3002", "TopicNam")
    assert "bootstrap/alarm-topic.yaml:15: E" in out.out  # the reference to nowhere


# -- Terragrunt ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        (
            "broken_include",
            [
                "live/dev/eu-west-1/logs/terragrunt.hcl:5",
                'include "envcommon": live/_envcommon/log.hcl does not exist',
            ],
        ),
        (
            "dependency_to_nowhere",
            [
                "live/dev/eu-west-1/audit-logs/terragrunt.hcl:11",
                "dependency 'logs' points at live/dev/eu-west-1/log-archive, which is not a unit",
            ],
        ),
        (
            "unknown_output",
            [
                "live/dev/eu-west-1/audit-logs/terragrunt.hcl:21",
                "dependency.logs.outputs.group_name: module modules/logs has no output 'group_name'",
            ],
        ),
        (
            "missing_input",
            ["live/dev/_global/edge", "input 'domain_name' is required by module modules/edge"],
        ),
        (
            "unknown_input",
            [
                "live/dev/eu-west-1/logs/terragrunt.hcl:12",
                "input 'retention' is not a variable of module modules/logs",
            ],
        ),
        (
            "cycle",
            [
                "dependency cycle: live/dev/eu-west-1/audit-logs -> live/dev/eu-west-1/logs -> "
                "live/dev/eu-west-1/audit-logs"
            ],
        ),
        (
            "unknown_function",
            [
                "live/dev/_global/edge/terragrunt.hcl:14",
                "unknown function get_terragrunt_domain()",
            ],
        ),
        (
            "mocks_for_apply",
            ["dependency 'logs': mock outputs allowed for ['apply']; limit them to validate and plan"],
        ),
    ],
)
def test_broken_terragrunt_fails_naming_the_problem(iaccheck, tree_of, case, needles):
    assert_fails_with(iaccheck(tree_of(case), "--only", "terragrunt"), *needles)


def test_rendered_unit_with_a_wrong_type_fails_validate(iaccheck, tree_of):
    out = iaccheck(tree_of("unit_type_mismatch"), "--only", "units")
    assert_fails_with(
        out,
        "[unit-validate] live/_envcommon/logs.hcl:14: live/dev/eu-west-1/logs: input "
        "'retention_days': Invalid value for input variable",
    )


def test_environment_value_that_breaks_a_policy_fails_checkov_on_the_render(iaccheck, tree_of):
    out = iaccheck(tree_of("unit_policy_violation"), "--only", "units,checkov")
    assert_fails_with(out, "live/dev/eu-west-1/logs: CKV_AWS_338")
    # the module alone (its default of 365 days) passes: only the render sees the env's 14 days
    assert (
        "[checkov] modules/logs/main.tf:1: CKV_AWS_338"
        not in out.out.split("checkov: modules/")[1].split("\n[")[0]
    )


def test_module_needing_an_alias_the_generated_provider_lacks_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("missing_provider_alias"), "--only", "units")
    assert_fails_with(
        out,
        "module modules/edge expects provider configuration aws.us_east_1 (configuration_aliases)",
    )


def test_dump_units_gives_inputs_dependencies_and_order(iaccheck, tree_of):
    out = iaccheck(tree_of(), "--dump-units")
    assert out.rc == 0, out.out
    data = out.json()
    units = {u["path"]: u for u in data["units"]}
    audit = units["live/dev/eu-west-1/audit-logs"]
    assert audit["env"] == "dev"
    assert audit["region"] == "eu-west-1"
    assert audit["module"] == "modules/logs"
    assert audit["inputs"]["name"] == "fixture-dev-logs-audit"
    assert audit["dependencies"]["logs"]["config_path"] == "live/dev/eu-west-1/logs"
    assert audit["apply_order"] == 2
    assert units["live/dev/eu-west-1/logs"]["apply_order"] == 1
    edge = units["live/dev/_global/edge"]
    assert edge["region"] == "_global"
    assert edge["inputs"]["tags"] == {"project": "fixture", "env": "dev", "managed-by": "terragrunt"}
    assert data["apply_order"]["dev"][0] == ["live/dev/_global/edge", "live/dev/eu-west-1/logs"]


def test_get_env_reaches_the_unit_inputs(iaccheck, tree_of):
    out = iaccheck(tree_of(), "--dump-units", env={"FIXTURE_AUDIT_SUFFIX": "Trail"})
    units = {u["path"]: u for u in out.json()["units"]}
    assert units["live/dev/eu-west-1/audit-logs"]["inputs"]["name"] == "fixture-dev-logs-trail"


def test_empty_tree_runs_cleanly(iaccheck, tmp_path):
    (tmp_path / "modules").mkdir()
    out = iaccheck(tmp_path)
    assert out.rc == 0, out.out
    assert "iaccheck: all " in out.out


def test_environment_choice_suppressed_in_env_hcl_with_a_reason_passes(iaccheck, tree_of):
    # not broken: an environment's deliberate choice, suppressed where it is made
    out = iaccheck(tree_of("unit_policy_suppressed"), "--only", "units,checkov")
    assert out.rc == 0, out.out
    assert "CKV_AWS_338" not in out.out


def test_environment_suppression_without_a_reason_fails(iaccheck, tree_of):
    out = iaccheck(tree_of("unit_policy_skip_without_reason"), "--only", "units,checkov")
    assert_fails_with(
        out,
        "[skip-reason] live/dev/env.hcl:1: checkov:skip=CKV_AWS_338 has no reason",
        "live/dev/eu-west-1/logs: CKV_AWS_338",
    )
