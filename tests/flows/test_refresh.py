"""The refresh flow: batch helpers as plain functions, then the real flow on a shared Prefect server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from flows.cli.main import main
from flows.clock import utcnow
from flows.report.run_summary import summary_markdown
from flows.stages import classify as batches
from flows.stages.export import publish_exports
from flows.store.parquet import export_tables
from flows.store.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_" + "T0KENthatmustneverleak1234567890"


def _repo(key: str, status: str, crawled_days_ago: float | None = None, source: str = "archive") -> dict:
    crawled = utcnow() - timedelta(days=crawled_days_ago) if crawled_days_ago is not None else None
    return {"repo_key": key, "full_name": key, "status": status, "crawled_at": crawled, "source": source}


# --- choosing and storing batches (no Prefect) ----------------------------------------------


def test_store_outcomes_replaces_files_of_recrawled_repos_only(warehouse: Warehouse) -> None:
    from flows.crawl.driver import CrawlTally
    from flows.crawl.outcomes import Outcome, store_outcomes

    warehouse.upsert("repos", [_repo("a/changed", "ok", 40), _repo("a/same", "ok", 40), _repo("a/bad", "pending")])
    for key in ("a/changed", "a/same"):
        warehouse.replace_repo_files(key, [{"repo_key": key, "path": "old.py", "kind": "python"}],
                                     [{"repo_key": key, "path": "old.py", "module": "theano", "kind": "python"}])
    outcomes = [
        Outcome("a/changed", "crawled", [_repo("a/changed", "ok", 0)], "a/changed",
                [{"repo_key": "a/changed", "path": "new.py", "kind": "python"}],
                [{"repo_key": "a/changed", "path": "new.py", "module": "torch", "kind": "python", "is_weak": False}]),
        Outcome("a/same", "unchanged"),
        Outcome("a/bad", "failed", [{**_repo("a/bad", "failed", 0), "n_attempts": 1}], reason="HTTP 502"),
    ]  # fmt: skip
    store_outcomes(warehouse, outcomes)
    tally = CrawlTally()
    tally.add({"outcomes": outcomes, "quota_left": {}})
    modules = dict(warehouse.con.execute("SELECT repo_key, module FROM repo_evidence ORDER BY 1").fetchall())
    assert modules == {"a/changed": "torch", "a/same": "theano"}
    assert tally.changed == ["a/changed"] and tally.failed_reasons == {"HTTP 502": 1}
    assert tally.kinds == {"crawled": 1, "unchanged": 1, "failed": 1}


def test_classify_batch_matches_the_stored_classifier(warehouse: Warehouse, sample_dir: Path) -> None:
    from flows.stages.classify import classify_stored, repos_to_classify
    from flows.stages.ingest import ingest_sample as load_sample

    load_sample(warehouse, sample_dir)
    keys = repos_to_classify(warehouse)
    rows = batches.classify_batch_rows(batches.evidence_of(warehouse, keys))
    classify_stored(warehouse)
    stored = dict(warehouse.con.execute("SELECT repo_key, framework FROM classifications").fetchall())
    assert {r["repo_key"]: r["framework"] for r in rows} == stored
    assert stored["test-owner/torch-net"] == "pytorch"


def test_the_decision_pool_decides_as_this_process_does(warehouse: Warehouse, sample_dir: Path) -> None:
    from flows.stages.classify import decide_batch, decision_pool, repos_to_classify
    from flows.stages.ingest import ingest_sample as load_sample

    load_sample(warehouse, sample_dir)
    keys = repos_to_classify(warehouse)
    batch = batches.evidence_of(warehouse, keys)
    here = decide_batch(batch)
    with decision_pool(2):
        pooled = decide_batch(batch)
    assert [{**r, "classified_at": None} for r in pooled] == [{**r, "classified_at": None} for r in here]
    assert [r["repo_key"] for r in here] == keys and len(keys) >= 5


@pytest.mark.parametrize("scheme", ["memory", "file"])
def test_publish_exports_to_an_fsspec_url(warehouse: Warehouse, sample_dir: Path, tmp_path: Path, scheme: str) -> None:
    import fsspec
    import pyarrow.parquet as pq

    from flows.stages.ingest import ingest_sample as load_sample

    load_sample(warehouse, sample_dir)
    export_tables(warehouse, tmp_path / "local")
    target = f"memory://bucket-{tmp_path.name}/pt" if scheme == "memory" else (tmp_path / "remote").as_uri()
    publish_exports(tmp_path / "local", target)
    publish_exports(tmp_path / "local", target)  # a second publish replaces, never duplicates
    fs, root = fsspec.core.url_to_fs(target)
    with fs.open(next(p for p in fs.find(f"{root}/papers") if p.endswith(".parquet")), "rb") as fh:
        assert pq.read_table(fh).num_rows > 0
    n_files = len([p for p in fs.find(f"{root}/papers") if p.endswith(".parquet")])
    assert n_files == len(list((tmp_path / "local" / "papers").rglob("*.parquet")))


def test_summary_markdown_has_coverage_shares_and_stages(tmp_path: Path) -> None:
    csv = tmp_path / "shares.csv"
    # the report's series columns (analysis.shares.series.SHARE_COLUMNS), as write_report saves them
    csv.write_text("period,framework,n_items,n_total,share\n2020,pytorch,3,4,0.75\n2020,tensorflow,1,4,0.25\n"
                   "2019,theano,2,2,1.0\n")  # fmt: skip
    status = {"papers": 9, "conference_papers": 9, "links": 9, "repos": 9, "crawled": 8, "failed": 1,
              "classified": 8, "classifier_version": "v1"}  # fmt: skip
    text = summary_markdown(status, {"classify": {"classified": 8}, "report": {"csv": str(csv), "n_periods": 2}})
    assert "| crawled | 8 |" in text
    assert "## Shares, 2020" in text and "| pytorch | 75.0% | 3 |" in text
    assert "| classify | classified 8 |" in text


@pytest.mark.parametrize("argv, message", [
    (["refresh", "--since", "last tuesday"], "YYYY-MM-DD"),
    (["refresh", "--links", "l.parquet"], "go together"),
    (["refresh", "--address", "tcp://h:8786"], "--runner dask"),
    (["refresh", "--sample", "--venue", "CVPR"], "does not combine"),
    (["refresh", "--limit", "-1"], "0 or more"),  # one --limit rule: crawl accepts 0 too
    (["crawl", "--limit", "-1"], "0 or more"),
    (["refresh", "--runner", "spark"], None),        # argparse's own choice check
    (["serve", "--cron", "every day"], "cron"),
])  # fmt: skip
def test_cli_usage_errors_exit_2(argv: list[str], message: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    if message:
        assert message in capsys.readouterr().err


# --- the real flow ------------------------------------------------------------------------------


@pytest.mark.prefect
def test_refresh_flow_on_the_sample(prefect_server: str, sample_dir: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """First run stores and classifies; the second finds nothing new; no token anywhere."""
    from flows.service.runner import run_refresh

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    db = tmp_path / "wh.duckdb"
    paths = {"db": str(db), "parquet_dir": str(tmp_path / "pq"), "reports_dir": str(tmp_path / "rep")}
    first = run_refresh(sample=True, sample_dir=str(sample_dir), **paths)
    assert first.is_ok, first.error
    assert first.counts["classify"]["classified"] == 8
    assert Path(first.counts["report"]["png"]).exists()
    assert (tmp_path / "pq" / "classifications").is_dir()

    second = run_refresh(sample=True, sample_dir=str(sample_dir), **paths)
    assert second.is_ok and second.counts["classify"]["classified"] == 0  # incremental: nothing undecided

    with Warehouse(db, read_only=True) as wh:
        runs = wh.query("SELECT run_id, status, counts FROM runs ORDER BY started_at")
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert runs[0]["run_id"] == first.run_id and json.loads(runs[0]["counts"])["classify"]["classified"] == 8
    _assert_artifacts(prefect_server, first.run_id)
    _assert_logs_and_no_results(prefect_server, first.run_id)
    _assert_no_token(prefect_server, first.run_id, [db, Path(os.environ["PREFECT_HOME"])])


def _assert_artifacts(api: str, run_id: str | None) -> None:
    import requests

    body = {"artifacts": {"flow_run_id": {"any_": [run_id]}}}
    artifacts = requests.post(f"{api}/artifacts/filter", json=body, timeout=10).json()
    by_key = {a["key"]: a["data"] for a in artifacts}
    assert "## Coverage" in by_key["refresh-summary"] and "## Shares, 2021" in by_key["refresh-summary"]
    shares = json.loads(by_key["refresh-shares"])  # a table the UI renders, not a file:// link dead elsewhere
    assert shares and {row["period"] for row in shares} == {"2021"} and abs(sum(r["share"] for r in shares) - 1) < 0.01
    assert "file://" not in json.dumps(by_key)


def _assert_logs_and_no_results(api: str, run_id: str | None) -> None:
    """papertrends' own lines reach the run's log; nothing is persisted in PREFECT_HOME for it."""
    import requests

    logs = requests.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=10).json()
    assert any("classify_batch: batch 1 stored (8 item(s))" in log["message"] for log in logs), logs
    storage = Path(os.environ["PREFECT_HOME"]) / "storage"
    assert not storage.exists() or not any(storage.iterdir())


def _assert_no_token(api: str, run_id: str | None, places: list[Path]) -> None:
    import requests

    run = requests.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
    assert TOKEN not in json.dumps(run["parameters"])
    logs = requests.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}}}, timeout=10).json()
    assert logs and TOKEN not in json.dumps(logs)
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]
        assert not [f for f in files if TOKEN.encode() in f.read_bytes()]


@pytest.mark.prefect
def test_cli_refresh_prints_a_summary_and_keeps_prefect_quiet(prefect_server: str, sample_dir: Path,
                                                              tmp_path: Path) -> None:  # fmt: skip
    db = tmp_path / "wh.duckdb"
    proc = subprocess.run(
        [sys.executable, "-c", "from flows.cli.main import entrypoint; entrypoint()", "refresh", "--sample",
         "--sample-dir", str(sample_dir), "--db", str(db), "--parquet", str(tmp_path / "pq"), "--no-progress"],
        capture_output=True, text=True, timeout=180, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PAPERTRENDS_DATA_DIR": str(tmp_path / "data"),
             "COLUMNS": "200"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "papertrends refresh" in proc.stdout and "classified 8" in proc.stdout
    for noise in ("Flow run", "Task run", "Finished in state", "View at"):
        assert noise not in proc.stdout + proc.stderr


@pytest.fixture
def fake_github(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a FakeGitHub
    from fakes.github_server import FakeGitHub, make_repos
    from orchestration_helpers import github_env

    fake = FakeGitHub(make_repos(24))
    fake.start()
    for key, value in github_env(fake).items():
        monkeypatch.setenv(key, value)
    yield fake
    fake.stop()


@pytest.mark.prefect
def test_refresh_crawls_new_repos_then_only_changed_ones(prefect_server: str, fake_github,  # noqa: ANN001
                                                         tmp_path: Path) -> None:  # fmt: skip
    """Archive -> crawl -> classify; a rerun sends nothing; a month later only the changed repo is re-read."""
    from fakes.pwc_files import link, paper, write_parquet
    from orchestration_helpers import n_requests

    from flows.service.runner import run_refresh

    repos = list(fake_github.repos.values())
    archive = {  # the PWC archive's two files, one CVPR paper per fake repository
        "papers": str(write_parquet(tmp_path / "papers.parquet",
                                    [paper(f"p{i}", f"CVPR {2015 + i % 10}") for i in range(len(repos))])),
        "links": str(write_parquet(tmp_path / "links.parquet",
                                   [link(f"p{i}", f"https://github.com/{r.full_name}") for i, r in enumerate(repos)])),
    }  # fmt: skip
    db = tmp_path / "wh.duckdb"
    paths = {"db": str(db), "parquet_dir": str(tmp_path / "pq"), "reports_dir": str(tmp_path / "rep"),
             "crawl_batch_size": 10}  # fmt: skip
    first = run_refresh(**archive, **paths)
    assert first.is_ok, first.error
    assert first.counts["ingest"]["archive"]["papers"] == 24
    assert first.counts["crawl"]["crawled"] == 24 and first.counts["crawl"]["batches"] == 3
    assert first.counts["classify"]["classified"] == 24

    before = n_requests(fake_github)
    second = run_refresh(**paths)
    assert second.is_ok and second.counts["crawl"]["selected"] == 0
    assert n_requests(fake_github) == before  # no network work at all for unchanged repositories

    changed = next(iter(fake_github.repos.values()))
    fake_github.push(changed.full_name, "model.py", b"import jax\nimport flax\n")
    with Warehouse(db) as wh:  # a month passes: every repository is due for a (conditional) check
        wh.con.execute("UPDATE repos SET crawled_at = crawled_at - INTERVAL 40 DAY, "
                       "next_check_at = next_check_at - INTERVAL 40 DAY")
    quota_before, raw_before = fake_github.quota_used, fake_github.counts["raw"]
    third = run_refresh(**paths)
    assert third.is_ok, third.error
    assert third.counts["crawl"]["selected"] == 24
    assert third.counts["crawl"]["unchanged"] == 23 and third.counts["crawl"]["crawled"] == 1
    assert fake_github.counts["not_modified"] >= 23  # the unchanged ones cost free 304s
    assert fake_github.quota_used - quota_before <= 2 and fake_github.counts["raw"] > raw_before
    assert third.counts["classify"]["classified"] == 1
    with Warehouse(db, read_only=True) as wh:
        modules = {r[0] for r in wh.con.execute("SELECT module FROM repo_evidence WHERE repo_key = ?",
                                                 [changed.full_name.lower()]).fetchall()}  # fmt: skip
    assert "jax" in modules or "flax" in modules


@pytest.mark.prefect
def test_refresh_reads_the_live_catalog_then_crawls_what_it_linked(
    prefect_server: str, fake_github, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    """--venue reaches the catalog inside the flow; a rerun stores the same rows once."""
    from fakes.catalog_server import CatalogState, serve_catalog

    from flows.service.runner import run_refresh

    repos = sorted(fake_github.repos.values(), key=lambda r: r.full_name)[:3]
    papers = [{"arxiv_id": f"2603.0000{i}", "title": f"Test catalog paper {i}", "conference": "iclr-2026",
               "conference_name": "ICLR 2026", "published": "2026-04-2{i}", "has_official_implementation": True,
               "code_repository_count": 1,
               "repositories": [{"url": f"https://github.com/{r.full_name}", "is_official": True}]}
              for i, r in enumerate(repos)]  # fmt: skip
    papers.append({**papers[0], "arxiv_id": "2603.09999", "conference": "cvpr-2026", "conference_name": "CVPR 2026"})
    conferences = [{"id": 1, "slug": "iclr-2026", "name": "ICLR 2026", "year": 2026, "paper_count": 3},
                   {"id": 2, "slug": "cvpr-2026", "name": "CVPR 2026", "year": 2026, "paper_count": 1}]  # fmt: skip
    paths = {"db": str(tmp_path / "wh.duckdb"), "parquet_dir": str(tmp_path / "pq"),
             "reports_dir": str(tmp_path / "rep")}  # fmt: skip
    with serve_catalog(CatalogState(conferences=conferences, papers=papers)) as (api, state):
        monkeypatch.setenv("PAPERTRENDS_PWC_API_URL", api)
        first = run_refresh(venues=["ICLR"], **paths)
        assert first.is_ok, first.error
        assert first.counts["crawl"]["crawled"] == 3 and first.counts["classify"]["classified"] == 3
        assert not any("cvpr-2026" in r for r in state.requests)  # only the asked venue was read
        second = run_refresh(venues=["ICLR"], **paths)
        assert second.is_ok, second.error
    with Warehouse(paths["db"], read_only=True) as wh:
        assert wh.scalar("SELECT count(*) FROM papers WHERE venue = 'ICLR' AND year = 2026") == 3
        assert wh.scalar("SELECT count(*) FROM links") == 3
        assert wh.scalar("SELECT count(DISTINCT source) FROM papers") == 1


@pytest.mark.prefect
def test_db_elsewhere_keeps_its_exports_and_reports_beside_it(prefect_server: str, sample_dir: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """--db names the warehouse; its Parquet and report never land in the default data folder (README, "Command
    line": outputs beside the warehouse, "so a second warehouse never writes into the first one's folders")."""
    from flows.service.runner import run_refresh

    default = tmp_path / "data"  # the default warehouse's folder, with outputs of its own
    for kind in ("parquet", "reports"):
        (default / kind).mkdir(parents=True)
        (default / kind / "theirs.txt").write_text("the default warehouse's")
    monkeypatch.setenv("PAPERTRENDS_DATA_DIR", str(default))
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "elsewhere" / "w.duckdb"
    outcome = run_refresh(sample=True, sample_dir=str(sample_dir), db=str(db))
    assert outcome.is_ok, outcome.error
    assert sorted(p.relative_to(default).as_posix() for p in default.rglob("*")) == [
        "parquet", "parquet/theirs.txt", "reports", "reports/theirs.txt"]  # fmt: skip
    assert (tmp_path / "elsewhere" / "w-parquet" / "classifications").is_dir()
    assert (tmp_path / "elsewhere" / "w-reports" / "report.html").is_file()
    # a reader of that warehouse finds its outputs in the same place
    (tmp_path / "elsewhere" / "w-reports" / "report.html").unlink()
    assert main(["report", "--db", str(db)]) == 0
    assert (tmp_path / "elsewhere" / "w-reports" / "report.html").is_file()
    assert sorted(p.name for p in (default / "reports").iterdir()) == ["theirs.txt"]


@pytest.mark.prefect
def test_an_unreachable_source_fails_the_command_in_one_line_at_once(
    prefect_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No network: the command says so before Prefect starts; a run started elsewhere fails at its stage's start."""
    from conftest import free_port

    from flows.service.runner import run_refresh

    refused = f"http://127.0.0.1:{free_port()}/api/v1"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "PAPERTRENDS_DATA_DIR": str(tmp_path / "data"),
           "PAPERTRENDS_PWC_API_URL": refused}  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "flows.cli.main", "refresh", "--catalog", "--no-progress"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)  # fmt: skip
    errors = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 1, proc.stderr
    assert len(errors) == 1 and "cannot reach the live catalog (PAPERTRENDS_PWC_API_URL)" in errors[0], proc.stderr
    assert "connection refused" in errors[0]
    assert not (tmp_path / "data").exists()  # checked before anything was opened or started

    # A scheduled run (no CLI in front of it) checks at the start of its stage and gives up at once.
    monkeypatch.setenv("PAPERTRENDS_PWC_API_URL", refused)
    outcome = run_refresh(catalog=True, db=str(tmp_path / "flow" / "wh.duckdb"))
    assert outcome.error and "cannot reach the live catalog" in outcome.error
    with Warehouse(tmp_path / "flow" / "wh.duckdb", read_only=True) as wh:
        # failed by the stage's check, before its task (and its retries) ever started
        assert wh.query("SELECT status, counts FROM runs") == [{"status": "failed", "counts": "{}"}]


@pytest.mark.prefect
def test_a_quota_wait_reaches_the_runs_log_with_its_reset_time(prefect_server: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A scheduled run that waits for GitHub's quota says so in the Prefect UI, with the time it resumes."""
    import requests
    from fakes.github_server import FakeGitHub, make_repos
    from fakes.pwc_files import link, paper, write_parquet
    from orchestration_helpers import github_env

    from flows.service.runner import run_refresh

    fake = FakeGitHub(make_repos(4), rate_limit=6, reset_seconds=1.0)  # spent after 6 requests, back 1 s later
    fake.start()
    try:
        for key, value in github_env(fake).items():
            monkeypatch.setenv(key, value)
        urls = [f"https://github.com/{r.full_name}" for r in fake.repos.values()]
        archive = {
            "papers": str(write_parquet(tmp_path / "papers.parquet", [paper(f"p{i}", "CVPR 2019") for i in range(4)])),
            "links": str(write_parquet(tmp_path / "links.parquet",
                                       [link(f"p{i}", url) for i, url in enumerate(urls)])),
        }  # fmt: skip
        result = run_refresh(**archive, db=str(tmp_path / "wh.duckdb"), parquet_dir=str(tmp_path / "pq"),
                             reports_dir=str(tmp_path / "rep"))  # fmt: skip
    finally:
        fake.stop()
    assert result.is_ok, result.error
    assert result.counts["crawl"]["crawled"] == 4
    body = {"logs": {"flow_run_id": {"any_": [result.run_id]}}}
    # The log handler ships lines in the background: wait for them (the bound is for a stuck run only).
    deadline, waits, messages = time.monotonic() + 180, [], []
    while not waits and time.monotonic() < deadline:
        time.sleep(0.5)
        found = requests.post(f"{prefect_server}/logs/filter", json=body, timeout=10).json()
        messages = [log["message"] for log in found]
        waits = [m for m in messages if "rate limit spent; it resets at" in m]
    assert waits, messages
    assert re.search(r"resets at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", waits[0]), waits
