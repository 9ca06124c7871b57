"""The routing tree and the per-route decision: pure functions, no AWS."""

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from alarm_router.alarm import Alarm
from alarm_router.grouping import FIRING, RESOLVED, admit, after_flush, flush, new_group, targets
from alarm_router.routing import RoutingConfigError, load_rules, match_routes

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
RULES_LOADED = load_rules(RULES)


def names(routes):
    return [r.name for r in routes]


def receivers(alarm, rules):
    return sorted((t.receiver, t.change) for t in targets(alarm, rules)[0])


def test_the_bundled_rules_load_and_page_prod_critical():
    rules = load_rules(json.loads(BUNDLED.read_text()))
    assert receivers(make_alarm(), rules) == [
        ("email", "firing"),
        ("pagerduty", "firing"),
        ("slack", "firing"),
    ]
    dev = make_alarm(env="dev", severity="warning")
    assert receivers(dev, rules) == [("slack", "firing")]


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
    assert receivers(alarm, rules) == [("slack", "firing")]


def test_nested_routes_inherit_receivers_and_first_child_wins():
    rules = load_rules(RULES)
    db = make_alarm(namespace="AWS/RDS")
    # db-prod-critical matches first, has no receivers of its own: it inherits slack-db.
    assert names(match_routes(db, rules)) == ["db-prod-critical"]
    assert receivers(db, rules) == [("slack-db", "firing")]
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
    assert receivers(make_alarm(), rules) == [("pagerduty", "firing"), ("slack", "firing")]


def sent(route, *alarms):
    """What one receiver's group on `route` sends for a sequence of state changes, flushed each."""
    group, said = None, []
    for at, alarm in enumerate(alarms):
        (target,) = [t for t in targets(alarm, RULES_LOADED)[0] if t.route == route][:1] or [None]
        if target is not None:
            group = admit(group or new_group("r", route, alarm), alarm, target.change, at) or group
        if group is None:
            continue
        done = flush(group, at, silences=[], firing={}, inhibit_rules=())
        if done.notification is not None:
            said.append(done.notification.action)
        group = after_flush(group, done, at)
    return said


def test_ok_resolves_what_was_notified_and_nothing_else():
    route = RULES_LOADED.root
    fired = make_alarm(env="staging", severity="warning", timestamp="2026-11-26T10:00:00.000Z")
    ok = replace(fired, state="OK", previous_state="ALARM", timestamp="2026-11-26T10:05:00.000Z")
    assert sent(route, fired, ok) == ["trigger", "resolve"]
    assert sent(route, ok) == []  # OK after OK: nothing was notified, nothing to resolve
    # ALARM, INSUFFICIENT_DATA (ignored on this route: the alarm stays open), OK: resolved.
    gap = replace(fired, state="INSUFFICIENT_DATA", timestamp="2026-11-26T10:02:00.000Z")
    assert sent(route, fired, gap, ok) == ["trigger", "resolve"]
    # OK after INSUFFICIENT_DATA that was never notified: silent.
    assert sent(route, gap, replace(ok, previous_state="INSUFFICIENT_DATA")) == []


def test_send_resolved_false_keeps_a_route_quiet_on_ok():
    ok = make_alarm(state="OK", previous_state="ALARM", timestamp="2026-11-26T10:05:00.000Z")
    assert receivers(ok, RULES_LOADED) == [("pagerduty", RESOLVED), ("slack", RESOLVED)]
    prod_rest = next(r for r in RULES_LOADED.root.routes if r.name == "prod-rest")
    assert prod_rest.send_resolved is False
    assert sent(prod_rest, make_alarm(timestamp="2026-11-26T10:00:00.000Z"), ok) == ["trigger"]


def test_insufficient_data_is_configurable_per_route():
    rules = load_rules(RULES)
    gap = make_alarm(env="dev", severity="info", state="INSUFFICIENT_DATA")
    assert receivers(gap, rules) == []  # default route ignores it
    tagged = replace(gap, tags={"Team": "chat", "Notify": "x"})
    assert receivers(tagged, rules) == [("email", FIRING)]
    back = replace(tagged, state="OK", previous_state="INSUFFICIENT_DATA")
    assert receivers(back, rules) == [("email", RESOLVED)]


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
