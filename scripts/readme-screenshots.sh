#!/usr/bin/env bash
# Regenerate the README screenshots (docs/images/sign-in.png and
# docs/images/child-record.png) from `safeguard serve --demo`, using the same
# server harness as the browser test.
#
#   scripts/readme-screenshots.sh
#
# Env: SAFEGUARD_BIN (default target/debug/safeguard, built if missing).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BROWSER_SCRIPT=tests/browser/screenshot-readme.mjs exec "$repo_root/scripts/browser-test.sh"
