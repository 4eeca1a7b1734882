#!/usr/bin/env bash
# Command 2 of the README: runs the whole test suite. It first makes sure the Debian packages, the
# VGG-19 weights and the example images are there (idempotent), since the tests use the real network.
# Tests run in release mode: the numeric kernels are many times slower in debug builds.
set -euo pipefail
cd "$(dirname "$0")/.."
# slurm-wlm and munge: the sweep tests submit a job array to a throw-away single-node Slurm (scripts/slurm-cluster.sh).
# chromium: the report tests load the generated HTML in headless Chromium.
scripts/install-deps.sh slurm-wlm munge chromium
# One set of build flags for the tool and the tests, so the second step reuses the first's build.
swift build -c release -Xswiftc -enable-testing --product nst-exp
.build/release/nst-exp weights install
.build/release/nst-exp examples install --dir Examples
swift test -c release -Xswiftc -enable-testing
