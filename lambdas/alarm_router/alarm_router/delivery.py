"""HTTP delivery with a timeout on every call and retries with backoff and jitter.

HTTPS only, and a redirect is an error, not followed: a receiver URL is a secret, and a
redirect would carry the body (and its signature) to a host nobody configured.
"""

from __future__ import annotations

import json
import random
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

USER_AGENT = "chat-alarm-router/1"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    timeout: float = 5.0  # seconds, for each HTTP call
    backoff_base: float = 0.5
    backoff_cap: float = 8.0


@dataclass(frozen=True)
class DeliveryResult:
    status: int
    attempts: int


class DeliveryFailed(Exception):
    """Every attempt failed, or the answer said retrying cannot help."""

    def __init__(self, message: str, *, attempts: int, status: int | None, retryable: bool):
        super().__init__(message)
        self.attempts = attempts
        self.status = status
        self.retryable = retryable


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises the 3xx as an HTTPError


def opener(tls: ssl.SSLContext | None = None) -> urllib.request.OpenerDirector:
    """An opener that verifies certificates (against `tls`'s CAs when given) and never redirects."""
    return urllib.request.build_opener(
        _RefuseRedirects(), urllib.request.HTTPSHandler(context=tls or ssl.create_default_context())
    )


def backoff_delay(attempt: int, policy: RetryPolicy, rand: Callable[[], float]) -> float:
    """Full jitter: a random wait up to base * 2^(attempt-1), capped."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * (2 ** (attempt - 1)))
    return ceiling * rand()


def post_json(
    url: str,
    payload: dict[str, Any],
    policy: RetryPolicy,
    *,
    headers: dict[str, str] | None = None,
    signer: Callable[[bytes], dict[str, str]] | None = None,
    deadline: float | None = None,
    tls: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> DeliveryResult:
    """POST JSON; retries on 429, 5xx, timeouts and connection errors; never past `deadline`.

    `deadline` is a time.monotonic() value: the Lambda's own end, minus a margin, so a retry
    never starts that the function could not finish. `tls` replaces the system CAs (a private
    CA, or a test's own).
    """
    if not url.lower().startswith("https://"):
        raise DeliveryFailed("receiver URL is not https://", attempts=0, status=None, retryable=False)
    client = opener(tls)
    body = json.dumps(payload).encode()
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
    if signer is not None:
        all_headers.update(signer(body))
    last_error = "no attempt made"
    last_status: int | None = None
    attempt = 0
    while attempt < policy.max_attempts:
        attempt += 1
        timeout = policy.timeout
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout <= 0.05:
                break
        retry_after: float | None = None
        # The scheme is checked above: only https URLs from the receiver's own secret.
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers=all_headers, method="POST"
        )
        try:
            with client.open(request, timeout=timeout) as response:
                return DeliveryResult(status=response.status, attempts=attempt)
        except urllib.error.HTTPError as exc:
            last_status = exc.code
            last_error = f"HTTP {exc.code}: {_snippet(exc)}"
            if 300 <= exc.code < 400:
                last_error = f"HTTP {exc.code}: redirect to {exc.headers.get('Location')!r} refused"
            if exc.code != 429 and exc.code < 500:
                raise DeliveryFailed(last_error, attempts=attempt, status=exc.code, retryable=False) from exc
            retry_after = _retry_after(exc.headers.get("Retry-After"))
        except TimeoutError:
            last_status, last_error = None, f"timed out after {timeout:.1f}s"
        except urllib.error.URLError as exc:
            last_status = None
            if isinstance(exc.reason, TimeoutError):
                last_error = f"timed out after {timeout:.1f}s"
            else:
                last_error = f"connection failed: {exc.reason}"
        except (ConnectionError, OSError) as exc:
            last_status, last_error = None, f"connection failed: {exc}"
        if attempt >= policy.max_attempts:
            break
        delay = backoff_delay(attempt, policy, rand)
        if retry_after is not None:
            delay = max(delay, min(retry_after, policy.backoff_cap))
        if deadline is not None and time.monotonic() + delay >= deadline:
            break
        sleep(delay)
    raise DeliveryFailed(
        f"{last_error} (after {attempt} attempt{'s' if attempt != 1 else ''})",
        attempts=attempt,
        status=last_status,
        retryable=True,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: the capped backoff is as good


def _snippet(exc: urllib.error.HTTPError) -> str:
    try:
        text = exc.read(300).decode("utf-8", "replace")
    except OSError:
        text = ""
    return " ".join(text.split()) or exc.reason or ""
