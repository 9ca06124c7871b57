"""What each receiver is sent: pure functions of the alarm and the action."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .alarm import Alarm

if TYPE_CHECKING:
    from .grouping import Group, Notification

# Slack attachment colours: red while firing, amber for missing data, green once resolved.
COLOURS = {"ALARM": "#d62728", "INSUFFICIENT_DATA": "#f2a900", "OK": "#2eb886"}
STATE_WORDS = {"ALARM": "ALARM", "INSUFFICIENT_DATA": "INSUFFICIENT DATA", "OK": "RESOLVED"}
# PagerDuty Events v2 knows exactly these severities; ours are named the same on purpose.
PAGERDUTY_SEVERITY = {
    "critical": "critical",
    "error": "error",
    "warning": "warning",
    "info": "info",
}
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
CLIENT = "chat alarm-router"


def headline(alarm: Alarm, action: str) -> str:
    state = "RESOLVED" if action == "resolve" else STATE_WORDS[alarm.state]
    env = f"[{alarm.env}] " if alarm.env else ""
    return f"{env}{state}: {alarm.name}"


def slack(alarm: Alarm, action: str) -> dict[str, Any]:
    """An incoming-webhook message: colour bar, state change, reason, facts and links."""
    colour = COLOURS["OK"] if action == "resolve" else COLOURS[alarm.state]
    links = [f"<{alarm.console_url}|Alarm in console>"]
    if alarm.graph_url:
        links.append(f"<{alarm.graph_url}|Metric graph>")
    fields = [
        {"title": "State", "value": f"{alarm.previous_state} → {alarm.state}", "short": True},
        {"title": "Severity", "value": alarm.severity, "short": True},
        {"title": "Environment", "value": alarm.env or "-", "short": True},
        {"title": "Account / region", "value": f"{alarm.account} / {alarm.region}", "short": True},
    ]
    if alarm.metric_name:
        fields.append({"title": "Metric", "value": _metric_text(alarm), "short": False})
    if alarm.threshold is not None:
        fields.append({"title": "Threshold", "value": _threshold_text(alarm), "short": True})
    if alarm.alarm_rule:
        fields.append({"title": "Rule", "value": f"`{alarm.alarm_rule}`", "short": False})
    title = headline(alarm, action)
    return {
        "text": title,
        "attachments": [
            {
                "fallback": f"{title}: {alarm.reason}",
                "color": colour,
                "title": title,
                "title_link": alarm.console_url,
                "text": _slack_escape(alarm.reason) + "\n" + "  •  ".join(links),
                "fields": fields,
                "footer": f"{CLIENT} · {alarm.alarm_type} alarm · {alarm.timestamp}",
                "ts": int(_epoch(alarm.timestamp)),
            }
        ],
    }


def pagerduty(alarm: Alarm, action: str, routing_key: str) -> dict[str, Any]:
    """An Events API v2 event: ALARM triggers, OK resolves, one incident per alarm."""
    event = _pagerduty_event(routing_key, action, dedup_key(alarm))
    if action == "resolve":
        return event
    links = [{"href": alarm.console_url, "text": "Alarm in the CloudWatch console"}]
    if alarm.graph_url:
        links.append({"href": alarm.graph_url, "text": "Metric graph"})
    details: dict[str, Any] = {
        "reason": alarm.reason,
        "state_change": f"{alarm.previous_state} -> {alarm.state}",
        "alarm_arn": alarm.arn,
        "alarm_type": alarm.alarm_type,
        "account": alarm.account,
        "description": alarm.description,
    }
    if alarm.metric_name:
        details["metric"] = _metric_text(alarm)
    if alarm.threshold is not None:
        details["threshold"] = _threshold_text(alarm)
    if alarm.alarm_rule:
        details["alarm_rule"] = alarm.alarm_rule
    event["payload"] = {
        # PagerDuty truncates a summary at 1024 characters; cut it ourselves so it stays readable.
        "summary": _cut(f"{headline(alarm, action)}: {alarm.reason}", 1024),
        "source": f"{alarm.account}/{alarm.region}",
        "severity": PAGERDUTY_SEVERITY.get(alarm.severity, "warning"),
        "timestamp": alarm.timestamp,
        "component": alarm.namespace or "cloudwatch",
        "group": alarm.env or None,
        "class": alarm.metric_name or alarm.alarm_type,
        "custom_details": details,
    }
    event["links"] = links
    event["client"] = CLIENT
    event["client_url"] = alarm.console_url
    return event


def _pagerduty_event(routing_key: str, action: str, dedup: str) -> dict[str, Any]:
    """All a resolve carries; a trigger adds the payload."""
    return {"routing_key": routing_key, "event_action": action, "dedup_key": dedup}


def dedup_key(alarm: Alarm) -> str:
    """The alarm ARN; PagerDuty caps keys at 255 characters, so long ARNs become a digest."""
    if len(alarm.arn) <= 255:
        return alarm.arn
    return "sha256:" + hashlib.sha256(alarm.arn.encode()).hexdigest()


def email(alarm: Alarm, action: str) -> tuple[str, str]:
    """Subject and plain-text body for the on-call email topic."""
    # SNS subjects: ASCII, no line breaks, under 100 characters.
    subject = _cut(headline(alarm, action).encode("ascii", "replace").decode(), 99, "...")
    lines = [
        headline(alarm, action),
        "",
        f"Reason:       {alarm.reason}",
        f"State:        {alarm.previous_state} -> {alarm.state} at {alarm.timestamp}",
        f"Severity:     {alarm.severity}",
        f"Environment:  {alarm.env or '-'}",
        f"Account:      {alarm.account} ({alarm.region})",
    ]
    if alarm.metric_name:
        lines.append(f"Metric:       {_metric_text(alarm)}")
    if alarm.threshold is not None:
        lines.append(f"Threshold:    {_threshold_text(alarm)}")
    if alarm.alarm_rule:
        lines.append(f"Rule:         {alarm.alarm_rule}")
    if alarm.description:
        lines += ["", alarm.description]
    lines += ["", f"Alarm: {alarm.console_url}"]
    if alarm.graph_url:
        lines.append(f"Graph: {alarm.graph_url}")
    return subject.replace("\n", " "), "\n".join(lines) + "\n"


def webhook(alarm: Alarm, action: str) -> dict[str, Any]:
    """The generic JSON webhook: the normalized alarm itself, versioned."""
    return {
        "version": "1",
        "action": action,
        "summary": headline(alarm, action),
        "alarm": alarm.to_dict(),
    }


def _metric_text(alarm: Alarm) -> str:
    dims = ", ".join(f"{k}={v}" for k, v in sorted(alarm.dimensions.items()))
    text = f"{alarm.namespace}/{alarm.metric_name}"
    if dims:
        text += f" ({dims})"
    if alarm.statistic:
        text += f" {alarm.statistic}"
    if alarm.period:
        text += f" over {alarm.period}s"
    return text


_COMPARISONS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _threshold_text(alarm: Alarm) -> str:
    op = _COMPARISONS.get(alarm.comparison or "", "")
    return f"{op} {alarm.threshold:g}".strip()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int, ellipsis: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


# ---- grouped notifications (a route with group_by) ---------------------------------------

# Alarms listed one by one in a Slack message or an email; the rest are counted.
LISTED_ALARMS = 20
SEVERITY_ORDER = ("critical", "error", "warning", "info")


def group_headline(group: Group, firing: tuple[Alarm, ...], resolved: tuple[Alarm, ...], action: str) -> str:
    alarms = firing + resolved
    env = alarms[0].env if alarms and all(a.env == alarms[0].env for a in alarms) else ""
    where = ", ".join(f"{k}={v}" for k, v in sorted(group.labels.items()) if v) or group.route
    if action == "resolve":
        state = f"RESOLVED: {len(resolved)} alarm{'s' if len(resolved) != 1 else ''}"
    else:
        state = f"ALARM: {len(firing)} firing"
        if resolved:
            state += f", {len(resolved)} resolved"
    return f"{'[' + env + '] ' if env else ''}{state} ({where})"


def group_dedup_key(group: Group) -> str:
    """One PagerDuty incident per group: the alarms of a group are its alerts, resolved together."""
    return f"alarm-router/group/{group.id}"


def slack_group(
    group: Group, firing: tuple[Alarm, ...], resolved: tuple[Alarm, ...], action: str
) -> dict[str, Any]:
    title = group_headline(group, firing, resolved, action)
    listed = [(a, "trigger") for a in firing] + [(a, "resolve") for a in resolved]
    attachments = [
        {
            "color": COLOURS["OK"] if act == "resolve" else COLOURS[alarm.state],
            "title": headline(alarm, act),
            "title_link": alarm.console_url,
            "text": _slack_escape(alarm.reason),
            "footer": f"{alarm.alarm_type} alarm · {alarm.timestamp}",
        }
        for alarm, act in listed[:LISTED_ALARMS]
    ]
    if len(listed) > LISTED_ALARMS:
        attachments.append({"text": f"…and {len(listed) - LISTED_ALARMS} more in the group"})
    return {"text": title, "attachments": attachments}


def pagerduty_group(
    group: Group, firing: tuple[Alarm, ...], resolved: tuple[Alarm, ...], action: str, routing_key: str
) -> dict[str, Any]:
    event = _pagerduty_event(routing_key, action, group_dedup_key(group))
    if action == "resolve":
        return event
    worst = min((SEVERITY_ORDER.index(a.severity) for a in firing if a.severity in SEVERITY_ORDER), default=2)
    first = firing[0]
    event["payload"] = {
        "summary": _cut(
            group_headline(group, firing, resolved, action) + ": " + ", ".join(a.name for a in firing), 1024
        ),
        "source": f"{first.account}/{first.region}",
        "severity": SEVERITY_ORDER[worst],
        "timestamp": max(a.timestamp for a in firing),
        "component": first.namespace or "cloudwatch",
        "group": first.env or None,
        "class": "alarm group",
        "custom_details": {
            "group": group.labels,
            "route": group.route,
            "firing": {a.name: a.reason for a in firing},
            "resolved": [a.name for a in resolved],
        },
    }
    event["links"] = [{"href": a.console_url, "text": a.name} for a in firing[:LISTED_ALARMS]]
    event["client"] = CLIENT
    event["client_url"] = first.console_url
    return event


def email_group(
    group: Group, firing: tuple[Alarm, ...], resolved: tuple[Alarm, ...], action: str
) -> tuple[str, str]:
    title = group_headline(group, firing, resolved, action)
    subject = _cut(title.encode("ascii", "replace").decode(), 99, "...")
    lines = [title, ""]
    for word, alarms in (("FIRING", firing), ("RESOLVED", resolved)):
        for alarm in alarms[:LISTED_ALARMS]:
            lines.append(f"{word:<9} {alarm.name}: {alarm.reason}")
            lines.append(f"          {alarm.console_url}")
        if len(alarms) > LISTED_ALARMS:
            lines.append(f"...and {len(alarms) - LISTED_ALARMS} more {word.lower()}")
    return subject.replace("\n", " "), "\n".join(lines) + "\n"


def webhook_group(
    group: Group, firing: tuple[Alarm, ...], resolved: tuple[Alarm, ...], action: str, repeat: bool
) -> dict[str, Any]:
    """The generic webhook for a group: version 2, every alarm of the group."""
    return {
        "version": "2",
        "action": action,
        "summary": group_headline(group, firing, resolved, action),
        "group": {"id": group.id, "receiver": group.receiver, "route": group.route, "labels": group.labels},
        "repeat": repeat,
        "firing": [a.to_dict() for a in firing],
        "resolved": [a.to_dict() for a in resolved],
    }


def render(kind: str, notification: Notification, routing_key: str = "") -> Any:
    """The payload of one receiver type for a notification: a group's or a single alarm's."""
    n = notification
    if n.group.grouped:
        if kind == "pagerduty":
            return pagerduty_group(n.group, n.firing, n.resolved, n.action, routing_key)
        if kind == "webhook":
            return webhook_group(n.group, n.firing, n.resolved, n.action, n.repeat)
        return {"slack": slack_group, "email": email_group}[kind](n.group, n.firing, n.resolved, n.action)
    alarm = n.alarms[0]
    if kind == "pagerduty":
        return pagerduty(alarm, n.action, routing_key)
    return {"slack": slack, "email": email, "webhook": webhook}[kind](alarm, n.action)
