"""Helpers for the ops Lambdas' tests: event samples, a Lambda context, local HTTP endpoints."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


@dataclass(frozen=True)
class ReceiverCA:
    """A certificate authority made for the test run, and a 127.0.0.1 certificate it signed."""

    ca_file: str
    cert_file: str
    key_file: str

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)


@cache
def receiver_ca() -> ReceiverCA:
    folder = Path(tempfile.mkdtemp(prefix="alarm-router-ca-"))
    now = dt.datetime.now(dt.UTC)

    def certificate(subject, issuer, key, signer, *, ca):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            ).add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate("alarm-router test CA", "alarm-router test CA", ca_key, ca_key, ca=True)
    leaf = certificate("127.0.0.1", "alarm-router test CA", leaf_key, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ReceiverCA(str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem"))


@dataclass
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"ok": true}'


class Endpoint:
    """A real HTTPS server on 127.0.0.1 standing in for Slack, PagerDuty or a webhook.

    Its certificate is signed by the run's own CA (`receiver_ca()`): clients trust it through the
    router's RECEIVER_CA_BUNDLE setting, as they would a private CA in production.

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

        class TLSServer(ThreadingHTTPServer):
            def get_request(self):
                sock, address = super().get_request()
                sock.settimeout(10)
                return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=True), address

            def handle_error(self, request, client_address):
                pass  # a client that refused our certificate or gave up (the tests check it)

        TLSServer.tls = receiver_ca().server_context()
        self.server = TLSServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/{self.name}"

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


# ---- the alarm router's world: secrets, queues, tables, an alarm in CloudWatch -------------

ROUTER_PREFIX = "chat-test/alarm-router/"
ALARM = "chat-prod-app-cpu-high"
ALARM_ARN = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{ALARM}"


def sns_event(**changes):
    """The SNS sample with fields of the CloudWatch message changed."""
    event = load_event("sns_metric_alarm")
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message.update(changes)
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return event


def use_rules(router, rules):
    """Routing rules from SSM, as an operator would override the bundled ones."""
    boto3.client("ssm").put_parameter(
        Name="/chat-test/alarm-router/routes", Value=json.dumps(rules), Type="String", Overwrite=True
    )
    router.monkeypatch.setenv("ROUTES_PARAMETER", "/chat-test/alarm-router/routes")
    router.handler.reset()


def outcomes(result):
    return sorted(
        (d["receiver"], d["action"], d["outcome"]) for r in result["results"] for d in r["deliveries"]
    )


def retention_policies(max_count: int, months: int, days: int):
    """Hypothesis strategy: retention policies with every rule up to the given sizes."""
    from hypothesis import strategies as st
    from snapshot_pruner.policy import Duration, Policy

    counts = st.integers(min_value=0, max_value=max_count)
    within = st.builds(
        Duration, st.integers(0, 2), st.integers(0, months), st.integers(0, days), st.integers(0, 48)
    )
    rules = {name: counts for name in ("last", "hourly", "daily", "weekly", "monthly", "yearly")}
    return st.builds(Policy, within=within, **rules)


def put_alarm(name: str, tags: dict[str, str], namespace: str = "AWS/EC2", metric: str = "CPUUtilization"):
    """A metric alarm in (moto's) CloudWatch, so the router finds its tags."""
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace=namespace,
        MetricName=metric,
        Statistic="Average",
        Period=300,
        EvaluationPeriods=1,
        Threshold=80.0,
        ComparisonOperator="GreaterThanThreshold",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
