"""The routing tree and the per-route decision: pure functions, no AWS."""

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from alarm_router.alarm import Alarm
from alarm_router.routing import RoutingConfigError, decide, load_rules, match_routes, plan

BUNDLED = Path(__file__).resolve().parents[2] / "lambdas/alarm_router/alarm_router/routes.json"


def make_alarm(**overrides):
    base = Alarm(
        name="chat-prod-app-cpu-high",
        arn="arn:aws:cloudwatch:us-east-1:123456789012:alarm:chat-prod-app-cpu-high",
        account="123456789012",
        region="us-east-1",
        state="ALARM",
        previous_state="OK",
        reason="Threshold Crossed",
        timestamp="2026-11-26T10:00:41.509Z",
        alarm_type="metric",
        namespace="AWS/EC2",
        metric_name="CPUUtilization",
        env="prod",
        severity="critical",
    )
    return replace(base, **overrides)


RULES = {
    "receivers": {
        "slack": {"type": "slack", "secret": "slack"},
        "slack-db": {"type": "slack", "secret": "slack-db"},
        "pagerduty": {"type": "pagerduty", "secret": "pagerduty"},
        "email": {"type": "email"},
        "hook": {"type": "webhook", "secret": "hook"},
    },
    "route": {
        "receivers": ["slack"],
        "routes": [
            {
                "name": "db",
                "match": {"namespace": "AWS/RDS"},
                "receivers": ["slack-db"],
                "routes": [
                    {"name": "db-prod-critical", "match": {"env": "prod", "severity": "critical"}},
                    {
                        "name": "db-pages",
                        "match": {"severity": "critical"},
                        "receivers": "pagerduty",
                    },
                ],
            },
            {
                "name": "prod-page",
                "match": {"env": "prod", "severity": ["critical"]},
                "receivers": ["pagerduty"],
                "continue": True,
            },
            {"name": "names", "match": {"alarm_name": ["*-canary-*"]}, "receivers": ["hook"]},
            {
                "name": "tagged",
                "match": {"tags": {"Team": ["chat", "web"], "Notify": "*"}},
                "receivers": ["email"],
                "insufficient_data": "notify",
            },
            {
                "name": "prod-rest",
                "match": {"env": "prod"},
                "receivers": ["slack"],
                "send_resolved": False,
            },
        ],
    },
}


def names(routes):
    return [r.name for r in routes]


def receivers(alarm, rules):
    return sorted((d.receiver.name, d.action) for d in plan(alarm, rules).deliveries)


def test_the_bundled_rules_load_and_page_prod_critical():
    rules = load_rules(json.loads(BUNDLED.read_text()))
    assert receivers(make_alarm(), rules) == [
        ("email", "trigger"),
        ("pagerduty", "trigger"),
        ("slack", "trigger"),
    ]
    dev = make_alarm(env="dev", severity="warning")
    assert receivers(dev, rules) == [("slack", "trigger")]


def test_first_match_stops_unless_continue():
    rules = load_rules(RULES)
    # prod-page continues, so prod-rest is reached too; names and tagged don't match.
    assert names(match_routes(make_alarm(), rules)) == ["prod-page", "prod-rest"]
    # A canary alarm outside prod: the names route matches and stops there.
    canary = make_alarm(name="chat-dev-canary-login", env="dev", severity="warning")
    assert names(match_routes(canary, rules)) == ["names"]


def test_unmatched_alarms_take_the_default_route():
    rules = load_rules(RULES)
    alarm = make_alarm(env="staging", severity="warning")
    assert names(match_routes(alarm, rules)) == ["route"]
    assert receivers(alarm, rules) == [("slack", "trigger")]


def test_nested_routes_inherit_receivers_and_first_child_wins():
    rules = load_rules(RULES)
    db = make_alarm(namespace="AWS/RDS")
    # db-prod-critical matches first, has no receivers of its own: it inherits slack-db.
    assert names(match_routes(db, rules)) == ["db-prod-critical"]
    assert receivers(db, rules) == [("slack-db", "trigger")]
    db_staging = make_alarm(namespace="AWS/RDS", env="staging")
    assert names(match_routes(db_staging, rules)) == ["db-pages"]
    # No child matches a warning: the db route itself is the result.
    assert names(match_routes(make_alarm(namespace="AWS/RDS", severity="warning"), rules)) == ["db"]


def test_tag_matchers_need_every_tag_and_star_means_present():
    rules = load_rules(RULES)
    tagged = make_alarm(env="dev", severity="info", tags={"Team": "web", "Notify": "yes"})
    assert names(match_routes(tagged, rules)) == ["tagged"]
    wrong_team = replace(tagged, tags={"Team": "ops", "Notify": "yes"})
    assert names(match_routes(wrong_team, rules)) == ["route"]
    no_notify = replace(tagged, tags={"Team": "web"})
    assert names(match_routes(no_notify, rules)) == ["route"]


def test_a_receiver_reached_twice_is_notified_once():
    doc = copy.deepcopy(RULES)
    doc["route"]["routes"][1]["receivers"] = ["pagerduty", "slack"]
    rules = load_rules(doc)
    # prod-page (pagerduty, slack) continues into prod-rest (slack): slack once.
    assert receivers(make_alarm(), rules) == [("pagerduty", "trigger"), ("slack", "trigger")]


def test_ok_after_alarm_resolves_and_ok_after_ok_sends_nothing():
    rules = load_rules(RULES)
    route = rules.root
    assert decide(make_alarm(state="OK", previous_state="ALARM"), route)[0] == "resolve"
    action, reason = decide(make_alarm(state="OK", previous_state="OK"), route)
    assert action is None and "nothing to resolve" in reason
    assert decide(make_alarm(state="OK", previous_state="INSUFFICIENT_DATA"), route)[0] is None


def test_send_resolved_false_keeps_a_route_quiet_on_ok():
    rules = load_rules(RULES)
    ok = make_alarm(state="OK", previous_state="ALARM")
    # prod-page resolves its PagerDuty incident; prod-rest does not send a resolved note.
    assert receivers(ok, rules) == [("pagerduty", "resolve")]
    assert ("prod-rest", "resolved notifications are off on this route") in plan(ok, rules).skipped


def test_insufficient_data_is_configurable_per_route():
    rules = load_rules(RULES)
    gap = make_alarm(env="dev", severity="info", state="INSUFFICIENT_DATA")
    assert receivers(gap, rules) == []  # default route ignores it
    tagged = replace(gap, tags={"Team": "chat", "Notify": "x"})
    assert receivers(tagged, rules) == [("email", "trigger")]
    back = replace(tagged, state="OK", previous_state="INSUFFICIENT_DATA")
    assert receivers(back, rules) == [("email", "resolve")]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["route"].update(receivers=["nobody"]), "route.receivers: unknown receiver"),
        (lambda d: d["receivers"]["slack"].update(type="carrier-pigeon"), "receivers.slack.type"),
        (lambda d: d["receivers"]["hook"].pop("secret"), "receivers.hook.secret"),
        (lambda d: d["route"].update(match={"env": "prod"}), "route.match"),
        (lambda d: d["route"].pop("receivers"), "the root (default) route needs a receiver"),
        (
            lambda d: d["route"]["routes"][1]["match"].update(severity="urgent"),
            "route.routes[1].match.severity",
        ),
        (
            lambda d: d["route"]["routes"][3].update(insufficient_data="page"),
            "route.routes[3].insufficient_data",
        ),
        (lambda d: d["route"]["routes"][2]["match"].update(colour="red"), "unknown keys"),
        (lambda d: d["route"]["routes"][0].update(continue_="yes"), "unknown keys"),
        (lambda d: d.update(extra=1), "unknown top-level keys"),
        (lambda d: d["receivers"]["email"].update(topic_arn="mail@example.com"), "topic_arn"),
    ],
)
def test_invalid_rules_are_refused_with_the_place_named(mutate, message):
    doc = copy.deepcopy(RULES)
    mutate(doc)
    with pytest.raises(RoutingConfigError, match=re.escape(message)):
        load_rules(doc)


def test_a_document_that_is_not_an_object_is_refused():
    with pytest.raises(RoutingConfigError):
        load_rules(["not", "rules"])
