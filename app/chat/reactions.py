"""Reactions: an emoji on a message, by whoever may read its room."""

from __future__ import annotations

from ..errors import invalid
from ..models import User
from ..storage.reactions import Reactions as ReactionStore
from . import validate
from .events import Events
from .guard import action
from .messages import Messages

EMOJI_MAX = 32  # code points


def emoji(data: dict) -> str:
    value = validate.string(data, "emoji", max_len=EMOJI_MAX)
    if not value or any(ch.isspace() for ch in value):
        raise invalid(f"'emoji' is 1-{EMOJI_MAX} characters without whitespace")
    return value


class Reactions:
    def __init__(self, store: ReactionStore, messages: Messages, events: Events):
        self.store = store
        self.messages = messages
        self.events = events

    @action
    def react(self, user: User, data) -> list[dict]:
        data = validate.payload(data)
        message_id = validate.integer(data, "id", low=1)
        chosen = emoji(data)
        on = data.get("on")
        if not isinstance(on, bool):
            raise invalid("'on' must be true or false")
        _, room = self.messages.readable(user, message_id)
        self.messages.check_send_rate(user)  # reactions count toward the send limit
        reactions = self.store.set(message_id, chosen, user.id, on)
        self.events.reactions(message_id, room.name, reactions)
        return reactions
