"""Boot-time configuration of the chat service on an EC2 instance.

Reads every SSM parameter under one path (the service's settings) and, for each parameter
named ``<X>_SECRET_ARN``, the secret it points to, then writes a systemd EnvironmentFile:

- with ``DATABASE_IAM_AUTH=1``, ``DATABASE_USER`` (``--role serve``) or
  ``DATABASE_MIGRATE_USER`` (``--role migrate``) together with ``DATABASE_HOST``,
  ``DATABASE_PORT`` and ``DATABASE_NAME`` becomes a ``DATABASE_URL`` without a password: the
  service signs an IAM token for each connection (TLS verified against the RDS CA bundle);
- otherwise ``DATABASE_SECRET_ARN`` (RDS-managed JSON ``{username, password}``) with the
  same pieces becomes ``DATABASE_URL`` (the master user: first deploy or break-glass);
- ``REDIS_AUTH_SECRET_ARN`` (plain token) is put into ``REDIS_URL`` as its password;
- ``SECRET_KEY_SECRET_ARN`` with ``SECRET_KEY_GENERATION`` N becomes ``SECRET_KEY``: the
  secret's version whose id derives from the secret and N. The first instance to find that
  version missing writes a new random key under that id (``put_secret_value`` with it as the
  ClientRequestToken, which Secrets Manager makes idempotent), so instances booting at once
  agree on one key and Terraform never sees it;
- any other ``<X>_SECRET_ARN`` becomes ``<X>``.

Runs from the release's virtualenv (boto3 is one of the service's dependencies). Like the
service, it fails with exit status 2 and one line on stderr, never a traceback, so that
systemd's journal says what is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import uuid
from collections.abc import Callable
from urllib.parse import quote, urlsplit, urlunsplit

SECRET_SUFFIX = "_SECRET_ARN"  # noqa: S105 - a parameter name suffix, not a secret
DATABASE_PARTS = ("DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME")
DATABASE_USERS = {"serve": "DATABASE_USER", "migrate": "DATABASE_MIGRATE_USER"}
ROLES = tuple(DATABASE_USERS)


class ConfigFetchError(Exception):
    """A setting or secret is missing or malformed; the message names it."""


def read_parameters(ssm, path: str) -> dict[str, str]:
    """Every parameter directly under ``path``, by its last name component."""
    prefix = path.rstrip("/") + "/"
    found: dict[str, str] = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=prefix, WithDecryption=True, Recursive=False
    ):
        for param in page["Parameters"]:
            found[param["Name"][len(prefix) :]] = param["Value"]
    if not found:
        raise ConfigFetchError(f"no SSM parameters under {prefix}")
    return found


def _database_address(params: dict[str, str], beside: str, ca_bundle: str) -> str:
    missing = [name for name in DATABASE_PARTS if not params.get(name)]
    if missing:
        raise ConfigFetchError(f"{', '.join(missing)} missing beside {beside}")
    return (
        f"@{params['DATABASE_HOST']}:{params['DATABASE_PORT']}/{params['DATABASE_NAME']}"
        f"?sslmode=verify-full&sslrootcert={quote(ca_bundle, safe='/')}"
    )


def database_url(params: dict[str, str], secret: str, ca_bundle: str) -> str:
    address = _database_address(params, "DATABASE_SECRET_ARN", ca_bundle)
    try:
        creds = json.loads(secret)
        user, password = creds["username"], creds["password"]
    except (ValueError, KeyError, TypeError):
        raise ConfigFetchError("DATABASE_SECRET_ARN: secret is not JSON with username and password") from None
    # RDS-generated passwords contain URL delimiters; quote everything.
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}{address}"


def iam_database_url(params: dict[str, str], role: str, ca_bundle: str) -> str:
    """The passwordless URL of ``role``'s database user; the service adds a token per connection."""
    if "DATABASE_SECRET_ARN" in params:
        raise ConfigFetchError("DATABASE_SECRET_ARN and DATABASE_IAM_AUTH=1 exclude each other")
    user = params.get(DATABASE_USERS[role], "")
    if not user:
        raise ConfigFetchError(f"{DATABASE_USERS[role]} missing beside DATABASE_IAM_AUTH=1")
    return f"postgresql://{quote(user, safe='')}{_database_address(params, 'DATABASE_IAM_AUTH=1', ca_bundle)}"


def redis_url_with_token(url: str | None, token: str) -> str:
    if not url:
        raise ConfigFetchError("REDIS_URL missing beside REDIS_AUTH_SECRET_ARN")
    parts = urlsplit(url)
    if parts.scheme != "rediss" or not parts.hostname:
        raise ConfigFetchError("REDIS_URL must be a rediss:// URL with a host")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, f":{quote(token.strip(), safe='')}@{host}", parts.path, "", ""))


def build_environment(
    params: dict[str, str],
    get_secret: Callable[[str], str],
    ca_bundle: str,
    role: str = "serve",
    get_generation: Callable[[str, str], str] | None = None,
) -> dict[str, str]:
    """The environment of ``role`` (``serve`` or ``migrate``) from the parameters;
    ``get_secret`` reads one secret ARN, ``get_generation`` one generation of a generated one."""
    env = dict(params)
    generation = env.pop(f"{GENERATED}_GENERATION", None)
    if generation is not None:
        arn = env.pop(f"{GENERATED}{SECRET_SUFFIX}", None)
        if not arn or get_generation is None:
            raise ConfigFetchError(f"{GENERATED}_GENERATION needs {GENERATED}{SECRET_SUFFIX}")
        env[GENERATED] = get_generation(arn, generation).strip()
    if env.get("DATABASE_IAM_AUTH") == "1":
        env["DATABASE_URL"] = iam_database_url(env, role, ca_bundle)
    for name in DATABASE_USERS.values():
        env.pop(name, None)
    by_target = {
        name[: -len(SECRET_SUFFIX)]: env.pop(name) for name in sorted(env) if name.endswith(SECRET_SUFFIX)
    }
    for target, arn in by_target.items():
        value = get_secret(arn)
        if target == "DATABASE":
            env["DATABASE_URL"] = database_url(env, value, ca_bundle)
        elif target == "REDIS_AUTH":
            env["REDIS_URL"] = redis_url_with_token(env.get("REDIS_URL"), value)
        else:
            env[target] = value.strip()
    for name in DATABASE_PARTS:
        env.pop(name, None)
    return env


GENERATED = "SECRET_KEY"


def generation_version_id(arn: str, generation: str) -> str:
    """The version id of ``generation`` of a generated secret: the same on every instance."""
    if not (generation.isascii() and generation.isdigit() and int(generation) >= 1):
        raise ConfigFetchError(f"SECRET_KEY_GENERATION: expected a whole number >= 1, got {generation!r}")
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{arn}#generation-{int(generation)}"))


def read_or_make_generation(secretsmanager, arn: str, generation: str) -> str:
    """The value of ``generation`` of the secret, written first if no instance has yet."""
    version = generation_version_id(arn, generation)
    errors = secretsmanager.exceptions
    try:
        return secretsmanager.get_secret_value(SecretId=arn, VersionId=version)["SecretString"]
    except errors.ResourceNotFoundException:
        pass
    try:
        value = secrets.token_urlsafe(48)  # 64 characters, 384 bits
        secretsmanager.put_secret_value(SecretId=arn, SecretString=value, ClientRequestToken=version)
        return value
    except errors.ResourceExistsException:  # another instance wrote this generation first
        return secretsmanager.get_secret_value(SecretId=arn, VersionId=version)["SecretString"]


def render(env: dict[str, str]) -> str:
    """systemd EnvironmentFile syntax: double-quoted values, backslash escapes."""
    lines = []
    for name in sorted(env):
        value = env[name]
        if "\n" in value or "\r" in value:
            raise ConfigFetchError(f"{name}: value spans several lines")
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{name}="{escaped}"')
    return "\n".join(lines) + "\n"


def write_private(path: str, text: str) -> None:
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".env-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", required=True, help="SSM path, such as /chat-prod/app/")
    parser.add_argument("--region", required=True)
    parser.add_argument("--output", required=True, help="EnvironmentFile to write (mode 0600)")
    parser.add_argument("--ca-bundle", required=True, help="RDS CA bundle for sslrootcert")
    parser.add_argument(
        "--role", choices=ROLES, default="serve", help="whose database user: the service's or migrations'"
    )
    args = parser.parse_args(argv)

    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session(region_name=args.region)
    ssm = session.client("ssm")
    secretsmanager = session.client("secretsmanager")

    def get_secret(arn: str) -> str:
        try:
            return secretsmanager.get_secret_value(SecretId=arn)["SecretString"]
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise ConfigFetchError(f"secret {arn}: {exc}") from None

    def get_generation(arn: str, generation: str) -> str:
        try:
            return read_or_make_generation(secretsmanager, arn, generation)
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise ConfigFetchError(f"secret {arn} (generation {generation}): {exc}") from None

    try:
        params = read_parameters(ssm, args.path)
        env = build_environment(params, get_secret, args.ca_bundle, args.role, get_generation)
        write_private(args.output, render(env))
    except (ClientError, BotoCoreError) as exc:
        print(f"chat-config: SSM {args.path}: {exc}", file=sys.stderr)
        return 2
    except (ConfigFetchError, OSError) as exc:
        print(f"chat-config: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
