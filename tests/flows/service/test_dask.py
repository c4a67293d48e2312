"""The crawl and classify batches on a Dask LocalCluster: same warehouse as the default runner."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("prefect_dask", reason="the dask extra: pip install -e '.[dask]'")


@pytest.mark.prefect
def test_dask_runner_stores_what_the_default_runner_stores(prefect_server: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from fakes.github_server import FakeGitHub, make_repos
    from orchestration_helpers import github_env, seed_papers, table_contents

    from flows.crawl import transport as crawl_transport
    from flows.service.runner import run_refresh
    from flows.store.warehouse import Warehouse

    fake = FakeGitHub(make_repos(30))
    fake.start()
    try:
        for key, value in github_env(fake).items():  # LocalCluster workers inherit this environment
            monkeypatch.setenv(key, value)
        contents = {}
        for runner in ("dask", "default"):
            db = tmp_path / f"{runner}.duckdb"
            with Warehouse(db) as wh:
                seed_papers(wh, list(fake.repos.values()))
            outcome = run_refresh(runner=runner, db=str(db), parquet_dir=str(tmp_path / f"pq-{runner}"),
                                  reports_dir=str(tmp_path / f"rep-{runner}"), crawl_batch_size=8,
                                  classify_batch_size=8, reclassify=False)  # fmt: skip
            assert outcome.is_ok, outcome.error
            assert outcome.counts["crawl"]["crawled"] == 30 and outcome.counts["crawl"]["batches"] == 4
            assert outcome.counts["classify"]["classified"] == 30
            with Warehouse(db, read_only=True) as wh:
                contents[runner] = table_contents(wh)
            if runner == "dask":  # the workers crawled: this process never made a GitHub client for the fake
                assert all(key[1] != fake.url for key in crawl_transport._SHARED)
    finally:
        fake.stop()
    assert contents["dask"] == contents["default"]
    assert len(contents["dask"]["repo_evidence"]) > 30
