#!/usr/bin/env bash
# The nightly drift check of one environment: every unit planned with -detailed-exitcode.
# Prints `drifted=true|false` (for $GITHUB_OUTPUT) and writes the report to OUT.md; exits
# non-zero only when a plan fails (drift is reported, not an error).
#   scripts/ci/drift.sh ENV OUT.md
set -euo pipefail
env_name=${1:?environment}
out=${2:?output file}
cd "$(dirname "$0")/../.."
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
set +e
terragrunt run --all --non-interactive --working-dir "live/$env_name" \
  -- plan -detailed-exitcode -lock=false -no-color -input=false >"$raw" 2>&1
rc=$?
set -e
# Terraform: 0 no changes, 2 changes; Terragrunt passes the largest exit code on
case $rc in
  0) echo "drifted=false" ;;
  2) echo "drifted=true" ;;
  *) echo "error: the drift plan of $env_name failed (exit $rc)" >&2; tail -50 "$raw" >&2; exit "$rc" ;;
esac
{
  echo "The nightly plan of \`$env_name\` found changes: real infrastructure differs from the code."
  echo "Apply the code (the deploy pipeline) or bring the code in line; docs/runbook.md, \"Drift\"."
  echo
  echo '```'
  grep -E '^(  #|Plan:|Note:)|must be replaced|will be (updated|created|destroyed)' "$raw" | tail -c 60000
  echo '```'
} >"$out"
