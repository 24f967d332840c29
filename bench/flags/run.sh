#!/usr/bin/env bash
# Flag-lookup benchmark on both backends with the release binary: `safeguard bench flags` on a
# fresh SQLite file, then on a fresh PostgreSQL database created for the run and dropped after.
#
#   bench/flags/run.sh [extra options for safeguard bench flags, e.g. --no-group-commit]
#
# Env: PG_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test, trust auth), BENCH_DB
# (default safeguard_bench), CHILDREN (default 1000000), DURATION (default 30s).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
pg_admin="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}"
db="${BENCH_DB:-safeguard_bench}"
children="${CHILDREN:-1000000}"
duration="${DURATION:-30s}"

scripts/install-bench-deps.sh
echo "==> cargo build --release"
cargo build --release --quiet -p safeguard --bin safeguard
bin="$repo/target/release/safeguard"
echo "==> machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "==> SQLite"
"$bin" bench flags --children "$children" --duration "$duration" "$@"

echo "==> PostgreSQL ($db, created for the run and dropped after)"
psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
trap 'psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db (FORCE)"' EXIT
"$bin" bench flags --database "${pg_admin%/*}/$db" --children "$children" --duration "$duration" "$@"
