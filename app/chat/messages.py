"""Messages: history, joining a room, send, edit, delete.

Each action validates, authorizes, writes, then tells the room (``Events``): the socket
layer only parses events and acknowledges.
"""

from __future__ import annotations

from ..config import Config
from ..errors import ChatError, forbidden, invalid, not_found
from ..models import Room, User, now
from ..storage.members import Access, Memberships
from ..storage.messages import MessageStore
from . import validate
from .events import Events
from .guard import action
from .media import Uploads
from .mentions import mention_candidates
from .rooms import Rooms

HISTORY_ON_JOIN = 50
CATCH_UP_ON_JOIN = 500


class Messages:
    def __init__(
        self,
        config: Config,
        store: MessageStore,
        state,
        rooms: Rooms,
        memberships: Memberships,
        uploads: Uploads,
        events: Events,
    ):
        self.config = config
        self.store = store
        self.state = state
        self.rooms = rooms
        self.memberships = memberships
        self.uploads = uploads
        self.events = events

    @action
    def history(self, user: User, room_name: str, args) -> tuple[list[dict], bool]:
        """A page of the room's top-level messages, or of one thread's replies."""
        before = validate.query_id(args.get("before"), "before")
        after = validate.query_id(args.get("after"), "after")
        thread = validate.query_id(args.get("thread"), "thread")
        if before is not None and after is not None:
            raise invalid("give 'before' or 'after', not both")
        limit = validate.limit(args.get("limit"))
        room = self.rooms.get(room_name)

        def admit(access: Access) -> None:
            self.rooms.check_access(room, user, access.banned, access.member)

        return self.store.history(
            room, user.id, admit, before=before, after=after, limit=limit, thread=thread
        )

    @action
    def join(self, user: User, data, enter) -> tuple[Room, list[dict], bool, int, Access]:
        """A join: the room, its history, the room's sequence number read before it, and the
        user's standing in the room (``Access``), on one database connection.

        ``enter(room)`` runs before its history is read, which is read in one statement with
        the user's standing; the socket's live delivery is gated on the returned number
        (app/delivery/ordering.py), so each message reaches it exactly once: in this page or
        live. A refused join raises, and the caller leaves the room it entered (nothing was
        delivered to the socket in between: its live messages wait for the join's number).
        """
        data = validate.payload(data)
        name = validate.room_name(data)
        since = validate.integer(data, "since", required=False, low=0)
        room = self.rooms.get(name)

        def admit(access: Access) -> None:
            self.rooms.check_access(room, user, access.banned, access.member)

        enter(room)
        page, more, last_seq, access = self.store.join_snapshot(
            room, since, HISTORY_ON_JOIN, CATCH_UP_ON_JOIN, user.id, admit
        )
        return room, page, more, last_seq, access

    def check_send_rate(self, user: User) -> None:
        wait = self.state.hit_leased(f"send:{user.id}", self.config.send_rate)
        if wait > 0:
            raise ChatError("rate_limited", "you are sending too fast", retry_after=wait)

    @action
    def send(self, user: User, room: Room, data) -> tuple[dict, bool]:
        """Store a message, then tell the room; returns (message, created).

        The message takes the next number of its room's sequence in the statement that
        inserts it and is published with it after the commit; every receiving process
        restores sequence order (app/delivery/ordering.py). The caller acknowledges after
        this returns, i.e. after the commit.
        """
        body = validate.body(data)
        client_id = validate.client_id(data)
        attachment = validate.string(data, "attachment", required=False, max_len=255)
        thread = validate.integer(data, "thread", required=False, low=1)
        self.check_send_rate(user)
        if thread is not None:
            self._check_root(room, thread)
        if attachment is not None:
            if client_id is not None:
                # a retried send whose attachment is already taken by its first attempt
                first = self.store.existing(room, user, client_id)
                if first is not None:
                    return first[0], False
            self.uploads.check_attachment(user, room, attachment)
        values = {
            "room_id": room.id,
            "user_id": user.id,
            "body": body,
            "client_id": client_id,
            "attachment_key": attachment,
            "thread_id": thread,
            "created_at": now(),
        }
        mentioned = self.memberships.resolve(room.id, mention_candidates(body))
        mid, seq = self.store.insert(room, user, values, [uid for uid, _ in mentioned])
        if mid is None:
            if seq is not None:
                self.events.message(None, room.name, seq)  # a number burnt by a lost race
            first, first_seq, deleted = self.store.existing(room, user, client_id)
            if not deleted:
                # published again: if the first publish died with its process, members get
                # it now; receivers that delivered it already drop the repeat
                self.events.message(first, room.name, first_seq)
            return first, False
        msg = self.store.message_from_values(mid, room, user, values, [name for _, name in mentioned])
        self.events.message(msg, room.name, seq)
        if thread is not None:
            self._root_changed(room, thread)
        self.events.mention(room.name, msg, [uid for uid, _ in mentioned if uid != user.id])
        return msg, True

    def _check_root(self, room: Room, thread: int) -> None:
        root = self.store.live(thread)
        if root is None:
            raise not_found(f"no message {thread}")
        if root.room_id != room.id:
            raise invalid("a reply goes to a message of the same room")
        if root.thread_id is not None:
            raise invalid("a reply goes to a top-level message, not to another reply")

    def _root_changed(self, room: Room, root_id: int) -> None:
        """The root's reply_count and last_reply_at moved: the room hears it."""
        root = self.store.get(room, root_id)
        if root is not None:
            self.events.message_updated(root)

    def readable(self, user: User, message_id: int):
        """The live message's row and its room, which the user must be able to read."""
        row = self.store.live(message_id)
        if row is None:
            raise not_found(f"no message {message_id}")
        room = self.rooms.by_id(row.room_id)
        if not self.rooms.can_read(room, user):
            raise forbidden("you may not read this room")
        return row, room

    @action
    def edit(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        body = validate.body(data)
        row, room = self.readable(user, mid)
        if row.user_id != user.id:
            raise forbidden("you can only edit your own messages")
        self.check_send_rate(user)
        mentioned = self.memberships.resolve(room.id, mention_candidates(body))
        edited = self.store.edit(room, mid, body, [uid for uid, _ in mentioned])
        if edited is None:
            raise not_found(f"no message {mid}")
        msg, newly = edited
        self.events.message_updated(msg)
        self.events.mention(room.name, msg, [uid for uid in newly if uid != user.id])
        return msg

    @action
    def delete(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        row, room = self.readable(user, mid)
        if row.user_id != user.id and room.owner_id != user.id:
            raise forbidden("only the author or the room's owner can delete a message")
        deleted = self.store.delete(mid)
        if deleted is None:
            raise not_found(f"no message {mid}")
        ids, root, attachments = deleted
        self.uploads.retire(attachments)
        for gone_id in ids:  # a root takes its thread with it
            self.events.message_deleted({"id": gone_id, "room": room.name})
        if root is not None:
            self._root_changed(room, root)
        return {"id": mid, "room": room.name}

    @action
    def by_seq(self, room_name: str, seq: int) -> dict | None:
        """A room's live message by sequence number (fills a gap left by a lost publish)."""
        return self.store.by_seq(self.rooms.get(room_name), seq)
