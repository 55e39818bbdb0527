"""Batch tools against what real machines do to them: odd file names, closed pipes, signals, unwritable
folders, animations, files a folder scan leaves out (issue 29, kinds 1-5 and 7)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from exposure_env.atomic import atomic_write, check_writable
from exposure_env.data.folder import FolderPool, scan_images
from exposure_env.data.io import ImageReadError, read_photo
from train import retouch
from train.console import ESCAPE_ERRORS, Stopped, stop_on_signals, tolerant_streams, write_line


def save(path: Path, value: int = 100, size: tuple[int, int] = (24, 20), **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path, **options)
    return path


def test_undecodable_names_print_as_escapes():
    tolerant_streams()
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=ESCAPE_ERRORS)
    stream.write(os.fsdecode(b"caf\xe9.jpg") + " ok")  # a Latin-1 byte in a name, as Python decodes it
    stream.flush()
    assert stream.buffer.getvalue() == b"caf\\xe9.jpg ok"


def test_a_closed_pipe_only_silences_the_stream():
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w")
    write_line("first line", stream)  # BrokenPipeError inside: the stream now goes to the null device
    write_line("second line", stream)
    stream.close()


def test_a_stop_signal_waits_for_the_file_being_written(tmp_path):
    def write(temporary: str) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives half-way through the write
        Path(temporary).write_bytes(b"whole")

    with stop_on_signals(), pytest.raises(Stopped) as stopped:
        atomic_write(tmp_path / "result.jpg", write)
    assert stopped.value.exit_code == 143 and stopped.value.signal_name == "SIGTERM"
    assert [path.name for path in tmp_path.iterdir()] == ["result.jpg"]  # whole, no temporary file
    assert (tmp_path / "result.jpg").read_bytes() == b"whole"


def test_write_errors_name_the_file_asked_for_not_its_temporary(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError, match=f"{tmp_path / 'file' / 'x.jpg'}"):
        atomic_write(tmp_path / "file" / "x.jpg", lambda temporary: None)
    with pytest.raises(NotADirectoryError, match="is a file, not a folder, so .*/file/sub cannot be made"):
        check_writable(tmp_path / "file" / "sub")
    check_writable(tmp_path / "new" / "deeper")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file"]  # the check leaves nothing behind


def test_unwritable_out_is_refused_before_any_photo(tmp_path, capsys):
    save(tmp_path / "in" / "a.jpg")
    (tmp_path / "out").write_text("a file")
    assert retouch.main([str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "is a file, not a folder; choose another --out" in error


@pytest.mark.parametrize("kind", ["apng", "webp", "gif", "tiff"])
def test_animations_and_multi_page_files_are_refused_by_name(tmp_path, kind):
    frames = [Image.fromarray(np.full((8, 8, 3), value, np.uint8)) for value in (0, 200)]
    path = tmp_path / f"anim.{ {'apng': 'png', 'tiff': 'tif'}.get(kind, kind)}"
    if kind == "tiff":
        tifffile.imwrite(path, np.stack([np.asarray(frame) for frame in frames]), photometric="rgb")
    else:
        frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(ImageReadError, match=f"{path}: .* with 2 frames"):
        read_photo(path)


def test_single_frames_and_previews_are_read(tmp_path):
    assert read_photo(save(tmp_path / "one.gif")).pixels.shape == (20, 24, 3)
    with tifffile.TiffWriter(tmp_path / "preview.tif") as tiff:  # a photo with a reduced-size preview page
        tiff.write(np.zeros((20, 24, 3), np.uint8), photometric="rgb")
        tiff.write(np.zeros((5, 6, 3), np.uint8), photometric="rgb", subfiletype=1)
    assert read_photo(tmp_path / "preview.tif").pixels.shape == (20, 24, 3)


def test_a_folder_scan_names_what_it_leaves_out(tmp_path):
    folder = tmp_path / "in"
    for name in ("a.jfif", "b.JPE", "c.gif", "sub/d.jpg", "linked/e.jpg"):
        save(folder / name, format="JPEG" if "gif" not in name else "GIF")
    (folder / "linked").rename(tmp_path / "elsewhere")
    (folder / "linked").symlink_to(tmp_path / "elsewhere")  # a linked sub-folder is followed
    (folder / "sub" / "loop").symlink_to(folder)  # a loop is named, not followed forever
    (folder / "phone.HEIC").write_bytes(b"heic")
    (folder / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (folder / ".a.k2j3.tmp.jpg").write_bytes(b"half")  # left by a killed writer
    (folder / "notes.txt").write_text("sidecars are left out quietly")
    images, skipped = scan_images(folder, recursive=True)
    assert [path.relative_to(folder).as_posix() for path in images] == ["a.jfif", "b.JPE", "c.gif", "linked/e.jpg",
                                                                         "sub/d.jpg"]
    reasons = {path.relative_to(folder).as_posix(): reason for path, reason in skipped}
    assert set(reasons) == {".a.k2j3.tmp.jpg", "gone.jpg", "phone.HEIC", "sub/loop"}
    assert "temporary" in reasons[".a.k2j3.tmp.jpg"] and "link to nothing" in reasons["gone.jpg"]
    assert "HEIC" in reasons["phone.HEIC"] and "scanned already" in reasons["sub/loop"]
    pool = FolderPool(folder, recursive=True)  # the pool records them too
    assert len(pool) == 5 and str(folder / "phone.HEIC") in pool.bad_files


def test_photos_of_formats_not_written_come_out_as_png(tmp_path):
    save(tmp_path / "in" / "c.gif", format="GIF")
    save(tmp_path / "in" / "a.jfif", format="JPEG")
    pairs, skipped = retouch.plan_outputs([tmp_path / "in"], tmp_path / "out", None, False)
    assert [output.name for _, output in pairs] == ["a.jfif", "c.png"] and not skipped


def test_retouch_stopped_by_sigterm_says_what_is_left_and_leaves_no_temporary_file(tmp_path):
    names = [f"p{index:02d}.png" for index in range(12)]
    for index, name in enumerate(names):
        save(tmp_path / "in" / name, value=20 * index, size=(48, 40))
    save(tmp_path / "in" / os.fsdecode(b"caf\xe9.png"), size=(48, 40))  # printed, not a UnicodeEncodeError
    child = subprocess.Popen([sys.executable, "-c", "from train.retouch import entry_point; entry_point()",
                              str(tmp_path / "in"), "--out", str(tmp_path / "out")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
                             env={**os.environ, "PYTHONIOENCODING": "utf-8", "OMP_NUM_THREADS": "1"})
    first = child.stdout.readline()  # the first photo is done: stop the run now
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=120)
    assert "caf\\xe9.png -> " in first and child.returncode == 143
    written = sorted(path.name for path in (tmp_path / "out").iterdir())  # no hidden temporary file among them
    assert all(not name.startswith(".") for name in written) and 1 <= len(written) < 13
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"exposure-retouch: stopped by SIGTERM: {len(written)} of 13 photos done; "
                           "not retouched: ")
    assert "Traceback" not in err


def test_exposure_eval_stopped_by_sigterm_says_which_pools_were_judged(tmp_path):
    from sequences import write_sequences

    for name in ("first", "second"):
        write_sequences(tmp_path / name, sequences=1, size=32)
    out = tmp_path / "report"
    child = subprocess.Popen([sys.executable, "-c", "from train.evaluate import entry_point; entry_point()",
                              "--pool", str(tmp_path / "first"), str(tmp_path / "second"), "--photos", "2",
                              "--size", "16", "--num-segments", "2", "--grid-rows", "1", "--out", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1],
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    while not (line := child.stderr.readline()).startswith(f"{tmp_path / 'second'}:"):  # the first pool is judged
        assert line, "exposure-eval ended before its second pool"
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 143 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (f"exposure-eval: stopped by SIGTERM after 1 of 2 pools; results.md and "
                                            f"results.csv not written in {out}; written: grid_first.png")
    assert sorted(path.name for path in out.iterdir()) == ["grid_first.png"]  # no table, no hidden temporary file
