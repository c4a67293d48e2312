"""Named reads for ``papertrends explain``: one paper's or one repository's rows, as stored.

What the rows mean (the label's evidence, which link counts) is flows/cli/explain.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.store.warehouse import Warehouse

_REPO_COLUMNS = ("repo_key", "full_name", "status", "status_reason", "renamed_to", "created_at", "pushed_at",
                 "first_commit_at", "last_commit_at", "dates_from", "n_stars", "language", "default_branch",
                 "head_commit", "is_archived", "n_files", "n_evidence_files", "n_attempts", "crawled_at",
                 "source")  # fmt: skip
_PAPER_COLUMNS = ("paper_id", "title", "arxiv_id", "venue", "year", "is_workshop", "proceeding", "conference",
                  "published_date", "source")  # fmt: skip


def paper_exists(wh: Warehouse, paper_id: str) -> bool:
    return bool(wh.scalar("SELECT count(*) FROM papers WHERE paper_id = ?", [paper_id]))


def paper_by_arxiv_id(wh: Warehouse, arxiv_id: str) -> str | None:
    found = wh.scalar("SELECT min(paper_id) FROM papers WHERE arxiv_id = ?", [arxiv_id])
    return str(found) if found else None


def repo_is_known(wh: Warehouse, repo_key: str) -> bool:
    """A repository with a row of its own, or named by a link."""
    return bool(wh.scalar("SELECT (SELECT count(*) FROM repos WHERE repo_key = ?) "
                          "+ (SELECT count(*) FROM links WHERE repo_key = ?)", [repo_key, repo_key]))  # fmt: skip


def link_url_is_known(wh: Warehouse, url: str) -> bool:
    return bool(wh.scalar("SELECT count(*) FROM links WHERE repo_url = ?", [url]))


def repo_facts(wh: Warehouse, repo_key: str) -> dict[str, Any] | None:
    return _one(wh, f"SELECT {', '.join(_REPO_COLUMNS)} FROM repos WHERE repo_key = ?", [repo_key])


def paper_facts(wh: Warehouse, paper_id: str) -> dict[str, Any] | None:
    return _one(wh, f"SELECT {', '.join(_PAPER_COLUMNS)} FROM papers WHERE paper_id = ?", [paper_id])


def latest_decision(wh: Warehouse, repo_key: str, classifier_version: str) -> dict[str, Any] | None:
    """The decision at ``classifier_version``, else the newest stored one."""
    return _one(wh, """
        SELECT framework, confidence, scores, reason, evidence, classifier_version, classified_at
        FROM classifications WHERE repo_key = ?
        ORDER BY classifier_version = ? DESC, classified_at DESC LIMIT 1""", [repo_key, classifier_version])


def evidence_rows(wh: Warehouse, repo_key: str) -> list[tuple[str, str, str, bool]]:
    """(path, module, kind, is_weak) of every stored evidence row of the repository."""
    return wh.con.execute("SELECT path, module, kind, is_weak FROM repo_evidence WHERE repo_key = ?",
                          [repo_key]).fetchall()  # fmt: skip


def file_problems(wh: Warehouse, repo_key: str) -> list[dict[str, Any]]:
    """Files the crawl read only in part or not at all, by path."""
    return wh.query("SELECT path, problem FROM repo_files WHERE repo_key = ? AND problem IS NOT NULL "
                    "ORDER BY path", [repo_key])  # fmt: skip


def repo_links(wh: Warehouse, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Every link to the repository (by key, or by URL for other hosts) with its paper."""
    return wh.query(f"""
        SELECT p.paper_id, p.title, p.venue, p.year, p.published_date, l.repo_url, l.is_official,
               {_attribution_columns(wh)}, l.pwc_framework
        FROM links l JOIN papers p USING (paper_id)
        WHERE list_contains(?::VARCHAR[], l.repo_key) OR list_contains(?::VARCHAR[], l.repo_url)
        ORDER BY p.year NULLS LAST, p.paper_id""", [list(keys), list(keys)])  # fmt: skip


def paper_links(wh: Warehouse, paper_id: str, classifier_version: str) -> list[dict[str, Any]]:
    """A paper's links, official first, each with its repository's crawl and decision at ``classifier_version``."""
    return wh.query(f"""
        SELECT l.repo_url, coalesce(old.renamed_to, l.repo_key) AS repo_key, l.is_official,
               {_attribution_columns(wh)}, l.skip_reason, l.pwc_framework,
               r.status AS repo_status, r.n_stars, coalesce(r.created_at, r.first_commit_at) AS repo_created_at,
               c.framework, c.confidence
        FROM links l
        LEFT JOIN repos old ON old.repo_key = l.repo_key
        LEFT JOIN repos r ON r.repo_key = coalesce(old.renamed_to, l.repo_key)
        LEFT JOIN classifications c ON c.repo_key = r.repo_key AND c.classifier_version = ?
        WHERE l.paper_id = ? ORDER BY l.is_official DESC NULLS LAST, l.repo_url""",
                    [classifier_version, paper_id])  # fmt: skip


def _attribution_columns(wh: Warehouse, alias: str = "l") -> str:
    """links.attribution and its reason, or NULLs for a warehouse (or export) from before migration 6."""
    present = set(wh.columns("links"))
    return ", ".join(f"{alias}.{c}" if c in present else f"NULL::VARCHAR AS {c}"
                     for c in ("attribution", "attribution_reason"))  # fmt: skip


def _one(wh: Warehouse, sql: str, params: Sequence[Any]) -> dict[str, Any] | None:
    rows = wh.query(sql, params)
    return rows[0] if rows else None
