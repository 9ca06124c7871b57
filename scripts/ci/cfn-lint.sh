#!/usr/bin/env bash
# cfn-lint (the toolchain's, offline) over CloudFormation templates: the pre-commit hook.
#   scripts/ci/cfn-lint.sh bootstrap/deploy-role.yaml ...
set -euo pipefail
# the toolchain's own scan environment (tools/lib.sh names it)
# shellcheck source=../../tools/lib.sh
source "$(dirname "$0")/../../tools/lib.sh"
cfn_lint=$IAC_SCANENV/bin/cfn-lint
[ -x "$cfn_lint" ] || { echo "error: cfn-lint not found: run 'make tools' (the offline toolchain)" >&2; exit 1; }
[ $# -eq 0 ] && exit 0
exec "$cfn_lint" "$@"
