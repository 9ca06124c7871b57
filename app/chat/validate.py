"""Payload checks shared by HTTP and Socket.IO: one place decides what is well formed."""

from __future__ import annotations

import re

from ..errors import ChatError, invalid

USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]{3,32}")
ROOM_RE = re.compile(r"[a-z0-9-]{1,64}")
BODY_MAX = 4000  # code points after trimming surrounding whitespace
BODY_SENT_MAX = 8000  # code points as sent, whitespace included (padding is no way around BODY_MAX)
CLIENT_ID_MAX = 64
FILENAME_MAX = 255


def payload(data) -> dict:
    if not isinstance(data, dict):
        raise invalid("the payload must be a JSON object")
    return data


def string(data: dict, field: str, *, required: bool = True, max_len: int = 10_000) -> str | None:
    value = data.get(field)
    if value is None:
        if required:
            raise invalid(f"'{field}' is required")
        return None
    if not isinstance(value, str):
        raise invalid(f"'{field}' must be a string")
    if len(value) > max_len:
        raise invalid(f"'{field}' is longer than {max_len} characters")
    if "\x00" in value:
        raise invalid(f"'{field}' must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid(f"'{field}' is not valid Unicode (a lone surrogate)") from None
    return value


def integer(data: dict, field: str, *, required: bool = True, low: int = 0) -> int | None:
    value = data.get(field)
    if value is None:
        if required:
            raise invalid(f"'{field}' is required")
        return None
    # bool is an int in Python, never in the contract
    if not isinstance(value, int) or isinstance(value, bool) or value < low or value > 2**62:
        raise invalid(f"'{field}' must be a whole number >= {low}")
    return value


def boolean(data: dict, field: str, default: bool) -> bool:
    value = data.get(field, default)
    if not isinstance(value, bool):
        raise invalid(f"'{field}' must be true or false")
    return value


def username(data: dict) -> str:
    name = string(data, "username", max_len=64)
    if not USERNAME_RE.fullmatch(name):
        raise invalid("username must be 3-32 characters of letters, digits, '_', '.' or '-'")
    return name


def password(data: dict) -> str:
    pw = string(data, "password", max_len=1024)
    if not 8 <= len(pw) <= 128:
        raise invalid("password must be 8-128 characters")
    return pw


def room_name(data: dict, field: str = "room") -> str:
    name = string(data, field, max_len=256)
    if not ROOM_RE.fullmatch(name):
        raise invalid(f"'{field}' must be 1-64 characters of a-z, 0-9 and '-'")
    return name


def body(data: dict) -> str:
    raw = data.get("body")
    if isinstance(raw, str) and len(raw) > BODY_SENT_MAX:
        raise ChatError("too_large", f"the message body is longer than {BODY_SENT_MAX} characters as sent")
    text = string(data, "body", max_len=BODY_SENT_MAX)
    stripped = text.strip()
    if not stripped:
        raise invalid("the message body is empty")
    if len(stripped) > BODY_MAX:
        raise ChatError("too_large", f"the message body is longer than {BODY_MAX} characters")
    return text


def client_id(data: dict) -> str | None:
    value = string(data, "client_id", required=False, max_len=CLIENT_ID_MAX)
    if value is not None and not value:
        raise invalid("'client_id' must not be empty")
    return value


def ascii_digits(raw: str) -> bool:
    """'0'-'9' only: str.isdigit() also accepts superscripts ('¹') that int() refuses, and
    int() accepts other scripts' digits ('٣') that no client means as an id."""
    return raw.isascii() and raw.isdigit()


def limit(raw, default: int = 50, high: int = 100) -> int:
    if raw is None:
        return default
    wrong = f"'limit' must be a whole number from 1 to {high}"
    if isinstance(raw, str):
        if not ascii_digits(raw):
            raise invalid(wrong)
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= high:
        raise invalid(wrong)
    return raw


def query_id(raw: str | None, field: str) -> int | None:
    if raw is None:
        return None
    if not ascii_digits(raw) or len(raw) > 18:
        raise invalid(f"'{field}' must be a message id")
    return int(raw)
