"""Accounts, rooms, memberships and uploads in the database.

Every method is one short transaction. Failures of the database come out as
``app.errors.Unavailable`` (worth a retry) or ``Duplicate`` (a unique name taken), never as
a driver's exception: the rules above know nothing of SQLAlchemy.
"""

from __future__ import annotations

import functools

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from ..errors import Unavailable
from ..models import Room, User, now
from .schema import members, rooms, uploads, users


class Duplicate(Exception):
    """A row with that unique name exists already."""


def translated(fn):
    """Database failures as the storage layer's own errors."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except IntegrityError as exc:
            raise Duplicate(str(exc.orig)) from exc
        except OperationalError as exc:
            raise Unavailable("the database is unavailable; try again") from exc
        except SQLAlchemyError as exc:
            raise Unavailable("the database failed; try again") from exc

    return wrapper


def read_only(fn):
    """``translated``, for a read on the read engine, which does not ping a connection
    before using it: when the connection turns out to have died (the database restarted, a
    failover), SQLAlchemy discards it and every older one of the pool, and the read runs
    once more, on a fresh connection. Only for code that does nothing but read."""

    @functools.wraps(fn)
    def once_more(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        return fn(*args, **kwargs)

    return translated(once_more)


def room_query():
    return select(
        rooms.c.id,
        rooms.c.name,
        rooms.c.private,
        rooms.c.owner_id,
        users.c.username.label("owner"),
        rooms.c.kind,
        rooms.c.dm_key,
    ).join(users, users.c.id == rooms.c.owner_id)


def dm_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def _dm_ids(key: str) -> list[int]:
    return sorted({int(part) for part in key.split(":")})


def room_from_row(row, usernames: dict[int, str] | None = None) -> Room:
    if row.kind == "dm":
        names = tuple((usernames or {}).get(uid, "") for uid in _dm_ids(row.dm_key))
        return Room(row.id, row.name, True, None, None, "dm", names)
    return Room(row.id, row.name, bool(row.private), row.owner_id, row.owner)


def rooms_from_rows(conn, rows) -> list[Room]:
    """Rooms of rows of ``room_query``, with the usernames of their DMs looked up at once."""
    ids = {uid for row in rows if row.kind == "dm" for uid in _dm_ids(row.dm_key)}
    names = {}
    if ids:
        names = dict(conn.execute(select(users.c.id, users.c.username).where(users.c.id.in_(ids))).all())
    return [room_from_row(row, names) for row in rows]


class Database:
    def __init__(self, engine: Engine, reads: Engine | None = None):
        self.engine = engine
        self.reads = reads or engine  # the read engine (PostgreSQL), else the one engine
        self.dialect = engine.dialect.name

    # ------------------------------------------------------------------ accounts
    @translated
    def create_user(self, username: str, password_hash: str) -> User:
        with self.engine.begin() as conn:
            uid = conn.execute(
                users.insert()
                .values(
                    username=username,
                    username_key=username.lower(),
                    password_hash=password_hash,
                    created_at=now(),
                )
                .returning(users.c.id)
            ).scalar_one()
        return User(uid, username)

    @translated
    def credentials(self, username: str):
        """(id, username, password_hash) of a user by name, whatever its case; or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(users.c.id, users.c.username, users.c.password_hash).where(
                    users.c.username_key == username.lower()
                )
            ).first()

    @translated
    def user_id(self, username: str) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(users.c.id).where(users.c.username_key == username.lower())).scalar()

    # ------------------------------------------------------------------ rooms
    @translated
    def room_by_name(self, name: str) -> Room | None:
        with self.engine.connect() as conn:
            found = rooms_from_rows(conn, conn.execute(room_query().where(rooms.c.name == name)).all())
        return found[0] if found else None

    @translated
    def room_by_id(self, room_id: int) -> Room:
        with self.engine.connect() as conn:
            return rooms_from_rows(conn, [conn.execute(room_query().where(rooms.c.id == room_id)).one()])[0]

    @translated
    def is_member(self, room_id: int, user_id: int) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(members.c.user_id).where(members.c.room_id == room_id, members.c.user_id == user_id)
            ).first()
        return row is not None

    @translated
    def create_room(self, name: str, private: bool, owner: User) -> Room:
        with self.engine.begin() as conn:
            rid = conn.execute(
                rooms.insert()
                .values(name=name, private=private, owner_id=owner.id, created_at=now())
                .returning(rooms.c.id)
            ).scalar_one()
            conn.execute(members.insert().values(room_id=rid, user_id=owner.id, created_at=now()))
        return Room(rid, name, private, owner.id, owner.username)

    @translated
    def add_member(self, room_id: int, user_id: int) -> None:
        """Idempotent: an existing member stays one."""
        with self.engine.begin() as conn:
            exists = conn.execute(
                select(members.c.user_id).where(members.c.room_id == room_id, members.c.user_id == user_id)
            ).first()
            if exists is None:
                try:
                    conn.execute(members.insert().values(room_id=room_id, user_id=user_id, created_at=now()))
                except IntegrityError:
                    pass  # added concurrently: the outcome is the same

    # ------------------------------------------------------------------ uploads
    @translated
    def upload(self, key: str):
        with self.engine.connect() as conn:
            return conn.execute(select(uploads).where(uploads.c.key == key)).first()

    @translated
    def create_upload(
        self, key: str, room: Room, user: User, filename: str, content_type: str, size: int
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                uploads.insert().values(
                    key=key,
                    room_id=room.id,
                    user_id=user.id,
                    filename=filename,
                    content_type=content_type,
                    size=size,
                    created_at=now(),
                )
            )

    @translated
    def upload_usage(self, user_id: int, since) -> tuple[int, object]:
        """(bytes granted to the user since ``since``, the oldest of those grants' times)."""
        with self.engine.connect() as conn:
            total, oldest = conn.execute(
                select(func.coalesce(func.sum(uploads.c.size), 0), func.min(uploads.c.created_at)).where(
                    uploads.c.user_id == user_id, uploads.c.created_at >= since
                )
            ).one()
        return int(total), oldest

    @translated
    def expire_unattached(self, before) -> list[str]:
        """Remove the uploads granted before ``before`` and never attached; their keys. A row
        attached meanwhile is not touched (the condition is re-checked by the DELETE)."""
        with self.engine.begin() as conn:
            return list(
                conn.execute(
                    uploads.delete()
                    .where(uploads.c.message_id.is_(None), uploads.c.created_at < before)
                    .returning(uploads.c.key)
                ).scalars()
            )

    # ------------------------------------------------------------------ health
    def ping(self) -> None:
        """Raises when the database does not answer a query."""
        with self.engine.connect() as conn:
            conn.execute(select(func.count()).select_from(select(1).subquery()))
