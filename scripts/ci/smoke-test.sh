#!/usr/bin/env bash
# The smoke test after an apply (docs/delivery.md): the service answers ready, a new account
# registers, creates a room and reads back a message it sent, then logs out.
#   scripts/ci/smoke-test.sh https://chat.example.com
set -euo pipefail
url=${1:?the public URL of the environment}
py=${PYTHON:-python3}
for _ in $(seq 60); do
  curl -fsS "$url/readyz" >/dev/null && break
  sleep 10
done
curl -fsS "$url/readyz"
echo
exec "$py" "$(dirname "$0")/smoke_test.py" "$url"
