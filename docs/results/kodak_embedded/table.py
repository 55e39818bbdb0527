"""The tables of README.md from the quickstart reports (quickstart_<variant>_s<seed>.csv: each run's results.csv)
and held_out_*.csv in the results folder.

    python docs/results/kodak_embedded/table.py docs/results/kodak_embedded
"""

from __future__ import annotations

import csv
import statistics
import sys
from pathlib import Path

AGENT = "deepexposure-discriminator"
FIXED = ("identity", "global auto-exposure", "global auto-exposure, log-average", "bracket -2..+2 EV",
         "oracle: best global EV")
VARIANTS = {"base": "scikit-image pool (before)", "kodak": "+ Kodak pool (after)"}


def read(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def cell(row: dict) -> str:
    return f"{float(row['psnr']):.2f} / {float(row['delta_e']):.2f}"


def margin_summary(margins: list[float]) -> str:
    """Mean, and the spread over seeds (max - min), of the agent's PSNR margins."""
    if len(margins) == 1:
        return f"{margins[0]:+.2f} dB (one seed)"
    return f"{statistics.mean(margins):+.2f} dB (spread {max(margins) - min(margins):.2f}, {len(margins)} seeds)"


def quickstart_table(results: Path) -> str:
    """Each quickstart run's own report (16 held-out photos of its own pool): agent and fixed rows, PSNR / ΔE."""
    lines = ["| variant | seed | agent | " + " | ".join(FIXED) + " | agent − best auto-exposure (dB) |",
             "|---|---|---|" + "---|" * (len(FIXED) + 1)]
    margins: dict[str, list[float]] = {}
    for variant, label in VARIANTS.items():
        for report in sorted(results.glob(f"quickstart_{variant}_s*.csv")):
            rows = {row["method"]: row for row in read(report)}
            best_auto = max(float(rows[name]["psnr"]) for name in FIXED[1:3])
            margin = float(rows[AGENT]["psnr"]) - best_auto
            margins.setdefault(variant, []).append(margin)
            seed = report.stem.split("_s")[-1]
            lines.append(f"| {label} | {seed} | **{cell(rows[AGENT])}** | "
                         + " | ".join(cell(rows[name]) for name in FIXED) + f" | {margin:+.2f} |")
    lines.append("")
    lines += [f"- {VARIANTS[variant]}: mean margin over seeds {margin_summary(values)}"
              for variant, values in margins.items()]
    return "\n".join(lines)


def held_out_table(path: Path) -> str:
    """Every model and the fixed rows on one pool's held-out photos, by subset: PSNR / ΔE."""
    rows = read(path)
    subsets = list(dict.fromkeys(row["subset"] for row in rows))
    methods = list(dict.fromkeys(row["method"] for row in rows))
    by_key = {(row["subset"], row["method"]): row for row in rows}
    photos = {row["subset"]: row["photos"] for row in rows}
    lines = ["| method | " + " | ".join(f"{subset} ({photos[subset]})" for subset in subsets) + " |",
             "|---|" + "---|" * len(subsets)]
    lines += [f"| {method} | " + " | ".join(cell(by_key[subset, method]) for subset in subsets) + " |"
              for method in methods]
    lines.append("")
    for subset in subsets:
        best_auto = max(float(by_key[subset, name]["psnr"]) for name in FIXED[1:3])
        for variant, label in VARIANTS.items():
            margins = [float(by_key[subset, method]["psnr"]) - best_auto for method in methods
                       if method.startswith(f"{variant}_s")]
            if margins:
                lines.append(f"- {subset}: {label} agents − best auto-exposure: {margin_summary(margins)}")
    return "\n".join(lines)


def main() -> None:
    results = Path(sys.argv[1])
    print("## The quickstart's own reports (16 held-out photos of its pool; PSNR dB / ΔE2000)\n")
    print(quickstart_table(results))
    for path in sorted(results.glob("held_out_*.csv")):
        print(f"\n## {path.name}: every policy on the same photos (PSNR dB / ΔE2000)\n")
        print(held_out_table(path))


if __name__ == "__main__":
    main()
