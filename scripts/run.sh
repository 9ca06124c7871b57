#!/usr/bin/env bash
# `make run`: the chat service on its embedded default, with nothing else running. Everything
# it keeps is under one directory (var/ unless CHAT_DATA_DIR says otherwise):
#   chat.db      the SQLite database: accounts, rooms, messages and sign-in sessions
#   media/       uploaded files (the local media store)
#   secret-key   the key that signs sessions and upload links, made once, so a restart
#                signs nobody out
# `make reset` deletes it. Settings from the environment win over these defaults (README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
data=${CHAT_DATA_DIR:-var}
python=${PYTHON:-.venv/bin/python}
mkdir -p "$data"
chmod 700 "$data"
if [ -z "${SECRET_KEY:-}" ]; then
  if [ ! -s "$data/secret-key" ]; then
    (umask 077 && "$python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$data/secret-key")
  fi
  SECRET_KEY=$(cat "$data/secret-key")
  export SECRET_KEY
fi
export DATABASE_URL=${DATABASE_URL:-sqlite:///$data/chat.db}
if [ -z "${MEDIA_BUCKET:-}" ]; then
  export MEDIA_DIR=${MEDIA_DIR:-$data/media}
fi
"$python" -m app migrate
echo "==> data in $data/ (make reset deletes it); Ctrl-C stops the service"
exec "$python" -m app serve --host "$host" --port "$port"
