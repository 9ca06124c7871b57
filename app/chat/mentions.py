"""``@username`` in a message body.

An ``@`` at the start or after a character that cannot be in a username starts a mention;
the name runs to the end or to a character that cannot be in a username; dots and hyphens
that end the name where the text ends or whitespace follows are punctuation ("thanks @bob.").
"""

from __future__ import annotations

import re

from .validate import USERNAME_RE

_NAME_CHAR = re.compile(r"[A-Za-z0-9_.-]")
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_.-])@([A-Za-z0-9_.-]+)")


def mention_candidates(body: str) -> list[str]:
    """The names mentioned, lower-cased, in order of first appearance, each once."""
    names: dict[str, None] = {}
    for match in _CANDIDATE.finditer(body):
        name = match.group(1)
        end = match.end(1)
        if end == len(body) or body[end].isspace():
            name = name.rstrip(".-")
        if USERNAME_RE.fullmatch(name):
            names.setdefault(name.lower(), None)
    return list(names)
