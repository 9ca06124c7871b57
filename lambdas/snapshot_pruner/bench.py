"""How long a pruning run over many snapshots takes against moto (not shipped in the zip).

    .venv/bin/python lambdas/snapshot_pruner/bench.py --snapshots 10000 [--max-deletions 50] [--dry-run]

Seeds manual snapshots on four DB instances and one Aurora cluster (a snapshot every six hours
per source, so more than a year of history), then times one run of the pruner the way the
Lambda does it: the source and snapshot listings, the decision, and the deletions (each a
shared-check and a delete call). moto answers in-process, so the figures measure the pruner's
own work plus boto3's request handling, not RDS's latency.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

ACCOUNT, REGION = "123456789012", "us-east-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=10_000)
    parser.add_argument("--max-deletions", type=int, default=50)
    parser.add_argument("--policy", default="last=3,daily=7,weekly=4,monthly=12")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto's fake credentials
        AWS_DEFAULT_REGION=REGION,
        MOTO_RDS_SNAPSHOT_LIMIT=str(args.snapshots + 100),
        RETENTION_POLICY=args.policy,
        MAX_DELETIONS_PER_RUN=str(args.max_deletions),
        DRY_RUN="true" if args.dry_run else "false",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    import boto3
    from moto import mock_aws
    from moto.rds.models import rds_backends
    from snapshot_pruner import handler, policy

    with mock_aws():
        rds = boto3.client("rds", region_name=REGION, config=handler.BOTO_CONFIG)
        sources = [f"bench-db-{i}" for i in range(4)]
        for ident in sources:
            rds.create_db_instance(
                DBInstanceIdentifier=ident,
                DBInstanceClass="db.t4g.micro",
                Engine="postgres",
                AllocatedStorage=20,
                MasterUsername="bench",
                MasterUserPassword="bench-password",
            )
        rds.create_db_cluster(
            DBClusterIdentifier="bench-aurora",
            Engine="aurora-postgresql",
            MasterUsername="bench",
            MasterUserPassword="bench-password",
        )
        backend = rds_backends[ACCOUNT][REGION]
        start = datetime(2024, 1, 1, tzinfo=UTC)
        per_source = args.snapshots // 5
        managed = [{"Key": policy.MANAGED_TAG[0], "Value": policy.MANAGED_TAG[1]}]
        seeded = time.monotonic()
        for n in range(args.snapshots):
            which, i = divmod(n, per_source) if n < per_source * 5 else (4, n - per_source * 4)
            if which < 4:
                snap = backend.create_db_snapshot(sources[which], f"bench-db-{which}-{i:06d}", tags=managed)
            else:
                snap = backend.create_db_cluster_snapshot(
                    "bench-aurora", f"bench-aurora-{i:06d}", tags=managed
                )
            snap.created = start + i * timedelta(hours=6)
        seeded = time.monotonic() - seeded

        settings = handler.Settings.from_env()
        marks = [(time.monotonic(), time.process_time())]
        per_policy, unreadable = handler.source_policies(rds, settings)
        snapshots = handler.list_snapshots(rds)
        marks.append((time.monotonic(), time.process_time()))
        plan = policy.decide(
            snapshots,
            policy.Rules(
                account=ACCOUNT,
                default=settings.policy,
                per_source=per_policy,
                unreadable_sources=unreadable,
                keep_tag=settings.keep_tag,
                managed_tag=settings.managed_tag,
                max_deletions=settings.max_deletions,
            ),
        )
        marks.append((time.monotonic(), time.process_time()))
        deleted, errors = handler.carry_out(rds, plan, settings, None)
        marks.append((time.monotonic(), time.process_time()))

    capped = sum(1 for _, reason in plan.skip if reason == "deletion cap reached")
    verb = "would delete" if settings.dry_run else "deleted"
    print(f"snapshots              {len(snapshots):>8}  (seeded in {seeded:.1f} s, not part of the run)")
    print(f"policy                 {settings.policy.spec()}")
    print(f"kept / to delete       {len(plan.keep):>8} / {len(plan.delete) + capped}")
    print(f"{verb:<22} {len(deleted):>8}  (cap {settings.max_deletions}), errors {len(errors)}")
    print(f"{'phase':<22} {'wall s':>8} {'cpu s':>8}")
    for label, (start_mark, end_mark) in zip(
        ["list sources+snapshots", "decide", "carry out"], itertools.pairwise(marks), strict=True
    ):
        print(f"{label:<22} {end_mark[0] - start_mark[0]:>8.2f} {end_mark[1] - start_mark[1]:>8.2f}")
    print(f"{'whole run':<22} {marks[-1][0] - marks[0][0]:>8.2f} {marks[-1][1] - marks[0][1]:>8.2f}")
    print(f"load average           {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
