"""Check two promises of a written report against its own series files.

Why this exists: issue 26 promises, on the demo, that (1) no share interval -- all-venue,
per venue-year, or any other share series -- is narrower than half the plain Wilson
interval of its own counts (a design-based interval may be narrower than Wilson when the
weights say so, but never by half: that would claim more than the papers counted allow),
and (2) no counted paper uses a framework first released after its conference (the
``defects`` series). The report computes its numbers; this reads them back from the CSVs a
user gets, so the check holds for what was published, not for an intermediate frame.

    .venv/bin/python scripts/check_report.py data/reports/<report folder>

Prints one line per share series (rows, the smallest width / Wilson width, rows under half)
and the number of defects; exits 1 when a promise is broken.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.shares.intervals import wilson_bounds  # noqa: E402

FLOOR = 0.5  # an interval may be at most this much narrower than plain Wilson of its counts


def interval_ratios(series: pd.DataFrame) -> pd.Series:
    """Each row's interval width over the plain Wilson width of its ``n_items`` of ``n_total``."""
    low, high = wilson_bounds(series["n_items"].to_numpy(float), series["n_total"].to_numpy(float))
    return (series["share_high"] - series["share_low"]) / (high - low)


def check_folder(folder: Path) -> tuple[list[str], bool]:
    """Lines to print and whether every promise holds, for the series/ of one report folder."""
    series_dir = folder / "series" if (folder / "series").is_dir() else folder
    share_files = sorted(series_dir.glob("shares*.csv"))
    if not share_files:
        return [f"no shares*.csv under {series_dir}"], False
    lines, ok = [], True
    for path in share_files:
        frame = pd.read_csv(path)
        if frame.empty:
            lines.append(f"{path.name}: no rows")
            continue
        ratios = interval_ratios(frame)
        under = int((ratios < FLOOR - 1e-9).sum())
        ok &= under == 0
        lines.append(f"{path.name}: {len(frame)} rows, narrowest {ratios.min():.3f} of Wilson, {under} under half")
    for path in sorted(series_dir.glob("defects*.csv")):
        n_defects = len(pd.read_csv(path))
        ok &= n_defects == 0
        lines.append(f"{path.name}: {n_defects} counted link(s) in a framework released after the conference")
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a report folder (holding series/) or its series/ folder")
    args = parser.parse_args(argv)
    lines, ok = check_folder(args.folder)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
