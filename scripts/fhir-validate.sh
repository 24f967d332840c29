#!/usr/bin/env bash
# Validates FHIR JSON with a third-party model: PyPI's fhir.resources 8.x (its R4B models, the
# closest it ships to R4), in a venv kept under target/ so it is made once and pip stays quiet.
#
#   scripts/fhir-validate.sh setup     make or reuse target/fhir-venv; prints its python
#   scripts/fhir-validate.sh DIR       validate every *.json in DIR (exit 1 on any failure,
#                                      or if DIR holds none)
#
# crates/web/tests/fhir.rs writes the demo responses to target/fhir-samples and, when
# SAFEGUARD_FHIR_VALIDATE names the venv's python, runs scripts/fhir_validate.py on them itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/fhir-venv"
python="$venv/bin/python"

setup() {
  if ! "$python" -c 'import fhir.resources.R4B' >/dev/null 2>&1; then
    python3 -m venv "$venv"
    PIP_CACHE_DIR="$target/pip-cache" "$python" -m pip install --quiet --disable-pip-version-check \
      'fhir.resources>=8,<9' >&2
  fi
  "$python" -c 'import fhir.resources.R4B' >/dev/null
}

case "${1:-}" in
  setup)
    setup
    echo "$(cd "$venv" && pwd)/bin/python"
    ;;
  "")
    echo "usage: scripts/fhir-validate.sh setup | DIR" >&2
    exit 2
    ;;
  *)
    setup
    exec "$python" scripts/fhir_validate.py "$1"
    ;;
esac
