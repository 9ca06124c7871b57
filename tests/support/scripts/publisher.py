"""Publisher under eventlet against a real Redis: prints, as one JSON line, what arrived on
the channel for bursts, spread puts, overflow, a failed write and a killed write
(tests/app/test_publisher.py). argv: Redis URL, channel."""

import json
import sys

from app import green

green.patch("eventlet")

import eventlet
import greenlet
import redis

from app.delivery.publisher import Publisher


def main() -> None:
    url, channel = sys.argv[1], sys.argv[2]
    client = redis.Redis.from_url(url)
    sub = client.pubsub(ignore_subscribe_messages=True)
    sub.subscribe(channel)
    pipelines, failures = [], []

    def write(payloads):
        pipelines.append(len(payloads))
        pipe = client.pipeline(transaction=False)
        for p in payloads:
            pipe.publish(channel, p)
        pipe.execute()

    def received(n, within=2.0):
        got, until = [], eventlet.hubs.get_hub().clock() + within
        while len(got) < n and eventlet.hubs.get_hub().clock() < until:
            m = sub.get_message(timeout=0.2)  # None also for the subscription's confirmation
            if m is not None:
                got.append(m["data"].decode())
        return got

    out = {}
    pub = Publisher(write, lambda count, exc: failures.append((count, type(exc).__name__)), max_queued=300)
    # a burst put from one green thread without yielding: one pipeline, in order
    for i in range(250):
        pub.put(str(i))
    eventlet.sleep(0.2)
    out["burst"] = received(250) == [str(i) for i in range(250)]
    out["burst_pipelines"] = list(pipelines)
    # puts from many green threads, spread in time: each arrives once
    pipelines.clear()
    pool = eventlet.GreenPool()
    for k in range(20):
        pool.spawn(lambda k=k: [pub.put(f"g{k}-{j}") or eventlet.sleep(0.001) for j in range(10)])
    pool.waitall()
    eventlet.sleep(0.2)
    got = received(200)
    out["spread_once"] = sorted(got) == sorted(f"g{k}-{j}" for k in range(20) for j in range(10))
    out["spread_order_per_thread"] = all(
        [g for g in got if g.startswith(f"g{k}-")] == [f"g{k}-{j}" for j in range(10)] for k in range(20)
    )
    out["spread_pipelines"] = len(pipelines)
    # beyond max_queued a put is refused and reported, never queued
    pipelines.clear()
    for i in range(310):
        pub.put(f"q{i}")
    out["overflow_failures"] = list(failures)
    failures.clear()
    eventlet.sleep(0.2)
    out["queued_delivered"] = len(received(310))

    # a write that fails: the whole pipeline is reported with its count, the next goes on
    def broken(payloads):
        raise ConnectionError("redis is gone")

    pub.write = broken
    for i in range(5):
        pub.put(f"lost{i}")
    eventlet.sleep(0.1)
    out["failed"] = list(failures)
    pub.write = write
    pub.put("after")
    eventlet.sleep(0.1)
    out["after_failure"] = received(1)

    # a publisher green thread killed mid-write: what is still queued goes out all the same
    def killed(payloads):
        pub.put("survives")  # queued while the write is under way
        pub.write = write
        raise greenlet.GreenletExit()

    pub.write = killed
    pub.put("dies")
    eventlet.sleep(0.2)
    out["after_kill"] = received(2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
