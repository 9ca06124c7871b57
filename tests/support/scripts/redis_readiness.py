"""redis-py's readiness check on a pooled connection under eventlet, with the redis-readiness
fast path installed: prints whether a reply
is pending before, while and after one waits (tests/app/test_wire.py). argv: Redis URL."""

import sys
import time

from app import green

green.patch("eventlet")

import redis

from app.fastpath import redis_readiness

redis_readiness.install()


def main() -> None:
    r = redis.Redis.from_url(sys.argv[1])
    r.ping()
    conn = r.connection_pool.get_connection()
    out = [conn.can_read()]  # nothing pending
    conn.send_command("PING")
    time.sleep(0.2)
    out.append(conn.can_read())  # a reply waits unread
    conn.read_response()
    out.append(conn.can_read())  # read: nothing pending again
    r.connection_pool.release(conn)
    print(out)


if __name__ == "__main__":
    main()
