#!/usr/bin/env bash
# Reproduces the figures of the course report: runs every sweep file in Experiments/report/ into
# Reports/report-figures/<group>/ (resuming: finished runs are kept), then builds
# Reports/report-figures/index.html with every figure group. Needs the weights and example images
# (README's first command). About half an hour on 2 cores; rerun to resume after an interruption.
# NST_SCRATCH_PATH picks SwiftPM's build folder (default .build) and NST_BUILD_FLAGS adds build flags, e.g.
# "-Xswiftc -enable-testing" to share one build with `swift test` as scripts/test.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${NST_SCRATCH_PATH:-.build}
swift build -c release --product nst-exp --scratch-path "$scratch" ${NST_BUILD_FLAGS:-}
bin=$scratch/release/nst-exp
out=Reports/report-figures
mkdir -p "$out"
status=0
for sweep in Experiments/report/*.json; do
    group=$(basename "$sweep" .json)
    echo "== $group"
    "$bin" run "$sweep" --output "$out/$group" --no-report || status=1
done
"$bin" report-figures "$out"
exit $status
