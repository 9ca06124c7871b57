"""Helpers for the ops Lambdas' tests: event samples, a Lambda context, local HTTP endpoints."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).parent / "events"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class LambdaContext:
    """What Lambda passes as `context`; Powertools reads these attributes."""

    function_name: str = "chat-test-ops"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:chat-test-ops"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 60_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"ok": true}'


class Endpoint:
    """A real HTTP server on 127.0.0.1 standing in for Slack, PagerDuty or a webhook.

    Answers come from a script (status, delay, headers) and then the default; every request
    is recorded with its headers and parsed JSON body.
    """

    def __init__(self, name: str, default: Answer):
        self.name = name
        self.default = default
        self.script: list[Answer] = []
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with endpoint._lock:
                    endpoint.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "raw": raw,
                            "json": json.loads(raw or b"null"),
                        }
                    )
                    answer = endpoint.script.pop(0) if endpoint.script else endpoint.default
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body.encode()
                try:
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{self.name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def emitted(captured: str) -> list[dict[str, Any]]:
    """The JSON lines (logs and EMF metrics) a handler printed."""
    lines = []
    for line in captured.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


def metric_values(captured: str, name: str, **dimensions: str) -> list[float]:
    """Values of an EMF metric, filtered by dimension values."""
    values = []
    for blob in emitted(captured):
        meta = blob.get("_aws")
        if not meta or name not in blob:
            continue
        if any(blob.get(k) != v for k, v in dimensions.items()):
            continue
        value = blob[name]
        values.extend(value if isinstance(value, list) else [value])
    return values
