"""New passwords against the passwords leaked most often (BREACHED_PASSWORD_CHECK=1).

zxcvbn bundles the 30,000 most common passwords of public breaches and finds them whatever
their case, reversed or with l33t substitutions (``P@ssw0rd``). A password refused here is one
such password as a whole, or the username itself; the check runs offline, on this machine,
in about a millisecond. Off by default, as the contract accepts any 8-128 characters; the
production deployment (modules/app-asg) turns it on.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

MAX_CHECKED = 72  # zxcvbn's own limit; a longer password is on no such list


def leaked(password: str, username: str) -> str | None:
    """Why the password must not be used, or None."""
    if len(password) > MAX_CHECKED:
        return None
    sequence = zxcvbn(password, user_inputs=[username])["sequence"]
    if len(sequence) != 1 or sequence[0]["pattern"] != "dictionary":
        return None
    match = sequence[0]
    if match["i"] != 0 or match["j"] != len(password) - 1:
        return None
    if match["dictionary_name"] == "passwords":
        return "this password is one of the most common leaked passwords: choose another"
    if match["dictionary_name"] == "user_inputs":
        return "the password must not be the username"
    return None
