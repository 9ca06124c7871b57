"""Every state change of the chat goes through one function here.

HTTP views and Socket.IO handlers are thin: they parse their transport and call these
actions, which validate, authorize, write, then notify. Errors are ``ChatError``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from . import green, validate
from .config import Config
from .db import members, messages, rooms, uploads, users
from .errors import ChatError, forbidden, invalid, not_found
from .sendbatch import SEND_BATCH_PG, SendBatcher, batch_params, batch_results
from .store import StoreUnavailable
from .uploads import Media

# OWASP's argon2id baseline (19 MiB, 2 passes): slow for guessing, ~20 ms per login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = _hasher.hash("not-a-real-password")
UPLOAD_KEY_RE = re.compile(r"rooms/\d{1,18}/[A-Za-z0-9_-]{16,64}")
ACTION_DEADLINE = 5.0  # seconds an action may wait on the database, Redis or S3 in all
HISTORY_ON_JOIN = 50
CATCH_UP_ON_JOIN = 500

# Next number of the room's sequence and the INSERT in one statement. A duplicate client_id
# takes no number (the NOT EXISTS) and inserts nothing. Two identical sends racing each other
# can still take a number whose INSERT then conflicts: the statement returns that number with
# no id, and the sender publishes it as skipped so that no receiver waits for it.
_SEND_PG = text(
    """
    WITH s AS (
      UPDATE rooms SET last_seq = last_seq + 1
      WHERE id = :room_id
        AND (CAST(:client_id AS VARCHAR) IS NULL OR NOT EXISTS (
          SELECT 1 FROM messages
          WHERE room_id = :room_id AND user_id = :user_id AND client_id = :client_id))
      RETURNING last_seq
    ), ins AS (
      INSERT INTO messages (room_id, user_id, body, created_at, client_id, attachment_key, seq)
      SELECT :room_id, :user_id, :body, :created_at, :client_id, :attachment_key, last_seq FROM s
      ON CONFLICT DO NOTHING
      RETURNING id, seq
    )
    SELECT ins.id AS id, s.last_seq AS seq FROM s LEFT JOIN ins ON true
    """
)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    session: str | None = None  # the hashed token of the session that authenticated

    def as_dict(self) -> dict:
        return {"id": self.id, "username": self.username}


@dataclass(frozen=True)
class Room:
    id: int
    name: str
    private: bool
    owner_id: int
    owner: str

    def as_dict(self) -> dict:
        return {"name": self.name, "private": self.private, "owner": self.owner}


def _db_errors(fn):
    """A database that cannot be reached is `unavailable`, never a crash or a false `ok`."""

    def wrapper(*args, **kwargs):
        try:
            with green.deadline(ACTION_DEADLINE):
                return fn(*args, **kwargs)
        except green.DeadlineExceeded as exc:
            raise ChatError("unavailable", "a dependency did not answer in time; try again") from exc
        except OperationalError as exc:
            raise ChatError("unavailable", "the database is unavailable; try again") from exc
        except StoreUnavailable as exc:
            raise ChatError("unavailable", "the session store is unavailable; try again") from exc
        except SQLAlchemyError as exc:
            if isinstance(exc, IntegrityError):
                raise
            raise ChatError("unavailable", "the database failed; try again") from exc

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Chat:
    """The chat's rules, over a database engine, the shared store and the media bucket."""

    def __init__(
        self, config: Config, engine: Engine, store, media: Media, send_engine: Engine | None = None
    ):
        self.config = config
        self.engine = engine
        self.send_engine = send_engine or engine.execution_options(isolation_level="AUTOCOMMIT")
        self.store = store
        self.media = media
        self._rooms: dict[str, Room] = {}  # rooms never change name, privacy or owner
        self._usernames: dict[int, str] = {}
        self._local_locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._ids = itertools.count(1)  # message ids when persistence is off (benchmarks)
        self._batcher = SendBatcher(self._send_batch, ACTION_DEADLINE)
        self._pg = engine.dialect.name == "postgresql"

    # ------------------------------------------------------------------ accounts
    def _token_key(self, token: str) -> str:
        # tokens are stored only as an HMAC keyed with SECRET_KEY
        return hmac.new(self.config.secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()

    def _new_session(self, user: User) -> str:
        token = secrets.token_urlsafe(32)  # 256 random bits
        self.store.create_session(self._token_key(token), {"id": user.id, "username": user.username})
        return token

    @_db_errors
    def register(self, data) -> tuple[User, str]:
        data = validate.payload(data)
        username = validate.username(data)
        password = validate.password(data)
        pw_hash = green.offload(_hasher.hash, password)
        try:
            with self.engine.begin() as conn:
                uid = conn.execute(
                    users.insert()
                    .values(
                        username=username,
                        username_key=username.lower(),
                        password_hash=pw_hash,
                        created_at=now(),
                    )
                    .returning(users.c.id)
                ).scalar_one()
        except IntegrityError:
            raise ChatError("conflict", "that username is taken") from None
        user = User(uid, username)
        return user, self._new_session(user)

    @_db_errors
    def login(self, data) -> tuple[User, str]:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        password = validate.string(data, "password", max_len=1024)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.id, users.c.username, users.c.password_hash).where(
                    users.c.username_key == username.lower()
                )
            ).first()
        try:
            # verify against a dummy hash for unknown names so timing does not tell them apart
            green.offload(_hasher.verify, row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None:
            raise ChatError("unauthorized", "wrong username or password")
        user = User(row.id, row.username)
        return user, self._new_session(user)

    @_db_errors
    def authenticate(self, token) -> User:
        if not isinstance(token, str) or not 20 <= len(token) <= 200:
            raise ChatError("unauthorized", "a valid token is required")
        key = self._token_key(token)
        session = self.store.get_session(key)
        if session is None:
            raise ChatError("unauthorized", "the token is invalid or was revoked")
        return User(int(session["id"]), session["username"], key)

    @_db_errors
    def logout(self, user: User) -> list[str]:
        """Revoke the caller's session; returns the socket ids opened with it."""
        return self.store.delete_session(user.session)

    # ------------------------------------------------------------------ rooms
    def _room_from_row(self, row) -> Room:
        return Room(row.id, row.name, bool(row.private), row.owner_id, row.owner)

    def _room_query(self):
        return select(
            rooms.c.id, rooms.c.name, rooms.c.private, rooms.c.owner_id, users.c.username.label("owner")
        ).join(users, users.c.id == rooms.c.owner_id)

    def room(self, name: str) -> Room:
        cached = self._rooms.get(name)
        if cached is not None:
            return cached
        if not isinstance(name, str) or not validate.ROOM_RE.fullmatch(name):
            raise not_found(f"no room named {str(name)[:80]!r}")
        with self.engine.connect() as conn:
            row = conn.execute(self._room_query().where(rooms.c.name == name)).first()
        if row is None:
            raise not_found(f"no room named {name!r}")
        room = self._room_from_row(row)
        self._rooms[name] = room
        return room

    def is_member(self, room: Room, user: User) -> bool:
        if not room.private or room.owner_id == user.id:
            return True
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(members.c.user_id).where(
                        members.c.room_id == room.id, members.c.user_id == user.id
                    )
                ).first()
                is not None
            )

    def accessible_room(self, user: User, name: str) -> Room:
        room = self.room(name)
        if not self.is_member(room, user):
            raise forbidden(f"you are not a member of the private room {name!r}")
        return room

    @_db_errors
    def list_rooms(self, user: User) -> list[dict]:
        query = self._room_query().where(
            (rooms.c.private.is_(False))
            | rooms.c.id.in_(select(members.c.room_id).where(members.c.user_id == user.id))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(rooms.c.name)).all()
        return [self._room_from_row(r).as_dict() for r in rows]

    @_db_errors
    def create_room(self, user: User, data) -> dict:
        data = validate.payload(data)
        name = validate.room_name(data, "name")
        private = validate.boolean(data, "private", False)
        try:
            with self.engine.begin() as conn:
                rid = conn.execute(
                    rooms.insert()
                    .values(name=name, private=private, owner_id=user.id, created_at=now())
                    .returning(rooms.c.id)
                ).scalar_one()
                conn.execute(members.insert().values(room_id=rid, user_id=user.id, created_at=now()))
        except IntegrityError:
            raise ChatError("conflict", f"a room named {name!r} exists") from None
        return Room(rid, name, private, user.id, user.username).as_dict()

    @_db_errors
    def add_member(self, user: User, room_name: str, data) -> None:
        data = validate.payload(data)
        username = validate.string(data, "username", max_len=64)
        room = self.room(room_name)
        if room.owner_id != user.id:
            raise forbidden("only the room's owner can add members")
        if not room.private:
            raise invalid("a public room has no member list; everyone may join")
        with self.engine.begin() as conn:
            uid = conn.execute(select(users.c.id).where(users.c.username_key == username.lower())).scalar()
            if uid is None:
                raise not_found(f"no user named {username!r}")
            exists = conn.execute(
                select(members.c.user_id).where(members.c.room_id == room.id, members.c.user_id == uid)
            ).first()
            if exists is None:
                try:
                    conn.execute(members.insert().values(room_id=room.id, user_id=uid, created_at=now()))
                except IntegrityError:
                    pass  # added concurrently: the outcome is the same

    # ------------------------------------------------------------------ messages
    def _message_query(self):
        return (
            select(
                messages.c.id,
                messages.c.body,
                messages.c.created_at,
                messages.c.edited_at,
                messages.c.client_id,
                messages.c.attachment_key,
                messages.c.room_id,
                messages.c.seq,
                messages.c.deleted_at,
                users.c.username,
                uploads.c.filename,
                uploads.c.content_type,
                uploads.c.size,
            )
            .join(users, users.c.id == messages.c.user_id)
            .outerjoin(uploads, uploads.c.key == messages.c.attachment_key)
        )

    @staticmethod
    def _message(row, room_name: str) -> dict:
        attachment = None
        if row.attachment_key:
            attachment = {
                "key": row.attachment_key,
                "filename": row.filename,
                "content_type": row.content_type,
                "size": row.size,
            }
        return {
            "id": row.id,
            "room": room_name,
            "user": row.username,
            "body": row.body,
            "created_at": iso(row.created_at),
            "edited_at": iso(row.edited_at),
            "client_id": row.client_id,
            "attachment": attachment,
        }

    def _page(self, room: Room, *, before=None, after=None, limit=50, conn=None) -> tuple[list[dict], bool]:
        """Keyset pagination over a room's live messages; ascending by id."""
        cond = and_(messages.c.room_id == room.id, messages.c.deleted_at.is_(None))
        q = self._message_query()
        if after is not None:
            q = q.where(cond, messages.c.id > after).order_by(messages.c.id.asc())
        else:
            if before is not None:
                cond = and_(cond, messages.c.id < before)
            q = q.where(cond).order_by(messages.c.id.desc())
        if conn is None:
            with self.engine.connect() as own:
                rows = own.execute(q.limit(limit + 1)).all()
        else:
            rows = conn.execute(q.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        if after is None:
            rows.reverse()
        return [self._message(r, room.name) for r in rows], more

    @_db_errors
    def history(self, user: User, room_name: str, args) -> tuple[list[dict], bool]:
        before = validate.query_id(args.get("before"), "before")
        after = validate.query_id(args.get("after"), "after")
        if before is not None and after is not None:
            raise invalid("give 'before' or 'after', not both")
        limit = validate.limit(args.get("limit"))
        room = self.accessible_room(user, room_name)
        return self._page(room, before=before, after=after, limit=limit)

    @_db_errors
    @_db_errors
    def join_target(self, user: User, data) -> tuple[Room, int | None]:
        """Check a join: the room it names, which the user may enter, and its `since`."""
        data = validate.payload(data)
        name = validate.room_name(data)
        since = validate.integer(data, "since", required=False, low=0)
        return self.accessible_room(user, name), since

    @_db_errors
    def join_page(self, room: Room, since: int | None) -> tuple[list[dict], bool, int]:
        """The history a join returns, and the room's sequence number read before it.

        Called after the socket entered the room; the socket's live delivery is gated on
        the returned number (app/ordering.py), so each message reaches it exactly once:
        in this page or live.
        """
        # one snapshot: the page holds exactly the messages numbered up to last_seq
        level = "REPEATABLE READ" if self._pg else "SERIALIZABLE"
        with self.engine.connect().execution_options(isolation_level=level) as conn, conn.begin():
            last_seq = conn.execute(select(rooms.c.last_seq).where(rooms.c.id == room.id)).scalar_one()
            if since is None:
                page, more = self._page(room, limit=HISTORY_ON_JOIN, conn=conn)
            else:
                page, more = self._page(room, after=since, limit=CATCH_UP_ON_JOIN, conn=conn)
        return page, more, last_seq

    def check_send_rate(self, user: User) -> None:
        wait = self.store.hit_leased(f"send:{user.id}", self.config.send_rate)
        if wait > 0:
            raise ChatError("rate_limited", "you are sending too fast", retry_after=wait)

    def check_auth_rate(self, client_ip: str) -> None:
        try:
            wait = self.store.hit(f"auth:{client_ip}", self.config.auth_rate)
        except StoreUnavailable as exc:
            raise ChatError("unavailable", "the session store is unavailable; try again") from exc
        if wait > 0:
            raise ChatError("rate_limited", "too many attempts; wait and retry", retry_after=wait)

    def _room_lock(self, room_id: int) -> threading.Lock:
        with self._locks_guard:
            lock = self._local_locks.get(room_id)
            if lock is None:
                lock = self._local_locks[room_id] = threading.Lock()
            return lock

    def _check_attachment(self, user: User, room: Room, key: str) -> None:
        if not key:
            raise invalid("'attachment' must be an upload key")
        self.media.require()
        with self.engine.connect() as conn:
            up = conn.execute(select(uploads).where(uploads.c.key == key)).first()
        if up is None or up.user_id != user.id or up.room_id != room.id:
            raise forbidden("that upload is not yours in this room")
        if up.message_id is not None:
            raise ChatError("conflict", "that upload is attached to another message")
        stored = self.media.head(key)
        if stored is None:
            raise invalid("the upload has not been completed")
        # the service does not trust the presigned policy alone
        if stored.size > up.size:
            self.media.delete(key)
            raise ChatError("too_large", "the uploaded file is larger than declared")
        if stored.content_type != up.content_type:
            self.media.delete(key)
            raise ChatError("unsupported_type", "the uploaded file's type is not the declared one")

    @_db_errors
    def send(
        self, user: User, room: Room, data, publish: Callable[[dict, int | None], None]
    ) -> tuple[dict, bool]:
        """Store a message and publish it; returns (message, created).

        The message takes the next number of its room's sequence in the statement that
        inserts it; ``publish(message, seq)`` runs after the commit, and every receiving
        process restores sequence order (app/ordering.py). The ack is sent by the caller
        after this returns, i.e. after the commit.
        """
        body = validate.body(data)
        client_id = validate.client_id(data)
        attachment = validate.string(data, "attachment", required=False, max_len=255)
        self.check_send_rate(user)
        if attachment is not None:
            if client_id is not None:
                # a retried send whose attachment is already taken by its first attempt
                with self.engine.connect() as conn:
                    first = self._existing(conn, room, user, client_id)
                if first is not None:
                    return first, False
            self._check_attachment(user, room, attachment)
        if not self.config.persist_messages:
            return self._send_unpersisted(user, room, body, client_id, publish), True
        values = {
            "room_id": room.id,
            "user_id": user.id,
            "body": body,
            "client_id": client_id,
            "attachment_key": attachment,
            "created_at": now(),
        }
        if self._pg:
            mid, seq = self._insert_pg(values)
        else:
            mid, seq = self._insert_sqlite(room, values, user)
        if mid is None:
            if seq is not None:
                publish(None, seq)  # a number taken by a send that lost a race to its duplicate
            with self.engine.connect() as conn:
                row = self._existing_row(conn, room, user, client_id)
            first = self._message(row, room.name)
            if row.deleted_at is None:
                # published again: if the first publish died with its process, members get
                # it now; receivers that delivered it already drop the repeat (app/ordering.py)
                publish(first, row.seq)
            return first, False
        msg = self._message_from_values(mid, room, user, values)
        publish(msg, seq)
        return msg, True

    def _insert_pg(self, values: dict):
        """One autocommit statement: next sequence number + INSERT, shared with the room's
        other sends of the moment (app/sendbatch.py). The room's row lock lasts only while
        PostgreSQL runs the statement, never across a client round trip."""
        if values["attachment_key"] is None:
            return self._batcher.submit(values)  # (None, seq): number burnt
        with self.send_engine.connect() as conn:
            # message and upload change together
            conn.exec_driver_sql("BEGIN")
            try:
                row = conn.execute(_SEND_PG, values).first()
                if row is not None and row.id is not None:
                    self._attach(conn, values["attachment_key"], row.id)
                conn.exec_driver_sql("COMMIT")
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
        return (None, None) if row is None else (row.id, row.seq)  # (None, seq): number burnt

    def _send_batch(self, batch: list[dict]):
        """Sends batched in one statement, whatever their rooms (app/sendbatch.py)."""
        rows = self._raw_statement(SEND_BATCH_PG, batch_params(batch))
        return batch_results(batch, rows)

    def _raw_statement(self, sql: str, params: dict) -> list[tuple]:
        """An autocommit statement on a pooled connection's raw psycopg2 cursor: SQLAlchemy's
        execution layer cost a fifth of a busy server's CPU per send. A connection that
        failed or was interrupted (deadline) is discarded; a lost server also empties the
        pool, so the next send connects afresh (as SQLAlchemy does for its own statements)."""
        try:
            raw = self.send_engine.raw_connection()
        except psycopg2.Error as exc:  # the pool connects with the driver's own errors
            raise ChatError("unavailable", "the database is unavailable; try again") from exc
        healthy = False
        try:
            cur = raw.cursor()
            try:
                cur.execute(sql, params)
                rows = cur.fetchall()
            finally:
                cur.close()
            healthy = True
            return rows
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            raw.invalidate(exc)
            self.send_engine.dispose()
            healthy = True  # invalidated already
            raise ChatError("unavailable", "the database is unavailable; try again") from exc
        except psycopg2.Error:
            healthy = True  # an autocommit statement failed: the connection itself is fine
            raise
        finally:
            if not healthy:
                raw.invalidate()  # interrupted mid-statement: its state is unknown
            raw.close()

    def _insert_sqlite(self, room: Room, values: dict, user: User):
        # SQLite serves one process: a local lock per room orders the numbering
        with self._room_lock(room.id), self.engine.begin() as conn:
            if values["client_id"] is not None and self._existing(conn, room, user, values["client_id"]):
                return None, None
            seq = conn.execute(
                update(rooms)
                .where(rooms.c.id == room.id)
                .values(last_seq=rooms.c.last_seq + 1)
                .returning(rooms.c.last_seq)
            ).scalar_one()
            mid = conn.execute(
                sqlite_insert(messages)
                .values(seq=seq, **values)
                .on_conflict_do_nothing()
                .returning(messages.c.id)
            ).scalar()
            if mid is None:
                return None, None
            self._attach(conn, values["attachment_key"], mid)
            return mid, seq

    def _message_from_values(self, mid: int, room: Room, user: User, values: dict) -> dict:
        attachment = None
        if values["attachment_key"]:
            with self.engine.connect() as conn:
                up = conn.execute(
                    select(uploads.c.filename, uploads.c.content_type, uploads.c.size).where(
                        uploads.c.key == values["attachment_key"]
                    )
                ).first()
            attachment = {"key": values["attachment_key"], **up._asdict()}
        return {
            "id": mid,
            "room": room.name,
            "user": user.username,
            "body": values["body"],
            "created_at": iso(values["created_at"]),
            "edited_at": None,
            "client_id": values["client_id"],
            "attachment": attachment,
        }

    @_db_errors
    def message_by_seq(self, room_name: str, seq: int) -> dict | None:
        """A room's live message by sequence number (fills a gap left by a lost publish)."""
        room = self.room(room_name)
        with self.engine.connect() as conn:
            row = conn.execute(
                self._message_query().where(
                    messages.c.room_id == room.id, messages.c.seq == seq, messages.c.deleted_at.is_(None)
                )
            ).first()
        return None if row is None else self._message(row, room.name)

    @staticmethod
    def _attach(conn, key, message_id: int) -> None:
        if key:
            conn.execute(update(uploads).where(uploads.c.key == key).values(message_id=message_id))

    def _existing_row(self, conn, room: Room, user: User, client_id: str):
        return conn.execute(
            self._message_query().where(
                messages.c.room_id == room.id,
                messages.c.user_id == user.id,
                messages.c.client_id == client_id,
            )
        ).first()

    def _existing(self, conn, room: Room, user: User, client_id: str) -> dict | None:
        row = self._existing_row(conn, room, user, client_id)
        return None if row is None else self._message(row, room.name)

    def _send_unpersisted(self, user, room, body, client_id, publish) -> dict:
        with self._room_lock(room.id):
            msg = {
                "id": next(self._ids),
                "room": room.name,
                "user": user.username,
                "body": body,
                "created_at": iso(now()),
                "edited_at": None,
                "client_id": client_id,
                "attachment": None,
            }
            publish(msg, None)
            return msg

    def _live_message(self, conn, mid: int):
        row = conn.execute(
            select(messages.c.id, messages.c.user_id, messages.c.room_id).where(
                messages.c.id == mid, messages.c.deleted_at.is_(None)
            )
        ).first()
        if row is None:
            raise not_found(f"no message {mid}")
        return row

    def _room_by_id(self, conn, room_id: int) -> Room:
        row = conn.execute(self._room_query().where(rooms.c.id == room_id)).first()
        return self._room_from_row(row)

    @_db_errors
    def edit(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        body = validate.body(data)
        with self.engine.begin() as conn:
            row = self._live_message(conn, mid)
            room = self._room_by_id(conn, row.room_id)
            if not self.is_member(room, user):
                raise forbidden("you are not a member of this room")
            if row.user_id != user.id:
                raise forbidden("you can only edit your own messages")
            self.check_send_rate(user)
            conn.execute(update(messages).where(messages.c.id == mid).values(body=body, edited_at=now()))
            out = conn.execute(self._message_query().where(messages.c.id == mid)).first()
        return self._message(out, room.name)

    @_db_errors
    def delete(self, user: User, data) -> dict:
        data = validate.payload(data)
        mid = validate.integer(data, "id", low=1)
        with self.engine.begin() as conn:
            row = self._live_message(conn, mid)
            room = self._room_by_id(conn, row.room_id)
            if not self.is_member(room, user):
                raise forbidden("you are not a member of this room")
            if row.user_id != user.id and room.owner_id != user.id:
                raise forbidden("only the author or the room's owner can delete a message")
            # the row stays (client_id idempotency, ids never reused); its content goes
            conn.execute(
                update(messages)
                .where(messages.c.id == mid)
                .values(deleted_at=now(), body="", attachment_key=None)
            )
        return {"id": mid, "room": room.name}

    # ------------------------------------------------------------------ uploads
    @_db_errors
    def create_upload(self, user: User, data) -> dict:
        data = validate.payload(data)
        room_name = validate.room_name(data)
        filename = validate.string(data, "filename", max_len=validate.FILENAME_MAX)
        if not filename.strip():
            raise invalid("'filename' must not be empty")
        content_type = validate.string(data, "content_type", max_len=127).strip().lower()
        size = validate.integer(data, "size", low=1)
        self.media.require()
        room = self.accessible_room(user, room_name)
        if content_type not in self.media.content_types:
            raise ChatError("unsupported_type", f"files of type {content_type!r} are not accepted")
        if size > self.media.max_bytes:
            raise ChatError("too_large", f"files are limited to {self.media.max_bytes} bytes")
        key = self.media.new_key(room.id)
        post = self.media.presign_post(key, content_type, size)
        with self.engine.begin() as conn:
            conn.execute(
                uploads.insert().values(
                    key=key,
                    room_id=room.id,
                    user_id=user.id,
                    filename=filename,
                    content_type=content_type,
                    size=size,
                    created_at=now(),
                )
            )
        return {"key": key, "url": post["url"], "fields": post["fields"]}

    @_db_errors
    def download_url(self, user: User, key: str) -> str:
        self.media.require()
        if not UPLOAD_KEY_RE.fullmatch(key):
            raise not_found("no such upload")
        with self.engine.connect() as conn:
            up = conn.execute(select(uploads).where(uploads.c.key == key)).first()
            if up is None:
                raise not_found("no such upload")
            room = self._room_by_id(conn, up.room_id)
        if not self.is_member(room, user):
            raise forbidden("you are not a member of this upload's room")
        return self.media.presign_get(key, up.filename, up.content_type)

    # ------------------------------------------------------------------ health
    def check_database(self) -> str:
        try:
            with green.deadline(2), self.engine.connect() as conn:
                conn.execute(select(func.count()).select_from(select(1).subquery()))
            return "ok"
        except green.DeadlineExceeded:
            return "unreachable: no answer within 2 s"
        except SQLAlchemyError as exc:
            return f"unreachable: {exc.__class__.__name__}"

    def check_store(self) -> str:
        try:
            with green.deadline(2):
                self.store.ping()
            return "ok"
        except green.DeadlineExceeded:
            return "unreachable: no answer within 2 s"
        except StoreUnavailable as exc:
            return f"unreachable: {exc}"[:200]
