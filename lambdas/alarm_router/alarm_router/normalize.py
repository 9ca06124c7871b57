"""Turns SNS alarm notifications and EventBridge alarm state-change events into `Alarm`s."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, SNSEvent

from .alarm import STATES, Alarm

EVENTBRIDGE_DETAIL_TYPE = "CloudWatch Alarm State Change"


class UnrecognizedEvent(ValueError):
    """The input is neither an SNS alarm notification nor an alarm state-change event."""


@dataclass(frozen=True)
class Rejected:
    """A record (or a whole event) that is not an alarm, kept so it can be inspected and replayed.

    `event` is a Lambda event of its own: the one record wrapped as an SNS event, or the event.
    """

    reason: str
    event: Any
    ids: dict[str, str]

    def __str__(self) -> str:
        return self.reason


def identifiers(event: Any) -> dict[str, str]:
    """What names a rejected event in logs: SNS message and topic, or EventBridge id and type."""
    if not isinstance(event, dict):
        return {}
    records = event.get("Records")
    if isinstance(records, list) and len(records) == 1 and isinstance(records[0], dict):
        sns = records[0].get("Sns") if isinstance(records[0].get("Sns"), dict) else {}
        return {k: str(sns[k]) for k in ("MessageId", "TopicArn", "Subject") if sns.get(k)}
    return {k: str(event[k]) for k in ("id", "source", "detail-type", "account") if event.get(k)}


def normalize_event(event: dict[str, Any]) -> tuple[list[Alarm], list[Rejected]]:
    """All alarms carried by one Lambda event, plus each record that is not one and why."""
    if not isinstance(event, dict):
        raise UnrecognizedEvent("event is not a JSON object")
    if event.get("detail-type") == EVENTBRIDGE_DETAIL_TYPE:
        return [from_eventbridge(event)], []
    records = event.get("Records")
    if isinstance(records, list) and records:
        alarms: list[Alarm] = []
        rejected: list[Rejected] = []
        for index, record in enumerate(SNSEvent(event).records):
            alone = {"Records": [record.raw_event]}
            if not isinstance(record.raw_event, dict) or not isinstance(record.raw_event.get("Sns"), dict):
                rejected.append(Rejected(f"record {index}: not an SNS record", alone, {}))
                continue
            try:
                alarms.append(from_sns_message(record.sns.message or ""))
            except UnrecognizedEvent as exc:
                reason = f"record {index} ({record.sns.message_id or '?'}): {exc}"
                rejected.append(Rejected(reason, alone, identifiers(alone)))
        return alarms, rejected
    raise UnrecognizedEvent("neither SNS records nor a 'CloudWatch Alarm State Change' event")


def from_sns_message(message: str | dict[str, Any]) -> Alarm:
    """The JSON body CloudWatch publishes to an SNS topic on a state change."""
    if isinstance(message, str):
        try:
            body = json.loads(message)
        except json.JSONDecodeError as exc:
            raise UnrecognizedEvent("SNS message is not JSON") from exc
    else:
        body = message
    if not isinstance(body, dict) or "AlarmArn" not in body or "NewStateValue" not in body:
        raise UnrecognizedEvent("SNS message is not a CloudWatch alarm notification")
    arn = body["AlarmArn"]
    region, account = _arn_region_account(arn)
    state = _state(body["NewStateValue"])
    trigger = body.get("Trigger") or {}
    common = {
        "name": body.get("AlarmName") or arn.rsplit(":", 1)[-1],
        "arn": arn,
        "account": str(body.get("AWSAccountId") or account),
        "region": region,
        "state": state,
        "previous_state": _state(body.get("OldStateValue") or "INSUFFICIENT_DATA"),
        "reason": body.get("NewStateReason") or "",
        "timestamp": normalize_timestamp(body.get("StateChangeTime")),
        "description": body.get("AlarmDescription") or "",
        "source": "sns",
    }
    if body.get("AlarmRule"):
        return Alarm(alarm_type="composite", alarm_rule=body["AlarmRule"], **common)
    metric = _sns_metric(trigger)
    anomaly = bool(trigger.get("ThresholdMetricId")) or _has_anomaly_band(
        m.get("Expression") for m in trigger.get("Metrics") or []
    )
    threshold = trigger.get("Threshold")
    return Alarm(
        alarm_type="anomaly" if anomaly else "metric",
        threshold=float(threshold) if threshold is not None else None,
        comparison=trigger.get("ComparisonOperator"),
        **metric,
        **common,
    )


def from_eventbridge(event: dict[str, Any]) -> Alarm:
    """An EventBridge 'CloudWatch Alarm State Change' event (metric, composite, anomaly)."""
    bridged = EventBridgeEvent(event)
    detail = bridged.detail or {}
    resources = bridged.resources or []
    arn = resources[0] if resources else ""
    if not arn or "state" not in detail:
        raise UnrecognizedEvent("alarm state-change event without an alarm ARN or state")
    region, account = _arn_region_account(arn)
    state = detail.get("state") or {}
    previous = detail.get("previousState") or {}
    configuration = detail.get("configuration") or {}
    common = {
        "name": detail.get("alarmName") or arn.rsplit(":", 1)[-1],
        "arn": arn,
        "account": str(bridged.account or account),
        "region": bridged.region or region,
        "state": _state(state.get("value")),
        "previous_state": _state(previous.get("value") or "INSUFFICIENT_DATA"),
        "reason": state.get("reason") or "",
        "timestamp": normalize_timestamp(state.get("timestamp") or bridged.time),
        "description": configuration.get("description") or "",
        "source": "eventbridge",
    }
    if configuration.get("alarmRule"):
        return Alarm(alarm_type="composite", alarm_rule=configuration["alarmRule"], **common)
    metrics = configuration.get("metrics") or []
    anomaly = bool(configuration.get("thresholdMetricId")) or _has_anomaly_band(
        m.get("expression") for m in metrics
    )
    threshold = None
    reason_data = state.get("reasonData")
    if reason_data:
        try:
            value = json.loads(reason_data).get("threshold")
            threshold = float(value) if value is not None else None
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            threshold = None
    return Alarm(
        alarm_type="anomaly" if anomaly else "metric",
        threshold=threshold,
        **_eventbridge_metric(metrics),
        **common,
    )


def normalize_timestamp(value: str | None) -> str:
    """CloudWatch writes `2019-10-02T17:04:40.989+0000`; SNS and EventBridge must agree exactly."""
    if not value:
        raise UnrecognizedEvent("alarm without a state-change time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnrecognizedEvent(f"unreadable state-change time {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


def _state(value: Any) -> str:
    if value not in STATES:
        raise UnrecognizedEvent(f"unknown alarm state {value!r}")
    return value


def _arn_region_account(arn: str) -> tuple[str, str]:
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "cloudwatch" or parts[5] != "alarm":
        raise UnrecognizedEvent(f"not a CloudWatch alarm ARN: {arn!r}")
    return parts[3], parts[4]


def _has_anomaly_band(expressions: Any) -> bool:
    return any(e and "ANOMALY_DETECTION_BAND" in e.upper() for e in expressions)


# SNS spells statistics the API's enum way; the console and EventBridge use these.
_SNS_STATISTICS = {
    "AVERAGE": "Average",
    "SUM": "Sum",
    "MINIMUM": "Minimum",
    "MAXIMUM": "Maximum",
    "SAMPLE_COUNT": "SampleCount",
}


def _sns_metric(trigger: dict[str, Any]) -> dict[str, Any]:
    if trigger.get("MetricName"):
        dims = {d.get("name"): d.get("value") for d in trigger.get("Dimensions") or []}
        return {
            "namespace": trigger.get("Namespace"),
            "metric_name": trigger["MetricName"],
            "dimensions": dims,
            "statistic": _SNS_STATISTICS.get(trigger.get("Statistic"), trigger.get("Statistic"))
            or trigger.get("ExtendedStatistic"),
            "period": trigger.get("Period"),
        }
    # Metric math and anomaly detection: the graph shows the first metric the expression reads.
    for item in trigger.get("Metrics") or []:
        stat = item.get("MetricStat")
        if stat:
            metric = stat.get("Metric") or {}
            dims = {d.get("name"): d.get("value") for d in metric.get("Dimensions") or []}
            return {
                "namespace": metric.get("Namespace"),
                "metric_name": metric.get("MetricName"),
                "dimensions": dims,
                "statistic": stat.get("Stat"),
                "period": stat.get("Period"),
            }
    return {}


def _eventbridge_metric(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    for item in metrics:
        stat = item.get("metricStat")
        if stat:
            metric = stat.get("metric") or {}
            return {
                "namespace": metric.get("namespace"),
                "metric_name": metric.get("name"),
                "dimensions": dict(metric.get("dimensions") or {}),
                "statistic": stat.get("stat"),
                "period": stat.get("period"),
            }
    return {}
