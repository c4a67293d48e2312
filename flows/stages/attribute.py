"""Attribute links: is each linked repository the paper's own code? Stored on ``links``.

The decision is :func:`analysis.attribution.attribute.attribute_link`, a pure function of the
link, the paper and the repository's stored facts. A link is attributed again when
the rules change (``ATTRIBUTION_VERSION``) or when its paper or repository changed
after it was attributed (a crawl brought dates), so a refresh re-attributes from
stored facts without crawling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.attribution.attribute import ATTRIBUTION_VERSION, DEFAULT_WINDOW, Window, attribute_rows
from analysis.attribution.paper_dates import fill_paper_dates
from flows.store.warehouse import Warehouse, utcnow

_FACTS_SQL = """
SELECT l.paper_id, l.repo_url, l.is_official, l.attribution_version,
       p.title, p.venue, p.year, p.published_date, p.arxiv_id,
       coalesce(r.full_name, l.repo_key) AS full_name, r.status AS repo_status,
       r.created_at, r.first_commit_at, r.last_commit_at, r.description, r.readme_title, r.language,
       r.n_files, r.n_evidence_files
FROM links l
LEFT JOIN papers p USING (paper_id)
LEFT JOIN repos old ON old.repo_key = l.repo_key
-- a renamed repository's facts live under its new key
LEFT JOIN repos r ON r.repo_key = coalesce(old.renamed_to, l.repo_key)
{where}
ORDER BY l.paper_id, l.repo_url
"""
# Links whose stored attribution is missing, of another version, or older than the facts it used.
_STALE = """(l.attribution IS NULL OR l.attribution_version IS DISTINCT FROM ?
   OR l.attributed_at < p.ingested_at OR l.attributed_at < r.crawled_at)"""


def link_facts(wh: Warehouse, stale_only: bool = False, paper_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per link with the paper's and repository's facts (paper dates filled in).

    ``paper_ids`` narrows it to those papers' links (``explain`` asks about one paper:
    it must not work out the attributions of 300,000).
    """
    conditions = ([_STALE] if stale_only else []) + ([] if paper_ids is None else
                                                     ["l.paper_id IN (SELECT paper_id FROM _fact_papers)"])  # fmt: skip
    sql = _FACTS_SQL.format(where=f"WHERE {' AND '.join(conditions)}" if conditions else "")
    if paper_ids is not None:  # a semi-join on a registered table: fast for one paper or for all of them
        wh.con.register("_fact_papers", pd.DataFrame({"paper_id": list(dict.fromkeys(paper_ids))}, dtype=object))
    try:
        frame = wh.con.execute(sql, [ATTRIBUTION_VERSION] if stale_only else []).df()
    finally:
        if paper_ids is not None:
            wh.con.unregister("_fact_papers")
    return fill_paper_dates(frame)


def attribution_frame(facts: pd.DataFrame, window: Window = DEFAULT_WINDOW) -> pd.DataFrame:
    """``paper_id, repo_url, attribution, attribution_reason`` for each row of :func:`link_facts`."""
    words = attribute_rows(facts.to_dict("records"), window)
    return pd.DataFrame({
        "paper_id": facts["paper_id"].to_numpy(), "repo_url": facts["repo_url"].to_numpy(),
        "attribution": [w for w, _ in words], "attribution_reason": [r for _, r in words],
    })  # fmt: skip


def attribute_links(wh: Warehouse, force: bool = False, window: Window = DEFAULT_WINDOW) -> dict[str, Any]:
    """Attribute every link that needs it (all of them with ``force``); returns counts per word."""
    facts = link_facts(wh, stale_only=not force)
    if facts.empty:
        return {"attributed": 0}
    table = attribution_frame(facts, window).assign(attribution_version=ATTRIBUTION_VERSION, attributed_at=utcnow())
    wh.con.register("_attributions", table)
    try:
        with wh.transaction():
            wh.con.execute("""
                UPDATE links SET attribution = a.attribution, attribution_reason = a.attribution_reason,
                                 attribution_version = a.attribution_version, attributed_at = a.attributed_at
                FROM _attributions a WHERE links.paper_id = a.paper_id AND links.repo_url = a.repo_url
            """)  # fmt: skip
    finally:
        wh.con.unregister("_attributions")
    counts: dict[str, Any] = {"attributed": len(table)}
    counts.update({f"attribution_{k}": int(v) for k, v in table["attribution"].value_counts().sort_index().items()})
    return counts


FEW_PAPERS = 10_000
"""Up to this many papers, :func:`current_attributions` works out only theirs."""


def current_attributions(wh: Warehouse, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of ``Warehouse.implementations``) with every attribution current.

    Rows attributed under an older version, or not yet, are worked out in memory from
    the stored facts (nothing is written: readers may hold a read-only warehouse).
    """
    stale = frame["attribution_version"].ne(ATTRIBUTION_VERSION) | frame["attribution"].isna()
    if not stale.any():
        return frame
    papers = frame.loc[stale.to_numpy(), "paper_id"].unique().tolist()
    # A few papers (explain): only theirs; most of the warehouse (a report): every stale link, no semi-join.
    facts = link_facts(wh, stale_only=True, paper_ids=papers if len(papers) <= FEW_PAPERS else None)
    fresh = attribution_frame(facts).rename(columns={"repo_url": "_repo_url"})
    merged = frame.merge(fresh, how="left", left_on=["paper_id", "repo_url"], right_on=["paper_id", "_repo_url"],
                         suffixes=("", "_now"))  # fmt: skip
    for column in ("attribution", "attribution_reason"):
        merged[column] = merged[column].where(~stale.to_numpy(), merged[f"{column}_now"])
    return merged.drop(columns=["_repo_url", "attribution_now", "attribution_reason_now"])
