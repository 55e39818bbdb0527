"""Every Python example of the README and of the documentation site (docs/) runs as written, and the site builds.

Each block runs in a fresh namespace, in a scratch folder. A block whose fence reads
```` ```python { .no-run } ```` is shown but not run: a signature, or a run that needs data or
hours. Keep those few (:data:`MAX_NOT_RUN`). The ``# prints TEXT`` comments of a block must be printed, in their
order, each as one whole line (``...`` stands for any text): the values an example shows are the values it gives.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: a fenced Python block: its attributes (``{ .no-run }``) and its code
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)
#: how many blocks may be shown without being run
MAX_NOT_RUN = 3
#: a line's promise of what it prints: ``# prints TEXT``
PRINTS = re.compile(r"#\s*prints\s+(.+?)\s*$", flags=re.MULTILINE)


def printed_pattern(promise: str) -> re.Pattern:
    """A ``# prints`` comment as a pattern of one printed line, ``...`` matching any text."""
    return re.compile(".*".join(re.escape(part) for part in promise.split("...")))


def blocks() -> list[tuple[str, str, bool]]:
    """``(name, code, runs)`` of every fenced Python block, named ``page:index``."""
    found = []
    for page in PAGES:
        for index, match in enumerate(FENCE.finditer(page.read_text())):
            found.append((f"{page.relative_to(ROOT)}:{index}", match.group(2), ".no-run" not in match.group(1)))
    return found


BLOCKS = blocks()
RUN = [(name, code) for name, code, runs in BLOCKS if runs]


def test_the_pages_have_their_examples():
    readme = [name for name, _, runs in BLOCKS if name.startswith("README.md") and runs]
    assert len(readme) >= 1 and len(RUN) >= 8  # a change to the fences would silently test nothing
    assert len(BLOCKS) - len(RUN) <= MAX_NOT_RUN


@pytest.mark.parametrize("code", [code for _, code in RUN], ids=[name for name, _ in RUN])
def test_example_runs_as_written(code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # examples write run/ and runs/
    exec(compile(code, "documentation example", "exec"), {"__name__": "__docs__"})
    assert printed_in_order(PRINTS.findall(code), capsys.readouterr().out.splitlines())


def printed_in_order(promises: list[str], printed: list[str]) -> bool:
    """Whether each promise matches a whole printed line after the line the one before it matched."""
    lines = iter(printed)
    return all(any(printed_pattern(promise).fullmatch(line) for line in lines) for promise in promises)


def test_a_prints_comment_is_a_pattern_of_one_line_printed_in_order():
    assert printed_pattern("evs=(+5.00, +2.76), thumb=...").fullmatch("evs=(+5.00, +2.76), thumb=array([1])")
    assert not printed_pattern("evs=(+5.00, +2.76), thumb=...").fullmatch("evs=(+4.99, +2.76), thumb=array([1])")
    assert printed_in_order(["a", "b..."], ["a", "x", "b2"]) and not printed_in_order(["b...", "a"], ["a", "b2"])
    assert sum(len(PRINTS.findall(code)) for _, code in RUN) >= 2  # the retouching page's promises are checked


def test_the_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: a broken link, anchor or API reference fails it."""
    site = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)], cwd=ROOT,
                           capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"}, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    api = (site / "api" / "environment" / "index.html").read_text()
    assert "ExposureRetouchEnv" in api and "Action Space" in api  # the reference is generated from the docstrings
    assert (site / "images" / "episode.png").is_file()
