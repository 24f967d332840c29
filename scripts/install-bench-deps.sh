#!/usr/bin/env bash
# Install what `safeguard bench flags` needs: the HTTP load generator wrk, from Debian's "wrk"
# package (/usr/bin/wrk, built with LuaJIT, so it runs bench/flags/lookup.lua).
# Idempotent and non-interactive: safe to run repeatedly, as root in CI with no stdin.
#
#   scripts/install-bench-deps.sh
set -euo pipefail

log() { echo "install-bench-deps: $*" >&2; }

# Run a command as root: directly if we are root, via sudo if it exists.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "need root to run: $* (not root and no sudo)"
    return 1
  fi
}

if command -v wrk >/dev/null 2>&1; then
  log "wrk present: $(command -v wrk)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "wrk is missing and apt-get is not available; install wrk (https://github.com/wg/wrk)"
  exit 1
fi
log "installing Debian package wrk"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk </dev/null
if ! command -v wrk >/dev/null 2>&1; then
  log "the wrk package installed but wrk is not on PATH"
  exit 1
fi
log "installed: $(command -v wrk)"
