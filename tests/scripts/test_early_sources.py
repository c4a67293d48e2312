"""The early-years source lists kept as data (issue 25): every row parses and names a known venue."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from analysis.catalog.venues import parse_venue

SOURCES = Path(__file__).resolve().parents[2] / "data" / "sample" / "sources"
LINK_COLUMNS = ["title", "venue", "year", "arxiv_id", "repo_url", "raw_code_url", "source", "monorepo"]
LABEL_COLUMNS = ["venue", "year", "repo_url", "authorship_in_list", "source"]
GITHUB_REPO = re.compile(r"^https://github\.com/[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")
LIST_SOURCE = re.compile(r"^[^/@\s]+/[^/@\s]+/\S+@[0-9a-f]{40}$")  # owner/repo/path@commit


def read_tsv(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """Tab-separated, no quoting (titles carry bare double quotes): the format of the shared lists."""
    with (SOURCES / name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return list(reader.fieldnames or []), list(reader)


LINK_FILES = sorted(p.name for p in SOURCES.glob("*.tsv") if not p.name.endswith("-labels.tsv"))


@pytest.mark.parametrize("name", LINK_FILES)
def test_every_link_row_parses_and_its_venue_resolves(name: str) -> None:
    columns, rows = read_tsv(name)
    assert columns == LINK_COLUMNS
    assert rows
    keys = set()
    for row in rows:
        assert None not in row and all(v is not None for v in row.values()), row  # no ragged line
        year = int(row["year"])
        assert 2014 <= year <= 2017, row
        parsed = parse_venue(f"{row['venue']} {year}")
        assert (parsed.venue, parsed.year, parsed.is_workshop) == (row["venue"], year, False), row
        assert GITHUB_REPO.match(row["repo_url"]), row["repo_url"]
        assert row["title"].strip() and LIST_SOURCE.match(row["source"]), row
        assert row["monorepo"] in {"0", "1"}
        assert not row["arxiv_id"] or re.fullmatch(r"\d{4}\.\d{4,5}", row["arxiv_id"]), row["arxiv_id"]
        keys.add((row["venue"], year, row["repo_url"].lower()))
    assert len(keys) == len(rows)  # unique on (venue, year, repository), as the lists were merged


def test_every_authorship_label_names_a_link_row() -> None:
    columns, labels = read_tsv("early-link-labels.tsv")
    assert columns == LABEL_COLUMNS
    links = {(r["venue"], r["year"], r["repo_url"].lower()) for name in LINK_FILES for r in read_tsv(name)[1]}
    for label in labels:
        assert label["authorship_in_list"] in {"official", "unofficial", ""}
        assert (label["venue"], label["year"], label["repo_url"].lower()) in links, label


def test_the_sources_repeat_no_link_of_each_other() -> None:
    """Each file is its own population; a (venue, year, repository) belongs to one of them."""
    seen: dict[tuple[str, str, str], str] = {}
    for name in LINK_FILES:
        for row in read_tsv(name)[1]:
            key = (row["venue"], row["year"], row["repo_url"].lower())
            assert key not in seen, (key, seen.get(key), name)
            seen[key] = name
