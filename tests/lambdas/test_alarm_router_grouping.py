"""Grouping, inhibition, silences and repeats as pure decisions; the state's conflict handling."""

import dataclasses

import pytest
from alarm_router.alarm import Alarm
from alarm_router.grouping import (
    FIRING,
    RESOLVED,
    Silence,
    admit,
    after_flush,
    flush,
    group_id,
    inhibited_by,
    new_group,
    transition,
)
from alarm_router.routing import RoutingConfigError, load_matcher, load_rules, parse_interval
from alarm_router.state import Conflict, MemoryTable, State

RULES = load_rules(
    {
        "receivers": {"pd": {"type": "pagerduty", "secret": "pd"}},
        "route": {
            "receivers": ["pd"],
            "routes": [
                {
                    "name": "grouped",
                    "match": {"env": "prod"},
                    "group_by": ["env", "tags.Cluster"],
                    "group_wait": "30s",
                    "group_interval": "5m",
                    "repeat_interval": "1h",
                },
            ],
        },
        "inhibit_rules": [
            {
                "source_match": {"alarm_name": "*-failover"},
                "target_match": {"severity": "warning"},
                "equal": ["tags.Cluster"],
            },
        ],
    }
)
GROUPED = RULES.root.routes[0]
ALONE = RULES.root


def alarm(name, state="ALARM", ts="2027-01-01T00:00:00.000Z", cluster="main", severity="warning", env="prod"):
    return Alarm(
        name=name,
        arn=f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
        account="123456789012",
        region="us-east-1",
        state=state,
        previous_state="OK",
        reason="",
        timestamp=ts,
        alarm_type="metric",
        env=env,
        severity=severity,
        tags={"Cluster": cluster},
    )


def flushed(group, now, **kw):
    kw.setdefault("silences", [])
    kw.setdefault("firing", {})
    kw.setdefault("inhibit_rules", RULES.inhibit_rules)
    return flush(group, now, **kw)


def test_group_timings_inherit_and_parse():
    assert (GROUPED.group_wait, GROUPED.group_interval, GROUPED.repeat_interval) == (30, 300, 3600)
    assert (ALONE.group_by, ALONE.group_wait, ALONE.group_interval) == (None, 0, 0)
    assert parse_interval("1h30m", "x") == 5400 and parse_interval(45, "x") == 45


@pytest.mark.parametrize(
    "route",
    [{"group_by": ["colour"]}, {"group_by": "env"}, {"group_wait": "soon"}, {"repeat_interval": "-1s"}],
)
def test_bad_grouping_settings_are_refused(route):
    with pytest.raises(RoutingConfigError):
        load_rules({"receivers": {"pd": {"type": "email"}}, "route": {"receivers": ["pd"], **route}})


def test_alarms_with_the_same_group_labels_share_a_group_per_receiver_and_route():
    a, b, c = alarm("a"), alarm("b"), alarm("c", cluster="other")
    assert group_id("pd", GROUPED, a) == group_id("pd", GROUPED, b)
    assert group_id("pd", GROUPED, a)[0] != group_id("pd", GROUPED, c)[0]
    assert group_id("pd", GROUPED, a)[0] != group_id("slack", GROUPED, a)[0]
    assert group_id("pd", ALONE, a)[0] != group_id("pd", ALONE, b)[0]


def test_insufficient_data_changes_nothing_on_an_ignore_route():
    assert transition(alarm("a", "INSUFFICIENT_DATA"), GROUPED) is None
    notify = dataclasses.replace(GROUPED, insufficient_data="notify")
    assert transition(alarm("a", "INSUFFICIENT_DATA"), notify) == FIRING
    assert transition(alarm("a", "OK"), GROUPED) == RESOLVED


def test_an_older_or_repeated_state_change_never_overwrites_a_newer_one():
    group = admit(new_group("pd", GROUPED, alarm("a")), alarm("a", ts="2027-01-01T00:00:05.000Z"), FIRING, 0)
    assert admit(group, alarm("a", "OK", ts="2027-01-01T00:00:01.000Z"), RESOLVED, 1) is None
    assert admit(group, alarm("a", ts="2027-01-01T00:00:05.000Z"), FIRING, 1) is None
    assert admit(new_group("pd", GROUPED, alarm("x")), alarm("x", "OK"), RESOLVED, 0) is None


def test_group_wait_then_group_interval_then_repeat():
    group = admit(new_group("pd", GROUPED, alarm("a")), alarm("a"), FIRING, 100)
    assert group.next_flush_at == 130
    group = admit(group, alarm("b"), FIRING, 110)
    assert group.next_flush_at == 130  # the wait is not extended by later alarms
    done = flushed(group, 130)
    assert done.notification.action == "trigger" and len(done.notification.firing) == 2
    group = after_flush(group, done, 130)
    assert group.next_flush_at == 130 + 3600  # nothing pending: the repeat
    group = admit(group, alarm("c", ts="2027-01-01T00:01:00.000Z"), FIRING, 200)
    assert group.next_flush_at == 130 + 300
    assert flushed(group, 430).notification.repeat is False


def test_an_alarm_that_resolves_before_anyone_was_told_is_never_sent():
    group = admit(new_group("pd", GROUPED, alarm("a")), alarm("a"), FIRING, 0)
    group = admit(group, alarm("a", "OK", ts="2027-01-01T00:00:10.000Z"), RESOLVED, 10)
    done = flushed(group, 30)
    assert done.notification is None
    assert after_flush(group, done, 30) is None


def test_inhibition_needs_a_firing_source_with_equal_labels_and_never_mutes_the_source_itself():
    source, target = alarm("db-failover", severity="critical"), alarm("app-5xx")
    assert inhibited_by(target, {source.arn: source}, RULES.inhibit_rules) == source.arn
    assert inhibited_by(alarm("app-5xx", cluster="other"), {source.arn: source}, RULES.inhibit_rules) is None
    loud = alarm("x-failover")  # a warning failover matches both sides: it does not mute itself
    assert inhibited_by(loud, {loud.arn: loud}, RULES.inhibit_rules) is None


def test_a_silence_mutes_only_between_its_start_and_end():
    silence = Silence("s1", load_matcher({"alarm_name": "db-*"}, "s"), 100, 200, "maintenance", "me")
    group = admit(new_group("pd", GROUPED, alarm("db-1")), alarm("db-1"), FIRING, 0)
    assert flushed(group, 150, silences=[silence]).muted == {alarm("db-1").arn: "silenced by s1"}
    assert flushed(group, 200, silences=[silence]).notification is not None
    muted = flushed(group, 150, silences=[silence])
    assert after_flush(group, muted, 150).next_flush_at == 150 + 300  # looked at again


def test_a_change_made_while_a_flush_was_sending_is_kept_and_due():
    group = admit(new_group("pd", GROUPED, alarm("a")), alarm("a"), FIRING, 0)
    done = flushed(group, 30)
    meanwhile = admit(group, alarm("a", "OK", ts="2027-01-01T00:00:40.000Z"), RESOLVED, 40)
    after = after_flush(meanwhile, done, 45)
    assert after.members[alarm("a").arn].state == RESOLVED and after.next_flush_at == 45 + 300
    assert flushed(after, 345).notification.action == "resolve"


class RacingTable(MemoryTable):
    """A table where another writer gets in between the first read and write of an item."""

    def __init__(self, intruder):
        super().__init__()
        self.intruder, self.raced = intruder, False

    def save(self, pk, sk, doc, version, expires_at):
        if not self.raced:
            self.raced = True
            self.intruder(self)
        return super().save(pk, sk, doc, version, expires_at)


def test_concurrent_admits_to_one_group_both_survive():
    a, b = alarm("a"), alarm("b")
    gid, _ = group_id("pd", GROUPED, a)

    def other_invocation(table):
        State(table, clock=lambda: 0).update_group(
            gid, lambda g: admit(g or new_group("pd", GROUPED, b), b, FIRING, 0)
        )

    state = State(RacingTable(other_invocation), clock=lambda: 0)
    group = state.update_group(gid, lambda g: admit(g or new_group("pd", GROUPED, a), a, FIRING, 0))
    assert set(group.members) == {a.arn, b.arn}


def test_only_one_claim_of_a_due_group_wins_until_its_lease_runs_out():
    now = [0.0]
    state = State(MemoryTable(), clock=lambda: now[0])
    a = alarm("a")
    gid, _ = group_id("pd", GROUPED, a)
    state.update_group(gid, lambda g: admit(g or new_group("pd", GROUPED, a), a, FIRING, 0))
    now[0] = 30
    assert state.claim(gid, "one") is not None and state.claim(gid, "two") is None
    state.finish(gid, "two", lambda g: None)  # not the owner: changes nothing
    assert state.due_groups(30) == [gid]
    now[0] = 30 + 91
    assert state.claim(gid, "two") is not None


def test_a_table_that_never_stops_conflicting_fails_loudly():
    class Hopeless(MemoryTable):
        def save(self, *args):
            raise Conflict("always")

    state = State(Hopeless(), clock=lambda: 0)
    with pytest.raises(Conflict):
        state.update_group(
            "g", lambda g: admit(g or new_group("pd", GROUPED, alarm("a")), alarm("a"), FIRING, 0)
        )
