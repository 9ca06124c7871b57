"""Rooms: lookup, who may read them, listing with read state, creation."""

from __future__ import annotations

from ..errors import ChatError, forbidden, not_found
from ..models import Room, User
from ..storage.database import Database, Duplicate
from ..storage.members import Memberships
from ..storage.roomlist import RoomList
from . import validate
from .guard import action


class Rooms:
    def __init__(self, db: Database, memberships: Memberships):
        self.db = db
        self.memberships = memberships
        self.room_list = RoomList(db.reads)  # keeps the public rooms' part
        self._by_name: dict[str, Room] = {}  # rooms never change name, privacy or owner

    @action
    def get(self, name) -> Room:
        """A room by name; `not_found` when there is none."""
        cached = self._by_name.get(name)
        if cached is not None:
            return cached
        if not isinstance(name, str) or not validate.ROOM_RE.fullmatch(name):
            raise not_found(f"no room named {str(name)[:80]!r}")
        room = self.db.room_by_name(name)
        if room is None:
            raise not_found(f"no room named {name!r}")
        self._by_name[name] = room
        return room

    def by_id(self, room_id: int) -> Room:
        return self.db.room_by_id(room_id)

    def is_member(self, room: Room, user: User) -> bool:
        """A member of the room (v1: for a public room, anyone may read it, see ``can_read``)."""
        if room.owner_id == user.id:
            return True
        return self.memberships.membership(room.id, user.id) is not None

    def can_read(self, room: Room, user: User) -> bool:
        if self.memberships.is_banned(room.id, user.id):
            return False
        return not room.private or self.is_member(room, user)

    def accessible(self, user: User, name: str) -> Room:
        """The room, when the user may read it: `forbidden` for a private room of others and
        for a room the user is banned from."""
        room = self.get(name)
        banned = self.memberships.is_banned(room.id, user.id)
        member = not banned and room.private and self.is_member(room, user)
        self.check_access(room, user, banned, member)
        return room

    @staticmethod
    def check_access(room: Room, user: User, banned: bool, member: bool) -> None:
        """The rule of ``accessible``, on a standing already read (a join reads it with its
        history): `forbidden` when banned, or for a private room the user neither owns nor
        belongs to."""
        if banned:
            raise forbidden(f"you are banned from {room.name!r}")
        if room.private and room.owner_id != user.id and not member:
            raise forbidden(f"you are not a member of the private room {room.name!r}")

    @action
    def visible(self, user: User) -> list[dict]:
        """Public rooms and the private rooms and DMs the user belongs to; rooms they are a
        member of carry their unread and mention counts."""
        return self.room_list.visible(user)

    @action
    def create(self, user: User, data) -> dict:
        data = validate.payload(data)
        name = validate.room_name(data, "name")
        private = validate.boolean(data, "private", False)
        try:
            room = self.db.create_room(name, private, user)
        except Duplicate:
            raise ChatError("conflict", f"a room named {name!r} exists") from None
        return room.as_dict()
