"""Messages in the database: history pages, the join snapshot, edits, deletions, and the
send path chosen at composition (PostgreSQL, SQLite, or none for measurements).

A send path has one method, ``insert(room, user, values) -> (id, seq)``: the message's id
and its room sequence number, taken in the statement that stores it; ``(None, None)`` when a
message with the same ``client_id`` was stored before, ``(None, seq)`` when the number was
taken by a send that lost a race to its duplicate (burnt: published as a gap).
"""

from __future__ import annotations

import functools
from typing import Protocol

from sqlalchemy import and_, bindparam, func, select, true, update
from sqlalchemy.engine import Engine

from ..errors import not_found
from ..models import Room, User, iso, now
from .database import read_only, translated
from .members import Access, access_columns, access_of
from .message_rows import decorate, message_dict, message_query, thread_fields
from .pages import PAGE_MAX_BYTES, cut_to_bytes
from .prepared import Prepared
from .schema import mentions, messages, rooms, uploads


class SendPath(Protocol):
    def insert(
        self, room: Room, user: User, values: dict, mention_ids: list[int]
    ) -> tuple[int | None, int | None]: ...


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


@functools.cache
def page_query(scope: str, edge: str):
    """The statement of a history page, built once per shape (building it took longer than
    running it): ``scope`` top-level messages of a room ("top"), all of them ("all"), or a
    thread's replies ("thread"); ``edge`` "newest", "before" or "after" the message ``edge``.
    Bound: room, user, thread, edge, limit. Every row also holds the user's standing in the
    room (``access_columns``): the page and who may read it in one round trip.

    The page is joined to its room's row, so that one statement reads the room's sequence
    number (``room_seq``) in the same snapshot as the page (a join's ack holds exactly the
    messages numbered up to it), and a page with no message is one row whose message
    columns are NULL. A thread page also tells whether the thread's root is a live
    top-level message of the room (``root``)."""
    live = messages.c.deleted_at.is_(None)
    if scope == "thread":
        # a reply is in its root's room (sending checks it): no room condition, whose
        # assumed selectivity made PostgreSQL read every reply of a thread and sort them
        # rather than walk (thread_id, id) for one page (docs/benchmarks.md)
        cond = and_(messages.c.thread_id == bindparam("thread"), live)
    else:
        cond = and_(messages.c.room_id == bindparam("room"), live)
        if scope == "top":
            cond = and_(cond, messages.c.thread_id.is_(None))
    if edge == "after":
        q = message_query().where(cond, messages.c.id > bindparam("edge")).order_by(messages.c.id.asc())
    else:
        if edge == "before":
            cond = and_(cond, messages.c.id < bindparam("edge"))
        q = message_query().where(cond).order_by(messages.c.id.desc())
    page = q.limit(bindparam("limit")).subquery("page")
    columns = [*page.c, rooms.c.last_seq.label("room_seq"), *access_columns()]
    if scope == "thread":
        root = select(messages.c.id).where(
            messages.c.id == bindparam("thread"),
            messages.c.room_id == bindparam("room"),
            messages.c.thread_id.is_(None),
            live,
        )
        columns.append(root.exists().label("root"))
    return (
        select(*columns)
        .select_from(rooms.outerjoin(page, true()))
        .where(rooms.c.id == bindparam("room"))
        .order_by(page.c.id.asc() if edge == "after" else page.c.id.desc())
    )


# The pages every join reads (the newest, or all messages after `since`), prepared on each
# PostgreSQL connection: their parsing and planning was four fifths of PostgreSQL's work in a
# reconnect storm (storage/prepared.py)
JOIN_STATEMENTS = {
    shape: Prepared(f"chat_page_{shape[0]}_{shape[1]}", page_query(*shape))
    for shape in (("top", "newest"), ("all", "after"))
}


class MessageStore:
    def __init__(
        self,
        engine: Engine,
        send_path: SendPath,
        page_max_bytes: int = PAGE_MAX_BYTES,
        reads: Engine | None = None,
    ):
        self.engine = engine
        self.reads = reads or engine  # history and joins (storage/engine.py)
        self.send_path = send_path
        self.page_max_bytes = page_max_bytes

    def _page(
        self,
        conn,
        room: Room,
        user_id: int,
        admit,
        *,
        before=None,
        after=None,
        limit=50,
        thread=None,
        replies=False,
    ) -> tuple[list[dict], bool, int, Access]:
        """Keyset pagination over a room's live messages, ascending by id: top-level ones,
        a thread's replies (``thread``), or all (``replies``); at most ``limit`` messages and
        about ``page_max_bytes`` of bodies (``more`` when either cut the page); with the
        room's sequence number and the user's ``Access`` read in the same statement. The
        access goes to ``admit`` (which may raise to refuse) before anything else is said
        about the page: `not_found` for a thread whose root is not a live top-level message
        of the room, to a reader who may read the room."""
        scope = "thread" if thread is not None else "all" if replies else "top"
        edge = "after" if after is not None else "before" if before is not None else "newest"
        params = {"limit": limit + 1, "room": room.id, "user": user_id, "thread": thread}
        if edge != "newest":
            params["edge"] = after if after is not None else before
        statement = JOIN_STATEMENTS.get((scope, edge))
        if statement is not None:
            rows = statement.run(conn, params).all()
        else:
            rows = conn.execute(page_query(scope, edge), params).all()
        if not rows:  # rooms are never deleted; this is for completeness
            raise not_found(f"no room named {room.name!r}")
        standing = access_of(rows[0])
        admit(standing)
        last_seq = rows[0].room_seq
        if thread is not None and not rows[0].root:
            raise not_found(f"no thread {thread} in {room.name!r}")
        if rows[0].id is None:  # the room's row alone: no message in the page
            rows = []
        more = len(rows) > limit
        # in the order of reading: the oldest first after `after`, else the newest first, so
        # a cut keeps the messages next to where the reader is and `more` points past them
        rows, cut = cut_to_bytes(rows[:limit], self.page_max_bytes)
        more = more or cut
        if after is None:
            rows.reverse()
        return decorate(conn, [message_dict(r, room.name) for r in rows], rows), more, last_seq, standing

    @read_only
    def history(
        self, room: Room, user_id: int, admit, *, before=None, after=None, limit=50, thread=None
    ) -> tuple[list[dict], bool]:
        """A history page, on one connection of the read engine: the page with the user's
        ``Access`` to the room in one statement, the access handed to ``admit`` (which may
        raise to refuse, and must do nothing else: a read that meets a dead connection runs
        again) before the page is looked at, then its reactions and mentions."""
        with self.reads.connect() as conn:
            page, more, _, _ = self._page(
                conn, room, user_id, admit, before=before, after=after, limit=limit, thread=thread
            )
            return page, more

    @read_only
    def join_snapshot(
        self, room: Room, since: int | None, history: int, catch_up: int, user_id: int, admit
    ) -> tuple[list[dict], bool, int, Access]:
        """A join's page: the newest ``history`` top-level messages (or ``catch_up``
        messages of any kind after ``since``), the room's sequence number they were read at
        and the user's ``Access`` to the room, in one statement; the access goes to
        ``admit``, which may raise to refuse the join. The caller enters the room before
        (app/delivery/ordering.py) and leaves it again if the join is refused."""
        with self.reads.connect() as conn:
            if since is None:
                return self._page(conn, room, user_id, admit, limit=history)
            return self._page(conn, room, user_id, admit, after=since, limit=catch_up, replies=True)

    @translated
    def get(self, room: Room, message_id: int) -> dict | None:
        """A live message with its reactions and mentions."""
        with self.engine.connect() as conn:
            row = conn.execute(
                message_query().where(messages.c.id == message_id, messages.c.deleted_at.is_(None))
            ).first()
            return None if row is None else decorate(conn, [message_dict(row, room.name)], [row])[0]

    @translated
    def by_seq(self, room: Room, seq: int) -> dict | None:
        """A room's live message by sequence number."""
        with self.engine.connect() as conn:
            row = conn.execute(
                message_query().where(
                    messages.c.room_id == room.id, messages.c.seq == seq, messages.c.deleted_at.is_(None)
                )
            ).first()
            return None if row is None else decorate(conn, [message_dict(row, room.name)], [row])[0]

    @translated
    def existing(self, room: Room, user: User, client_id: str) -> tuple[dict, int | None, bool] | None:
        """The message a user sent with this client_id: (message, seq, deleted), or None."""
        with self.engine.connect() as conn:
            row = existing_row(conn, room, user, client_id)
            if row is None:
                return None
            return (
                decorate(conn, [message_dict(row, room.name)], [row])[0],
                row.seq,
                row.deleted_at is not None,
            )

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
            msg = decorate(conn, [message_dict(row, room.name)], [row])[0]
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
