"""The service's errors: ``ChatError`` carries the contract's error code to the client.

Each transport turns it into its envelope in exactly one place: ``transport/http_api`` into
``{"error": {...}}`` with the status below, ``transport/sockets`` into
``{"ok": false, "error": {...}}``. Storage says a dependency is down with ``Unavailable``
(the code ``unavailable``: worth a retry), so every layer answers an outage the same way.
"""

from __future__ import annotations

STATUS = {
    "invalid_payload": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unsupported_type": 415,
    "rate_limited": 429,
    "internal": 500,
    "unavailable": 503,
}


class ChatError(Exception):
    """An error a client can act on."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None):
        assert code in STATUS, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return STATUS[self.code]

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def invalid(message: str) -> ChatError:
    return ChatError("invalid_payload", message)


def forbidden(message: str) -> ChatError:
    return ChatError("forbidden", message)


def not_found(message: str) -> ChatError:
    return ChatError("not_found", message)


class Unavailable(ChatError):
    """A dependency (database, Redis, S3) cannot be reached or failed; worth a retry.

    ``message`` is for the client; ``detail`` (the dependency's own words) is for logs and
    ``/readyz`` only."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__("unavailable", message)
        self.detail = detail or message


class Disabled(ChatError):
    """A feature this server was configured without (uploads with no media store): answered
    ``unavailable`` as the contract says, but not an outage, so not logged as one."""

    def __init__(self, message: str):
        super().__init__("unavailable", message)
