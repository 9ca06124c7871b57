"""Messages in the database: history pages, the join snapshot, edits, deletions, and the
send path chosen at composition (PostgreSQL, SQLite, or none for measurements).

A send path has one method, ``insert(room, user, values) -> (id, seq)``: the message's id
and its room sequence number, taken in the statement that stores it; ``(None, None)`` when a
message with the same ``client_id`` was stored before, ``(None, seq)`` when the number was
taken by a send that lost a race to its duplicate (burnt: published as a gap).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Engine

from ..models import Room, User, iso, now
from .database import translated
from .schema import messages, rooms, uploads, users


class SendPath(Protocol):
    def insert(self, room: Room, user: User, values: dict) -> tuple[int | None, int | None]: ...


def message_query():
    return (
        select(
            messages.c.id,
            messages.c.body,
            messages.c.created_at,
            messages.c.edited_at,
            messages.c.client_id,
            messages.c.attachment_key,
            messages.c.room_id,
            messages.c.seq,
            messages.c.deleted_at,
            users.c.username,
            uploads.c.filename,
            uploads.c.content_type,
            uploads.c.size,
        )
        .join(users, users.c.id == messages.c.user_id)
        .outerjoin(uploads, uploads.c.key == messages.c.attachment_key)
    )


def message_dict(row, room_name: str) -> dict:
    """The contract's message object from a row of ``message_query``."""
    attachment = None
    if row.attachment_key:
        attachment = {
            "key": row.attachment_key,
            "filename": row.filename,
            "content_type": row.content_type,
            "size": row.size,
        }
    return {
        "id": row.id,
        "room": room_name,
        "user": row.username,
        "body": row.body,
        "created_at": iso(row.created_at),
        "edited_at": iso(row.edited_at),
        "client_id": row.client_id,
        "attachment": attachment,
    }


def existing_row(conn, room: Room, user: User, client_id: str):
    return conn.execute(
        message_query().where(
            messages.c.room_id == room.id,
            messages.c.user_id == user.id,
            messages.c.client_id == client_id,
        )
    ).first()


def attach(conn, key: str | None, message_id: int) -> None:
    if key:
        conn.execute(update(uploads).where(uploads.c.key == key).values(message_id=message_id))


class MessageStore:
    def __init__(self, engine: Engine, send_path: SendPath):
        self.engine = engine
        self.send_path = send_path
        # the join's snapshot: the page holds exactly the messages numbered up to last_seq
        self._snapshot = "REPEATABLE READ" if engine.dialect.name == "postgresql" else "SERIALIZABLE"

    def _page(self, conn, room: Room, *, before=None, after=None, limit=50) -> tuple[list[dict], bool]:
        """Keyset pagination over a room's live messages; ascending by id."""
        cond = and_(messages.c.room_id == room.id, messages.c.deleted_at.is_(None))
        q = message_query()
        if after is not None:
            q = q.where(cond, messages.c.id > after).order_by(messages.c.id.asc())
        else:
            if before is not None:
                cond = and_(cond, messages.c.id < before)
            q = q.where(cond).order_by(messages.c.id.desc())
        rows = conn.execute(q.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        if after is None:
            rows.reverse()
        return [message_dict(r, room.name) for r in rows], more

    @translated
    def page(self, room: Room, *, before=None, after=None, limit=50) -> tuple[list[dict], bool]:
        with self.engine.connect() as conn:
            return self._page(conn, room, before=before, after=after, limit=limit)

    @translated
    def join_snapshot(
        self, room: Room, since: int | None, history: int, catch_up: int
    ) -> tuple[list[dict], bool, int]:
        """The newest ``history`` messages (or ``catch_up`` after ``since``) and the room's
        sequence number they were read at, in one snapshot."""
        with self.engine.connect().execution_options(isolation_level=self._snapshot) as conn, conn.begin():
            last_seq = conn.execute(select(rooms.c.last_seq).where(rooms.c.id == room.id)).scalar_one()
            if since is None:
                page, more = self._page(conn, room, limit=history)
            else:
                page, more = self._page(conn, room, after=since, limit=catch_up)
        return page, more, last_seq

    @translated
    def by_seq(self, room: Room, seq: int) -> dict | None:
        """A room's live message by sequence number."""
        with self.engine.connect() as conn:
            row = conn.execute(
                message_query().where(
                    messages.c.room_id == room.id, messages.c.seq == seq, messages.c.deleted_at.is_(None)
                )
            ).first()
        return None if row is None else message_dict(row, room.name)

    @translated
    def existing(self, room: Room, user: User, client_id: str) -> tuple[dict, int | None, bool] | None:
        """The message a user sent with this client_id: (message, seq, deleted), or None."""
        with self.engine.connect() as conn:
            row = existing_row(conn, room, user, client_id)
        if row is None:
            return None
        return message_dict(row, room.name), row.seq, row.deleted_at is not None

    @translated
    def live(self, message_id: int):
        """(id, user_id, room_id) of a message that is not deleted, or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(messages.c.id, messages.c.user_id, messages.c.room_id).where(
                    messages.c.id == message_id, messages.c.deleted_at.is_(None)
                )
            ).first()

    @translated
    def edit(self, room: Room, message_id: int, body: str) -> dict | None:
        """The edited message, or None when it was deleted meanwhile."""
        live = and_(messages.c.id == message_id, messages.c.deleted_at.is_(None))
        with self.engine.begin() as conn:
            changed = conn.execute(update(messages).where(live).values(body=body, edited_at=now()))
            if changed.rowcount == 0:
                return None
            row = conn.execute(message_query().where(messages.c.id == message_id)).first()
        return message_dict(row, room.name)

    @translated
    def delete(self, message_id: int) -> bool:
        """False when it was deleted already."""
        live = and_(messages.c.id == message_id, messages.c.deleted_at.is_(None))
        # the row stays (client_id idempotency, ids never reused); its content goes
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(messages).where(live).values(deleted_at=now(), body="", attachment_key=None)
            )
        return changed.rowcount > 0

    @translated
    def insert(self, room: Room, user: User, values: dict) -> tuple[int | None, int | None]:
        return self.send_path.insert(room, user, values)

    @translated
    def message_from_values(self, message_id: int, room: Room, user: User, values: dict) -> dict:
        """The message object of a message just stored, without reading it back."""
        attachment = None
        if values["attachment_key"]:
            with self.engine.connect() as conn:
                up = conn.execute(
                    select(uploads.c.filename, uploads.c.content_type, uploads.c.size).where(
                        uploads.c.key == values["attachment_key"]
                    )
                ).one()
            attachment = {
                "key": values["attachment_key"],
                "filename": up.filename,
                "content_type": up.content_type,
                "size": up.size,
            }
        return {
            "id": message_id,
            "room": room.name,
            "user": user.username,
            "body": values["body"],
            "created_at": iso(values["created_at"]),
            "edited_at": None,
            "client_id": values["client_id"],
            "attachment": attachment,
        }
