"""What the rules tell the members of a room. The delivery layer (app/delivery) implements
it; the rules decide what is said and when, delivery only how it reaches every socket."""

from __future__ import annotations

from typing import Protocol


class Events(Protocol):
    def message(self, msg: dict | None, room: str, seq: int | None) -> None:
        """A stored message with its room sequence number (msg None: the number was burnt)."""

    def message_updated(self, msg: dict) -> None: ...

    def message_deleted(self, gone: dict) -> None: ...
