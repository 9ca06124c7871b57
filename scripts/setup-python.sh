#!/usr/bin/env bash
# Create the virtualenv and install the locked dependencies, every file checked against its
# sha256 in the lock (pip --require-hashes). Re-run only when the lock changes (a stamp file
# records what was installed).
#
#   scripts/setup-python.sh [VENV] [runtime|dev]
#     runtime  requirements.lock: what the service runs (`make setup`, `make run`)
#     dev      requirements-dev.lock: that, and the test and lint tools (`make setup-dev`)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
kind=${2:-runtime}
python=${PYTHON:-python3}
case $kind in
  runtime) lock=requirements.lock ;;
  dev) lock=requirements-dev.lock ;;
  *) echo "error: unknown kind '$kind' (runtime or dev)" >&2; exit 2 ;;
esac
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found: install Python 3.11 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
  echo "error: Python >= 3.11 is needed, $python is $("$python" -V 2>&1)" >&2
  exit 1
fi
stamp="$venv/.installed"
want="$kind $(sha256sum "$lock" | cut -c1-16)"
# a dev install holds the runtime one: it satisfies `make setup` too
if [ -f "$stamp" ]; then
  have=$(cat "$stamp")
  [ "$have" = "$want" ] && exit 0
  if [ "$kind" = runtime ] && [ "$have" = "dev $(sha256sum requirements-dev.lock | cut -c1-16)" ]; then exit 0; fi
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating virtualenv $venv"
  "$python" -m venv "$venv" || { echo "error: could not create $venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
count=$(grep -c '^[A-Za-z0-9]' "$lock")
echo "==> installing $count locked Python packages ($lock) into $venv; the first time takes a minute or two"
# pip's own progress, one line per package; this machine's pip.conf may name local mirrors
# that are absent: drop that noise
set +e
"$venv/bin/python" -m pip install --disable-pip-version-check --require-hashes --progress-bar off -r "$lock" 2>&1 \
  | grep --line-buffered -E '^(Collecting|Successfully installed|ERROR|error|  )' \
  | grep --line-buffered -v -E '^  (Using cached|Downloading|Preparing|Installing build|Getting requirements|Building wheel|Created wheel|Stored in)' \
  | sed -u -E 's/^Collecting ([^ ]+).*/    \1/; s/^Successfully installed .*/    done/'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "error: pip could not install $lock (is the package index reachable? see pip's message above)" >&2
  exit 1
fi
echo "$want" >"$stamp"
