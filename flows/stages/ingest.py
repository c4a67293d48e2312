"""The ingest stage: what each source yields, stored through the warehouse's named writes.

Sources (flows/sources/) read and convert; only this stage and the store write. The
sample is one transaction, the archive one transaction for all its files (a truncated
file leaves the warehouse as it was), the live catalog one transaction per venue
edition (an interrupted run keeps the editions it finished).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flows.settings import SAMPLE_DIR, Settings
from flows.sources import pwc_api, pwc_archive, sample
from flows.sources.http import HttpClient
from flows.sources.rows import SourceBatch, pending_repo_rows
from flows.stopping import pause_point
from flows.store import ingest as store
from flows.store.warehouse import Warehouse

WHOLE_SAMPLE = "sample-files"
"""``source_files.source`` of the digests of every sample file (the evidence files' own are ``sample``)."""


def ingest_sample(wh: Warehouse, sample_dir: Path = SAMPLE_DIR) -> dict[str, int]:
    """Store the bundled sample's papers, links, repositories and evidence; idempotent.

    A sample whose files this warehouse already loaded (same digests, same loader) is not
    loaded again: rewriting its rows would only make every link look changed to attribution.
    """
    sample.check_sample_dir(sample_dir)
    whole = sample.sample_digests(sample_dir)
    if whole == store.loaded_digests(wh, WHOLE_SAMPLE):
        return {"unchanged": 1}
    rows = sample.read_sample(sample_dir)
    with wh.transaction():
        store.store_source_rows(wh, papers=rows.papers, links=rows.links,
                                pending_repos=pending_repo_rows(rows.links, sample.SOURCE))  # fmt: skip
        dropped = store.drop_source_leftovers(wh, sample.SOURCE, rows.papers, rows.links)  # a row a new draw left
        wh.upsert("repos", rows.repos)
        store.replace_sample_design(wh, rows.strata, rows.paper_cells)
        if rows.digests != store.loaded_digests(wh, sample.SOURCE):  # 200k evidence rows: only when they changed
            keys = sorted({r["repo_key"] for r in rows.repos})
            store.replace_files_and_evidence(wh, keys, rows.files(), rows.evidence())
            store.record_loaded_files(wh, sample.SOURCE, rows.digests)
        store.record_loaded_files(wh, WHOLE_SAMPLE, whole)
    return {
        "papers": len(rows.papers), "links": len(rows.links), "repos": len(rows.repos),
        "skipped_papers": rows.skipped_papers, "skipped_links": rows.skipped_links, **dropped,
    }  # fmt: skip


def ingest_archive(wh: Warehouse, links: str | list[str], papers: str | list[str], settings: Settings | None = None,
                   client: HttpClient | None = None, progress: bool = True) -> dict[str, Any]:  # fmt: skip
    """Store the archive's papers and links (paths or URLs; one or several files each).

    Downloads first (outside the transaction), then one transaction for every write.
    Returns counts: papers and links stored, rows skipped by reason, links kept but not
    crawlable by reason, papers added from links alone, repositories newly pending.
    Re-running with the same files stores the same rows (upserts keyed on paper and URL).
    """
    archive = pwc_archive.open_archive(links, papers, settings or Settings.from_env(), client, progress)
    with wh.transaction():
        for batch in archive.batches():
            archive.tally.add_stored(_store_batch(wh, batch, pwc_archive.SOURCE))
            pause_point("ingest:batch-stored")  # inside the transaction: a kill here must leave nothing
        archive.tally.catalog_papers_merged = store.merge_catalog_duplicates(wh, pwc_archive.SOURCE, pwc_api.SOURCE)
    return archive.tally.counts()


def ingest_catalog(wh: Warehouse, settings: Settings | None = None, venues: list[str] | None = None,
                   since: date | None = None, client: HttpClient | None = None,
                   per_minute: float | None = pwc_api.DEFAULT_PER_MINUTE) -> dict[str, Any]:  # fmt: skip
    """Store the catalog's papers and repositories for the chosen venue editions, one transaction each.

    A paper the warehouse already holds (same arXiv id, any source) keeps its ``paper_id``.
    """
    catalog = pwc_api.open_catalog(settings or Settings.from_env(), venues, since, client, per_minute)
    for batch in catalog.batches(lambda arxiv_ids: store.known_paper_ids(wh, arxiv_ids)):
        with wh.transaction():
            stored = _store_batch(wh, batch, pwc_api.SOURCE)
        catalog.tally["papers"] += stored["papers"]
        catalog.tally["links"] += stored["links"]
        catalog.tally["repos_pending_added"] += stored["repos_pending_added"]
    return catalog.counts()


def _store_batch(wh: Warehouse, batch: SourceBatch, source: str) -> dict[str, int]:
    return store.store_source_rows(wh, papers=batch.papers, links=batch.links, link_papers=batch.link_papers,
                                   pending_repos=pending_repo_rows(batch.links, source))  # fmt: skip
