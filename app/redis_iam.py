"""ElastiCache IAM authentication for every Redis connection (``REDIS_IAM_AUTH=1``).

ElastiCache (Redis OSS 7+, Valkey) accepts, for a user whose authentication mode is IAM, a
SigV4-presigned ``connect`` request as the password: signed locally with the instance role's
credentials for the replication group's name and the user, valid 15 minutes. redis-py asks
the credential provider on every new connection, so a token is made per connection and never
cached; ElastiCache closes IAM-authenticated connections after 12 hours and redis-py's
reconnect signs a fresh one. There is no password anywhere: not in Terraform, its state, SSM
or the instance's environment.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from redis.credentials import CredentialProvider

from .config import RedisIam

TOKEN_SECONDS = 900


class ElastiCacheIamCredentials(CredentialProvider):
    def __init__(self, iam: RedisIam, botocore_session=None) -> None:
        import botocore.session  # only deployments on ElastiCache need it
        from botocore.model import ServiceId
        from botocore.signers import RequestSigner

        session = botocore_session or botocore.session.get_session()
        self._session = session  # the signer holds its event emitter only weakly
        self.iam = iam
        self._credentials = session.get_credentials()
        if self._credentials is None:
            raise RuntimeError("REDIS_IAM_AUTH: no AWS credentials to sign Redis tokens with")
        self._signer = RequestSigner(
            ServiceId("elasticache"),
            iam.region,
            "elasticache",
            "v4",
            self._credentials,
            session.get_component("event_emitter"),
        )

    def token(self) -> str:
        query = urlencode({"Action": "connect", "User": self.iam.user})
        request = {
            "method": "GET",
            "url": f"https://{self.iam.cache_name}/?{query}",
            "body": {},
            "headers": {},
            "context": {},
        }
        signed = self._signer.generate_presigned_url(
            request, operation_name="connect", expires_in=TOKEN_SECONDS, region_name=self.iam.region
        )
        return signed.removeprefix("https://")

    def get_credentials(self) -> tuple[str, str]:
        return self.iam.user, self.token()


def connection_kwargs(iam: RedisIam | None) -> dict:
    """What every Redis client and pool of the service is built with."""
    return {"credential_provider": ElastiCacheIamCredentials(iam)} if iam else {}


def connection_url(url: str, iam: RedisIam | None) -> str:
    """The URL redis-py is given: with IAM the user comes from the credential provider, and
    redis-py refuses a URL's user beside one."""
    if not iam:
        return url
    parts = urlsplit(url)
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))
