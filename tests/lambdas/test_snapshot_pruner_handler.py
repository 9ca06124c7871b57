"""The snapshot pruner against moto's RDS: instances and clusters, thousands of snapshots."""

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from lambda_support import ACCOUNT, REGION, LambdaContext, metric_values

T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def rds(aws, monkeypatch):
    monkeypatch.setenv("MOTO_RDS_SNAPSHOT_LIMIT", "20000")
    settings = ("RETENTION_POLICY", "DRY_RUN", "MAX_DELETIONS_PER_RUN", "KEEP_TAG", "RETENTION_TAG")
    for key in (*settings, "MANAGED_TAG"):
        monkeypatch.delenv(key, raising=False)
    client = boto3.client("rds", region_name=REGION)
    for name, tags in (
        ("chat-db-a", []),
        ("chat-db-b", [{"Key": "snapshot-retention", "Value": "last=10"}]),
        ("chat-db-bad", [{"Key": "snapshot-retention", "Value": "daily=lots"}]),
    ):
        client.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="chat",
            MasterUserPassword="not-a-real-password",
            Tags=tags,
        )
    client.create_db_cluster(
        DBClusterIdentifier="chat-aurora",
        Engine="aurora-postgresql",
        MasterUsername="chat",
        MasterUserPassword="not-a-real-password",
    )
    return client


def backend():
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT][REGION]


MANAGED = [{"Key": "managed-by", "Value": "chat-snapshot-pruner"}]


def seed(source, count, *, kind="instance", every=timedelta(hours=6), start=T0, prefix=None, tags=MANAGED):
    """Many snapshots straight into moto's RDS model (the API would take minutes), dated."""
    made = []
    for i in range(count):
        ident = f"{prefix or source}-{i:05d}"
        if kind == "instance":
            snap = backend().create_db_snapshot(source, ident, tags=list(tags))
        else:
            snap = backend().create_db_cluster_snapshot(source, ident, tags=list(tags))
        snap.created = start + i * every
        made.append(ident)
    return made


def instance_ids(client):
    pages = client.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual")
    return {s["DBSnapshotIdentifier"] for p in pages for s in p["DBSnapshots"]}


def cluster_ids(client):
    pages = client.get_paginator("describe_db_cluster_snapshots").paginate(SnapshotType="manual")
    return {s["DBClusterSnapshotIdentifier"] for p in pages for s in p["DBClusterSnapshots"]}


def run(monkeypatch, event=None, **env):
    from snapshot_pruner import handler

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return handler.lambda_handler(event or {}, LambdaContext(remaining_ms=900_000))


def test_thousands_of_instance_and_cluster_snapshots_are_pruned_oldest_first(
    rds, monkeypatch, capsys, caplog
):
    from snapshot_pruner import handler
    from snapshot_pruner.policy import Rules, decide, parse_policy

    # Four a day on two instances (200 and 150 days), two a day for 300 days on a cluster: 2000.
    a = seed("chat-db-a", 800)
    seed("chat-db-b", 600)  # tagged last=10 on the instance
    c = seed("chat-aurora", 600, kind="cluster", every=timedelta(hours=12))
    policy = "last=3,daily=7,weekly=4,monthly=12,within=200d"
    before = handler.list_snapshots(rds)
    expected = decide(
        before,
        Rules(
            account=ACCOUNT,
            default=parse_policy(policy),
            per_source={("instance", "chat-db-b"): parse_policy("last=10", parse_policy(policy))},
            max_deletions=150,
        ),
    )
    report = run(monkeypatch, RETENTION_POLICY=policy, MAX_DELETIONS_PER_RUN="150", ENV="test")
    assert report["seen"] == 2000 and report["errors"] == []
    assert [d["id"] for d in report["deleted"]] == [s.id for s in expected.delete]
    assert len(report["deleted"]) == 150
    # The oldest go first: here all from the cluster, whose snapshots reach back furthest.
    assert report["deleted"][0]["id"] == c[0] and report["deleted"][0]["kind"] == "cluster"
    assert report["skipped"]["deletion cap reached"] == len(expected.skip)
    left = instance_ids(rds) | cluster_ids(rds)
    assert len(left) == 1850
    assert {a[-1], c[-1], "chat-db-b-00599"} <= left
    out = capsys.readouterr().out
    assert metric_values(out, "SnapshotsDeleted", Env="test") == [150]
    assert metric_values(out, "SnapshotsSeen", Env="test") == [2000]
    (logged,) = [r for r in caplog.records if r.getMessage() == "snapshot pruning report"]
    assert logged.report["deleted"] == report["deleted"]


def test_a_second_run_deletes_nothing_more(rds, monkeypatch):
    ids = seed("chat-db-a", 60, every=timedelta(hours=8))
    c = seed("chat-aurora", 30, kind="cluster", every=timedelta(days=1))
    first = run(monkeypatch, RETENTION_POLICY="last=2,daily=5", MAX_DELETIONS_PER_RUN="500")
    # Three a day on the instance: the last two, and the newest of each of the last five days.
    assert instance_ids(rds) == {ids[i] for i in (59, 58, 56, 53, 50, 47)}
    assert cluster_ids(rds) == set(c[-5:])
    assert len(first["deleted"]) == 90 - 11
    again = run(monkeypatch)
    assert again["deleted"] == [] and again["seen"] == 11


def test_the_cap_deletes_the_oldest_first_and_reports_the_rest(rds, monkeypatch):
    ids = seed("chat-db-a", 40, every=timedelta(days=1))
    report = run(monkeypatch, RETENTION_POLICY="last=5", MAX_DELETIONS_PER_RUN="10")
    assert [d["id"] for d in report["deleted"]] == ids[:10]
    assert report["skipped"] == {"deletion cap reached": 25}
    assert instance_ids(rds) == set(ids[10:])


def test_dry_run_reports_what_it_would_delete_and_deletes_nothing(rds, monkeypatch, capsys):
    ids = seed("chat-db-a", 12, every=timedelta(days=1))
    report = run(monkeypatch, {"dry_run": True}, RETENTION_POLICY="last=2")
    assert report["dry_run"] is True
    assert [d["id"] for d in report["would_delete"]] == ids[:10]
    assert "deleted" not in report
    assert instance_ids(rds) == set(ids)
    assert metric_values(capsys.readouterr().out, "SnapshotsWouldDelete") == [10]


def test_an_event_cannot_turn_dry_run_off_or_raise_the_cap_of_a_real_run(rds, monkeypatch):
    ids = seed("chat-db-a", 12, every=timedelta(days=1))
    report = run(
        monkeypatch, {"dry_run": False, "max_deletions": 999}, RETENTION_POLICY="last=2", DRY_RUN="true"
    )
    assert report["dry_run"] is True and instance_ids(rds) == set(ids)
    raised = run(
        monkeypatch,
        {"max_deletions": 999},
        RETENTION_POLICY="last=2",
        DRY_RUN="false",
        MAX_DELETIONS_PER_RUN="4",
    )
    assert [d["id"] for d in raised["deleted"]] == ids[:4]
    lowered = run(monkeypatch, {"max_deletions": 3}, RETENTION_POLICY="last=2", DRY_RUN="false")
    assert [d["id"] for d in lowered["deleted"]] == ids[4:7]


def test_a_dry_run_by_hand_may_preview_past_the_cap(rds, monkeypatch):
    ids = seed("chat-db-a", 30, every=timedelta(days=1))
    report = run(
        monkeypatch,
        {"dry_run": True, "max_deletions": 1000},
        RETENTION_POLICY="last=2",
        MAX_DELETIONS_PER_RUN="5",
    )
    assert len(report["would_delete"]) == 28 and "deletion cap reached" not in report["skipped"]
    assert instance_ids(rds) == set(ids)


def test_protected_snapshots_are_never_deleted(rds, monkeypatch):
    ids = seed("chat-db-a", 10, every=timedelta(days=1))
    rds.add_tags_to_resource(
        ResourceName=f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:{ids[0]}",
        Tags=[{"Key": "keep", "Value": "audit 2025"}],
    )
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier=ids[1], AttributeName="restore", ValuesToAdd=["210987654321"]
    )
    backend().database_snapshots[ids[2]].status = "creating"
    automated = backend().create_db_snapshot(
        "chat-db-a", "rds:chat-db-a-2025-01-01", snapshot_type="automated"
    )
    automated.created = T0
    backup = backend().create_db_snapshot("chat-db-a", "awsbackup:job-0001", snapshot_type="awsbackup")
    backup.created = T0
    report = run(monkeypatch, RETENTION_POLICY="last=1", MAX_DELETIONS_PER_RUN="100")
    left = instance_ids(rds)
    assert {ids[0], ids[1], ids[2], ids[-1]} <= left
    assert [d["id"] for d in report["deleted"]] == ids[3:-1]
    assert report["skipped"]["tagged keep"] == 1
    assert report["skipped"]["shared with another account"] == 1
    assert report["skipped"]["status creating"] == 1
    for kind, ident in (("automated", "rds:chat-db-a-2025-01-01"), ("awsbackup", "awsbackup:job-0001")):
        listed = rds.describe_db_snapshots(SnapshotType=kind)["DBSnapshots"]
        assert ident in {s["DBSnapshotIdentifier"] for s in listed}


def test_a_source_tag_overrides_the_policy_and_a_bad_tag_protects_its_source(rds, monkeypatch):
    b = seed("chat-db-b", 30, every=timedelta(days=1))  # tagged last=10
    bad = seed("chat-db-bad", 30, every=timedelta(days=1))
    report = run(monkeypatch, RETENTION_POLICY="last=2", MAX_DELETIONS_PER_RUN="100")
    assert instance_ids(rds) == set(b[-10:]) | set(bad)
    reason = next(r for r in report["skipped"] if r.startswith("unreadable snapshot-retention tag"))
    assert report["skipped"][reason] == 30


def test_snapshots_of_a_deleted_instance_keep_their_newest(rds, monkeypatch):
    ids = seed("chat-db-a", 8, every=timedelta(days=1))
    rds.delete_db_instance(DBInstanceIdentifier="chat-db-a", SkipFinalSnapshot=True)
    run(monkeypatch, RETENTION_POLICY="last=1")
    assert instance_ids(rds) == {ids[-1]}


class FailingDeletes:
    """The real moto client, except that deleting the named snapshots fails as AWS would."""

    def __init__(self, client, failing):
        self._client, self._failing = client, failing

    def __getattr__(self, name):
        return getattr(self._client, name)

    def delete_db_snapshot(self, **kwargs):
        from botocore.exceptions import ClientError

        if kwargs["DBSnapshotIdentifier"] in self._failing:
            raise ClientError(
                {"Error": {"Code": "InvalidDBSnapshotState", "Message": "snapshot is being copied"}},
                "DeleteDBSnapshot",
            )
        return self._client.delete_db_snapshot(**kwargs)


def test_one_failed_deletion_never_stops_the_rest(rds, monkeypatch, capsys):
    from snapshot_pruner import handler

    ids = seed("chat-db-a", 10, every=timedelta(days=1))
    monkeypatch.setenv("RETENTION_POLICY", "last=2")
    settings = handler.Settings.from_env()
    report = handler.prune(FailingDeletes(rds, {ids[1], ids[4]}), ACCOUNT, settings)
    assert [e["id"] for e in report["errors"]] == [ids[1], ids[4]]
    assert "InvalidDBSnapshotState" in report["errors"][0]["error"]
    assert instance_ids(rds) == {ids[1], ids[4], ids[8], ids[9]}


def test_throttling_is_retried_with_backoff(rds, monkeypatch):
    from botocore.awsrequest import AWSResponse
    from snapshot_pruner import handler

    ids = seed("chat-db-a", 4, every=timedelta(days=1))
    client = boto3.client("rds", region_name=REGION, config=handler.BOTO_CONFIG)
    throttled = []

    class Raw:
        def stream(self, **_):
            yield b""

    def throttle_first_read(request, **_):
        # Reads only: moto still answers the request behind this response, harmless for a read.
        body = request.body or b""
        body = body.decode() if isinstance(body, bytes) else body
        for action in ("DescribeDBSnapshots", "DescribeDBSnapshotAttributes"):
            if f"Action={action}&" in body and action not in throttled:
                throttled.append(action)
                response = AWSResponse(request.url, 400, {}, Raw())
                response._content = (
                    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>"
                )
                return response
        return None

    client.meta.events.register_first("before-send", throttle_first_read)
    monkeypatch.setenv("RETENTION_POLICY", "last=1")
    report = handler.prune(client, ACCOUNT, handler.Settings.from_env())
    assert throttled == ["DescribeDBSnapshots", "DescribeDBSnapshotAttributes"]
    assert report["errors"] == [] and report["seen"] == 4
    assert instance_ids(rds) == {ids[-1]}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("RETENTION_POLICY", "daily=often", "RETENTION_POLICY"),
        ("RETENTION_POLICY", "last=0", "keeps nothing"),
        ("MAX_DELETIONS_PER_RUN", "-1", "MAX_DELETIONS_PER_RUN"),
        ("MAX_DELETIONS_PER_RUN", "ten", "MAX_DELETIONS_PER_RUN"),
    ],
)
# A run stopped by its settings has no metrics to publish; Powertools warns about that.
@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_bad_settings_stop_the_run_before_anything_is_deleted(rds, monkeypatch, key, value, message):
    from snapshot_pruner import handler

    ids = seed("chat-db-a", 5, every=timedelta(days=1))
    with pytest.raises(handler.ConfigError, match=message):
        run(monkeypatch, **{key: value})
    assert instance_ids(rds) == set(ids)


def test_the_report_is_json_serializable(rds, monkeypatch):
    seed("chat-db-a", 5, every=timedelta(days=1))
    report = run(monkeypatch, RETENTION_POLICY="last=1", DRY_RUN="true")
    assert json.loads(json.dumps(report))["would_delete"]


def test_the_log_line_lists_at_most_200_snapshots_and_counts_all(rds, monkeypatch, caplog):
    seed("chat-db-a", 260, every=timedelta(hours=1))
    report = run(monkeypatch, {"dry_run": True, "max_deletions": 1000}, RETENTION_POLICY="last=1")
    assert len(report["would_delete"]) == 259
    (logged,) = [r for r in caplog.records if r.getMessage() == "snapshot pruning report"]
    assert len(logged.report["would_delete"]) == 200
    assert logged.report["would_delete_count"] == 259


@pytest.mark.parametrize("policy", ["last=1", "daily=1", "weekly=1", "monthly=1", "yearly=1", "within=1h"])
def test_an_operators_untagged_snapshot_survives_every_policy(rds, monkeypatch, policy):
    managed = seed("chat-db-a", 20, every=timedelta(days=1))
    (operator,) = seed("chat-db-a", 1, start=T0 - timedelta(days=900), prefix="pre-migration", tags=[])
    report = run(monkeypatch, RETENTION_POLICY=policy, MAX_DELETIONS_PER_RUN="100")
    assert operator in instance_ids(rds)
    assert report["skipped"]["not managed by the pruner (no managed-by=chat-snapshot-pruner tag)"] == 1
    assert managed[0] not in instance_ids(rds)


def test_a_bad_managed_tag_setting_stops_the_run(rds, monkeypatch):
    from snapshot_pruner import handler

    seed("chat-db-a", 3)
    with pytest.raises(handler.ConfigError, match="MANAGED_TAG"):
        run(monkeypatch, MANAGED_TAG="managed-by")


def test_a_public_snapshot_is_never_deleted_and_reported_as_public(rds, monkeypatch):
    ids = seed("chat-db-a", 5, every=timedelta(days=1))
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier=ids[0], AttributeName="restore", ValuesToAdd=["all"]
    )
    report = run(monkeypatch, RETENTION_POLICY="last=1", MAX_DELETIONS_PER_RUN="100")
    assert ids[0] in instance_ids(rds)
    assert report["skipped"]["public (restore=all): left for a person to look at"] == 1
