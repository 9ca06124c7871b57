"""Per-user limits on every event and endpoint class that costs others something: typing
notices, joins and leaves (each join is a history query), deletions, room and DM creation,
membership changes and upload grants. Sends and edits have their own limit (messages.py),
sign-in its own (accounts.py). One answer for all: `rate_limited` with the seconds to wait."""

from __future__ import annotations

from ..errors import ChatError
from ..models import User

MESSAGES = {
    "typing": "too many typing notices",
    "join": "joining and leaving rooms too fast",
    "delete": "deleting too fast",
    "rooms": "creating rooms too fast",
    "members": "changing memberships too fast",
    "uploads": "asking for uploads too fast",
}


class Limits:
    def __init__(self, state, rates: dict) -> None:
        self.state = state
        self.rates = rates

    def check(self, user: User, kind: str) -> None:
        wait = self.state.hit(f"limit:{kind}:{user.id}", self.rates[kind])
        if wait:
            raise ChatError("rate_limited", f"{MESSAGES[kind]}; wait and retry", retry_after=wait)
