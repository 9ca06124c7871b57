"""The JSON module Socket.IO and the message queue use: orjson, with the standard library as
the fallback for what orjson refuses (integers past 64 bits, lone surrogates), so a strange
payload is answered by the contract's checks instead of failing in the codec."""

from __future__ import annotations

import json

import orjson


def dumps(obj, **_kwargs) -> str:
    try:
        return orjson.dumps(obj).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(obj, separators=(",", ":"))


def loads(data, **_kwargs):
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
