"""Messages in the database: history pages, the join snapshot, edits, deletions, and the
send path chosen at composition (PostgreSQL, SQLite, or none for measurements).

A send path has one method, ``insert(room, user, values) -> (id, seq)``: the message's id
and its room sequence number, taken in the statement that stores it; ``(None, None)`` when a
message with the same ``client_id`` was stored before, ``(None, seq)`` when the number was
taken by a send that lost a race to its duplicate (burnt: published as a gap).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import and_, func, select, update
from sqlalchemy.engine import Engine

from ..errors import not_found
from ..models import Room, User, iso, now
from .database import translated
from .members import Access, access
from .pages import PAGE_MAX_BYTES, cut_to_bytes
from .schema import mentions, messages, reactions, rooms, uploads, users


class SendPath(Protocol):
    def insert(
        self, room: Room, user: User, values: dict, mention_ids: list[int]
    ) -> tuple[int | None, int | None]: ...


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
            messages.c.thread_id,
            messages.c.reply_count,
            messages.c.last_reply_at,
            users.c.username,
            uploads.c.filename,
            uploads.c.content_type,
            uploads.c.size,
        )
        .join(users, users.c.id == messages.c.user_id)
        .outerjoin(uploads, uploads.c.key == messages.c.attachment_key)
    )


def message_dict(row, room_name: str) -> dict:
    """The contract's message object from a row of ``message_query``, without its reactions
    and mentions (``decorate`` adds them)."""
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
        **thread_fields(row.thread_id, row.reply_count, row.last_reply_at),
        "reactions": [],
        "mentions": [],
    }


def thread_fields(thread_id: int | None, reply_count: int, last_reply_at) -> dict:
    """A reply names its root; a top-level message counts its replies."""
    if thread_id is not None:
        return {"thread": thread_id}
    return {"thread": None, "reply_count": reply_count, "last_reply_at": iso(last_reply_at)}


def reactions_of(conn, message_ids: list[int]) -> dict[int, list[dict]]:
    """message id -> its reactions: each emoji in the order it was first added (of those
    someone still has), its users in the order they reacted."""
    if not message_ids:
        return {}
    rows = conn.execute(
        select(reactions.c.message_id, reactions.c.emoji, users.c.username)
        .join(users, users.c.id == reactions.c.user_id)
        .where(reactions.c.message_id.in_(message_ids))
        .order_by(reactions.c.message_id, reactions.c.id)
    ).all()
    out: dict[int, dict[str, list[str]]] = {}
    for mid, emoji, username in rows:
        out.setdefault(mid, {}).setdefault(emoji, []).append(username)
    return {
        mid: [{"emoji": e, "count": len(names), "users": names} for e, names in by_emoji.items()]
        for mid, by_emoji in out.items()
    }


def mentions_of(conn, message_ids: list[int]) -> dict[int, list[str]]:
    """message id -> the usernames it mentions, in order of first appearance in its body."""
    if not message_ids:
        return {}
    rows = conn.execute(
        select(mentions.c.message_id, users.c.username)
        .join(users, users.c.id == mentions.c.user_id)
        .where(mentions.c.message_id.in_(message_ids))
        .order_by(mentions.c.message_id, mentions.c.position)
    ).all()
    out: dict[int, list[str]] = {}
    for mid, username in rows:
        out.setdefault(mid, []).append(username)
    return out


def decorate(conn, msgs: list[dict]) -> list[dict]:
    """Add reactions and mentions to message objects (two queries for a whole page)."""
    ids = [m["id"] for m in msgs]
    by_reactions = reactions_of(conn, ids)
    by_mentions = mentions_of(conn, ids)
    for m in msgs:
        m["reactions"] = by_reactions.get(m["id"], [])
        m["mentions"] = by_mentions.get(m["id"], [])
    return msgs


def after_insert(conn, values: dict, message_id: int, mention_ids: list[int]) -> None:
    """What a message changes besides its own row, in its transaction: the upload it
    attaches, its thread root's counters, its mentions. A root deleted meanwhile refuses."""
    attach(conn, values["attachment_key"], message_id)
    root = values.get("thread_id")
    if root is not None:
        changed = conn.execute(
            update(messages)
            .where(messages.c.id == root, messages.c.deleted_at.is_(None))
            .values(reply_count=messages.c.reply_count + 1, last_reply_at=values["created_at"])
        )
        if changed.rowcount == 0:
            raise not_found(f"no message {root}")
    if mention_ids:
        conn.execute(
            mentions.insert(),
            [
                {"message_id": message_id, "user_id": uid, "room_id": values["room_id"], "position": i}
                for i, uid in enumerate(mention_ids)
            ],
        )


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
    def __init__(self, engine: Engine, send_path: SendPath, page_max_bytes: int = PAGE_MAX_BYTES):
        self.engine = engine
        self.send_path = send_path
        self.page_max_bytes = page_max_bytes
        # the join's snapshot: the page holds exactly the messages numbered up to last_seq
        self._snapshot = "REPEATABLE READ" if engine.dialect.name == "postgresql" else "SERIALIZABLE"

    def _page(
        self, conn, room: Room, *, before=None, after=None, limit=50, thread=None, replies=False
    ) -> tuple[list[dict], bool]:
        """Keyset pagination over a room's live messages, ascending by id: top-level ones,
        a thread's replies (``thread``), or all (``replies``); at most ``limit`` messages and
        about ``page_max_bytes`` of bodies (``more`` when either cut the page)."""
        cond = and_(messages.c.room_id == room.id, messages.c.deleted_at.is_(None))
        if thread is not None:
            # a reply is in its root's room (sending checks it): no room condition, whose
            # assumed selectivity made PostgreSQL read every reply of a thread and sort them
            # rather than walk (thread_id, id) for one page (docs/benchmarks.md)
            cond = and_(messages.c.thread_id == thread, messages.c.deleted_at.is_(None))
        elif not replies:
            cond = and_(cond, messages.c.thread_id.is_(None))
        q = message_query()
        if after is not None:
            q = q.where(cond, messages.c.id > after).order_by(messages.c.id.asc())
        else:
            if before is not None:
                cond = and_(cond, messages.c.id < before)
            q = q.where(cond).order_by(messages.c.id.desc())
        rows = conn.execute(q.limit(limit + 1)).all()
        more = len(rows) > limit
        # in the order of reading: the oldest first after `after`, else the newest first, so
        # a cut keeps the messages next to where the reader is and `more` points past them
        rows, cut = cut_to_bytes(rows[:limit], self.page_max_bytes)
        more = more or cut
        if after is None:
            rows.reverse()
        return decorate(conn, [message_dict(r, room.name) for r in rows]), more

    @translated
    def page(self, room: Room, *, before=None, after=None, limit=50, thread=None) -> tuple[list[dict], bool]:
        with self.engine.connect() as conn:
            return self._page(conn, room, before=before, after=after, limit=limit, thread=thread)

    @translated
    def join_snapshot(
        self, room: Room, since: int | None, history: int, catch_up: int, user_id: int, admit
    ) -> tuple[list[dict], bool, int, Access]:
        """A join, on one connection: the user's ``Access`` to the room, read first (outside
        the snapshot) and handed to ``admit``, which may raise to stop the join; then the
        newest ``history`` top-level messages (or ``catch_up`` messages of any kind after
        ``since``) and the room's sequence number they were read at, in one snapshot taken
        after ``admit`` returned."""
        with self.engine.connect() as conn:
            # no transaction around one read: no BEGIN and ROLLBACK round trips
            conn.execution_options(isolation_level="AUTOCOMMIT")
            standing = access(conn, room.id, user_id)
            conn.commit()  # ends SQLAlchemy's own transaction; nothing is sent in autocommit
            admit(standing)
            conn.execution_options(isolation_level=self._snapshot)
            with conn.begin():
                last_seq = conn.execute(select(rooms.c.last_seq).where(rooms.c.id == room.id)).scalar_one()
                if since is None:
                    page, more = self._page(conn, room, limit=history)
                else:
                    page, more = self._page(conn, room, after=since, limit=catch_up, replies=True)
        return page, more, last_seq, standing

    @translated
    def get(self, room: Room, message_id: int) -> dict | None:
        """A live message with its reactions and mentions."""
        with self.engine.connect() as conn:
            row = conn.execute(
                message_query().where(messages.c.id == message_id, messages.c.deleted_at.is_(None))
            ).first()
            return None if row is None else decorate(conn, [message_dict(row, room.name)])[0]

    @translated
    def by_seq(self, room: Room, seq: int) -> dict | None:
        """A room's live message by sequence number."""
        with self.engine.connect() as conn:
            row = conn.execute(
                message_query().where(
                    messages.c.room_id == room.id, messages.c.seq == seq, messages.c.deleted_at.is_(None)
                )
            ).first()
            return None if row is None else decorate(conn, [message_dict(row, room.name)])[0]

    @translated
    def existing(self, room: Room, user: User, client_id: str) -> tuple[dict, int | None, bool] | None:
        """The message a user sent with this client_id: (message, seq, deleted), or None."""
        with self.engine.connect() as conn:
            row = existing_row(conn, room, user, client_id)
            if row is None:
                return None
            return decorate(conn, [message_dict(row, room.name)])[0], row.seq, row.deleted_at is not None

    @translated
    def live(self, message_id: int):
        """(id, user_id, room_id, thread_id) of a message that is not deleted, or None."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(messages.c.id, messages.c.user_id, messages.c.room_id, messages.c.thread_id).where(
                    messages.c.id == message_id, messages.c.deleted_at.is_(None)
                )
            ).first()

    @translated
    def edit(
        self, room: Room, message_id: int, body: str, mention_ids: list[int]
    ) -> tuple[dict, set[int]] | None:
        """The edited message and the users it mentions now that it did not before; None
        when it was deleted meanwhile."""
        live = and_(messages.c.id == message_id, messages.c.deleted_at.is_(None))
        with self.engine.begin() as conn:
            changed = conn.execute(update(messages).where(live).values(body=body, edited_at=now()))
            if changed.rowcount == 0:
                return None
            before = set(
                conn.execute(select(mentions.c.user_id).where(mentions.c.message_id == message_id)).scalars()
            )
            conn.execute(mentions.delete().where(mentions.c.message_id == message_id))
            if mention_ids:
                conn.execute(
                    mentions.insert(),
                    [
                        {"message_id": message_id, "user_id": uid, "room_id": room.id, "position": i}
                        for i, uid in enumerate(mention_ids)
                    ],
                )
            row = conn.execute(message_query().where(messages.c.id == message_id)).first()
            msg = decorate(conn, [message_dict(row, room.name)])[0]
        return msg, set(mention_ids) - before

    @translated
    def delete(self, message_id: int) -> tuple[list[int], int | None, list[str]] | None:
        """Delete a message (a root with its thread): (ids deleted, the root whose counters
        changed, the upload keys they carried, whose rows go too: their links stop working);
        None when it was deleted already."""
        live = and_(messages.c.id == message_id, messages.c.deleted_at.is_(None))
        gone = {"deleted_at": now(), "body": "", "attachment_key": None}
        # the rows stay (client_id idempotency, ids never reused); their content goes
        with self.engine.begin() as conn:
            row = conn.execute(select(messages.c.thread_id).where(live)).first()
            if row is None:
                return None
            keys = self._attachment_keys(conn, message_id, with_thread=row.thread_id is None)
            if conn.execute(update(messages).where(live).values(**gone)).rowcount == 0:
                return None
            if keys:
                conn.execute(uploads.delete().where(uploads.c.key.in_(keys)))
            ids, root = self._delete_rest(conn, message_id, row.thread_id, gone)
            return ids, root, keys

    @staticmethod
    def _attachment_keys(conn, message_id: int, with_thread: bool) -> list[str]:
        scope = messages.c.id == message_id
        if with_thread:
            scope = scope | (messages.c.thread_id == message_id)
        query = select(messages.c.attachment_key).where(
            scope, messages.c.deleted_at.is_(None), messages.c.attachment_key.is_not(None)
        )
        return list(conn.execute(query).scalars())

    @staticmethod
    def _delete_rest(
        conn, message_id: int, thread_id: int | None, gone: dict
    ) -> tuple[list[int], int | None]:
        """A root takes its thread's replies; a reply updates its root's counters."""
        if thread_id is None:
            replies = list(
                conn.execute(
                    update(messages)
                    .where(messages.c.thread_id == message_id, messages.c.deleted_at.is_(None))
                    .values(**gone)
                    .returning(messages.c.id)
                ).scalars()
            )
            return [message_id, *sorted(replies)], None
        latest = (
            select(func.max(messages.c.created_at))
            .where(messages.c.thread_id == thread_id, messages.c.deleted_at.is_(None))
            .scalar_subquery()
        )
        conn.execute(
            update(messages)
            .where(messages.c.id == thread_id)
            .values(reply_count=messages.c.reply_count - 1, last_reply_at=latest)
        )
        return [message_id], thread_id

    @translated
    def insert(
        self, room: Room, user: User, values: dict, mention_ids: list[int]
    ) -> tuple[int | None, int | None]:
        return self.send_path.insert(room, user, values, mention_ids)

    @translated
    def message_from_values(
        self, message_id: int, room: Room, user: User, values: dict, mentioned: list[str]
    ) -> dict:
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
            **thread_fields(values.get("thread_id"), 0, None),
            "reactions": [],
            "mentions": list(mentioned),
        }
