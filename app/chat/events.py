"""What the rules tell the members of a room. The delivery layer (app/delivery) implements
it; the rules decide what is said and when, delivery only how it reaches every socket."""

from __future__ import annotations

from typing import Protocol


class Events(Protocol):
    def message(self, msg: dict | None, room: str, seq: int | None) -> None:
        """A stored message with its room sequence number (msg None: the number was burnt)."""

    def message_updated(self, msg: dict) -> None: ...

    def message_deleted(self, gone: dict) -> None: ...

    def member_added(self, room, username: str, user_id: int, *, others_see: bool = True) -> None:
        """To the room and to every socket of the user (``others_see`` off: the user only)."""

    def member_removed(self, room: str, username: str, user_id: int) -> None:
        """To the room and the user; the user's sockets leave the room."""

    def mention(self, room: str, msg: dict, user_ids: list[int]) -> None: ...

    def read(self, room: str, last_read: int | None, user_id: int, skip_sid: str | None = None) -> None:
        """To the user's other sockets, so every device agrees."""

    def reactions(self, message_id: int, room: str, reactions: list) -> None: ...
