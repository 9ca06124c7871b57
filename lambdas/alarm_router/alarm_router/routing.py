"""Routing rules as data, in the spirit of Alertmanager's routing tree, and the pure decision.

A route matches on env, severity, alarm name (glob patterns), metric namespace and tags. The
tree is walked from the root: the first matching child is entered and, unless it says
`continue`, its siblings are not tried; a node no child of which matches is itself the result.
Children inherit their parent's receivers and settings. The root is the default route.

As in Alertmanager, a route may group its alarms (`group_by`, `group_wait`, `group_interval`),
re-send what still fires (`repeat_interval`), and top-level `inhibit_rules` mute target alarms
while a matching source alarm fires. What happens with the groups is in `grouping`.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

from .alarm import SEVERITIES, Alarm

RECEIVER_TYPES = ("slack", "pagerduty", "email", "webhook")
INSUFFICIENT_DATA_MODES = ("ignore", "notify")
_MATCH_KEYS = ("env", "severity", "alarm_name", "namespace", "tags")
_TIMING_KEYS = ("group_wait", "group_interval", "repeat_interval")
_ROUTE_KEYS = {
    "name",
    "match",
    "receivers",
    "continue",
    "routes",
    "insufficient_data",
    "send_resolved",
    "group_by",
    *_TIMING_KEYS,
}
# What group_by and an inhibit rule's `equal` may name; `tags.<Key>` names a tag.
LABELS = ("env", "severity", "alarm_name", "namespace", "alarm_type", "account", "region")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
# Alertmanager's defaults for a grouped route; a route without group_by sends each alarm alone,
# at once, as before grouping existed.
GROUPED_TIMING = {"group_wait": 30, "group_interval": 300, "repeat_interval": 4 * 3600}
ALONE_TIMING = {"group_wait": 0, "group_interval": 0, "repeat_interval": 4 * 3600}


class RoutingConfigError(ValueError):
    """The routing rules document is invalid; the message names the offending place."""


@dataclass(frozen=True)
class Receiver:
    name: str
    type: str
    secret: str | None = None  # Secrets Manager name, relative to the function's secret prefix
    topic_arn: str | None = None  # email: overrides the function's email topic


@dataclass(frozen=True)
class Matcher:
    env: frozenset[str] | None = None
    severity: frozenset[str] | None = None
    alarm_name: tuple[str, ...] | None = None
    namespace: frozenset[str] | None = None
    tags: tuple[tuple[str, frozenset[str] | None], ...] = ()

    def matches(self, alarm: Alarm) -> bool:
        if self.env is not None and alarm.env not in self.env:
            return False
        if self.severity is not None and alarm.severity not in self.severity:
            return False
        if self.alarm_name is not None and not any(
            fnmatch.fnmatchcase(alarm.name, pattern) for pattern in self.alarm_name
        ):
            return False
        if self.namespace is not None and alarm.namespace not in self.namespace:
            return False
        for key, values in self.tags:
            if key not in alarm.tags:
                return False
            if values is not None and alarm.tags[key] not in values:
                return False
        return True


@dataclass(frozen=True)
class Route:
    name: str
    matcher: Matcher
    receivers: tuple[str, ...]
    continue_: bool = False
    insufficient_data: str = "ignore"
    send_resolved: bool = True
    routes: tuple[Route, ...] = ()
    group_by: tuple[str, ...] | None = None  # None: every alarm is a group of its own
    group_wait: int = 0  # seconds
    group_interval: int = 0
    repeat_interval: int = ALONE_TIMING["repeat_interval"]  # 0: never repeat


@dataclass(frozen=True)
class InhibitRule:
    """While an alarm matching `source` fires, alarms matching `target` with the same `equal`
    labels are muted (never the source alarm itself)."""

    source: Matcher
    target: Matcher
    equal: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingRules:
    receivers: dict[str, Receiver]
    root: Route
    default_severity: str = "warning"
    inhibit_rules: tuple[InhibitRule, ...] = ()


def label_value(alarm: Alarm, name: str) -> str:
    """One label of an alarm, for grouping and inhibition; an absent one is empty."""
    if name.startswith("tags."):
        return alarm.tags.get(name[5:], "")
    return str(getattr(alarm, {"alarm_name": "name"}.get(name, name)) or "")


def parse_interval(value: Any, where: str) -> int:
    """`30s`, `5m`, `1h30m` or a number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if not match:
        raise RoutingConfigError(f"{where}: {value!r} is not a duration such as 30s, 5m, 4h or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def load_rules(document: Any) -> RoutingRules:
    """Validate a routing document (the JSON shipped with the function or from SSM)."""
    if not isinstance(document, dict):
        raise RoutingConfigError("routing rules: the document must be a JSON object")
    unknown = set(document) - {"receivers", "route", "defaults", "inhibit_rules"}
    if unknown:
        raise RoutingConfigError(f"routing rules: unknown top-level keys {sorted(unknown)}")
    receivers = _load_receivers(document.get("receivers"))
    defaults = document.get("defaults") or {}
    default_severity = defaults.get("severity", "warning")
    if default_severity not in SEVERITIES:
        raise RoutingConfigError(f"defaults.severity: {default_severity!r} is not one of {list(SEVERITIES)}")
    root_doc = document.get("route")
    if not isinstance(root_doc, dict):
        raise RoutingConfigError("route: the root route is required")
    if root_doc.get("match"):
        raise RoutingConfigError("route.match: the root route matches every alarm")
    if not root_doc.get("receivers"):
        raise RoutingConfigError("route.receivers: the root (default) route needs a receiver")
    root = _load_route(root_doc, "route", receivers, parent=None)
    inhibit = _load_inhibit_rules(document.get("inhibit_rules") or [])
    return RoutingRules(
        receivers=receivers, root=root, default_severity=default_severity, inhibit_rules=inhibit
    )


def match_routes(alarm: Alarm, rules: RoutingRules) -> list[Route]:
    """The routes an alarm ends up in (at least the root)."""
    found = _walk(rules.root, alarm)
    return found or [rules.root]


def _walk(route: Route, alarm: Alarm) -> list[Route]:
    found: list[Route] = []
    for child in route.routes:
        if not child.matcher.matches(alarm):
            continue
        found.extend(_walk(child, alarm) or [child])
        if not child.continue_:
            break
    return found


def _load_receivers(doc: Any) -> dict[str, Receiver]:
    if not isinstance(doc, dict) or not doc:
        raise RoutingConfigError("receivers: at least one receiver is required")
    receivers = {}
    for name, spec in doc.items():
        where = f"receivers.{name}"
        if not isinstance(spec, dict):
            raise RoutingConfigError(f"{where}: must be an object")
        kind = spec.get("type")
        if kind not in RECEIVER_TYPES:
            raise RoutingConfigError(f"{where}.type: {kind!r} is not one of {list(RECEIVER_TYPES)}")
        unknown = set(spec) - {"type", "secret", "topic_arn"}
        if unknown:
            raise RoutingConfigError(f"{where}: unknown keys {sorted(unknown)}")
        secret = spec.get("secret")
        if kind in ("slack", "pagerduty", "webhook") and not (isinstance(secret, str) and secret.strip()):
            raise RoutingConfigError(f"{where}.secret: a {kind} receiver reads its URL/key from a secret")
        topic = spec.get("topic_arn")
        if topic is not None and not (isinstance(topic, str) and topic.startswith("arn:")):
            raise RoutingConfigError(f"{where}.topic_arn: must be an SNS topic ARN")
        receivers[name] = Receiver(name=name, type=kind, secret=secret, topic_arn=topic)
    return receivers


def _load_route(doc: Any, where: str, receivers: dict[str, Receiver], parent: Route | None) -> Route:
    if not isinstance(doc, dict):
        raise RoutingConfigError(f"{where}: must be an object")
    unknown = set(doc) - _ROUTE_KEYS
    if unknown:
        raise RoutingConfigError(f"{where}: unknown keys {sorted(unknown)}")
    names = doc.get("receivers")
    if names is None:
        names = parent.receivers if parent else ()
    elif isinstance(names, str):
        names = (names,)
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise RoutingConfigError(f"{where}.receivers: must be a list of receiver names")
    for name in names:
        if name not in receivers:
            raise RoutingConfigError(f"{where}.receivers: unknown receiver {name!r}")
    mode = doc.get("insufficient_data", parent.insufficient_data if parent else "ignore")
    if mode not in INSUFFICIENT_DATA_MODES:
        raise RoutingConfigError(
            f"{where}.insufficient_data: {mode!r} is not one of {list(INSUFFICIENT_DATA_MODES)}"
        )
    send_resolved = doc.get("send_resolved", parent.send_resolved if parent else True)
    cont = doc.get("continue", False)
    if not isinstance(send_resolved, bool) or not isinstance(cont, bool):
        raise RoutingConfigError(f"{where}: continue and send_resolved are true or false")
    group_by = doc.get("group_by", parent.group_by if parent else None)
    if group_by is not None:
        group_by = _label_names(group_by, f"{where}.group_by")
    defaults = GROUPED_TIMING if group_by is not None else ALONE_TIMING
    timing = {}
    for key in _TIMING_KEYS:
        inherited = getattr(parent, key) if parent and parent.group_by == group_by else defaults[key]
        timing[key] = parse_interval(doc[key], f"{where}.{key}") if key in doc else inherited
    route = Route(
        name=str(doc.get("name") or where),
        matcher=load_matcher(doc.get("match") or {}, f"{where}.match"),
        receivers=tuple(names),
        continue_=cont,
        insufficient_data=mode,
        send_resolved=send_resolved,
        group_by=group_by,
        **timing,
    )
    children = doc.get("routes") or []
    if not isinstance(children, list):
        raise RoutingConfigError(f"{where}.routes: must be a list")
    loaded = tuple(
        _load_route(child, f"{where}.routes[{i}]", receivers, route) for i, child in enumerate(children)
    )
    return Route(**{**route.__dict__, "routes": loaded})


def _label_names(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RoutingConfigError(f"{where}: must be a list of labels")
    for name in value:
        if name not in LABELS and not (name.startswith("tags.") and len(name) > 5):
            raise RoutingConfigError(f"{where}: {name!r} is not one of {list(LABELS)} or tags.<Key>")
    return tuple(value)


def _load_inhibit_rules(doc: Any) -> tuple[InhibitRule, ...]:
    if not isinstance(doc, list):
        raise RoutingConfigError("inhibit_rules: must be a list")
    rules = []
    for index, item in enumerate(doc):
        where = f"inhibit_rules[{index}]"
        if not isinstance(item, dict) or set(item) - {"source_match", "target_match", "equal"}:
            raise RoutingConfigError(f"{where}: an object of source_match, target_match and equal")
        if not item.get("source_match") or not item.get("target_match"):
            raise RoutingConfigError(f"{where}: source_match and target_match are both required")
        rules.append(
            InhibitRule(
                source=load_matcher(item["source_match"], f"{where}.source_match"),
                target=load_matcher(item["target_match"], f"{where}.target_match"),
                equal=_label_names(item.get("equal") or [], f"{where}.equal"),
            )
        )
    return tuple(rules)


def load_matcher(doc: Any, where: str) -> Matcher:
    """A matcher as routes, inhibit rules and silences write it."""
    if not isinstance(doc, dict):
        raise RoutingConfigError(f"{where}: must be an object")
    unknown = set(doc) - set(_MATCH_KEYS)
    if unknown:
        raise RoutingConfigError(f"{where}: unknown keys {sorted(unknown)} (known: {_MATCH_KEYS})")
    severity = _strings(doc, "severity", where)
    if severity is not None and not severity <= set(SEVERITIES):
        raise RoutingConfigError(f"{where}.severity: values must be among {list(SEVERITIES)}")
    names = _strings(doc, "alarm_name", where)
    tags_doc = doc.get("tags") or {}
    if not isinstance(tags_doc, dict):
        raise RoutingConfigError(f"{where}.tags: must be an object of tag -> value(s)")
    tags = []
    for key, value in sorted(tags_doc.items()):
        # "*" only asks that the tag be present.
        tags.append((key, None if value == "*" else _strings(tags_doc, key, f"{where}.tags")))
    return Matcher(
        env=_strings(doc, "env", where),
        severity=severity,
        alarm_name=tuple(sorted(names)) if names is not None else None,
        namespace=_strings(doc, "namespace", where),
        tags=tuple(tags),
    )


def _strings(doc: dict[str, Any], key: str, where: str) -> frozenset[str] | None:
    if key not in doc:
        return None
    value = doc[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise RoutingConfigError(f"{where}.{key}: must be a string or a non-empty list of strings")
    return frozenset(value)


def severity_of(tags: dict[str, str], default: str) -> str:
    value = (tags.get("Severity") or tags.get("severity") or "").lower()
    return value if value in SEVERITIES else default


def env_of(tags: dict[str, str], default: str) -> str:
    return tags.get("Env") or tags.get("Environment") or tags.get("env") or default
