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
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


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
    owner_id: int
    owner: str

    def as_dict(self) -> dict:
        return {"name": self.name, "private": self.private, "owner": self.owner}
