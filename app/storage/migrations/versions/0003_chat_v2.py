"""Chat v2: membership of public rooms with read state, bans, direct messages, threads,
reactions, mentions, and full-text search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# PostgreSQL: accents do not matter (unaccent), prefixes match (to_tsquery's :*), and the
# database keeps the vector itself, so every acknowledged edit or deletion is searchable at
# once. unaccent() is only STABLE (its dictionary could change), so a generated column needs
# an IMMUTABLE wrapper naming the dictionary explicitly.
PG_SEARCH = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """CREATE OR REPLACE FUNCTION chat_unaccent(text) RETURNS text
       LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
       AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """ALTER TABLE messages ADD COLUMN search tsvector
       GENERATED ALWAYS AS (to_tsvector('simple', chat_unaccent(body))) STORED""",
    "CREATE INDEX ix_messages_search ON messages USING gin (search)",
]

# SQLite: an FTS5 index over messages.body kept by triggers (unicode61 folds case and removes
# diacritics; a deleted message's body is emptied, so it leaves the index).
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE messages_fts USING fts5(
         body, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')""",
    "INSERT INTO messages_fts(rowid, body) SELECT id, body FROM messages",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
         INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
       END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
         INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
         INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
       END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
         INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
       END""",
]


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("kind", sa.String(8), nullable=False, server_default="room"))
        batch.add_column(sa.Column("dm_key", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_rooms_dm_key", ["dm_key"])
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("last_read", sa.BigInteger, nullable=True))
    # a v1 member has read what was there when the room got its read state
    op.execute(
        "UPDATE members SET last_read = (SELECT max(id) FROM messages WHERE messages.room_id = members.room_id)"
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("thread_id", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("reply_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_reply_at", sa.DateTime, nullable=True))
    op.create_index("ix_messages_thread_id_id", "messages", ["thread_id", "id"])
    op.create_table(
        "bans",
        sa.Column("room_id", BigId, sa.ForeignKey("rooms.id", name="fk_bans_room_id_rooms"), nullable=False),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id", name="fk_bans_user_id_users"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_bans"),
    )
    op.create_table(
        "mentions",
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("message_id", "user_id", name="pk_mentions"),
    )
    op.create_index("ix_mentions_user_id_room_id_message_id", "mentions", ["user_id", "room_id", "message_id"])
    op.create_table(
        "reactions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("message_id", BigId, nullable=False),
        sa.Column("emoji", sa.String(160), nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reactions"),
        sa.UniqueConstraint("message_id", "emoji", "user_id", name="uq_reactions_message_id_emoji_user_id"),
    )
    statements = PG_SEARCH if op.get_bind().dialect.name == "postgresql" else SQLITE_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_messages_search", table_name="messages")
        op.execute("ALTER TABLE messages DROP COLUMN search")
        op.execute("DROP FUNCTION chat_unaccent(text)")
    else:
        for name in ("messages_fts_insert", "messages_fts_update", "messages_fts_delete"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE messages_fts")
    op.drop_table("reactions")
    op.drop_index("ix_mentions_user_id_room_id_message_id", table_name="mentions")
    op.drop_table("mentions")
    op.drop_table("bans")
    op.drop_index("ix_messages_thread_id_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("last_reply_at")
        batch.drop_column("reply_count")
        batch.drop_column("thread_id")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("last_read")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_constraint("uq_rooms_dm_key", type_="unique")
        batch.drop_column("dm_key")
        batch.drop_column("kind")
