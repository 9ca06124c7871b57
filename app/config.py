"""Configuration: read once from the environment, validated, passed down as an object.

Nothing else in the package reads ``os.environ``. A bad value raises ``ConfigError``
naming the variable; ``python -m app`` turns it into one line on stderr and exit 2.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .storage.urls import check_iam_auth_url, database_url

ASYNC_MODES = ("eventlet", "gevent")
DEFAULT_ASYNC_MODE = "eventlet"
DEFAULT_SQLITE_PATH = Path("chat.db")

DEFAULT_UPLOAD_TYPES = (
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
)

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


class ConfigError(Exception):
    """A configuration value is missing or malformed; ``variable`` names it."""

    def __init__(self, variable: str, message: str):
        super().__init__(f"{variable}: {message}")
        self.variable = variable


@dataclass(frozen=True)
class Rate:
    """``count`` events per ``period`` seconds, with bursts of up to ``burst``."""

    count: int
    period: float
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.count


def parse_rate(variable: str, text: str, burst: int | None = None) -> Rate:
    m = _RATE_RE.match(text or "")
    if not m or int(m.group(1)) < 1:
        raise ConfigError(variable, f"expected '<count>/<second|minute|hour|day>', got {text!r}")
    count = int(m.group(1))
    return Rate(count=count, period=_PERIODS[m.group(2)], burst=burst or count)


@dataclass(frozen=True)
class RedisIam:
    """What Redis IAM tokens are signed for (``REDIS_IAM_AUTH``): the URL's user, the
    replication group's id and the region."""

    user: str
    cache_name: str
    region: str


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str | None
    secret_key: str
    secret_key_generated: bool
    media_bucket: str | None
    media_dir: Path | None  # uploads on the local disk when there is no MEDIA_BUCKET
    s3_endpoint_url: str | None
    cors_origins: tuple[str, ...]
    auth_rate: Rate
    send_rate: Rate
    proxy_hops: int
    socketio_channel: str
    async_mode: str
    auto_migrate: bool
    log_level: str
    log_format: str  # "json" or "text"
    emit_metrics: bool  # EMF lines on stdout (CloudWatch); off locally unless asked for
    persist_messages: bool
    redis_pool_size: int
    db_pool_size: int
    upload_max_bytes: int
    upload_content_types: tuple[str, ...]
    metrics_namespace: str
    metrics_interval: float
    app_env: str
    presence_heartbeat: float = 10.0
    presence_ttl: float = 30.0
    ws_backlog_limit: int = 4 * 1024 * 1024
    fastpath: bool = True
    ws_loop_reader: bool = True  # app/fastpath/loopreader.py: no green thread per idle WebSocket
    gc_freeze: bool = True  # app/gcpolicy.py: long-lived objects out of the collector's walk
    admission_turns: int = 32  # app/transport/admission.py: Socket.IO handshakes in progress; 0: off
    ping_interval: int = 25
    ping_timeout: int = 20
    shutdown_grace: float = 10.0  # seconds SIGTERM waits for open connections
    page_max_bytes: int = 1024 * 1024  # bytes of bodies in one history page or join ack
    upload_quota_bytes: int = 512 * 1024 * 1024  # upload grants per user per rolling day
    unattached_upload_seconds: int = 86400  # an upload not attached by then is deleted
    breached_password_check: bool = False  # refuse passwords on the bundled leaked list
    database_iam_region: str | None = None
    redis_iam: RedisIam | None = None
    event_rates: dict[str, Rate] | None = None  # limit class -> Rate (chat/limits.py)
    session_idle_seconds: int = 7 * 24 * 3600
    login_free_failures: int = 5
    login_backoff_max: float = 900.0
    session_max_age_seconds: int = 30 * 24 * 3600

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


def _int(env, name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value


def _bool(env, name: str, default: bool = False) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"expected 1/0/true/false, got {raw!r}")


def _database_url(env) -> str:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"
    try:
        return database_url(raw)
    except ValueError as exc:
        raise ConfigError("DATABASE_URL", str(exc)) from None


def _database_iam_region(env, url: str) -> str | None:
    """The region RDS IAM tokens are signed for, or None when the URL's password is used."""
    if not _bool(env, "DATABASE_IAM_AUTH"):
        return None
    try:
        check_iam_auth_url(url)
    except ValueError as exc:
        raise ConfigError("DATABASE_IAM_AUTH", str(exc)) from None
    region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
    if not region:
        raise ConfigError("AWS_REGION", "required with DATABASE_IAM_AUTH=1: tokens are signed for one region")
    return region


# Per-user limits of everything but send/edit (SEND_RATE_LIMIT) and sign-in (AUTH_RATE_LIMIT):
# class -> (variable prefix, default rate, default burst). The bursts fit what a real client
# does at once: a reconnect re-joins every room (JOIN: 300), a typist notifies every 2.5 s.
EVENT_LIMITS = {
    "typing": ("TYPING", "1/second", 10),
    "join": ("JOIN", "5/second", 300),
    "delete": ("DELETE", "5/second", 20),
    "rooms": ("ROOM_CREATE", "20/hour", 10),
    "members": ("MEMBERSHIP", "60/minute", 30),
    "uploads": ("UPLOAD", "30/minute", 10),
}


def _event_rates(env) -> dict[str, Rate]:
    rates = {}
    for kind, (prefix, default, burst) in EVENT_LIMITS.items():
        rate = parse_rate(f"{prefix}_RATE_LIMIT", env.get(f"{prefix}_RATE_LIMIT") or default)
        rates[kind] = Rate(rate.count, rate.period, _int(env, f"{prefix}_RATE_BURST", burst, 1, 10**9))
    return rates


def _redis_iam(env, url: str | None) -> RedisIam | None:
    """What Redis IAM tokens are signed for, or None when the URL's password (if any) is used."""
    if not _bool(env, "REDIS_IAM_AUTH"):
        return None
    parsed = urlparse(url or "")
    if not url or not parsed.username or parsed.password is not None:
        raise ConfigError(
            "REDIS_IAM_AUTH",
            "needs a REDIS_URL naming the IAM user and no password (rediss://user@host:6379/0)",
        )
    cache = env.get("REDIS_IAM_CACHE_NAME", "").strip()
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,39}", cache):
        raise ConfigError("REDIS_IAM_CACHE_NAME", "required with REDIS_IAM_AUTH=1: the replication group id")
    region = (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "").strip()
    if not region:
        raise ConfigError("AWS_REGION", "required with REDIS_IAM_AUTH=1: tokens are signed for one region")
    return RedisIam(user=unquote(parsed.username), cache_name=cache, region=region)


def _redis_url(env) -> str | None:
    raw = env.get("REDIS_URL", "").strip()
    if not raw:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ConfigError("REDIS_URL", "expected redis://host:port/db or rediss://...")
    try:
        parsed.port  # noqa: B018 - raises on a malformed port
        db = parsed.path.lstrip("/")
        if db and not (db.isascii() and db.isdigit()):
            raise ValueError(db)
    except ValueError:
        raise ConfigError("REDIS_URL", "malformed port or database index") from None
    return raw


def _origins(env) -> tuple[str, ...]:
    raw = env.get("CORS_ORIGINS", "").strip()
    if not raw:
        return ()
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        p = urlparse(origin)
        if p.scheme not in ("http", "https") or not p.netloc or p.path:
            raise ConfigError("CORS_ORIGINS", f"{origin!r} is not an origin like https://chat.example.com")
    return origins


def load(env: dict | None = None, *, serving: bool = True) -> Config:
    """Read and validate the configuration; raises ConfigError on the first bad value.

    ``serving=False`` (migrations) does not ask for the secrets only a server needs.
    """
    env = dict(os.environ if env is None else env)
    database_url = _database_url(env)
    secret = env.get("SECRET_KEY", "")
    generated = False
    if not secret:
        if serving and database_url.startswith("postgresql"):
            raise ConfigError("SECRET_KEY", "required when DATABASE_URL is PostgreSQL")
        secret, generated = secrets.token_urlsafe(48), True
    elif len(secret) < 16:
        raise ConfigError("SECRET_KEY", "must be at least 16 characters")

    async_mode = (env.get("ASYNC_MODE") or DEFAULT_ASYNC_MODE).strip().lower()
    if async_mode not in ASYNC_MODES:
        raise ConfigError("ASYNC_MODE", f"expected one of {', '.join(ASYNC_MODES)}, got {async_mode!r}")

    channel = env.get("SOCKETIO_CHANNEL", "chat").strip() or "chat"
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", channel):
        raise ConfigError("SOCKETIO_CHANNEL", "1-64 of [A-Za-z0-9_.:-]")

    types_raw = env.get("UPLOAD_CONTENT_TYPES", "").strip()
    content_types = (
        tuple(t.strip().lower() for t in types_raw.split(",") if t.strip())
        if types_raw
        else DEFAULT_UPLOAD_TYPES
    )
    for t in content_types:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*", t):
            raise ConfigError("UPLOAD_CONTENT_TYPES", f"{t!r} is not a media type")

    log_level = (env.get("LOG_LEVEL") or "INFO").upper()
    log_format = (env.get("LOG_FORMAT") or "auto").strip().lower()
    if log_format not in ("auto", "json", "text"):
        raise ConfigError("LOG_FORMAT", "expected json, text or auto (text on a terminal, else json)")
    if log_format == "auto":
        log_format = "text" if sys.stderr.isatty() else "json"
    app_env = (env.get("APP_ENV") or "local").strip()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "expected DEBUG, INFO, WARNING or ERROR")

    # a session ends after SESSION_IDLE_SECONDS without use, and SESSION_MAX_AGE_SECONDS after
    # sign-in whatever its use
    max_age = _int(env, "SESSION_MAX_AGE_SECONDS", 30 * 24 * 3600, 1, 365 * 24 * 3600)
    idle = _int(env, "SESSION_IDLE_SECONDS", min(7 * 24 * 3600, max_age), 1, max_age)
    send_rate = parse_rate("SEND_RATE_LIMIT", env.get("SEND_RATE_LIMIT") or "10/second")
    send_burst = _int(env, "SEND_RATE_BURST", max(20, send_rate.count), 1, 10**9)

    return Config(
        database_url=database_url,
        database_iam_region=_database_iam_region(env, database_url),
        redis_url=_redis_url(env),
        redis_iam=_redis_iam(env, _redis_url(env)),
        secret_key=secret,
        secret_key_generated=generated,
        media_bucket=(env.get("MEDIA_BUCKET") or "").strip() or None,
        media_dir=Path(env["MEDIA_DIR"].strip()) if (env.get("MEDIA_DIR") or "").strip() else None,
        s3_endpoint_url=(env.get("AWS_ENDPOINT_URL_S3") or "").strip() or None,
        cors_origins=_origins(env),
        auth_rate=parse_rate("AUTH_RATE_LIMIT", env.get("AUTH_RATE_LIMIT") or "20/minute"),
        send_rate=Rate(send_rate.count, send_rate.period, send_burst),
        event_rates=_event_rates(env),
        session_idle_seconds=idle,
        login_free_failures=_int(env, "LOGIN_FREE_FAILURES", 5, 1, 1000),
        login_backoff_max=float(_int(env, "LOGIN_BACKOFF_MAX_SECONDS", 900, 1, 86400)),
        session_max_age_seconds=max_age,
        proxy_hops=_int(env, "PROXY_HOPS", 0, 0, 10),
        socketio_channel=channel,
        async_mode=async_mode,
        auto_migrate=_bool(env, "AUTO_MIGRATE"),
        log_level=log_level,
        log_format=log_format,
        emit_metrics=_bool(env, "METRICS_EMF", app_env != "local"),
        persist_messages=not _bool(env, "BENCH_NO_PERSIST"),
        redis_pool_size=_int(env, "REDIS_POOL_SIZE", 64, 4, 10000),
        db_pool_size=_int(env, "DB_POOL_SIZE", 10, 1, 1000),
        upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", 25 * 1024 * 1024, 1, 5 * 1024**3),
        upload_content_types=content_types,
        metrics_namespace=(env.get("METRICS_NAMESPACE") or "Chat/App").strip(),
        metrics_interval=float(_int(env, "METRICS_INTERVAL", 60, 1, 3600)),
        app_env=app_env,
        presence_heartbeat=float(_int(env, "PRESENCE_HEARTBEAT", 10, 1, 300)),
        presence_ttl=float(_int(env, "PRESENCE_TTL", 30, 2, 3600)),
        ws_backlog_limit=_int(env, "WS_BACKLOG_LIMIT", 4 * 1024 * 1024, 64 * 1024, 1024**3),
        fastpath=_bool(env, "FASTPATH", True),
        ws_loop_reader=_bool(env, "WS_LOOP_READER", True),
        gc_freeze=_bool(env, "GC_FREEZE", True),
        admission_turns=_int(env, "ADMISSION_TURNS", 32, 0, 10000),
        # a client that answers no ping is cut after interval + timeout; keep both under the
        # load balancer's idle timeout (120 s on the ALB)
        ping_interval=_int(env, "PING_INTERVAL", 25, 1, 300),
        ping_timeout=_int(env, "PING_TIMEOUT", 20, 1, 300),
        shutdown_grace=float(_int(env, "SHUTDOWN_GRACE_SECONDS", 10, 1, 300)),
        page_max_bytes=_int(env, "PAGE_MAX_BYTES", 1024 * 1024, 64 * 1024, 64 * 1024 * 1024),
        upload_quota_bytes=_int(env, "UPLOAD_QUOTA_BYTES", 512 * 1024 * 1024, 1, 10**13),
        unattached_upload_seconds=_int(env, "UNATTACHED_UPLOAD_SECONDS", 86400, 1, 30 * 86400),
        breached_password_check=_bool(env, "BREACHED_PASSWORD_CHECK"),
    )
