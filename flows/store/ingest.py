"""Named writes and reads for the ingest stage: what sources yield, stored in one shape.

Sources never touch the warehouse: they yield ``papers``/``links`` rows (and, for the
bundled sample, repositories with their evidence); the ingest stage hands them here.
Placeholders (a paper known only from a link, a repository not crawled yet) are
inserted only where no row exists, so they never overwrite what another source or a
crawl stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from flows.clock import utcnow
from flows.store.warehouse import Warehouse

Rows = Sequence[Mapping[str, Any]]


def store_source_rows(wh: Warehouse, *, papers: Rows = (), links: Rows = (), link_papers: Rows = (),
                      pending_repos: Rows = ()) -> dict[str, int]:  # fmt: skip
    """Upsert papers and links; insert placeholder papers and pending repositories where none is stored."""
    return {
        "papers": wh.upsert("papers", papers) if papers else 0,
        "links": wh.upsert("links", links) if links else 0,
        "papers_from_links": wh.insert_new("papers", link_papers) if link_papers else 0,
        "repos_pending_added": wh.insert_new("repos", pending_repos) if pending_repos else 0,
    }


def known_paper_ids(wh: Warehouse, arxiv_ids: Iterable[str]) -> dict[str, str]:
    """arXiv id -> paper_id for papers already stored, from any source, so reruns keep one key."""
    wanted = sorted(set(arxiv_ids))
    if not wanted:
        return {}
    with wh.registered("_known_arxiv", pa.table({"arxiv_id": wanted})):
        rows = wh.con.execute(
            "SELECT p.arxiv_id, min(p.paper_id) FROM papers p JOIN _known_arxiv a USING (arxiv_id) GROUP BY 1"
        ).fetchall()
    return dict(rows)


def merge_catalog_duplicates(wh: Warehouse, archive_source: str, catalog_source: str) -> int:
    """Fold papers the live catalog stored first (``arxiv:<id>``) into the archive's row for that paper.

    The catalog reuses an archive key it finds, but when the catalog ran first the same
    paper arrives from the archive under its Papers with Code URL: two rows, counted twice.
    The archive's key wins (it is the stable one); the catalog's links move over, except
    those the archive already has, and the catalog's paper row goes. Returns papers merged.
    """
    pairs = wh.con.execute(
        "SELECT c.paper_id, min(a.paper_id) FROM papers c JOIN papers a ON a.arxiv_id = c.arxiv_id AND a.source = ? "
        "WHERE c.source = ? AND c.arxiv_id IS NOT NULL GROUP BY 1", [archive_source, catalog_source],
    ).fetchall()  # fmt: skip
    for catalog_id, archive_id in pairs:
        wh.con.execute(
            "DELETE FROM links WHERE paper_id = ? AND repo_url IN (SELECT repo_url FROM links WHERE paper_id = ?)",
            [catalog_id, archive_id],
        )
        wh.con.execute("UPDATE links SET paper_id = ? WHERE paper_id = ?", [archive_id, catalog_id])
        wh.con.execute("DELETE FROM papers WHERE paper_id = ?", [catalog_id])
    return len(pairs)


def loaded_digests(wh: Warehouse, source: str) -> dict[str, str]:
    """The sha256 of each file a file-based source last loaded (``source_files``)."""
    return dict(wh.con.execute("SELECT path, sha256 FROM source_files WHERE source = ?", [source]).fetchall())


def record_loaded_files(wh: Warehouse, source: str, digests: Mapping[str, str]) -> None:
    wh.upsert("source_files", [{"source": source, "path": name, "sha256": digest, "loaded_at": utcnow()}
                               for name, digest in digests.items()])  # fmt: skip


def replace_files_and_evidence(wh: Warehouse, keys: Sequence[str], files: Rows, evidence: Rows) -> None:
    """Swap the file lists and evidence of ``keys`` for these, in bulk (inside the caller's transaction)."""
    with wh.registered("_replaced_keys", pa.table({"repo_key": list(keys)})):
        for table in ("repo_evidence", "repo_files"):
            wh.con.execute(f"DELETE FROM {table} WHERE repo_key IN (SELECT repo_key FROM _replaced_keys)")
    wh.upsert("repo_files", files)
    wh.upsert("repo_evidence", evidence)


def replace_sample_design(wh: Warehouse, strata: Rows, paper_cells: Rows) -> None:
    """The bundled sample's cells (``sample_strata``) and each paper's cell (``sample_papers``), whole:
    a cell or paper no longer in the files must not stay behind."""
    wh.con.execute("DELETE FROM sample_strata")
    wh.upsert("sample_strata", strata)
    wh.con.execute("DELETE FROM sample_papers")
    wh.upsert("sample_papers", paper_cells)
