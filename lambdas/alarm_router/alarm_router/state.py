"""The router's shared state: notification groups, firing alarms and silences, in DynamoDB.

One table, partition key `pk` (the kind: group, firing, silence) and sort key `sk` (its id),
the item itself as JSON in `doc`, a `version` for optimistic concurrency and `expires_at` for
DynamoDB's TTL. Concurrent invocations never overwrite each other: every write is conditional
on the version read, and a loser reads again and re-applies its (pure) change. A flush is
claimed with a lease in the group's item, so two invocations never send the same flush; a
claim that dies with its invocation expires and the next scheduled tick takes the group over
(at-least-once: that notification may then be sent twice).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import ClientError

from .alarm import Alarm
from .grouping import Group, Silence

GROUP, FIRING, SILENCE = "group", "firing", "silence"
LEASE_SECONDS = 90
# Kept this long after the last change; a group or firing alarm untouched for so long is gone.
KEEP_SECONDS = 14 * 24 * 3600
# After a silence ends it is listed for this long, then DynamoDB deletes it.
SILENCE_KEPT_SECONDS = 7 * 24 * 3600
MAX_CONFLICTS = 20


class Conflict(Exception):
    """Someone else wrote the item since it was read."""


class Table(Protocol):
    def load(self, pk: str, sk: str) -> tuple[dict[str, Any] | None, int]: ...
    def save(self, pk: str, sk: str, doc: dict[str, Any] | None, version: int, expires_at: int) -> None: ...
    def query(self, pk: str) -> list[tuple[str, dict[str, Any]]]: ...


class DynamoTable:
    def __init__(self, client: Any, name: str):
        self.client, self.name = client, name

    def load(self, pk: str, sk: str) -> tuple[dict[str, Any] | None, int]:
        item = self.client.get_item(
            TableName=self.name, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None, 0
        return json.loads(item["doc"]["S"]), int(item["version"]["N"])

    def save(self, pk: str, sk: str, doc: dict[str, Any] | None, version: int, expires_at: int) -> None:
        """Write (or delete, doc None) the item if its version is still `version` (0: absent)."""
        key = {"pk": {"S": pk}, "sk": {"S": sk}}
        if version:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }
        else:
            condition = {"ConditionExpression": "attribute_not_exists(pk)"}
        try:
            if doc is None:
                self.client.delete_item(TableName=self.name, Key=key, **condition)
            else:
                item = {
                    **key,
                    "doc": {"S": json.dumps(doc, sort_keys=True)},
                    "version": {"N": str(version + 1)},
                    "expires_at": {"N": str(expires_at)},
                }
                self.client.put_item(TableName=self.name, Item=item, **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise Conflict(f"{pk}/{sk} changed since read") from exc
            raise

    def query(self, pk: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        paginator = self.client.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        ):
            found.extend((i["sk"]["S"], json.loads(i["doc"]["S"])) for i in page.get("Items", []))
        return found


class MemoryTable:
    """The same contract in this process only: without a table, groups live as long as the
    execution environment (so a route without group_by still sends at once)."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}

    def load(self, pk: str, sk: str) -> tuple[dict[str, Any] | None, int]:
        doc, version = self.items.get((pk, sk), (None, 0))
        return (json.loads(json.dumps(doc)) if doc is not None else None), version

    def save(self, pk: str, sk: str, doc: dict[str, Any] | None, version: int, expires_at: int) -> None:
        if self.items.get((pk, sk), (None, 0))[1] != version:
            raise Conflict(f"{pk}/{sk} changed since read")
        if doc is None:
            self.items.pop((pk, sk), None)
        else:
            self.items[(pk, sk)] = (json.loads(json.dumps(doc)), version + 1)

    def query(self, pk: str) -> list[tuple[str, dict[str, Any]]]:
        return [(sk, doc) for (p, sk), (doc, _) in sorted(self.items.items()) if p == pk]


class State:
    """Groups, firing alarms and silences over a `Table`, with conflict retries."""

    def __init__(self, table: Table, clock: Callable[[], float] = time.time):
        self.table, self.clock = table, clock

    def change(self, pk: str, sk: str, fn: Callable[[dict[str, Any] | None], dict[str, Any] | None]) -> Any:
        """Read, apply `fn` (pure: it may run again on a conflict), write; returns fn's result."""
        for attempt in range(MAX_CONFLICTS):
            doc, version = self.table.load(pk, sk)
            new = fn(doc)
            if new == doc or (new is None and version == 0):
                return new
            try:
                self.table.save(pk, sk, new, version, _expires_at(pk, new, self.clock()))
                return new
            except Conflict:
                time.sleep(random.uniform(0, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not a secret
        raise Conflict(f"{pk}/{sk}: {MAX_CONFLICTS} conflicting writes in a row")

    # --- groups -------------------------------------------------------------------------

    def update_group(self, gid: str, fn: Callable[[Group | None], Group | None]) -> Group | None:
        def apply(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            current = Group.from_dict(doc["group"]) if doc else None
            new = fn(current)
            if new is None:
                return doc if current is None else None
            return {**(doc or {}), "group": new.to_dict()}

        result = self.change(GROUP, gid, apply)
        return Group.from_dict(result["group"]) if result else None

    def due_groups(self, now: float) -> list[str]:
        return [
            sk
            for sk, doc in self.table.query(GROUP)
            if doc["group"].get("next_flush_at") is not None and doc["group"]["next_flush_at"] <= now
        ]

    def claim(self, gid: str, owner: str) -> Group | None:
        """The group, leased to `owner` for its flush, if it is due and nobody else holds it."""
        now = self.clock()
        claimed: list[Group] = []

        def apply(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            claimed.clear()
            if not doc or doc.get("lease_until", 0) > now:
                return doc
            group = Group.from_dict(doc["group"])
            if group.next_flush_at is None or group.next_flush_at > now:
                return doc
            claimed.append(group)
            return {**doc, "lease_until": now + LEASE_SECONDS, "lease_owner": owner}

        self.change(GROUP, gid, apply)
        return claimed[0] if claimed else None

    def finish(self, gid: str, owner: str, fn: Callable[[Group], Group | None]) -> None:
        """Release the lease and store what the flush changed (on the group as it is now)."""

        def apply(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            if not doc or doc.get("lease_owner") != owner:
                return doc  # the lease expired and someone else took over: they carry on
            rest = {k: v for k, v in doc.items() if k not in ("lease_until", "lease_owner")}
            new = fn(Group.from_dict(doc["group"]))
            return None if new is None else {**rest, "group": new.to_dict()}

        self.change(GROUP, gid, apply)

    def release(self, gid: str, owner: str) -> None:
        """Give the lease back unchanged (the flush failed before anything was recorded)."""
        self.finish(gid, owner, lambda group: group)

    # --- firing alarms, for inhibition ----------------------------------------------------

    def set_firing(self, alarm: Alarm) -> None:
        """Remember whether the alarm fires now; an older state change never overwrites a newer."""

        def apply(doc: dict[str, Any] | None) -> dict[str, Any] | None:
            if doc and doc["alarm"]["timestamp"] >= alarm.timestamp:
                return doc
            return {"alarm": alarm.to_dict()}

        self.change(FIRING, alarm.arn, apply)

    def firing(self) -> dict[str, Alarm]:
        alarms = {sk: Alarm.from_dict(doc["alarm"]) for sk, doc in self.table.query(FIRING)}
        return {arn: a for arn, a in alarms.items() if a.state == "ALARM"}

    # --- silences -------------------------------------------------------------------------

    def put_silence(self, silence: dict[str, Any]) -> None:
        self.change(SILENCE, silence["id"], lambda doc: {"silence": silence})

    def silence_items(self) -> list[dict[str, Any]]:
        return [doc["silence"] for _, doc in self.table.query(SILENCE)]

    def silences(self) -> list[Silence]:
        return [Silence.from_item(item) for item in self.silence_items()]


def _expires_at(pk: str, doc: dict[str, Any] | None, now: float) -> int:
    if pk == SILENCE and doc:
        return int(doc["silence"]["ends_at"]) + SILENCE_KEPT_SECONDS
    return int(now) + KEEP_SECONDS
