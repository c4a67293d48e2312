"""Read-only questions a person asks of the warehouse, for the notebook and the report.

Small functions that take an open :class:`~flows.store.warehouse.Warehouse` and return plain
rows or DataFrames; the arithmetic lives in :mod:`analysis.shares.series`. The rows with
current attributions and paper dates are :func:`flows.stages.attribute.current_implementations`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.classifier.frameworks import CLASSIFIER_VERSION, UNCERTAIN_BELOW, is_uncertain
from flows.settings import Settings
from flows.store.schema import PARTITION_BY
from flows.store.status import REPO_STATES
from flows.store.warehouse import Warehouse


def find_warehouse(environ: dict[str, str] | None = None, cwd: Path | None = None) -> Path:
    """Where a reader started anywhere in the checkout (the notebook's kernel runs in notebooks/) finds the warehouse.

    ``PAPERTRENDS_DB`` when set; else ``PAPERTRENDS_DATA_DIR``'s when set; else
    ``data/warehouse.duckdb`` of the nearest folder at or above ``cwd`` holding this
    project's pyproject.toml, else of the checkout this code was installed from.
    """
    env = os.environ if environ is None else environ
    if env.get("PAPERTRENDS_DB"):
        return Path(env["PAPERTRENDS_DB"]).expanduser()
    if env.get("PAPERTRENDS_DATA_DIR"):
        return Settings.from_env(dict(env)).db_path
    here = (cwd or Path.cwd()).resolve()
    own_checkout = Path(__file__).resolve().parents[2]
    for folder in (here, *here.parents, own_checkout):
        if _is_project_root(folder):
            return folder / "data" / "warehouse.duckdb"
    return Settings.from_env(dict(env)).db_path


def _is_project_root(folder: Path) -> bool:
    try:
        return 'name = "papertrends"' in (folder / "pyproject.toml").read_text(encoding="utf-8")
    except OSError:
        return False


def open_warehouse(db: str | Path | None = None) -> Warehouse:
    """The warehouse for a reader that stays open (the notebook), without holding its file.

    ``db`` defaults to :func:`find_warehouse`'s. The Parquet exports the last refresh
    left beside it when there are any (they scale, and a refresh swaps them in whole),
    else an in-memory copy of the file. Either way no lock is kept, so a scheduled
    refresh can open the warehouse while this is open.
    """
    settings = Settings.for_db(db if db is not None else find_warehouse())
    if any((settings.parquet_dir / table).is_dir() for table in PARTITION_BY):
        return Warehouse.from_exports(settings.parquet_dir)
    if not settings.db_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.db_path}: build one with `make demo` (or `papertrends "
                                "refresh --sample`), or name one with PAPERTRENDS_DB")  # fmt: skip
    return Warehouse.snapshot(settings.db_path)


def implementation_rows(wh: Warehouse, classifier_version: str, paper_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (paper, crawlable repository) with both sides' facts, as a DataFrame.

    ``framework`` is NULL where the repository has no decision at this classifier
    version (not crawled, missing, failed); ``repo_created_at`` falls back to the
    first commit of a snapshot where GitHub's creation date is unknown. ``paper_ids``
    narrows it to those papers (``explain`` asks about one, not 300,000).
    """
    return wh.con.execute(
        """
        SELECT l.paper_id, l.repo_url, coalesce(old.renamed_to, l.repo_key) AS repo_key, l.is_official,
               l.pwc_framework, l.attribution, l.attribution_reason, l.attribution_version,
               p.title, p.venue, p.year, p.is_workshop, p.published_date, p.arxiv_id, p.source_list,
               coalesce(r.created_at, r.first_commit_at) AS repo_created_at,
               -- a fork inherits its parent's history: its own code starts when it was created
               CASE WHEN r.is_fork AND r.created_at IS NOT NULL THEN r.created_at
                    ELSE least(r.created_at, r.first_commit_at) END AS code_start_at,
               r.status AS repo_status, r.n_stars, r.is_fork, r.fork_parent,
               c.framework, c.confidence, c.scores
        FROM links l
        JOIN papers p USING (paper_id)
        LEFT JOIN repos old ON old.repo_key = l.repo_key
        -- a renamed repository's facts live under its new key
        LEFT JOIN repos r ON r.repo_key = coalesce(old.renamed_to, l.repo_key)
        LEFT JOIN classifications c ON c.repo_key = r.repo_key AND c.classifier_version = ?
        WHERE l.repo_key IS NOT NULL AND l.skip_reason IS NULL
          AND (?::VARCHAR[] IS NULL OR list_contains(?::VARCHAR[], l.paper_id))  -- 3x an IN (unnest) here
        ORDER BY l.paper_id, l.repo_key
        """,
        [classifier_version, *[None if paper_ids is None else list(paper_ids)] * 2],
    ).df()


SAMPLE_CELL_COLUMNS = ("source_stratum", "title_stratum")
"""A sample paper's cell besides its venue and year (sample_papers' columns)."""


def with_sample_cells(wh: Warehouse, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each sample paper's cell as ``sample_source_stratum`` and ``sample_title_stratum``.

    With the paper's venue and year they are the key of :func:`sample_strata`'s rows; the
    estimator reads every ``sample_<key>`` column as a stratum key
    (:mod:`analysis.shares.estimates`), so a share stratifies by the full cell. NULL for
    papers that are not the sample's; the frame is unchanged when the warehouse has no cells.
    """
    has_table = wh.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sample_papers'")
    if not has_table or not len(frame):
        return frame
    cells = wh.con.execute(f"SELECT paper_id, {', '.join(SAMPLE_CELL_COLUMNS)} FROM sample_papers").df()
    if not len(cells):
        return frame
    merged = frame[["paper_id"]].merge(cells, on="paper_id", how="left")  # paper_id is sample_papers' key
    return frame.assign(**{f"sample_{c}": merged[c].astype(object).where(merged[c].notna(), None).to_numpy()
                           for c in SAMPLE_CELL_COLUMNS})  # fmt: skip


def sample_strata(wh: Warehouse) -> pd.DataFrame | None:
    """The bundled sample's cells (venue, year, source_stratum, title_stratum, n_population, n_drawn).

    Only when they describe the warehouse, i.e. when every conference paper came from
    the sample: once the archive or the live catalog is loaded the warehouse is (close
    to) the population itself, and weighting its counts by the sample's strata would be
    wrong. None otherwise, and for a warehouse (or Parquet export) without the table.
    """
    has_table = wh.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'sample_strata'")
    if not has_table:
        return None
    others = wh.scalar("SELECT count(*) FROM papers WHERE venue IS NOT NULL AND source <> 'sample'")
    strata = wh.con.execute(
        "SELECT venue, year, source_stratum, title_stratum, n_population, n_drawn FROM sample_strata").df()
    return strata if len(strata) and not others else None


def coverage(wh: Warehouse, venues: Sequence[str] | None = None) -> dict[str, int]:
    """How much of the question the warehouse can answer: papers -> code -> crawled -> classified.

    The counts ``papertrends status`` reports (each repository state on its own), plus how
    many papers have any code link. With ``venues`` (canonical names), only those venues'
    papers, their links and the repositories they link to.
    """
    params: list[Any] = [list(venues)] if venues else []
    scope = "WHERE venue IN (SELECT unnest(?::VARCHAR[]))" if venues else ""
    with_scope = (f"WITH p AS (SELECT * FROM papers {scope}), l AS (SELECT * FROM links WHERE paper_id IN "
                  "(SELECT paper_id FROM p)), r AS (SELECT * FROM repos WHERE repo_key IN (SELECT repo_key FROM l))"
                  if venues else
                  "WITH p AS (SELECT * FROM papers), l AS (SELECT * FROM links), r AS (SELECT * FROM repos)")

    def count(sql: str, extra: list[Any] | None = None) -> int:
        return int(wh.scalar(f"{with_scope} {sql}", [*params, *(extra or [])]) or 0)

    by_status = {str(k): int(v) for k, v in wh.con.execute(
        f"{with_scope} SELECT status, count(*) FROM r GROUP BY 1", params).fetchall()}  # fmt: skip
    counts = {
        "papers": count("SELECT count(*) FROM p"),
        "conference_papers": count("SELECT count(*) FROM p WHERE venue IS NOT NULL"),
        "papers_with_code": count("SELECT count(DISTINCT paper_id) FROM l"),
        "conference_papers_with_code": count(
            "SELECT count(DISTINCT l.paper_id) FROM l JOIN p USING (paper_id) WHERE p.venue IS NOT NULL"),
        "links": count("SELECT count(*) FROM l"),
        "links_not_crawlable": count("SELECT count(*) FROM l WHERE skip_reason IS NOT NULL"),
        "repos": count("SELECT count(*) FROM r"),
        "repos_crawled": by_status.get("ok", 0),
        **{f"repos_{state}": by_status.get(state, 0) for state in REPO_STATES if state != "renamed"},
        "repos_classified": count("SELECT count(*) FROM classifications WHERE classifier_version = ? AND repo_key IN "
                                  "(SELECT repo_key FROM r)", [CLASSIFIER_VERSION]),
        "repos_classified_uncertain": count(
            "SELECT count(*) FROM classifications WHERE classifier_version = ? AND confidence < ? AND repo_key IN "
            "(SELECT repo_key FROM r)", [CLASSIFIER_VERSION, UNCERTAIN_BELOW]),
    }  # fmt: skip
    return counts


def venues_held(wh: Warehouse) -> list[str]:
    """The canonical venues of the conference papers the warehouse holds."""
    return [str(v) for (v,) in wh.con.execute(
        "SELECT DISTINCT venue FROM papers WHERE venue IS NOT NULL ORDER BY venue").fetchall()]  # fmt: skip


UNAVAILABLE = ("failed", "missing", "blocked", "disabled")
"""Repository statuses a crawl ends in without the code: failed (retried), or gone from GitHub."""


def unavailable_repos(wh: Warehouse, repo_keys: list[str]) -> list[dict[str, Any]]:
    """The repositories among ``repo_keys`` whose crawl did not get their code, with status and reason.

    A renamed repository is judged by the row of its new name.
    """
    return wh.query(
        "SELECT k.repo_key, coalesce(new.status, r.status) AS status, coalesce(new.status_reason, r.status_reason) "
        "AS status_reason FROM (SELECT unnest(?::VARCHAR[]) AS repo_key) k JOIN repos r USING (repo_key) "
        "LEFT JOIN repos new ON new.repo_key = r.renamed_to "
        "WHERE coalesce(new.status, r.status) IN (SELECT unnest(?::VARCHAR[])) ORDER BY k.repo_key",
        [repo_keys, list(UNAVAILABLE)])  # fmt: skip


def repo_evidence(wh: Warehouse, repo_key: str) -> dict[str, Any]:
    """Everything behind one repository's label: its crawl, the decision, the evidence rows."""
    repo = wh.query("SELECT * FROM repos WHERE repo_key = ?", [repo_key.lower()])
    decision = wh.query(
        "SELECT framework, confidence, scores, reason, evidence, classified_at FROM classifications "
        "WHERE repo_key = ? AND classifier_version = ?", [repo_key.lower(), CLASSIFIER_VERSION])  # fmt: skip
    evidence = wh.query(
        "SELECT path, module, kind, is_weak FROM repo_evidence WHERE repo_key = ? ORDER BY path, module",
        [repo_key.lower()])  # fmt: skip
    papers = wh.query(
        "SELECT p.paper_id, p.title, p.venue, p.year, l.is_official, l.pwc_framework FROM links l "
        "JOIN papers p USING (paper_id) WHERE l.repo_key = ? ORDER BY p.year, p.paper_id",
        [repo_key.lower()])  # fmt: skip
    if decision:
        decision[0]["scores"] = json.loads(decision[0]["scores"] or "{}")
        decision[0]["evidence"] = json.loads(decision[0]["evidence"] or "[]")
        decision[0]["is_uncertain"] = is_uncertain(decision[0]["confidence"])
    return {"repo": repo[0] if repo else None, "decision": decision[0] if decision else None,
            "evidence": pd.DataFrame(evidence, columns=["path", "module", "kind", "is_weak"]),
            "papers": pd.DataFrame(papers)}  # fmt: skip
