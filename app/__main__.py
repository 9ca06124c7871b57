"""``python -m app serve --host H --port P`` and ``python -m app migrate``.

Configuration errors end the process with exit status 2 and one line on stderr naming the
variable, never a traceback.
"""

from __future__ import annotations

import argparse
import sys


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app", description="The chat service.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = sub.add_parser("serve", help="run the server (one process, real WebSockets)")
    serve_p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve_p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    sub.add_parser("migrate", help="apply database migrations (idempotent)")
    sub.add_parser(
        "roles",
        help="create or update the chat_migrate and chat_app database roles (PostgreSQL; "
        "run with the master user's DATABASE_URL; idempotent)",
    )
    args = parser.parse_args(argv)

    # configuration is read before anything heavy is imported, and the event loop is
    # patched in before socket, ssl, redis or psycopg2 are imported
    from .config import ConfigError, load

    try:
        config = load(serving=args.command == "serve")
    except ConfigError as exc:
        _fail(str(exc))

    if args.command == "migrate":
        _migrate(config)
        return
    if args.command == "roles":
        _roles(config)
        return
    if not 0 < args.port < 65536:
        _fail(f"--port: {args.port} is not a TCP port")
    from . import green

    green.patch(config.async_mode)
    from .fastpath import FastpathError
    from .server import serve

    try:
        serve(config, args.host, args.port)
    except ConfigError as exc:
        _fail(str(exc))
    except FastpathError as exc:
        _fail(f"FASTPATH: {exc}")
    except OSError as exc:
        _fail(f"--host/--port: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        pass


def _migrate(config) -> None:
    from .errors import Unavailable
    from .storage import migrate
    from .storage.engine import make_engine

    engine = make_engine(config.database_url, iam_region=config.database_iam_region)
    try:
        before, after = migrate.upgrade(engine)
    except Unavailable as exc:
        _fail(f"DATABASE_URL: cannot migrate the database: {exc.detail}")
    if before == after:
        print(f"database is up to date (revision {after})")
    else:
        print(f"database migrated from {before or 'empty'} to {after}")


def _roles(config) -> None:
    from .errors import Unavailable
    from .storage import roles
    from .storage.engine import make_engine

    if not config.is_postgres:
        _fail("DATABASE_URL: database roles are PostgreSQL's; SQLite has none")
    try:
        roles.apply(make_engine(config.database_url, iam_region=config.database_iam_region))
    except Unavailable as exc:
        _fail(f"DATABASE_URL: cannot create the roles: {exc.detail}")
    print("database roles chat_migrate and chat_app are up to date")


if __name__ == "__main__":
    main()
