"""A bad night, end to end: grouping, inhibition, silences and repeats against local receivers.

The router runs as Lambda runs it (one invocation per alarm, a scheduled tick), its state in
DynamoDB (moto), PagerDuty and Slack as real HTTPS servers; only the clock is moved by hand.
"""

import io
import json
from types import SimpleNamespace

import boto3
import pytest
from lambda_support import ACCOUNT, REGION, LambdaContext, metric_values, put_alarm, use_rules

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
STATE_TABLE = "chat-test-alarm-router-state"
RULES = {
    "receivers": {
        "pagerduty": {"type": "pagerduty", "secret": "pagerduty"},
        "slack": {"type": "slack", "secret": "slack"},
    },
    "route": {
        "receivers": ["slack"],
        "routes": [
            {
                "name": "page-prod",
                "match": {"env": "prod"},
                "receivers": ["pagerduty", "slack"],
                "group_by": ["env", "tags.Cluster"],
                "group_wait": "30s",
                "group_interval": "5m",
                "repeat_interval": "1h",
            }
        ],
    },
    "inhibit_rules": [
        {
            "source_match": {"alarm_name": "*-db-failover"},
            "target_match": {"severity": ["error", "warning"]},
            "equal": ["env", "tags.Cluster"],
        }
    ],
}


@pytest.fixture
def oncall(router):
    use_rules(router, RULES)
    now = [T0]
    router.monkeypatch.setattr(router.handler, "clock", lambda: now[0])
    made = set()

    def alarm(name, state="ALARM", *, at, cluster="main", severity="critical", old=None):
        """One alarm state change, published by CloudWatch at `at` seconds after T0."""
        if name not in made:
            put_alarm(
                name,
                {"Env": "prod", "Severity": severity, "Cluster": cluster},
                "AWS/RDS",
                "DatabaseConnections",
            )
            made.add(name)
        now[0] = T0 + at
        message = {
            "AlarmName": name,
            "AlarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
            "AWSAccountId": ACCOUNT,
            "NewStateValue": state,
            "OldStateValue": old or ("OK" if state == "ALARM" else "ALARM"),
            "NewStateReason": f"{name} is {state}",
            "StateChangeTime": _iso(T0 + at),
            "Trigger": {"MetricName": "DatabaseConnections", "Namespace": "AWS/RDS", "Threshold": 1.0},
        }
        event = {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "Sns": {
                        "MessageId": f"{name}-{at}",
                        "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:chat-prod-alarms",
                        "Message": json.dumps(message),
                    },
                }
            ]
        }
        return router.invoke(event)

    def tick(at):
        now[0] = T0 + at
        return router.handler.lambda_handler({"kind": "alarm-router.tick"}, LambdaContext())

    def pages():
        return [r["json"] for r in router.pagerduty.requests]

    yield SimpleNamespace(alarm=alarm, tick=tick, pages=pages, router=router, now=now)


def _iso(epoch):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def storm(oncall, count=12, start=0):
    for i in range(count):
        oncall.alarm(f"chat-prod-db-replica-{i:02d}-lag", at=start + i)


def test_a_failover_storm_is_one_page_then_one_update(oncall):
    storm(oncall)
    assert oncall.pages() == []  # group_wait: nothing yet
    assert oncall.tick(20)["deliveries"] == []
    oncall.tick(31)
    (page,) = oncall.pages()
    assert page["event_action"] == "trigger"
    assert page["dedup_key"].startswith("alarm-router/group/")
    assert len(page["payload"]["custom_details"]["firing"]) == 12
    assert page["payload"]["summary"].startswith("[prod] ALARM: 12 firing (env=prod, tags.Cluster=main)")
    # A thirteenth alarm waits for group_interval (5 min after the first page), then updates it.
    oncall.alarm("chat-prod-db-replica-12-lag", at=60)
    oncall.tick(120)
    assert len(oncall.pages()) == 1
    oncall.tick(31 + 300)
    update = oncall.pages()[-1]
    assert len(oncall.pages()) == 2 and update["dedup_key"] == page["dedup_key"]
    assert len(update["payload"]["custom_details"]["firing"]) == 13
    # Each receiver has its own group: Slack got one message for the storm and one update.
    first, second = (r["json"] for r in oncall.router.slack.requests)
    assert first["text"] == "[prod] ALARM: 12 firing (env=prod, tags.Cluster=main)"
    assert len(first["attachments"]) == 12 and len(second["attachments"]) == 13


def test_the_resolve_of_the_whole_group_closes_its_incident(oncall):
    storm(oncall, count=3)
    oncall.tick(31)
    (page,) = oncall.pages()
    oncall.alarm("chat-prod-db-replica-00-lag", "OK", at=100)
    oncall.tick(331)
    partial = oncall.pages()[-1]
    assert partial["event_action"] == "trigger"  # still firing: the incident is updated, not closed
    assert partial["payload"]["custom_details"]["resolved"] == ["chat-prod-db-replica-00-lag"]
    oncall.alarm("chat-prod-db-replica-01-lag", "OK", at=400)
    oncall.alarm("chat-prod-db-replica-02-lag", "OK", at=401)
    oncall.tick(700)
    last = oncall.pages()[-1]
    assert last == {"routing_key": "R0UT1NGKEY", "event_action": "resolve", "dedup_key": page["dedup_key"]}
    assert len(oncall.pages()) == 3
    assert oncall.tick(5000)["due"] == 0  # the group is gone, nothing repeats


def test_an_inhibited_symptom_is_recorded_not_paged_until_its_cause_resolves(oncall, capsys, caplog):
    oncall.alarm("chat-prod-db-failover", at=0)
    oncall.alarm("chat-prod-app-5xx", at=5, severity="error")
    oncall.alarm("chat-staging-app-5xx", at=6, severity="error", cluster="other")
    oncall.tick(40)
    pages = oncall.pages()
    main = next(p for p in pages if "Cluster=main" in p["payload"]["summary"])
    assert list(main["payload"]["custom_details"]["firing"]) == ["chat-prod-db-failover"]
    # Another cluster is not inhibited by this failover.
    other = next(p for p in pages if "Cluster=other" in p["payload"]["summary"])
    assert list(other["payload"]["custom_details"]["firing"]) == ["chat-staging-app-5xx"]
    muted = [r for r in caplog.records if r.getMessage() == "alarm muted"]
    # Recorded once per receiver's group (PagerDuty and Slack).
    assert [(r.alarm_arn.rsplit(":", 1)[-1], r.reason.split(" by ")[0]) for r in muted] == [
        ("chat-prod-app-5xx", "inhibited")
    ] * 2
    assert metric_values(capsys.readouterr().out, "AlarmsInhibited") == [1, 1]
    # The failover resolves, the symptom still fires: now it is paged.
    oncall.alarm("chat-prod-db-failover", "OK", at=200)
    oncall.tick(40 + 300)
    update = oncall.pages()[-1]
    assert list(update["payload"]["custom_details"]["firing"]) == ["chat-prod-app-5xx"]
    assert update["payload"]["custom_details"]["resolved"] == ["chat-prod-db-failover"]


def test_a_silenced_maintenance_window_pages_nobody_and_ends_by_itself(oncall, capsys):
    from alarm_router import silences

    oncall.now[0] = T0 - 60
    out = io.StringIO()
    code = silences.main(
        [
            "--table",
            STATE_TABLE,
            "create",
            "--match",
            "env=prod",
            "--match",
            "alarm_name=chat-prod-db-*",
            "--starts",
            _iso(T0 - 60).replace(".000+0000", "Z"),
            "--ends",
            _iso(T0 + 3600).replace(".000+0000", "Z"),
            "--comment",
            "CHG-1234 planned failover test",
        ],
        out=out,
        clock=lambda: oncall.now[0],
    )
    assert code == 0
    created = json.loads(out.getvalue())
    assert (
        created["created_by"].startswith("arn:aws:")
        and created["comment"] == "CHG-1234 planned failover test"
    )
    storm(oncall, count=4)
    oncall.alarm("chat-prod-app-latency", at=10)  # not matched by the silence
    oncall.tick(31)
    (page,) = oncall.pages()
    assert list(page["payload"]["custom_details"]["firing"]) == ["chat-prod-app-latency"]
    assert sum(metric_values(capsys.readouterr().out, "AlarmsSilenced")) == 4 * 2  # per receiver
    listed = io.StringIO()
    silences.main(["--table", STATE_TABLE, "list", "--all"], out=listed, clock=lambda: oncall.now[0])
    (row,) = [json.loads(line) for line in listed.getvalue().splitlines()]
    assert row["id"] == created["id"]
    assert row["match"] == {"env": ["prod"], "alarm_name": ["chat-prod-db-*"]}
    # The window ends with two replicas still lagging: they are paged at the next tick.
    oncall.alarm("chat-prod-db-replica-00-lag", "OK", at=1800)
    oncall.alarm("chat-prod-db-replica-01-lag", "OK", at=1801)
    oncall.tick(3600 + 30)
    update = oncall.pages()[-1]
    assert sorted(update["payload"]["custom_details"]["firing"]) == [
        "chat-prod-app-latency",
        "chat-prod-db-replica-02-lag",
        "chat-prod-db-replica-03-lag",
    ]
    listed = io.StringIO()
    silences.main(["--table", STATE_TABLE, "list"], out=listed, clock=lambda: oncall.now[0])
    assert listed.getvalue() == ""  # expired: listed only with --all


def test_an_alarm_still_firing_is_sent_again_after_the_repeat_interval(oncall):
    oncall.alarm("chat-prod-db-cpu-high", at=0)
    oncall.tick(31)
    oncall.tick(31 + 1800)
    assert len(oncall.pages()) == 1
    repeat = oncall.tick(31 + 3600)
    assert sorted((d["receiver"], d["action"], d.get("repeat")) for d in repeat["deliveries"]) == [
        ("pagerduty", "trigger", True),
        ("slack", "trigger", True),
    ]
    first, again = oncall.pages()
    assert again["dedup_key"] == first["dedup_key"]
    oncall.tick(31 + 7200)
    assert len(oncall.pages()) == 3


def test_a_tick_racing_another_flush_sends_the_group_once(oncall):
    from alarm_router.state import DynamoTable, State

    storm(oncall, count=2)
    oncall.now[0] = T0 + 31
    state = State(DynamoTable(boto3.client("dynamodb"), STATE_TABLE), clock=lambda: oncall.now[0])
    due = state.due_groups(oncall.now[0])  # PagerDuty's group and Slack's
    assert len(due) == 2 and all(state.claim(gid, "another-invocation") for gid in due)
    assert oncall.tick(31)["deliveries"] == []  # leased: this tick leaves them alone
    assert oncall.pages() == []
    # The other invocation died without finishing: its lease runs out and a later tick sends.
    oncall.tick(31 + 91)
    assert len(oncall.pages()) == 1


def test_a_silence_must_say_why_and_match_something(oncall):
    from alarm_router import silences

    assert silences.main(["--table", STATE_TABLE, "create", "--duration", "1h", "--comment", "x"]) == 2
    assert (
        silences.main(
            ["--table", STATE_TABLE, "create", "--match", "env=prod", "--duration", "1h", "--comment", " "]
        )
        == 2
    )
    assert (
        silences.main(
            ["--table", STATE_TABLE, "create", "--match", "env=prod", "--duration", "30d", "--comment", "x"]
        )
        == 2
    )


def test_a_group_whose_receiver_was_removed_from_the_rules_is_dead_lettered(oncall):
    storm(oncall, count=2)
    rules = {**RULES, "receivers": {"slack": RULES["receivers"]["slack"]}}
    rules["route"] = {"receivers": ["slack"]}
    use_rules(oncall.router, rules)
    oncall.router.monkeypatch.setattr(oncall.router.handler, "clock", lambda: oncall.now[0])
    result = oncall.tick(31)
    assert ("pagerduty", "failed") in [(d["receiver"], d["outcome"]) for d in result["deliveries"]]
    (letter,) = oncall.router.dead_letters()
    assert letter["error"] == "receiver no longer in the routing rules"
    assert len(letter["notification"]["firing"]) == 2
