#!/usr/bin/env bash
# Reproduces BENCHMARKS.md: driftscope against its peers in one run, on this machine.
#   benches/run.sh            (needs .venv and .venv-evidently: benches/requirements.txt says how)
set -euo pipefail
cd "$(dirname "$0")/.."
data=target/bench-data
[ -f $data/log_1000000.parquet ] || .venv/bin/python benches/make_bench_data.py 1000000 $data
[ -f $data/log_10000000.parquet ] || .venv/bin/python benches/make_bench_data.py 10000000 $data --parquet-only
cargo build --release --quiet
files="$data/log_1000000.parquet $data/log_1000000.csv $data/log_1000000.jsonl $data/log_10000000.parquet"

echo "== load (best of 3): driftscope"
cargo bench --quiet --bench load -- $files
echo "== load (one run): pandas (what an Evidently/NannyML user runs first)"
.venv/bin/python benches/peer_load.py 1 $files

best_of() {  # best wall time of N runs of a command, in seconds
  local n=$1; shift; local best=""
  for _ in $(seq "$n"); do
    local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    best=$(echo "$s $e $best" | awk '{t=$2-$1; if ($3=="" || t<$3) print t; else print $3}')
  done
  echo "$best"
}
log=$data/log_1000000.parquet
echo "== drift report, baseline vs $(basename $log)"
ds=$(best_of 2 target/release/driftscope report --baseline sample-data/baseline.parquet --current "$log" --window none)
dsw=$(best_of 2 target/release/driftscope report --baseline sample-data/baseline.parquet --current "$log" --window 1d)
ev=$(.venv-evidently/bin/python benches/peer_drift.py 1 sample-data/baseline.parquet "$log")
echo "driftscope report (overall + every segment, no windows): ${ds} s"
echo "driftscope report (overall + segments + daily windows):  ${dsw} s"
echo "Evidently DataDriftPreset (overall only):               ${ev} s"
echo "ratio Evidently / driftscope (no windows): $(echo "$ev $ds" | awk '{printf "%.1f", $1/$2}')x"
log=$data/log_10000000.parquet
echo "== drift report, baseline vs $(basename $log) (one run each)"
echo "driftscope report (overall + segments + daily windows): $(best_of 1 target/release/driftscope report --baseline sample-data/baseline.parquet --current "$log" --window 1d) s"

echo "== replay, 1 M rows through sample-data/models/fraud_gbm_v3.onnx, batches of 4096"
log=$data/log_1000000.parquet
for _ in 1 2; do
  target/release/driftscope replay --model sample-data/models/fraud_gbm_v3.onnx --input "$log" \
    --nulls nan --output "$data/replayed.parquet" 2>/dev/null | grep answered
  /usr/bin/time -f "driftscope replay end to end: %e s" target/release/driftscope replay \
    --model sample-data/models/fraud_gbm_v3.onnx --input "$log" --nulls nan --output "$data/replayed.parquet" >/dev/null
done
for _ in 1 2; do
  .venv/bin/python benches/peer_replay.py sample-data/models/fraud_gbm_v3.onnx "$log" "$data/peer_replayed.parquet" 4096
done

echo "== the app: frame times while jobs run, and a new slice (1 M and 10 M rows)"
cargo bench --quiet --bench ui_frames -- sample-data/baseline.parquet "$data/log_1000000.parquet"
cargo bench --quiet --bench ui_frames -- sample-data/baseline.parquet "$data/log_10000000.parquet"
echo "== realistic data (issue 10)"; benches/run_realistic.sh
