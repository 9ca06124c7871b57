#!/usr/bin/env bash
# checkov (the toolchain's, offline) over the modules the given files belong to, with the
# project's configuration: the pre-commit hook. `tools/iaccheck .` checks every module and
# every rendered unit; this is the quick look before a commit.
#   scripts/ci/checkov-modules.sh modules/redis/main.tf modules/alb/variables.tf ...
set -euo pipefail
cd "$(dirname "$0")/../.."
# the toolchain's own scan environment (tools/lib.sh names it)
# shellcheck source=../../tools/lib.sh
source "$(dirname "$0")/../../tools/lib.sh"
checkov=$IAC_SCANENV/bin/checkov
[ -x "$checkov" ] || { echo "error: checkov not found: run 'make tools' (the offline toolchain)" >&2; exit 1; }
dirs=()
for f in "$@"; do
  case $f in modules/*/*) d=modules/$(echo "$f" | cut -d/ -f2) ;; *) continue ;; esac
  [[ " ${dirs[*]} " == *" $d "* ]] || dirs+=("$d")
done
[ ${#dirs[@]} -eq 0 ] && exit 0
args=()
for d in "${dirs[@]}"; do args+=(-d "$d"); done
exec "$checkov" --config-file .checkov.yaml "${args[@]}"
