"""The composition root: builds the service from its layers, and runs it (``python -m app serve``).

storage (database, state, media) -> chat (the rules) -> delivery (to every socket, on every
process) <- transport (HTTP API, Socket.IO events); fast paths installed first when enabled.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import time
import uuid
from dataclasses import dataclass

import greenlet
import socketio as python_socketio
from flask import Flask
from flask_cors import CORS
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from . import fastpath, gcpolicy, green, logs, redis_iam
from .chat import Chat
from .chat.guard import ACTION_DEADLINE
from .config import Config, ConfigError
from .delivery.bus import LocalBus, RedisBus
from .delivery.delivery import Delivery
from .errors import Unavailable
from .metrics import Metrics
from .storage import migrate
from .storage.database import Database
from .storage.engine import make_engine, make_read_engine, make_send_engine
from .storage.media import Media, make_media
from .storage.messages import MessageStore
from .storage.send_pg import PostgresSendPath
from .storage.send_sqlite import SqliteSendPath
from .storage.state import make_state
from .storage.unpersisted import UnpersistedSendPath
from .transport import admission, http_api, jsonfast, media_routes, wsgi
from .transport.sockets import SocketHandlers

log = logging.getLogger("chat.server")
MAX_BODY = 64 * 1024  # HTTP bodies larger than this are refused with too_large
# Socket.IO frames up to this size are parsed and refused by the contract's checks (a 4000
# character body is at most ~48 KiB of JSON); a larger frame closes that one connection.
MAX_FRAME = 1024 * 1024


@dataclass
class Service:
    config: Config
    app: Flask
    socketio: SocketIO
    chat: Chat
    database: Database
    delivery: Delivery
    sockets: SocketHandlers
    metrics: Metrics
    instance_id: str
    fastpaths: fastpath.Installed


def _send_path(config: Config, engine):
    """Where messages are written: chosen here, once, never by the rules."""
    if not config.persist_messages:
        return UnpersistedSendPath()
    if config.is_postgres:
        return PostgresSendPath(
            make_send_engine(config.database_url, iam_region=config.database_iam_region), ACTION_DEADLINE
        )
    return SqliteSendPath(engine)


def _engines(config: Config):
    """The database engines of the rules: (main, reads). On PostgreSQL, the reads on every
    request's path have an autocommit pool of their own (DB_POOL_SIZE plus as many overflow)
    and the rest, writes mostly, half that; SQLite has one engine for both."""
    if not config.is_postgres:
        engine = make_engine(config.database_url, config.db_pool_size)
        return engine, engine
    iam = config.database_iam_region
    main = make_engine(config.database_url, max(1, config.db_pool_size // 2), iam)
    return main, make_read_engine(config.database_url, config.db_pool_size, iam)


def _bus(config: Config, metrics: Metrics):
    if not config.redis_url:
        return LocalBus()
    return RedisBus(
        redis_iam.connection_url(config.redis_url, config.redis_iam),
        config.socketio_channel,
        jsonfast,
        config.redis_pool_size,
        on_publish_failure=metrics.error,
        connection_kwargs=redis_iam.connection_kwargs(config.redis_iam),
    )


def _flask_app(config: Config, chat: Chat, delivery: Delivery, metrics: Metrics, media: Media) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=MAX_BODY)
    app.json.sort_keys = False
    app.json.ensure_ascii = False  # UTF-8 as is: \u escapes would triple non-ASCII text
    if config.proxy_hops:
        # trust exactly PROXY_HOPS entries of X-Forwarded-For, counted from the right
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops)
    if config.cors_origins:
        CORS(
            app,
            resources={r"/api/*": {"origins": list(config.cors_origins)}},
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After", "X-Request-Id"],
            max_age=600,
        )
    app.extensions["chat"] = chat
    app.extensions["chat_delivery"] = delivery
    app.extensions["chat_metrics"] = metrics
    http_api.install(app, media.origins(), https_only=config.proxy_hops > 0)
    if media.kind == "local":
        app.register_blueprint(media_routes.media_api)
    return app


def create_service(config: Config) -> Service:
    instance_id = uuid.uuid4().hex[:12]
    fastpaths = fastpath.install(
        config.async_mode, config.fastpath, config.ws_backlog_limit, config.ws_loop_reader
    )
    metrics = Metrics(config.metrics_namespace, config.app_env, instance_id)

    engine, reads = _engines(config)
    database = Database(engine, reads)
    store = MessageStore(engine, _send_path(config, engine), config.page_max_bytes, reads)
    state = make_state(config, instance_id, engine, reads)

    delivery = Delivery(None, _bus(config, metrics))
    media = make_media(config)
    chat = Chat(config, database, store, state, media, delivery)
    delivery.fetch = chat.messages.by_seq

    app = _flask_app(config, chat, delivery, metrics, media)
    socketio_options = {"serializer": fastpaths.packet_class} if fastpaths.packet_class else {}
    socketio = SocketIO(
        app,
        async_mode=config.async_mode,
        # this process's sockets only: between processes, delivery has its own channel
        client_manager=(fastpaths.manager_class or python_socketio.Manager)(),
        cors_allowed_origins=wsgi.origin_checker(config.cors_origins),
        max_http_buffer_size=MAX_FRAME,
        ping_interval=config.ping_interval,
        ping_timeout=config.ping_timeout,
        http_compression=False,
        json=jsonfast,
        logger=False,
        engineio_logger=False,
        **socketio_options,
    )
    delivery.sio = socketio.server
    app.wsgi_app = wsgi.ChunkedBodies(
        wsgi.OversizePolls(wsgi.NoWebSocketCompression(app.wsgi_app), socketio.server.eio, MAX_FRAME)
    )
    if config.admission_turns:
        app.wsgi_app = admission.Admission(app.wsgi_app, config.admission_turns)
    handlers = SocketHandlers(socketio.server, chat, delivery, metrics)
    handlers.register()
    return Service(config, app, socketio, chat, database, delivery, handlers, metrics, instance_id, fastpaths)


def check_dependencies(service: Service) -> None:
    """Fail at start, naming the variable, when a dependency is unreachable or unmigrated."""
    try:
        migrate.ensure_ready(service.database.engine, service.config.auto_migrate)
    except migrate.NotReady as exc:
        raise ConfigError("DATABASE_URL", str(exc)) from None
    if service.config.redis_url:
        try:
            service.chat.state.ping()
        except Unavailable as exc:
            raise ConfigError("REDIS_URL", f"cannot connect to Redis: {exc.detail}") from None
    media = service.chat.uploads.media
    if media.kind == "local":
        try:
            media.prepare()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ConfigError("MEDIA_DIR", f"cannot write uploads to {media.root}: {reason}") from None


def _housekeeping(service: Service) -> None:
    """Heartbeat, reap dead instances' presence, and write metrics, forever."""
    cfg = service.config
    state = service.chat.state
    next_metrics = 0.0
    next_cleanup = 0.0
    while True:
        try:
            state.heartbeat()
            gone = state.reap_dead_instances()
            if gone:
                log.info("reaped presence of dead instances", extra={"offline": len(gone)})
                service.sockets.emit_offline(gone)
            closed = service.sockets.close_ended_sessions()
            if closed:
                log.info("closed sockets of ended sessions", extra={"sockets": closed})
            if time.monotonic() >= next_cleanup:
                # uploads never attached: every instance may look; the DELETE decides who removes
                next_cleanup = time.monotonic() + min(600.0, cfg.unattached_upload_seconds / 4)
                expired = service.chat.uploads.expire_unattached(cfg.unattached_upload_seconds)
                if expired:
                    log.info("removed uploads never attached", extra={"uploads": expired})
        except Exception as exc:  # noqa: BLE001 - the loop must survive outages
            log.warning("housekeeping failed", extra={"error": str(exc)})
        now = time.monotonic()
        if now >= next_metrics:
            if next_metrics and cfg.emit_metrics:
                service.metrics.flush()
            next_metrics = now + cfg.metrics_interval
        green.sleep(min(cfg.presence_heartbeat, cfg.metrics_interval))


def _close_gaps(service: Service) -> None:
    """Fill or skip sequence gaps that stayed open (a publish lost after its commit)."""
    while True:
        green.sleep(0.25)
        try:
            service.delivery.close_gaps()
        except Exception as exc:  # noqa: BLE001 - the loop must survive outages
            log.warning("closing sequence gaps failed", extra={"error": str(exc)})


def _exit_after(seconds: float) -> None:
    green.sleep(seconds)
    log.warning("connections still open after the shutdown grace period: exiting", extra={"seconds": seconds})
    logging.shutdown()
    os._exit(0)


def serve(config: Config, host: str, port: int) -> None:
    logs.setup(config.log_level, fmt=config.log_format)
    listener = wsgi.listen(config.async_mode, host, port)
    service = create_service(config)
    check_dependencies(service)
    logs.setup(config.log_level, service.instance_id, config.log_format)
    if config.secret_key_generated:
        log.warning("SECRET_KEY is not set: a random key is used, tokens end with this process")
    if not config.persist_messages:
        log.warning("BENCH_NO_PERSIST is set: messages are NOT stored (measurement only)")
    service.chat.state.heartbeat()
    service.delivery.start()
    green.spawn(_housekeeping, service)
    green.spawn(_close_gaps, service)

    main = greenlet.getcurrent()

    def stop(signum, _frame):
        # the signal lands in whichever greenlet runs; end the server's own (main) greenlet,
        # not a handler caught mid-event. The WSGI server then waits for its open
        # connections (a long poll lasts up to PING_INTERVAL, an idle keep-alive longer):
        # SHUTDOWN_GRACE_SECONDS bound that wait
        log.info("stopping", extra={"signal": signum, "grace_seconds": config.shutdown_grace})
        green.spawn(main.throw, SystemExit(0))
        green.spawn(_exit_after, config.shutdown_grace)

    signal.signal(signal.SIGTERM, stop)

    def census(_signum, _frame):
        # one JSON line on stderr, written by a greenlet of its own (not by the one the signal
        # interrupted, which may hold a lock): the long-run benchmark's view from inside
        green.spawn(lambda: os.write(2, (json.dumps({"census": green.census()}) + "\n").encode()))

    signal.signal(signal.SIGUSR1, census)
    media = service.chat.uploads.media
    log.info(
        f"serving on http://{host}:{port}",
        extra={
            "async_mode": config.async_mode,
            "database": config.database_url.split(":", 1)[0],
            "queue": "redis" if config.redis_url else "in-process",
            "sessions": "redis" if config.redis_url else "database",
            "uploads": media.kind if media.enabled else "disabled",
            "fastpath": ",".join(service.fastpaths.active) or "off",
        },
    )
    # what exists now (modules, the app, SQLAlchemy's metadata: ~134,000 objects) lives as
    # long as the process; frozen, a full collection no longer walks it (it took 84 ms on the
    # benchmark machine, a pause every socket felt, in the tail of the delivery latency)
    gc.collect()
    gc.freeze()
    if config.gc_freeze:
        sockets = service.sockets
        gcpolicy.Collector(lambda: len(sockets.sockets)).start()
    try:
        wsgi.run(config.async_mode, service.app, listener)
    finally:
        try:
            service.sockets.emit_offline(service.chat.state.forget_instance())
        except Exception:  # noqa: BLE001, S110 - shutting down; the reaper covers it
            pass
        log.info("stopped")
