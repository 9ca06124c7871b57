"""The room list (``GET /api/rooms``): the public rooms, and the private rooms and DMs the
user belongs to, by name, those they are a member of with their unread and mention counts.

Rooms never change name, privacy or owner, are never deleted, and usernames never change;
so a process keeps the public rooms' part of the answer (the same for every user) and asks
the database, per call, only about the caller: one statement reads their rooms with their
counts, the number of public rooms (a room created by any process changes it, and the kept
list is read again) and, for each private room, the public room just before it in the
database's own name order, after which it is placed (no name comparison in Python, whose
order is not the database collation's).
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.engine import Engine

from ..models import Room, User
from .database import read_only, room_query, rooms_from_rows
from .schema import members, mentions, messages, rooms

PRIVATE_KEPT = 10_000  # private rooms and DMs kept by id (immutable too) before starting over


def _public_count():
    public = rooms.alias("public_counted")
    return select(func.count()).select_from(public).where(public.c.private.is_(False)).scalar_subquery()


def _member_query():
    """The user's (``user_id``) rooms by name: id, private, unread, mentions, the public room
    before a private one, and the number of public rooms, all in one snapshot."""
    user_id = bindparam("user_id")
    floor = func.coalesce(members.c.last_read, 0)
    # an index-only range scan of live messages by (room_id, id) per room (migration 0007)
    unread = (
        select(func.count())
        .select_from(messages)
        .where(
            messages.c.room_id == members.c.room_id,
            messages.c.id > floor,
            messages.c.deleted_at.is_(None),
            messages.c.user_id != user_id,
        )
        .scalar_subquery()
    )
    mentioned = (
        select(func.count())
        .select_from(mentions.join(messages, messages.c.id == mentions.c.message_id))
        .where(
            mentions.c.user_id == user_id,
            mentions.c.room_id == members.c.room_id,
            mentions.c.message_id > floor,
            messages.c.deleted_at.is_(None),
            messages.c.user_id != user_id,
        )
        .scalar_subquery()
    )
    public = rooms.alias("public_before")
    before = (
        select(public.c.name)
        .where(public.c.private.is_(False), public.c.name < rooms.c.name)
        .order_by(public.c.name.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            members.c.room_id,
            rooms.c.private,
            unread.label("unread"),
            mentioned.label("mentions"),
            case((rooms.c.private.is_(True), before), else_=None).label("after_public"),
            _public_count().label("public_rooms"),
        )
        .join_from(members, rooms, rooms.c.id == members.c.room_id)
        .where(members.c.user_id == user_id)
        .order_by(rooms.c.name)
    )


MEMBER_QUERY = _member_query()  # built once: building it took longer than running it
PUBLIC_COUNT = select(_public_count())


class RoomList:
    def __init__(self, engine: Engine):
        self.engine = engine
        # (number of public rooms, [(room id, name, its object for a non-member)] by name)
        self._public: tuple[int, list[tuple[int, str, dict]]] | None = None
        self._private: dict[int, Room] = {}

    def _load_public(self, conn) -> tuple[int, list[tuple[int, str, dict]]]:
        rows = conn.execute(
            room_query()
            .add_columns(_public_count().label("public_rooms"))
            .where(rooms.c.private.is_(False))
            .order_by(rooms.c.name)
        ).all()
        listed = [
            (room.id, room.name, {**room.as_dict(), "member": False}) for room in rooms_from_rows(conn, rows)
        ]
        self._public = (rows[0].public_rooms if rows else 0, listed)
        return self._public

    def _private_rooms(self, conn, ids: list[int]) -> dict[int, Room]:
        missing = [i for i in ids if i not in self._private]
        if missing:
            if len(self._private) + len(missing) > PRIVATE_KEPT:
                self._private = {}
            rows = conn.execute(room_query().where(rooms.c.id.in_(missing))).all()
            for room in rooms_from_rows(conn, rows):
                self._private[room.id] = room
        return {i: self._private[i] for i in ids}

    @read_only
    def visible(self, user: User) -> list[dict]:
        """The contract's room objects of the user's room list, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(MEMBER_QUERY, {"user_id": user.id}).all()
            public = self._public
            count = rows[0].public_rooms if rows else conn.execute(PUBLIC_COUNT).scalar_one()
            if public is None or public[0] != count:
                public = self._load_public(conn)
                if public[0] != count:  # a public room created meanwhile: read the user's again
                    rows = conn.execute(MEMBER_QUERY, {"user_id": user.id}).all()
                    if rows and rows[0].public_rooms != public[0]:
                        public = self._load_public(conn)
            private = self._private_rooms(conn, [r.room_id for r in rows if r.private])
        counts = {r.room_id: {"member": True, "unread": r.unread, "mentions": r.mentions} for r in rows}
        after: dict[str | None, list[int]] = {}
        for r in rows:
            if r.private:
                after.setdefault(r.after_public, []).append(r.room_id)

        def private_items(key):
            return [{**private[i].as_dict(viewer=user.username), **counts[i]} for i in after.get(key, ())]

        out = private_items(None)
        for room_id, name, item in public[1]:
            mine = counts.get(room_id)
            out.append({**item, **mine} if mine else dict(item))
            if after:
                out.extend(private_items(name))
                after.pop(name, None)
        after.pop(None, None)
        for key in list(after):  # placed after a public room this list does not have yet
            out.extend(private_items(key))
        return out
