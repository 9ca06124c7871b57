"""The instance's numbers as CloudWatch embedded metric format (EMF) lines on stdout.

The CloudWatch agent ships stdout to the app's log group, where EMF lines become metrics in
``METRICS_NAMESPACE`` with the dimension ``Env``: ``ActiveConnections`` (sockets open on this
process), ``MessagesSent`` (messages stored in the interval), ``Errors`` (internal errors),
``LoginFailures`` (sign-ins refused: a wrong password or an account backing off).
The Auto Scaling group scales on ActiveConnections.
"""

from __future__ import annotations

import json
import sys
import threading
import time


class Metrics:
    def __init__(self, namespace: str, env: str, instance_id: str, out=None):
        self.namespace = namespace
        self.env = env
        self.instance_id = instance_id
        self.out = out or sys.stdout
        self._lock = threading.Lock()
        self._connections = 0
        self._sent = 0
        self._errors = 0
        self._login_failures = 0

    def connected(self, count: int) -> None:
        self._connections = count

    def sent(self) -> None:
        with self._lock:
            self._sent += 1

    def error(self, count: int = 1) -> None:
        with self._lock:
            self._errors += count

    def login_failed(self) -> None:
        with self._lock:
            self._login_failures += 1

    def flush(self) -> dict:
        with self._lock:
            sent, errors, login_failures = self._sent, self._errors, self._login_failures
            self._sent = self._errors = self._login_failures = 0
        record = {
            "_aws": {
                "Timestamp": int(time.time() * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": self.namespace,
                        "Dimensions": [["Env"]],
                        "Metrics": [
                            {"Name": "ActiveConnections", "Unit": "Count"},
                            {"Name": "MessagesSent", "Unit": "Count"},
                            {"Name": "Errors", "Unit": "Count"},
                            {"Name": "LoginFailures", "Unit": "Count"},
                        ],
                    }
                ],
            },
            "Env": self.env,
            "instance": self.instance_id,
            "ActiveConnections": self._connections,
            "MessagesSent": sent,
            "Errors": errors,
            "LoginFailures": login_failures,
        }
        self.out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.out.flush()
        return record
