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
from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.clock import utcnow
from flows.store import attribution as store
from flows.store.queries import implementation_rows, with_sample_cells
from flows.store.warehouse import Warehouse


def link_facts(wh: Warehouse, stale_only: bool = False, paper_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per link with the paper's and repository's facts, paper dates filled in (see
    :func:`flows.store.attribution.link_facts`)."""
    return fill_paper_dates(store.link_facts(wh, ATTRIBUTION_VERSION, stale_only, paper_ids))


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
    store.store_attributions(wh, table)
    counts: dict[str, Any] = {"attributed": len(table)}
    counts.update({f"attribution_{k}": int(v) for k, v in table["attribution"].value_counts().sort_index().items()})
    return counts


FEW_PAPERS = 10_000
"""Up to this many papers, :func:`current_attributions` works out only theirs."""


def current_attributions(wh: Warehouse, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of :func:`flows.store.queries.implementation_rows`) with every attribution current.

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


def current_implementations(wh: Warehouse) -> pd.DataFrame:
    """One row per (paper, crawlable repository) at the current classifier version, what every reader charts.

    With current attributions (worked out in memory where the stored ones are stale)
    and every paper's date (``paper_date``: the source's, else from its arXiv id or its
    conference's dates), so the ``paper-date`` axis has papers whose source gave a year only.
    """
    frame = fill_paper_dates(current_attributions(wh, implementation_rows(wh, CLASSIFIER_VERSION)))
    return with_sample_cells(wh, frame)
