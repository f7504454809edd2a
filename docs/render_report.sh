#!/usr/bin/env bash
# Writes the sample investigation's HTML report and renders it to a picture with headless
# Chromium (Debian's chromium package, installed with apt if missing): docs/report.png.
#
#   docs/render_report.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
cargo build --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The report with the sample's automatic findings, the replay included.
target/debug/driftscope report --investigation sample-data/sample.driftscope.ron --html "$work/report.html" >/dev/null
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,2600 \
  --screenshot="$work/report.png" "file://$work/report.html" >/dev/null 2>&1
cp "$work/report.png" docs/report.png
echo "docs/report.png ($(du -k "$work/report.html" | cut -f1) KB of HTML)"
