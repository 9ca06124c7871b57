#!/usr/bin/env bash
# A pull request's plan of one environment: `terragrunt run --all plan` over the units the
# change touches (one directory per line in UNITS_FILE, from changed_units.py), as Markdown.
#   scripts/ci/plan.sh ENV UNITS_FILE OUT.md
# Runs with the read-only plan role (CHAT_DEPLOY_ROLE_NAME=chat-plan); -lock=false: a plan
# never holds the state lock an apply may need.
set -euo pipefail
env_name=${1:?environment}
units=${2:?units file}
out=${3:?output file}
cd "$(dirname "$0")/../.."
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
include=()
while IFS= read -r unit; do
  # absolute: Terragrunt reads these paths against its working directory, live/<env>
  [ -n "$unit" ] && include+=(--queue-include-dir "$PWD/$unit")
done <"$units"
set +e
terragrunt run --all --non-interactive --working-dir "live/$env_name" --queue-strict-include "${include[@]}" \
  -- plan -lock=false -no-color -input=false >"$raw" 2>&1
rc=$?
set -e
{
  echo "### Plan of \`$env_name\` ($(grep -c . "$units") units touched)"
  [ "$rc" -eq 0 ] || echo "**The plan failed (exit $rc).**"
  echo
  echo '<details><summary>terragrunt run --all plan</summary>'
  echo
  echo '```'
  tail -c 60000 "$raw"
  echo '```'
  echo '</details>'
} >"$out"
exit "$rc"
