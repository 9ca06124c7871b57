"""Messages: history, joining a room, send, edit, delete.

Each action validates, authorizes, writes, then tells the room (``Events``): the socket
layer only parses events and acknowledges.
"""

from __future__ import annotations

from ..config import Config
from ..errors import ChatError, forbidden, invalid, not_found
from ..models import Room, User, now
from ..storage.messages import MessageStore
from . import validate
from .events import Events
from .guard import action
from .media import Uploads
from .rooms import Rooms

HISTORY_ON_JOIN = 50
CATCH_UP_ON_JOIN = 500


class Messages:
    def __init__(
        self, config: Config, store: MessageStore, state, rooms: Rooms, uploads: Uploads, events: Events
    ):
        self.config = config
        self.store = store
        self.state = state
        self.rooms = rooms
        self.uploads = uploads
        self.events = events

    @action
    def history(self, user: User, room_name: str, args) -> tuple[list[dict], bool]:
        before = validate.query_id(args.get("before"), "before")
        after = validate.query_id(args.get("after"), "after")
        if before is not None and after is not None:
            raise invalid("give 'before' or 'after', not both")
        limit = validate.limit(args.get("limit"))
        room = self.rooms.accessible(user, room_name)
        return self.store.page(room, before=before, after=after, limit=limit)

    @action
    def join_target(self, user: User, data) -> tuple[Room, int | None]:
        """Check a join: the room it names, which the user may enter, and its `since`."""
        data = validate.payload(data)
        name = validate.room_name(data)
        since = validate.integer(data, "since", required=False, low=0)
        return self.rooms.accessible(user, name), since

    @action
    def join_page(self, room: Room, since: int | None) -> tuple[list[dict], bool, int]:
        """The history a join returns, and the room's sequence number read before it.

        Called after the socket entered the room; the socket's live delivery is gated on
        the returned number (app/delivery/ordering.py), so each message reaches it exactly
        once: in this page or live.
        """
        return self.store.join_snapshot(room, since, HISTORY_ON_JOIN, CATCH_UP_ON_JOIN)

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
        self.check_send_rate(user)
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
            "created_at": now(),
        }
        mid, seq = self.store.insert(room, user, values)
        if mid is None:
            if seq is not None:
                self.events.message(None, room.name, seq)  # a number burnt by a lost race
            first, first_seq, deleted = self.store.existing(room, user, client_id)
            if not deleted:
                # published again: if the first publish died with its process, members get
                # it now; receivers that delivered it already drop the repeat
                self.events.message(first, room.name, first_seq)
            return first, False
        msg = self.store.message_from_values(mid, room, user, values)
        self.events.message(msg, room.name, seq)
        return msg, True

    def _own_room(self, user: User, message_id: int):
        """The live message's row and its room, which the user must be able to read."""
        row = self.store.live(message_id)
        if row is None:
            raise not_found(f"no message {message_id}")
        room = self.rooms.by_id(row.room_id)
        if not self.rooms.is_member(room, user):
            raise forbidden("you are not a member of this room")
        return row, room

    @action
    def edit(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        body = validate.body(data)
        row, room = self._own_room(user, mid)
        if row.user_id != user.id:
            raise forbidden("you can only edit your own messages")
        self.check_send_rate(user)
        msg = self.store.edit(room, mid, body)
        if msg is None:
            raise not_found(f"no message {mid}")
        self.events.message_updated(msg)
        return msg

    @action
    def delete(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        row, room = self._own_room(user, mid)
        if row.user_id != user.id and room.owner_id != user.id:
            raise forbidden("only the author or the room's owner can delete a message")
        if not self.store.delete(mid):
            raise not_found(f"no message {mid}")
        gone = {"id": mid, "room": room.name}
        self.events.message_deleted(gone)
        return gone

    @action
    def by_seq(self, room_name: str, seq: int) -> dict | None:
        """A room's live message by sequence number (fills a gap left by a lost publish)."""
        return self.store.by_seq(self.rooms.get(room_name), seq)
