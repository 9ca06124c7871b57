"""Initial schema: users, rooms, members, messages, uploads.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username_key", name="uq_users_username_key"),
    )
    op.create_table(
        "rooms",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("private", sa.Boolean, nullable=False),
        sa.Column("owner_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rooms"),
        sa.UniqueConstraint("name", name="uq_rooms_name"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_rooms_owner_id_users"),
    )
    op.create_table(
        "members",
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id", name="pk_members"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_members_room_id_rooms"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_members_user_id_users"),
    )
    op.create_table(
        "messages",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("edited_at", sa.DateTime, nullable=True),
        sa.Column("deleted_at", sa.DateTime, nullable=True),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("attachment_key", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_messages_room_id_rooms"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_messages_user_id_users"),
    )
    op.create_index(
        "uq_messages_room_user_client",
        "messages",
        ["room_id", "user_id", "client_id"],
        unique=True,
    )
    op.create_index("ix_messages_room_id_id", "messages", ["room_id", "id"])
    op.create_table(
        "uploads",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("room_id", BigId, nullable=False),
        sa.Column("user_id", BigId, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(127), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("message_id", BigId, nullable=True),
        sa.PrimaryKeyConstraint("key", name="pk_uploads"),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], name="fk_uploads_room_id_rooms"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_uploads_user_id_users"),
    )


def downgrade() -> None:
    op.drop_table("uploads")
    op.drop_index("ix_messages_room_id_id", table_name="messages")
    op.drop_index("uq_messages_room_user_client", table_name="messages")
    op.drop_table("messages")
    op.drop_table("members")
    op.drop_table("rooms")
    op.drop_table("users")
