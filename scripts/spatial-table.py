#!/usr/bin/env python3
"""Placement and boundary table of the propagation sweep (Experiments/spatial-propagation.json) beside
deep-photo-styletransfer's outputs (../shared/images/masked/reference/), as in the README.

    nst-exp run Experiments/spatial-propagation.json [--set size=512 --output Reports/spatial-propagation-512]
    scripts/spatial-table.py Reports/spatial-propagation [more sweep folders…] [--nst-exp .build/release/nst-exp] [--json out.json]

For every finished run (of any of the folders; a mode/pair met twice keeps the first): the placement of its final
image, measured again with the given nst-exp (so every figure follows one definition), and
`nst-exp boundary --label-map` of the final image against the content label map. For each pair, deep-photo's
stage-1 and final outputs are measured the same way at the sweep's size. Cells: geometric mean of the placement
ratios over regions >= 5 % of the image, then the worst region held to the goal (separable style regions) in
brackets; boundary: mean |ln ratio| over regions >= 5 % (band 3 px), lower is better.
"""
import argparse, json, math, os, subprocess, sys

def boundary(exe, image, mask, size):
    out = subprocess.run([exe, "boundary", image, "--mask", mask, "--label-map", "--size", str(size)],
                         capture_output=True, text=True, check=True).stdout
    devs = []
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        if len(f) >= 8 and float(f[6]) >= 0.05:
            devs.append(float(f[5]))
    return sum(devs) / len(devs) if devs else None

def placement(exe, image, style, cmask, smask, size):
    out = subprocess.run([exe, "placement", image, "--style", style, "--content-mask", cmask, "--style-mask", smask,
                          "--size", str(size), "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["placement"]

def gm(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None

def cell(p):
    if p is None:
        return "–"
    g, w = p.get("geometric_mean_ratio"), p.get("worst_ratio")
    text = f"{g:.1f}" if g is not None else "–"
    text += f" ({w:.1f})" if w is not None else " (n/s)"
    return text

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sweep_folders", nargs="+")
    ap.add_argument("--nst-exp", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "nst-exp"))
    ap.add_argument("--reference", default=None, help="folder of pairNN_dp_stage1.png / _final.png")
    ap.add_argument("--json", default=None, help="write every figure to this file")
    a = ap.parse_args()
    runs, seen = [], set()
    size = None
    folders = [os.path.join(f, "runs", d) for f in a.sweep_folders for d in sorted(os.listdir(os.path.join(f, "runs")))]
    for folder in folders:
        try:
            status = json.load(open(os.path.join(folder, "status.json")))
            config = json.load(open(os.path.join(folder, "config.json")))
        except (OSError, ValueError):
            continue
        if status["status"] != "finished":
            continue
        size = config["size"]
        pair = os.path.basename(config["content"]).split("_")[0]
        mode = config.get("propagation") or "default"
        if (pair, mode) in seen:
            continue
        seen.add((pair, mode))
        style = config["style"] if isinstance(config["style"], str) else config["style"][0]
        smask = config["style_masks"] if isinstance(config["style_masks"], str) else config["style_masks"][0]
        runs.append({"pair": pair, "mode": mode,
                     "placement": placement(a.nst_exp, os.path.join(folder, "final.png"), style, config["content_mask"], smask, size),
                     "boundary": boundary(a.nst_exp, os.path.join(folder, "final.png"), config["content_mask"], size),
                     "content": config["content"], "content_mask": config["content_mask"],
                     "style": config["style"] if isinstance(config["style"], str) else config["style"][0],
                     "style_mask": config["style_masks"] if isinstance(config["style_masks"], str) else config["style_masks"][0]})
    if not runs:
        sys.exit(f"no finished runs under {a.sweep_folders}")
    pairs = sorted({r["pair"] for r in runs})
    modes = []
    for r in sorted(runs, key=lambda r: ["simple", "adaptive", "soft", "inside", "all"].index(r["mode"]) if r["mode"] in ["simple", "adaptive", "soft", "inside", "all"] else 9):
        if r["mode"] not in modes:
            modes.append(r["mode"])
    ref = a.reference or os.path.join(os.path.dirname(runs[0]["content"]), "reference")
    columns = modes[:]
    if os.path.isdir(ref):
        for stage in ["stage1", "final"]:
            columns.append(f"deep-photo {stage}")
            for p in pairs:
                any_run = next(r for r in runs if r["pair"] == p)
                image = os.path.join(ref, f"{p}_dp_{stage}.png")
                if not os.path.exists(image):
                    continue
                runs.append({"pair": p, "mode": f"deep-photo {stage}",
                             "placement": placement(a.nst_exp, image, any_run["style"], any_run["content_mask"], any_run["style_mask"], size),
                             "boundary": boundary(a.nst_exp, image, any_run["content_mask"], size)})
    # The content photo itself: the boundary the scene already has.
    columns.append("content photo")
    for p in pairs:
        any_run = next(r for r in runs if r["pair"] == p)
        runs.append({"pair": p, "mode": "content photo", "placement": None,
                     "boundary": boundary(a.nst_exp, any_run["content"], any_run["content_mask"], size)})
    find = {(r["pair"], r["mode"]): r for r in runs}
    print(f"Placement at {size} px: geometric mean over regions >= 5 % (worst scored region); n/s = style regions not separable\n")
    print("| pair | " + " | ".join(c for c in columns if c != "content photo") + " |")
    print("|---" * (len(columns)) + "|")
    for p in pairs:
        print(f"| {p} | " + " | ".join(cell(find.get((p, c), {}).get("placement")) for c in columns if c != "content photo") + " |")
    summary, goal = [], []
    for c in columns:
        if c == "content photo":
            continue
        ps = [find[(p, c)]["placement"] for p in pairs if (p, c) in find and find[(p, c)]["placement"]]
        summary.append(gm([x.get("geometric_mean_ratio") for x in ps]))
        goal.append(sum(1 for x in ps if x.get("meets_goal")))
    print("| geometric mean | " + " | ".join(f"{s:.2f}" if s else "–" for s in summary) + " |")
    print("| pairs meeting the goal | " + " | ".join(f"{g}/{len(pairs)}" for g in goal) + " |")
    wrong = []
    for c in columns:
        n = 0
        for p in pairs:
            pl = (find.get((p, c)) or {}).get("placement")
            if not pl:
                continue
            for reg in pl["regions"]:
                if reg["share"] >= 0.05 and any(reg["layer_ratios"].get(l, 2) < 1 for l in ("relu4_1", "relu5_1")):
                    n += 1
        wrong.append(n)
    print("| regions ≥ 5 % with ratio < 1 at relu4_1 or relu5_1 | " + " | ".join(str(w) for w, c in zip(wrong, columns) if c != "content photo") + " |")
    print(f"\nBoundary at {size} px: mean |ln ratio| over regions >= 5 % (band 3 px; 0 = the band looks like the interiors)\n")
    print("| pair | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for p in pairs:
        vals = [(find.get((p, c)) or {}).get("boundary") for c in columns]
        print(f"| {p} | " + " | ".join(f"{v:.2f}" if v is not None else "–" for v in vals) + " |")
    means = []
    for c in columns:
        vals = [(find.get((p, c)) or {}).get("boundary") for p in pairs]
        vals = [v for v in vals if v is not None]
        means.append(sum(vals) / len(vals) if vals else None)
    print("| mean | " + " | ".join(f"{v:.2f}" if v is not None else "–" for v in means) + " |")
    if a.json:
        json.dump(runs, open(a.json, "w"), indent=1)

if __name__ == "__main__":
    main()
