"""The event loop chosen by ASYNC_MODE, and the one way to run blocking work off it.

``patch()`` must run before anything imports socket, ssl, redis or psycopg2: ``python -m app
serve`` calls it first. psycopg2 is made cooperative (psycogreen), so a slow query waits on
the hub instead of stalling every socket; CPU-bound password hashing runs in real threads.
"""

from __future__ import annotations

from contextlib import contextmanager

_mode: str | None = None


def patch(mode: str) -> None:
    global _mode
    if mode == "eventlet":
        import warnings

        # eventlet announces its maintenance mode on import; the choice is measured and
        # documented (docs/operations.md), so the warning is noise in every log
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
        from psycogreen.eventlet import patch_psycopg

        patch_psycopg()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
    else:
        raise ValueError(mode)
    _mode = mode


def cooperative() -> bool:
    """True once patch() ran: blocking calls yield to other green threads."""
    return _mode is not None


def offload(fn, *args):
    """Run a blocking, GIL-releasing call (argon2) in an OS thread without stalling the hub."""
    if _mode == "eventlet":
        from eventlet import tpool

        return tpool.execute(fn, *args)
    if _mode == "gevent":
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)


def spawn(fn, *args):
    """A cooperative background task (used for housekeeping loops)."""
    if _mode == "eventlet":
        import eventlet

        return eventlet.spawn(fn, *args)
    if _mode == "gevent":
        import gevent

        return gevent.spawn(fn, *args)
    import threading

    t = threading.Thread(target=fn, args=args, daemon=True)
    t.start()
    return t


def sleep(seconds: float) -> None:
    if _mode == "eventlet":
        import eventlet

        eventlet.sleep(seconds)
    elif _mode == "gevent":
        import gevent

        gevent.sleep(seconds)
    else:
        import time

        time.sleep(seconds)


class DeadlineExceeded(Exception):
    """A cooperative call took longer than its deadline."""


@contextmanager
def deadline(seconds: float):
    """Abort the enclosed cooperative I/O after `seconds` (raises DeadlineExceeded).

    A database partition never answers and never closes the socket; without this a request
    would wait for it forever. The timeout is a BaseException inside the enclosed code, which
    SQLAlchemy treats as a broken connection and discards."""
    if _mode == "eventlet":
        import eventlet

        timer = eventlet.Timeout(seconds)
        try:
            yield
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            raise DeadlineExceeded(f"no answer within {seconds} s") from None
        finally:
            timer.cancel()
    elif _mode == "gevent":
        import gevent

        timer = gevent.Timeout(seconds)
        timer.start()
        try:
            yield
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            raise DeadlineExceeded(f"no answer within {seconds} s") from None
        finally:
            timer.close()
    else:
        yield


def census() -> dict:
    """Green threads alive in this process (started or scheduled, not finished), OS threads
    and objects the collector tracks: what a leak would show first. Walks the heap (tens of
    milliseconds): for an operator's `kill -USR1`, not for a hot path."""
    import gc
    import threading

    import greenlet

    gc.unfreeze()  # frozen objects (app/gcpolicy.py) are counted too
    try:
        objects = gc.get_objects()
    finally:
        gc.freeze()
    alive = sum(1 for o in objects if isinstance(o, greenlet.greenlet) and not o.dead)
    return {"greenlets": alive, "threads": threading.active_count(), "gc_objects": len(objects)}
