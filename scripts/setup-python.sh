#!/usr/bin/env bash
# Create the virtualenv and install the pinned dependencies; re-run only when the
# requirement files change (a stamp file records what was installed).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "error: $python not found: install Python 3.11 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info[:2] >= (3, 11) else 1)'; then
  echo "error: Python >= 3.11 is needed, $python is $("$python" -V 2>&1)" >&2
  exit 1
fi
stamp="$venv/.installed"
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "==> creating virtualenv $venv"
  "$python" -m venv "$venv" || { echo "error: could not create $venv (Debian: apt-get install python3-venv)" >&2; exit 1; }
fi
echo "==> installing Python dependencies into $venv"
pip_install() { # this machine's pip.conf names local mirrors that may be absent: drop that noise
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 | grep -v '^WARNING: Location' >&2
  return "${PIPESTATUS[0]}"
}
pip_install --upgrade pip || true
if ! pip_install -r requirements-dev.txt; then
  echo "error: pip could not install requirements-dev.txt (is the package index reachable?)" >&2
  exit 1
fi
echo "$want" > "$stamp"
