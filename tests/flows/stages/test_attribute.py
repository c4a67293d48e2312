"""Attributing stored links: the bundled sample's named cases, re-runs, status, stale rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.clock import utcnow
from flows.sources.rows import link_row, paper_row, rows_of
from flows.sources.sample import SOURCE, read_csv, repo_row
from flows.stages import attribute
from flows.stages.attribute import attribute_links, current_attributions
from flows.store.queries import implementation_rows
from flows.store.status import format_status, warehouse_status
from flows.store.warehouse import Warehouse

BUNDLED = Path(__file__).resolve().parents[3] / "data" / "sample"


@pytest.fixture(scope="module")
def sample_rows() -> dict[str, list]:
    """The bundled sample's papers, links and repositories as rows (its evidence is not needed here)."""
    return {"papers": rows_of(read_csv(BUNDLED / "papers.csv"), paper_row, SOURCE)[0],
            "links": rows_of(read_csv(BUNDLED / "links.csv"), link_row, SOURCE)[0],
            "repos": [repo_row(r) for r in read_csv(BUNDLED / "repos.csv")]}  # fmt: skip


@pytest.fixture
def sample_wh(sample_rows: dict[str, list]) -> Iterator[Warehouse]:
    """A warehouse of the sample's rows for each test: the tests attribute, re-attribute and blank links, and
    in a random order (pytest-randomly, seed 4135224467) a shared one let the re-run test attribute first."""
    wh = Warehouse(":memory:")
    for table, rows in sample_rows.items():
        wh.upsert(table, rows)
    yield wh
    wh.close()


def words(wh: Warehouse) -> dict[str, str]:
    return dict(wh.con.execute("SELECT repo_key, attribution FROM links").fetchall())


def test_the_sample_readmes_wrong_repositories_are_suspect_and_its_ports_later(sample_wh: Warehouse) -> None:
    counts = attribute_links(sample_wh)
    assert counts["attributed"] == sample_wh.count("links")
    found = words(sample_wh)
    for wrong in ("kamilwo/php_oop", "atanu1982/major-hipaa-survival-guide", "mickydowns/mine_ncaa_rankings",
                  "jacekm-git/betboy"):  # fmt: skip
        assert found[wrong] == "suspect", wrong
    assert found["lidq92/cnniqa"] == "later-port"
    assert found["richzhang/colorization-pytorch"] == "later-port"
    reason = sample_wh.scalar("SELECT attribution_reason FROM links WHERE repo_key = 'lidq92/cnniqa'")
    assert reason == "its code starts 2018-04, after the window 2013-01..2015-06"


def test_a_rerun_attributes_nothing_until_rules_or_facts_change(sample_wh: Warehouse,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    attribute_links(sample_wh)
    assert attribute_links(sample_wh) == {"attributed": 0}
    sample_wh.con.execute("UPDATE repos SET crawled_at = ? WHERE repo_key = 'lidq92/cnniqa'", [utcnow()])
    assert attribute_links(sample_wh)["attributed"] == 1  # its repository was crawled again
    monkeypatch.setattr(attribute, "ATTRIBUTION_VERSION", "test-next")
    assert attribute_links(sample_wh)["attributed"] == sample_wh.count("links")  # new rules: every link, no crawl
    assert sample_wh.scalar("SELECT count(DISTINCT attribution_version) FROM links") == 1


def test_status_counts_links_by_attribution(sample_wh: Warehouse) -> None:
    attribute_links(sample_wh, force=True)
    status = warehouse_status(sample_wh)
    assert sum(status["by_attribution"].values()) == status["links"]
    assert set(status["by_attribution"]) <= {"official", "contemporaneous", "later-port", "suspect", "unknown"}
    assert "by attribution    contemporaneous " in format_status(status)


def test_readers_see_current_attributions_even_before_a_refresh_stores_them(sample_wh: Warehouse) -> None:
    attribute_links(sample_wh, force=True)
    stored = implementation_rows(sample_wh, "any")
    sample_wh.con.execute("UPDATE links SET attribution = NULL, attribution_version = NULL")
    fresh = current_attributions(sample_wh, implementation_rows(sample_wh, "any"))
    assert fresh["attribution"].tolist() == stored["attribution"].tolist()
    assert fresh["attribution_reason"].tolist() == stored["attribution_reason"].tolist()
