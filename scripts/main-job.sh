#!/usr/bin/env bash
# The main job on the bundled default: benchmark one style-transfer iteration's network cost, extract
# VGG-19 features of an example image, then run the quickstart sweep (Experiments/quickstart.json) into
# Reports/quickstart/. The sweep resumes: a second run skips the runs that already finished.
set -euo pipefail
cd "$(dirname "$0")/.."
nst=.build/release/nst-exp
$nst bench --size 256
$nst features Examples/content/chelsea.png --size 256 --layers relu1_1,relu3_1,relu5_1 --output Reports/features
$nst run Experiments/quickstart.json
