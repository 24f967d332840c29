#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy with warnings denied, the unit,
# storage-conformance (SQLite always, PostgreSQL when it answers; with CI=true PostgreSQL must
# answer) and HTTP tests, then the browser journey in headless Chromium with axe-core.
#
#   scripts/test.sh          (what .ci/run calls)
#
# Env: SAFEGUARD_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings denied)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "PostgreSQL"
pg_url="${SAFEGUARD_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
export SAFEGUARD_TEST_PG_URL="$pg_url"
if command -v pg_isready >/dev/null 2>&1; then
  hostport="${pg_url#*@}"; hostport="${hostport%%/*}"
  if pg_isready -q -h "${hostport%%:*}" -p "${hostport##*:}"; then
    echo "PostgreSQL answers at ${hostport}: the conformance suite runs on it"
  elif [[ "${CI:-}" == "true" ]]; then
    echo "CI=true but PostgreSQL at ${hostport} does not answer: failing, not skipping" >&2
    exit 1
  else
    echo "PostgreSQL at ${hostport} does not answer: its tests will be skipped (not in CI)"
  fi
fi

step "cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

step "browser journey (Chromium + axe-core)"
cargo build -p safeguard --bin safeguard --locked
scripts/browser-test.sh

step "all checks passed in $(( $(date +%s) - start )) s"
