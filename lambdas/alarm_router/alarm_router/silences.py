"""Silences: create, list and expire them in the router's state table, from a shell.

    python -m alarm_router.silences --table chat-prod-alarm-router-state create \\
        --match env=prod --match 'alarm_name=chat-prod-db-*' --duration 2h \\
        --comment "CHG-1234 planned failover test"
    python -m alarm_router.silences --table chat-prod-alarm-router-state list [--all]
    python -m alarm_router.silences --table chat-prod-alarm-router-state expire <id>

A silence mutes the alarms its matchers match (the keys routes use: env, severity, alarm_name
globs, namespace, tags.<Key>) from its start to its end; after the end it no longer mutes
anything and DynamoDB deletes it a week later. Alarms still firing when it ends are sent at the
next tick.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3

from .grouping import Silence
from .routing import RoutingConfigError, load_matcher, parse_interval
from .state import DynamoTable, State

MAX_SECONDS = 14 * 24 * 3600  # a longer silence is a route change, not a silence


class SilenceError(ValueError):
    """A silence that must not be created."""


def build(
    matchers: list[str], *, starts_at: float, ends_at: float, comment: str, created_by: str, now: float
) -> dict[str, Any]:
    """A validated silence item from `key=value` matchers (pure)."""
    match: dict[str, Any] = {}
    for item in matchers:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise SilenceError(f"--match {item!r}: write key=value")
        if key.startswith("tags."):
            match.setdefault("tags", {}).setdefault(key[5:], []).append(value)
        else:
            match.setdefault(key, []).append(value)
    if not match:
        raise SilenceError("at least one --match: a silence of everything would hide every page")
    try:
        load_matcher(match, "silence")
    except RoutingConfigError as exc:
        raise SilenceError(str(exc)) from exc
    if not comment.strip():
        raise SilenceError("--comment: say why (a change ticket, who to ask)")
    if ends_at <= starts_at:
        raise SilenceError("the silence must end after it starts")
    if ends_at - starts_at > MAX_SECONDS:
        raise SilenceError("a silence lasts at most 14 days; change the routes for longer")
    return {
        "id": uuid.uuid4().hex[:12],
        "match": match,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "comment": comment.strip(),
        "created_by": created_by,
        "created_at": now,
    }


def listing(items: list[dict[str, Any]], now: float, *, everything: bool) -> list[dict[str, Any]]:
    rows = []
    for item in sorted(items, key=lambda i: i["starts_at"]):
        status = (
            "active"
            if Silence.from_item(item).active(now)
            else ("pending" if item["starts_at"] > now else "expired")
        )
        if status == "expired" and not everything:
            continue
        rows.append(
            {**item, "status": status, "starts": _iso(item["starts_at"]), "ends": _iso(item["ends_at"])}
        )
    return rows


def main(
    argv: list[str] | None = None,
    *,
    state: State | None = None,
    out: Any = sys.stdout,
    clock: Callable[[], float] = time.time,
) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alarm_router.silences", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--table", required=state is None, help="the router's state table (STATE_TABLE)")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create")
    create.add_argument("--match", action="append", default=[], help="key=value; repeat for more")
    create.add_argument("--starts", help="ISO-8601 UTC start (default: now)")
    when = create.add_mutually_exclusive_group(required=True)
    when.add_argument("--ends", help="ISO-8601 UTC end")
    when.add_argument("--duration", help="30m, 2h, 1h30m")
    create.add_argument("--comment", required=True)
    create.add_argument("--author", help="who (default: the caller's AWS identity)")
    show = commands.add_parser("list")
    show.add_argument("--all", action="store_true", help="expired ones too")
    expire = commands.add_parser("expire")
    expire.add_argument("id")
    args = parser.parse_args(argv)
    state = state or State(DynamoTable(boto3.client("dynamodb"), args.table))
    now = clock()
    try:
        if args.command == "create":
            starts = _parse_time(args.starts) if args.starts else now
            if args.ends:
                ends = _parse_time(args.ends)
            else:
                ends = starts + parse_interval(args.duration, "--duration")
            author = args.author or boto3.client("sts").get_caller_identity()["Arn"]
            item = build(
                args.match, starts_at=starts, ends_at=ends, comment=args.comment, created_by=author, now=now
            )
            state.put_silence(item)
            print(json.dumps(listing([item], now, everything=True)[0]), file=out)
        elif args.command == "list":
            for row in listing(state.silence_items(), now, everything=args.all):
                print(json.dumps(row), file=out)
        else:
            found = [i for i in state.silence_items() if i["id"] == args.id]
            if not found:
                raise SilenceError(f"no silence {args.id!r}")
            item = {
                **found[0],
                "ends_at": min(found[0]["ends_at"], now),
                "starts_at": min(found[0]["starts_at"], now),
            }
            state.put_silence(item)
            print(json.dumps(listing([item], now, everything=True)[0]), file=out)
    except (SilenceError, RoutingConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _parse_time(text: str) -> float:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    raise SystemExit(main())
