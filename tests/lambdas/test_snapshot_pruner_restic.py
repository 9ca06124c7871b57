"""The retention policy against an independent model of `restic forget` (restic's classic rule).

The model is written from restic's and Go's documented rules, not from the pruner's code:
`--keep-within` keeps snapshots whose time is strictly after `latest.AddDate(-y, -m, -d)`
minus the hours, and Go's `AddDate` normalises out-of-range months and days by carrying them.
"""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_support import retention_policies
from snapshot_pruner.policy import MANAGED_TAG, Duration, Policy, Snapshot, add_date, keep_reasons

T0 = datetime(2023, 1, 1, tzinfo=UTC)


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def go_add_date(t: datetime, years: int, months: int, days: int) -> datetime:
    """Go's time.Date normalisation, one month at a time."""
    year, month, day = t.year + years, t.month + months, t.day + days
    while month > 12:
        month, year = month - 12, year + 1
    while month < 1:
        month, year = month + 12, year - 1
    while day > _days_in(year, month):
        day -= _days_in(year, month)
        month += 1
        if month == 13:
            month, year = 1, year + 1
    while day < 1:
        month -= 1
        if month == 0:
            month, year = 12, year - 1
        day += _days_in(year, month)
    return t.replace(year=year, month=month, day=day)


RESTIC_BUCKETS = {
    "hourly": lambda t: t.strftime("%Y-%m-%d %H"),
    "daily": lambda t: t.strftime("%Y-%m-%d"),
    "weekly": lambda t: "{:04d}-W{:02d}".format(*t.isocalendar()[:2]),
    "monthly": lambda t: t.strftime("%Y-%m"),
    "yearly": lambda t: t.strftime("%Y"),
}


def restic_keeps(times: dict[str, datetime], policy: Policy) -> set[str]:
    """restic's ApplyPolicy (classic, before 0.16's keep-the-oldest): the ids it keeps."""
    ordered = sorted(times, key=lambda i: (times[i], i), reverse=True)
    if not ordered:
        return set()
    latest = times[ordered[0]]
    w = policy.within
    limit = go_add_date(latest, -w.years, -w.months, -w.days) - timedelta(hours=w.hours)
    left = {name: getattr(policy, name) for name in RESTIC_BUCKETS}
    last_seen: dict[str, str | None] = dict.fromkeys(RESTIC_BUCKETS)
    kept = set()
    for nr, ident in enumerate(ordered):
        t = times[ident]
        keep = nr < policy.last
        for name, bucket in RESTIC_BUCKETS.items():
            if left[name] > 0 and bucket(t) != last_seen[name]:
                keep, last_seen[name], left[name] = True, bucket(t), left[name] - 1
        if w and t > limit:
            keep = True
        if keep:
            kept.add(ident)
    return kept


@pytest.mark.parametrize(
    ("start", "delta", "expected"),
    [
        # Go's own documented example and the overflow cases around February.
        (datetime(2011, 10, 31), (0, 1, 0), datetime(2011, 12, 1)),
        (datetime(2023, 3, 31), (0, -1, 0), datetime(2023, 3, 3)),
        (datetime(2024, 3, 31), (0, -1, 0), datetime(2024, 3, 2)),
        (datetime(2024, 2, 29), (-1, 0, 0), datetime(2023, 3, 1)),
        (datetime(2024, 2, 29), (1, 0, 0), datetime(2025, 3, 1)),
        (datetime(2025, 1, 15), (-1, -14, -20), datetime(2022, 10, 26)),
        (datetime(2025, 5, 31, 7, 30), (0, -3, -31), datetime(2025, 1, 31, 7, 30)),
    ],
)
def test_add_date_normalises_like_go(start, delta, expected):
    assert add_date(start.replace(tzinfo=UTC), *delta) == expected.replace(tzinfo=UTC)
    assert go_add_date(start.replace(tzinfo=UTC), *delta) == expected.replace(tzinfo=UTC)


def _snaps(times):
    return [
        Snapshot(id=i, arn="", kind="instance", source="db", created=t, tags=(MANAGED_TAG,))
        for i, t in times.items()
    ]


def test_a_month_is_a_calendar_month_not_30_days():
    # From 15 August, one month back is 15 July: 31 days. 30 days would delete `jul15`.
    times = {"newest": datetime(2026, 8, 15, tzinfo=UTC), "jul15": datetime(2026, 7, 15, 18, tzinfo=UTC)}
    assert set(keep_reasons(_snaps(times), Policy(within=Duration(months=1)))) == {"newest", "jul15"}


def test_a_year_across_a_29_february_is_366_days():
    times = {"newest": datetime(2024, 6, 1, tzinfo=UTC), "old": datetime(2023, 6, 1, 12, tzinfo=UTC)}
    assert "old" in keep_reasons(_snaps(times), Policy(within=Duration(years=1)))


def test_the_window_limit_itself_is_not_kept():
    times = {"newest": datetime(2026, 3, 31, tzinfo=UTC), "edge": datetime(2026, 3, 3, tzinfo=UTC)}
    assert set(keep_reasons(_snaps(times), Policy(within=Duration(months=1)))) == {"newest"}


# Hourly and daily histories over about two and a half years: dense enough that snapshots land
# exactly on window limits and month ends.
histories = st.one_of(
    st.lists(st.integers(0, 24 * 900), min_size=1, max_size=80, unique=True),
    st.lists(st.integers(0, 900).map(lambda d: d * 24), min_size=1, max_size=80, unique=True),
)
policies = retention_policies(5, months=15, days=62).filter(Policy.keeps_something)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories, policies)
def test_property_the_pruner_keeps_exactly_what_restic_keeps(hours, policy):
    times = {f"s{h:06d}": T0 + timedelta(hours=h) for h in hours}
    w, latest = policy.within, max(times.values())
    edge = go_add_date(latest, -w.years, -w.months, -w.days) - timedelta(hours=w.hours)
    if w and edge not in times.values():
        times["edge"] = edge  # one snapshot exactly at the window's limit
    assert set(keep_reasons(_snaps(times), policy)) == restic_keeps(times, policy)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31)),
    st.integers(-3, 3),
    st.integers(-40, 40),
    st.integers(-400, 400),
)
def test_property_add_date_agrees_with_the_month_by_month_model(t, years, months, days):
    t = t.replace(tzinfo=UTC)
    assert add_date(t, years, months, days) == go_add_date(t, years, months, days)
