"""The service's vocabulary, shared by every layer: users, rooms, and the wire form of times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def now() -> datetime:
    """UTC, naive: how the database columns hold time."""
    return datetime.now(UTC).replace(tzinfo=None)


def iso(ts: datetime | None) -> str | None:
    """The contract's time format: ISO-8601 UTC, milliseconds, ``Z``."""
    if ts is None:
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.isoformat(timespec="milliseconds") + "Z"  # the milliseconds truncated


@dataclass(frozen=True)
class User:
    id: int
    username: str
    session: str | None = None  # the hashed token of the session that authenticated

    def as_dict(self) -> dict:
        return {"id": self.id, "username": self.username}


@dataclass(frozen=True)
class Room:
    id: int
    name: str
    private: bool
    owner_id: int | None  # None for a direct message room: nobody owns it
    owner: str | None
    kind: str = "room"  # "room" or "dm"
    dm_users: tuple[str, ...] = ()  # a DM's two usernames (one for a note-to-self)

    @property
    def is_dm(self) -> bool:
        return self.kind == "dm"

    def as_dict(self, viewer: str | None = None) -> dict:
        """The contract's room object, as ``viewer`` sees it (a DM names the other side)."""
        if self.is_dm:
            other = next((u for u in self.dm_users if u != viewer), viewer or self.dm_users[0])
            return {"name": self.name, "private": True, "owner": None, "kind": "dm", "dm_with": other}
        return {"name": self.name, "private": self.private, "owner": self.owner, "kind": "room"}
