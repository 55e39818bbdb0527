"""The README's before/after picture, cut from a committed grid: raw | the two shipped looks | the expert's retouch.

    python docs/scripts/readme_picture.py        # writes docs/images/before_after.jpg

The grid is ``docs/results/human_taste/looks/fivek_grid_1.jpg`` (fivek dev, written by
``python -m train.experiments.human_taste``; its command is in docs/results/human_taste/commands.sh).
Its cells are found as the runs of non-white pixel rows and columns, so the script needs no
coordinates; ``--row`` picks the photo, ``--columns`` the grid's columns (0 = raw).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

DOCS = Path(__file__).resolve().parents[1]


def runs(content: np.ndarray, min_length: int) -> list[tuple[int, int]]:
    """``[start, end)`` of each run of True in ``content`` at least ``min_length`` long."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], content.astype(np.int8), [0]])))
    return [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2]) if end - start >= min_length]


def cells(grid: np.ndarray, min_side: int = 60) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The grid's row and column spans: runs of rows (columns) holding any pixel darker than near-white.

    Columns are read from the photo row that splits into the most of them (a row of landscape
    photos fills its cells; the column titles run over the gaps).
    """
    ink = grid.min(axis=2) < 245
    rows = runs(ink.any(axis=1), min_side)
    columns = max((runs(ink[top:bottom].any(axis=0), min_side) for top, bottom in rows), key=len)
    return rows, columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=Path, default=DOCS / "results" / "human_taste" / "looks" / "fivek_grid_1.jpg")
    parser.add_argument("--row", type=int, default=0, help="the grid's photo row (default: 0)")
    parser.add_argument("--columns", type=int, nargs="+", default=[0, 3, 4, 5],
                        help="grid columns, left to right (default: 0 3 4 5: raw, the fusion look, the people look, "
                             "expert target)")
    parser.add_argument("--labels", nargs="+", default=["raw photo", "exposure-retouch (default)",
                                                        "--look people", "a professional's retouch"])
    parser.add_argument("--out", type=Path, default=DOCS / "images" / "before_after.jpg")
    args = parser.parse_args()
    grid = np.asarray(Image.open(args.grid).convert("RGB"))
    rows, columns = cells(grid)
    top, bottom = rows[args.row]
    crops = []
    for column in args.columns:
        left, right = columns[column]
        cell = grid[top:bottom, left:right]
        ink = cell.min(axis=2) < 245  # a portrait photo is narrower than its column
        (y0, y1), (x0, x1) = runs(ink.any(axis=1), 60)[0], runs(ink.any(axis=0), 60)[0]  # not the title
        crops.append(cell[y0:y1, x0:x1])
    height, caption, gap = min(crop.shape[0] for crop in crops), 20, 6
    widths = [round(crop.shape[1] * height / crop.shape[0]) for crop in crops]
    sheet = Image.new("RGB", (sum(widths) + gap * (len(crops) - 1), height + caption), "white")
    draw, left = ImageDraw.Draw(sheet), 0
    for crop, width, label in zip(crops, widths, args.labels):
        sheet.paste(Image.fromarray(crop).resize((width, height), Image.LANCZOS), (left, caption))
        draw.text((left + 2, 4), label, fill="black")
        left += width + gap
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, quality=90)
    print(f"wrote {args.out} ({sheet.width}×{sheet.height})")


if __name__ == "__main__":
    main()
