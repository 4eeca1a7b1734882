#!/usr/bin/env python3
"""Placement and boundary table of the propagation sweep (Experiments/spatial-propagation.json) beside
deep-photo-styletransfer's outputs (../shared/images/masked/reference/), as in the README.

    nst-exp run Experiments/spatial-propagation.json [--set size=512 --output Reports/spatial-propagation-512]
    scripts/spatial-table.py Reports/spatial-propagation [more sweep folders…] [--nst-exp .build/release/nst-exp]

For every finished run (of any of the folders; a mode/pair met twice keeps the first): the placement its
status.json records (nst-exp placement of the final image) and `nst-exp boundary --label-map` of the final image
against the content label map. Deep-photo's stage-1 and final outputs are measured with `nst-exp placement` and
`nst-exp boundary` at the sweep's size, and so is the content photo's boundary (the edges the scene already has
along the region boundaries). The style regions' separability is a property of the style image and its map, taken
from the deep-photo measurement of the same pair, so every column uses one definition.

Placement cells: geometric mean of the region ratios over regions >= 5 % of the image, then in brackets the worst
of those regions whose style region is separable (>= 1.5). Boundary cells: mean |ln ratio| over regions >= 5 %
(band 3 px): 0 = the band along the region boundaries looks like the regions' interiors.
"""
import argparse, json, math, os, subprocess, sys

MODES = ["simple", "adaptive", "soft", "inside", "all"]

def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

def boundaries(exe, images, mask, size):
    out = run([exe, "boundary", *images, "--mask", mask, "--label-map", "--size", str(size)])
    devs = {}
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        if len(f) >= 9 and float(f[6]) >= 0.05:
            devs.setdefault(f[8], []).append(float(f[5]))
    return [sum(devs[i]) / len(devs[i]) if devs.get(i) else None for i in images]

def placements(exe, images, style, cmask, smask, size):
    out = json.loads(run([exe, "placement", *images, "--style", style, "--content-mask", cmask, "--style-mask", smask,
                          "--size", str(size), "--json"]))
    return [m["placement"] for m in (out if isinstance(out, list) else [out])]

def summary(placement, separability, layer_separability):
    """(geometric mean over regions >= 5 %, worst separable region >= 5 %, regions >= 5 % wrong at relu4_1/relu5_1:
    below 1 at a layer where their style region is separable, >= 1.5, from the others)."""
    big = [r for r in placement["regions"] if r["share"] >= 0.05 and r.get("ratio")]
    gm = math.exp(sum(math.log(r["ratio"]) for r in big) / len(big)) if big else None
    held = [r["ratio"] for r in big if separability.get(r["name"], 99) >= 1.5]
    def separable(name, layer):
        return (layer_separability.get(name) or {}).get(layer, 99) >= 1.5
    deep = sum(1 for r in big if any(r["layer_ratios"].get(l, 2) < 1 and separable(r["name"], l) for l in ("relu4_1", "relu5_1")))
    return gm, (min(held) if held else None), deep

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sweep_folders", nargs="+")
    ap.add_argument("--nst-exp", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "nst-exp"))
    ap.add_argument("--reference", default=None, help="folder of pairNN_dp_stage1.png / pairNN_dp_final.png")
    a = ap.parse_args()
    runs, seen, size = {}, set(), None
    for f in a.sweep_folders:
        for d in sorted(os.listdir(os.path.join(f, "runs"))):
            folder = os.path.join(f, "runs", d)
            try:
                status = json.load(open(os.path.join(folder, "status.json")))
                config = json.load(open(os.path.join(folder, "config.json")))
            except (OSError, ValueError):
                continue
            if status["status"] != "finished" or not status.get("placement"):
                continue
            size = config["size"]
            pair = os.path.basename(config["content"]).split("_")[0]
            mode = config.get("propagation") or "simple"
            if (pair, mode) in runs:
                continue
            one = lambda v: v if isinstance(v, str) else v[0]
            runs[(pair, mode)] = {"image": os.path.join(folder, "final.png"), "placement": status["placement"],
                                  "content": config["content"], "content_mask": config["content_mask"],
                                  "style": one(config["style"]), "style_mask": one(config["style_masks"])}
    if not runs:
        sys.exit(f"no finished guided runs under {a.sweep_folders}")
    pairs = sorted({p for p, _ in runs})
    modes = [m for m in MODES if any((p, m) in runs for p in pairs)]
    refs = ["deep-photo stage 1", "deep-photo final"]
    columns = modes + refs
    cells, bound, separability = {}, {}, {}
    for p in pairs:
        any_run = next(r for (q, _), r in runs.items() if q == p)
        ref = a.reference or os.path.join(os.path.dirname(any_run["content"]), "reference")
        ref_images = [os.path.join(ref, f"{p}_dp_{s}.png") for s in ("stage1", "final")]
        ref_pl = placements(a.nst_exp, ref_images, any_run["style"], any_run["content_mask"], any_run["style_mask"], size)
        separability[p] = {r["name"]: (r.get("separability") or 99) for r in ref_pl[0]["regions"]}
        layer_sep = {r["name"]: r.get("layer_separability") or {} for r in ref_pl[0]["regions"]}
        for name, pl in zip(refs, ref_pl):
            cells[(p, name)] = summary(pl, separability[p], layer_sep)
        for m in modes:
            if (p, m) in runs:
                cells[(p, m)] = summary(runs[(p, m)]["placement"], separability[p], layer_sep)
        images = [runs[(p, m)]["image"] for m in modes if (p, m) in runs] + ref_images + [any_run["content"]]
        devs = boundaries(a.nst_exp, images, any_run["content_mask"], size)
        names = [m for m in modes if (p, m) in runs] + refs + ["content photo"]
        for n, d in zip(names, devs):
            bound[(p, n)] = d
    fmt = lambda x: "–" if x is None else f"{x:.1f}"
    print(f"Placement at {size} px: geometric mean over regions ≥ 5 % (worst separable region ≥ 5 %)\n")
    print("| pair | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for p in pairs:
        print(f"| {p} | " + " | ".join(f"{fmt(cells[(p, c)][0])} ({fmt(cells[(p, c)][1])})" if (p, c) in cells else "not run"
                                     for c in columns) + " |")
    def gmean(xs):
        xs = [x for x in xs if x]
        return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None
    row_gm, row_goal, row_deep = [], [], []
    for c in columns:
        have = [cells[(p, c)] for p in pairs if (p, c) in cells]
        row_gm.append(f"{fmt(gmean([h[0] for h in have]))} ({len(have)} pairs)")
        row_goal.append(f"{sum(1 for h in have if h[1] is None or h[1] >= 3)}/{len(have)}")
        row_deep.append(str(sum(h[2] for h in have)))
    print("| geometric mean over pairs | " + " | ".join(row_gm) + " |")
    print("| pairs whose separable regions ≥ 5 % all reach 3× | " + " | ".join(row_goal) + " |")
    print("| regions ≥ 5 % below 1 at relu4_1 or relu5_1 where their style region is separable | " + " | ".join(row_deep) + " |")
    bcols = columns + ["content photo"]
    print(f"\nBoundary at {size} px: mean |ln ratio| over regions ≥ 5 % (band 3 px; lower = the band looks more like the interiors)\n")
    print("| pair | " + " | ".join(bcols) + " |")
    print("|---" * (len(bcols) + 1) + "|")
    for p in pairs:
        print(f"| {p} | " + " | ".join("not run" if (p, c) not in bound else f"{bound[(p, c)]:.2f}" if bound[(p, c)] is not None else "–"
                                     for c in bcols) + " |")
    means = []
    for c in bcols:
        v = [bound[(p, c)] for p in pairs if bound.get((p, c)) is not None]
        means.append(f"{sum(v) / len(v):.2f} ({len(v)})" if v else "–")
    print("| mean (pairs) | " + " | ".join(means) + " |")

if __name__ == "__main__":
    main()
