"""What each receiver is sent, built from a real SNS notification."""

from dataclasses import replace

from alarm_router import payloads
from alarm_router.normalize import normalize_event
from lambda_support import load_event


def prod_alarm(**overrides):
    alarms, _ = normalize_event(load_event("sns_metric_alarm"))
    alarm = alarms[0].with_context(env="prod", severity="critical", tags={})
    return replace(alarm, **overrides)


def test_slack_message_has_colour_state_change_reason_and_links():
    alarm = prod_alarm()
    message = payloads.slack(alarm, "trigger")
    assert message["text"] == "[prod] ALARM: chat-prod-app-cpu-high"
    (attachment,) = message["attachments"]
    assert attachment["color"] == "#d62728"
    assert attachment["title_link"] == alarm.console_url
    assert attachment["text"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")
    assert f"<{alarm.console_url}|Alarm in console>" in attachment["text"]
    assert f"<{alarm.graph_url}|Metric graph>" in attachment["text"]
    fields = {f["title"]: f["value"] for f in attachment["fields"]}
    assert fields["State"] == "OK → ALARM"
    assert fields["Severity"] == "critical"
    assert fields["Threshold"] == "> 80"
    assert fields["Metric"] == (
        "AWS/EC2/CPUUtilization (AutoScalingGroupName=chat-prod-app) Average over 300s"
    )
    assert attachment["ts"] == 1795687241


def test_slack_resolved_is_green_and_reason_is_escaped():
    alarm = prod_alarm(state="OK", previous_state="ALARM", reason="back <ok> & fine")
    (attachment,) = payloads.slack(alarm, "resolve")["attachments"]
    assert attachment["color"] == "#2eb886"
    assert attachment["title"] == "[prod] RESOLVED: chat-prod-app-cpu-high"
    assert attachment["text"].startswith("back &lt;ok&gt; &amp; fine")


def test_slack_insufficient_data_is_amber():
    alarm = prod_alarm(state="INSUFFICIENT_DATA")
    (attachment,) = payloads.slack(alarm, "trigger")["attachments"]
    assert attachment["color"] == "#f2a900"
    assert "INSUFFICIENT DATA" in attachment["title"]


def test_pagerduty_trigger_follows_events_api_v2():
    alarm = prod_alarm()
    event = payloads.pagerduty(alarm, "trigger", "R0UT1NGKEY")
    assert event["routing_key"] == "R0UT1NGKEY"
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == alarm.arn
    payload = event["payload"]
    assert payload["severity"] == "critical"
    assert payload["summary"].startswith("[prod] ALARM: chat-prod-app-cpu-high: Threshold")
    assert payload["source"] == "123456789012/us-east-1"
    assert payload["timestamp"] == "2026-11-26T10:00:41.509Z"
    assert payload["group"] == "prod"
    assert payload["custom_details"]["alarm_arn"] == alarm.arn
    assert {link["href"] for link in event["links"]} == {alarm.console_url, alarm.graph_url}


def test_pagerduty_severity_is_mapped_and_summary_capped():
    event = payloads.pagerduty(prod_alarm(severity="info", reason="x" * 3000), "trigger", "k")
    assert event["payload"]["severity"] == "info"
    assert len(event["payload"]["summary"]) == 1024


def test_pagerduty_resolve_carries_only_the_dedup_key():
    alarm = prod_alarm(state="OK", previous_state="ALARM")
    assert payloads.pagerduty(alarm, "resolve", "k") == {
        "routing_key": "k",
        "event_action": "resolve",
        "dedup_key": alarm.arn,
    }


def test_pagerduty_dedup_key_of_a_very_long_arn_is_a_stable_digest():
    long_arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + "a" * 250
    one = payloads.dedup_key(prod_alarm(arn=long_arn))
    assert one.startswith("sha256:") and len(one) <= 255
    assert one == payloads.dedup_key(prod_alarm(arn=long_arn))


def test_email_subject_is_short_ascii_and_body_has_reason_and_links():
    alarm = prod_alarm(name="chat-prod-é-" + "x" * 150)
    subject, body = payloads.email(alarm, "trigger")
    assert len(subject) <= 99 and subject.isascii() and "\n" not in subject
    assert subject.endswith("...")
    assert "Reason:       Threshold Crossed" in body
    assert "State:        OK -> ALARM at 2026-11-26T10:00:41.509Z" in body
    assert f"Alarm: {alarm.console_url}" in body
    assert f"Graph: {alarm.graph_url}" in body


def test_composite_alarm_payloads_show_the_rule_and_no_graph():
    alarms, _ = normalize_event(load_event("sns_composite_alarm"))
    alarm = alarms[0].with_context(env="prod", severity="error", tags={})
    _, body = payloads.email(alarm, "trigger")
    assert 'Rule:         ALARM("chat-prod-alb-5xx")' in body
    assert "Graph:" not in body
    (attachment,) = payloads.slack(alarm, "trigger")["attachments"]
    assert "Metric graph" not in attachment["text"]
    assert payloads.pagerduty(alarm, "trigger", "k")["payload"]["severity"] == "error"


def test_webhook_payload_is_the_versioned_normalized_alarm():
    alarm = prod_alarm(tags={"Team": "chat"})
    body = payloads.webhook(alarm, "trigger")
    assert body["version"] == "1"
    assert body["action"] == "trigger"
    assert body["alarm"]["arn"] == alarm.arn
    assert body["alarm"]["console_url"] == alarm.console_url
    assert body["alarm"]["graph_url"] == alarm.graph_url
    assert body["alarm"]["tags"] == {"Team": "chat"}
