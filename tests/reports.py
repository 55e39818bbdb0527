"""Reading the reports the CLIs and the experiment runners write."""

from __future__ import annotations

import csv
from pathlib import Path


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV report, as dicts of strings."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
