"""The alarm router end to end: real HTTP endpoints on 127.0.0.1, AWS APIs through moto."""

import copy
import hashlib
import hmac
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from lambda_support import (
    ACCOUNT,
    ALARM,
    ALARM_ARN,
    REGION,
    Answer,
    load_event,
    metric_values,
    outcomes,
    sns_event,
    use_rules,
)
from lambda_support import ROUTER_PREFIX as PREFIX


def test_a_prod_critical_alarm_reaches_pagerduty_slack_and_email(router, capsys):
    result = router.invoke(load_event("sns_metric_alarm"))
    assert outcomes(result) == [
        ("email", "trigger", "delivered"),
        ("pagerduty", "trigger", "delivered"),
        ("slack", "trigger", "delivered"),
    ]
    (page,) = router.pagerduty.requests
    assert page["json"]["event_action"] == "trigger"
    assert page["json"]["dedup_key"] == ALARM_ARN
    assert page["json"]["payload"]["severity"] == "critical"
    assert page["json"]["routing_key"] == "R0UT1NGKEY"
    (slack,) = router.slack.requests
    assert slack["json"]["text"] == f"[prod] ALARM: {ALARM}"
    (mail,) = router.emails()
    assert mail.startswith(f"[prod] ALARM: {ALARM}")
    assert router.dead_letters() == []
    out = capsys.readouterr().out
    assert metric_values(out, "Notifications", Receiver="pagerduty", Outcome="delivered", Env="dev") == [1]
    assert metric_values(out, "AlarmsReceived") == [1]


def test_a_repeated_notification_is_delivered_once(router, capsys):
    router.invoke(load_event("sns_metric_alarm"))
    again = router.invoke(load_event("sns_metric_alarm"))
    # The same state change through EventBridge is the same alarm state too.
    bridged = router.invoke(load_event("eventbridge_metric_alarm"))
    assert again["results"][0]["duplicate"] and bridged["results"][0]["duplicate"]
    assert len(router.pagerduty.requests) == 1
    assert len(router.slack.requests) == 1
    assert len(router.emails()) == 1
    assert metric_values(capsys.readouterr().out, "DuplicatesSuppressed") == [1, 1]


def test_ok_after_alarm_resolves_the_incident(router):
    router.invoke(load_event("sns_metric_alarm"))
    ok = sns_event(
        NewStateValue="OK",
        OldStateValue="ALARM",
        NewStateReason="Threshold Crossed: 1 datapoint [40.1] was not greater than 80.0",
        StateChangeTime="2026-11-26T10:20:41.100+0000",
    )
    result = router.invoke(ok)
    assert ("pagerduty", "resolve", "delivered") in outcomes(result)
    resolve = router.pagerduty.requests[-1]["json"]
    assert resolve == {
        "routing_key": "R0UT1NGKEY",
        "event_action": "resolve",
        "dedup_key": ALARM_ARN,
    }
    assert router.slack.requests[-1]["json"]["attachments"][0]["color"] == "#2eb886"


def test_slack_429_is_retried_and_delivered(router):
    router.slack.script = [Answer(429, headers={"Retry-After": "0"})]
    result = router.invoke(load_event("sns_metric_alarm"))
    slack = next(d for d in result["results"][0]["deliveries"] if d["receiver"] == "slack")
    assert (slack["outcome"], slack["attempts"]) == ("delivered", 2)
    assert len(router.slack.requests) == 2


def test_pagerduty_down_is_dead_lettered_and_the_others_still_delivered(router, capsys):
    router.pagerduty.default = Answer(500, body='{"status":"unavailable"}')
    result = router.invoke(load_event("sns_metric_alarm"))
    assert outcomes(result) == [
        ("email", "trigger", "delivered"),
        ("pagerduty", "trigger", "failed"),
        ("slack", "trigger", "delivered"),
    ]
    assert len(router.pagerduty.requests) == 3  # HTTP_MAX_ATTEMPTS
    (letter,) = router.dead_letters()
    assert letter["kind"] == "alarm-router.delivery-failed"
    assert (letter["receiver"], letter["action"], letter["status"]) == ("pagerduty", "trigger", 500)
    assert letter["attempts"] == 3
    assert letter["alarm"]["arn"] == ALARM_ARN
    out = capsys.readouterr().out
    assert metric_values(out, "Notifications", Receiver="pagerduty", Outcome="failed") == [1]


def test_a_slack_that_never_answers_in_time_is_dead_lettered(router):
    router.slack.default = Answer(200, delay=0.8)
    result = router.invoke(load_event("sns_metric_alarm"))
    assert ("slack", "trigger", "failed") in outcomes(result)
    (letter,) = router.dead_letters()
    assert letter["receiver"] == "slack" and "timed out" in letter["error"]


def test_a_missing_secret_is_dead_lettered_without_calling_anyone(router):
    boto3.client("secretsmanager").delete_secret(
        SecretId=PREFIX + "pagerduty", ForceDeleteWithoutRecovery=True
    )
    result = router.invoke(load_event("sns_metric_alarm"))
    assert ("pagerduty", "trigger", "failed") in outcomes(result)
    assert router.pagerduty.requests == []
    (letter,) = router.dead_letters()
    assert "unreadable" in letter["error"] and letter["attempts"] == 0


def test_routes_from_ssm_replace_the_bundled_rules(router):
    rules = {
        "receivers": {"hook": {"type": "webhook", "secret": "webhook"}},
        "route": {"receivers": ["hook"]},
    }
    boto3.client("ssm").put_parameter(
        Name="/chat-test/alarm-router/routes", Value=json.dumps(rules), Type="String"
    )
    router.monkeypatch.setenv("ROUTES_PARAMETER", "/chat-test/alarm-router/routes")
    router.handler.reset()
    result = router.invoke(load_event("sns_composite_alarm"))
    assert outcomes(result) == [("hook", "trigger", "delivered")]
    (request,) = router.webhook.requests
    assert request["json"]["alarm"]["alarm_type"] == "composite"
    stamp = request["headers"]["X-Alarm-Router-Timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    expected = hmac.new(b"sign-me", stamp.encode() + b"." + request["raw"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Alarm-Router-Signature"] == f"sha256={expected}"
    assert router.slack.requests == [] and router.pagerduty.requests == []


def test_unusable_ssm_rules_fall_back_to_the_bundled_rules(router, capsys):
    boto3.client("ssm").put_parameter(
        Name="/chat-test/alarm-router/routes", Value='{"route": {}}', Type="String"
    )
    router.monkeypatch.setenv("ROUTES_PARAMETER", "/chat-test/alarm-router/routes")
    router.handler.reset()
    result = router.invoke(load_event("sns_metric_alarm"))
    assert ("pagerduty", "trigger", "delivered") in outcomes(result)
    assert metric_values(capsys.readouterr().out, "RoutingConfigFallbacks") == [1]


def test_insufficient_data_is_ignored_by_default(router):
    result = router.invoke(sns_event(NewStateValue="INSUFFICIENT_DATA", OldStateValue="OK"))
    assert outcomes(result) == []
    assert router.slack.requests == [] and router.pagerduty.requests == []


def test_an_untagged_alarm_routes_with_the_function_env_and_default_severity(router):
    event = load_event("eventbridge_composite_alarm")  # no such alarm in moto: no tags
    result = router.invoke(event)
    assert outcomes(result) == [("slack", "trigger", "delivered")]
    assert router.slack.requests[0]["json"]["text"].startswith("[dev] ALARM:")


def test_an_event_of_another_kind_is_reported_not_raised(router, capsys):
    result = router.invoke({"source": "aws.ec2", "detail-type": "EC2 Instance State-change"})
    assert result["alarms"] == 0 and result["rejected"]
    assert metric_values(capsys.readouterr().out, "UnrecognizedEvents") == [1]


def test_when_even_the_dlq_fails_the_invocation_fails_and_a_retry_delivers(router):
    router.pagerduty.default = Answer(503)
    router.monkeypatch.setenv("DLQ_URL", f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/no-such-queue")
    router.handler.reset()
    with pytest.raises(ClientError):
        router.invoke(load_event("sns_metric_alarm"))
    # Lambda's retry of the same event is not taken for a duplicate: it delivers.
    router.pagerduty.default = Answer(202)
    result = router.invoke(copy.deepcopy(load_event("sns_metric_alarm")))
    assert not result["results"][0].get("duplicate")
    assert ("pagerduty", "trigger", "delivered") in outcomes(result)


def test_a_dead_letter_replayed_after_the_fix_is_delivered_to_its_receiver_only(router, capsys):
    router.pagerduty.default = Answer(500)
    router.invoke(load_event("sns_metric_alarm"))
    (letter,) = router.dead_letters()
    slack_before = len(router.slack.requests)
    router.pagerduty.default = Answer(202)
    result = router.invoke(letter)
    assert outcomes(result) == [("pagerduty", "trigger", "delivered")]
    assert result["results"][0]["replay"] is True
    assert router.pagerduty.requests[-1]["json"]["dedup_key"] == ALARM_ARN
    assert len(router.slack.requests) == slack_before  # only the receiver that had failed
    assert metric_values(capsys.readouterr().out, "Replays") == [1]


def test_a_replay_that_fails_again_goes_back_to_the_dlq(router):
    router.pagerduty.default = Answer(503)
    router.invoke(load_event("sns_metric_alarm"))
    (letter,) = router.dead_letters()
    result = router.invoke(letter)
    assert outcomes(result) == [("pagerduty", "trigger", "failed")]
    (again,) = router.dead_letters()
    assert again["receiver"] == "pagerduty" and again["alarm"] == letter["alarm"]


def test_a_dead_letter_for_an_unknown_receiver_or_without_its_alarm_is_refused(router):
    router.pagerduty.default = Answer(400)
    router.invoke(load_event("sns_metric_alarm"))
    (letter,) = router.dead_letters()
    pages = len(router.pagerduty.requests)
    unknown = router.invoke({**letter, "receiver": "carrier-pigeon"})
    assert unknown["alarms"] == 0 and "not in the routing rules" in unknown["rejected"][0]
    incomplete = router.invoke({**letter, "alarm": {"name": ALARM}})
    assert incomplete["alarms"] == 0 and incomplete["rejected"][0].startswith("incomplete dead letter")
    assert len(router.pagerduty.requests) == pages


def test_a_webhook_secret_without_an_hmac_key_is_dead_lettered_unsent(router):
    boto3.client("secretsmanager").put_secret_value(
        SecretId=PREFIX + "webhook", SecretString=json.dumps({"url": router.webhook.url})
    )
    use_rules(
        router,
        {"receivers": {"hook": {"type": "webhook", "secret": "webhook"}}, "route": {"receivers": ["hook"]}},
    )
    result = router.invoke(load_event("sns_metric_alarm"))
    assert outcomes(result) == [("hook", "trigger", "failed")]
    assert router.webhook.requests == []
    (letter,) = router.dead_letters()
    assert "hmac_key" in letter["error"]


def test_a_receiver_url_over_plain_http_is_refused(router):
    boto3.client("secretsmanager").put_secret_value(
        SecretId=PREFIX + "slack",
        SecretString=json.dumps({"webhook_url": router.slack.url.replace("https://", "http://")}),
    )
    result = router.invoke(load_event("sns_metric_alarm"))
    assert ("slack", "trigger", "failed") in outcomes(result)
    assert router.slack.requests == []
    assert "not https" in router.dead_letters()[0]["error"]


def test_the_tracer_patches_the_aws_sdk_only_never_http_client(router):
    assert router.handler.tracer._config["patch_modules"] == ["botocore"]


def with_stray_record(message, message_id="stray-1"):
    """The SNS sample plus a second record whose Message is `message`."""
    event = load_event("sns_metric_alarm")
    stray = copy.deepcopy(event["Records"][0])
    stray["Sns"].update(Message=message, MessageId=message_id)
    event["Records"].append(stray)
    return event, stray


def test_a_record_that_is_not_json_is_logged_and_dead_lettered_whole(router, capsys, caplog):
    event, stray = with_stray_record("disk full on db-1 (typed by hand)" + " x" * 3000)
    result = router.invoke(event)
    assert ("pagerduty", "trigger", "delivered") in outcomes(result)  # the alarm still goes out
    assert result["rejected"] == ["record 1 (stray-1): SNS message is not JSON"]
    (letter,) = router.dead_letters()
    assert letter["kind"] == "alarm-router.unparsed"
    assert letter["reason"] == "record 1 (stray-1): SNS message is not JSON"
    assert letter["event"] == {"Records": [stray]}
    assert letter["ids"]["MessageId"] == "stray-1"
    (line,) = [r for r in caplog.records if r.getMessage() == "not an alarm notification: dead-lettered"]
    assert line.MessageId == "stray-1" and line.TopicArn == stray["Sns"]["TopicArn"]
    assert line.content.startswith('{"Records"') and len(line.content) == 2000
    assert line.content_chars > 6000
    assert metric_values(capsys.readouterr().out, "UnrecognizedEvents") == [1]


def test_an_event_of_an_unknown_type_is_dead_lettered_and_the_invocation_succeeds(router):
    event = {"id": "ev-1", "source": "aws.ec2", "detail-type": "EC2 Instance State-change", "detail": {}}
    result = router.invoke(event)
    assert result["alarms"] == 0 and result["rejected"]
    (letter,) = router.dead_letters()
    assert letter["event"] == event and letter["ids"] == {
        "id": "ev-1",
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change",
    }


def test_a_set_aside_record_replayed_after_a_fix_is_routed(router):
    event, _ = with_stray_record('"{\\"double\\": \\"encoded\\"}"')
    router.invoke(event)
    (letter,) = router.dead_letters()
    router.invoke(letter)  # not fixed yet: back on the queue, unchanged
    (again,) = router.dead_letters()
    assert again["event"] == letter["event"]
    # The publisher is fixed and the operator puts the real message in the letter.
    fixed = sns_event(AlarmName="chat-prod-fixed", AlarmArn=ALARM_ARN.replace(ALARM, "chat-prod-fixed"))
    again["event"]["Records"][0]["Sns"]["Message"] = fixed["Records"][0]["Sns"]["Message"]
    result = router.invoke(again)
    assert result["alarms"] == 1 and ("slack", "trigger", "delivered") in outcomes(result)
    assert router.dead_letters() == []


def test_a_record_too_large_for_the_queue_is_kept_cut_and_not_replayed(router):
    router.monkeypatch.setattr(router.handler, "DLQ_MAX_CHARS", 500)
    event, _ = with_stray_record("y" * 2000)
    router.invoke(event)
    (letter,) = router.dead_letters()
    assert letter["event"] is None and len(letter["content_cut"]) == 500
    result = router.invoke(letter)
    assert "not replayable" in result["rejected"][0]


def test_without_a_state_table_each_alarm_is_still_sent_at_once(router):
    router.monkeypatch.delenv("STATE_TABLE")
    router.handler.reset()
    result = router.invoke(load_event("sns_metric_alarm"))
    assert ("pagerduty", "trigger", "delivered") in outcomes(result)
    ok = sns_event(NewStateValue="OK", OldStateValue="ALARM", StateChangeTime="2026-11-26T10:20:41.100+0000")
    assert ("pagerduty", "resolve", "delivered") in outcomes(router.invoke(ok))
