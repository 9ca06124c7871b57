"""The retention policy: examples, parsing, and properties that must hold for any input."""

from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_support import retention_policies
from snapshot_pruner.policy import (
    MANAGED_TAG,
    Duration,
    Policy,
    PolicyError,
    Rules,
    Snapshot,
    decide,
    keep_reasons,
    parse_duration,
    parse_policy,
)

ACCOUNT = "123456789012"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def snap(n, hours, source="db-a", kind="instance", **kw):
    kw["tags"] = (MANAGED_TAG, *kw.get("tags", ()))
    return Snapshot(
        id=f"{source}-{n:05d}",
        arn=f"arn:aws:rds:us-east-1:{kw.pop('owner', ACCOUNT)}:snapshot:{source}-{n:05d}",
        kind=kind,
        source=source,
        created=T0 + timedelta(hours=hours),
        owner=kw.pop("account", ACCOUNT),
        **kw,
    )


def rules(policy, **kw):
    return Rules(account=ACCOUNT, default=policy, **kw)


def test_daily_keeps_the_newest_snapshot_of_each_of_the_last_days():
    # Four snapshots a day for five days.
    snaps = [snap(i, i * 6) for i in range(20)]
    kept = keep_reasons(snaps, Policy(daily=3))
    # Newest of days 5, 4, 3 are hours 114, 90, 66.
    assert sorted(kept) == ["db-a-00011", "db-a-00015", "db-a-00019"]
    assert kept["db-a-00019"] == ["newest of its source", "daily"]


def test_last_weekly_monthly_and_within_combine():
    snaps = [snap(i, i * 24) for i in range(100)]  # one a day for 100 days
    kept = keep_reasons(snaps, Policy(last=2, weekly=2, monthly=3, within=Duration(days=3)))
    newest = snaps[-1].created
    assert {s.id for s in snaps if newest - s.created < timedelta(days=3)} <= set(kept)
    # The window's limit itself is outside it, as in restic (`time.After`, strictly newer).
    assert "within" not in kept.get("db-a-00096", [])
    assert "last" in kept["db-a-00098"]
    # Monthly: newest of April, March, February 2026 (day 99 is 10 April).
    assert "monthly" in kept["db-a-00058"]  # 28 February
    assert "monthly" in kept["db-a-00089"]  # 31 March


def test_decide_never_deletes_ineligible_snapshots_and_says_why():
    old = {"hours": 0}
    snaps = [
        snap(1, **old, snapshot_type="automated"),
        snap(2, **old, snapshot_type="awsbackup"),
        snap(3, **old, account="999999999999"),
        snap(4, **old, status="creating"),
        snap(5, **old, tags=(("keep", "legal hold"),)),
        snap(6, 1),
        snap(7, 2),
    ]
    plan = decide(snaps, rules(Policy(last=1)))
    assert [s.id for s in plan.delete] == ["db-a-00006"]
    assert dict((s.id, r) for s, r in plan.skip) == {
        "db-a-00001": "automated snapshot, not manual",
        "db-a-00002": "managed by AWS Backup",
        "db-a-00003": "owned by another account",
        "db-a-00004": "status creating",
        "db-a-00005": "tagged keep",
    }


def test_cap_deletes_the_oldest_first_and_reports_the_rest():
    snaps = [snap(i, i) for i in range(10)]
    plan = decide(snaps, rules(Policy(last=1), max_deletions=3))
    assert [s.id for s in plan.delete] == ["db-a-00000", "db-a-00001", "db-a-00002"]
    assert [r for _, r in plan.skip] == ["deletion cap reached"] * 6


def test_per_source_policy_and_unreadable_sources():
    snaps = [snap(i, i * 24, source="a") for i in range(5)] + [snap(i, i * 24, source="b") for i in range(5)]
    plan = decide(
        snaps,
        rules(
            Policy(last=1),
            per_source={("instance", "a"): Policy(last=4)},
            unreadable_sources={("instance", "b"): "bad tag"},
        ),
    )
    assert [s.id for s in plan.delete] == ["a-00000"]
    assert sum(1 for _, r in plan.skip if r == "bad tag") == 5


def test_instance_and_cluster_sources_of_the_same_name_are_distinct():
    snaps = [snap(1, 1, source="x"), snap(2, 2, source="x", kind="cluster")]
    plan = decide(snaps, rules(Policy(last=1)))
    assert plan.delete == [] and len(plan.keep) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", Duration(days=30)),
        ("1y6m", Duration(years=1, months=6)),
        ("2w12h", Duration(days=14, hours=12)),
        ("1y2m3d4h", Duration(1, 2, 3, 4)),
    ],
)
def test_durations_use_restic_units(text, expected):
    assert parse_duration(text) == expected


def test_policy_specs_override_only_what_they_name():
    base = parse_policy("last=3,daily=7,weekly=4,monthly=12")
    assert parse_policy("daily=14 ; within=30d", base) == Policy(
        last=3, daily=14, weekly=4, monthly=12, within=Duration(days=30)
    )
    assert parse_policy("keep-yearly=2").yearly == 2
    assert Policy(last=3, within=Duration(days=30)).spec().endswith("within=30d")
    assert Policy(within=Duration(1, 2, 0, 5)).spec().endswith("within=1y2m5h")


@pytest.mark.parametrize("bad", ["daily", "daily=-1", "daily=many", "fortnightly=2", "within=soon"])
def test_unreadable_policies_are_refused(bad):
    with pytest.raises(PolicyError):
        parse_policy(bad)


# ---- properties -------------------------------------------------------------------------

policies = retention_policies(6, months=14, days=40)
snapshot_sets = st.lists(
    st.tuples(
        st.sampled_from([("instance", "a"), ("instance", "b"), ("cluster", "a")]),
        st.integers(min_value=0, max_value=24 * 800),  # hours over a bit more than two years
        st.sampled_from(["manual", "manual", "manual", "automated"]),
        st.booleans(),
    ),
    max_size=60,
).map(
    lambda items: [
        Snapshot(
            id=f"s{i}",
            arn=f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:s{i}",
            kind=source[0],
            source=source[1],
            created=T0 + timedelta(hours=hours),
            snapshot_type=kind,
            owner=ACCOUNT,
            tags=(MANAGED_TAG, ("keep", "")) if keep else (MANAGED_TAG,),
        )
        for i, (source, hours, kind, keep) in enumerate(items)
    ]
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(snapshot_sets, policies)
def test_property_never_deletes_the_newest_eligible_snapshot_of_a_source(snaps, policy):
    plan = decide(snaps, rules(policy))
    eligible = [s for s in snaps if s.snapshot_type == "manual" and len(s.tags) == 1]
    for key in {s.source_key for s in eligible}:
        newest = max((s for s in eligible if s.source_key == key), key=lambda s: (s.created, s.id))
        assert newest.id not in plan.deleted_ids()


@PROPERTY
@given(snapshot_sets, policies)
def test_property_never_deletes_an_ineligible_snapshot(snaps, policy):
    deleted = decide(snaps, rules(policy)).deleted_ids()
    assert not any(s.id in deleted for s in snaps if s.snapshot_type != "manual" or len(s.tags) > 1)


@PROPERTY
@given(snapshot_sets, policies)
def test_property_deleting_twice_deletes_nothing_more(snaps, policy):
    first = decide(snaps, rules(policy)).deleted_ids()
    remaining = [s for s in snaps if s.id not in first]
    assert decide(remaining, rules(policy)).delete == []


@PROPERTY
@given(snapshot_sets, policies, policies)
def test_property_more_retention_never_deletes_more(snaps, one, two):
    def pick(choose):
        names = [f for f in Policy.__dataclass_fields__ if f != "within"]
        counts = {f: choose(getattr(one, f), getattr(two, f)) for f in names}
        parts = (choose(a, b) for a, b in zip(astuple(one.within), astuple(two.within), strict=True))
        return Policy(**counts, within=Duration(*parts))

    smaller, larger = pick(min), pick(max)
    assert larger.covers(smaller)
    assert decide(snaps, rules(larger)).deleted_ids() <= decide(snaps, rules(smaller)).deleted_ids()


@PROPERTY
@given(snapshot_sets, policies, st.integers(min_value=0, max_value=10))
def test_property_the_cap_takes_the_oldest_of_what_the_policy_deletes(snaps, policy, cap):
    full = decide(snaps, rules(policy)).delete
    capped = decide(snaps, rules(policy, max_deletions=cap)).delete
    assert capped == full[:cap]
