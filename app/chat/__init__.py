"""The chat's rules, one module per concern; no driver, Redis or Socket.IO in here.

``Chat`` gathers them for the transports: ``chat.accounts``, ``chat.rooms``,
``chat.messages``, ``chat.uploads``, ``chat.health``. Storage comes in from the composition
(app/server.py), and what a room must hear goes out through ``Events`` (app/delivery).
"""

from __future__ import annotations

from ..config import Config
from ..storage.database import Database
from ..storage.media import Media
from ..storage.messages import MessageStore
from .accounts import Accounts
from .events import Events
from .health import Health
from .media import Uploads
from .messages import Messages
from .rooms import Rooms


class Chat:
    def __init__(
        self, config: Config, db: Database, store: MessageStore, state, media: Media, events: Events
    ):
        self.config = config
        self.state = state
        self.accounts = Accounts(config, db, state)
        self.rooms = Rooms(db)
        self.uploads = Uploads(db, media, self.rooms)
        self.messages = Messages(config, store, state, self.rooms, self.uploads, events)
        self.health = Health(db, state, uses_redis=config.redis_url is not None)
