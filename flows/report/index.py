"""Where each report lands, and the index page that lists them.

A report's folder is named after its selection, so ``report --venue CVPR`` never
overwrites the all-venue report: the default selection (all venues, venue-year,
year) is the reports folder itself (its paths are a contract), every other one a
sub-folder ``<venues>_<axis>_<freq>``. Each report leaves a ``report.json``
manifest; ``index.html`` is rebuilt from the manifests after every report.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_SELECTION = ("venue-year", "year")
MANIFEST = "report.json"


def selection_folder(venues: Sequence[str] | None, axis: str, freq: str) -> str:
    """The sub-folder of one selection ('' for the default all-venue report)."""
    if not venues and (axis, freq) == DEFAULT_SELECTION:
        return ""
    slug = "+".join(sorted({_slug(v) for v in venues})) if venues else "all"
    return f"{slug}_{axis}_{freq}"


def _slug(venue: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", venue.lower()).strip("-") or "venue"


def write_manifest(folder: Path, manifest: dict[str, Any]) -> Path:
    path = folder / MANIFEST
    _write_atomically(path, json.dumps(manifest, indent=1, sort_keys=True, default=str))
    return path


def read_manifests(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(folder relative to ``root``, manifest) of every report under ``root``, the default first."""
    found = []
    for path in [root / MANIFEST, *sorted(root.glob(f"*/{MANIFEST}"))]:
        try:
            found.append((path.parent.relative_to(root).as_posix(), json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # a missing or half-written manifest: that report is listed once it is whole
    return found


def write_index(root: Path) -> Path:
    """``index.html``: one row per report under ``root``, linking to its page and its papers table."""
    rows = []
    for folder, m in read_manifests(root):
        prefix = "" if folder == "." else f"{folder}/"
        rows.append(
            f"<tr><td><a href='{_e(prefix)}report.html'>{_e(m.get('title', folder))}</a></td>"
            f"<td>{_e(', '.join(m.get('venues') or []) or 'all venues')}</td><td>{_e(m.get('axis'))}</td>"
            f"<td>{_e(m.get('freq'))}</td><td>{_e(m.get('n_papers', ''))}</td><td>{_e(m.get('n_periods', ''))}</td>"
            f"<td>{_e(m.get('generated_at', ''))}</td>"
            f"<td><a href='{_e(prefix)}series/papers.csv'>papers.csv</a></td></tr>"
        )  # fmt: skip
    body = ("<table><tr><th>report</th><th>venues</th><th>axis</th><th>frequency</th><th>papers counted</th>"
            "<th>periods</th><th>written (UTC)</th><th>per-paper table</th></tr>" + "".join(rows) + "</table>"
            if rows else "<p>No reports yet: run <code>papertrends report</code>.</p>")  # fmt: skip
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>papertrends reports</title>"
            "<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}"
            "table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:3px 8px}"
            "th{background:#f3f3f3}</style></head><body><h1>papertrends reports</h1>"
            "<p>Each report is a folder named after its selection (venues, axis, frequency).</p>"
            f"{body}</body></html>\n")
    return _write_atomically(root / "index.html", page)


def _write_atomically(path: Path, text: str) -> Path:
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(text, encoding="utf-8")
    staging.replace(path)
    return path


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)
