"""Named reads and writes of link attribution: the facts a link is judged on, and the words stored.

The rules are :mod:`analysis.attribution.attribute`; the stage is flows/stages/attribute.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from flows.store.warehouse import Warehouse

_FACTS_SQL = """
SELECT l.paper_id, l.repo_url, l.is_official, l.attribution_version,
       p.title, p.venue, p.year, p.published_date, p.arxiv_id,
       coalesce(r.full_name, l.repo_key) AS full_name, r.status AS repo_status,
       r.created_at, r.first_commit_at, r.last_commit_at, r.description, r.readme_title, r.language,
       r.n_files, r.n_evidence_files, r.is_fork
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


def link_facts(wh: Warehouse, version: str, stale_only: bool = False,
               paper_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per link with the paper's and repository's facts; ``stale_only``: those whose
    attribution is missing, of another ``version``, or older than the facts it used.

    ``paper_ids`` narrows it to those papers' links (``explain`` asks about one paper:
    it must not work out the attributions of 300,000).
    """
    conditions = ([_STALE] if stale_only else []) + ([] if paper_ids is None else
                                                     ["l.paper_id IN (SELECT paper_id FROM _fact_papers)"])  # fmt: skip
    sql = _FACTS_SQL.format(where=f"WHERE {' AND '.join(conditions)}" if conditions else "")
    if paper_ids is None:
        return wh.con.execute(sql, [version] if stale_only else []).df()
    # a semi-join on a registered table: fast for one paper or for all of them
    with wh.registered("_fact_papers", pd.DataFrame({"paper_id": list(dict.fromkeys(paper_ids))}, dtype=object)):
        return wh.con.execute(sql, [version] if stale_only else []).df()


def store_attributions(wh: Warehouse, table: pd.DataFrame) -> None:
    """Write ``paper_id, repo_url, attribution, attribution_reason, attribution_version, attributed_at``
    onto the matching links, in one transaction."""
    with wh.registered("_attributions", table), wh.transaction():
        wh.con.execute("""
            UPDATE links SET attribution = a.attribution, attribution_reason = a.attribution_reason,
                             attribution_version = a.attribution_version, attributed_at = a.attributed_at
            FROM _attributions a WHERE links.paper_id = a.paper_id AND links.repo_url = a.repo_url
        """)  # fmt: skip
