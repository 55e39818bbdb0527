"""exposure-retouch: retouch photos at full resolution with a trained policy (appendix Alg. 3).

Each photo is shrunk to the policy's thumbnail size and segmented, the policy picks one exposure
per segment, and those exposures of the *full-resolution* photo are fused (Mertens). Files keep
their bit depth (8 or 16; other sample types become float), orientation, ICC profile and EXIF
where the format allows. Results go to --out under the same names (--suffix to change the
format), a photo found in a folder at its path below that folder (sub-folders with
--recursive), each written to a temporary file and renamed. Every output path is planned
before anything is written: two photos that would get one output name, or an output that is
an input, stop the run with one message and nothing written (exit code 2). A file that cannot
be read, or is missing, is reported by name and skipped while the rest are retouched; the
exit code is 1 when any failed. One line per photo goes to stdout, problems to stderr, so the
output reads the same in a terminal and in a log file.

    exposure-retouch photo.jpg holiday/ --out retouched/
    exposure-retouch raw/ --out out/ --model runs/deepexposure-discriminator/model.zip --device cuda

Without --model the policy that ships with the package is used (agents/weights, see
its policy_provenance.json).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from exposure_env.data.io import OUTPUT_SUFFIXES

#: the one line per skipped photo, on stderr: ``skipped <photo>: <reason>``
SKIPPED = "exposure-retouch: skipped {photo}: {reason}"


def output_suffix(text: str) -> str:
    """``--suffix``: a format :func:`~exposure_env.retouch.retouch_file` writes, with or without the dot (``png``, ``.PNG``)."""
    suffix = text if text.startswith(".") else f".{text}"
    if suffix.lower() not in OUTPUT_SUFFIXES:
        raise argparse.ArgumentTypeError(f"cannot write {text!r} files; use one of {', '.join(OUTPUT_SUFFIXES)}")
    return suffix


def plan_outputs(inputs: list[Path], out: Path, suffix: str | None, recursive: bool
                 ) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """Every ``(photo, output)`` pair of a run, checked before anything is written, and the inputs skipped.

    A photo named directly goes to ``out / name``; one found in a folder to ``out / its path
    below that folder`` (so sub-folders are kept with ``recursive``). ``suffix`` replaces the
    photo's own. A photo named twice (a folder and a file in it) is retouched once. An input
    that is missing, or a folder that holds no photo, is skipped with its reason, like a photo
    that cannot be read.

    Raises:
        ValueError: an output is one of the inputs (same path, or the same file by another name);
            or two photos would be written to one output (one message lists all of them).
    """
    from exposure_env.data.folder import list_images

    planned: dict[Path, tuple[Path, Path]] = {}  # resolved photo -> (photo, output)
    skipped: list[tuple[Path, str]] = []
    for path in inputs:
        if path.is_dir():
            try:
                found = [(photo, photo.relative_to(path)) for photo in list_images(path, recursive=recursive)]
            except ValueError as error:
                skipped.append((path, str(error).removeprefix(f"{path}: ")))
                continue
        elif path.exists():
            found = [(path, Path(path.name))]
        else:
            skipped.append((path, "no such file or folder"))
            continue
        for photo, relative in found:
            output = out / (relative if suffix is None else relative.with_suffix(suffix))
            planned.setdefault(photo.resolve(), (photo, output))
    pairs = list(planned.values())
    input_files = {_file_id(photo): photo for photo, _ in pairs}
    for photo, output in pairs:  # an input exists, so an output that is one exists too
        overwritten = input_files.get(_file_id(output)) if output.exists() else None
        if overwritten is not None:
            raise ValueError(f"refusing to overwrite the input {overwritten} with the result of {photo}; "
                             "nothing was written: choose another --out")
    by_output: dict[Path, list[Path]] = {}
    for photo, output in pairs:
        by_output.setdefault(output.resolve(), []).append(photo)
    clashes = [f"{output} (from {', '.join(map(str, photos))})" for output, photos in by_output.items() if len(photos) > 1]
    if clashes:
        raise ValueError(f"{len(clashes)} output name(s) would be written twice, nothing was written: "
                         f"{'; '.join(clashes)}. Retouch those photos in separate runs or with --suffix")
    return pairs, skipped


def _file_id(path: Path) -> tuple[int, int]:
    """Device and inode: the same file under any name or link."""
    status = path.stat()
    return status.st_dev, status.st_ino


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exposure-retouch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", type=Path, nargs="+", help="photos and/or folders of photos")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created; inputs are never written)")
    parser.add_argument("--model", type=Path, default=None,
                        help="a DeepExposure model.zip from exposure-train (default: the packaged policy)")
    parser.add_argument("--suffix", default=None, type=output_suffix,
                        help=f"output format by suffix, one of {' '.join(OUTPUT_SUFFIXES)}, the dot optional "
                             "(default: each input's own)")
    parser.add_argument("--recursive", action="store_true", help="look for photos in sub-folders too")
    parser.add_argument("--device", default=None,
                        help="cuda fuses on the GPU with the torch Mertens twin (default: OpenCV on CPU)")
    args = parser.parse_args(argv)
    try:
        pairs, skipped = plan_outputs(args.inputs, args.out, args.suffix, args.recursive)
    except (ValueError, OSError) as error:
        print(f"exposure-retouch: {error}", file=sys.stderr)
        return 2
    for photo, reason in skipped:
        print(SKIPPED.format(photo=photo, reason=reason), file=sys.stderr)
    try:
        policy, settings = load_policy(args.model)
    except (ValueError, OSError) as error:
        print(f"exposure-retouch: {error}", file=sys.stderr)
        return 2
    failed = len(skipped) + retouch_all(pairs, policy, settings, args.device)
    if failed:
        print(f"exposure-retouch: {failed} of {len(pairs) + len(skipped)} inputs failed", file=sys.stderr)
    return 1 if failed else 0


def load_policy(model: Path | None) -> tuple[Any, dict[str, Any]]:
    """The policy of ``--model`` (default: the packaged one) and the env settings it was trained with.

    Raises:
        ValueError: ``model`` is missing or not a DeepExposure model.
    """
    from agents import algorithms
    from agents.packaged import load_packaged_policy

    if model is None:
        policy = load_packaged_policy()
        return policy, policy.env_kwargs
    policy = algorithms.load(model, device="cpu")
    if algorithms.name_of(policy) not in algorithms.DEEP_EXPOSURE:
        raise ValueError(f"{model}: a {algorithms.name_of(policy)} model; exposure-retouch needs a DeepExposure one, "
                         "which records the thumbnail size, T and EV range it was trained with")
    return policy, {"size": int(policy.observation_space["seg"].shape[-1]), "num_segments": policy.num_segments,
                    "max_ev": policy.max_ev}


def retouch_all(pairs: list[tuple[Path, Path]], policy: Any, settings: dict[str, Any], device: str | None) -> int:
    """Retouch every ``(photo, output)`` pair; one line per photo on stdout, problems on stderr. Returns the failures.

    The progress bar (stderr) shows only in a terminal; the lines are written through
    ``tqdm.write``, so they never break it.
    """
    from tqdm import tqdm

    from exposure_env.data.io import PhotoWarning
    from exposure_env.retouch import retouch_file

    failed = 0
    # one photo at a time: OpenCV's Mertens already uses every core. Measured on 2 cores, 8 JPEGs of 3 MP:
    # two photos at once in threads was only 1.11-1.15x faster, at twice the peak memory (12 MP: ~2 GB each)
    for src, dst in tqdm(pairs, desc="retouching", unit="photo", disable=None):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PhotoWarning)
            try:
                result = retouch_file(src, dst, policy, device=device, **settings)
            except (ValueError, OSError) as error:
                failed += 1
                reason = str(error).removeprefix(f"{src}: ")  # the reader's messages name the file already
                tqdm.write(SKIPPED.format(photo=src, reason=reason), file=sys.stderr)
                continue
            finally:
                for warning in caught:
                    tqdm.write(f"exposure-retouch: warning: {warning.message}", file=sys.stderr)
        tqdm.write(f"{src} -> {dst}  EVs {', '.join(f'{ev:+.2f}' for ev in result.evs)}", file=sys.stdout)
    return failed


def entry_point() -> None:
    """Console script: exit with :func:`main`'s code."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
