"""Lambda entry point: list the account's RDS snapshots, decide, delete (or not), report.

Gathering is read-only and paginated; the decision is `policy.decide`; deletion is one call per
snapshot, each failure recorded and the rest carried on. Shared snapshots are ruled out by a
last look at each deletion candidate's restore attribute just before it would be deleted.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .policy import MANAGED_TAG, Plan, Policy, PolicyError, Rules, Snapshot, decide, parse_policy

SERVICE = "snapshot-pruner"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Chat/Ops")
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)

# RDS throttles describe and delete calls under load: adaptive client-side rate limiting
# and generous retries, so throttling slows a run down instead of failing it.
BOTO_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 10, "mode": "adaptive"})
# Deletions stop this long before the Lambda timeout, so the report is always written.
STOP_MARGIN_SECONDS = 20.0
# How many snapshot ids per skip reason the report lists (all are counted).
LISTED_PER_REASON = 25
# How many deleted snapshots the log line lists (the returned report lists all).
LISTED_IN_LOG = 200


class ConfigError(RuntimeError):
    """The function's own settings are unusable; nothing is deleted."""


@dataclass(frozen=True)
class Settings:
    env: str
    policy: Policy
    retention_tag: str
    keep_tag: str
    managed_tag: tuple[str, str]
    max_deletions: int
    dry_run: bool

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
        try:
            policy = parse_policy(environ.get("RETENTION_POLICY", "last=3,daily=7,weekly=4,monthly=12"))
        except PolicyError as exc:
            raise ConfigError(f"RETENTION_POLICY: {exc}") from exc
        if not policy.keeps_something():
            raise ConfigError("RETENTION_POLICY keeps nothing: name at least one rule")
        try:
            cap = int(environ.get("MAX_DELETIONS_PER_RUN", "50"))
        except ValueError as exc:
            raise ConfigError("MAX_DELETIONS_PER_RUN must be a whole number") from exc
        if cap < 0:
            raise ConfigError("MAX_DELETIONS_PER_RUN must be >= 0")
        key, sep, value = environ.get("MANAGED_TAG", "=".join(MANAGED_TAG)).partition("=")
        if not (sep and key.strip() and value.strip()):
            raise ConfigError("MANAGED_TAG must be key=value (the tag IAM also requires to delete)")
        return cls(
            env=environ.get("ENV", ""),
            policy=policy,
            retention_tag=environ.get("RETENTION_TAG", "snapshot-retention"),
            keep_tag=environ.get("KEEP_TAG", "keep"),
            managed_tag=(key.strip(), value.strip()),
            max_deletions=cap,
            dry_run=environ.get("DRY_RUN", "false").strip().lower() in ("1", "true", "yes"),
        )

    def for_event(self, event: dict[str, Any] | None) -> Settings:
        """A hand-run may only make the run safer: turn dry-run on, lower the cap.

        A dry run deletes nothing, so it may also raise the cap, to preview the whole backlog.
        """
        if not isinstance(event, dict):
            return self
        dry_run = self.dry_run or event.get("dry_run") is True
        cap = self.max_deletions
        requested = event.get("max_deletions")
        if isinstance(requested, int) and not isinstance(requested, bool) and requested >= 0:
            cap = requested if dry_run else min(cap, requested)
        return replace(self, max_deletions=cap, dry_run=dry_run)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = Settings.from_env().for_event(event)
    if settings.env:
        metrics.add_dimension(name="Env", value=settings.env)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deadline = time.monotonic() + remaining() / 1000 - STOP_MARGIN_SECONDS if remaining else None
    rds = boto3.client("rds", config=BOTO_CONFIG)
    account = boto3.client("sts", config=BOTO_CONFIG).get_caller_identity()["Account"]
    return prune(rds, account, settings, deadline=deadline)


def prune(rds: Any, account: str, settings: Settings, *, deadline: float | None = None) -> dict[str, Any]:
    started = time.monotonic()
    per_source, unreadable = source_policies(rds, settings)
    snapshots = list_snapshots(rds)
    rules = Rules(
        account=account,
        default=settings.policy,
        per_source=per_source,
        unreadable_sources=unreadable,
        keep_tag=settings.keep_tag,
        managed_tag=settings.managed_tag,
        max_deletions=settings.max_deletions,
    )
    plan = decide(snapshots, rules)
    deleted, errors = carry_out(rds, plan, settings, deadline)
    report = summarize(plan, deleted, errors, settings, len(snapshots), time.monotonic() - started)
    logger.info("snapshot pruning report", extra={"report": for_log(report)})
    count = len(deleted)
    metrics.add_metric(name="SnapshotsSeen", unit=MetricUnit.Count, value=len(snapshots))
    metrics.add_metric(name="SnapshotsKept", unit=MetricUnit.Count, value=len(plan.keep))
    metrics.add_metric(
        name="SnapshotsWouldDelete" if settings.dry_run else "SnapshotsDeleted",
        unit=MetricUnit.Count,
        value=count,
    )
    metrics.add_metric(name="SnapshotsSkipped", unit=MetricUnit.Count, value=sum(report["skipped"].values()))
    metrics.add_metric(name="PruneErrors", unit=MetricUnit.Count, value=len(errors))
    return report


def for_log(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its snapshot list cut, so the log line stays under CloudWatch's event size."""
    key = "would_delete" if report["dry_run"] else "deleted"
    listed = report[key]
    if len(listed) <= LISTED_IN_LOG:
        return report
    return {
        **report,
        key: listed[:LISTED_IN_LOG],
        f"{key}_count": len(listed),
        f"{key}_listed": LISTED_IN_LOG,
    }


def source_policies(
    rds: Any, settings: Settings
) -> tuple[dict[tuple[str, str], Policy], dict[tuple[str, str], str]]:
    """Per-source policies from the instance or cluster tag; a bad tag protects its source."""
    policies: dict[tuple[str, str], Policy] = {}
    unreadable: dict[tuple[str, str], str] = {}
    sources = [
        ("instance", "describe_db_instances", "DBInstances", "DBInstanceIdentifier"),
        ("cluster", "describe_db_clusters", "DBClusters", "DBClusterIdentifier"),
    ]
    for kind, operation, key, id_key in sources:
        for page in rds.get_paginator(operation).paginate():
            for item in page.get(key, []):
                tags = {t["Key"]: t["Value"] for t in item.get("TagList", [])}
                spec = tags.get(settings.retention_tag)
                if spec is None:
                    continue
                source = (kind, item[id_key])
                try:
                    policies[source] = parse_policy(spec, base=settings.policy)
                except PolicyError as exc:
                    logger.error("unreadable retention tag: source left alone", extra={"source": source[1]})
                    unreadable[source] = f"unreadable {settings.retention_tag} tag on the source: {exc}"
    return policies, unreadable


def list_snapshots(rds: Any) -> list[Snapshot]:
    """Manual instance and cluster snapshots of this account (shared ones are not listed)."""
    found: list[Snapshot] = []
    for page in rds.get_paginator("describe_db_snapshots").paginate(SnapshotType="manual"):
        for item in page.get("DBSnapshots", []):
            found.append(
                _snapshot(item, "instance", item["DBSnapshotIdentifier"], item.get("DBInstanceIdentifier"))
            )
    for page in rds.get_paginator("describe_db_cluster_snapshots").paginate(SnapshotType="manual"):
        for item in page.get("DBClusterSnapshots", []):
            found.append(
                _snapshot(
                    item, "cluster", item["DBClusterSnapshotIdentifier"], item.get("DBClusterIdentifier")
                )
            )
    return found


def _snapshot(item: dict[str, Any], kind: str, ident: str, source: str | None) -> Snapshot:
    arn = item.get("DBSnapshotArn") or item.get("DBClusterSnapshotArn") or ""
    parts = arn.split(":")
    created = item.get("SnapshotCreateTime")
    if isinstance(created, datetime) and created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return Snapshot(
        id=ident,
        arn=arn,
        kind=kind,
        source=source or "",
        created=created if isinstance(created, datetime) else None,
        status=item.get("Status", ""),
        snapshot_type=item.get("SnapshotType", ""),
        owner=parts[4] if len(parts) > 4 else "",
        tags=tuple((t["Key"], t.get("Value", "")) for t in item.get("TagList", [])),
    )


def sharing(rds: Any, snapshot: Snapshot) -> str | None:
    """Why the snapshot is restorable outside this account (public, or shared), or None."""
    if snapshot.kind == "instance":
        answer = rds.describe_db_snapshot_attributes(DBSnapshotIdentifier=snapshot.id)
        attrs = answer["DBSnapshotAttributesResult"]["DBSnapshotAttributes"]
    else:
        answer = rds.describe_db_cluster_snapshot_attributes(DBClusterSnapshotIdentifier=snapshot.id)
        attrs = answer["DBClusterSnapshotAttributesResult"]["DBClusterSnapshotAttributes"]
    restorers = {
        v for a in attrs if a.get("AttributeName") == "restore" for v in a.get("AttributeValues") or []
    }
    if "all" in restorers:
        return "public (restore=all): left for a person to look at"
    return "shared with another account" if restorers else None


def carry_out(
    rds: Any, plan: Plan, settings: Settings, deadline: float | None
) -> tuple[list[Snapshot], list[dict[str, str]]]:
    deleted: list[Snapshot] = []
    errors: list[dict[str, str]] = []
    for index, snapshot in enumerate(plan.delete):
        if deadline is not None and time.monotonic() >= deadline:
            plan.skip.extend((s, "out of time this run") for s in plan.delete[index:])
            break
        try:
            shared = sharing(rds, snapshot)
            if shared:
                plan.skip.append((snapshot, shared))
                continue
            if not settings.dry_run:
                if snapshot.kind == "instance":
                    rds.delete_db_snapshot(DBSnapshotIdentifier=snapshot.id)
                else:
                    rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot.id)
        except (ClientError, BotoCoreError) as exc:
            # One failure (already gone, state changed, throttled past retries) never stops the rest.
            logger.warning("snapshot not deleted", extra={"snapshot": snapshot.id, "error": str(exc)})
            errors.append({"id": snapshot.id, "kind": snapshot.kind, "error": str(exc)})
            continue
        deleted.append(snapshot)
    plan.delete = deleted
    return deleted, errors


def summarize(
    plan: Plan,
    deleted: list[Snapshot],
    errors: list[dict[str, str]],
    settings: Settings,
    seen: int,
    seconds: float,
) -> dict[str, Any]:
    reasons = Counter(reason for _, reason in plan.skip)
    examples: dict[str, list[str]] = {}
    for snapshot, reason in plan.skip:
        listed = examples.setdefault(reason, [])
        if len(listed) < LISTED_PER_REASON:
            listed.append(snapshot.id)
    return {
        "dry_run": settings.dry_run,
        "policy": settings.policy.spec(),
        "max_deletions": settings.max_deletions,
        "seen": seen,
        "kept": len(plan.keep),
        "would_delete" if settings.dry_run else "deleted": [
            {"id": s.id, "kind": s.kind, "source": s.source, "created": s.created.isoformat()}
            for s in deleted
            if s.created is not None
        ],
        "skipped": dict(sorted(reasons.items())),
        "skipped_examples": examples,
        "errors": errors,
        "seconds": round(seconds, 3),
    }
