#!/usr/bin/env bash
# Write the lock files from the requirement files (`make lock`): every dependency, direct and
# transitive, pinned with the sha256 of each of its published files, for every platform
# (the instances are Linux x86_64, CPython 3.11). `make setup`, `make setup-dev`, the release
# package and the instances' boot install from them with pip's --require-hashes.
#
#   requirements.lock      <- requirements.txt       (what the service runs)
#   requirements-dev.lock  <- requirements-dev.txt   (that, and the test and lint tools)
#
# Each lock's first line records the sha256 of its inputs; tests/environments/test_lock.py
# fails when a requirement file changed and the lock was not written again.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-.venv/bin/uv}
[ -x "$uv" ] || { echo "error: $uv not found: run 'make setup-dev' first (uv comes with requirements-dev.txt)" >&2; exit 1; }
lock() { # input, output
  local digest tmp
  digest=$(cat requirements.txt "$1" | sha256sum | cut -d' ' -f1)
  tmp=$(mktemp)
  "$uv" pip compile "$1" --universal --python-version 3.11 --generate-hashes --no-header \
    --index-url https://pypi.org/simple --quiet -o "$tmp"
  { echo "# inputs sha256 $digest: written by scripts/lock.sh from $1; do not edit"; cat "$tmp"; } >"$2"
  rm -f "$tmp"
  echo "==> $2: $(grep -c '^[A-Za-z0-9]' "$2") packages"
}
lock requirements.txt requirements.lock
lock requirements-dev.txt requirements-dev.lock
