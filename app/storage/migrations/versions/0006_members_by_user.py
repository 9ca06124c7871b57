"""A user's rooms by user: the room list and its unread counts read members by user_id, which
the primary key (room_id, user_id) cannot serve.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_user_id_room_id", "members", ["user_id", "room_id"])


def downgrade() -> None:
    op.drop_index("ix_members_user_id_room_id", table_name="members")
