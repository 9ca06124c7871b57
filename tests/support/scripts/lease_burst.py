"""60 rate-limited sends fired at once on green threads against Redis: prints how many were
allowed, how many answered and the seconds it took (tests/app/test_rate_leases.py).
argv: Redis URL, async mode (eventlet or gevent)."""

import sys
import time
import uuid

from app import green

green.patch(sys.argv[2])

from app.config import Rate, load
from app.storage.state import RedisState


def main() -> None:
    channel = "leases-burst-" + uuid.uuid4().hex[:10]
    store = RedisState(
        load({"SECRET_KEY": "k" * 40, "REDIS_URL": sys.argv[1], "SOCKETIO_CHANNEL": channel}), "i"
    )
    rate = Rate(count=10, period=1.0, burst=20)
    waits = []
    started = time.monotonic()
    for _ in range(60):
        green.spawn(lambda: waits.append(store.hit_leased("send:1", rate)))
    while len(waits) < 60 and time.monotonic() - started < 20:
        green.sleep(0.01)
    elapsed = time.monotonic() - started
    store.redis.delete(channel + ":rl:send:1")
    print(sum(1 for w in waits if w == 0), len(waits), round(elapsed, 3))


if __name__ == "__main__":
    main()
