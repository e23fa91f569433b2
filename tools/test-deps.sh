#!/usr/bin/env bash
# What the tests need from the machine, made present before `npm test` (its `pretest`) and by .ci/run:
#   nginx     the real load balancer under test (Debian's nginx-light), but not Debian's system nginx on port 80;
#   openssl   the Azure fakes make a TLS certificate at test time;
#   chromium  the web page's end-to-end tests drive Debian's headless Chromium through playwright-core, which
#             never downloads a browser of its own (test/web/, docs/web.md);
#   PostgreSQL at 127.0.0.1:5432 (trust auth, user postgres, database `test`), or $CUTOVER_TEST_PG_URL, with
#             pg_dump/pg_restore (db.backup, db.clone);
#   RabbitMQ  at 127.0.0.1:5672 (guest/guest) with its management plugin on 15672 (queue.drain).
# Idempotent and quick when everything is there. Installs with apt-get only what is missing, which needs root;
# otherwise it says, one line per thing, what to do, and exits 1.
set -euo pipefail

missing=()
is_root() { [ "$(id -u)" = 0 ]; }

updated=""
apt_install() {
  is_root && command -v apt-get >/dev/null 2>&1 || return 1
  [ -n "$updated" ] || { apt-get update -qq >/dev/null || true; updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The same places test/support/system.ts looks for nginx.
have_nginx() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || [ -x /usr/local/sbin/nginx ] ||
    [ -x /usr/local/nginx/sbin/nginx ]
}
if ! have_nginx; then
  echo "test-deps: installing nginx-light (the tests run their own nginx)" >&2
  apt_install nginx-light || apt_install nginx || true
  have_nginx || missing+=("nginx: install it as root with: apt-get install nginx-light")
fi
# Debian's package starts a system nginx on port 80; the tests run their own (own pid files, free loopback ports).
if is_root && [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
  (service nginx stop || nginx -s stop) >/dev/null 2>&1 || true
fi

if ! command -v openssl >/dev/null 2>&1; then
  apt_install openssl || missing+=("openssl: install it as root with: apt-get install openssl")
fi

# The same place test/support/system.ts looks for it.
if ! [ -x /usr/bin/chromium ]; then
  echo "test-deps: installing chromium (the web page's browser tests)" >&2
  apt_install chromium || true
  [ -x /usr/bin/chromium ] || missing+=("chromium: install it as root with: apt-get install chromium")
fi

pg_url="${CUTOVER_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
admin_url="${pg_url%/*}/postgres"
pg_up() { pg_isready -q -d "$admin_url" >/dev/null 2>&1; }
if ! command -v pg_isready >/dev/null 2>&1; then
  missing+=("PostgreSQL: install it as root with: apt-get install postgresql (tests use $pg_url)")
else
  if ! pg_up && is_root && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    version="$(ls /etc/postgresql | sort -V | tail -n1)"
    echo "test-deps: starting PostgreSQL $version" >&2
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  if ! pg_up; then
    missing+=("PostgreSQL is not running at ${admin_url%/*}: as root, pg_ctlcluster <version> main start")
  elif [ -z "${CUTOVER_TEST_PG_URL:-}" ] &&
    [ -z "$(psql -d "$admin_url" -tAc "select 1 from pg_database where datname = 'test'" 2>/dev/null)" ]; then
    psql -q -d "$admin_url" -c "create database test" >/dev/null 2>&1 ||
      missing+=("PostgreSQL has no database test: create it with: createdb -h 127.0.0.1 -U postgres test")
  fi
fi

# RabbitMQ at 127.0.0.1:5672 (guest/guest) with its management plugin (port 15672): queue.drain reads
# unacknowledged counts through it or rabbitmqctl. The plugin ships with the server; enabling it is offline.
amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) >/dev/null 2>&1; }
mgmt_up() { (exec 3<>/dev/tcp/127.0.0.1/15672) >/dev/null 2>&1; }
if command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ]; then
  if ! amqp_up && is_root; then
    echo "test-deps: starting RabbitMQ" >&2
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do amqp_up && break; sleep 1; done
  fi
  if amqp_up && ! mgmt_up && is_root; then
    echo "test-deps: enabling RabbitMQ's management plugin" >&2
    rabbitmq-plugins enable rabbitmq_management >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do mgmt_up && break; sleep 1; done
  fi
  amqp_up || missing+=("RabbitMQ is not running at 127.0.0.1:5672: as root, rabbitmq-server -detached")
  mgmt_up || missing+=("RabbitMQ management API is off: as root, rabbitmq-plugins enable rabbitmq_management")
else
  missing+=("RabbitMQ: install it as root with: apt-get install rabbitmq-server")
fi
command -v pg_dump >/dev/null 2>&1 ||
  missing+=("pg_dump/pg_restore: install them as root with: apt-get install postgresql-client")

if [ "${#missing[@]}" -gt 0 ]; then
  printf 'test-deps: missing %s\n' "${missing[@]}" >&2
  exit 1
fi
