"""Shared, short-lived state: sessions, rate limits and presence.

``RedisState`` when ``REDIS_URL`` is set (every process sees the same state); ``MemoryState``
otherwise (one process). Both keep the same rules; every Redis key starts with the
``SOCKETIO_CHANNEL`` name so several deployments can share one Redis.

Presence survives a crashed process: each process heartbeats into a sorted set every
``presence_heartbeat`` seconds; any process reaps an instance whose heartbeat is older than
``presence_ttl`` seconds, so a dead process's users go offline within
``presence_ttl + presence_heartbeat`` seconds (40 s by default).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import redis

from .. import redis_iam
from ..config import Config, Rate
from ..errors import Unavailable
from .sessions import SOCKET_SESSION, MemorySessions, RedisSessions, SqlSessions

# Generic cell rate algorithm: one key per limited subject holding the "theoretical arrival
# time"; allows `burst` back-to-back events, then one per `interval`. Time comes from Redis
# so that hosts with skewed clocks agree. Asks for up to ARGV[3] events at once (1 for a
# single event, more for a lease) and grants as many as the limit allows right now
# -> {granted, seconds to wait when none}
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local room = math.floor((burst * interval - (tat - now)) / interval + 1e-9)
if room < 1 then
  return {0, tostring(tat + interval - now - burst * interval)}
end
local granted = math.min(want, room)
local new_tat = tat + granted * interval
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
return {granted, '0'}
"""

# a lease is used within this many seconds or its rest is dropped (never given back): long
# enough that a user sending a message every second or two keeps growing leases
LEASE_TTL = 5.0
# the largest lease: at most a quarter of the burst, so a user who stops sending right after
# a lease was granted loses at most that much of the burst for a few intervals
LEASE_MAX = 16


class Lease:
    __slots__ = ("expires", "left", "size")

    def __init__(self, left: int, expires: float, size: int):
        self.left, self.expires, self.size = left, expires, size


# KEYS: presence hash (sid -> user), counts hash (user -> sockets), instance index set
# ARGV: sid, user, member ("room\\0sid") -> {1 when the user just came online, else 0,
# the users online in the room}
_JOIN = """
local came = 0
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('SADD', KEYS[3], ARGV[3])
  if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then came = 1 end
end
return {came, redis.call('HKEYS', KEYS[2])}
"""

# KEYS: presence hash, counts hash, instance index set; ARGV: sid, member
# -> {user, went_offline} or false when the sid was not present
_LEAVE = """
local user = redis.call('HGET', KEYS[1], ARGV[1])
if not user then
  redis.call('SREM', KEYS[3], ARGV[2])
  return false
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
local n = redis.call('HINCRBY', KEYS[2], user, -1)
if n <= 0 then
  redis.call('HDEL', KEYS[2], user)
  return {user, 1}
end
return {user, 0}
"""


# A socket closed: it leaves every room it was in and its session's sockets, in one call.
# KEYS: the session's sockets set, the instance index set, then per room its presence hash
# and counts hash; ARGV: sid, then per room its index member ("room\\0sid")
# -> per room: its user ('' when the socket was not present), 1 when they went offline else 0
_CLOSED = """
redis.call('SREM', KEYS[1], ARGV[1])
local out = {}
for j = 1, #ARGV - 1 do
  local presence, counts = KEYS[1 + 2 * j], KEYS[2 + 2 * j]
  redis.call('SREM', KEYS[2], ARGV[1 + j])
  local user = redis.call('HGET', presence, ARGV[1])
  local offline = 0
  if user then
    redis.call('HDEL', presence, ARGV[1])
    if redis.call('HINCRBY', counts, user, -1) <= 0 then
      redis.call('HDEL', counts, user)
      offline = 1
    end
  else
    user = ''
  end
  out[#out + 1] = user
  out[#out + 1] = offline
end
return out
"""


class StateUnavailable(Unavailable):
    """The shared state (Redis) cannot be reached right now."""

    def __init__(self, detail: str):
        super().__init__("the session store is unavailable; try again", detail)


class MemoryState(MemorySessions):
    """Single-process state, for the embedded default."""

    def __init__(self, config: Config, instance_id: str):
        self.instance_id = instance_id
        self.session_idle = config.session_idle_seconds
        self.session_max_age = config.session_max_age_seconds
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[dict, float, float]] = {}  # user, created, last used
        self._session_sids: dict[str, set[str]] = defaultdict(set)
        self._user_sessions: dict[str, set[str]] = defaultdict(set)  # user id -> session keys
        self._login_fails: dict[str, tuple[int, float]] = {}  # name -> (failures, window start)
        self._login_lock: dict[str, float] = {}  # name -> monotonic time the backoff ends
        self._tat: dict[str, float] = {}
        self._presence: dict[str, dict[str, str]] = defaultdict(dict)
        self._counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    # -- rate limits
    def hit(self, key: str, rate: Rate) -> float:
        """Count one event; 0 when allowed, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tat = max(self._tat.get(key, 0.0), now)
            new_tat = tat + rate.interval
            excess = new_tat - now - rate.burst * rate.interval
            if excess > 0:
                return excess
            self._tat[key] = new_tat
            if len(self._tat) > 100_000:  # forget subjects that are idle again
                self._tat = {k: v for k, v in self._tat.items() if v > now}
            return 0.0

    def hit_leased(self, key: str, rate: Rate) -> float:
        """As ``hit``: one process has no round trip to save."""
        return self.hit(key, rate)

    # -- presence
    def presence_join(self, room: str, sid: str, user: str) -> tuple[bool, list[str]]:
        """The socket is in the room: (whether its user just came online, the room's users
        online, sorted)."""
        with self._lock:
            came = False
            if sid not in self._presence[room]:
                self._presence[room][sid] = user
                self._counts[room][user] += 1
                came = self._counts[room][user] == 1
            return came, sorted(self._counts[room])

    def presence_leave(self, room: str, sid: str) -> tuple[str | None, bool]:
        with self._lock:
            user = self._presence[room].pop(sid, None)
            if user is None:
                return None, False
            self._counts[room][user] -= 1
            if self._counts[room][user] <= 0:
                del self._counts[room][user]
                return user, True
            return user, False

    def socket_closed(self, session: str, sid: str, rooms: list[str]) -> list[tuple[str, str | None, bool]]:
        """The socket leaves its rooms (``presence_leave`` of each) and its session's sockets;
        (room, user, went offline) per room."""
        gone = [(room, *self.presence_leave(room, sid)) for room in rooms]
        self.remove_session_sid(session, sid)
        return gone

    def sockets_closed(self, closed: list[tuple[str, str, list[str]]]) -> list[list]:
        """``socket_closed`` of each (session, sid, rooms); their answers in that order."""
        return [self.socket_closed(*one) for one in closed]

    def heartbeat(self) -> None:
        """Nothing to do: a single process cannot outlive itself."""

    def reap_dead_instances(self) -> list[tuple[str, str]]:
        return []

    def forget_instance(self) -> list[tuple[str, str]]:
        return []

    def ping(self) -> None:
        """Always reachable."""


class RedisState(RedisSessions):
    """State shared by every process through Redis."""

    def __init__(self, config: Config, instance_id: str):
        self.instance_id = instance_id
        self.prefix = config.socketio_channel + ":"
        self.heartbeat_ttl = config.presence_ttl
        self.session_idle = config.session_idle_seconds
        self.session_max_age = config.session_max_age_seconds
        # A blocking pool waits for a free connection instead of raising under load;
        # its size bounds the connections one process holds (see docs/operations.md).
        pool = redis.BlockingConnectionPool.from_url(
            redis_iam.connection_url(config.redis_url, config.redis_iam),
            max_connections=config.redis_pool_size,
            timeout=5,
            socket_timeout=5,
            socket_connect_timeout=3,
            health_check_interval=30,
            retry_on_timeout=True,
            **redis_iam.connection_kwargs(config.redis_iam),
        )
        self.redis = redis.Redis(connection_pool=pool)
        self._gcra = self.redis.register_script(_GCRA)
        self._leases: dict[str, Lease] = {}
        self._asking: dict[str, threading.Event] = {}  # subject -> its lease request in flight
        self.lease_ttl = LEASE_TTL
        self._join = self.redis.register_script(_JOIN)
        self._leave = self.redis.register_script(_LEAVE)
        self._closed = self.redis.register_script(_CLOSED)
        self._socket_session = self.redis.register_script(SOCKET_SESSION)

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _script(self, script, keys: list[str], args: list):
        """EVALSHA, loading the script when Redis lost it (restart). redis-py's
        ``Script.__call__`` does the same behind a slow runtime protocol check."""
        try:
            try:
                return self.redis.evalsha(script.sha, len(keys), *keys, *args)
            except redis.exceptions.NoScriptError:
                return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise StateUnavailable(str(exc) or exc.__class__.__name__) from exc

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            raise StateUnavailable(str(exc) or exc.__class__.__name__) from exc

    # -- rate limits
    def hit(self, key: str, rate: Rate) -> float:
        granted, wait = self._script(self._gcra, [self._k("rl", key)], [rate.interval, rate.burst, 1])
        return 0.0 if int(granted) else float(wait)

    def hit_leased(self, key: str, rate: Rate) -> float:
        """``hit`` for a busy subject without a Redis round trip per event.

        Events are taken from Redis in leases: one at first, and twice as many each time a
        lease was used up before it expired (up to ``LEASE_MAX`` and a quarter of the
        burst). A lease is this process's alone and lapses after ``lease_ttl``, so the
        subjects' limit holds across every process: they can only get fewer events than
        the limit allows (at most a lease's rest, while it lapses), never more.

        One request per subject is in flight at a time in a process: events that arrive
        meanwhile (a burst fired without waiting for acks) wait for its lease instead of
        asking Redis in parallel, which would refuse them while the lease's rest went unused.
        """
        while True:
            now = time.monotonic()
            lease = self._leases.get(key)
            if lease is not None and now < lease.expires and lease.left > 0:
                lease.left -= 1
                return 0.0
            asking = self._asking.get(key)
            if asking is None:
                break
            asking.wait(10)
        if lease is not None and now < lease.expires:
            size = min(lease.size * 2, LEASE_MAX, max(1, rate.burst // 4))
        else:
            size = 1
        asking = self._asking[key] = threading.Event()
        try:
            granted, wait = self._script(self._gcra, [self._k("rl", key)], [rate.interval, rate.burst, size])
        finally:
            del self._asking[key]
            asking.set()
        granted = int(granted)
        if granted < 1:
            return float(wait)
        self._leases[key] = Lease(granted - 1, now + self.lease_ttl, granted)
        if len(self._leases) > 50_000:
            self._leases = {k: v for k, v in self._leases.items() if v.expires > now}
        return 0.0

    # -- presence
    def _presence_keys(self, room: str, instance_id: str) -> list[str]:
        return [self._k("presence", room), self._k("online", room), self._k("inst", instance_id)]

    def presence_join(self, room: str, sid: str, user: str) -> tuple[bool, list[str]]:
        """As MemoryState's, in one round trip."""
        keys = self._presence_keys(room, self.instance_id)
        came, online = self._script(self._join, keys, [sid, user, f"{room}\0{sid}"])
        return bool(came), sorted(u.decode() for u in online)

    def presence_leave(self, room: str, sid: str, instance_id: str | None = None):
        keys = self._presence_keys(room, instance_id or self.instance_id)
        result = self._script(self._leave, keys, [sid, f"{room}\0{sid}"])
        if not result:
            return None, False
        return result[0].decode(), bool(result[1])

    def sockets_closed(self, closed: list[tuple[str, str, list[str]]]) -> list[list]:
        """As MemoryState's: every socket's script in one pipelined round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for session, sid, rooms in closed:
            keys = [self._k("sess_sids", session), self._k("inst", self.instance_id)]
            for room in rooms:
                keys += [self._k("presence", room), self._k("online", room)]
            self._closed(keys=keys, args=[sid, *(f"{room}\0{sid}" for room in rooms)], client=pipe)
        gone = []
        for (_, _, rooms), out in zip(closed, self._call(pipe.execute), strict=True):
            users = [u.decode() or None for u in out[0::2]]
            gone.append([(r, u, bool(off)) for r, u, off in zip(rooms, users, out[1::2], strict=True)])
        return gone

    def heartbeat(self) -> None:
        self._call(self.redis.zadd, self._k("instances"), {self.instance_id: time.time()})

    def _clear_instance(self, instance_id: str) -> list[tuple[str, str]]:
        """Remove every presence entry of an instance; returns (room, user) gone offline."""
        offline = []
        members = self._call(self.redis.smembers, self._k("inst", instance_id))
        for member in members:
            room, _, sid = member.decode().partition("\0")
            user, went_offline = self.presence_leave(room, sid, instance_id)
            if went_offline:
                offline.append((room, user))
        self._call(self.redis.delete, self._k("inst", instance_id))
        self._call(self.redis.zrem, self._k("instances"), instance_id)
        return offline

    def reap_dead_instances(self) -> list[tuple[str, str]]:
        """Take presence away from instances that stopped heartbeating."""
        cutoff = time.time() - self.heartbeat_ttl
        dead = self._call(self.redis.zrangebyscore, self._k("instances"), "-inf", cutoff)
        offline = []
        for raw in dead:
            instance_id = raw.decode()
            if instance_id == self.instance_id:
                continue
            # only one live process reaps a given dead instance
            if not self._call(self.redis.set, self._k("reaping", instance_id), "1", nx=True, ex=60):
                continue
            offline.extend(self._clear_instance(instance_id))
        return offline

    def forget_instance(self) -> list[tuple[str, str]]:
        """On a clean shutdown: this process's sockets leave every room."""
        return self._clear_instance(self.instance_id)

    def ping(self) -> None:
        self._call(self.redis.ping)


class DatabaseSessionState(SqlSessions, MemoryState):
    """MemoryState with its sessions in the database: the embedded default."""

    def __init__(self, config: Config, instance_id: str, engine, reads=None):
        MemoryState.__init__(self, config, instance_id)
        self._sql_init(engine, reads or engine)


def make_state(config: Config, instance_id: str, engine=None, reads=None):
    """Redis when ``REDIS_URL`` is set; else this process's memory, with the sessions in the
    database (``engine``) so that a restart signs nobody out."""
    if config.redis_url:
        return RedisState(config, instance_id)
    if engine is not None:
        return DatabaseSessionState(config, instance_id, engine, reads)
    return MemoryState(config, instance_id)
