"""S3 media: presigned POST for uploads, presigned GET for downloads, checks of what was stored."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from ..config import Config
from ..errors import ChatError, Disabled

POST_EXPIRES = 300  # seconds a presigned POST stays usable
GET_EXPIRES = 60  # seconds a download link stays usable
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
# what new_key makes: every store's keys, and all an upload link may name
UPLOAD_KEY_RE = re.compile(r"rooms/\d{1,18}/[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str


def safe_filename(name: str) -> str:
    """A filename fit for a Content-Disposition header; the original is kept in the database."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "file"
    return cleaned[:100]


def new_key(room_id: int) -> str:
    """An upload's key: unguessable (144 random bits) and namespaced by room."""
    return f"rooms/{room_id}/{secrets.token_urlsafe(18)}"


class Media:
    """The media bucket; ``enabled`` is False when ``MEDIA_BUCKET`` is unset (and
    ``make_media`` found no ``MEDIA_DIR`` either)."""

    kind = "s3"

    def __init__(self, config: Config):
        self.bucket = config.media_bucket
        self.max_bytes = config.upload_max_bytes
        self.content_types = frozenset(config.upload_content_types)
        self._client = None
        if self.bucket:
            # AWS_ENDPOINT_URL_S3 is read by botocore itself; retries are bounded
            self._client = boto3.client(
                "s3",
                endpoint_url=config.s3_endpoint_url,
                config=BotoConfig(
                    signature_version="s3v4",
                    connect_timeout=3,
                    read_timeout=10,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def origins(self) -> list[str]:
        """Where the browser sends uploads and fetches downloads (the CSP names them): the
        endpoint in use, or the bucket's two S3 host names (presigned URLs take either)."""
        if not self.enabled:
            return []
        endpoint = self._client.meta.endpoint_url
        host = urlsplit(endpoint).netloc
        if not host.endswith("amazonaws.com"):
            return [f"{urlsplit(endpoint).scheme}://{host}"]
        region = self._client.meta.region_name
        return [f"https://{self.bucket}.s3.amazonaws.com", f"https://{self.bucket}.s3.{region}.amazonaws.com"]

    def require(self) -> None:
        if not self.enabled:
            raise Disabled(
                "uploads are disabled on this server: it has neither MEDIA_BUCKET (S3) nor "
                "MEDIA_DIR (a local directory)"
            )

    new_key = staticmethod(new_key)

    def presign_post(self, key: str, content_type: str, size: int) -> dict:
        self.require()
        try:
            return self._client.generate_presigned_post(
                Bucket=self.bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[
                    {"Content-Type": content_type},
                    ["content-length-range", 1, size],
                ],
                ExpiresIn=POST_EXPIRES,
            )
        except (BotoCoreError, ClientError) as exc:
            raise ChatError("unavailable", f"cannot sign the upload: {exc}") from exc

    def presign_get(self, key: str, filename: str, content_type: str) -> str:
        self.require()
        disposition = "inline" if content_type.startswith("image/") else "attachment"
        try:
            return self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": key,
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": f'{disposition}; filename="{safe_filename(filename)}"',
                },
                ExpiresIn=GET_EXPIRES,
            )
        except (BotoCoreError, ClientError) as exc:
            raise ChatError("unavailable", f"cannot sign the download: {exc}") from exc

    def head(self, key: str) -> StoredObject | None:
        """What S3 holds at key, or None when nothing was uploaded."""
        self.require()
        try:
            meta = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise ChatError("unavailable", "the media store cannot be reached") from exc
        except BotoCoreError as exc:
            raise ChatError("unavailable", "the media store cannot be reached") from exc
        content_type = (meta.get("ContentType") or "").split(";")[0].strip().lower()
        return StoredObject(size=int(meta.get("ContentLength", 0)), content_type=content_type)

    def first_bytes(self, key: str, count: int) -> bytes:
        """The stored object's first ``count`` bytes (fewer when it is shorter)."""
        self.require()
        try:
            got = self._client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
            return got["Body"].read(count)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return b""
            raise ChatError("unavailable", "the media store cannot be reached") from exc
        except BotoCoreError as exc:
            raise ChatError("unavailable", "the media store cannot be reached") from exc

    def delete(self, key: str) -> None:
        self.require()
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise ChatError("unavailable", "the media store cannot be reached") from exc


def make_media(config: Config):
    """S3 when ``MEDIA_BUCKET`` is set; else the local directory ``MEDIA_DIR`` when set; else
    a disabled store whose every use answers that uploads are disabled."""
    if config.media_bucket or not config.media_dir:
        return Media(config)
    from .localmedia import LocalMedia

    return LocalMedia(
        config.media_dir, config.secret_key, config.upload_max_bytes, config.upload_content_types
    )
