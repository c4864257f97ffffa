#!/usr/bin/env bash
# Runs a Catch test binary against a real PostgreSQL 15: a throwaway cluster
# made by pg_virtualenv (postgresql-common), which exports PGHOST, PGPORT,
# PGUSER and PGPASSWORD; each test makes and drops its own schema
# (tests/support/test_database.cpp). Exit 77 (skipped) without PostgreSQL.
#   pg_suite.sh BINARY [CATCH ARGS...]
set -euo pipefail
binary=$1
shift
if ! command -v pg_virtualenv >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "pg_suite: SKIP: PostgreSQL is not installed (scripts/install-deps installs it)"
  exit 77
fi
export KIOSK_TEST_DB=postgresql
# -t: a temporary cluster in /tmp, also when run as root.
exec pg_virtualenv -t "$binary" "$@"
