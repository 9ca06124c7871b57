"""The schema (SQLAlchemy Core).

Alembic migrations in ``app/storage/migrations`` create exactly these tables; ``tests`` check
the two agree. PostgreSQL in production, SQLite as the embedded default.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# SQLite only gives AUTOINCREMENT to INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False),
    # usernames are unique regardless of case and kept as typed
    Column("username_key", String(32), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("private", Boolean, nullable=False),
    Column("owner_id", BigId, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    # the room's message sequence: each stored message takes the next number in the
    # statement that inserts it (see app/delivery/ordering.py)
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    Column("kind", String(8), nullable=False, server_default="room"),  # "room" or "dm"
    # a direct message room: "<lower user id>:<higher user id>", one room per pair
    Column("dm_key", String(64), nullable=True, unique=True),
)

members = Table(
    "members",
    metadata,
    Column("room_id", BigId, ForeignKey("rooms.id"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    # the id up to which the member has read the room (None: the room was empty)
    Column("last_read", BigInteger, nullable=True),
    # a user's rooms (the room list, unread counts): the primary key leads with the room
    Index("ix_members_user_id_room_id", "user_id", "room_id"),
)

bans = Table(
    "bans",
    metadata,
    Column("room_id", BigId, ForeignKey("rooms.id"), primary_key=True),
    Column("user_id", BigId, ForeignKey("users.id"), primary_key=True),
    Column("created_at", DateTime, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("room_id", BigId, ForeignKey("rooms.id"), nullable=False),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("edited_at", DateTime, nullable=True),
    Column("deleted_at", DateTime, nullable=True),
    Column("client_id", String(64), nullable=True),
    Column("attachment_key", String(255), nullable=True),
    Column("seq", BigInteger, nullable=True),
    Column("thread_id", BigInteger, nullable=True),  # the root of a reply's thread
    Column("reply_count", Integer, nullable=False, server_default="0"),
    Column("last_reply_at", DateTime, nullable=True),
    # send is idempotent per (room, user, client_id), enforced here, not only in memory;
    # NULL client_ids never collide on PostgreSQL or SQLite
    Index("uq_messages_room_user_client", "room_id", "user_id", "client_id", unique=True),
    Index("ix_messages_room_id_id", "room_id", "id"),
    Index("uq_messages_room_seq", "room_id", "seq", unique=True),
    Index("ix_messages_thread_id_id", "thread_id", "id"),
    # live messages by (room_id, id) carrying user_id, for unread counts from the index alone
    # (migration 0007: INCLUDE on PostgreSQL, a third key column on SQLite), and public rooms
    # by name (on rooms); partial indexes whose columns differ by dialect, so not here
    # full-text search is kept by the database itself (migration 0003): a generated tsvector
    # column on PostgreSQL, an FTS5 table on SQLite; neither is part of this metadata
)

mentions = Table(
    "mentions",
    metadata,
    Column("message_id", BigId, primary_key=True),
    Column("user_id", BigId, primary_key=True),
    Column("room_id", BigId, nullable=False),
    Column("position", Integer, nullable=False),  # order of first appearance in the body
    Index("ix_mentions_user_id_room_id_message_id", "user_id", "room_id", "message_id"),
)

reactions = Table(
    "reactions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("message_id", BigId, nullable=False),
    Column("emoji", String(160), nullable=False),
    Column("user_id", BigId, nullable=False),
    UniqueConstraint("message_id", "emoji", "user_id"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("room_id", BigId, ForeignKey("rooms.id"), nullable=False),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(127), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("message_id", BigId, nullable=True),
)

# sign-in sessions when there is no Redis (one process): what survives a restart. The key is
# the token's HMAC (app/chat/accounts.py), never the token; times are epoch seconds.
sessions = Table(
    "sessions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("user_id", BigId, nullable=False),
    Column("username", String(32), nullable=False),
    Column("created", Float, nullable=False),
    Column("used", Float, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)
