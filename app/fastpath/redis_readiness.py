"""redis-py's readiness check of pooled connections, without eventlet's hub.

redis-py checks every connection it takes from its pool for unread data with a zero-timeout
readiness test. Under eventlet that test went through the green ``select`` (eventlet removes
``poll``): a hub round per Redis command, 15-30 % of a busy server's CPU. A zero timeout
never waits, so the unpatched ``poll`` answers it without the hub; any wait with a timeout
still goes the green way.
"""

from __future__ import annotations


def install() -> None:
    from eventlet import patcher
    from redis._parsers import hiredis as parser

    real_select = patcher.original("select")
    green_check = parser._socket_can_read

    def socket_can_read(sock, timeout):
        if timeout == 0:
            poller = real_select.poll()
            poller.register(sock.fileno(), real_select.POLLIN)
            return bool(poller.poll(0))
        return green_check(sock, timeout)

    parser._socket_can_read = socket_can_read
