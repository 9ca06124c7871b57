"""The three environments, read from their rendered units: they differ where they must (prod is
Multi-AZ and protected from deletion, dev runs one NAT gateway, ...) and agree everywhere else.

Every value below comes from `tools/iaccheck --dump-units`, i.e. from the inputs Terragrunt would
pass each module after resolving includes, env.hcl, region.hcl and the dependencies' mock outputs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("dev", "staging", "prod")


def _setting(env: str, file: str, key: str) -> str:
    # Read from the files the first-time setup edits, so real ids and domains pass as well as
    # the placeholders.
    text = (ROOT / "live" / env / file).read_text()
    return re.search(rf'^\s*{key}\s*=\s*"([^"]+)"', text, re.M)[1]


DOMAINS = {env: _setting(env, "env.hcl", "domain") for env in ENVS}
ACCOUNTS = {env: _setting(env, "account.hcl", "account_id") for env in ENVS}

# Inputs whose values are allowed to differ between environments, unit by unit: sizes, switches,
# retention. Anything not listed must be equal once the environment's own name, domain and
# account are written the same way (see _normalise).
MAY_DIFFER: dict[str, set[str]] = {
    "network": {
        "egress",
        "cidr_block",
        "availability_zones",
        "single_nat_gateway",
        "enable_interface_endpoints",
        "flow_log_retention_days",
    },
    "alb": {"deletion_protection", "access_logs_retention_days", "access_logs_force_destroy"},
    "postgres": {
        "instance_class",
        "allocated_storage",
        "max_allocated_storage",
        "multi_az",
        "backup_retention_days",
        "deletion_protection",
        "skip_final_snapshot",
        "log_retention_days",
        "apply_immediately",
    },
    "redis": {
        "node_type",
        "num_cache_clusters",
        "automatic_failover",
        "multi_az",
        "snapshot_retention_days",
        "log_retention_days",
        "apply_immediately",
    },
    "security-groups": {"egress"},
    "artifacts": {"noncurrent_version_retention_days", "force_destroy"},
    "media-bucket": {"noncurrent_version_expiration_days", "access_log_retention_days", "force_destroy"},
    "waf": {"rate_limit", "log_retention_days"},
    "static-site": {"price_class", "log_retention_days", "force_destroy", "hosted_zone_id"},
    "dns": {"hosted_zone_id"},
    "app-asg": {
        "instance_type",
        "min_size",
        "max_size",
        "processes_per_instance",
        "log_retention_days",
        "app_version",
    },
    "monitoring": {"log_retention_days", "notify_on_ok", "redis_num_cache_clusters"},
    "alarm-router": {"log_retention_days", "deletion_protection", "email_addresses"},
    "snapshot-pruner": {"log_retention_days"},
}
# Operations change these in one environment at a time (docs/runbook.md): secret rotations and
# the snapshot pruner's first-week dry run.
MAY_DIFFER["redis"] |= {"auth_token_version", "auth_token_update_strategy"}
MAY_DIFFER["app-asg"].add("secret_key_version")
MAY_DIFFER["snapshot-pruner"].add("dry_run")
# The hosted zone id is the one value per environment that is neither a size nor a switch: it is
# the zone bootstrap/hosted-zone.yaml made in that account.
MAY_DIFFER["alb"].add("route53_zone_id")


def _module(unit: dict) -> str:
    return unit["module"].removeprefix("modules/")


def _normalise(value, env: str):
    """The environment's own name, domain and account written as placeholders."""
    if isinstance(value, dict):
        return {k: _normalise(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, env) for v in value]
    if isinstance(value, str):
        if value == env:
            return "<env>"
        value = value.replace(DOMAINS[env], "<domain>").replace(ACCOUNTS[env], "<account>")
        return re.sub(rf"\bchat-{env}\b", "chat-<env>", value).replace(f"/{env}/", "/<env>/")
    return value


def _input(units, env: str, path: str, key: str):
    return units[env][path]["inputs"][key]


def test_every_environment_has_the_same_units_from_the_same_modules(units):
    shapes = {env: {path: _module(u) for path, u in units[env].items()} for env in ENVS}
    assert shapes["dev"], "no units rendered"
    assert shapes["staging"] == shapes["dev"]
    assert shapes["prod"] == shapes["dev"]


def test_every_module_is_deployed_in_every_environment(units):
    modules = {p.parent.name for p in (ROOT / "modules").glob("*/variables.tf")}
    # Building blocks that other modules call (source = "../kms-key") are not units of their own.
    building_blocks = {
        m
        for tf in (ROOT / "modules").glob("*/*.tf")
        for m in re.findall(r'source\s*=\s*"\.\./([a-z0-9-]+)"', tf.read_text())
    }
    assert "kms-key" in building_blocks  # the pattern finds them
    modules -= building_blocks
    for env in ENVS:
        deployed = {_module(u) for u in units[env].values()}
        assert modules <= deployed, f"{env} does not deploy {sorted(modules - deployed)}"


def test_units_render_without_errors_or_problems(dump):
    broken = {u["path"]: u["errors"] + u["problems"] for u in dump["units"] if u["errors"] or u["problems"]}
    assert broken == {}


def test_every_environment_has_an_apply_order(dump, units):
    for env in ENVS:
        order = [path for group in dump["apply_order"][env] for path in group]
        assert sorted(order) == sorted(f"live/{env}/{p}" for p in units[env])
        assert order.index(f"live/{env}/us-west-2/network") < order.index(f"live/{env}/us-west-2/postgres")


def test_dependencies_agree_and_mock_outputs_serve_only_validate_and_plan(units):
    for env in ENVS:
        for path, unit in units[env].items():
            shape = {
                name: dep["config_path"].replace(f"live/{env}/", "live/<env>/")
                for name, dep in unit["dependencies"].items()
            }
            reference = {
                name: dep["config_path"].replace("live/dev/", "live/<env>/")
                for name, dep in units["dev"][path]["dependencies"].items()
            }
            assert shape == reference, f"{env}/{path}"
            for name, dep in unit["dependencies"].items():
                assert dep["config_path"].startswith(f"live/{env}/"), f"{env}/{path} -> {name}"
                assert sorted(dep["mock_outputs_allowed_terraform_commands"]) == ["plan", "validate"]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_prod_and_staging_run_the_production_topology(units, env):
    region = "us-west-2"
    assert _input(units, env, f"{region}/postgres", "multi_az") is True
    assert _input(units, env, f"{region}/postgres", "deletion_protection") is True
    assert _input(units, env, f"{region}/postgres", "skip_final_snapshot") is False
    assert _input(units, env, f"{region}/postgres", "backup_retention_days") >= 7
    assert _input(units, env, f"{region}/alb", "deletion_protection") is True
    assert _input(units, env, f"{region}/redis", "automatic_failover") is True
    assert _input(units, env, f"{region}/redis", "multi_az") is True
    assert _input(units, env, f"{region}/redis", "num_cache_clusters") >= 2
    assert _input(units, env, f"{region}/network", "single_nat_gateway") is False
    assert len(_input(units, env, f"{region}/network", "availability_zones")) == 3
    # no route out of the VPC: AWS through the endpoints only, and the app's HTTPS limited to them
    assert _input(units, env, f"{region}/network", "egress") == "endpoints"
    assert _input(units, env, f"{region}/network", "enable_interface_endpoints") is True
    assert _input(units, env, f"{region}/security-groups", "egress") == "endpoints"
    for path in (f"{region}/artifacts", f"{region}/media-bucket", "_global/static-site"):
        assert _input(units, env, path, "force_destroy") is False, path


def test_prod_keeps_a_month_of_backups_and_a_year_of_logs(units):
    assert _input(units, "prod", "us-west-2/postgres", "backup_retention_days") >= 30
    assert _input(units, "prod", "us-west-2/postgres", "log_retention_days") >= 365
    assert _input(units, "prod", "us-west-2/network", "flow_log_retention_days") >= 365
    assert _input(units, "prod", "us-west-2/alb", "access_logs_retention_days") >= 365


def test_dev_is_the_cost_effective_setup(units):
    assert _input(units, "dev", "us-west-2/network", "single_nat_gateway") is True
    assert _input(units, "dev", "us-west-2/network", "egress") == "nat"
    assert _input(units, "dev", "us-west-2/security-groups", "egress") == "nat"
    assert _input(units, "dev", "us-west-2/network", "enable_interface_endpoints") is False
    assert len(_input(units, "dev", "us-west-2/network", "availability_zones")) == 2
    assert _input(units, "dev", "us-west-2/postgres", "multi_az") is False
    assert _input(units, "dev", "us-west-2/postgres", "deletion_protection") is False
    assert _input(units, "dev", "us-west-2/redis", "num_cache_clusters") == 1
    assert _input(units, "dev", "us-west-2/redis", "automatic_failover") is False
    assert re.fullmatch(
        r"db\.t\d+g?\.(micro|small)", _input(units, "dev", "us-west-2/postgres", "instance_class")
    )
    assert re.fullmatch(r"cache\.t\d+g?\.(micro|small)", _input(units, "dev", "us-west-2/redis", "node_type"))


def test_staging_is_smaller_than_prod(units):
    sizes = {"micro": 0, "small": 1, "medium": 2, "large": 3, "xlarge": 4}

    def size(instance: str) -> int:
        return sizes.get(instance.rsplit(".", 1)[1], 5)

    for path, key in (("us-west-2/postgres", "instance_class"), ("us-west-2/redis", "node_type")):
        assert size(_input(units, "staging", path, key)) <= size(_input(units, "prod", path, key))
    assert _input(units, "staging", "us-west-2/postgres", "allocated_storage") <= _input(
        units, "prod", "us-west-2/postgres", "allocated_storage"
    )


def test_environments_agree_on_everything_but_sizes_switches_and_retention(units):
    for path, dev_unit in units["dev"].items():
        module = _module(dev_unit)
        allowed = MAY_DIFFER.get(module, set())
        reference = _normalise(dev_unit["inputs"], "dev")
        for env in ("staging", "prod"):
            other = _normalise(units[env][path]["inputs"], env)
            assert set(other) == set(reference), f"{env}/{path} takes other inputs than dev"
            differing = {k for k in reference if other[k] != reference[k]}
            assert differing <= allowed, f"{env}/{path} differs from dev in {sorted(differing - allowed)}"


def test_the_comparison_would_notice_a_stray_difference(units):
    # The agreement check above must not be vacuous: a value that differs only in one environment
    # (here the ALB's idle timeout) is caught.
    reference = _normalise(units["dev"]["us-west-2/alb"]["inputs"], "dev")
    tampered = dict(_normalise(units["prod"]["us-west-2/alb"]["inputs"], "prod"), idle_timeout=60)
    differing = {k for k in reference if tampered[k] != reference[k]}
    assert "idle_timeout" in differing - MAY_DIFFER["alb"]


def test_each_environment_names_its_own_resources_and_domain(units):
    for env in ENVS:
        for path, unit in units[env].items():
            assert unit["inputs"]["name"] == f"chat-{env}", path
            assert unit["inputs"]["tags"] == {"terragrunt-unit": f"live/{env}/{path}"}
        assert _input(units, env, "_global/static-site", "domain_name") == DOMAINS[env]
        assert _input(units, env, "us-west-2/alb", "domain_name") == f"api.{DOMAINS[env]}"
        assert _input(units, env, "us-west-2/media-bucket", "cors_allowed_origins") == [
            f"https://{DOMAINS[env]}"
        ]


def test_waf_scopes_are_cloudfront_in_us_east_1_and_regional_for_the_alb(units):
    for env in ENVS:
        glob = units[env]["_global/waf"]["inputs"]
        regional = units[env]["us-west-2/waf"]["inputs"]
        assert (glob["scope"], glob["rate_limit_aggregate_key"]) == ("CLOUDFRONT", "IP")
        # Behind the VPC origin a regional rate rule could only count a forgeable X-Forwarded-For.
        assert (regional["scope"], regional["rate_limit_aggregate_key"]) == ("REGIONAL", "NONE")
        assert units[env]["_global/waf"]["region"] == "_global"


def test_the_api_is_reached_only_through_cloudfronts_vpc_origin(units):
    for env in ENVS:
        assert _input(units, env, "us-west-2/security-groups", "alb_ingress_source") == "vpc-origin"
        static_site = units[env]["_global/static-site"]["inputs"]
        assert static_site["api_vpc_origin_id"] == "vo_MOCK0123456789abcdef"  # the alb unit's (mocked) output
        dns = units[env]["_global/dns"]["inputs"]
        assert not {"api_domain_name", "alb_dns_name", "failover"} & set(dns), "no public name for the API"


def test_accounts_and_domains_are_distinct_and_vpc_ranges_do_not_overlap(units):
    assert all(re.fullmatch(r"[0-9]{12}", a) for a in ACCOUNTS.values())
    assert len(set(ACCOUNTS.values())) == 3
    assert len(set(DOMAINS.values())) == 3
    ranges = {_input(units, env, "us-west-2/network", "cidr_block") for env in ENVS}
    assert len(ranges) == 3
