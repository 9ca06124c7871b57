"""Logs on stderr: one JSON object per line in production (LOG_FORMAT=json, the default when
stderr is not a terminal), short lines a person reads at a terminal (LOG_FORMAT=text, the
default on one). Tokens and passwords are never logged."""

from __future__ import annotations

import logging
import sys
import time

from pythonjsonlogger.json import JsonFormatter

# attributes every LogRecord has: what is left over came in through ``extra=``
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class TextFormatter(logging.Formatter):
    """``15:04:05 INFO  chat.http    GET /api/me 200 1.2ms``: a request in one short line;
    anything else as its message and its fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD and k != "instance"}
        message = record.getMessage()
        if message == "request" and {"method", "path", "status"} <= fields.keys():
            method, path, status = fields.pop("method"), fields.pop("path"), fields.pop("status")
            message = f"{method} {path} {status} {fields.pop('ms', '?')}ms"
            fields.pop("request_id", None)
            fields.pop("ip", None)
        extra = "".join(f" {k}={v}" for k, v in fields.items())
        line = f"{clock} {record.levelname:<7} {record.name:<13} {message}{extra}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def setup(level: str = "INFO", instance_id: str = "", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "text":
        handler.setFormatter(TextFormatter())
    else:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                static_fields={"instance": instance_id} if instance_id else None,
                timestamp=False,
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # the libraries' own chatter at INFO would double every line
    for noisy in ("engineio", "socketio", "werkzeug", "botocore", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
