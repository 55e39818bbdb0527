"""The README's main job: exits 0 and writes a report whose numbers make sense."""

from __future__ import annotations

import csv
import subprocess
import sys


def test_demo_writes_report_and_exits_zero(tmp_path):
    out = tmp_path / "report"
    result = subprocess.run([sys.executable, "-m", "train.demo", "--photos", "4", "--grid-rows", "2",
                             "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {p.name for p in out.iterdir()} == {"results.csv", "results.md", "grid.png", "episode.png"}
    rows = {row["method"]: row for row in csv.DictReader((out / "results.csv").open())}
    assert len(rows) == 8 and "CLAHE on L" in rows and "bracket -2..+2 EV" in rows
    assert "global auto-exposure, log-average" in rows
    # mid-grey auto-exposure fixes the embedded degradations better than doing nothing
    assert float(rows["global auto-exposure"]["psnr"]) > float(rows["identity"]["psnr"]) + 1.0
    assert float(rows["global auto-exposure"]["score"]) > float(rows["identity"]["score"])
    assert (out / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
