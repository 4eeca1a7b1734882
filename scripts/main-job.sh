#!/usr/bin/env bash
# The main job on the bundled default: time whole L-BFGS steps of a 256×256 transfer, extract
# VGG-19 features of an example image, then run the quickstart sweep (Experiments/quickstart.json) into
# Reports/quickstart/. The sweep resumes: a second run skips the runs that already finished.
set -euo pipefail
cd "$(dirname "$0")/.."
nst=.build/release/nst-exp
$nst bench --step --size 256 --content Examples/content/chelsea.png --style Examples/styles/hubble_deep_field.jpg
$nst features Examples/content/chelsea.png --size 256 --layers relu1_1,relu3_1,relu5_1 --output Reports/features
$nst run Experiments/quickstart.json
