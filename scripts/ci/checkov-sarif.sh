#!/usr/bin/env bash
# checkov over modules/ and bootstrap/ with the project's configuration (.checkov.yaml, inline
# skips with reasons), as SARIF for the pull request's code scanning; exit 1 on a finding.
#   scripts/ci/checkov-sarif.sh OUT.sarif       (after `make tools`)
set -euo pipefail
out=${1:?output file}
cd "$(dirname "$0")/../.."
# the toolchain's own scan environment (tools/lib.sh names it)
# shellcheck source=../../tools/lib.sh
source "$(dirname "$0")/../../tools/lib.sh"
checkov=$IAC_SCANENV/bin/checkov
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
"$checkov" --config-file .checkov.yaml -d modules --framework terraform -o sarif --output-file-path "$work/tf" --quiet || rc=1
"$checkov" -d bootstrap --framework cloudformation -o sarif --output-file-path "$work/cfn" --quiet || rc=1
python3 - "$work/tf/results_sarif.sarif" "$work/cfn/results_sarif.sarif" "$out" <<'PY'
import json, sys
*inputs, out = sys.argv[1:]
runs = []
for path in inputs:
    runs.extend(json.load(open(path))["runs"])
json.dump({"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": runs}, open(out, "w"))
PY
exit "$rc"
