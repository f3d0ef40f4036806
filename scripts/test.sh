#!/usr/bin/env bash
# Runs every Spreekuur test: formatting, lints, unit tests, the store contract on SQLite and
# PostgreSQL, the journeys against the real server and SMTP, and the browser tests in headless
# Chromium. Installs what a fresh Debian machine lacks (PostgreSQL, Chromium, npm packages) and
# is quick to run again where they are present.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- PostgreSQL: the URL we are given, else the server on 127.0.0.1:5432, else our own. ---
if [ -z "${SPREEKUUR_TEST_DATABASE_URL:-}" ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
    export SPREEKUUR_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    log "no PostgreSQL answers on 127.0.0.1:5432: starting a throw-away server on port 55432"
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$pgbin" ]; then apt_install postgresql; pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); fi
    pgdata=/tmp/spreekuur-test-pg
    if [ ! -f "$pgdata/PG_VERSION" ]; then
      as_root mkdir -p "$pgdata" && as_root chown postgres "$pgdata"
      as_root su postgres -s /bin/sh -c "$pgbin/initdb -D $pgdata -A trust -U postgres >/dev/null"
    fi
    if ! "$pgbin/pg_isready" -q -h 127.0.0.1 -p 55432; then
      as_root su postgres -s /bin/sh -c "$pgbin/pg_ctl -D $pgdata -l $pgdata/log -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300' -w start >/dev/null"
    fi
    export SPREEKUUR_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:55432/postgres"
  fi
fi
echo "PostgreSQL for tests: $SPREEKUUR_TEST_DATABASE_URL"
# Databases left behind by an interrupted run.
if command -v psql >/dev/null; then
  for db in $(psql "$SPREEKUUR_TEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'spreekuur_t_%' OR datname LIKE 'spreekuur_e2e_%'" 2>/dev/null || true); do
    psql "$SPREEKUUR_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
fi

# --- oathtool: an independent TOTP implementation to check ours against. ---
command -v oathtool >/dev/null || { log "installing Debian's oathtool"; apt_install oathtool; }

# --- Chromium and the npm packages for the browser tests. ---
if [ -d e2e ]; then
  command -v chromium >/dev/null || { log "installing Debian's chromium"; apt_install chromium; }
  command -v node >/dev/null || { log "installing Node.js"; apt_install nodejs npm; }
  if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
    log "installing npm packages (playwright-core, axe-core; no browser download)"
    (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

export CARGO_TERM_COLOR=never
[ "${CI:-}" = "true" ] && export CARGO_INCREMENTAL=0

log "formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "building"
cargo build --workspace --bins --quiet

log "unit, store contract (SQLite + PostgreSQL) and journey tests"
cargo test --workspace --quiet

if [ -d e2e ]; then
  log "browser tests (headless Chromium)"
  SPREEKUUR_BIN="$root/target/debug/spreekuur" node --test --test-concurrency=1 e2e/tests/
fi

log "the JSON API against its OpenAPI document (Schemathesis, every check)"
scripts/schemathesis.sh

log "the README's first command, as written (a release build: minutes on a first run)"
node --test e2e/readme/
