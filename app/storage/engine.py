"""The database engines: one for the rules' queries, one for the PostgreSQL send path."""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from .sendbatch import prepare_send_batch


def use_iam_tokens(engine: Engine, region: str) -> None:
    """Every new connection authenticates with an RDS IAM token (valid 15 minutes, so a
    token is made per connection, never cached): the instance role's credentials sign it
    locally with SigV4, no network call. The URL names the user; it has no password."""
    import boto3  # only deployments on RDS need it at connect time

    rds = boto3.session.Session(region_name=region).client("rds")

    @event.listens_for(engine, "do_connect")
    def _token(_dialect, _record, _cargs, cparams):
        cparams["password"] = rds.generate_db_auth_token(
            DBHostname=cparams["host"],
            Port=int(cparams.get("port") or 5432),
            DBUsername=cparams["user"],
            Region=region,
        )


def make_engine(url: str, pool_size: int = 10, iam_region: str | None = None) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=10,
        pool_pre_ping=True,
        pool_recycle=1800,
        # no JIT: compiling costs more than the service's short queries take (22 of the 27 ms
        # of the room list's unread counts; docs/benchmarks.md)
        connect_args={"connect_timeout": 5, "application_name": "chat", "options": "-c jit=off"},
    )
    if iam_region:
        use_iam_tokens(engine, iam_region)
    return engine


def _autocommit_engine(url: str, pool_size: int, overflow: int, name: str, iam_region: str | None) -> Engine:
    """A PostgreSQL engine whose statements each commit by themselves: no BEGIN and ROLLBACK
    round trips, no isolation level switched per checkout, and no ping per checkout. A
    connection that died with the server fails one statement, which invalidates the pool's
    older connections, so the next checkout gets a fresh one."""
    engine = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size,
        max_overflow=overflow,
        pool_timeout=10,
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"connect_timeout": 5, "application_name": name, "options": "-c jit=off"},
    )
    if iam_region:
        use_iam_tokens(engine, iam_region)
    return engine


def make_read_engine(url: str, pool_size: int = 10, iam_region: str | None = None) -> Engine:
    """The engine of the reads on every request's path (PostgreSQL): sessions, a room's
    standing, history pages and joins, the room list, search. A read that meets a dead
    connection runs again once (``database.read_only``); a page or a join reads its
    messages, the room's sequence number and the reader's standing in one statement, so it
    needs no transaction either. SQLite
    reads on its one engine.

    Up to ``2 x pool_size`` connections, all kept in the pool once opened (no overflow): a
    reconnect storm's joins use every one of them in bursts, and overflow connections are
    closed as each burst ends and opened again for the next (4.6 % of a storm's CPU in
    the service, and a backend started by PostgreSQL each time)."""
    return _autocommit_engine(url, 2 * pool_size, 0, "chat-read", iam_region)


def make_send_engine(url: str, pool_size: int = 5, iam_region: str | None = None) -> Engine:
    """The engine of the send hot path (PostgreSQL), autocommit as the reads'. Every
    connection prepares the send statement when it connects (storage/sendbatch.py); a send
    that meets a dead connection is answered `unavailable` (the client retries it with its
    client_id)."""
    engine = _autocommit_engine(url, pool_size, pool_size, "chat-send", iam_region)
    event.listen(engine, "connect", lambda dbapi_conn, _record: prepare_send_batch(dbapi_conn))
    return engine
