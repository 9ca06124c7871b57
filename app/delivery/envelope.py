"""The one envelope every delivery travels in, between processes and within one."""

from __future__ import annotations

DISCONNECT = "disconnect"  # an envelope that closes sockets (data: their sids) instead of emitting


def room_key(name: str) -> str:
    """The Socket.IO room of a chat room (sids are rooms too: the prefix keeps them apart)."""
    return "r:" + name


def envelope(event: str, data, room: str | None = None, *, seq: int | None = None, skip_sid=None) -> dict:
    """``event`` with ``data`` for every socket of ``room`` except ``skip_sid``; ``seq`` is
    the room's sequence number of a chat message (delivered in that order), ``data`` None
    for a number that was burnt."""
    return {"event": event, "data": data, "room": room, "seq": seq, "skip": skip_sid}
