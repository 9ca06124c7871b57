"""The database roles (app/storage/roles.sql) and RDS IAM authentication.

The service runs as chat_app (rows only, no DDL) and migrates as chat_migrate; neither has a
password: with DATABASE_IAM_AUTH=1 each new connection's password is an RDS IAM token. The
local PostgreSQL trusts 127.0.0.1, so it accepts the token without checking it: what these
tests show is that the roles hold (the database refuses what chat_app must not do) and that
every connection is made with a token signed for its user, host and region."""

from __future__ import annotations

import contextlib
import os
import subprocess
from urllib.parse import parse_qs, urlsplit, urlunsplit

import psycopg2
import pytest
from psycopg2 import errors

from tests.support.client import Api, SioClient, register
from tests.support.ports import unique
from tests.support.server import ServerProcess, server_env
from tests.support.services import Database, pg_connect
from tests.support.settings import AWS_ENV, BACKEND, PYTHON, ROOT

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="database roles are PostgreSQL's")

IAM_ENV = {**AWS_ENV, "AWS_ACCESS_KEY_ID": "AKIATESTROLES0000000", "AWS_REGION": "us-west-2"}


def as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme, f"{user}@{parts.hostname}:{parts.port or 5432}", parts.path, parts.query, "")
    )


def app_command(command: str, url: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    full.update(DATABASE_URL=url, **env)
    return subprocess.run(
        [PYTHON, "-m", "app", command], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def database():
    db = Database("postgres", "chat_roles_").create()
    yield db
    db.drop()


def refused(conn, sql: str) -> bool:
    with conn.cursor() as cur:
        try:
            cur.execute(sql)
        except errors.InsufficientPrivilege:
            conn.rollback()
            return True
    conn.rollback()
    return False


def test_the_service_runs_as_chat_app_with_iam_tokens_and_chat_app_cannot_change_the_schema(database):
    for _ in range(2):  # idempotent
        done = app_command("roles", database.url)
        assert done.returncode == 0, done.stderr
    done = app_command("migrate", as_user(database.url, "chat_migrate"), DATABASE_IAM_AUTH="1", **IAM_ENV)
    assert done.returncode == 0, done.stderr
    owners = {r[0] for r in database.query("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")}
    assert owners == {"chat_migrate"}

    env = server_env(as_user(database.url, "chat_app"), unique("roles"), DATABASE_IAM_AUTH="1", **IAM_ENV)
    server = ServerProcess(env, name="chat-app-role").start()
    try:
        user, token = register(server.url)
        room = Api(server.url).create_room(token, unique("r"))
        with contextlib.closing(SioClient(server.url, token)) as sio:
            assert sio.call("join", {"room": room["name"]})["ok"]
            ack = sio.call("send", {"room": room["name"], "body": "as chat_app"})
            assert ack["ok"], ack
            assert sio.call("edit", {"id": ack["message"]["id"], "body": "edited"})["ok"]
        history = Api(server.url, token).get(f"/api/rooms/{room['name']}/messages").json()
        assert [m["body"] for m in history["messages"]] == ["edited"]
        users = database.query(
            "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (database.name,),
        )
        assert {u for (u,) in users} <= {"chat_app"}, users
    finally:
        server.stop()

    with contextlib.closing(pg_connect(as_user(database.dsn, "chat_app"))) as conn:
        for sql in (
            "DROP TABLE messages",
            "ALTER TABLE messages ADD COLUMN x int",
            "CREATE TABLE stolen (x int)",
            "TRUNCATE messages",
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE ROLE evil",
            "GRANT chat_migrate TO chat_app",
        ):
            assert refused(conn, sql), sql
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM messages")
            assert cur.fetchone()[0] == 1


def test_roles_take_over_a_database_the_master_migrated_and_nothing_is_lost(database):
    database.migrate()
    done = app_command("migrate", database.url)
    assert done.returncode == 0 and "up to date" in done.stdout
    with contextlib.closing(pg_connect(database.dsn)) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO users (username, username_key, password_hash, created_at) "
            "VALUES ('before_roles', 'before_roles', 'x', now())"
        )
        conn.commit()
    done = app_command("roles", database.url)
    assert done.returncode == 0, done.stderr
    owners = database.query(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND relkind IN ('r', 'S', 'i')"
    )
    assert {o for (o,) in owners} == {"chat_migrate"}
    done = app_command("migrate", as_user(database.url, "chat_migrate"))
    assert done.returncode == 0 and "up to date" in done.stdout, done.stderr
    with contextlib.closing(pg_connect(as_user(database.dsn, "chat_app"))) as conn, conn.cursor() as cur:
        cur.execute("SELECT username FROM users")
        assert cur.fetchall() == [("before_roles",)]
        cur.execute(
            "INSERT INTO users (username, username_key, password_hash, created_at) "
            "VALUES ('after_roles', 'after_roles', 'x', now())"
        )
        conn.commit()


def test_each_connection_authenticates_with_a_token_for_its_user_and_region(database, monkeypatch):
    for name, value in IAM_ENV.items():
        monkeypatch.setenv(name, value)
    from app.storage.engine import make_engine
    from app.storage.urls import database_url

    engine = make_engine(database_url(database.url), iam_region="eu-central-1")
    try:
        passwords = []
        for _ in range(2):
            raw = engine.raw_connection()
            passwords.append(raw.dbapi_connection.info.password)
            raw.invalidate()
    finally:
        engine.dispose()
    for password in passwords:
        endpoint, _, query = password.partition("?")
        assert endpoint == f"{database.host}:{database.port}/"
        q = parse_qs(query)
        assert q["Action"] == ["connect"] and q["DBUser"] == ["postgres"]
        assert q["X-Amz-Credential"][0].startswith("AKIATESTROLES0000000/")
        assert q["X-Amz-Credential"][0].endswith("/eu-central-1/rds-db/aws4_request")
        assert q["X-Amz-Expires"] == ["900"] and q["X-Amz-Signature"][0]


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("sqlite:///x.db", {"DATABASE_IAM_AUTH": "1", "AWS_REGION": "us-west-2"}, "needs a postgresql://"),
        (
            "postgresql://chat_app:pw@127.0.0.1/x",
            {"DATABASE_IAM_AUTH": "1", "AWS_REGION": "us-west-2"},
            "must not carry a password",
        ),
        (
            "postgresql://127.0.0.1/x",
            {"DATABASE_IAM_AUTH": "1", "AWS_REGION": "us-west-2"},
            "must name the database user",
        ),
        (
            "postgresql://chat_app@127.0.0.1/x",
            {"DATABASE_IAM_AUTH": "1", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
            "AWS_REGION: required with DATABASE_IAM_AUTH=1",
        ),
    ],
)
def test_iam_auth_misconfiguration_is_one_clear_line(url, env, expected):
    done = app_command("migrate", url, **env)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr


def test_roles_need_postgresql_and_a_user_who_may_create_roles(database):
    done = app_command("roles", "sqlite:///x.db")
    assert done.returncode == 2 and "SQLite has none" in done.stderr
    assert app_command("roles", database.url).returncode == 0
    done = app_command("roles", as_user(database.url, "chat_app"))
    assert done.returncode == 2 and done.stderr.startswith("error: DATABASE_URL: cannot create the roles:")
    assert done.stderr.count("\n") == 1, done.stderr
    outsider = unique("outsider_")
    admin = pg_connect(database.dsn)
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE ROLE "{outsider}" LOGIN')
        # CONNECT was taken from PUBLIC: a role that is neither may not even connect
        with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
            pg_connect(as_user(database.dsn, outsider)).close()
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP ROLE IF EXISTS "{outsider}"')
        admin.close()
