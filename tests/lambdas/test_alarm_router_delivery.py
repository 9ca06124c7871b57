"""HTTPS delivery against real local servers: retries on 429/5xx/timeouts, never on 4xx or 3xx."""

import functools
import socket
import time

import pytest
from alarm_router.delivery import DeliveryFailed, RetryPolicy, backoff_delay, post_json
from lambda_support import Answer, receiver_ca

FAST = RetryPolicy(max_attempts=4, timeout=0.5, backoff_base=0.01, backoff_cap=0.05)
post = functools.partial(post_json, tls=receiver_ca().client_context())


def test_a_200_is_delivered_at_the_first_attempt(endpoint):
    result = post(endpoint.url, {"hello": "on-call"}, FAST)
    assert (result.status, result.attempts) == (200, 1)
    (request,) = endpoint.requests
    assert request["json"] == {"hello": "on-call"}
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["User-Agent"].startswith("chat-alarm-router/")


def test_429_is_retried_after_retry_after(endpoint):
    endpoint.script = [Answer(429, headers={"Retry-After": "0.2"})]
    started = time.monotonic()
    result = post(endpoint.url, {}, FAST)
    assert result.attempts == 2
    # Retry-After is honoured up to the backoff cap (0.05 s here), not ignored.
    assert time.monotonic() - started >= 0.05


def test_5xx_is_retried_until_success(endpoint):
    endpoint.script = [Answer(500), Answer(503)]
    assert post(endpoint.url, {}, FAST).attempts == 3
    assert len(endpoint.requests) == 3


def test_persistent_5xx_fails_after_max_attempts(endpoint):
    endpoint.default = Answer(502)
    with pytest.raises(DeliveryFailed) as failed:
        post(endpoint.url, {}, FAST)
    assert failed.value.attempts == 4 and failed.value.status == 502
    assert failed.value.retryable
    assert len(endpoint.requests) == 4
    assert "HTTP 502" in str(failed.value) and "after 4 attempts" in str(failed.value)


def test_a_4xx_is_not_retried(endpoint):
    endpoint.default = Answer(400, body='{"message":"invalid routing key"}')
    with pytest.raises(DeliveryFailed) as failed:
        post(endpoint.url, {}, FAST)
    assert (failed.value.attempts, failed.value.status) == (1, 400)
    assert not failed.value.retryable
    assert "invalid routing key" in str(failed.value)
    assert len(endpoint.requests) == 1


def test_a_slow_answer_times_out_and_is_retried(endpoint):
    endpoint.script = [Answer(200, delay=3.0)]
    policy = RetryPolicy(max_attempts=3, timeout=0.2, backoff_base=0.01, backoff_cap=0.02)
    started = time.monotonic()
    result = post(endpoint.url, {}, policy)
    assert result.attempts == 2
    assert time.monotonic() - started < 2.5  # the first call was cut at its timeout


def test_always_slow_fails_with_a_timeout(endpoint):
    endpoint.default = Answer(200, delay=0.6)
    policy = RetryPolicy(max_attempts=2, timeout=0.15, backoff_base=0.01, backoff_cap=0.02)
    with pytest.raises(DeliveryFailed, match="timed out") as failed:
        post(endpoint.url, {}, policy)
    assert failed.value.attempts == 2 and failed.value.retryable


def test_connection_refused_is_retried_then_fails():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryFailed, match="connection failed") as failed:
        post(f"https://127.0.0.1:{port}/x", {}, FAST)
    assert failed.value.attempts == 4


def test_no_retry_starts_past_the_deadline(endpoint):
    endpoint.default = Answer(500)
    policy = RetryPolicy(max_attempts=10, timeout=0.5, backoff_base=0.3, backoff_cap=0.3)
    with pytest.raises(DeliveryFailed):
        post(endpoint.url, {}, policy, deadline=time.monotonic() + 0.5, rand=lambda: 1.0)
    assert len(endpoint.requests) < 10


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:9/plain", "ftp://example.com/"])
def test_only_https_urls_are_accepted(url):
    with pytest.raises(DeliveryFailed, match="not https") as failed:
        post(url, {}, FAST)
    assert failed.value.attempts == 0 and not failed.value.retryable


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_refused_not_followed(endpoint, status):
    endpoint.default = Answer(status, headers={"Location": "https://127.0.0.1:9/elsewhere"})
    with pytest.raises(DeliveryFailed, match="redirect") as failed:
        post(endpoint.url, {"secret": "body"}, FAST)
    assert (failed.value.attempts, failed.value.status) == (1, status)
    assert len(endpoint.requests) == 1


def test_a_receiver_whose_certificate_is_not_trusted_gets_nothing(endpoint):
    policy = RetryPolicy(max_attempts=2, timeout=0.5, backoff_base=0.01, backoff_cap=0.02)
    with pytest.raises(DeliveryFailed, match="CERTIFICATE_VERIFY_FAILED"):
        post_json(endpoint.url, {"secret": "body"}, policy)  # the system CAs only
    assert endpoint.requests == []


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    ceilings = [backoff_delay(n, policy, lambda: 1.0) for n in range(1, 8)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_delay(3, policy, lambda: 0.25) == 0.5
    assert backoff_delay(3, policy, lambda: 0.0) == 0.0
