"""Does a stored file begin the way its declared type does?

The upload grant limits the declared type and the size; it cannot see the bytes. Before an
upload is attached, its first ``SNIFF_BYTES`` are read back and held against this table, so a
script, an HTML page or an executable posted as ``image/png`` is refused. A declared type the
table does not name (an operator's own ``UPLOAD_CONTENT_TYPES``) is not checked, and
docs/operations.md says so.
"""

from __future__ import annotations

import codecs

SNIFF_BYTES = 64

ZIP = (b"PK\x03\x04",)  # OOXML and OpenDocument files are zip archives
OLE2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # the legacy Office formats

SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
    "application/zip": (*ZIP, b"PK\x05\x06"),  # an empty archive is only its end record
    "application/msword": OLE2,
    "application/vnd.ms-excel": OLE2,
    "application/vnd.ms-powerpoint": OLE2,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ZIP,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ZIP,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ZIP,
    "application/vnd.oasis.opendocument.text": ZIP,
    "application/vnd.oasis.opendocument.spreadsheet": ZIP,
}
TEXT = frozenset({"text/plain", "text/csv"})


def _is_text(head: bytes) -> bool:
    """UTF-8 without NUL or other control characters but tab, CR, LF and form feed. When the
    sample is a full SNIFF_BYTES, a character cut by its end does not count against it."""
    if any(b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D) for b in head):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return False
    return True


def matches(content_type: str, head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) fits ``content_type``."""
    if content_type == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if content_type in TEXT:
        return _is_text(head)
    signatures = SIGNATURES.get(content_type)
    if signatures is None:
        return True
    return head.startswith(signatures)


def checked(content_type: str) -> bool:
    """Whether ``matches`` knows this type (the others pass unchecked)."""
    return content_type in SIGNATURES or content_type in TEXT or content_type == "image/webp"
