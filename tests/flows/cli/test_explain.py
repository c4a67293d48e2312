"""``papertrends explain`` on the test sample: a repository, a paper with several links, unknown keys."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_factory import write_sample

from flows.cli.commands import EXIT_FAILURE, EXIT_OK
from flows.cli.explain import explain_key
from flows.cli.main import main
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse

PAPER = "sample://cvpr-2019/test-paper-4"  # CVPR 2019, linked to test-owner/torch-net in the factory
REPO = "test-owner/torch-net-2"  # the factory links it to test-paper-5; added below to test-paper-4 as official


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        fields = list(csv.DictReader(fh).fieldnames or [])
    with opener(path, "at", encoding="utf-8", newline="") as fh:  # type: ignore[operator]
        csv.DictWriter(fh, fieldnames=fields).writerows(rows)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The test sample, with one paper given three links and one repository a weak import."""
    from flows.stages.classify import classify_stored
    from flows.stages.ingest import ingest_sample as load_sample

    folder = write_sample(tmp_path_factory.mktemp("sample"))
    link = {"paper_url": PAPER, "paper_title": "Test paper 4", "paper_arxiv_id": "", "mentioned_in_paper": "",
            "mentioned_in_github": "", "framework": ""}  # fmt: skip
    _append(folder / "links.csv", [
        {**link, "repo_url": f"https://github.com/{REPO}", "is_official": "True"},
        {**link, "repo_url": "https://github.com/test-owner/jax-net", "is_official": "False"},
        {**link, "repo_url": "https://gitlab.com/someone/port", "is_official": "False"},  # not crawlable
    ])  # fmt: skip
    # An optional import: stored as weak evidence, counted a quarter.
    _append(folder / "evidence.csv.gz", [{"repo_key": REPO, "path": "data.py", "kind": "python",
                                          "module": "torch", "is_weak": "true"}])  # fmt: skip
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        load_sample(wh, folder)
        classify_stored(wh)
    yield str(path)


def _explain(db: str, key: str, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["explain", key, "--db", db, "--json"]) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def test_a_repository_shows_its_label_evidence_crawl_and_papers(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = _explain(db, "Test-Owner/Torch-Net-2", capsys)
    assert result["kind"] == "repository" and result["repo_key"] == REPO
    assert result["url"] == f"https://github.com/{REPO}"
    assert result["classification"]["framework"] == "pytorch" and result["classification"]["is_current"]
    assert result["classification"]["scores"]["pytorch"] > 0
    decided = {(e["path"], e["is_weak"], e["label"]) for e in result["evidence"]}
    assert decided == {("net.py", False, "pytorch"), ("data.py", True, "pytorch")}
    assert result["modules"]["framework"] == [
        {"module": "torch", "label": "pytorch", "kinds": ["python"], "n_files": 2, "n_weak": 1}
    ]
    assert result["crawl"]["status"] == "ok" and result["crawl"]["first_commit_at"].startswith("2018-06-01")
    papers = {p["paper_id"]: p for p in result["papers"]}
    assert set(papers) == {PAPER, "sample://cvpr-2019/test-paper-5"}
    assert papers[PAPER]["is_official"] is True
    assert {p["counted_weight"] for p in papers.values()} == {1.0}  # the shares count it for both papers
    assert papers[PAPER]["attribution"] == "official"
    assert papers[PAPER]["why"] == "counted: its source marks it official"
    assert papers["sample://cvpr-2019/test-paper-5"]["attribution"] == "contemporaneous"

    assert main(["explain", REPO, "--db", db]) == EXIT_OK
    text = capsys.readouterr().out
    assert "label       pytorch" in text and "data.py: torch (python, weak) -> pytorch" in text
    assert "torch -> pytorch: 2 files, 1 weak" in text and "counted: its source marks it official" in text


def test_a_paper_with_several_links_says_which_one_is_counted(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = _explain(db, PAPER, capsys)
    assert (result["kind"], result["venue"], result["year"]) == ("paper", "CVPR", 2019)
    # no date of its own: attribution judges it by CVPR 2019's first day
    assert (result["paper_date"], result["paper_date_from"]) == ("2019-06-16", "conference-dates")
    links = {link["repo_key"] or link["repo_url"]: link for link in result["links"]}
    assert set(links) == {"test-owner/torch-net", REPO, "test-owner/jax-net", "https://gitlab.com/someone/port"}
    assert links["test-owner/jax-net"]["framework"] == "jax" and links["test-owner/jax-net"]["is_official"] is False
    assert links["https://gitlab.com/someone/port"]["skip_reason"]
    # the official link is the one counted, whole
    assert result["counted"] == [{"repo_key": REPO, "framework": "pytorch", "weight": 1.0,
                                  "in_framework_shares": True}]  # fmt: skip
    assert [k for k, link in links.items() if link["counted_weight"]] == [REPO]
    assert result["not_counted_reason"] is None and result["counting_rule"].startswith("Counted: each paper's own code")
    assert links["https://gitlab.com/someone/port"]["why"].startswith("not counted: not a repository that can be")
    assert links["test-owner/torch-net"]["why"] == (
        "not counted: another link of the paper comes first (official, else the earliest)")

    assert main(["explain", PAPER, "--db", db]) == EXIT_OK
    text = capsys.readouterr().out
    assert f"  * {REPO}  pytorch" in text and f"counted     {REPO} as pytorch" in text
    assert "not a repository that can be crawled" in text and text.count("\n  * ") == 1


def test_a_missing_repository_counts_as_unclassified(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = _explain(db, "sample://eccv-2020/test-paper-8", capsys)
    assert result["counted"] == [{"repo_key": "test-owner/deleted-repo", "framework": "unclassified", "weight": 1.0,
                                  "in_framework_shares": False}]  # fmt: skip
    repo = _explain(db, "https://github.com/test-owner/deleted-repo", capsys)
    assert repo["classification"] is None and repo["crawl"]["status"] == "missing"


@pytest.mark.parametrize("key", ["https://github.com/Test-Owner/Torch-Net-2/tree/main/src",
                                 "git@github.com:test-owner/torch-net-2.git", "github.com/test-owner/torch-net-2"])
def test_every_spelling_of_a_repository_finds_it(db: str, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _explain(db, key, capsys)["repo_key"] == REPO


@pytest.mark.parametrize("key", ["nobody/nothing", "sample://cvpr-2019/no-such-paper", "2101.00001",
                                 "https://gitlab.com/nobody/nothing"])
def test_an_unknown_key_exits_1_with_one_line(db: str, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", key, "--db", db]) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith(f"papertrends explain: error: no repository or paper {key!r}")


def test_explain_reads_the_parquet_export_as_it_reads_the_warehouse(db: str, tmp_path: Path) -> None:
    with Warehouse(db, read_only=True) as wh:
        direct = explain_key(wh, PAPER)
        export_tables(wh, tmp_path / "parquet")
    with Warehouse.from_exports(tmp_path / "parquet") as exported:
        via_export = explain_key(exported, PAPER)
    assert json.dumps(via_export, default=str) == json.dumps(direct, default=str)


def test_a_reader_that_stops_early_gets_no_error(db: str) -> None:
    """``papertrends explain X | head``: the closed pipe is not reported as a failure of explain."""
    import shlex
    import subprocess
    import sys

    command = f"{shlex.quote(sys.executable)} -m flows.cli.main explain {REPO} --db {shlex.quote(db)} | true"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[3])  # fmt: skip
    assert result.stderr == ""


def test_explain_works_out_the_attributions_of_its_papers_only(db: str) -> None:
    """A stale attribution is worked out from stored facts at read time: for the asked paper, not for all."""
    from flows.stages.attribute import link_facts

    with Warehouse(db, read_only=True) as wh:
        assert set(link_facts(wh, paper_ids=[PAPER])["paper_id"]) == {PAPER}
        assert len(link_facts(wh, paper_ids=[PAPER])) == 4 < len(link_facts(wh))
