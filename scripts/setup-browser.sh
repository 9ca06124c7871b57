#!/usr/bin/env bash
# Debian's chromium for the browser tests; never a browser download.
set -euo pipefail
# a Chromium-family browser named by CHAT_E2E_CHROMIUM (GitHub's runners have Google Chrome)
if [ -n "${CHAT_E2E_CHROMIUM:-}" ] && [ -x "$CHAT_E2E_CHROMIUM" ]; then exit 0; fi
if [ -x /usr/bin/chromium ]; then exit 0; fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "error: /usr/bin/chromium is missing and installing it needs root: apt-get install chromium" >&2
    exit 1
  fi
fi
echo "==> installing Debian's chromium (apt-get)"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; }; then
  echo "error: could not install chromium with apt-get; install it by hand: apt-get install chromium" >&2
  exit 1
fi
