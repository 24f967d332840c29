#!/usr/bin/env bash
# Install what the browser tests need, without downloading browsers from the web:
#   - Chromium from Debian's "chromium" package (/usr/bin/chromium);
#   - the root package.json dev dependencies (playwright-core, @axe-core/playwright,
#     govuk-frontend) via "npm ci".
# Idempotent and non-interactive: safe to run repeatedly, as root in CI with no stdin.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
chromium_bin="${CHROMIUM_BIN:-/usr/bin/chromium}"

log() { echo "install-browser-deps: $*" >&2; }

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

# 1. Chromium from Debian.
if [[ -x "$chromium_bin" ]]; then
  log "chromium present: $("$chromium_bin" --version 2>/dev/null || echo "$chromium_bin")"
else
  if ! command -v apt-get >/dev/null 2>&1; then
    log "$chromium_bin is missing and apt-get is not available; install Chromium and set CHROMIUM_BIN"
    exit 1
  fi
  log "installing Debian package chromium"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium </dev/null
  if [[ ! -x "$chromium_bin" ]]; then
    log "chromium package installed but $chromium_bin not found"
    exit 1
  fi
  log "installed: $("$chromium_bin" --version 2>/dev/null || echo "$chromium_bin")"
fi

# 2. npm dev dependencies, if node_modules is missing or older than the lockfile.
if ! command -v npm >/dev/null 2>&1; then
  log "npm not found; install Node.js 20 or later"
  exit 1
fi
lock="$repo_root/package-lock.json"
# npm writes node_modules/.package-lock.json on every install; it is our stamp.
stamp="$repo_root/node_modules/.package-lock.json"
if [[ ! -f "$lock" ]]; then
  log "$lock is missing"
  exit 1
fi
need_install=0
if [[ ! -d "$repo_root/node_modules" || ! -f "$stamp" ]]; then
  need_install=1
elif [[ "$lock" -nt "$stamp" || "$repo_root/package.json" -nt "$stamp" ]]; then
  need_install=1
else
  for dep in playwright-core @axe-core/playwright govuk-frontend; do
    if [[ ! -f "$repo_root/node_modules/$dep/package.json" ]]; then need_install=1; fi
  done
fi
if [[ "$need_install" -eq 1 ]]; then
  log "running npm ci"
  (cd "$repo_root" && CI=true npm ci --no-audit --no-fund </dev/null)
else
  log "node_modules up to date with package-lock.json"
fi
