"""Register, create a room, send a message over Socket.IO's long-polling transport (no
client library: the standard library only), read it back with the HTTP API, log out."""

from __future__ import annotations

import json
import secrets
import sys
import urllib.request

BASE = sys.argv[1].rstrip("/")
if not BASE.startswith(("https://", "http://")):
    sys.exit("usage: smoke_test.py https://chat.example.com")


def call(method: str, path: str, body=None, token=None, raw=False):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(BASE + path, data=data, method=method)  # noqa: S310 - http(s) only, checked above
    req.add_header("Content-Type", "text/plain;charset=UTF-8" if raw else "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=20) as resp:  # noqa: S310 - http(s) only
        text = resp.read().decode()
        return text if raw else (json.loads(text) if text else None)


name = "smoke" + secrets.token_hex(4)
token = call("POST", "/api/register", {"username": name, "password": secrets.token_urlsafe(16)})["token"]
room = call("POST", "/api/rooms", {"name": name, "private": True}, token)["room"]["name"]
poll = "/socket.io/?EIO=4&transport=polling"
opened = call("GET", poll, raw=True)
sid = json.loads(opened[opened.index("{") :])["sid"]
call("POST", f"{poll}&sid={sid}", ("40" + json.dumps({"token": token})).encode(), raw=True)
call("GET", f"{poll}&sid={sid}", raw=True)  # the connect answer
text = f"smoke test {secrets.token_hex(4)}"


def emit(ack_id: int, event: str, data: dict) -> None:
    call("POST", f"{poll}&sid={sid}", f"42{ack_id}{json.dumps([event, data])}".encode(), raw=True)


emit(1, "join", {"room": room})
emit(2, "send", {"room": room, "body": text})
for _ in range(10):
    history = call("GET", f"/api/rooms/{room}/messages", token=token)["messages"]
    if any(m["body"] == text for m in history):
        break
    call("GET", f"{poll}&sid={sid}", raw=True)
else:
    sys.exit(f"smoke test: the message sent to {room} never appeared in its history")
call("POST", "/api/logout", token=token)
print(f"smoke test passed against {BASE}")
