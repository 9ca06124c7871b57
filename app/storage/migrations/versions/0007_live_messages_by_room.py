"""Unread counts from the index alone: live messages by (room_id, id), carrying user_id, so
counting a room's unread messages by others above a read position reads no table page
(an index-only scan of the room's range instead of a heap fetch per message); and public
rooms by name, so the room list's check for a new public room, and its placing of private
rooms among the public ones, read only the public rooms.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite has no INCLUDE: user_id is a third key column there, which covers as well
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_index(
        "ix_messages_live_room_id_id",
        "messages",
        ["room_id", "id", "user_id"] if sqlite else ["room_id", "id"],
        postgresql_include=["user_id"],
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_rooms_public_name",
        "rooms",
        ["name"],
        postgresql_where=sa.text("NOT private"),
        sqlite_where=sa.text("NOT private"),
    )


def downgrade() -> None:
    op.drop_index("ix_rooms_public_name", table_name="rooms")
    op.drop_index("ix_messages_live_room_id_id", table_name="messages")
