"""exposure-retouch: retouch photos at full resolution with a trained policy (appendix Alg. 3).

Each photo is shrunk to the policy's thumbnail size and segmented, the policy picks one exposure
per segment, and those exposures of the *full-resolution* photo are fused (Mertens). Files keep
their bit depth (8 or 16; other sample types become float), orientation, ICC profile and EXIF
where the format allows. Without --out, a photo's result goes beside it as photo.retouched.jpg
(photo.retouched-people.jpg with --look people), and the photos of a folder holiday/ into the
folder holiday.retouched/ beside it; with --out, results go to that folder under the photos' own
names (--suffix to change the format). A photo found in a folder keeps its path below that
folder (sub-folders with --recursive); each result is written to a temporary file and renamed.
Every output path is planned before anything is written: two photos that would get one output
name, an output that is an input, or (without --out) a result that exists already stop the run
with one message and nothing written (exit code 2). A file that cannot be read, or is missing,
is reported by name and skipped while the rest are retouched; the exit code is 1 when any
failed. An output folder that cannot be written is found before any photo is retouched (exit
code 2). A photo whose format is not written (GIF, AVIF) is written as PNG unless --suffix says
otherwise. One line per photo goes to stdout (where it was written and how long it took);
problems, progress and a closing summary line go to stderr, so the output reads the same in a
terminal and in a log file. A file name that is not valid UTF-8 is printed with \\xNN escapes,
and a closed stdout (piped to head) only drops the lines. Stopped by SIGINT, SIGTERM or SIGHUP,
the run finishes the file it is writing (no temporary file is left), says which photos were not
retouched and exits with 130, 143 or 129.

    exposure-retouch photo.jpg                     (writes photo.retouched.jpg)
    exposure-retouch photo.jpg holiday/ --out retouched/
    exposure-retouch photo.jpg --look people       (writes photo.retouched-people.jpg)
    exposure-retouch raw/ --out out/ --model runs/deepexposure-discriminator/model.zip --device cuda

Without --model a policy that ships with the package is used, by --look (agents/weights; each
look's policy_provenance.json names its training command, data and terms):
  fusion  (default) learned the taste of exposure fusions of bracketed sequences: it lifts
          dark photos and opens shadows, as an HDR fusion does, and rolls highlights off
          instead of clipping them (a white sky may come out a light grey).
  people  learned the taste of photos people made: it lifts dark photos less than fusion and
          keeps a scene's key closer to a professional's (a low-key scene stays darker, a
          bright one bright), with less lifted noise; under-exposed frames stay dimmer than
          with fusion. Research, non-commercial terms.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from agents.looks import DEFAULT_LOOK, LOOKS
from exposure_env.data.formats import OUTPUT_SUFFIXES
from train.console import clock_time, progress, run_tool, stop_reason, write_line

#: the one line per skipped photo, on stderr: ``skipped <photo>: <reason>``
SKIPPED = "exposure-retouch: skipped {photo}: {reason}"
#: the output suffix of a photo whose own format is not written
FALLBACK_SUFFIX = ".png"
#: files named in a line that lists many (what a stopped run left undone, results that exist already)
NAMED_FILES = 5
#: added to a photo's or folder's name for its result without --out (``photo.jpg`` -> ``photo.retouched.jpg``)
RETOUCHED_TAG = ".retouched"


def output_suffix(text: str) -> str:
    """``--suffix``: a format :func:`~exposure_env.retouch.retouch_file` writes, with or without the dot (``png``, ``.PNG``)."""
    suffix = text if text.startswith(".") else f".{text}"
    if suffix.lower() not in OUTPUT_SUFFIXES:
        raise argparse.ArgumentTypeError(f"cannot write {text!r} files; use one of {', '.join(OUTPUT_SUFFIXES)}")
    return suffix


def plan_outputs(inputs: list[Path], out: Path | None, suffix: str | None, recursive: bool,
                 tag: str = RETOUCHED_TAG) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """Every ``(photo, output)`` pair of a run, checked before anything is written, and the inputs skipped.

    A photo named directly goes to ``out / name``; one found in a folder to ``out / its path
    below that folder`` (so sub-folders are kept with ``recursive``). Without ``out``, the results
    go beside the inputs (:func:`default_output`, with ``tag``: :func:`output_tag`). ``suffix`` replaces the
    photo's own, or :data:`FALLBACK_SUFFIX` when that is no format written. A photo named twice (a
    folder and a file in it) is retouched once. An input that is missing, or a folder that holds
    no photo, is skipped with its reason, like a photo that cannot be read, and so is each file a
    folder scan leaves out by name (:func:`~exposure_env.data.folder.scan_images`: HEIC, links to
    nothing...).

    Raises:
        ValueError: an output is one of the inputs (same path, or the same file by another name);
            two photos would be written to one output (one message lists all of them); or, without
            ``out``, outputs exist already (one message lists them).
    """
    from exposure_env.data.folder import scan_images

    planned: dict[Path, tuple[Path, Path]] = {}  # resolved photo -> (photo, output)
    skipped: list[tuple[Path, str]] = []
    for path in inputs:
        if path.is_dir():
            try:
                photos, left_out = scan_images(path, recursive=recursive)
            except ValueError as error:
                skipped.append((path, str(error).removeprefix(f"{path}: ")))
                continue
            skipped += left_out
            found = [(photo, photo.relative_to(path)) for photo in photos]
        elif path.exists():
            found = [(path, Path(path.name))]
        else:
            skipped.append((path, "no such file or folder"))
            continue
        for photo, relative in found:
            own = relative.suffix if relative.suffix.lower() in OUTPUT_SUFFIXES else FALLBACK_SUFFIX
            relative = relative.with_suffix(suffix or own)
            output = out / relative if out is not None else default_output(path, relative, tag)
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
    existing = [str(output) for _, output in pairs if output.exists() or output.is_symlink()]
    if out is None and existing:
        raise ValueError(f"{len(existing)} result(s) exist already, nothing was written: {named(existing)}. "
                         "Move them away, or choose --out")
    return pairs, skipped


def output_tag(look: str | None) -> str:
    """What a result's name gains without --out: :data:`RETOUCHED_TAG` for the default look or a ``--model``
    (``look=None``), ``.retouched-LOOK`` for another look, so that the looks of one photo sit side by side."""
    return RETOUCHED_TAG if look in (None, DEFAULT_LOOK) else f"{RETOUCHED_TAG}-{look}"


def default_output(path: Path, relative: Path, tag: str = RETOUCHED_TAG) -> Path:
    """Where a photo's result goes without --out.

    Args:
        path: the input as named: a photo, or the folder the photo was found in.
        relative: the result's name (a photo named directly) or path below ``path`` (a folder's photo).
        tag: what the name gains (:func:`output_tag`).

    Returns:
        ``photo.retouched.jpg`` beside a photo named directly; ``holiday.retouched/relative`` beside a
        folder ``holiday`` (``.`` and ``..`` are named by the folder they stand for); another ``tag`` in
        place of ``.retouched``.
    """
    if not path.is_dir():
        return path.with_name(f"{relative.stem}{tag}{relative.suffix}")
    folder = path.resolve() if path.name in ("", "..") else path
    return folder.with_name(f"{folder.name}{tag}") / relative


def _file_id(path: Path) -> tuple[int, int]:
    """Device and inode: the same file under any name or link."""
    status = path.stat()
    return status.st_dev, status.st_ino


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exposure-retouch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", type=Path, nargs="+", help="photos and/or folders of photos")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (created; inputs are never written). Default: beside each input, "
                             f"photo.jpg as photo{RETOUCHED_TAG}.jpg and a folder's photos into "
                             f"folder{RETOUCHED_TAG}/ (with --look people: photo{output_tag('people')}.jpg), "
                             "never replacing a file")
    policy = parser.add_mutually_exclusive_group()
    policy.add_argument("--look", default=DEFAULT_LOOK, choices=list(LOOKS),
                        help=f"the packaged policy to use (default: {DEFAULT_LOOK}); see above")
    policy.add_argument("--model", type=Path, default=None,
                        help="a DeepExposure model.zip from exposure-train, instead of a packaged look")
    parser.add_argument("--suffix", default=None, type=output_suffix,
                        help=f"output format by suffix, one of {' '.join(OUTPUT_SUFFIXES)}, the dot optional "
                             "(default: each input's own)")
    parser.add_argument("--recursive", action="store_true", help="look for photos in sub-folders too")
    parser.add_argument("--device", default=None,
                        help="cuda fuses on the GPU with the torch Mertens twin (default: OpenCV on CPU)")
    args = parser.parse_args(argv)
    from exposure_env.atomic import check_writable

    try:
        tag = output_tag(None if args.model is not None else args.look)
        pairs, skipped = plan_outputs(args.inputs, args.out, args.suffix, args.recursive, tag)
    except (ValueError, OSError) as error:
        print(f"exposure-retouch: {error}", file=sys.stderr)
        return 2
    try:
        for folder in sorted({output.parent for _, output in pairs}):
            check_writable(folder)
    except OSError as error:
        print(f"exposure-retouch: --out: {error}; choose another --out (nothing was retouched)", file=sys.stderr)
        return 2
    for photo, reason in skipped:
        print(SKIPPED.format(photo=photo, reason=reason), file=sys.stderr)
    finished: list[Path] = []
    try:
        policy, settings = load_policy(args.model, args.look)
        start = time.monotonic()
        failures = retouch_all(pairs, policy, settings, args.device, finished)
        failed = len(skipped) + failures
    except (ValueError, OSError) as error:
        print(f"exposure-retouch: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        stopped = stop_reason(interrupt)
        _report_stop(stopped.signal_name, pairs, len(finished))
        return stopped.exit_code
    source = str(args.model) if args.model is not None else f"the {args.look} look"
    if settings.get("shoulder") is not None:  # the env setting the policy was trained with, in its render too
        source += f" (highlights rolled off above a linear knee of {settings['shoulder']:g})"
    _report_summary(len(pairs) - failures, time.monotonic() - start, args.out, tag, source)
    if failed:
        print(f"exposure-retouch: {failed} of {len(pairs) + len(skipped)} inputs failed", file=sys.stderr)
    return 1 if failed else 0


def load_policy(model: Path | None, look: str = DEFAULT_LOOK) -> tuple[Any, dict[str, Any]]:
    """The policy of ``--model`` (without one: the packaged ``look``) and the env settings it was trained with.

    Raises:
        ValueError: ``model`` is missing or not a DeepExposure model, or ``look`` is not packaged.
    """
    from agents import algorithms
    from agents.packaged import load_packaged_policy

    if model is None:
        policy = load_packaged_policy(look)
        return policy, policy.env_kwargs
    policy = algorithms.load(model, device="cpu")
    if algorithms.name_of(policy) not in algorithms.DEEP_EXPOSURE:
        raise ValueError(f"{model}: a {algorithms.name_of(policy)} model; exposure-retouch needs a DeepExposure one, "
                         "which records the thumbnail size, T and EV range it was trained with")
    return policy, policy.retouch_settings()


def retouch_all(pairs: list[tuple[Path, Path]], policy: Any, settings: dict[str, Any], device: str | None,
                finished: list[Path] | None = None) -> int:
    """Retouch every ``(photo, output)`` pair; one line per photo on stdout, problems on stderr. Returns the failures.

    Progress goes to stderr (:func:`~train.console.progress`: a bar in a terminal, a plain line
    every 30 s in a log); the lines are written through ``tqdm.write``, so they never break a bar,
    and a closed stdout only drops them (:func:`~train.console.write_line`).

    Args:
        finished: each photo is appended once it is done with (retouched or failed): what a stop signal
            (a ``KeyboardInterrupt``, passed on) left done. A photo stopped after its output was written counts.
    """
    finished = [] if finished is None else finished
    failed = 0
    # one photo at a time: OpenCV's Mertens already uses every core. Measured on 2 cores, 8 JPEGs of 3 MP:
    # two photos at once in threads was only 1.11-1.15x faster, at twice the peak memory (12 MP: ~2 GB each)
    for src, dst in progress(pairs, desc="exposure-retouch: retouching", unit="photo"):
        before = _version(dst)
        try:
            failed += not _retouch_one(src, dst, policy, settings, device)
        except KeyboardInterrupt:
            if _version(dst) != before:  # the output is whole or absent: it was written
                finished.append(src)
            raise
        finished.append(src)
    return failed


def _retouch_one(src: Path, dst: Path, policy: Any, settings: dict[str, Any], device: str | None) -> bool:
    """Retouch one photo and print its line (or why it failed, and its warnings); whether it was retouched."""
    from tqdm import tqdm

    from exposure_env.data.io import PhotoWarning
    from exposure_env.retouch import retouch_file

    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PhotoWarning)
        try:
            result = retouch_file(src, dst, policy, device=device, **settings)
        except (ValueError, OSError) as error:
            reason = str(error).removeprefix(f"{src}: ")  # the reader's messages name the file already
            write_line(SKIPPED.format(photo=src, reason=reason), sys.stderr, tqdm.write)
            return False
        finally:
            for warning in caught:
                write_line(f"exposure-retouch: warning: {warning.message}", sys.stderr, tqdm.write)
    evs = ", ".join(f"{ev:+.2f}" for ev in result.evs)
    write_line(f"{src} -> {dst}  EVs {evs}  {time.monotonic() - start:.1f} s", sys.stdout, tqdm.write)
    return True


def _version(path: Path) -> tuple[int, int] | None:
    """Inode and modification time of ``path``, or ``None`` when it does not exist: whether a write replaced it."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def _report_stop(signal_name: str, pairs: list[tuple[Path, Path]], done: int) -> None:
    """One line on stderr: the run was stopped, how many photos were done with, the first of those that were not."""
    undone = [str(photo) for photo, _ in pairs[done:]] or ["none"]
    write_line(f"\nexposure-retouch: stopped by {signal_name}: {done} of {len(pairs)} photos done; not retouched: "
               f"{named(undone)}", sys.stderr)


def named(files: list[str]) -> str:
    """The first :data:`NAMED_FILES` of ``files``, and how many more there are."""
    more = f" and {len(files) - NAMED_FILES} more" if len(files) > NAMED_FILES else ""
    return f"{', '.join(files[:NAMED_FILES])}{more}"


def _report_summary(retouched: int, seconds: float, out: Path | None, tag: str, policy: str) -> None:
    """The closing line on stderr: how many photos were retouched, in how long, by which policy (a look or a
    model file), and where the results are."""
    if not retouched:
        write_line(f"exposure-retouch: no photo retouched ({clock_time(seconds)}); nothing was written", sys.stderr)
        return
    where = f"in {out}" if out is not None else f"beside the inputs (*{tag}.*, a folder's in *{tag}/)"
    write_line(f"exposure-retouch: {retouched} photo(s) retouched in {clock_time(seconds)} "
               f"({seconds / retouched:.1f} s a photo) by {policy}; results {where}", sys.stderr)


def entry_point() -> None:
    """Console script: exit with :func:`main`'s code (:func:`~train.console.run_tool`)."""
    run_tool(main, "exposure-retouch")


if __name__ == "__main__":
    entry_point()
