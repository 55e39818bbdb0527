"""Full-resolution retouch (appendix Alg. 3) of a 12-megapixel photo vs OpenCV's Mertens alone.

The target (issue 30, which added the noise-aware gain of :mod:`exposure_env.ops.clean`):
``retouch`` with T = 4 takes at most 1.5× the time of OpenCV's ``MergeMertens`` on the same four
exposures (the fusion is the floor), with a peak memory of at most 3 GB. ``--no-denoise`` times
the render without it (issue 6's target for that: 1.3×); ``--fuse-input`` times the render of the
people look (``exposure-retouch --look people``), which fuses the photo itself beside its T
exposures, and ``--shoulder KNEE`` the fusion look's (the default, whose env rolls highlights off
above a knee of 0.1), against the same floor. Each case runs in a fresh process, so
its peak resident memory (``ru_maxrss``) is its own; it includes the interpreter, torch and the
other imports (reported as "imports") and the photo itself. The photo is scikit-image's
astronaut, cropped to 4:3 and enlarged (uint8).

    python bench/retouch.py                      # 12 MP on the CPU
    python bench/retouch.py --fuse-input         # adds the people look's render (the photo fused in too)
    python bench/retouch.py --shoulder 0.1       # adds the fusion look's render (its highlight shoulder)
    python bench/retouch.py --device cuda        # adds the torch fusion on the GPU, 12 and 24 MP
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import cv2
import numpy as np

SIZES = {12: (3000, 4000), 24: (4240, 5656)}  # megapixels -> (height, width)


def make_photo(megapixels: int) -> np.ndarray:
    """A photo-like ``(H, W, 3)`` uint8 image of about ``megapixels`` million pixels."""
    from exposure_env.data.embedded import load_source

    source = np.asarray(load_source("astronaut"))[64:448]  # 384×512: 4:3
    height, width = SIZES[megapixels]
    return np.rint(cv2.resize(source, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1) * 255).astype(np.uint8)


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(case: str, megapixels: int, repeats: int, device: str | None, evs: list[float],
             settings: dict | None = None) -> dict:
    """Time one case in this (fresh) process; returns seconds per repeat and peak memory.

    Args:
        settings: ``retouch`` keyword arguments of the render timed (``denoise``, ``fuse_input``, ``shoulder``).
    """
    settings = settings or {}
    import torch

    from exposure_env.ops.exposure import expose_lut
    from exposure_env.retouch import retouch
    from train.policies import segment_auto_exposure

    photo = make_photo(megapixels)
    imports_mb = peak_mb()
    exposures = [cv2.LUT(photo, expose_lut(ev, 8)) for ev in evs] if case == "mertens" else []
    merger = cv2.createMergeMertens(1.0, 1.0, 1.0)
    if device is not None:  # CUDA context and kernels, outside the timing
        retouch(photo[:512, :512], segment_auto_exposure, device=device, **settings)
        torch.cuda.reset_peak_memory_stats()

    def run():
        if case == "mertens":  # the floor: OpenCV's fusion alone, on the four exposures retouch makes
            return merger.process(exposures)
        return retouch(photo, segment_auto_exposure, device=device, **settings)

    seconds, output = [], None
    for _ in range(repeats):
        output = None  # the last repeat's result is not kept alive through this one
        start = time.perf_counter()
        output = run()
        seconds.append(time.perf_counter() - start)
    result = {"seconds": seconds, "peak_mb": peak_mb(), "imports_mb": imports_mb}
    if case == "retouch":
        result["evs"] = list(output.evs)
    if device is not None:
        result["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def in_fresh_process(case: str, megapixels: int, repeats: int, device: str | None = None,
                     evs: list[float] | None = None, settings: dict | None = None) -> dict:
    """:func:`run_case` in a new interpreter; its JSON result."""
    command = [sys.executable, __file__, "--case", case, "--megapixels", str(megapixels), "--repeats", str(repeats),
               "--settings", json.dumps(settings or {})]
    if device is not None:
        command += ["--device", device]
    if evs is not None:
        command += ["--evs", json.dumps(evs)]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def row(name: str, result: dict) -> str:
    median = statistics.median(result["seconds"])
    return (f"{name:<34} {median:7.2f} s (min {min(result['seconds']):.2f})   peak {result['peak_mb']:6.0f} MB "
            f"(imports + photo {result['imports_mb']:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default=None, help="also time the torch fusion on this device (e.g. cuda)")
    parser.add_argument("--no-denoise", dest="denoise", action="store_false",
                        help="also time the render without the noise-aware gain (retouch(..., denoise=False))")
    parser.add_argument("--fuse-input", action="store_true",
                        help="also time the people look's render, the photo fused beside its exposures "
                             "(retouch(..., fuse_input=True))")
    parser.add_argument("--shoulder", type=float, default=None, metavar="KNEE",
                        help="also time the fusion look's render, highlights rolled off above KNEE "
                             "(retouch(..., shoulder=KNEE); the fusion look's is 0.1)")
    parser.add_argument("--case", choices=["retouch", "mertens"], help=argparse.SUPPRESS)
    parser.add_argument("--settings", type=json.loads, default={}, help=argparse.SUPPRESS)
    parser.add_argument("--megapixels", type=int, default=12, choices=sorted(SIZES), help=argparse.SUPPRESS)
    parser.add_argument("--evs", type=json.loads, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(run_case(args.case, args.megapixels, args.repeats, args.device, args.evs, args.settings)))
        return

    print(f"retouch of a 12 MP uint8 photo (4000x3000), T=4, {args.repeats} repeats, OpenCV threads "
          f"{cv2.getNumThreads()}; each case in a fresh process")
    retouched = in_fresh_process("retouch", 12, args.repeats)
    floor = in_fresh_process("mertens", 12, args.repeats, evs=retouched["evs"])
    print(f"EVs chosen: {', '.join(f'{ev:+.2f}' for ev in retouched['evs'])}")
    print(row("retouch (CPU, OpenCV fusion)", retouched))
    print(row("OpenCV MergeMertens alone (floor)", floor))
    ratio = statistics.median(retouched["seconds"]) / statistics.median(floor["seconds"])
    print(f"ratio retouch / floor: {ratio:.2f}x (target <= 1.5x); peak {retouched['peak_mb'] / 1024:.2f} GB "
          f"(target <= 3 GB)")
    extras = [(name, settings, target) for asked, name, settings, target in (
        (not args.denoise, "denoise=False", {"denoise": False}, " (target <= 1.3x)"),
        (args.fuse_input, "fuse_input=True (people)", {"fuse_input": True}, ""),
        (args.shoulder is not None, f"shoulder={args.shoulder} (fusion)", {"shoulder": args.shoulder}, ""),
    ) if asked]
    for name, settings, target in extras:
        result = in_fresh_process("retouch", 12, args.repeats, settings=settings)
        print(row(f"retouch, {name}", result))
        print(f"ratio retouch ({name}) / floor: "
              f"{statistics.median(result['seconds']) / statistics.median(floor['seconds']):.2f}x{target}; peak "
              f"{result['peak_mb'] / 1024:.2f} GB")
    if args.device is not None:
        for megapixels in (12, 24):
            result = in_fresh_process("retouch", megapixels, args.repeats, device=args.device)
            print(row(f"retouch {megapixels} MP ({args.device}, torch fusion)", result)
                  + f"   GPU peak {result['gpu_peak_mb']:.0f} MB")


if __name__ == "__main__":
    main()
