"""HTTP API (JSON). Views parse the request, call an action, and shape the answer.

Errors become ``{"error": {"code", "message"}}`` here and nowhere else.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, jsonify, redirect, request, send_from_directory
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ..chat import Chat
from ..errors import ChatError, Disabled
from ..models import User
from . import jsonfast

log = logging.getLogger("chat.http")
api = Blueprint("api", __name__)
WEB_DIST = Path(__file__).parent.parent / "web" / "dist"

_HTTP_CODES = {
    400: "invalid_payload",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    429: "rate_limited",
    503: "unavailable",
}


def chat() -> Chat:
    return current_app.extensions["chat"]


def error_response(code: str, message: str, status: int, retry_after: float | None = None):
    resp = jsonify({"error": {"code": code, "message": message}})
    resp.status_code = status
    if retry_after is not None:
        resp.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return resp


def current_user() -> User:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ChatError("unauthorized", "send 'Authorization: Bearer <token>'")
    return chat().accounts.authenticate(token.strip())


def body() -> object:
    """The request's JSON; invalid_payload says which of the three went wrong: no JSON
    Content-Type, a body that does not parse, or (validate.payload) not an object."""
    if not request.is_json:
        sent = request.mimetype or "no Content-Type"
        raise ChatError(
            "invalid_payload", f"send the body as JSON with 'Content-Type: application/json' (got {sent})"
        )
    limit = request.max_content_length
    if limit is not None and len(request.get_data(cache=True)) >= limit:
        # a chunked body is cut at the limit without a word: whether more follows decides
        # (a read past the limit raises RequestEntityTooLarge, answered 413)
        request.stream.read(1)
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        data = None
    if data is None:
        raise ChatError("invalid_payload", "the body must be a JSON object: it is empty or does not parse")
    return data


@api.post("/api/register")
def register():
    chat().accounts.check_rate(request.remote_addr or "unknown")
    user, token = chat().accounts.register(body())
    return jsonify({"user": user.as_dict(), "token": token}), 201


@api.post("/api/login")
def login():
    chat().accounts.check_rate(request.remote_addr or "unknown")
    try:
        user, token = chat().accounts.login(body())
    except ChatError as exc:
        if exc.code in ("unauthorized", "rate_limited"):  # the LoginFailures metric and its alarm
            current_app.extensions["chat_metrics"].login_failed()
        raise
    return jsonify({"user": user.as_dict(), "token": token})


@api.post("/api/logout")
def logout():
    user = current_user()
    current_app.extensions["chat_delivery"].disconnect(chat().accounts.logout(user))
    return "", 204


@api.post("/api/logout-everywhere")
def logout_everywhere():
    user = current_user()
    current_app.extensions["chat_delivery"].disconnect(chat().accounts.logout_everywhere(user))
    return "", 204


@api.get("/api/me")
def me():
    return jsonify({"user": current_user().as_dict()})


def fast_json(obj):
    """A JSON answer encoded by orjson rather than jsonify's sorted-keys encoder: the same
    JSON, keys in the contract's order; a room list of 2,000 public rooms took 7 ms to encode
    with jsonify, 0.5 ms this way, a history page 0.9 ms and 0.15 ms (docs/benchmarks.md)."""
    return current_app.response_class(jsonfast.dumps(obj) + "\n", mimetype="application/json")


@api.get("/api/rooms")
def list_rooms():
    return fast_json({"rooms": chat().rooms.visible(current_user())})


@api.post("/api/rooms")
def create_room():
    user = current_user()
    chat().limits.check(user, "rooms")
    return jsonify({"room": chat().rooms.create(user, body())}), 201


@api.post("/api/rooms/<name>/members")
def add_member(name: str):
    user = current_user()
    chat().limits.check(user, "members")
    chat().members.add(user, name, body())
    return "", 204


@api.get("/api/rooms/<name>/members")
def room_members(name: str):
    user = current_user()
    return jsonify({"members": chat().members.list(user, name)})


@api.delete("/api/rooms/<name>/members/<username>")
def remove_member(name: str, username: str):
    user = current_user()
    chat().limits.check(user, "members")
    chat().members.remove(user, name, username)
    return "", 204


@api.post("/api/rooms/<name>/bans")
def ban(name: str):
    user = current_user()
    chat().limits.check(user, "members")
    chat().members.ban(user, name, body())
    return "", 204


@api.delete("/api/rooms/<name>/bans/<username>")
def unban(name: str, username: str):
    user = current_user()
    chat().limits.check(user, "members")
    chat().members.unban(user, name, username)
    return "", 204


@api.post("/api/dms")
def open_dm():
    user = current_user()
    chat().limits.check(user, "rooms")
    room, created = chat().dms.open(user, body())
    return jsonify({"room": room}), 201 if created else 200


@api.get("/api/search")
def search():
    user = current_user()
    found, more = chat().search.search(user, request.args)
    return jsonify({"messages": found, "more": more})


@api.get("/api/rooms/<name>/messages")
def room_messages(name: str):
    user = current_user()
    page, more = chat().messages.history(user, name, request.args)
    return fast_json({"messages": page, "more": more})


@api.post("/api/uploads")
def create_upload():
    user = current_user()
    chat().limits.check(user, "uploads")
    return jsonify({"upload": chat().uploads.create(user, body())}), 201


@api.get("/api/uploads/<path:key>")
def download(key: str):
    user = current_user()
    return redirect(chat().uploads.download_url(user, key), code=302)


@api.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@api.get("/readyz")
def readyz():
    checks = chat().health.checks()
    ready = all(v == "ok" for v in checks.values())
    status = 200 if ready else 503
    return jsonify({"status": "ready" if ready else "unavailable", "checks": checks}), status


@api.get("/")
def index():
    if not (WEB_DIST / "index.html").is_file():
        return (
            "<!doctype html><title>chat</title><p>The web client is not built: run "
            "<code>make web</code>. The API is at <code>/api/</code>.</p>",
            200,
            {"Content-Type": "text/html; charset=utf-8"},
        )
    return send_from_directory(WEB_DIST, "index.html", max_age=0)


def _other_methods(path: str) -> list[str]:
    """The methods other routes answer at this path: the catch-all below takes every GET,
    so a GET of a POST-only endpoint must still be told 405, not 404."""
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except HTTPException:
            continue
        if endpoint != "api.static_file":
            allowed.append(method)
    return allowed


@api.get("/<path:path>")
def static_file(path: str):
    if path.startswith(("api/", "socket.io")) or not (WEB_DIST / path).is_file():
        if path.startswith("api/") and (allowed := _other_methods("/" + path)):
            raise MethodNotAllowed(valid_methods=allowed)
        raise ChatError("not_found", "no such resource")
    return send_from_directory(WEB_DIST, path, max_age=3600 if path.startswith("assets/") else 0)


def content_security_policy(media_origins: list[str]) -> str:
    """The same policy as the site's CloudFront response headers (modules/static-site): the
    client's own files, WebSockets to this origin ('self' covers ws/wss of the same host), and
    the media store's origins for uploads and downloads; nothing inline, nothing framed."""
    media = "".join(f" {origin}" for origin in media_origins)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: blob:{media}",
            f"media-src 'self' blob:{media}",
            f"connect-src 'self'{media}",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self'{media}",
            "frame-ancestors 'none'",
        ]
    )


# As CloudFront's: two years, subdomains, preload. Sent only when the service is behind the
# TLS-terminating proxies (PROXY_HOPS > 0): on plain local HTTP it would be ignored, and on a
# host shared with other local services it would outlive the test.
HSTS = "max-age=63072000; includeSubDomains; preload"


def install(app: Flask, media_origins: list[str] | None = None, https_only: bool = False) -> None:
    app.register_blueprint(api)
    csp = content_security_policy(media_origins or [])

    @app.errorhandler(ChatError)
    def on_chat_error(exc: ChatError):
        if exc.status >= 500 and not isinstance(exc, Disabled):
            log.error("request failed", extra={"code": exc.code, "error": exc.message})
        return error_response(exc.code, exc.message, exc.status, exc.retry_after)

    @app.errorhandler(HTTPException)
    def on_http_error(exc: HTTPException):
        code = _HTTP_CODES.get(exc.code, "invalid_payload" if exc.code < 500 else "internal")
        message = exc.description or exc.name
        if exc.code == 413:
            message = "the request body is too large"
        resp = error_response(code, message, exc.code)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def on_unexpected(exc: Exception):
        metrics = current_app.extensions.get("chat_metrics")
        if metrics:
            metrics.error()
        log.exception("unhandled error")
        return error_response("internal", "internal error", 500)

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex

    @app.after_request
    def _finish(resp):
        resp.headers["X-Request-Id"] = g.get("request_id", "")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        # On every response, as CloudFront does: an API answer or an error page rendered in a
        # tab is held to the same policy as the client.
        resp.headers.setdefault("Content-Security-Policy", csp)
        resp.headers.setdefault("X-Frame-Options", "DENY")
        if https_only:
            resp.headers.setdefault("Strict-Transport-Security", HSTS)
        if request.path not in ("/healthz", "/readyz"):
            log.info(
                "request",
                extra={
                    "request_id": g.get("request_id"),
                    "method": request.method,
                    "path": request.path,
                    "status": resp.status_code,
                    "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
                    "ip": request.remote_addr,
                },
            )
        return resp
