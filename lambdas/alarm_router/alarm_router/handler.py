"""Lambda entry point: gather the alarm and its context, carry out what `grouping` decides, report.

An alarm state change joins the groups of the receivers its routes name; groups that are due are
flushed at once, the others by the scheduled tick. Deliveries that still fail after retries, and
records that are not alarms, go to the dead-letter queue whole, so an on-call engineer can see
and replay them; the function itself only fails when even that is impossible, and then Lambda's
own retries and on-failure queue take over.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from importlib import resources
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)
from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import (
    GetParameterError,
    TransformParameterError,
)
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from . import payloads
from .alarm import Alarm
from .delivery import DeliveryFailed, RetryPolicy, post_json
from .grouping import (
    Notification,
    Silence,
    admit,
    after_flush,
    flush,
    group_id,
    new_group,
    notification_from_dict,
    notification_to_dict,
    single,
    targets,
)
from .normalize import Rejected, UnrecognizedEvent, identifiers, normalize_event
from .routing import (
    Receiver,
    RoutingConfigError,
    RoutingRules,
    env_of,
    load_rules,
    severity_of,
)
from .state import DynamoTable, MemoryTable, State

SERVICE = "alarm-router"
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Chat/Ops")
logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
# AWS SDK calls only: patching http.client would put every receiver URL - a Slack webhook's
# path is its secret - into X-Ray.
tracer = Tracer(service=SERVICE, patch_modules=["botocore"])

# boto3 calls: short timeouts and adaptive retries, so a throttled or slow AWS API does not
# eat the whole invocation.
BOTO_CONFIG = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 5, "mode": "adaptive"})
DEAD_LETTER_KIND = "alarm-router.delivery-failed"
TICK_KIND = "alarm-router.tick"
UNPARSED_KIND = "alarm-router.unparsed"
# A rejected record's content in the log line (the DLQ message carries all of it).
LOGGED_CHARS = 2000
# SQS takes 256 KiB per message; what is larger is kept cut (and then cannot be replayed).
DLQ_MAX_CHARS = 250_000
# Time kept back at the end of an invocation to dead-letter what could not be delivered.
DEADLINE_MARGIN_SECONDS = 3.0


def clock() -> float:
    """Wall-clock seconds: group timings and silences are in real time (tests move it)."""
    return time.time()


class ConfigError(RuntimeError):
    """The function's own environment is incomplete."""


@dataclass(frozen=True)
class Settings:
    env: str
    secret_prefix: str
    routes_parameter: str | None
    email_topic_arn: str | None
    dlq_url: str | None
    idempotency_table: str | None
    state_table: str | None
    idempotency_ttl: int
    cache_seconds: int
    retry: RetryPolicy
    ca_bundle: str | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | os._Environ[str] = os.environ) -> Settings:
        try:
            retry = RetryPolicy(
                max_attempts=int(environ.get("HTTP_MAX_ATTEMPTS", "4")),
                timeout=float(environ.get("HTTP_TIMEOUT_SECONDS", "5")),
                backoff_base=float(environ.get("HTTP_BACKOFF_BASE_SECONDS", "0.5")),
                backoff_cap=float(environ.get("HTTP_BACKOFF_CAP_SECONDS", "8")),
            )
            ttl = int(environ.get("IDEMPOTENCY_TTL_SECONDS", str(7 * 24 * 3600)))
            cache = int(environ.get("CONFIG_CACHE_SECONDS", "300"))
        except ValueError as exc:
            raise ConfigError(f"alarm router: a numeric setting is not a number: {exc}") from exc
        if retry.max_attempts < 1 or retry.timeout <= 0:
            raise ConfigError("alarm router: HTTP_MAX_ATTEMPTS >= 1 and HTTP_TIMEOUT_SECONDS > 0")
        return cls(
            env=environ.get("ENV", ""),
            secret_prefix=environ.get("SECRET_PREFIX", ""),
            routes_parameter=environ.get("ROUTES_PARAMETER") or None,
            email_topic_arn=environ.get("EMAIL_TOPIC_ARN") or None,
            dlq_url=environ.get("DLQ_URL") or None,
            idempotency_table=environ.get("IDEMPOTENCY_TABLE") or None,
            state_table=environ.get("STATE_TABLE") or None,
            idempotency_ttl=ttl,
            cache_seconds=cache,
            retry=retry,
            ca_bundle=environ.get("RECEIVER_CA_BUNDLE") or None,
        )


class Runtime:
    """Everything built once per execution environment: settings, clients, caches."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._tags: dict[str, tuple[float, dict[str, str]]] = {}
        self._cloudwatch: dict[str, Any] = {}

    @cached_property
    def secrets(self) -> SecretsProvider:
        return SecretsProvider(boto3_client=boto3.client("secretsmanager", config=BOTO_CONFIG))

    @cached_property
    def ssm(self) -> SSMProvider:
        return SSMProvider(boto3_client=boto3.client("ssm", config=BOTO_CONFIG))

    @cached_property
    def sns(self) -> Any:
        return boto3.client("sns", config=BOTO_CONFIG)

    @cached_property
    def sqs(self) -> Any:
        return boto3.client("sqs", config=BOTO_CONFIG)

    @cached_property
    def state(self) -> State:
        if not self.settings.state_table:
            logger.warning(
                "STATE_TABLE unset: groups, silences and inhibitions last one execution environment"
            )
            return State(MemoryTable(), clock=lambda: clock())
        client = boto3.client("dynamodb", config=BOTO_CONFIG)
        return State(DynamoTable(client, self.settings.state_table), clock=lambda: clock())

    @cached_property
    def tls(self) -> ssl.SSLContext | None:
        """Receivers' certificates checked against a private CA bundle when one is set."""
        bundle = self.settings.ca_bundle
        return ssl.create_default_context(cafile=bundle) if bundle else None

    @cached_property
    def idempotency_config(self) -> IdempotencyConfig:
        return IdempotencyConfig(
            event_key_jmespath="[arn, state, timestamp]",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.settings.idempotency_ttl,
        )

    @cached_property
    def process(self) -> Any:
        """`process_alarm`, made idempotent when a table is configured."""
        if not self.settings.idempotency_table:
            logger.warning("IDEMPOTENCY_TABLE unset: repeated notifications are not suppressed")
            return lambda alarm: process_alarm(self, alarm=alarm)
        store = DynamoDBPersistenceLayer(
            table_name=self.settings.idempotency_table,
            boto3_session=boto3.session.Session(),
            boto_config=BOTO_CONFIG,
        )

        @idempotent_function(
            data_keyword_argument="alarm",
            persistence_store=store,
            config=self.idempotency_config,
        )
        def once(alarm: dict[str, Any]) -> dict[str, Any]:
            return process_alarm(self, alarm=alarm)

        return once

    def bundled_rules(self) -> RoutingRules:
        text = resources.files(__package__).joinpath("routes.json").read_text()
        return load_rules(json.loads(text))

    def rules(self) -> RoutingRules:
        name = self.settings.routes_parameter
        if not name:
            return self.bundled_rules()
        try:
            document = self.ssm.get(name, transform="json", decrypt=True, max_age=self.settings.cache_seconds)
            return load_rules(document)
        except (GetParameterError, TransformParameterError, RoutingConfigError) as exc:
            # A broken override must not silence the on-call: fall back to the shipped rules.
            logger.error(
                "routing rules from SSM unusable, using the bundled rules",
                extra={"parameter": name, "error": str(exc)},
            )
            metrics.add_metric(name="RoutingConfigFallbacks", unit=MetricUnit.Count, value=1)
            return self.bundled_rules()

    def tags_of(self, alarm: Alarm) -> dict[str, str]:
        cached = self._tags.get(alarm.arn)
        if cached and time.monotonic() - cached[0] < self.settings.cache_seconds:
            return cached[1]
        client = self._cloudwatch.get(alarm.region)
        if client is None:
            client = boto3.client("cloudwatch", region_name=alarm.region, config=BOTO_CONFIG)
            self._cloudwatch[alarm.region] = client
        try:
            answer = client.list_tags_for_resource(ResourceARN=alarm.arn)
            tags = {t["Key"]: t["Value"] for t in answer.get("Tags", [])}
        except (ClientError, BotoCoreError) as exc:
            # Routing still works on name, namespace and defaults; say so loudly.
            logger.warning("alarm tags unreadable", extra={"alarm": alarm.arn, "error": str(exc)})
            tags = {}
        self._tags[alarm.arn] = (time.monotonic(), tags)
        return tags

    def secret(self, name: str) -> dict[str, Any]:
        full = f"{self.settings.secret_prefix}{name}"
        try:
            value = self.secrets.get(full, transform="json", max_age=self.settings.cache_seconds)
        except (GetParameterError, TransformParameterError) as exc:
            raise DeliveryFailed(
                f"secret {full!r} unreadable: {exc}", attempts=0, status=None, retryable=False
            ) from exc
        if not isinstance(value, dict):
            raise DeliveryFailed(
                f"secret {full!r} is not a JSON object", attempts=0, status=None, retryable=False
            )
        return value


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Settings.from_env())
    return _runtime


def reset() -> None:
    """Forget settings, clients and caches (a new execution environment)."""
    global _runtime
    _runtime = None


class _Invocation:
    """Per-invocation state the idempotent inner function cannot take as arguments."""

    deadline: float | None = None
    fresh: bool = False
    rules: RoutingRules | None = None


_invocation = _Invocation()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    rt = runtime()
    if rt.settings.env:
        metrics.add_dimension(name="Env", value=rt.settings.env)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    _invocation.deadline = (
        time.monotonic() + remaining() / 1000 - DEADLINE_MARGIN_SECONDS if remaining else None
    )
    if rt.settings.idempotency_table:
        rt.idempotency_config.register_lambda_context(context)
    if isinstance(event, dict) and event.get("kind") == DEAD_LETTER_KIND:
        return replay(rt, event)
    if isinstance(event, dict) and event.get("kind") == UNPARSED_KIND:
        return replay_unparsed(rt, event)
    if isinstance(event, dict) and event.get("kind") == TICK_KIND:
        return tick(rt)
    return handle(rt, event)


def handle(rt: Runtime, event: Any) -> dict[str, Any]:
    """Every alarm in the event routed; every record that is not one set aside on the DLQ."""
    try:
        alarms, rejected = normalize_event(event)
    except UnrecognizedEvent as exc:
        alarms, rejected = [], [Rejected(str(exc), event, identifiers(event))]
    for item in rejected:
        set_aside(rt, item)
    results = []
    rules = _invocation.rules = rt.rules() if alarms else None
    for raw in alarms:
        tags = rt.tags_of(raw)
        alarm = raw.with_context(
            env=env_of(tags, rt.settings.env),
            severity=severity_of(tags, rules.default_severity),
            tags=tags,
        )
        logger.append_keys(alarm=alarm.name, alarm_state=alarm.state)
        metrics.add_metric(name="AlarmsReceived", unit=MetricUnit.Count, value=1)
        _invocation.fresh = False
        try:
            result = rt.process(alarm=alarm.to_dict())
        except IdempotencyAlreadyInProgressError:
            logger.info("the same alarm state is being delivered by another invocation")
            metrics.add_metric(name="DuplicatesSuppressed", unit=MetricUnit.Count, value=1)
            results.append({"alarm": alarm.name, "duplicate": True, "deliveries": []})
            continue
        if not _invocation.fresh:
            logger.info("repeated notification of the same alarm state: already delivered")
            metrics.add_metric(name="DuplicatesSuppressed", unit=MetricUnit.Count, value=1)
            result = {**result, "duplicate": True}
        results.append(result)
    logger.remove_keys(["alarm", "alarm_state"])
    return {"alarms": len(alarms), "rejected": [str(r) for r in rejected], "results": results}


def process_alarm(rt: Runtime, *, alarm: dict[str, Any]) -> dict[str, Any]:
    """Put one alarm state change into the groups of every receiver its routes name, and flush
    the groups that are due at once (every group of a route without group_wait)."""
    _invocation.fresh = True
    current = Alarm.from_dict(alarm)
    rules = _invocation.rules or rt.rules()
    now = clock()
    rt.state.set_firing(current)
    found, skipped = targets(current, rules)
    for route, reason in skipped:
        logger.info("route sends nothing", extra={"route": route, "reason": reason})
    touched: list[str] = []
    for target in found:
        gid, _ = group_id(target.receiver, target.route, current)
        fresh = new_group(target.receiver, target.route, current)
        rt.state.update_group(gid, lambda g, f=fresh, c=target.change: admit(g or f, current, c, now) or g)
        touched.append(gid)
    outcomes = flush_groups(rt, rules, touched)
    return {"alarm": current.name, "state": current.state, "deliveries": outcomes}


def tick(rt: Runtime) -> dict[str, Any]:
    """The scheduled run: flush every group that is due (group_wait, group_interval, repeats,
    muted alarms looked at again)."""
    due = rt.state.due_groups(clock())
    outcomes = flush_groups(rt, rt.rules(), due)
    metrics.add_metric(name="GroupsFlushed", unit=MetricUnit.Count, value=len(due))
    return {"tick": True, "due": len(due), "deliveries": outcomes}


def flush_groups(rt: Runtime, rules: RoutingRules, gids: list[str]) -> list[dict[str, Any]]:
    outcomes: list[dict[str, Any]] = []
    owner = str(uuid.uuid4())
    context: tuple[list[Silence], dict[str, Alarm]] | None = None
    for gid in gids:
        group = rt.state.claim(gid, owner)
        if group is None:
            continue  # not due, or being flushed by another invocation
        now = clock()
        try:
            if context is None:
                context = (rt.state.silences(), rt.state.firing())
            done = flush(
                group, now, silences=context[0], firing=context[1], inhibit_rules=rules.inhibit_rules
            )
            for arn, why in done.muted.items():
                logger.info("alarm muted", extra={"group": gid, "alarm_arn": arn, "reason": why})
                kind = "Silenced" if why.startswith("silenced") else "Inhibited"
                metrics.add_metric(name=f"Alarms{kind}", unit=MetricUnit.Count, value=1)
            if done.notification is not None:
                receiver = rules.receivers.get(group.receiver)
                if receiver is None:
                    # The rules changed under a waiting group: keep what it had to say.
                    gone = Receiver(name=group.receiver, type="removed")
                    failure = DeliveryFailed(
                        "receiver no longer in the routing rules", attempts=0, status=None, retryable=False
                    )
                    logger.error(
                        "group's receiver no longer in the routing rules, dead-lettered", extra={"group": gid}
                    )
                    dead_letter(rt, done.notification, gone, failure)
                    outcomes.append(
                        {"receiver": gone.name, "action": done.notification.action, "outcome": "failed"}
                    )
                else:
                    outcome = deliver(rt, done.notification, receiver)
                    outcomes.append(outcome)
                    _count(receiver.name, outcome["outcome"])
        except BaseException:
            rt.state.release(gid, owner)
            raise
        rt.state.finish(gid, owner, lambda g, done=done, now=now: after_flush(g, done, now))
    return outcomes


def deliver(rt: Runtime, notification: Notification, receiver: Receiver) -> dict[str, Any]:
    group = notification.group
    base = {
        "receiver": receiver.name,
        "type": receiver.type,
        "action": notification.action,
        "group": group.id,
        "alarms": len(notification.alarms),
    }
    if notification.repeat:
        base["repeat"] = True
    try:
        attempts = _send(rt, notification, receiver)
    except DeliveryFailed as exc:
        logger.error(
            "delivery failed, dead-lettered",
            extra={**base, "error": str(exc), "attempts": exc.attempts, "status": exc.status},
        )
        dead_letter(rt, notification, receiver, exc)
        return {**base, "outcome": "failed", "error": str(exc), "attempts": exc.attempts}
    logger.info("delivered", extra={**base, "attempts": attempts})
    return {**base, "outcome": "delivered", "attempts": attempts}


def _send(rt: Runtime, notification: Notification, receiver: Receiver) -> int:
    policy, deadline = rt.settings.retry, _invocation.deadline
    if receiver.type == "email":
        topic = receiver.topic_arn or rt.settings.email_topic_arn
        if not topic:
            raise DeliveryFailed("no email topic configured", attempts=0, status=None, retryable=False)
        subject, body = payloads.render("email", notification)
        try:
            rt.sns.publish(TopicArn=topic, Subject=subject, Message=body)
        except (ClientError, BotoCoreError) as exc:
            raise DeliveryFailed(
                f"SNS publish failed: {exc}", attempts=1, status=None, retryable=True
            ) from exc
        return 1
    secret = rt.secret(receiver.secret or "")
    if receiver.type == "slack":
        url = _required(secret, "webhook_url", receiver.secret)
        result = post_json(url, payloads.render("slack", notification), policy, deadline=deadline, tls=rt.tls)
    elif receiver.type == "pagerduty":
        key = _required(secret, "routing_key", receiver.secret)
        url = secret.get("url") or payloads.PAGERDUTY_URL
        body = payloads.render("pagerduty", notification, routing_key=key)
        result = post_json(url, body, policy, deadline=deadline, tls=rt.tls)
    else:
        url = _required(secret, "url", receiver.secret)
        key = _required(secret, "hmac_key", receiver.secret)
        extra = secret.get("headers") or {}
        result = post_json(
            url,
            payloads.render("webhook", notification),
            policy,
            headers={str(k): str(v) for k, v in extra.items()},
            signer=lambda body: signature_headers(key, body, int(time.time())),
            deadline=deadline,
            tls=rt.tls,
        )
    return result.attempts


def signature_headers(key: str, body: bytes, timestamp: int) -> dict[str, str]:
    """What a webhook receiver checks: HMAC-SHA256 of `timestamp.body`, and a recent timestamp.

    Signing the timestamp with the body means a captured request cannot be replayed later: the
    receiver refuses a timestamp more than five minutes from its own clock.
    """
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
    return {"X-Alarm-Router-Timestamp": str(timestamp), "X-Alarm-Router-Signature": f"sha256={digest}"}


def replay(rt: Runtime, message: dict[str, Any]) -> dict[str, Any]:
    """Deliver a dead-lettered notification again, to its one receiver, on purpose.

    The alarm state was already handled (and is remembered as such), so this bypasses the
    duplicate check and the groups; a receiver still failing puts it back in the DLQ.
    """
    try:
        name, action = message["receiver"], message["action"]
        if "notification" in message:
            notification = notification_from_dict(message["notification"])
        else:
            alarm = Alarm.from_dict(message["alarm"])
            notification = single(name, str(message.get("route") or "replay"), alarm, action)
    except (KeyError, TypeError) as exc:
        logger.error("dead letter to replay is incomplete", extra={"error": str(exc)})
        metrics.add_metric(name="UnrecognizedEvents", unit=MetricUnit.Count, value=1)
        return {"alarms": 0, "rejected": [f"incomplete dead letter: {exc}"], "results": []}
    rules = rt.rules()
    receiver = rules.receivers.get(name)
    if receiver is None or action not in ("trigger", "resolve"):
        reason = f"receiver {name!r} is not in the routing rules" if receiver is None else "bad action"
        logger.error("dead letter cannot be replayed", extra={"receiver": name, "error": reason})
        return {"alarms": 0, "rejected": [reason], "results": []}
    first = notification.alarms[0]
    logger.append_keys(alarm=first.name, alarm_state=first.state)
    outcome = deliver(rt, notification, receiver)
    _count(receiver.name, outcome["outcome"])
    metrics.add_metric(name="Replays", unit=MetricUnit.Count, value=1)
    logger.remove_keys(["alarm", "alarm_state"])
    result = {"alarm": first.name, "state": first.state, "deliveries": [outcome], "replay": True}
    return {"alarms": len(notification.alarms), "rejected": [], "results": [result]}


def set_aside(rt: Runtime, item: Rejected) -> None:
    """A record that is not an alarm: logged (cut) with its identifiers, and dead-lettered whole."""
    text = json.dumps(item.event, default=str)
    logger.error(
        "not an alarm notification: dead-lettered",
        extra={"error": item.reason, **item.ids, "content": text[:LOGGED_CHARS], "content_chars": len(text)},
    )
    metrics.add_metric(name="UnrecognizedEvents", unit=MetricUnit.Count, value=1)
    message: dict[str, Any] = {
        "kind": UNPARSED_KIND,
        "reason": item.reason,
        "ids": item.ids,
        "received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "event": item.event,
    }
    if len(text) > DLQ_MAX_CHARS:
        message["event"] = None
        message["content_cut"] = text[:DLQ_MAX_CHARS]
    _to_dlq(rt, message, "the record that is not an alarm")


def replay_unparsed(rt: Runtime, letter: dict[str, Any]) -> dict[str, Any]:
    """Run a set-aside event again (after a fix to the router or to the publisher)."""
    metrics.add_metric(name="Replays", unit=MetricUnit.Count, value=1)
    if letter.get("event") is None:
        reason = "dead letter was cut to fit the queue: its content is in content_cut, not replayable"
        logger.error("dead letter cannot be replayed", extra={"error": reason, **(letter.get("ids") or {})})
        return {"alarms": 0, "rejected": [reason], "results": []}
    return handle(rt, letter["event"])


def _to_dlq(rt: Runtime, message: dict[str, Any], what: str) -> None:
    if not rt.settings.dlq_url:
        logger.error(f"no DLQ_URL: {what} is only in this log", extra={"dead_letter": message})
        return
    # If even this fails the invocation fails: Lambda retries it and keeps the event.
    rt.sqs.send_message(QueueUrl=rt.settings.dlq_url, MessageBody=json.dumps(message, default=str))


def dead_letter(rt: Runtime, notification: Notification, receiver: Receiver, error: DeliveryFailed) -> None:
    message: dict[str, Any] = {
        "kind": DEAD_LETTER_KIND,
        "receiver": receiver.name,
        "receiver_type": receiver.type,
        "action": notification.action,
        "route": notification.group.route,
        "error": str(error),
        "status": error.status,
        "attempts": error.attempts,
        "failed_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if notification.group.grouped:
        message["notification"] = notification_to_dict(notification)
    else:
        message["alarm"] = notification.alarms[0].to_dict()
    _to_dlq(rt, message, "the failed delivery")


def _required(secret: dict[str, Any], key: str, name: str | None) -> str:
    value = secret.get(key)
    if not isinstance(value, str) or not value:
        raise DeliveryFailed(f"secret {name!r} has no {key!r}", attempts=0, status=None, retryable=False)
    return value


def _count(receiver: str, outcome: str) -> None:
    dimensions = dict(metrics.default_dimensions)
    env = runtime().settings.env
    if env:
        dimensions["Env"] = env
    with single_metric(
        name="Notifications",
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions=dimensions,
    ) as metric:
        metric.add_dimension(name="Receiver", value=receiver)
        metric.add_dimension(name="Outcome", value=outcome)
