# The two commands a newcomer needs: `make run` and `make test` (see README.md).
# Every target installs what it needs first and says clearly what is missing.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
HOST  ?= 127.0.0.1
PORT  ?= 8000

.DEFAULT_GOAL := help
.PHONY: help setup setup-dev lock web browser tools run reset migrate test test-app lint fmt validate bench bench-full bench-profile bench-scale package lambdas clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: ## create .venv with what the service runs (requirements.lock, hashes checked)
	@scripts/setup-python.sh $(VENV) runtime

setup-dev: ## create .venv with that and the test and lint tools (requirements-dev.lock)
	@scripts/setup-python.sh $(VENV) dev

lock: setup-dev ## write requirements.lock and requirements-dev.lock again after editing a requirements file
	@scripts/lock.sh

web: ## install the web client's npm packages and build it into app/web/dist
	@scripts/setup-web.sh

browser: ## install Debian's chromium for the browser tests and the emoji font of the screenshots (needs root or sudo)
	@scripts/setup-browser.sh

tools: ## install the offline infrastructure toolchain (Terraform, provider schemas, checkov, cfn-lint)
	@tools/setup

migrate: setup ## apply database migrations to DATABASE_URL (default: the local SQLite file)
	@$(PY) -m app migrate

run: setup web ## start the chat service on its embedded default at http://127.0.0.1:8000 (HOST=, PORT= change it)
	@HOST=$(HOST) PORT=$(PORT) PYTHON=$(PY) scripts/run.sh

reset: ## delete what `make run` keeps (var/: database, uploads, secret key): everyone starts over
	rm -rf var

test: setup-dev web browser tools ## install everything and run every test (PostgreSQL + Redis, then SQLite), lint and the IaC checks
	@scripts/test.sh

test-app: setup-dev ## only the chat service tests, on PostgreSQL + Redis and on SQLite
	@scripts/test.sh app

lint: setup-dev ## ruff lint + format check
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: setup-dev ## format Python (ruff) and Terraform (terraform fmt)
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .
	@if [ -x tools/terraform ]; then tools/terraform fmt -recursive modules >/dev/null && tools/hclfmt >/dev/null; fi

validate: tools ## offline IaC checks: fmt, validate, terraform test, checkov, cfn-lint, Terragrunt (V=1: every item)
	@tools/iaccheck $(if $(V),-v) .

bench: setup-dev web ## quick benchmark against the Node.js reference (under a minute)
	@bench/run --quick

bench-full: setup-dev web ## the whole benchmark set (under 10 minutes); writes docs/benchmarks.md
	@bench/run --full

SCALE_SIZES ?= 100000,1000000
SOAK_SECONDS ?= 600
SOCKET_COUNTS ?= 100,1000
bench-scale: setup-dev ## history at 100 thousand and 1 million messages (SCALE_SIZES=100000,1000000,10000000 adds 10 million: about 7 minutes more), a rolling restart, then a 10-minute churn soak (SOAK_SECONDS=) with idle sockets and a reconnect storm (SOCKET_COUNTS=) measured alongside it; about 15 minutes
	@$(PY) -m bench.scale_history --sizes $(SCALE_SIZES) --plot docs/img/scale-history.png
	@$(PY) -m bench.scale_runtime --scenarios rolling --out bench/results/scale-rolling.json
	@# the soak's figures are counts (RSS, descriptors, green threads), which other work on the
	@# machine does not move; the socket scenarios compare both servers under the same churn
	@$(PY) -m bench.scale_runtime --scenarios soak --soak-seconds $(SOAK_SECONDS) \
		--out bench/results/scale-soak.json --plot docs/img/scale-runtime.png & soak=$$!; \
	$(PY) -m bench.scale_sockets --counts $(SOCKET_COUNTS); sockets=$$?; \
	wait $$soak; soaked=$$?; test $$sockets -eq 0 && test $$soaked -eq 0

bench-profile: setup-dev ## py-spy profile of the service's hot path under fan-out load
	@bench/run --profile

package: setup web ## build the versioned release artifact into dist/
	@scripts/package.sh

lambdas: ## build the ops Lambdas' deployment packages into dist/lambdas/ (reproducible zips + .sha256)
	@scripts/build-lambdas.sh

clean: ## remove build outputs (keeps .venv and caches)
	rm -rf dist build .pytest_cache app/web/dist
