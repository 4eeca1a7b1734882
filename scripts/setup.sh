#!/usr/bin/env bash
# Command 1 of the README: installs everything (Debian packages, VGG-19 weights, example images),
# builds in release mode and runs the main job on the bundled default. Safe to run again: nothing is
# downloaded twice.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product nst-exp
nst=.build/release/nst-exp
$nst weights install
$nst examples install --dir Examples
scripts/main-job.sh
