"""Reactions: who reacted to a message with which emoji."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ..errors import invalid, not_found
from .database import translated
from .message_rows import reactions_of
from .schema import messages, reactions

MAX_EMOJI = 20  # distinct emoji on one message


class Reactions:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock_message = engine.dialect.name == "postgresql"

    @translated
    def set(self, message_id: int, emoji: str, user_id: int, on: bool) -> list[dict]:
        """Add or take back one user's emoji (either twice changes nothing); the message's
        reactions after it. The message's row is locked so two reactions at once cannot take
        it past MAX_EMOJI (SQLite writes one transaction at a time anyway)."""
        with self.engine.begin() as conn:
            live = select(messages.c.id).where(messages.c.id == message_id, messages.c.deleted_at.is_(None))
            if self._lock_message:
                live = live.with_for_update()
            if conn.execute(live).first() is None:
                raise not_found(f"no message {message_id}")
            mine = (reactions.c.message_id == message_id) & (reactions.c.emoji == emoji)
            if on:
                distinct = func.count(func.distinct(reactions.c.emoji))
                present = conn.execute(select(distinct).where(reactions.c.message_id == message_id)).scalar()
                known = conn.execute(select(reactions.c.id).where(mine).limit(1)).first() is not None
                if not known and present >= MAX_EMOJI:
                    raise invalid(f"a message takes at most {MAX_EMOJI} different emoji")
                had = conn.execute(select(reactions.c.id).where(mine, reactions.c.user_id == user_id)).first()
                if had is None:  # the row lock above keeps a twin of this reaction out meanwhile
                    conn.execute(
                        reactions.insert().values(message_id=message_id, emoji=emoji, user_id=user_id)
                    )
            else:
                conn.execute(reactions.delete().where(mine, reactions.c.user_id == user_id))
            return reactions_of(conn, [message_id]).get(message_id, [])
