"""Which database URLs the service accepts, and the driver it uses for each."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def database_url(raw: str) -> str:
    """The URL the engines get; ValueError with a reason a person can act on otherwise."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError("not a database URL") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        raise ValueError("use the scheme postgresql://, not postgres://")
    if backend not in ("postgresql", "sqlite"):
        raise ValueError(f"unsupported database {backend!r} (postgresql or sqlite)")
    if url.drivername not in ("postgresql", "postgresql+psycopg2", "sqlite", "sqlite+pysqlite"):
        raise ValueError(f"unsupported driver {url.drivername!r}")
    if backend == "postgresql" and not url.database:
        raise ValueError("names no database")
    if url.drivername == "postgresql":
        # SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3; the service uses psycopg2,
        # which psycogreen makes cooperative
        url = url.set(drivername="postgresql+psycopg2")
    return url.render_as_string(hide_password=False)


def check_iam_auth_url(url: str) -> None:
    """With IAM database authentication the URL names the user and no password: the
    password of each new connection is a 15-minute token signed for that user."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError("needs a postgresql:// DATABASE_URL (RDS)")
    if not parsed.username:
        raise ValueError("DATABASE_URL must name the database user (postgresql://chat_app@host/db)")
    if parsed.password:
        raise ValueError("DATABASE_URL must not carry a password: each connection gets a token")
