"""Membership: joining a public room, leaving, the owner's add / remove / ban, member lists,
and read state. Every change tells the room and the user (``member_added``/``member_removed``)."""

from __future__ import annotations

from ..errors import forbidden, invalid, not_found
from ..models import Room, User
from ..storage.database import Database
from ..storage.members import Access, Memberships
from . import validate
from .events import Events
from .guard import action
from .rooms import Rooms


class Members:
    def __init__(self, db: Database, memberships: Memberships, rooms: Rooms, events: Events):
        self.db = db
        self.memberships = memberships
        self.rooms = rooms
        self.events = events

    def _user(self, username) -> tuple[int, str]:
        if not isinstance(username, str) or not validate.USERNAME_RE.fullmatch(username):
            raise not_found(f"no user named {str(username)[:64]!r}")
        row = self.db.credentials(username)
        if row is None:
            raise not_found(f"no user named {username!r}")
        return row.id, row.username

    def _owned(self, user: User, name: str) -> Room:
        """A room the user owns; a DM's own users get `invalid_payload` first (a DM has no
        owner actions)."""
        room = self.rooms.get(name)
        if room.is_dm and self.rooms.is_member(room, user):
            raise invalid("a direct message has no members to manage")
        if room.owner_id != user.id:
            raise forbidden("only the room's owner can do that")
        return room

    def joined(self, user: User, room: Room, access: Access) -> int | None:
        """A socket joined the room (``access``: the user's standing, read by the join): the
        first join of a public room makes the user a member. Returns the user's read position."""
        if access.member or room.private:
            return access.last_read
        if self.memberships.add(room.id, user.id):
            self.events.member_added(room, user.username, user.id)
        row = self.memberships.membership(room.id, user.id)
        return None if row is None else row.last_read

    @action
    def add(self, user: User, room_name: str, data) -> None:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        room = self._owned(user, room_name)
        if not room.private:
            raise invalid("a public room has no member list to add to; everyone may join")
        uid, name = self._user(username)
        if self.memberships.add(room.id, uid):
            self.events.member_added(room, name, uid)

    @action
    def remove(self, user: User, room_name: str, username) -> None:
        """Leave (oneself) or remove someone (the owner)."""
        room = self.rooms.get(room_name)
        if room.is_dm and self.rooms.is_member(room, user):
            raise invalid("a direct message cannot be left")
        if isinstance(username, str) and username.lower() == user.username.lower():
            if room.owner_id == user.id:
                raise invalid("the owner cannot leave their own room")
            uid, name = user.id, user.username
        else:
            room = self._owned(user, room_name)
            uid, name = self._user(username)
            if uid == user.id:
                raise invalid("the owner cannot leave their own room")
        if self.memberships.remove(room.id, uid):
            self.events.member_removed(room.name, name, uid)

    @action
    def ban(self, user: User, room_name: str, data) -> None:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        room = self._owned(user, room_name)
        uid, name = self._user(username)
        if uid == room.owner_id:
            raise invalid("the owner cannot be banned from their own room")
        if self.memberships.ban(room.id, uid):
            self.events.member_removed(room.name, name, uid)

    @action
    def unban(self, user: User, room_name: str, username) -> None:
        room = self._owned(user, room_name)
        uid, _ = self._user(username)
        self.memberships.unban(room.id, uid)

    @action
    def list(self, user: User, room_name: str) -> list[dict]:
        room = self.rooms.get(room_name)
        if not self.rooms.can_read(room, user):
            raise forbidden(f"you may not see the members of {room_name!r}")
        return [
            {"username": name, "role": "owner" if uid == room.owner_id else "member"}
            for uid, name in self.memberships.members(room.id)
        ]

    @action
    def read(self, user: User, data, sid: str | None = None) -> int | None:
        data = validate.payload(data)
        name = validate.room_name(data)
        message_id = validate.integer(data, "id", low=1)
        room = self.rooms.get(name)
        before = self.memberships.membership(room.id, user.id)
        if before is None:
            raise forbidden(f"you are not a member of {name!r}")
        if not self.memberships.in_room(room.id, message_id):
            raise not_found(f"no message {message_id} in {name!r}")
        last_read = self.memberships.read(room.id, user.id, message_id)
        if last_read != before.last_read:
            self.events.read(room.name, last_read, user.id, skip_sid=sid)  # every device agrees
        return last_read
