"""Alertmanager's notification pipeline as pure functions over stored group state.

An alarm routed to a receiver joins a group: one per (receiver, route, values of the route's
`group_by` labels), or one per alarm on a route without `group_by`. A group is flushed - one
notification listing its alarms - `group_wait` after it was created, then at most every
`group_interval` while it changes, and every `repeat_interval` while something in it still
fires. At a flush, alarms a silence matches or an inhibit rule mutes are left out (and
recorded); once nothing notified still fires, the group's incident is resolved and the group
forgotten. The handler stores the state (DynamoDB) and carries out what these functions decide.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from .alarm import Alarm
from .routing import InhibitRule, Matcher, Route, RoutingRules, label_value, load_matcher, match_routes

FIRING, RESOLVED = "firing", "resolved"
# A muted group is looked at again this often, so an expired silence or a resolved inhibiting
# alarm lets its alarms through without waiting for the repeat.
RECHECK_MUTED_SECONDS = 60


@dataclass(frozen=True)
class Member:
    state: str  # firing | resolved
    timestamp: str  # the alarm's state-change time: older changes never overwrite newer ones
    alarm: dict[str, Any]


@dataclass(frozen=True)
class Group:
    id: str
    receiver: str
    route: str
    labels: dict[str, str]
    grouped: bool  # False: a route without group_by, one alarm, the single-alarm payloads
    group_wait: int
    group_interval: int
    repeat_interval: int
    send_resolved: bool
    members: dict[str, Member] = field(default_factory=dict)  # by alarm ARN
    notified: dict[str, str] = field(default_factory=dict)  # ARN -> timestamp last sent as firing
    last_sent_at: float | None = None
    next_flush_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "members"}
        data["members"] = {arn: m.__dict__ for arn, m in self.members.items()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Group:
        members = {arn: Member(**m) for arn, m in data.get("members", {}).items()}
        return cls(**{**data, "members": members})


@dataclass(frozen=True)
class Silence:
    id: str
    matcher: Matcher
    starts_at: float
    ends_at: float
    comment: str
    created_by: str
    match: dict[str, Any] = field(default_factory=dict)  # as written, for listing

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Silence:
        match = item["match"]
        return cls(
            id=item["id"],
            matcher=load_matcher(match, f"silence {item['id']}"),
            starts_at=float(item["starts_at"]),
            ends_at=float(item["ends_at"]),
            comment=item.get("comment", ""),
            created_by=item.get("created_by", ""),
            match=match,
        )


@dataclass(frozen=True)
class Notification:
    """One message to one receiver about one group."""

    group: Group
    action: str  # trigger | resolve
    firing: tuple[Alarm, ...]
    resolved: tuple[Alarm, ...]
    repeat: bool = False

    @property
    def alarms(self) -> tuple[Alarm, ...]:
        return self.firing + self.resolved


@dataclass(frozen=True)
class Flush:
    notification: Notification | None
    muted: dict[str, str]  # ARN -> why it was left out
    sent: dict[str, Member]  # what the notification said about each alarm


def group_id(receiver: str, route: Route, alarm: Alarm) -> tuple[str, dict[str, str]]:
    """A stable id for the group an alarm joins on this route and receiver, and its labels."""
    if route.group_by is None:
        labels = {"alarm": alarm.arn}
    else:
        labels = {name: label_value(alarm, name) for name in route.group_by}
    text = "\n".join([receiver, route.name, *(f"{k}={v}" for k, v in sorted(labels.items()))])
    return hashlib.sha256(text.encode()).hexdigest()[:32], labels


def transition(alarm: Alarm, route: Route) -> str | None:
    """What an alarm's new state means for its groups on this route (None: nothing changes).

    INSUFFICIENT_DATA fires on a route that notifies it; elsewhere it changes nothing, so an
    alarm that was notified in ALARM stays open until it is OK again.
    """
    if alarm.state == "ALARM":
        return FIRING
    if alarm.state == "INSUFFICIENT_DATA":
        return FIRING if route.insufficient_data == "notify" else None
    return RESOLVED


@dataclass(frozen=True)
class Target:
    """A receiver an alarm state change goes to, through which route, and what it means there."""

    receiver: str
    route: Route
    change: str  # firing | resolved


def targets(alarm: Alarm, rules: RoutingRules) -> tuple[list[Target], list[tuple[str, str]]]:
    """The routing decision for one state change, and the routes that take nothing (and why).

    A receiver reached through several routes is reached once, through the first.
    """
    found: list[Target] = []
    skipped: list[tuple[str, str]] = []
    reached: set[str] = set()
    for route in match_routes(alarm, rules):
        change = transition(alarm, route)
        if change is None:
            skipped.append((route.name, "INSUFFICIENT_DATA ignored on this route"))
            continue
        for name in route.receivers:
            if name not in reached:
                reached.add(name)
                found.append(Target(name, route, change))
    return found, skipped


def new_group(receiver: str, route: Route, alarm: Alarm) -> Group:
    ident, labels = group_id(receiver, route, alarm)
    return Group(
        id=ident,
        receiver=receiver,
        route=route.name,
        labels=labels,
        grouped=route.group_by is not None,
        group_wait=route.group_wait,
        group_interval=route.group_interval,
        repeat_interval=route.repeat_interval,
        send_resolved=route.send_resolved,
    )


def admit(group: Group, alarm: Alarm, state: str, now: float) -> Group | None:
    """The group with the alarm's new state in it, and its next flush; None when nothing changes
    (the same or an older state change, delivered again or out of order, or a resolve of an alarm
    the group does not hold)."""
    current = group.members.get(alarm.arn)
    if current is not None and current.timestamp >= alarm.timestamp:
        return None
    if current is None and state == RESOLVED:
        return None
    members = {**group.members, alarm.arn: Member(state, alarm.timestamp, alarm.to_dict())}
    if group.last_sent_at is None:
        due = group.next_flush_at if group.next_flush_at is not None else now + group.group_wait
    else:
        due = max(now, group.last_sent_at + group.group_interval)
        if group.next_flush_at is not None:
            due = min(due, group.next_flush_at)
    return replace(group, members=members, next_flush_at=due)


def inhibited_by(alarm: Alarm, firing: dict[str, Alarm], rules: tuple[InhibitRule, ...]) -> str | None:
    """The ARN of a firing alarm that mutes this one, if any."""
    for rule in rules:
        if not rule.target.matches(alarm):
            continue
        for arn, source in sorted(firing.items()):
            if arn == alarm.arn or not rule.source.matches(source):
                continue
            if all(label_value(source, n) == label_value(alarm, n) for n in rule.equal):
                return arn
    return None


def silenced_by(alarm: Alarm, silences: list[Silence], now: float) -> str | None:
    for silence in silences:
        if silence.active(now) and silence.matcher.matches(alarm):
            return silence.id
    return None


def flush(
    group: Group,
    now: float,
    *,
    silences: list[Silence],
    firing: dict[str, Alarm],
    inhibit_rules: tuple[InhibitRule, ...],
) -> Flush:
    """What to send for a group that is due, if anything."""
    muted: dict[str, str] = {}
    active: dict[str, Member] = {}
    resolved: dict[str, Member] = {}
    for arn, member in sorted(group.members.items()):
        if member.state == RESOLVED:
            if arn in group.notified:
                resolved[arn] = member
            continue
        alarm = Alarm.from_dict(member.alarm)
        silence = silenced_by(alarm, silences, now)
        source = None if silence else inhibited_by(alarm, firing, inhibit_rules)
        if silence or source:
            muted[arn] = f"silenced by {silence}" if silence else f"inhibited by {source}"
        else:
            active[arn] = member
    changed = any(group.notified.get(arn) != m.timestamp for arn, m in active.items())
    repeat = (
        bool(active)
        and group.repeat_interval > 0
        and group.last_sent_at is not None
        and now >= group.last_sent_at + group.repeat_interval
    )
    notification = None
    if active and (changed or resolved or repeat):
        notification = Notification(
            group,
            "trigger",
            _alarms(active),
            _alarms(resolved),
            repeat=not (changed or resolved),
        )
    elif resolved and not (set(group.notified) & set(muted)) and group.send_resolved:
        notification = Notification(group, "resolve", (), _alarms(resolved))
    return Flush(notification, muted, {**active, **resolved})


def after_flush(group: Group, done: Flush, now: float) -> Group | None:
    """The group once a flush is carried out: what was said is remembered, resolved alarms the
    flush covered are dropped, the next flush is scheduled; None when nothing is left.

    Applied to the group as stored after the sending, so alarms that changed meanwhile keep
    their newer state and make the group due again.
    """
    members = dict(group.members)
    notified = {a: t for a, t in group.notified.items() if a in members}
    said = done.notification is not None
    for arn, member in done.sent.items():
        current = members.get(arn)
        # A member that changed while we were sending keeps its newer state, still to be said.
        unchanged = current is not None and current.timestamp == member.timestamp
        if member.state == FIRING and said:
            notified[arn] = member.timestamp
        elif member.state == RESOLVED and (said or not group.send_resolved):
            notified.pop(arn, None)
            if unchanged:
                members.pop(arn)
    for arn, member in list(members.items()):
        if member.state == RESOLVED and arn not in notified:
            members.pop(arn)  # resolved before anyone was told: nothing to say
    if not members:
        return None
    sent_at = now if done.notification is not None else group.last_sent_at
    firing_notified = any(m.state == FIRING and a in notified for a, m in members.items())
    pending = any(
        (m.state == FIRING and notified.get(a) != m.timestamp and a not in done.muted)
        or (m.state == RESOLVED and a in notified)
        for a, m in members.items()
    )
    candidates = []
    if pending:
        candidates.append(now if sent_at is None else max(now, sent_at + group.group_interval))
    if firing_notified and group.repeat_interval > 0 and sent_at is not None:
        candidates.append(sent_at + group.repeat_interval)
    if done.muted:
        candidates.append(now + max(group.group_interval, RECHECK_MUTED_SECONDS))
    return replace(
        group,
        members=members,
        notified=notified,
        last_sent_at=sent_at,
        next_flush_at=min(candidates) if candidates else None,
    )


def _alarms(members: dict[str, Member]) -> tuple[Alarm, ...]:
    return tuple(Alarm.from_dict(m.alarm) for m in members.values())


def single(receiver: str, route: str, alarm: Alarm, action: str) -> Notification:
    """A one-alarm notification outside any stored group (a replayed dead letter)."""
    group = Group(
        id="replay",
        receiver=receiver,
        route=route,
        labels={"alarm": alarm.arn},
        grouped=False,
        group_wait=0,
        group_interval=0,
        repeat_interval=0,
        send_resolved=True,
    )
    alarms = (alarm,)
    return Notification(
        group, action, alarms if action == "trigger" else (), alarms if action == "resolve" else ()
    )


def notification_to_dict(notification: Notification) -> dict[str, Any]:
    group = {k: v for k, v in notification.group.to_dict().items() if k not in ("members", "notified")}
    return {
        "group": group,
        "action": notification.action,
        "firing": [a.to_dict() for a in notification.firing],
        "resolved": [a.to_dict() for a in notification.resolved],
        "repeat": notification.repeat,
    }


def notification_from_dict(data: dict[str, Any]) -> Notification:
    return Notification(
        Group.from_dict(data["group"]),
        data["action"],
        tuple(Alarm.from_dict(a) for a in data["firing"]),
        tuple(Alarm.from_dict(a) for a in data["resolved"]),
        repeat=bool(data.get("repeat")),
    )
