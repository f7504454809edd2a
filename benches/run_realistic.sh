#!/usr/bin/env bash
# The realistic drift benchmark (issue 10): continuous values, a year of timestamps, 6 regions and
# 2 model versions, a 100,000- and a 1,000,000-row baseline; driftscope's full report (default
# daily windows, and --window none) against Evidently's DataDriftPreset on the whole table and
# once per region, in the same run. Peak RSS from /usr/bin/time.
#   benches/run_realistic.sh [--with-10m]
set -euo pipefail
cd "$(dirname "$0")/.."
data=target/bench-data
mkdir -p $data
[ -f $data/real_log_1000000.parquet ] || .venv/bin/python benches/make_realistic_data.py 100000 1000000 $data
[ -f $data/real_log_100000.parquet ] || .venv/bin/python benches/make_realistic_data.py 100000 100000 $data
if [ "${1:-}" = "--with-10m" ] && [ ! -f $data/real_log_10000000.parquet ]; then
  .venv/bin/python benches/make_realistic_data.py 1000000 10000000 $data
fi
cargo build --release --quiet
report() {  # label, args: wall seconds and peak RSS of one run
  local label=$1; shift
  /usr/bin/time -f "$label: %e s, peak RSS %M KB" target/release/driftscope report "$@" \
    >/dev/null 2>/tmp/driftscope-bench.err || { cat /tmp/driftscope-bench.err; exit 1; }
  tail -1 /tmp/driftscope-bench.err
}
logs="100000 1000000"
[ "${1:-}" = "--with-10m" ] && logs="$logs 10000000"
for B in 100000 1000000; do
  [ -f $data/real_baseline_$B.parquet ] || continue
  for L in $logs; do
    for W in 1d none; do
      report "driftscope baseline $B, log $L, --window $W" \
        --baseline $data/real_baseline_$B.parquet --current $data/real_log_$L.parquet --window $W
    done
  done
done
# The profile: writing it (time, peak RSS, size), and the report from it alone.
for L in $logs; do
  P=$data/real_log_$L.profile.parquet
  /usr/bin/time -f "driftscope profile, baseline 100000, log $L: %e s, peak RSS %M KB" \
    target/release/driftscope profile --baseline $data/real_baseline_100000.parquet \
    --input $data/real_log_$L.parquet --output $P >/dev/null 2>/tmp/driftscope-bench.err \
    || { cat /tmp/driftscope-bench.err; exit 1; }
  tail -1 /tmp/driftscope-bench.err
  echo "  profile size: $(stat -c %s $P) bytes (log: $(stat -c %s $data/real_log_$L.parquet) bytes)"
  report "driftscope report --current-profile, baseline 100000, log $L" \
    --baseline $data/real_baseline_100000.parquet --current-profile $P
done
for L in 100000 1000000; do
  /usr/bin/time -f "Evidently baseline 100000, log $L (wall, imports included): %e s, peak RSS %M KB" \
    .venv-evidently/bin/python benches/peer_drift_real.py $data/real_baseline_100000.parquet \
    $data/real_log_$L.parquet 2>&1 | sed "s/^\([0-9.]*\)$/Evidently baseline 100000, log $L (reading + reports): \1 s/"
done
