"""Rooms: lookup, who may enter, listing, creation, members of private rooms."""

from __future__ import annotations

from ..errors import ChatError, forbidden, invalid, not_found
from ..models import Room, User
from ..storage.database import Database, Duplicate
from . import validate
from .guard import action


class Rooms:
    def __init__(self, db: Database):
        self.db = db
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
        if not room.private or room.owner_id == user.id:
            return True
        return self.db.is_member(room.id, user.id)

    def accessible(self, user: User, name: str) -> Room:
        """The room, when the user may read it: `forbidden` for a private room of others."""
        room = self.get(name)
        if not self.is_member(room, user):
            raise forbidden(f"you are not a member of the private room {name!r}")
        return room

    @action
    def visible(self, user: User) -> list[dict]:
        """Public rooms and the private rooms the user belongs to."""
        return [room.as_dict() for room in self.db.visible_rooms(user.id)]

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

    @action
    def add_member(self, user: User, room_name: str, data) -> None:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        room = self.get(room_name)
        if room.owner_id != user.id:
            raise forbidden("only the room's owner can add members")
        if not room.private:
            raise invalid("a public room has no member list; everyone may join")
        uid = self.db.user_id(username)
        if uid is None:
            raise not_found(f"no user named {username!r}")
        self.db.add_member(room.id, uid)
