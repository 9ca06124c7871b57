"""Everything the service keeps, and the only place that speaks to a driver.

- ``schema.py``, ``migrate.py``, ``migrations/``: the tables and their Alembic migrations.
- ``engine.py``: SQLAlchemy engines (PostgreSQL, or SQLite as the embedded default).
- ``database.py``: accounts, rooms, memberships, uploads.
- ``messages.py``: history, the join snapshot, edits, deletions; and the send path chosen at
  composition: ``send_pg.py`` (+ ``sendbatch.py``, group commit), ``send_sqlite.py``, or
  ``unpersisted.py`` (benchmarks only).
- ``state.py``: short-lived shared state (sessions, rate limits, presence) in Redis or memory.
- ``media.py``: the S3 media bucket.

Failures come out as ``app.errors.Unavailable`` (or ``database.Duplicate``), never as a
driver's exception.
"""
