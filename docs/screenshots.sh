#!/usr/bin/env bash
# Writes the README's pictures of the app: the real window of a debug build on the sample
# investigation, in a private virtual X display (Xvfb, software OpenGL), one per panel.
#
#   docs/screenshots.sh            (installs Xvfb, xdotool, ImageMagick and Mesa with apt if missing)
#
# Each panel is opened from an investigation file that names it (the view is part of an
# investigation), so what is pictured is exactly what a person sees on opening it.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v Xvfb >/dev/null || need+=(xvfb xauth)
command -v xdotool >/dev/null || need+=(xdotool)
{ command -v import >/dev/null && import -version 2>/dev/null | grep -q ImageMagick; } || need+=(imagemagick)
dpkg -s libgl1-mesa-dri >/dev/null 2>&1 || need+=(libgl1-mesa-dri libegl1 libgl1)
dpkg -s libxkbcommon-x11-0 >/dev/null 2>&1 || need+=(libxkbcommon-x11-0)
if [ ${#need[@]} -gt 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null
fi
cargo build --quiet

work=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 1440x900x24 -nolisten tcp 3>"$work/display" >/dev/null 2>&1 &
xpid=$!
cleanup() { kill "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null; rm -rf "$work" sample-data/.screenshot-*; true; }
trap cleanup EXIT
for _ in $(seq 100); do [ -s "$work/display" ] && break; sleep 0.1; done
export DISPLAY=":$(cat "$work/display")"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg-runtime-$UID}
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
# Recent files and autosaves of these runs go to the scratch folder, not the user's.
export DRIFTSCOPE_STATE_DIR=$work/state

shot() {  # shot NAME VIEW-FIELDS [MORE-FIELDS]
  # Beside the sample's files, with relative paths, so that no path of this machine is pictured.
  local inv=sample-data/.screenshot-$1.driftscope.ron
  cat >"$inv" <<RON
Investigation(format_version: 1, title: "Card-fraud scoring, week of 2026-11-02 (sample)",
  baseline: Some("baseline.parquet"), current: Some("predictions.jsonl"),
  view: ($2), ${3:-})
RON
  target/debug/driftscope open "$inv" >"$work/$1.log" 2>&1 &
  local app=$!
  local wid
  wid=$(timeout 60 xdotool search --sync --onlyvisible --pid "$app" --name driftscope | head -1)
  xdotool mousemove 1439 899
  sleep 15
  import -window "$wid" "docs/$1.png"
  kill "$app"
  wait "$app" 2>/dev/null || true
  rm -f "$inv"
  echo "docs/$1.png"
}

shot screenshot 'view: Overview'
shot segments 'view: Segments, segment: Some("region")'
shot feature 'view: Feature, feature: Some("amount"), slice: (side: log, predicates: [one_of(column: "region", values: ["ap-southeast"])])'
shot time 'view: Time, feature: Some("account_age_days"), segment: Some("region"), slice: (side: log, predicates: [time(start_micros: 1793836800000000, end_micros: 1794096000000000)])'
shot compare 'view: Compare, compare_a: (side: log, predicates: [one_of(column: "model_version", values: ["fraud-gbm-3.1"]), one_of(column: "device", values: ["mobile"])]), compare_b: (side: log, predicates: [one_of(column: "model_version", values: ["fraud-gbm-3.0"]), one_of(column: "device", values: ["mobile"])])'
shot replay 'view: Replay' 'replay: (model: Some("models/fraud_gbm_v3.onnx"), candidate: Some("models/fraud_gbm_v4_candidate.onnx"), mapping: (nulls: nan))'
