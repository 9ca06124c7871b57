"""How big one page of messages (a history page, a join's ack) may grow."""

from __future__ import annotations

# a page (history, a join's ack) stops before it passes this many bytes of bodies, with `more`
PAGE_MAX_BYTES = 1024 * 1024


def cut_to_bytes(rows: list, budget: int) -> tuple[list, bool]:
    """The leading rows whose bodies fit in ``budget`` UTF-8 bytes (always at least one);
    True when some were cut."""
    used = 0
    for n, row in enumerate(rows):
        used += len(row.body.encode()) + 256  # the body and the rest of the message object
        if used > budget and n > 0:
            return rows[:n], True
    return rows, False
