"""The PostgreSQL send path: numbering and INSERT in one autocommit statement.

Plain sends (no attachment, thread or mention) share statements (group commit,
storage/sendbatch.py) run on a pooled connection's raw psycopg2 cursor: SQLAlchemy's
execution layer cost a fifth of a busy server's CPU per send. Any other send runs
``_SEND_PG`` in a transaction with what it changes besides (its upload, its thread root's
counters, its mentions). The room's row lock lasts only while PostgreSQL runs the statement,
never across a client round trip.
"""

from __future__ import annotations

import psycopg2
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..errors import Unavailable
from ..models import Room, User
from .messages import after_insert
from .sendbatch import SEND_BATCH_PG, SendBatcher, batch_params, batch_results

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
      INSERT INTO messages (room_id, user_id, body, created_at, client_id, attachment_key, thread_id, seq)
      SELECT :room_id, :user_id, :body, :created_at, :client_id, :attachment_key, :thread_id, last_seq FROM s
      ON CONFLICT DO NOTHING
      RETURNING id, seq
    )
    SELECT ins.id AS id, s.last_seq AS seq FROM s LEFT JOIN ins ON true
    """
)


class PostgresSendPath:
    def __init__(self, send_engine: Engine, deadline: float):
        self.send_engine = send_engine
        self.batcher = SendBatcher(self._run_batch, deadline)

    def insert(
        self, room: Room, user: User, values: dict, mention_ids: list[int]
    ) -> tuple[int | None, int | None]:
        if values["attachment_key"] is None and values["thread_id"] is None and not mention_ids:
            return self.batcher.submit(values)
        with self.send_engine.connect() as conn:
            # the message and what it changes besides (upload, thread root, mentions) together
            conn.exec_driver_sql("BEGIN")
            try:
                row = conn.execute(_SEND_PG, values).first()
                if row is not None and row.id is not None:
                    after_insert(conn, values, row.id, mention_ids)
                conn.exec_driver_sql("COMMIT")
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
        return (None, None) if row is None else (row.id, row.seq)

    def _run_batch(self, batch: list[dict]):
        """Sends batched in one statement, whatever their rooms."""
        return batch_results(batch, self._raw_statement(SEND_BATCH_PG, batch_params(batch)))

    def _raw_statement(self, sql: str, params: dict) -> list[tuple]:
        """An autocommit statement on a pooled connection's raw cursor. A connection that
        failed or was interrupted (deadline) is discarded; a lost server also empties the
        pool, so the next send connects afresh (as SQLAlchemy does for its own statements)."""
        try:
            raw = self.send_engine.raw_connection()
        except psycopg2.Error as exc:  # the pool connects with the driver's own errors
            raise Unavailable("the database is unavailable; try again") from exc
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
            raise Unavailable("the database is unavailable; try again") from exc
        except psycopg2.Error:
            healthy = True  # an autocommit statement failed: the connection itself is fine
            raise
        finally:
            if not healthy:
                raw.invalidate()  # interrupted mid-statement: its state is unknown
            raw.close()
