"""Messages stored before the body was capped as sent: any body a client could not send today
(over 8,000 code points as stored, or over 4,000 once trimmed: padding) is trimmed and cut to
4,000 code points, so no old row can make a join ack or a history page huge. The count goes
to stderr; nothing else changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sys

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BODY_MAX = 4000  # app/chat/validate.py: code points after trimming
BODY_SENT_MAX = 8000  # code points as sent


def upgrade() -> None:
    conn = op.get_bind()
    length = sa.func.char_length if conn.dialect.name == "postgresql" else sa.func.length
    messages = sa.table("messages", sa.column("id", sa.BigInteger), sa.column("body", sa.Text))
    # only rows longer than BODY_MAX can need it: an index-free scan, once
    candidates = conn.execute(sa.select(messages.c.id).where(length(messages.c.body) > BODY_MAX)).scalars().all()
    cut = 0
    for message_id in candidates:
        body = conn.execute(sa.select(messages.c.body).where(messages.c.id == message_id)).scalar_one()
        if len(body) <= BODY_SENT_MAX and len(body.strip()) <= BODY_MAX:
            continue
        conn.execute(messages.update().where(messages.c.id == message_id).values(body=body.strip()[:BODY_MAX]))
        cut += 1
    if cut:
        print(f"migration 0005: {cut} message bodies over the limit were cut to {BODY_MAX} characters", file=sys.stderr)


def downgrade() -> None:
    """What was cut is gone: nothing to restore."""
