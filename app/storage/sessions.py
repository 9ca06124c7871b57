"""Sessions and the sign-in backoff, for the state stores (state.py): mixed into
MemoryState (one process; sessions in memory or, with ``SqlSessions``, in the database) and
RedisState (every process), which create the attributes used here (``_lock`` and the dicts;
``redis``, ``_k``, ``_call``, ``_script`` and ``_socket_session``) and the lifetimes
(``session_idle``, ``session_max_age``)."""

from __future__ import annotations

import time

from sqlalchemy import select

from .database import read_only, translated
from .schema import sessions

CREATED = "_created"  # the session field holding its creation time (epoch seconds)
LOGIN_FAIL_WINDOW = 3600  # failed sign-ins of an account are counted over this many seconds

# A socket's connect: the session (as HGETALL), its idle expiry moved, and the socket added
# to the session's sockets, in one round trip; nothing when there is no session.
# KEYS: session hash, its sockets set; ARGV: idle seconds, sid, max age seconds
SOCKET_SESSION = """
local raw = redis.call('HGETALL', KEYS[1])
if #raw == 0 then return raw end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return raw
"""


def backoff(failures: int, free: int, cap: float) -> float:
    """Seconds an account's sign-in waits after its n-th failure: none for the first ``free``,
    then 1, 2, 4, ... seconds, at most ``cap``."""
    if failures <= free:
        return 0.0
    return float(min(cap, 2 ** min(failures - free - 1, 30)))


class MemorySessions:
    # -- sessions
    def create_session(self, key: str, user: dict) -> None:
        now = time.time()
        with self._lock:
            self._sessions[key] = (dict(user), now, now)
            self._user_sessions[str(user["id"])].add(key)

    def user_sessions(self, user_id: int) -> list[str]:
        with self._lock:
            return sorted(self._user_sessions.get(str(user_id), ()))

    def live_sessions(self, keys: list[str]) -> set[str]:
        """Which of these sessions have not ended, without counting the look as a use."""
        now = time.time()
        with self._lock:
            return {
                k
                for k in keys
                if (e := self._sessions.get(k)) is not None
                and now - e[2] <= self.session_idle
                and now - e[1] <= self.session_max_age
            }

    def get_session(self, key: str, sid: str | None = None) -> dict | None:
        """The session, if neither idle past SESSION_IDLE_SECONDS nor older than
        SESSION_MAX_AGE_SECONDS; each use restarts the idle clock. With ``sid``, a socket
        the session opens: remembered as ``add_session_sid`` does, when the session is live."""
        now = time.time()
        with self._lock:
            entry = self._sessions.get(key)
            if entry is None:
                return None
            user, created, used = entry
            if now - used > self.session_idle or now - created > self.session_max_age:
                del self._sessions[key]
                return None
            self._sessions[key] = (user, created, now)
            if sid is not None:
                self._session_sids[key].add(sid)
            return dict(user)

    def delete_session(self, key: str) -> list[str]:
        with self._lock:
            entry = self._sessions.pop(key, None)
            if entry is not None:
                self._user_sessions[str(entry[0]["id"])].discard(key)
            return sorted(self._session_sids.pop(key, set()))

    def add_session_sid(self, key: str, sid: str) -> None:
        with self._lock:
            self._session_sids[key].add(sid)

    def remove_session_sid(self, key: str, sid: str) -> None:
        with self._lock:
            sids = self._session_sids.get(key)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._session_sids[key]

    # -- sign-in backoff per account
    def login_locked(self, name: str) -> float:
        with self._lock:
            return max(0.0, self._login_lock.get(name, 0.0) - time.monotonic())

    def login_failed(self, name: str, free: int, cap: float) -> float:
        now = time.monotonic()
        with self._lock:
            count, since = self._login_fails.get(name, (0, now))
            if now - since > LOGIN_FAIL_WINDOW:
                count, since = 0, now
            count += 1
            self._login_fails[name] = (count, since)
            lock = backoff(count, free, cap)
            if lock:
                self._login_lock[name] = now + lock
            return lock

    def login_succeeded(self, name: str) -> None:
        with self._lock:
            self._login_fails.pop(name, None)
            self._login_lock.pop(name, None)


class RedisSessions:
    # -- sessions
    def create_session(self, key: str, user: dict) -> None:
        k = self._k("sess", key)
        pipe = self.redis.pipeline()
        pipe.hset(k, mapping={**{str(f): str(v) for f, v in user.items()}, CREATED: repr(time.time())})
        pipe.expire(k, self.session_idle)
        # the user's sessions, for "sign out everywhere" (keys of ended sessions are harmless)
        pipe.sadd(self._k("user_sess", str(user["id"])), key)
        pipe.expire(self._k("user_sess", str(user["id"])), self.session_max_age)
        self._call(pipe.execute)

    def user_sessions(self, user_id: int) -> list[str]:
        keys = self._call(self.redis.smembers, self._k("user_sess", str(user_id)))
        return sorted(k.decode() for k in keys)

    def live_sessions(self, keys: list[str]) -> set[str]:
        """Which of these sessions have not ended (Redis expired the idle ones), without
        moving their expiry: one pipelined read of their creation times."""
        if not keys:
            return set()
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.hget(self._k("sess", key), CREATED)
        created = self._call(pipe.execute)
        now = time.time()
        live = set()
        for key, value in zip(keys, created, strict=True):
            try:
                if value is not None and now - float(value) <= self.session_max_age:
                    live.add(key)
            except ValueError:
                live.add(key)  # unreadable creation time: the next use decides
        return live

    def get_session(self, key: str, sid: str | None = None) -> dict | None:
        """As MemoryState's: Redis expires a session idle for SESSION_IDLE_SECONDS (each use
        moves the expiry, in the same round trip), and one older than SESSION_MAX_AGE_SECONDS
        is refused and removed here. A socket's ``sid`` is added in that round trip too."""
        k = self._k("sess", key)
        if sid is None:
            pipe = self.redis.pipeline()
            pipe.hgetall(k)
            pipe.expire(k, self.session_idle)
            raw, _ = self._call(pipe.execute)
            session = {f.decode(): v.decode() for f, v in raw.items()}
        else:
            args = [self.session_idle, sid, self.session_max_age]
            flat = self._script(self._socket_session, [k, self._k("sess_sids", key)], args)
            session = {flat[i].decode(): flat[i + 1].decode() for i in range(0, len(flat), 2)}
        if not session:
            return None
        try:
            created = float(session.pop(CREATED))
        except (KeyError, ValueError):
            # made before lifetimes were recorded: its lifetime starts now, not at sign-in
            created = time.time()
            self._call(self.redis.hsetnx, k, CREATED, repr(created))
        if time.time() - created > self.session_max_age:
            self._call(self.redis.delete, k)
            if sid is not None:
                self._call(self.redis.srem, self._k("sess_sids", key), sid)
            return None
        return session

    def delete_session(self, key: str) -> list[str]:
        pipe = self.redis.pipeline()
        pipe.delete(self._k("sess", key))
        pipe.smembers(self._k("sess_sids", key))
        pipe.delete(self._k("sess_sids", key))
        _, sids, _ = self._call(pipe.execute)
        return sorted(s.decode() for s in sids)

    def add_session_sid(self, key: str, sid: str) -> None:
        k = self._k("sess_sids", key)
        pipe = self.redis.pipeline()
        pipe.sadd(k, sid)
        pipe.expire(k, self.session_max_age)
        self._call(pipe.execute)

    def remove_session_sid(self, key: str, sid: str) -> None:
        self._call(self.redis.srem, self._k("sess_sids", key), sid)

    # -- sign-in backoff per account (shared by every process, whatever address tries)
    def login_locked(self, name: str) -> float:
        ms = self._call(self.redis.pttl, self._k("login_lock", name))
        return max(0.0, ms / 1000) if ms and ms > 0 else 0.0

    def login_failed(self, name: str, free: int, cap: float) -> float:
        fails = self._k("login_fails", name)
        pipe = self.redis.pipeline()
        pipe.incr(fails)
        pipe.expire(fails, LOGIN_FAIL_WINDOW, nx=True)
        count, _ = self._call(pipe.execute)
        lock = backoff(int(count), free, cap)
        if lock:
            self._call(self.redis.set, self._k("login_lock", name), "1", px=int(lock * 1000))
        return lock

    def login_succeeded(self, name: str) -> None:
        self._call(self.redis.delete, self._k("login_fails", name), self._k("login_lock", name))


class SqlSessions(MemorySessions):
    """Sessions in the database (the ``sessions`` table), for a service without Redis: a
    restart keeps everyone signed in. The sockets of a session stay in this process's memory
    (they end with it), and so does the sign-in backoff. A use is written back at most every
    ``USE_WRITE_INTERVAL`` seconds, so the idle clock may lag by that much."""

    USE_WRITE_INTERVAL = 60.0

    def _sql_init(self, engine, reads) -> None:
        self._engine = engine
        self._reads = reads  # a session's lookup, on every request (storage/engine.py)

    def _write_interval(self) -> float:
        return min(self.USE_WRITE_INTERVAL, self.session_idle / 10)

    def _ended(self, row, now: float) -> bool:
        return now - row.used > self.session_idle or now - row.created > self.session_max_age

    @translated
    def create_session(self, key: str, user: dict) -> None:
        now = time.time()
        with self._engine.begin() as conn:
            # ended sessions go as new ones come: the table holds only live ones and a few more
            idle = sessions.c.used < now - self.session_idle
            old = sessions.c.created < now - self.session_max_age
            conn.execute(sessions.delete().where(idle | old))
            conn.execute(
                sessions.insert().values(
                    key=key, user_id=int(user["id"]), username=str(user["username"]), created=now, used=now
                )
            )

    @translated
    def user_sessions(self, user_id: int) -> list[str]:
        with self._engine.connect() as conn:
            keys = conn.execute(select(sessions.c.key).where(sessions.c.user_id == int(user_id)))
            return sorted(keys.scalars())

    @translated
    def live_sessions(self, keys: list[str]) -> set[str]:
        if not keys:
            return set()
        now = time.time()
        with self._engine.connect() as conn:
            rows = conn.execute(select(sessions).where(sessions.c.key.in_(list(keys)))).all()
        return {row.key for row in rows if not self._ended(row, now)}

    @translated
    def get_session(self, key: str, sid: str | None = None) -> dict | None:
        now = time.time()
        row = self._session_row(key)
        if row is None:
            return None
        if self._ended(row, now):
            with self._engine.begin() as conn:
                conn.execute(sessions.delete().where(sessions.c.key == key))
            return None
        if now - row.used >= self._write_interval():
            with self._engine.begin() as conn:
                conn.execute(sessions.update().where(sessions.c.key == key).values(used=now))
        if sid is not None:
            self.add_session_sid(key, sid)
        return {"id": row.user_id, "username": row.username}

    @read_only
    def _session_row(self, key: str):
        with self._reads.connect() as conn:
            return conn.execute(select(sessions).where(sessions.c.key == key)).first()

    @translated
    def delete_session(self, key: str) -> list[str]:
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.key == key))
        with self._lock:
            return sorted(self._session_sids.pop(key, set()))
