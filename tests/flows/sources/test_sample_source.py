"""The bundled-sample source: same seams as the other sources, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sample_factory import SAMPLE_REPOS

from flows.sources.sample import check_sample_dir
from flows.stages.ingest import ingest_sample as load_sample
from flows.store.warehouse import Warehouse

TABLES = ("papers", "links", "repos", "repo_files", "repo_evidence")


def snapshot(wh: Warehouse) -> dict[str, list[tuple[object, ...]]]:
    return {t: wh.con.execute(f"SELECT * EXCLUDE (ingested_at) FROM {t} ORDER BY ALL").fetchall()
            if t in ("papers", "links") else
            wh.con.execute(f"SELECT * EXCLUDE (crawled_at) FROM {t} ORDER BY ALL").fetchall()
            if t == "repos" else wh.con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in TABLES}  # fmt: skip


def test_loading_twice_changes_nothing(warehouse: Warehouse, sample_dir: Path) -> None:
    first = load_sample(warehouse, sample_dir)
    before = snapshot(warehouse)
    assert first["papers"] == len(SAMPLE_REPOS) + 1
    assert load_sample(warehouse, sample_dir) == {"unchanged": 1}  # the same files: nothing loaded again
    assert snapshot(warehouse) == before


def test_sample_rows_land_with_venues_keys_and_statuses(warehouse: Warehouse, sample_dir: Path) -> None:
    load_sample(warehouse, sample_dir)
    assert warehouse.count("papers") == len(SAMPLE_REPOS) + 1
    venues = dict(warehouse.con.execute("SELECT venue, count(*) FROM papers GROUP BY 1").fetchall())
    assert venues["CVPR"] == 3 and venues["ECCV"] == 1
    statuses = dict(warehouse.con.execute("SELECT repo_key, status FROM repos").fetchall())
    assert statuses["test-owner/deleted-repo"] == "missing"
    assert statuses["test-owner/torch-net"] == "ok"


def test_an_incomplete_sample_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "papers.csv").write_text("paper_url\n")
    with pytest.raises(FileNotFoundError, match="links.csv"):
        check_sample_dir(tmp_path)


def test_changed_evidence_is_reloaded_and_unchanged_evidence_is_not(warehouse: Warehouse, sample_dir: Path) -> None:
    import gzip

    load_sample(warehouse, sample_dir)
    warehouse.con.execute("DELETE FROM repo_evidence WHERE module = 'flax'")  # unchanged files: not reloaded
    load_sample(warehouse, sample_dir)
    assert warehouse.scalar("SELECT count(*) FROM repo_evidence WHERE module = 'flax'") == 0
    path = sample_dir / "evidence.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(gzip.compress(("\n".join(lines[:-1]) + "\n").encode()))  # a rebuilt sample drops a row
    load_sample(warehouse, sample_dir)
    assert warehouse.count("repo_evidence") == len(lines) - 2


def test_the_strata_load_and_weight_only_a_warehouse_of_sample_papers(warehouse: Warehouse, sample_dir: Path) -> None:
    from flows.store.queries import sample_strata

    (sample_dir / "strata.csv").write_text("venue,year,n_population,n_drawn\nCVPR,2019,300,3\nECCV,2018,90,1\n")
    load_sample(warehouse, sample_dir)
    strata = sample_strata(warehouse)
    assert strata is not None
    assert sorted(strata[["venue", "n_population"]].itertuples(index=False, name=None)) == [("CVPR", 300),
                                                                                           ("ECCV", 90)]
    from flows.clock import utcnow

    warehouse.upsert("papers", [{"paper_id": "arch-1", "title": "t", "venue": "CVPR", "year": 2019,
                                 "source": "archive", "ingested_at": utcnow()}])  # fmt: skip
    assert sample_strata(warehouse) is None  # the archive is the population: no sample weights


def test_the_cells_and_each_papers_cell_load_and_reach_the_implementations(warehouse: Warehouse,
                                                                          sample_dir: Path) -> None:
    """Issue 25: strata.csv rows are cells (venue, year, source, title); papers.csv says each paper's cell."""
    import csv

    from flows.stages.attribute import current_implementations as implementations
    from flows.store.queries import sample_strata

    papers_csv = sample_dir / "papers.csv"
    with papers_csv.open(newline="") as fh:
        papers = list(csv.DictReader(fh))
    for i, paper in enumerate(papers):
        paper.update(source_stratum="topic" if i == 0 else "conference", title_stratum="dl" if i == 0 else "all")
    with papers_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(papers[0]))
        writer.writeheader()
        writer.writerows(papers)
    (sample_dir / "strata.csv").write_text(
        "venue,year,source_stratum,title_stratum,n_population,n_drawn\n"
        "CVPR,2019,conference,all,300,3\nCVPR,2019,topic,dl,40,1\n")
    load_sample(warehouse, sample_dir)
    strata = sample_strata(warehouse)
    assert strata is not None and len(strata) == 2
    assert set(strata["title_stratum"]) == {"all", "dl"}
    frame = implementations(warehouse)
    cells = {p: (s, t) for p, s, t in frame[["paper_id", "sample_source_stratum", "sample_title_stratum"]].itertuples(
        index=False)}  # the estimator's further stratum keys beside venue and year  # fmt: skip
    assert cells[papers[0]["paper_url"]] == ("topic", "dl")
    assert cells[papers[1]["paper_url"]] == ("conference", "all")
    (sample_dir / "strata.csv").write_text(
        "venue,year,source_stratum,title_stratum,n_population,n_drawn\nCVPR,2019,conference,all,300,3\n")
    load_sample(warehouse, sample_dir)
    assert warehouse.count("sample_strata") == 1  # a cell no longer in the file does not stay behind
