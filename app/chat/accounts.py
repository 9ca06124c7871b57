"""Accounts and sessions: register, log in, authenticate a token, log out."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import green
from ..config import Config
from ..errors import ChatError, invalid
from ..models import User
from ..storage.database import Database, Duplicate
from . import passwords, validate
from .guard import action

# OWASP's argon2id baseline (19 MiB, 2 passes): slow for guessing, ~20 ms per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Accounts:
    def __init__(self, config: Config, db: Database, state):
        self.config = config
        self.db = db
        self.state = state

    def _token_key(self, token: str) -> str:
        # tokens are stored only as an HMAC keyed with SECRET_KEY
        return hmac.new(self.config.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()

    def _new_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)  # 256 random bits
        self.state.create_session(self._token_key(token), {"id": user.id, "username": user.username})
        return token

    @action
    def register(self, data) -> tuple[User, str]:
        data = validate.payload(data)
        username = validate.username(data)
        password = validate.password(data)
        if self.config.breached_password_check and (why := passwords.leaked(password, username)):
            raise invalid(why)
        pw_hash = green.offload(_hasher.hash, password)
        try:
            user = self.db.create_user(username, pw_hash)
        except Duplicate:
            raise ChatError("conflict", "that username is taken") from None
        return user, self._new_session(user)

    @action
    def login(self, data) -> tuple[User, str]:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        password = validate.string(data, "password", max_len=1024)
        # the account's own backoff, whatever address the attempts come from; unknown names
        # are counted the same way, so the answer tells nothing about which names exist
        account = username.lower()
        wait = self.state.login_locked(account)
        if wait:
            raise ChatError(
                "rate_limited", "too many failed sign-ins for this account; wait", retry_after=wait
            )
        row = self.db.credentials(username)
        try:
            # verify against a dummy hash for unknown names so timing does not tell them apart
            green.offload(_hasher.verify, row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None:
            self.state.login_failed(account, self.config.login_free_failures, self.config.login_backoff_max)
            raise ChatError("unauthorized", "wrong username or password")
        self.state.login_succeeded(account)
        user = User(row.id, row.username)
        return user, self._new_session(user)

    @action
    def authenticate(self, token, sid: str | None = None) -> User:
        """The user of a live session. With ``sid``, a socket the session opens: remembered
        with it (in the same round trip), so logging out closes it."""
        if not isinstance(token, str) or not 20 <= len(token) <= 200:
            raise ChatError("unauthorized", "a valid token is required")
        key = self._token_key(token)
        session = self.state.get_session(key, sid)
        if session is None:
            raise ChatError("unauthorized", "the token is invalid or was revoked")
        return User(int(session["id"]), session["username"], key)

    @action
    def logout(self, user: User) -> list[str]:
        """Revoke the caller's session; returns the socket ids opened with it."""
        return self.state.delete_session(user.session)

    @action
    def logout_everywhere(self, user: User) -> list[str]:
        """Revoke every session of the caller (every device); returns their sockets' ids."""
        sids: list[str] = []
        for key in self.state.user_sessions(user.id):
            sids.extend(self.state.delete_session(key))
        return sids

    def check_rate(self, client_ip: str) -> None:
        """Register and login together, per client IP (AUTH_RATE_LIMIT)."""
        wait = self.state.hit(f"auth:{client_ip}", self.config.auth_rate)
        if wait > 0:
            raise ChatError("rate_limited", "too many attempts; wait and retry", retry_after=wait)
