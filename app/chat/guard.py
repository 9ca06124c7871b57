"""What every action shares: a deadline on everything it waits for."""

from __future__ import annotations

import functools

from .. import green
from ..errors import Unavailable

ACTION_DEADLINE = 5.0  # seconds an action may wait on the database, Redis or S3 in all


def action(fn):
    """A dependency that never answers (a partition does not even close the socket) makes
    the action `unavailable` after ACTION_DEADLINE, never a request that hangs."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            with green.deadline(ACTION_DEADLINE):
                return fn(*args, **kwargs)
        except green.DeadlineExceeded as exc:
            raise Unavailable("a dependency did not answer in time; try again", str(exc)) from exc

    return wrapper
