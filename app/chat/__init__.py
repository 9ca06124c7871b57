"""The chat's rules, one module per concern; no driver, Redis or Socket.IO in here.

``Chat`` gathers them for the transports: ``chat.accounts``, ``chat.rooms``,
``chat.members``, ``chat.dms``, ``chat.messages``, ``chat.reactions``, ``chat.search``,
``chat.uploads``, ``chat.health``. Storage comes in from the composition
(app/server.py), and what a room must hear goes out through ``Events`` (app/delivery).
"""

from __future__ import annotations

from ..config import Config
from ..storage.database import Database
from ..storage.media import Media
from ..storage.members import Memberships
from ..storage.messages import MessageStore
from ..storage.reactions import Reactions as ReactionStore
from ..storage.search import Search as SearchIndex
from .accounts import Accounts
from .dms import DirectMessages
from .events import Events
from .health import Health
from .limits import Limits
from .media import Uploads
from .members import Members
from .messages import Messages
from .reactions import Reactions
from .rooms import Rooms
from .search import Search


class Chat:
    def __init__(
        self, config: Config, db: Database, store: MessageStore, state, media: Media, events: Events
    ):
        self.config = config
        self.state = state
        memberships = Memberships(db.engine)
        self.accounts = Accounts(config, db, state)
        self.rooms = Rooms(db, memberships)
        self.members = Members(db, memberships, self.rooms, events)
        self.dms = DirectMessages(config, db, memberships, self.rooms, events)
        self.uploads = Uploads(db, media, self.rooms, config.upload_quota_bytes)
        self.messages = Messages(config, store, state, self.rooms, memberships, self.uploads, events)
        self.reactions = Reactions(ReactionStore(db.engine), self.messages, events)
        self.search = Search(SearchIndex(db.reads), self.rooms, memberships)
        self.health = Health(db, state, uses_redis=config.redis_url is not None)
        self.limits = Limits(state, config.event_rates)
