"""The database roles the service runs as on PostgreSQL (``python -m app roles``).

``roles.sql`` says what each role may do; applying it is idempotent.
"""

from __future__ import annotations

from pathlib import Path

import psycopg2
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..errors import Unavailable

ROLES_SQL = Path(__file__).with_name("roles.sql")
MIGRATE_ROLE = "chat_migrate"
APP_ROLE = "chat_app"


def apply(engine: Engine) -> None:
    """Create or update chat_migrate and chat_app in the URL's database; Unavailable (the
    reason in ``detail``) when the database refuses, e.g. a user without CREATEROLE."""
    sql = ROLES_SQL.read_text()
    try:
        raw = engine.raw_connection()  # the script's % are format()'s, not parameters
        try:
            with raw.cursor() as cur:
                cur.execute(sql)
            raw.commit()
        finally:
            raw.close()
    except (SQLAlchemyError, psycopg2.Error) as exc:
        raise Unavailable(
            "cannot create the roles", str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
        ) from None
