"""``exposure-retouch``: retouch photos at full resolution with a trained policy (appendix Alg. 3).

Each photo is shrunk to the policy's thumbnail size and segmented, the policy picks one exposure
per segment, and those exposures of the *full-resolution* photo are fused (Mertens). Files keep
their bit depth (8 or 16), orientation, ICC profile and EXIF where the format allows. Inputs are
never overwritten: results go to ``--out`` under the same names (``--suffix`` to change the
format), written to a temporary file and renamed. A file that cannot be read is reported by
name and skipped; the exit code is 1 when any failed.

    exposure-retouch photo.jpg holiday/ --out retouched/
    exposure-retouch raw/ --out out/ --model runs/deepexposure-discriminator/model.zip --device cuda

Without ``--model`` the policy that ships with the package is used (``agents/weights``, see
its ``policy_provenance.json``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from agents import DeepExposure
from agents.packaged import load_packaged_policy
from exposure_env.data.folder import IMAGE_EXTENSIONS, list_images
from exposure_env.retouch import retouch_file


def input_files(inputs: list[Path], recursive: bool) -> list[Path]:
    """The photos named by ``inputs`` (files, and image files inside folders), in order, without repeats."""
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += list_images(path, IMAGE_EXTENSIONS, recursive)
        elif path.exists():
            files.append(path)
        else:
            raise ValueError(f"{path}: no such file or folder")
    return list(dict.fromkeys(files))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exposure-retouch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", type=Path, nargs="+", help="photos and/or folders of photos")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created; inputs are never written)")
    parser.add_argument("--model", type=Path, default=None,
                        help="a DeepExposure model.zip from exposure-train (default: the packaged policy)")
    parser.add_argument("--suffix", default=None,
                        help="output format by suffix, e.g. .png or .tif (default: each input's own)")
    parser.add_argument("--recursive", action="store_true", help="look for photos in sub-folders too")
    parser.add_argument("--device", default=None,
                        help="cuda fuses on the GPU with the torch Mertens twin (default: OpenCV on CPU)")
    args = parser.parse_args(argv)
    try:
        files = input_files(args.inputs, args.recursive)
        if args.model is None:
            policy = load_packaged_policy()
            settings = policy.env_kwargs
        else:
            if not args.model.is_file():
                raise ValueError(f"{args.model}: no such model file")
            policy = DeepExposure.load(args.model, device="cpu")
            settings = {"size": int(policy.observation_space["seg"].shape[-1]), "num_segments": policy.num_segments,
                        "max_ev": policy.max_ev}
    except (ValueError, OSError) as error:
        print(f"exposure-retouch: {error}", file=sys.stderr)
        return 2
    failed = 0
    # one photo at a time: OpenCV's Mertens already uses every core. Measured on 2 cores, 8 JPEGs of 3 MP:
    # two photos at once in threads was only 1.11-1.15x faster, at twice the peak memory (12 MP: ~2 GB each)
    for src in tqdm(files, desc="retouching", unit="photo"):
        dst = args.out / (src.name if args.suffix is None else src.with_suffix(args.suffix).name)
        try:
            result = retouch_file(src, dst, policy, device=args.device, **settings)
        except (ValueError, OSError) as error:
            failed += 1
            tqdm.write(f"exposure-retouch: skipped {src}: {error}", file=sys.stderr)
            continue
        tqdm.write(f"{src} -> {dst}  EVs {', '.join(f'{ev:+.2f}' for ev in result.evs)}")
    if failed:
        print(f"exposure-retouch: {failed} of {len(files)} photos failed", file=sys.stderr)
    return 1 if failed else 0


def entry_point() -> None:
    """Console script: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
