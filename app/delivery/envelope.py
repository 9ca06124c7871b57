"""The one envelope every delivery travels in, between processes and within one."""

from __future__ import annotations

# envelopes that act on sockets instead of emitting to them ("!" is no client event name)
DISCONNECT = "!disconnect"  # data: sids to close
EVICT = "!evict"  # data: {"room", "user_id"}: that user's sockets leave the room


def room_key(name: str) -> str:
    """The Socket.IO room of a chat room (sids are rooms too: the prefix keeps them apart)."""
    return "r:" + name


def user_key(user_id: int) -> str:
    """The Socket.IO room every socket of one user is in."""
    return f"u:{user_id}"


def envelope(
    event: str,
    data,
    room: str | None = None,
    *,
    seq: int | None = None,
    skip_sid=None,
    users: tuple[int, ...] | list[int] = (),
) -> dict:
    """``event`` with ``data`` for every socket of ``room`` and every socket of ``users``
    (each socket once), except ``skip_sid``; ``seq`` is the room's sequence number of a chat
    message (delivered in that order), ``data`` None for a number that was burnt."""
    return {"event": event, "data": data, "room": room, "seq": seq, "skip": skip_sid, "users": list(users)}
