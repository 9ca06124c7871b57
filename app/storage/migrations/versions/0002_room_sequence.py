"""Per-room message sequence: rooms.last_seq and messages.seq.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=True))
    # number the messages stored before this revision, in id order per room
    op.execute(
        "UPDATE messages SET seq = (SELECT count(*) FROM messages m2 "
        "WHERE m2.room_id = messages.room_id AND m2.id <= messages.id)"
    )
    op.execute(
        "UPDATE rooms SET last_seq = COALESCE((SELECT max(seq) FROM messages WHERE messages.room_id = rooms.id), 0)"
    )
    op.create_index("uq_messages_room_seq", "messages", ["room_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_messages_room_seq", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("seq")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("last_seq")
