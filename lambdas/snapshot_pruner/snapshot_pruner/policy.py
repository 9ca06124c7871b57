"""The retention policy and the pruning decision: pure functions, no AWS.

The policy follows `restic forget`: keep the last N snapshots, the newest snapshot of each of
the last N hours, days, ISO weeks, months and years (buckets counted among the snapshots that
exist, not calendar slots), and every snapshot taken strictly after the newest one's time minus
a calendar duration (years and months added as dates, as Go's `time.AddDate` does).
A snapshot kept by any rule is kept. Whatever the policy says, the newest eligible snapshot of
every source is kept, and only eligible snapshots - manual, of this account, carrying the
managed-by tag - are ever considered for deletion.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass, field, fields, replace
from datetime import datetime, timedelta

MANAGED_TAG = ("managed-by", "chat-snapshot-pruner")

BUCKETS: dict[str, Callable[[datetime], object]] = {
    "hourly": lambda t: (t.year, t.month, t.day, t.hour),
    "daily": lambda t: (t.year, t.month, t.day),
    "weekly": lambda t: t.isocalendar()[:2],
    "monthly": lambda t: (t.year, t.month),
    "yearly": lambda t: t.year,
}
_DURATION = re.compile(r"(\d+)([yYmwdh])")


class PolicyError(ValueError):
    """A retention policy or policy tag that cannot be read."""


@dataclass(frozen=True)
class Duration:
    """restic's `--keep-within` duration: calendar years and months, then days and hours."""

    years: int = 0
    months: int = 0
    days: int = 0
    hours: int = 0

    def __bool__(self) -> bool:
        return any((self.years, self.months, self.days, self.hours))

    def covers(self, other: Duration) -> bool:
        # add_date is monotonic in each argument, so a larger part never ends the window later.
        return all(getattr(self, f.name) >= getattr(other, f.name) for f in fields(self))

    def limit(self, newest: datetime) -> datetime:
        """The window's limit: snapshots strictly after it are kept (restic's `After`)."""
        start = add_date(newest, -self.years, -self.months, -self.days)
        return start - timedelta(hours=self.hours)

    def text(self) -> str:
        parts = [f"{n}{u}" for n, u in zip(astuple(self), "ymdh", strict=True) if n]
        return "".join(parts) or "0"


def add_date(t: datetime, years: int, months: int, days: int) -> datetime:
    """Go's `t.AddDate(years, months, days)`: the month overflows into the year, then the day
    overflows into the following months (31 March minus one month is 3 March, or 2 March in a
    leap year); the time of day is unchanged. Times here are UTC, so no offset moves."""
    month0 = t.month - 1 + months
    year = t.year + years + month0 // 12
    first = t.replace(year=year, month=month0 % 12 + 1, day=1)
    return first + timedelta(days=t.day - 1 + days)


@dataclass(frozen=True)
class Policy:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0
    within: Duration = Duration()

    def covers(self, other: Policy) -> bool:
        """True when this policy keeps at least as much as `other` on every rule."""
        counts = [f.name for f in fields(self) if f.name != "within"]
        return all(getattr(self, n) >= getattr(other, n) for n in counts) and self.within.covers(other.within)

    def keeps_something(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def spec(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)}" for f in fields(self) if f.name != "within"]
        parts.append(f"within={self.within.text()}")
        return ",".join(parts)


def parse_duration(text: str) -> Duration:
    """`1y6m`, `30d`, `2w`, `12h`: restic's units, kept apart (a month is a calendar month).

    `w` is this project's shorthand for 7 days; restic itself knows y, m, d and h.
    """
    text = text.strip()
    if text in ("", "0"):
        return Duration()
    pos, parts = 0, dict.fromkeys("ymdh", 0)
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        unit, number = match.group(2).lower(), int(match.group(1))
        if unit == "w":
            unit, number = "d", number * 7
        parts[unit] += number
        pos = match.end()
    if pos != len(text):
        raise PolicyError(f"duration {text!r}: use numbers with y, m, w, d, h (e.g. 1y6m, 30d)")
    return Duration(parts["y"], parts["m"], parts["d"], parts["h"])


def parse_policy(spec: str, base: Policy | None = None) -> Policy:
    """`last=3,daily=7,weekly=4,monthly=12,within=30d`; keys not named keep `base`'s values."""
    values: dict[str, object] = {}
    for item in spec.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        key, raw = key.strip().lower().removeprefix("keep-").removeprefix("keep_"), raw.strip()
        if not sep or key not in {f.name for f in fields(Policy)}:
            raise PolicyError(
                f"policy {spec!r}: {item!r} is not one of last, hourly, daily, weekly, "
                "monthly, yearly, within (as key=value)"
            )
        if key == "within":
            values[key] = parse_duration(raw)
        else:
            if not raw.isdigit():
                raise PolicyError(f"policy {spec!r}: {key} must be a whole number >= 0")
            values[key] = int(raw)
    return replace(base or Policy(), **values)


@dataclass(frozen=True)
class Snapshot:
    id: str
    arn: str
    kind: str  # instance | cluster
    source: str  # the DB instance or cluster identifier
    created: datetime | None
    status: str = "available"
    snapshot_type: str = "manual"
    owner: str = ""  # account id from the ARN
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def source_key(self) -> tuple[str, str]:
        return (self.kind, self.source)


@dataclass(frozen=True)
class Rules:
    """What the decision needs besides the snapshots."""

    account: str
    default: Policy
    per_source: dict[tuple[str, str], Policy] = field(default_factory=dict)
    unreadable_sources: dict[tuple[str, str], str] = field(default_factory=dict)
    keep_tag: str = "keep"
    managed_tag: tuple[str, str] = MANAGED_TAG
    max_deletions: int | None = None


@dataclass
class Plan:
    keep: dict[str, list[str]] = field(default_factory=dict)  # id -> reasons
    delete: list[Snapshot] = field(default_factory=list)  # oldest first
    skip: list[tuple[Snapshot, str]] = field(default_factory=list)

    def deleted_ids(self) -> set[str]:
        return {s.id for s in self.delete}


def ineligible_reason(snapshot: Snapshot, rules: Rules) -> str | None:
    """Why a snapshot is never touched, or None when the policy may decide about it."""
    if snapshot.snapshot_type == "awsbackup" or snapshot.id.startswith("awsbackup:"):
        return "managed by AWS Backup"
    if snapshot.snapshot_type != "manual":
        return f"{snapshot.snapshot_type} snapshot, not manual"
    if snapshot.owner != rules.account:
        return "owned by another account"
    if snapshot.status != "available":
        return f"status {snapshot.status}"
    if snapshot.created is None:
        return "no creation time"
    if rules.managed_tag not in snapshot.tags:
        return "not managed by the pruner (no {}={} tag)".format(*rules.managed_tag)
    if any(key == rules.keep_tag for key, _ in snapshot.tags):
        return f"tagged {rules.keep_tag}"
    if snapshot.source_key in rules.unreadable_sources:
        return rules.unreadable_sources[snapshot.source_key]
    return None


def keep_reasons(snapshots: list[Snapshot], policy: Policy) -> dict[str, list[str]]:
    """restic's selection over one source's eligible snapshots."""
    ordered = sorted(snapshots, key=lambda s: (s.created, s.id), reverse=True)
    reasons: dict[str, list[str]] = defaultdict(list)
    if not ordered:
        return reasons
    newest = ordered[0].created
    reasons[ordered[0].id].append("newest of its source")
    for snap in ordered[: policy.last]:
        reasons[snap.id].append("last")
    for rule, bucket_of in BUCKETS.items():
        budget = getattr(policy, rule)
        last_bucket: object = None
        for snap in ordered:
            if budget <= 0:
                break
            bucket = bucket_of(snap.created)
            if bucket != last_bucket:
                reasons[snap.id].append(rule)
                last_bucket = bucket
                budget -= 1
    if policy.within:
        limit = policy.within.limit(newest)
        for snap in ordered:
            if snap.created > limit:
                reasons[snap.id].append("within")
    return reasons


def decide(snapshots: Iterable[Snapshot], rules: Rules) -> Plan:
    """Which snapshots to keep, delete (oldest first, at most max_deletions) and skip, and why."""
    result = Plan()
    by_source: dict[tuple[str, str], list[Snapshot]] = defaultdict(list)
    for snap in snapshots:
        reason = ineligible_reason(snap, rules)
        if reason:
            result.skip.append((snap, reason))
        else:
            by_source[snap.source_key].append(snap)
    candidates: list[Snapshot] = []
    for key, group in by_source.items():
        policy = rules.per_source.get(key, rules.default)
        reasons = keep_reasons(group, policy)
        for snap in group:
            if snap.id in reasons:
                result.keep[snap.id] = reasons[snap.id]
            else:
                candidates.append(snap)
    candidates.sort(key=lambda s: (s.created, s.id))
    cap = len(candidates) if rules.max_deletions is None else max(0, rules.max_deletions)
    result.delete = candidates[:cap]
    result.skip.extend((snap, "deletion cap reached") for snap in candidates[cap:])
    return result
