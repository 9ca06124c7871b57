"""Full-text search over the messages a user may read.

PostgreSQL: the ``messages.search`` tsvector the database keeps (unaccented, 'simple'
configuration), a GIN index, ``to_tsquery`` with every word as a prefix (``word:*``).
SQLite: the FTS5 table ``messages_fts`` (unicode61 without diacritics), ``"word"*`` prefixes.
Both: case, accents and punctuation do not matter; deleted messages have an empty body and
are never found; an edit is found by its new text as soon as it is committed.
"""

from __future__ import annotations

import re

from sqlalchemy import and_, literal_column, select, text
from sqlalchemy.engine import Engine

from ..models import Room
from .database import read_only
from .message_rows import decorate, message_dict, message_query
from .schema import bans, members, messages, rooms

WORD = re.compile(r"[^\W_]+")


def words(q: str) -> list[str]:
    """The words of a query: runs of letters and digits (punctuation and ``_`` split them)."""
    return list(dict.fromkeys(w.lower() for w in WORD.findall(q)))[:20]


class Search:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def _matches(self, terms: list[str]):
        if self.pg:
            query = " & ".join(f"{t}:*" for t in terms)
            return literal_column("messages.search").op("@@")(
                text("to_tsquery('simple', chat_unaccent(:tsq))").bindparams(tsq=query)
            )
        query = " AND ".join('"' + t.replace('"', "") + '"*' for t in terms)
        return messages.c.id.in_(
            text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :ftsq").bindparams(ftsq=query)
        )

    @read_only
    def search(
        self, user_id: int, q: str, room: Room | None, before: int | None, limit: int
    ) -> tuple[list[dict], bool]:
        """Newest first: live messages containing every word of ``q`` as a word or prefix, in
        the rooms the user belongs to and is not banned from (or in ``room``)."""
        terms = words(q)
        if not terms:
            return [], False
        readable = (
            select(members.c.room_id)
            .where(members.c.user_id == user_id)
            .where(~members.c.room_id.in_(select(bans.c.room_id).where(bans.c.user_id == user_id)))
        )
        cond = and_(messages.c.deleted_at.is_(None), messages.c.room_id.in_(readable), self._matches(terms))
        if room is not None:
            cond = and_(cond, messages.c.room_id == room.id)
        if before is not None:
            cond = and_(cond, messages.c.id < before)
        query = message_query().add_columns(rooms.c.name.label("room_name"))
        query = query.join(rooms, rooms.c.id == messages.c.room_id).where(cond)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(messages.c.id.desc()).limit(limit + 1)).all()
            more = len(rows) > limit
            found = [message_dict(r, r.room_name) for r in rows[:limit]]
            return decorate(conn, found, rows[:limit]), more
