"""Application factory and the production server (``python -m app serve``)."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import socket
import sys
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import greenlet
from flask import Flask
from flask_cors import CORS
from flask_socketio import SocketIO
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import green, http_api, jsonfast, logs, migrate, wsdirect
from .actions import Chat
from .config import Config, ConfigError
from .db import make_engine, make_send_engine
from .metrics import Metrics
from .siopacket import ChatPacket
from .sockets import OrderedLocalManager, OrderedRedisManager, SocketHandlers, install_ordering
from .store import StoreUnavailable, make_store
from .uploads import Media

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
    sockets: SocketHandlers
    metrics: Metrics
    instance_id: str


class NoWebSocketCompression:
    """Drop the client's permessage-deflate offer: per delivery it costs 2.5-3x the CPU for
    chat-sized frames (see docs/operations.md)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


def _origin_checker(allowed: tuple[str, ...]):
    """Same origin is always allowed; other origins only when listed in CORS_ORIGINS."""
    allowed_set = set(allowed)

    def check(origin, environ):
        if origin is None or origin in allowed_set:
            return True
        host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST", "")
        parsed = urlparse(origin)
        return parsed.netloc == host.split(",")[0].strip()

    return check


def _media_origin(config: Config) -> str | None:
    if not config.s3_endpoint_url:
        return None
    p = urlparse(config.s3_endpoint_url)
    return f"{p.scheme}://{p.netloc}"


def create_service(config: Config) -> Service:
    instance_id = uuid.uuid4().hex[:12]
    engine = make_engine(config.database_url, config.db_pool_size)
    send_engine = make_send_engine(config.database_url) if config.is_postgres else None
    store = make_store(config, instance_id)
    chat = Chat(config, engine, store, Media(config), send_engine)
    metrics = Metrics(config.metrics_namespace, config.app_env, instance_id)

    app = Flask(__name__, static_folder=None)
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=MAX_BODY)
    app.json.sort_keys = False
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
    app.extensions["chat_metrics"] = metrics
    http_api.install(app, _media_origin(config))

    if config.fastpath:
        wsdirect.install(config.ws_backlog_limit, eventlet=config.async_mode == "eventlet")
    handlers_ref: list[SocketHandlers] = []
    manager = OrderedLocalManager()
    if config.redis_url:
        manager = OrderedRedisManager(
            config.redis_url,
            channel=config.socketio_channel,
            redis_options={
                "socket_connect_timeout": 3,
                "socket_keepalive": True,
                "health_check_interval": 10,
            },
            json=jsonfast,
            on_resubscribe=lambda: handlers_ref[0].reset_local_sockets(),
            on_publish_failure=metrics.error,
        )
    socketio = SocketIO(
        app,
        async_mode=config.async_mode,
        client_manager=manager,
        cors_allowed_origins=_origin_checker(config.cors_origins),
        max_http_buffer_size=MAX_FRAME,
        ping_interval=25,
        ping_timeout=20,
        http_compression=False,
        json=jsonfast,
        serializer=ChatPacket,
        logger=False,
        engineio_logger=False,
    )
    install_ordering(manager, chat.message_by_seq)
    app.wsgi_app = NoWebSocketCompression(app.wsgi_app)
    handlers = SocketHandlers(socketio, chat, metrics)
    handlers.register()
    handlers_ref.append(handlers)
    app.extensions["chat_sockets"] = handlers
    return Service(config, app, socketio, chat, handlers, metrics, instance_id)


def check_dependencies(service: Service) -> None:
    """Fail at start, naming the variable, when a dependency is unreachable or unmigrated."""
    config, chat = service.config, service.chat
    try:
        with chat.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        raise ConfigError("DATABASE_URL", f"cannot connect to the database: {reason}") from None
    current = migrate.current_revision(chat.engine)
    if current != migrate.head_revision():
        if config.auto_migrate:
            migrate.upgrade(chat.engine)
        else:
            raise ConfigError(
                "DATABASE_URL",
                f"the database is not migrated (at {current or 'nothing'}, needs "
                f"{migrate.head_revision()}): run `python -m app migrate` or set AUTO_MIGRATE=1",
            )
    if config.redis_url:
        try:
            chat.store.ping()
        except StoreUnavailable as exc:
            raise ConfigError("REDIS_URL", f"cannot connect to Redis: {exc}") from None


def _housekeeping(service: Service) -> None:
    """Heartbeat, reap dead instances' presence, and write metrics, forever."""
    cfg = service.config
    next_metrics = 0.0
    import time

    while True:
        try:
            service.chat.store.heartbeat()
            gone = service.chat.store.reap_dead_instances()
            if gone:
                log.info("reaped presence of dead instances", extra={"offline": len(gone)})
                service.sockets.emit_offline(gone)
        except Exception as exc:  # noqa: BLE001 - the loop must survive outages
            log.warning("housekeeping failed", extra={"error": str(exc)})
        now = time.monotonic()
        if now >= next_metrics:
            if next_metrics:
                service.metrics.flush()
            next_metrics = now + cfg.metrics_interval
        green.sleep(min(cfg.presence_heartbeat, cfg.metrics_interval))


MAX_CONNECTIONS = 20000  # greenlets one process serves at once (eventlet's default is 1024)


def _listen(config: Config, host: str, port: int):
    """Bind before anything else starts, without SO_REUSEPORT: a port in use is an error,
    not a silent second listener."""
    if config.async_mode == "eventlet":
        import eventlet

        return eventlet.listen((host, port), backlog=1024, reuse_port=False)
    from gevent import socket as gsocket

    sock = gsocket.socket(gsocket.AF_INET6 if ":" in host else gsocket.AF_INET)
    sock.setsockopt(gsocket.SOL_SOCKET, gsocket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _lean_http_protocol():
    """eventlet's HTTP protocol with small buffers and TCP_NODELAY.

    A WebSocket keeps the buffers of the HTTP connection it was upgraded from for its whole
    life; eventlet's 8 KiB read + 16 KiB write buffers were 24 KiB of every idle socket's
    ~55 KiB. 2 KiB each serve the HTTP API as well: larger writes bypass the buffer.
    TCP_NODELAY: a chat frame or response goes out at once instead of waiting (Nagle) for
    the acknowledgement of the one before it.
    """
    import eventlet.wsgi

    class LeanHttpProtocol(eventlet.wsgi.HttpProtocol):
        rbufsize = 2048
        wbufsize = 2048

        def setup(self):
            with contextlib.suppress(OSError, AttributeError):
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

    return LeanHttpProtocol


def _run_http(service: Service, listener) -> None:
    if service.config.async_mode == "eventlet":
        import eventlet.wsgi

        eventlet.wsgi.server(
            listener,
            service.app,
            log_output=False,
            max_size=MAX_CONNECTIONS,
            debug=False,
            keepalive=True,
            protocol=_lean_http_protocol(),
        )
    else:
        from gevent import pywsgi

        pywsgi.WSGIServer(
            listener, service.app, log=None, error_log=logging.getLogger("chat.wsgi")
        ).serve_forever()


def _close_gaps(service: Service) -> None:
    """Fill or skip sequence gaps that stayed open (a publish lost after its commit)."""
    reorderer = service.socketio.server.manager.reorderer
    while True:
        green.sleep(0.25)
        try:
            reorderer.close_gaps()
        except Exception as exc:  # noqa: BLE001 - the loop must survive outages
            log.warning("closing sequence gaps failed", extra={"error": str(exc)})


def serve(config: Config, host: str, port: int) -> None:
    logs.setup(config.log_level)
    listener = _listen(config, host, port)
    service = create_service(config)
    check_dependencies(service)
    logs.setup(config.log_level, service.instance_id)
    if config.secret_key_generated:
        log.warning("SECRET_KEY is not set: a random key is used, tokens end with this process")
    if not config.persist_messages:
        log.warning("BENCH_NO_PERSIST is set: messages are NOT stored (measurement only)")
    service.chat.store.heartbeat()
    green.spawn(_housekeeping, service)
    green.spawn(_close_gaps, service)

    main = greenlet.getcurrent()

    def stop(signum, _frame):
        # the signal lands in whichever greenlet runs; end the server's own (main) greenlet,
        # not a handler caught mid-event
        green.spawn(main.throw, SystemExit(0))

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "serving",
        extra={
            "host": host,
            "port": port,
            "async_mode": config.async_mode,
            "database": config.database_url.split(":", 1)[0],
            "queue": "redis" if config.redis_url else "in-process",
        },
    )
    print(
        f"chat service listening on http://{host}:{port} ({config.async_mode})", file=sys.stderr, flush=True
    )
    # what exists now (modules, the app, SQLAlchemy's metadata: ~134,000 objects) lives as
    # long as the process; frozen, a full collection no longer walks it (it took 84 ms on the
    # benchmark machine, a pause every socket felt, in the tail of the delivery latency)
    gc.collect()
    gc.freeze()
    try:
        _run_http(service, listener)
    finally:
        try:
            gone = service.chat.store.forget_instance()
            service.sockets.emit_offline(gone)
        except Exception:  # noqa: BLE001, S110 - shutting down; the reaper covers it
            pass
        log.info("stopped")
