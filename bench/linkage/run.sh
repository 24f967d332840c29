#!/usr/bin/env bash
# Record linkage benchmark: safeguard's engine and Splink 5.0.0 side by side, in one run, on the
# FEBRL4 files (5,000 records linked to 5,000 corrupted copies).
#
#   bench/linkage/run.sh            (from anywhere; needs python3, cargo and /usr/bin/time)
#
# Creates a virtual environment (target/bench-venv) with splink==5.0.0 from PyPI, builds the
# release binary, then runs each tool as a whole process under /usr/bin/time: Splink's documented
# FEBRL4 model (splink_febrl4.py) and `safeguard linkage link`. Both write every blocked pair
# with its probability; evaluate.py scores both against febrl4_true_links.csv. Finally prints our
# per-rule blocking report. Env: DATA (default ../shared/data/linkage beside the repository),
# VENV, RUNS (timed runs per tool, default 3; the table shows the fastest).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
data="${DATA:-$repo/../shared/data/linkage}"
venv="${VENV:-$repo/target/bench-venv}"
runs="${RUNS:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

for f in febrl4a.csv febrl4b.csv febrl4_true_links.csv; do
  [[ -f "$data/$f" ]] || { echo "missing $data/$f (set DATA=...)" >&2; exit 1; }
done
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

echo "==> Python environment with splink==5.0.0 ($venv)"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check splink==5.0.0
"$venv/bin/python" -c 'import splink; print("splink", splink.__version__)'

echo "==> cargo build --release"
cargo build --release --quiet -p safeguard --bin safeguard
bin="$repo/target/release/safeguard"

fields=(--field id=rec_id --field given_name=given_name --field surname=surname
        --field dob=date_of_birth --field postcode=postcode
        --field address=street_number --field address=address_1
        --field locality=suburb --field identifier=soc_sec_id)

# Runs a command $runs times under /usr/bin/time; keeps the fastest wall time and its peak RSS.
timed() {
  local name="$1"; shift
  local best=""
  for ((i = 1; i <= runs; i++)); do
    /usr/bin/time -f '%e %M' -o "$out/$name.time" "$@" >"$out/$name.log" 2>&1 || {
      cat "$out/$name.log" >&2; exit 1; }
    read -r wall peak <"$out/$name.time"
    echo "    $name run $i: ${wall} s, peak ${peak} KB"
    if [[ -z "$best" ]] || awk "BEGIN{exit !($wall < ${best%% *})}"; then best="$wall $peak"; fi
  done
  echo "$best" >"$out/$name.best"
}

echo "==> Splink 5.0.0 (whole process, $runs runs)"
timed splink "$venv/bin/python" "$repo/bench/linkage/splink_febrl4.py" \
  "$data/febrl4a.csv" "$data/febrl4b.csv" "$out/splink.csv"

echo "==> safeguard linkage link (whole process, $runs runs)"
timed safeguard "$bin" linkage link --left "$data/febrl4a.csv" --right "$data/febrl4b.csv" \
  --out "$out/safeguard.csv" --threshold 0 "${fields[@]}"
grep -h "suggested threshold" "$out/safeguard.log" | sed 's/^/    /'

read -r s_wall s_peak <"$out/splink.best"
read -r o_wall o_peak <"$out/safeguard.best"
echo
echo "==> Results ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg))"
python3 "$repo/bench/linkage/evaluate.py" "$data/febrl4a.csv" "$data/febrl4b.csv" \
  "$data/febrl4_true_links.csv" \
  "splink=$out/splink.csv:$s_wall:$s_peak" "safeguard=$out/safeguard.csv:$o_wall:$o_peak"
awk "BEGIN{printf \"speed-up: %.1fx (Splink %s s / safeguard %s s)\n\", $s_wall/$o_wall, $s_wall, $o_wall}"

echo
echo "==> safeguard blocking rules on the labelled pairs"
"$bin" linkage link --left "$data/febrl4a.csv" --right "$data/febrl4b.csv" \
  --out "$out/labelled.csv" --labels "$data/febrl4_true_links.csv" "${fields[@]}" 2>/dev/null
