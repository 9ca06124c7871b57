"""Calls made at the same moment, from threads of their own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable


def run_together(fn: Callable, args: Iterable, timeout: float = 10) -> None:
    """``fn(arg)`` for each of ``args``, each in a thread started before any is waited for."""
    threads = [threading.Thread(target=fn, args=(arg,)) for arg in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
