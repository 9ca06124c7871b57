"""Uploads: grant a presigned upload, check one before it is attached, sign a download."""

from __future__ import annotations

import logging
from datetime import timedelta

from ..errors import ChatError, forbidden, invalid, not_found
from ..models import Room, User, now
from ..storage.database import Database
from ..storage.media import UPLOAD_KEY_RE, Media
from . import filetypes, validate
from .guard import action
from .rooms import Rooms

log = logging.getLogger("chat.media")


class Uploads:
    def __init__(self, db: Database, media: Media, rooms: Rooms, quota: int = 512 * 1024 * 1024):
        self.db = db
        self.quota = quota
        self.media = media
        self.rooms = rooms

    @action
    def create(self, user: User, data) -> dict:
        data = validate.payload(data)
        room_name = validate.room_name(data)
        filename = validate.string(data, "filename", max_len=validate.FILENAME_MAX)
        if not filename.strip():
            raise invalid("'filename' must not be empty")
        content_type = validate.string(data, "content_type", max_len=127).strip().lower()
        size = validate.integer(data, "size", low=1)
        self.media.require()
        room = self.rooms.accessible(user, room_name)
        if content_type not in self.media.content_types:
            raise ChatError("unsupported_type", f"files of type {content_type!r} are not accepted")
        if size > self.media.max_bytes:
            raise ChatError("too_large", f"files are limited to {self.media.max_bytes} bytes")
        self._check_quota(user, size)
        key = self.media.new_key(room.id)
        post = self.media.presign_post(key, content_type, size)
        self.db.create_upload(key, room, user, filename, content_type, size)
        return {"key": key, "url": post["url"], "fields": post["fields"]}

    def _check_quota(self, user: User, size: int) -> None:
        """UPLOAD_QUOTA_BYTES per user over the last 24 hours, counted at the grant (a grant
        not used still counts: the bytes could have been stored)."""
        window = timedelta(days=1)
        used, oldest = self.db.upload_usage(user.id, now() - window)
        if used + size > self.quota:
            wait = (oldest + window - now()).total_seconds() if oldest else window.total_seconds()
            raise ChatError(
                "rate_limited",
                f"you have uploaded {used} of your {self.quota} bytes in the last 24 hours",
                retry_after=max(1.0, wait),
            )

    def expire_unattached(self, max_age: float) -> int:
        """Delete the uploads never attached within ``max_age`` seconds, rows and stored
        files; how many. A store that cannot be reached keeps the file and says so."""
        keys = self.db.expire_unattached(now() - timedelta(seconds=max_age))
        self.retire(keys)
        return len(keys)

    @action
    def download_url(self, user: User, key: str) -> str:
        self.media.require()
        if not UPLOAD_KEY_RE.fullmatch(key):
            raise not_found("no such upload")
        up = self.db.upload(key)
        if up is None:
            raise not_found("no such upload")
        if not self.rooms.can_read(self.rooms.by_id(up.room_id), user):
            raise forbidden("you are not a member of this upload's room")
        return self.media.presign_get(key, up.filename, up.content_type)

    def retire(self, keys: list[str]) -> None:
        """The stored objects of deleted messages' attachments (their rows are gone already,
        so their links answer not_found). A store that cannot be reached leaves the object
        for the bucket's lifecycle and says so in the log."""
        for key in keys:
            try:
                self.media.delete(key)
            except ChatError:
                log.warning("attachment of a deleted message not removed", extra={"key": key})

    def check_attachment(self, user: User, room: Room, key: str) -> None:
        """An upload may be attached by its uploader, in its room, once, when S3 holds what
        was declared (the service does not trust the presigned policy alone)."""
        if not key:
            raise invalid("'attachment' must be an upload key")
        self.media.require()
        up = self.db.upload(key)
        if up is None or up.user_id != user.id or up.room_id != room.id:
            raise forbidden("that upload is not yours in this room")
        if up.message_id is not None:
            raise ChatError("conflict", "that upload is attached to another message")
        stored = self.media.head(key)
        if stored is None:
            raise invalid("the upload has not been completed")
        if stored.size > up.size:
            self.media.delete(key)
            raise ChatError("too_large", "the uploaded file is larger than declared")
        if stored.content_type != up.content_type:
            self.media.delete(key)
            raise ChatError("unsupported_type", "the uploaded file's type is not the declared one")
        if filetypes.checked(up.content_type) and not filetypes.matches(
            up.content_type, self.media.first_bytes(key, filetypes.SNIFF_BYTES)
        ):
            self.media.delete(key)
            raise ChatError("unsupported_type", f"the uploaded file's content is not {up.content_type}")
