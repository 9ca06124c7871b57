#!/usr/bin/env bash
# Debian's chromium for the browser tests, and the colour emoji font the README's screenshots
# show reactions with; never a browser download.
set -euo pipefail
packages=()
# a Chromium-family browser named by CHAT_E2E_CHROMIUM (GitHub's runners have Google Chrome)
if ! { [ -n "${CHAT_E2E_CHROMIUM:-}" ] && [ -x "$CHAT_E2E_CHROMIUM" ]; } && [ ! -x /usr/bin/chromium ]; then
  packages+=(chromium)
fi
# optional: without it the tests pass, but regenerated screenshots show empty boxes for emoji
if command -v dpkg-query >/dev/null 2>&1 &&
  ! dpkg-query -W -f='${Status}' fonts-noto-color-emoji 2>/dev/null | grep -q "ok installed"; then
  packages+=(fonts-noto-color-emoji)
fi
[ ${#packages[@]} -eq 0 ] && exit 0
# only a missing browser stops the tests; a missing font is worth a warning
level=warning
[[ " ${packages[*]} " == *" chromium "* ]] && level=error
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "$level: installing ${packages[*]} needs root: apt-get install ${packages[*]}" >&2
    [ "$level" = error ] && exit 1
    exit 0
  fi
fi
echo "==> installing ${packages[*]} (apt-get)"
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null; }; then
  echo "$level: could not install ${packages[*]} with apt-get; install by hand: apt-get install ${packages[*]}" >&2
  [ "$level" = error ] && exit 1
  exit 0
fi
