#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379)
# answer, or fail with one clear line saying what is missing.
#
# Only CI starts services (CI=true or CHAT_START_SERVICES=1, as .ci/run sets): a throwaway
# PostgreSQL cluster of its own under /var/tmp (trust on 127.0.0.1 only, in that cluster's
# own pg_hba.conf) and a Redis that keeps nothing on disk. The system's PostgreSQL
# configuration and its authentication rules are never touched.
set -euo pipefail
pg_port=${CHAT_PG_PORT:-5432}       # other ports only for this script's own tests
redis_port=${CHAT_REDIS_PORT:-6379}
pg_up() { (exec 3<>"/dev/tcp/127.0.0.1/$pg_port") 2>/dev/null; }
redis_up() { [ "$(printf 'PING\r\n' | timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$redis_port; cat >&3; head -c 5 <&3" 2>/dev/null)" = "+PONG" ]; }
may_start() { [ "${CI:-}" = true ] || [ "${CHAT_START_SERVICES:-}" = 1 ]; }
apt_install() {
  [ "$(id -u)" = 0 ] || { echo "error: $1 is not running and installing it needs root" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
missing() { # service, how to provide it
  echo "error: $1 is not answering on $2: start it (see CONTRIBUTING.md, \"What make test needs\"), or run under CI=true to let this script start a throwaway one" >&2
  exit 1
}

start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  local bin data=/var/tmp/chat-ci-postgres
  bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1)
  if [ ! -s "$data/PG_VERSION" ]; then
    install -d -o postgres -g postgres -m 700 "$data"
    runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k /var/tmp" start >/dev/null
}

if ! pg_up; then
  may_start || missing PostgreSQL "127.0.0.1:$pg_port"
  echo "==> PostgreSQL is not answering on 127.0.0.1:$pg_port; starting a throwaway cluster (CI)"
  start_postgres
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up || { echo "error: PostgreSQL did not start on 127.0.0.1:$pg_port" >&2; exit 1; }
fi
if command -v psql >/dev/null 2>&1 && ! psql -h 127.0.0.1 -p "$pg_port" -U postgres -w -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
  echo "error: PostgreSQL on 127.0.0.1:$pg_port refuses user postgres without a password; the tests need trust for it on 127.0.0.1 (see CONTRIBUTING.md)" >&2
  exit 1
fi
if ! redis_up; then
  may_start || missing Redis "127.0.0.1:$redis_port"
  echo "==> Redis is not answering on 127.0.0.1:$redis_port; starting one that keeps nothing on disk (CI)"
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  mkdir -p /var/tmp/chat-ci-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir /var/tmp/chat-ci-redis --logfile /var/tmp/chat-ci-redis/redis.log
  for _ in $(seq 30); do redis_up && break; sleep 1; done
  redis_up || { echo "error: Redis did not start on 127.0.0.1:$redis_port" >&2; exit 1; }
fi
echo "==> PostgreSQL and Redis are up"
