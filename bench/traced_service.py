"""The service with its garbage collector watched, for the socket-count scenarios:
``python -m bench.traced_service serve --host H --port P``, or any benchmark's service with
``BENCH_SERVICE_MODULE=bench.traced_service`` (bench/harness.py).

With ``GC_LOG=1`` every collection of the oldest generation is logged to stderr with its
duration and the objects it left; with ``GC_FULL=off`` the oldest generation is never
collected on its own (a threshold no run reaches): what the latency would be without those
pauses, for measuring only.
"""

from __future__ import annotations

import gc
import os
import sys
import time


def log_collections() -> None:
    started = {}

    def callback(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            started["at"] = time.perf_counter()
            return
        took = (time.perf_counter() - started.pop("at", time.perf_counter())) * 1000
        young = gc.get_objects(2)
        left = len(young)
        if os.environ.get("GC_TYPES") == "1" and left > 5000:
            from collections import Counter

            top = Counter(type(o).__qualname__ for o in young).most_common(12)
            sys.stderr.write(f"[gc] types {top}\n")
        del young
        when = time.strftime("%H:%M:%S")
        sys.stderr.write(
            f"[gc] {when} generation 2: {took:.1f} ms, {left} objects left, {info['collected']} collected\n"
        )

    gc.callbacks.append(callback)


def log_policy() -> None:
    """Every check of app/gcpolicy.py: the blocks held, the open sockets and the limit."""
    from app import gcpolicy

    check = gcpolicy.Collector.check

    def logged(self):
        blocks, sockets, limit = self.blocks(), self.open_sockets(), self.limit()
        out = check(self)
        when = time.strftime("%H:%M:%S")
        sys.stderr.write(
            f"[gc] {when} policy: {blocks} blocks, {sockets} sockets, limit {limit:.0f}, "
            f"{(blocks - self.base_blocks) / max(sockets, 1):.0f} blocks per socket, walk {out}\n"
        )
        return out

    gcpolicy.Collector.check = logged


def main() -> None:
    if os.environ.get("GC_LOG") == "1":
        log_collections()
        log_policy()
    if os.environ.get("GC_FULL") == "off":
        gc.set_threshold(700, 10, 10**9)
    from app.__main__ import main as app_main

    app_main(sys.argv[1:])


if __name__ == "__main__":
    main()
