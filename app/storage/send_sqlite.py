"""The SQLite send path (the embedded default: one process)."""

from __future__ import annotations

import threading

from sqlalchemy import update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from ..models import Room, User
from .messages import after_insert, existing_row
from .schema import messages, rooms


class SqliteSendPath:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _room_lock(self, room_id: int) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(room_id)
            if lock is None:
                lock = self._locks[room_id] = threading.Lock()
            return lock

    def insert(
        self, room: Room, user: User, values: dict, mention_ids: list[int]
    ) -> tuple[int | None, int | None]:
        # one process: a local lock per room orders the numbering
        with self._room_lock(room.id), self.engine.begin() as conn:
            client_id = values["client_id"]
            if client_id is not None and existing_row(conn, room, user, client_id) is not None:
                return None, None
            seq = conn.execute(
                update(rooms)
                .where(rooms.c.id == room.id)
                .values(last_seq=rooms.c.last_seq + 1)
                .returning(rooms.c.last_seq)
            ).scalar_one()
            mid = conn.execute(
                sqlite_insert(messages)
                .values(seq=seq, **values)
                .on_conflict_do_nothing()
                .returning(messages.c.id)
            ).scalar()
            if mid is None:
                return None, None
            after_insert(conn, values, mid, mention_ids)
            return mid, seq
