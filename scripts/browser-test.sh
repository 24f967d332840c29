#!/usr/bin/env bash
# End-to-end browser tests: starts `safeguard serve --demo` on a free port with a
# throw-away SQLite database, runs tests/browser/journey.mjs,
# tests/browser/referral.mjs, case.mjs, linkage.mjs, flags.mjs and episodes.mjs against it, in
# turn, in
# headless Chromium (Debian's package) and stops the server.
#
#   scripts/browser-test.sh
#
# Env: SAFEGUARD_BIN (default target/debug/safeguard, built if missing),
#      SCREENSHOT_DIR (default tests/browser/screenshots),
#      BROWSER_SCRIPT (run only this script instead of all of them).
# Exit code: 0 if every script passed, else 1 (every script is run either way).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
if [[ -n "${BROWSER_SCRIPT:-}" ]]; then
  scripts=("$BROWSER_SCRIPT")
else
  scripts=(tests/browser/journey.mjs tests/browser/referral.mjs tests/browser/case.mjs tests/browser/linkage.mjs tests/browser/flags.mjs tests/browser/episodes.mjs)
fi
name="browser-test"

log() { echo "$name: $*" >&2; }

scripts/install-browser-deps.sh

BIN="${SAFEGUARD_BIN:-target/debug/safeguard}"
if [[ ! -x "$BIN" ]]; then
  if [[ -n "${SAFEGUARD_BIN:-}" ]]; then
    log "SAFEGUARD_BIN=$BIN is not an executable file"
    exit 1
  fi
  log "building $BIN"
  cargo build -p safeguard --bin safeguard
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/safeguard-browser.XXXXXX")"
server_pid=""
status=1

cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ "$status" -ne 0 && -f "$tmp/server.log" ]]; then
    echo "----- server log ($tmp/server.log) -----" >&2
    cat "$tmp/server.log" >&2
    echo "----- end of server log -----" >&2
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port="$(node -e '
  const s = require("net").createServer();
  s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
url="http://127.0.0.1:$port"

log "starting $BIN serve --demo on $url"
"$BIN" serve --demo --database "sqlite://$tmp/demo.db" --addr "127.0.0.1:$port" --insecure-dev-cookies \
  >"$tmp/server.log" 2>&1 </dev/null &
server_pid=$!

ready=0
for _ in $(seq 1 120); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && code=0 || code=$?
    server_pid=""
    log "server exited (code $code) before becoming ready"
    exit 1
  fi
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/healthz" || true)" == "200" ]]; then
    ready=1
    break
  fi
  sleep 0.5
done
if [[ "$ready" -ne 1 ]]; then
  log "server not healthy at $url/healthz after 60 s"
  exit 1
fi
log "server ready"

failed=()
for script in "${scripts[@]}"; do
  log "running $script"
  set +e
  SAFEGUARD_URL="$url" node "$script"
  code=$?
  set -e
  if [[ "$code" -ne 0 ]]; then
    log "$script FAILED (exit code $code)"
    failed+=("$script")
  fi
done
if [[ "${#failed[@]}" -eq 0 ]]; then
  log "passed: ${scripts[*]}"
  status=0
else
  log "FAILED: ${failed[*]}"
  status=1
fi
exit "$status"
