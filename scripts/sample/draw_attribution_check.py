"""Draw the links for the hand check of attribution, with the facts a reader judges them by.

Seeded and reproducible: sorts the sample's links by (paper_url, repo_url), then
``random.Random(SEED).sample`` picks N of them. Prints one tab-separated row per
link: the paper (venue, year, title), the repository (name, status, first and last
commit, files, evidence files, README title, language) and the pipeline's attribution
with its reason, computed from the committed CSVs exactly as the warehouse does
(``flows.stages.attribute`` over the same facts). Standard library plus ``analysis``.

    python3 scripts/sample/draw_attribution_check.py [N] > /tmp/draw.tsv
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from analysis.attribution.attribute import attribute_rows  # noqa: E402
from analysis.attribution.paper_dates import conference_span, paper_date  # noqa: E402
from analysis.catalog.venues import parse_venue  # noqa: E402

SEED = 20261201
SAMPLE = ROOT / "data" / "sample"


def _when(text: str) -> date | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date() if text else None


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def link_rows() -> list[dict[str, object]]:
    """Every sample link with the facts attribution reads, in a fixed order."""
    papers = {r["paper_url"]: r for r in _read(SAMPLE / "papers.csv")}
    repos = {r["repo_url"].lower(): r for r in _read(SAMPLE / "repos.csv")}
    rows = []
    for link in _read(SAMPLE / "links.csv"):
        paper, repo = papers[link["paper_url"]], repos.get(link["repo_url"].lower(), {})
        venue = parse_venue(paper["proceeding"])
        when, _ = paper_date(None, paper["arxiv_id"] or None, venue.venue, venue.year)
        span = conference_span(venue.venue, venue.year)
        rows.append({
            "paper_url": link["paper_url"], "repo_url": link["repo_url"], "is_official": None,
            "title": paper["title"], "venue": venue.venue, "year": venue.year, "paper_date": when,
            "venue_end": span[1] if span else None, "full_name": repo.get("full_name") or None,
            "repo_status": repo.get("status") or None, "created_at": None,
            "first_commit_at": _when(repo.get("first_commit_at", "")),
            "last_commit_at": _when(repo.get("last_commit_at", "")), "description": None,
            "readme_title": repo.get("readme_title") or None, "language": repo.get("language") or None,
            "n_files": int(repo["n_files"]) if repo.get("n_files") else None,
            "n_evidence_files": int(repo["n_evidence_files"]) if repo.get("n_evidence_files") else None,
        })  # fmt: skip
    return sorted(rows, key=lambda r: (str(r["paper_url"]), str(r["repo_url"])))


def main(n: int = 60) -> None:
    rows = random.Random(SEED).sample(link_rows(), n)
    words = attribute_rows(rows)
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["i", "venue", "year", "title", "repo", "status", "first_commit", "last_commit", "n_files",
                  "n_evidence", "readme_title", "language", "attribution", "reason"])  # fmt: skip
    for i, (row, (word, reason)) in enumerate(zip(rows, words, strict=True), 1):
        out.writerow([i, row["venue"], row["year"], row["title"], row["full_name"] or row["repo_url"],
                      row["repo_status"], row["first_commit_at"], row["last_commit_at"], row["n_files"],
                      row["n_evidence_files"], row["readme_title"], row["language"], word, reason])  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
