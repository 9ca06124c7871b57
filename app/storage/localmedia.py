"""Media on the local disk (``MEDIA_DIR``): the embedded default's store, with S3's two-step flow.

The service signs its own upload grant (key, type and largest size, five minutes) and its own
short-lived download links, the way S3 presigns them, so the web client cannot tell the two
stores apart: it posts the form fields and the file to ``url``, and follows the redirect of
``GET /api/uploads/<key>``. The HTTP side is ``app/transport/media_routes.py``.

Layout: ``<MEDIA_DIR>/<key>`` holds the bytes and ``<MEDIA_DIR>/<key>.json`` the stored type;
a file is written under a temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import ChatError
from .media import GET_EXPIRES, POST_EXPIRES, UPLOAD_KEY_RE, StoredObject, new_key

UPLOAD_PATH = "/api/media/upload"
DOWNLOAD_PREFIX = "/api/media/"
CHUNK = 64 * 1024


class Grant(dict):
    """A verified upload grant: ``key``, ``content_type``, ``size``."""


class LocalMedia:
    """Uploads in a directory of this machine; one process (or processes sharing the disk)."""

    kind = "local"
    enabled = True

    def __init__(self, root: Path, secret_key: str, max_bytes: int, content_types):
        self.root = Path(root).resolve()
        self.max_bytes = max_bytes
        self.content_types = frozenset(content_types)
        self._post = URLSafeTimedSerializer(secret_key, salt="chat-media-upload")
        self._get = URLSafeTimedSerializer(secret_key, salt="chat-media-download")

    def prepare(self) -> None:
        """Create the directory (owner-only); ConfigError-worthy failures come out as OSError."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-")
        probe.close()

    def origins(self) -> list[str]:
        return []  # the service's own origin: 'self' in the CSP covers it

    def require(self) -> None:
        return None

    new_key = staticmethod(new_key)

    def path(self, key: str) -> Path:
        if not UPLOAD_KEY_RE.fullmatch(key):
            raise ChatError("not_found", "no such upload")
        return self.root / key

    @staticmethod
    def _meta(path: Path) -> Path:
        """The file beside an upload that holds its stored type."""
        return path.with_name(path.name + ".json")

    # -- grants
    def presign_post(self, key: str, content_type: str, size: int) -> dict:
        token = self._post.dumps({"k": key, "t": content_type, "n": size})
        return {"url": UPLOAD_PATH, "fields": {"key": key, "Content-Type": content_type, "token": token}}

    def check_grant(self, fields) -> Grant:
        """The grant a posted form carries, or ChatError: forbidden when missing, forged or
        expired; invalid_payload when the form's key or type is not the granted one."""
        token = fields.get("token") or ""
        try:
            grant = self._post.loads(token, max_age=POST_EXPIRES)
        except SignatureExpired:
            raise ChatError("forbidden", "the upload grant has expired: ask for a new one") from None
        except BadSignature:
            raise ChatError("forbidden", "the upload grant is missing or not valid") from None
        if fields.get("key") != grant["k"]:
            raise ChatError("invalid_payload", "'key' is not the granted key")
        if (fields.get("Content-Type") or "").strip().lower() != grant["t"]:
            raise ChatError("invalid_payload", "'Content-Type' is not the granted type")
        return Grant(key=grant["k"], content_type=grant["t"], size=int(grant["n"]))

    def store(self, grant: Grant, stream) -> int:
        """Write the posted file; too_large (and nothing kept) past the granted size; an
        empty file is invalid_payload. Returns the stored size."""
        target = self.path(grant["key"])
        if target.exists():
            raise ChatError("conflict", "this upload was stored already: ask for a new one")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > grant["size"]:
                        limit = grant["size"]
                        raise ChatError("too_large", f"the file is larger than the {limit} bytes granted")
                    out.write(chunk)
            if size == 0:
                raise ChatError("invalid_payload", "the file is empty")
            self._meta(target).write_text(json.dumps({"content_type": grant["content_type"]}))
            # one file per grant: a second post (the grant replayed within its five minutes)
            # must not replace bytes that were checked and attached already
            os.link(tmp, target)
        except FileExistsError:
            raise ChatError("conflict", "this upload was stored already: ask for a new one") from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        return size

    # -- downloads
    def presign_get(self, key: str, filename: str, content_type: str) -> str:
        token = self._get.dumps({"k": key, "f": filename, "t": content_type})
        return f"{DOWNLOAD_PREFIX}{quote(key)}?t={token}"

    def check_download(self, key: str, token: str) -> tuple[Path, str, str]:
        """(path, filename, content type) of a signed download link; forbidden when the link
        is forged, expired or for another key; not_found when the file is gone."""
        try:
            link = self._get.loads(token or "", max_age=GET_EXPIRES)
        except SignatureExpired:
            raise ChatError("forbidden", "the download link has expired: open the attachment again") from None
        except BadSignature:
            raise ChatError("forbidden", "the download link is not valid") from None
        if link["k"] != key:
            raise ChatError("forbidden", "the download link is for another file")
        path = self.path(key)
        if not path.is_file():
            raise ChatError("not_found", "no such upload")
        return path, link["f"], link["t"]

    # -- what is stored
    def head(self, key: str) -> StoredObject | None:
        path = self.path(key)
        try:
            size = path.stat().st_size
            meta = json.loads(self._meta(path).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ChatError("unavailable", "the media store cannot be read") from exc
        return StoredObject(size=size, content_type=str(meta.get("content_type", "")))

    def first_bytes(self, key: str, count: int) -> bytes:
        try:
            with self.path(key).open("rb") as f:
                return f.read(count)
        except FileNotFoundError:
            return b""
        except OSError as exc:
            raise ChatError("unavailable", "the media store cannot be read") from exc

    def delete(self, key: str) -> None:
        path = self.path(key)
        try:
            path.unlink(missing_ok=True)
            self._meta(path).unlink(missing_ok=True)
        except OSError as exc:
            raise ChatError("unavailable", "the media store cannot be written") from exc
