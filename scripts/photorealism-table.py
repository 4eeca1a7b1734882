#!/usr/bin/env python3
"""Photorealism and placement of photorealistic outputs beside deep-photo-styletransfer's final results, as in the
README's *Photorealistic transfer* table.

    for N in 01 02 … 09; do nst-exp stylize --photorealistic --content $M/pair${N}_content.png --style $M/pair${N}_style.png \\
        --content-mask $M/pair${N}_content_mask.png --style-mask $M/pair${N}_style_mask.png --palette deep-photo \\
        --size 256 --iterations 150 --output out/pair${N}.png; done
    scripts/photorealism-table.py out/pair*.png --size 256 [--masked ../shared/images/masked] [--nst-exp PATH]

Each image's pair is the `pairNN` in its file name. Photorealism: `nst-exp photorealism` (mean matting-Laplacian
energy given the content, 3×3 windows, ε = 1e-7; lower is more photorealistic). Placement: `nst-exp placement`
(geometric mean of the region ratios over regions >= 5 %). Deep-photo's final output (`reference/pairNN_dp_final.png`)
is resampled to the same size and measured the same way. Targets: energy ratio <= 2, placement ratio >= 0.5.
"""
import argparse, json, os, re, subprocess, sys

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="+")
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--masked", default=os.path.join(here, "..", "..", "shared", "images", "masked"))
    ap.add_argument("--nst-exp", default=os.path.join(here, "..", ".build", "release", "nst-exp"))
    a = ap.parse_args()
    rows, passed = [], 0
    for image in sorted(a.images):
        m = re.search(r"pair\d\d", os.path.basename(image))
        if not m:
            sys.exit(f"{image}: no pairNN in the file name; name each output after its pair")
        p, M = m.group(0), a.masked
        final = os.path.join(M, "reference", f"{p}_dp_final.png")
        energies = [json.loads(l)["energy"] for l in run([a.nst_exp, "photorealism", image, final, "--content",
                    os.path.join(M, f"{p}_content.png"), "--size", str(a.size), "--json"]).splitlines() if l.startswith("{")]
        out = json.loads(run([a.nst_exp, "placement", image, final, "--style", os.path.join(M, f"{p}_style.png"),
                              "--content-mask", os.path.join(M, f"{p}_content_mask.png"), "--style-mask",
                              os.path.join(M, f"{p}_style_mask.png"), "--palette", "deep-photo", "--size", str(a.size), "--json"]))
        placements = [x["placement"]["geometric_mean_ratio"] for x in out]
        er, pr = energies[0] / energies[1], placements[0] / placements[1]
        ok = er <= 2 and pr >= 0.5
        passed += ok
        rows.append(f"| {p[4:]} | {energies[0]:.2e} | {energies[1]:.2e} | {er:.2f} | {placements[0]:.2f} / {placements[1]:.2f} = {pr:.2f} | {'yes' if ok else 'no'} |")
    print(f"At {a.size} px: energy = mean matting-Laplacian energy (lower is more photorealistic), placement = geometric mean over regions ≥ 5 %\n")
    print("| pair | ours: energy | deep-photo final: energy | energy ratio (≤ 2) | placement: ours / deep-photo (≥ 0.5) | both met |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{passed} of {len(rows)} pairs meet both targets.")

if __name__ == "__main__":
    main()
