"""Search: the messages a user may read that contain every word of a query."""

from __future__ import annotations

from ..errors import forbidden, invalid
from ..models import User
from ..storage.members import Memberships
from ..storage.search import Search as SearchIndex
from . import validate
from .guard import action
from .rooms import Rooms

Q_MAX = 200
LIMIT_MAX = 50


class Search:
    def __init__(self, index: SearchIndex, rooms: Rooms, memberships: Memberships):
        self.index = index
        self.rooms = rooms
        self.memberships = memberships

    @action
    def search(self, user: User, args) -> tuple[list[dict], bool]:
        q = args.get("q")
        if not isinstance(q, str) or not 1 <= len(q.strip()) <= Q_MAX:
            raise invalid(f"'q' is 1-{Q_MAX} characters after trimming")
        before = validate.query_id(args.get("before"), "before")
        limit = validate.limit(args.get("limit"), default=20, high=LIMIT_MAX)
        room = None
        if args.get("room") is not None:
            room = self.rooms.get(args.get("room"))
            banned = self.memberships.is_banned(room.id, user.id)
            if banned or self.memberships.membership(room.id, user.id) is None:
                raise forbidden(f"you are not a member of {room.name!r}")
        return self.index.search(user.id, q.strip(), room, before, limit)
