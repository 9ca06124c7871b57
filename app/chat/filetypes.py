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


def _starts_with(signatures: tuple[bytes, ...]):
    return lambda head: head.startswith(signatures)


# declared type -> the test its first bytes must pass
CHECKS = {
    **{content_type: _starts_with(signatures) for content_type, signatures in SIGNATURES.items()},
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "text/plain": _is_text,
    "text/csv": _is_text,
}


def checked(content_type: str) -> bool:
    """Whether the type has a check (the others pass unchecked, and their bytes are not read)."""
    return content_type in CHECKS


def matches(content_type: str, head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) fits ``content_type``, or no check knows it."""
    check = CHECKS.get(content_type)
    return check is None or check(head)
