"""The normalizer, on real event shapes: SNS notifications and EventBridge state changes."""

import json

import pytest
from alarm_router.normalize import (
    UnrecognizedEvent,
    from_sns_message,
    normalize_event,
    normalize_timestamp,
)
from lambda_support import load_event


def only(event_name):
    alarms, rejected = normalize_event(load_event(event_name))
    assert rejected == []
    assert len(alarms) == 1
    return alarms[0]


def test_sns_metric_alarm_becomes_a_normalized_alarm():
    alarm = only("sns_metric_alarm")
    assert alarm.name == "chat-prod-app-cpu-high"
    assert alarm.arn == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:chat-prod-app-cpu-high"
    assert (alarm.account, alarm.region) == ("123456789012", "us-east-1")
    assert (alarm.state, alarm.previous_state) == ("ALARM", "OK")
    assert alarm.reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [91.4")
    assert alarm.alarm_type == "metric"
    assert (alarm.namespace, alarm.metric_name) == ("AWS/EC2", "CPUUtilization")
    assert alarm.dimensions == {"AutoScalingGroupName": "chat-prod-app"}
    assert (alarm.statistic, alarm.period) == ("Average", 300)
    assert (alarm.threshold, alarm.comparison) == (80.0, "GreaterThanThreshold")
    assert alarm.timestamp == "2026-11-26T10:00:41.509Z"
    assert alarm.description == "App instances above 80% CPU for 5 minutes"
    assert alarm.source == "sns"


def test_links_point_to_the_alarm_and_its_graph_in_the_console():
    alarm = only("sns_metric_alarm")
    assert alarm.console_url == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1"
        "#alarmsV2:alarm/chat-prod-app-cpu-high"
    )
    graph = alarm.graph_url
    assert graph.startswith("https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    assert "#metricsV2:graph=~(metrics~(~('AWS*2fEC2~'CPUUtilization" in graph
    assert "'AutoScalingGroupName~'chat-prod-app" in graph
    assert "~stat~'Average~period~300" in graph


def test_sns_composite_alarm_keeps_its_rule_and_has_no_graph():
    alarm = only("sns_composite_alarm")
    assert alarm.alarm_type == "composite"
    assert alarm.alarm_rule == 'ALARM("chat-prod-alb-5xx") AND ALARM("chat-prod-alb-latency")'
    assert alarm.metric_name is None and alarm.graph_url is None
    assert alarm.state == "ALARM" and alarm.timestamp == "2026-11-26T10:02:13.017Z"


def test_sns_anomaly_alarm_reads_the_metric_behind_the_band():
    alarm = only("sns_anomaly_alarm")
    assert alarm.alarm_type == "anomaly"
    assert alarm.region == "eu-west-1"
    assert (alarm.namespace, alarm.metric_name, alarm.statistic) == (
        "Chat/App",
        "MessagesSent",
        "Sum",
    )
    assert alarm.dimensions == {"Env": "staging"}
    assert alarm.threshold is None


def test_eventbridge_metric_alarm_reads_threshold_from_reason_data():
    alarm = only("eventbridge_metric_alarm")
    assert alarm.source == "eventbridge"
    assert alarm.alarm_type == "metric"
    assert alarm.threshold == 80.0
    assert (alarm.namespace, alarm.metric_name, alarm.statistic) == (
        "AWS/EC2",
        "CPUUtilization",
        "Average",
    )
    assert (alarm.state, alarm.previous_state) == ("ALARM", "OK")


def test_eventbridge_composite_and_anomaly_alarms():
    composite = only("eventbridge_composite_alarm")
    assert composite.alarm_type == "composite"
    assert composite.alarm_rule.startswith('ALARM("chat-prod-alb-5xx")')
    anomaly = only("eventbridge_anomaly_alarm")
    assert anomaly.alarm_type == "anomaly"
    assert anomaly.metric_name == "MessagesSent"


@pytest.mark.parametrize(
    ("sns", "eventbridge"),
    [
        ("sns_metric_alarm", "eventbridge_metric_alarm"),
        ("sns_composite_alarm", "eventbridge_composite_alarm"),
        ("sns_anomaly_alarm", "eventbridge_anomaly_alarm"),
    ],
)
def test_both_paths_give_the_same_dedup_identity(sns, eventbridge):
    a, b = only(sns), only(eventbridge)
    assert (a.arn, a.state, a.timestamp) == (b.arn, b.state, b.timestamp)
    assert (a.name, a.alarm_type, a.metric_name) == (b.name, b.alarm_type, b.metric_name)


def test_a_record_that_is_not_an_alarm_is_rejected_and_the_rest_kept():
    event = load_event("sns_metric_alarm")
    stray = json.loads(json.dumps(event["Records"][0]))
    stray["Sns"]["Message"] = "hello from a human on the topic"
    stray["Sns"]["MessageId"] = "stray-1"
    event["Records"].append(stray)
    alarms, rejected = normalize_event(event)
    assert [a.name for a in alarms] == ["chat-prod-app-cpu-high"]
    assert [str(r) for r in rejected] == ["record 1 (stray-1): SNS message is not JSON"]
    (kept,) = rejected
    assert kept.event == {"Records": [stray]}  # replayable as an event of its own
    assert kept.ids["MessageId"] == "stray-1" and kept.ids["TopicArn"].startswith("arn:aws:sns:")


def test_an_event_of_another_kind_is_unrecognized():
    with pytest.raises(UnrecognizedEvent):
        normalize_event({"source": "aws.ec2", "detail-type": "EC2 Instance State-change"})
    with pytest.raises(UnrecognizedEvent):
        normalize_event([])


def test_unknown_state_and_foreign_arn_are_refused():
    body = json.loads(load_event("sns_metric_alarm")["Records"][0]["Sns"]["Message"])
    with pytest.raises(UnrecognizedEvent, match="unknown alarm state"):
        from_sns_message({**body, "NewStateValue": "BROKEN"})
    with pytest.raises(UnrecognizedEvent, match="not a CloudWatch alarm ARN"):
        from_sns_message({**body, "AlarmArn": "arn:aws:sns:us-east-1:1:topic"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-26T10:00:41.509+0000", "2026-11-26T10:00:41.509Z"),
        ("2026-11-26T12:00:41.509+0200", "2026-11-26T10:00:41.509Z"),
        ("2026-11-26T10:00:41Z", "2026-11-26T10:00:41.000Z"),
    ],
)
def test_timestamps_are_normalized_to_utc_milliseconds(raw, expected):
    assert normalize_timestamp(raw) == expected


def test_a_missing_or_unreadable_timestamp_is_refused():
    with pytest.raises(UnrecognizedEvent):
        normalize_timestamp(None)
    with pytest.raises(UnrecognizedEvent):
        normalize_timestamp("yesterday")
