"""Direct messages: one private room per pair of users (or a note-to-self), with no owner."""

from __future__ import annotations

import hashlib
import hmac

from ..config import Config
from ..errors import not_found
from ..models import User
from ..storage.database import Database, Duplicate
from ..storage.members import Memberships
from . import validate
from .events import Events
from .guard import action
from .rooms import Rooms


class DirectMessages:
    def __init__(self, config: Config, db: Database, memberships: Memberships, rooms: Rooms, events: Events):
        self.config = config
        self.db = db
        self.memberships = memberships
        self.rooms = rooms
        self.events = events

    def _name(self, a: int, b: int) -> str:
        """Stable for the pair, valid in every room path, and not guessable from the ids."""
        pair = f"{min(a, b)}:{max(a, b)}".encode()
        return "dm-" + hmac.new(self.config.secret_key.encode(), pair, hashlib.sha256).hexdigest()[:24]

    @action
    def open(self, user: User, data) -> tuple[dict, bool]:
        """The DM room with another user, as the caller sees it, and whether it was created."""
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        other = self.db.credentials(username) if validate.USERNAME_RE.fullmatch(username) else None
        if other is None:
            raise not_found(f"no user named {username!r}")
        peer = User(other.id, other.username)
        try:
            room_id, created = self.memberships.dm(user, peer, self._name(user.id, peer.id))
        except Duplicate:  # created at this very moment by the other side
            room_id, created = self.memberships.dm(user, peer, self._name(user.id, peer.id))
        room = self.rooms.by_id(room_id)
        if created and peer.id != user.id:
            self.events.member_added(room, peer.username, peer.id, others_see=False)
        return room.as_dict(viewer=user.username), created
