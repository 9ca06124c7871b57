"""A send path that stores nothing: the benchmark's ``BENCH_NO_PERSIST`` mode, which
measures the service without its database writes. Never for real use: messages are gone
once delivered, and a restart reuses ids."""

from __future__ import annotations

import itertools

from ..models import Room, User


class UnpersistedSendPath:
    def __init__(self):
        self._ids = itertools.count(1)

    def insert(self, room: Room, user: User, values: dict, mention_ids: list[int]) -> tuple[int, None]:
        # no sequence number: delivered in publish order, which is id order in one process
        # (nothing yields between taking the id and publishing the message)
        return next(self._ids), None
