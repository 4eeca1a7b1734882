#!/bin/sh
# Regenerates every PNG in Masks/ from its JSON source (and the threshold rules below) with `nst-exp mask`.
# Run from the package root after `swift build -c release`; the rocket mask needs `nst-exp examples install` first.
set -eu
NST=${NST:-.build/release/nst-exp}
for name in chelsea_regions astronaut_regions coffee_regions; do
    "$NST" mask --shapes "Masks/$name.json" --output "Masks/$name.png"
done
"$NST" mask --shapes Masks/style_halves.json --output Masks/style_halves_512.png
"$NST" mask --shapes Masks/style_thirds.json --output Masks/style_thirds_512.png
"$NST" mask --shapes Masks/style_grid6.json --output Masks/style_grid6_512.png
# hubble_deep_field.jpg is 1000x872: the same halves, rendered at its size.
"$NST" mask --shapes Masks/style_halves.json --size 1000x872 --output Masks/style_halves_hubble.png
# Colour thresholds: sky (blue) vs launch towers and ground (black), bright rocket body and lights (white).
if [ -f Examples/content/rocket.jpg ]; then
    "$NST" mask --image Examples/content/rocket.jpg \
        --rule "white: v > 0.6 && s < 0.35" \
        --rule "blue: h > 190 && h < 270 && s > 0.35 && v > 0.15" \
        --background black --output Masks/rocket_sky.png
fi
