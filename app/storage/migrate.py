"""Apply and inspect Alembic migrations (``python -m app migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..errors import Unavailable

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


class NotReady(Exception):
    """The database cannot serve: unreachable, or not migrated (the message says which)."""


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]


def ensure_ready(engine: Engine, auto_migrate: bool) -> None:
    """Reachable and at the head revision (migrated here when ``auto_migrate``); NotReady otherwise."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(engine)
    except SQLAlchemyError as exc:
        raise NotReady(f"cannot connect to the database: {_reason(exc)}") from None
    if current == head_revision():
        return
    if not auto_migrate:
        raise NotReady(
            f"the database is not migrated (at {current or 'nothing'}, needs {head_revision()}): "
            "run `python -m app migrate` or set AUTO_MIGRATE=1"
        )
    upgrade(engine)


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Bring the database to the head revision; idempotent. Returns (before, after);
    Unavailable (the reason in ``detail``) when the database refuses."""
    try:
        return _upgrade(engine, target)
    except SQLAlchemyError as exc:
        raise Unavailable("cannot migrate the database", _reason(exc)) from None


def _upgrade(engine: Engine, target: str) -> tuple[str | None, str]:
    before = current_revision(engine)
    cfg = _alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # two instances migrating at boot must not race each other
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727274)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current_revision(engine)
