"""ElastiCache IAM authentication for Redis (REDIS_IAM_AUTH, app/redis_iam.py).

A private redis-server stands in for ElastiCache: its default user is switched off and the
service's user has the access string the redis module gives it (modules/redis), with
``nopass`` because only ElastiCache can check an IAM token. What these tests show is that
every connection the service makes logs in as that user with a token signed for the user,
the cache and the region, and that the access string is enough for everything the service
does (limits, sessions, presence, publishing, the subscription)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import redis

from app.config import RedisIam
from app.redis_iam import TOKEN_SECONDS, ElastiCacheIamCredentials
from tests.support.client import Api, SioClient, register
from tests.support.ports import unique
from tests.support.server import ServerProcess, server_env
from tests.support.services import Database, PrivateRedis
from tests.support.settings import AWS_ENV, BACKEND, PYTHON, ROOT

REDIS_MODULE = ROOT / "modules" / "redis" / "main.tf"
IAM_ENV = {**AWS_ENV, "AWS_ACCESS_KEY_ID": "AKIATESTREDIS0000000", "AWS_REGION": "eu-west-1"}
USER = "chat-test-app"


def module_access_string(prefix: str) -> str:
    """The redis module's access string for the service's user, for this key prefix."""
    text = REDIS_MODULE.read_text()
    template = re.search(r'app_access_string\s*=\s*"([^"]+)"', text).group(1)
    return template.replace("${var.key_prefix}", prefix)


@pytest.fixture
def elasticache(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def admin(server: PrivateRedis) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=server.port, username="admin", password="admin-pw")


def lock_down(server: PrivateRedis, channel: str) -> None:
    """Only an admin (for the test) and the service's user, as in the module's user group."""
    r = redis.Redis(host="127.0.0.1", port=server.port)
    r.execute_command("ACL", "SETUSER", "admin", "on", ">admin-pw", "~*", "&*", "+@all")
    r.execute_command("ACL", "SETUSER", USER, "reset", "nopass", *module_access_string(channel).split())
    r.execute_command("ACL", "SETUSER", "default", "off")
    r.close()


def test_a_token_is_a_presigned_connect_for_the_user_and_the_cache(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    creds = ElastiCacheIamCredentials(RedisIam(user=USER, cache_name="chat-test-redis", region="eu-west-1"))

    user, token = creds.get_credentials()

    assert user == USER
    parts = urlsplit("https://" + token)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.hostname == "chat-test-redis" and parts.path == "/"
    assert query["Action"] == "connect" and query["User"] == USER
    scope = r"AKIAEXAMPLE000000000/\d{8}/eu-west-1/elasticache/aws4_request"
    assert re.fullmatch(scope, query["X-Amz-Credential"])
    assert query["X-Amz-Expires"] == str(TOKEN_SECONDS) == "900"
    assert query["X-Amz-SignedHeaders"] == "host" and re.fullmatch(r"[0-9a-f]{64}", query["X-Amz-Signature"])


@pytest.mark.skipif(BACKEND != "postgres", reason="Redis is the PostgreSQL deployment's")
def test_the_service_works_as_its_iam_user_within_the_modules_access_string(elasticache, tmp_path):
    channel = unique("iam")
    lock_down(elasticache, channel)
    db = Database("postgres", "chat_redis_iam_").create()
    db.migrate()
    env = server_env(
        db.url,
        channel,
        redis_url=f"redis://{USER}@127.0.0.1:{elasticache.port}/0",
        REDIS_IAM_AUTH="1",
        REDIS_IAM_CACHE_NAME="chat-test-redis",
        **IAM_ENV,
    )
    servers = [ServerProcess(env, name=f"iam-{i}").start() for i in range(2)]
    try:
        _, alice_token = register(servers[0].url)
        _, bob_token = register(servers[1].url)
        room = Api(servers[0].url).create_room(alice_token, unique("r"))
        with (
            contextlib.closing(SioClient(servers[0].url, alice_token)) as a,
            contextlib.closing(SioClient(servers[1].url, bob_token)) as b,
        ):
            assert a.call("join", {"room": room["name"]})["ok"]
            assert b.call("join", {"room": room["name"]})["ok"]
            assert a.call("typing", {"room": room["name"]}) == {"ok": True}
            ack = a.call("send", {"room": room["name"], "body": "across processes, as the IAM user"})
            assert ack["ok"], ack
            got = b.wait_for("message", lambda m: m.get("id") == ack["message"]["id"])
            assert got["body"] == "across processes, as the IAM user"
        r = admin(elasticache)
        users = {c["user"] for c in r.client_list() if c.get("user") != "admin"}
        assert users == {USER}, users
        denied = [e for e in r.acl_log() if e.get("username") == USER]
        assert denied == [], denied
        assert any(k.startswith(f"{channel}:".encode()) for k in r.scan_iter(count=1000))
        r.close()
    finally:
        for s in servers:
            s.stop()
        db.drop()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "REDIS_IAM_AUTH: needs a REDIS_URL naming the IAM"),
        ({"REDIS_URL": "redis://u:pw@127.0.0.1:6379/0"}, "REDIS_IAM_AUTH: needs a REDIS_URL naming the IAM"),
        (
            {"REDIS_URL": "redis://u@127.0.0.1:6379/0", "REDIS_IAM_CACHE_NAME": ""},
            "REDIS_IAM_CACHE_NAME: required",
        ),
        (
            {"REDIS_URL": "redis://u@127.0.0.1:6379/0", "AWS_REGION": "", "AWS_DEFAULT_REGION": ""},
            "AWS_REGION: required with REDIS_IAM_AUTH=1",
        ),
    ],
)
def test_redis_iam_misconfiguration_is_one_clear_line(env, expected):
    full = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "PYTEST_"))}
    full.update(
        DATABASE_URL="sqlite:///unused.db",
        REDIS_IAM_AUTH="1",
        REDIS_IAM_CACHE_NAME="chat-test-redis",
        AWS_REGION="eu-west-1",
        SECRET_KEY="k" * 32,
    )
    full.update(env)
    done = subprocess.run(
        [PYTHON, "-m", "app", "serve"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and expected in done.stderr, done.stderr
