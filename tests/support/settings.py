"""The environment variables of the test harness; tests/README.md describes each one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# "postgres": servers on a PostgreSQL database and Redis; "sqlite": the embedded default
BACKEND = os.environ.get("CHAT_TEST_BACKEND", "postgres")
PG_ADMIN_URL = os.environ.get("CHAT_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# the contract's scheme; a driver-qualified one (postgresql+psycopg2) can be tried through this
PG_SCHEME = os.environ.get("CHAT_TEST_PG_SCHEME", "postgresql")
# database 13, away from what `make run` writes to database 0; every key a run writes
# starts with its own SOCKETIO_CHANNEL, so runs sharing it never meet
REDIS_URL = os.environ.get("CHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
CHROMIUM = os.environ.get("CHAT_E2E_CHROMIUM", "/usr/bin/chromium")

SECRET_KEY = "test-secret-key-" + "k" * 48
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
