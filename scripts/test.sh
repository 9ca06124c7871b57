#!/usr/bin/env bash
# Every test of the project, in the order a failure is cheapest to find:
# lint, the chat service on PostgreSQL + Redis, the same suite on the embedded default
# (SQLite, no Redis), the other Python suites, then the offline IaC checks.
# `scripts/test.sh app` runs only the chat service suites.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export PATH="$PWD/.venv/bin:$PATH"
what=${1:-all}
failed=()

step() { # name, command...
  local name=$1; shift
  echo
  echo "==> $name"
  "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then echo "error: $name ran no test" >&2; fi
  if [ $rc -ne 0 ]; then failed+=("$name (exit $rc)"); fi
}

scripts/ensure-services.sh || exit 1

if [ "$what" = all ]; then
  step "lint (ruff)" bash -c 'ruff check . && ruff format --check .'
fi
step "chat service on PostgreSQL + Redis" env CHAT_TEST_BACKEND=postgres pytest tests/app
step "chat service on SQLite, in-process queue" env CHAT_TEST_BACKEND=sqlite pytest tests/app
step "chat service with FASTPATH=0: the stock libraries, no override (PostgreSQL + Redis)" \
  env CHAT_TEST_BACKEND=postgres FASTPATH=0 pytest tests/app
step "chat service events under gevent (PostgreSQL + Redis)" env CHAT_TEST_BACKEND=postgres ASYNC_MODE=gevent \
  pytest tests/app/test_socket_events.py tests/app/test_multiprocess.py
if [ "$what" = all ]; then
  suites=()
  for d in tests/lambdas tests/bootstrap tests/environments tests/infra modules/app-asg/tests tests/faults tests/e2e bench/tests; do
    [ -d "$d" ] && suites+=("$d")
  done
  step "lambdas, bootstrap, environments, toolchain, fault, browser and bench-tooling tests" env CHAT_TEST_BACKEND=postgres pytest "${suites[@]}"
  step "infrastructure checks (tools/iaccheck .)" tools/iaccheck .
fi

echo
if [ ${#failed[@]} -ne 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all test steps passed"
