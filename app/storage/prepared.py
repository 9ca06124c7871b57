"""Statements prepared once per PostgreSQL connection, on first use.

A join's statement (its page, the room's sequence number and the reader's standing) costs
PostgreSQL about 0.47 ms of CPU when sent as text, four fifths of it parsing and planning,
and 0.11 ms when prepared and run on its cached plan (docs/benchmarks.md): a reconnect
storm runs ten thousand of them. ``Prepared`` compiles a SQLAlchemy statement once with
numbered parameters; on a PostgreSQL connection it sends ``PREPARE`` the first time the
connection runs it, then ``EXECUTE``. PostgreSQL plans the first five executions for their
values and then keeps a generic plan if it costs no more than those did
(``plan_cache_mode = auto``); an ``ANALYZE`` of a table it reads (autovacuum's, as the table
grows) makes it plan again. The statements prepared this way are ones whose every plan is a
walk of one index, planned on an empty table too (``tests/app/test_prepared_reads.py``).

What the connection has prepared is kept in its ``info``, which SQLAlchemy empties whenever
the pool replaces the connection, so a new connection prepares again. A statement whose
result a migration changed under a running process is prepared again (on the reads'
autocommit connections). SQLite runs the statement as it is.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError

# the names this module prepares on a connection, in the connection's ``info``
PREPARED_KEY = "chat.prepared"
_NUMBERED = postgresql.psycopg2.dialect(paramstyle="numeric_dollar")
# PostgreSQL's feature_not_supported, which it answers a prepared statement whose result's
# columns changed type since it was prepared
STALE_RESULT = "0A000"


class Prepared:
    def __init__(self, name: str, statement):
        """``name``: the prepared statement's name on each connection (unique in the process)."""
        compiled = statement.compile(dialect=_NUMBERED)
        self.name = name
        self.statement = statement
        self.order = list(compiled.positiontup or ())
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}
        self.prepare_sql = f"PREPARE {name} AS {compiled.string}"
        self.execute_sql = (
            f"EXECUTE {name}({', '.join(['%s'] * len(self.order))})" if self.order else f"EXECUTE {name}"
        )

    def run(self, conn, params: dict):
        """The statement's result on ``conn`` (a SQLAlchemy connection) with ``params`` (by
        name, as the statement binds them; unused names are ignored)."""
        if conn.dialect.name != "postgresql":
            return conn.execute(self.statement, params)
        done = conn.info.setdefault(PREPARED_KEY, set())
        if self.name not in done:
            self._send(conn, self.prepare_sql)
            done.add(self.name)
        args = self.args(params)
        try:
            return conn.exec_driver_sql(self.execute_sql, args)
        except DBAPIError as exc:
            if (
                getattr(exc.orig, "pgcode", None) != STALE_RESULT
                or not conn.connection.dbapi_connection.autocommit
            ):
                raise
        # a migration changed the type of a column the statement returns while this process
        # runs (a rolling deploy), and PostgreSQL refuses the statement it holds ("cached plan
        # must not change result type"): prepared again from its text, once
        self._send(conn, f"DEALLOCATE {self.name}")
        self._send(conn, self.prepare_sql)
        return conn.exec_driver_sql(self.execute_sql, args)

    def args(self, params: dict) -> tuple:
        """The values of ``execute_sql``'s placeholders: the statement's own constants (its
        subqueries' limits), then ``params``, in the order the statement numbers them."""
        values = {**self.defaults, **params}
        return tuple(values[k] for k in self.order)

    @staticmethod
    def _send(conn, sql: str) -> None:
        # on the driver's own cursor: once per connection, not one of the statements the
        # action runs (which SQLAlchemy's events count)
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
