"""Every Python snippet of the README runs as written: each in a fresh namespace, in a scratch folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_the_readme_has_its_snippets():
    assert len(SNIPPETS) >= 6  # a change to the fences would silently test nothing


@pytest.mark.parametrize("code", SNIPPETS, ids=[f"snippet{index}" for index in range(len(SNIPPETS))])
def test_readme_snippet_runs_as_written(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # snippets write run/ and runs/
    exec(compile(code, "README.md snippet", "exec"), {"__name__": "__readme__"})
