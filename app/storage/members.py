"""Who belongs to a room, who is banned from it, how far each member has read, and the
direct message rooms of user pairs."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..models import User, now
from .database import dm_key, translated
from .schema import bans, members, messages, rooms, users


def _newest(conn, room_id: int):
    return conn.execute(select(func.max(messages.c.id)).where(messages.c.room_id == room_id)).scalar()


class Access(NamedTuple):
    """A user's standing in a room, as a join reads it: banned, a member, their read position."""

    banned: bool
    member: bool
    last_read: int | None


def access_columns() -> tuple:
    """The columns of a user's ``Access`` to a room (bound: room, user), for a statement of
    their own or added to another one (a history page reads them with its messages)."""
    mine = and_(members.c.room_id == bindparam("room"), members.c.user_id == bindparam("user"))
    return (
        select(bans.c.user_id)
        .where(bans.c.room_id == bindparam("room"), bans.c.user_id == bindparam("user"))
        .exists()
        .label("banned"),
        select(members.c.user_id).where(mine).exists().label("member"),
        select(members.c.last_read).where(mine).scalar_subquery().label("last_read"),
    )


def access_of(row) -> Access:
    """The ``Access`` in a row that has ``access_columns``."""
    return Access(bool(row.banned), bool(row.member), row.last_read)


class Memberships:
    def __init__(self, engine: Engine):
        self.engine = engine

    @translated
    def membership(self, room_id: int, user_id: int):
        """The member's row (``last_read``), or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(members.c.last_read).where(members.c.room_id == room_id, members.c.user_id == user_id)
            ).first()

    @translated
    def add(self, room_id: int, user_id: int) -> bool:
        """Make the user a member, having read the room up to its newest message; False when
        they were one already."""
        try:
            with self.engine.begin() as conn:
                exists = conn.execute(
                    select(members.c.user_id).where(
                        members.c.room_id == room_id, members.c.user_id == user_id
                    )
                ).first()
                if exists is not None:
                    return False
                conn.execute(
                    members.insert().values(
                        room_id=room_id, user_id=user_id, created_at=now(), last_read=_newest(conn, room_id)
                    )
                )
                return True
        except IntegrityError:
            return False  # added concurrently: the outcome is the same

    @translated
    def remove(self, room_id: int, user_id: int) -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(
                members.delete().where(members.c.room_id == room_id, members.c.user_id == user_id)
            )
        return gone.rowcount > 0

    @translated
    def members(self, room_id: int) -> list[tuple[int, str]]:
        """(user id, username) of every member, sorted by username."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(users.c.id, users.c.username)
                .join(members, members.c.user_id == users.c.id)
                .where(members.c.room_id == room_id)
                .order_by(users.c.username_key, users.c.username)
            ).all()
        return [(r.id, r.username) for r in rows]

    @translated
    def resolve(self, room_id: int, names: list[str]) -> list[tuple[int, str]]:
        """(id, username) of the members of the room, not banned, among ``names`` (lower-case),
        in the order of ``names``."""
        if not names:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(users.c.id, users.c.username, users.c.username_key)
                .join(members, and_(members.c.user_id == users.c.id, members.c.room_id == room_id))
                .outerjoin(bans, and_(bans.c.user_id == users.c.id, bans.c.room_id == room_id))
                .where(users.c.username_key.in_(names), bans.c.user_id.is_(None))
            ).all()
        found = {r.username_key: (r.id, r.username) for r in rows}
        return [found[n] for n in names if n in found]

    # ------------------------------------------------------------------ bans
    @translated
    def is_banned(self, room_id: int, user_id: int) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(bans.c.user_id).where(bans.c.room_id == room_id, bans.c.user_id == user_id)
            ).first()
        return row is not None

    @translated
    def ban(self, room_id: int, user_id: int) -> bool:
        """Ban and remove in one transaction; True when they were a member."""
        with self.engine.begin() as conn:
            banned = conn.execute(
                select(bans.c.user_id).where(bans.c.room_id == room_id, bans.c.user_id == user_id)
            ).first()
            if banned is None:
                try:
                    conn.execute(bans.insert().values(room_id=room_id, user_id=user_id, created_at=now()))
                except IntegrityError:
                    pass  # banned concurrently: the outcome is the same
            gone = conn.execute(
                members.delete().where(members.c.room_id == room_id, members.c.user_id == user_id)
            )
        return gone.rowcount > 0

    @translated
    def unban(self, room_id: int, user_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(bans.delete().where(bans.c.room_id == room_id, bans.c.user_id == user_id))

    # ------------------------------------------------------------------ read state
    @translated
    def read(self, room_id: int, user_id: int, message_id: int) -> int | None:
        """Move the member's read position forward to message_id (never back); returns it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(members)
                .where(
                    members.c.room_id == room_id,
                    members.c.user_id == user_id,
                    (members.c.last_read.is_(None)) | (members.c.last_read < message_id),
                )
                .values(last_read=message_id)
            )
            return conn.execute(
                select(members.c.last_read).where(members.c.room_id == room_id, members.c.user_id == user_id)
            ).scalar()

    @translated
    def in_room(self, room_id: int, message_id: int) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(messages.c.id).where(messages.c.id == message_id, messages.c.room_id == room_id)
            ).first()
        return row is not None

    # ------------------------------------------------------------------ direct messages
    @translated
    def dm(self, a: User, b: User, name: str) -> tuple[int, bool]:
        """The DM room of a pair: (room id, created). ``name`` is used when it is created."""
        key = dm_key(a.id, b.id)
        with self.engine.begin() as conn:
            rid = conn.execute(select(rooms.c.id).where(rooms.c.dm_key == key)).scalar()
            if rid is not None:
                return rid, False
            rid = conn.execute(
                rooms.insert()
                .values(name=name, private=True, owner_id=a.id, created_at=now(), kind="dm", dm_key=key)
                .returning(rooms.c.id)
            ).scalar_one()
            for uid in {a.id, b.id}:
                conn.execute(
                    members.insert().values(room_id=rid, user_id=uid, created_at=now(), last_read=None)
                )
        return rid, True
