"""Every series of the report: market share of each framework per period (and venue), with counts and intervals.

What each series counts is :class:`ShareSpec` (:mod:`analysis.shares.tables`, which also
holds the selection and the plain counting); this module puts the report's series
together. With a sample design (:class:`analysis.shares.weights.SampleDesign`; a strata
table means the bundled sample's) the venue-year series' shares and intervals are the
design's estimates of the population it names (:mod:`analysis.shares.estimates`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.classifier.taxonomy import agreement_matrix
from analysis.shares.comparison import compare_published
from analysis.shares.crossovers import crossovers_by_venue, find_crossovers
from analysis.shares.estimates import design_share_table
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.periods import period_labels
from analysis.shares.published import COMPARISON_COLUMNS
from analysis.shares.tables import (
    AXES,
    BASES,
    FREQS,
    ITEM_COLUMNS,
    MIN_COUNT,
    SCOPES,
    SHARE_COLUMNS,
    UNITS,
    ShareSpec,
    framework_shares,
    items_behind,
    keep_rows,
    period_totals,
    select_items,
    share_table,
)
from analysis.shares.weights import SampleDesign

__all__ = [
    "AXES", "BASES", "COMPARISON_COLUMNS", "FREQS", "ITEM_COLUMNS", "MIN_COUNT", "SCOPES", "SHARE_COLUMNS", "UNITS",
    "ShareSpec", "compare_published", "crossovers_by_venue", "find_crossovers", "framework_shares", "items_behind",
    "keep_rows", "period_labels", "period_totals", "report_series", "select_items", "share_table",
]  # fmt: skip


def report_series(frame: pd.DataFrame | Implementations, axis: str = "venue-year", freq: str = "year",
                  venues: Sequence[str] | None = None, min_count: int = MIN_COUNT,
                  strata: SampleDesign | pd.DataFrame | None = None,
                  include_ports: bool = False) -> dict[str, pd.DataFrame]:  # fmt: skip
    """All the series the report shows, from one encoding and three selections.

    Keys: ``shares`` (the headline: papers, DL frameworks), ``shares_by_venue``,
    ``shares_all`` (with none/unclassified), ``shares_pwc`` (PWC's label view),
    ``shares_official``, ``shares_repo``, ``shares_implementation`` (PWC's counting),
    ``crossovers``, ``crossovers_by_venue``, ``published`` and ``agreement``.
    ``strata``: a sample design (or the bundled sample's strata table): the paper series
    on the venue-year axis, all venues and per venue, and the published comparison are
    then the design's estimates, with a ``response_rate`` column.
    """
    data = prepare_implementations(frame)
    spec = ShareSpec(axis=axis, freq=freq, min_count=min_count, include_ports=include_ports)
    papers = select_items(data, spec, venues)
    series = {
        "shares": design_share_table(data, papers, spec, strata, venues=venues),
        "shares_by_venue": design_share_table(data, papers, spec, strata, by_venue=True, venues=venues),
        "shares_all": design_share_table(data, papers, spec.with_(base="all"), strata, venues=venues),
        "shares_pwc": design_share_table(data, papers, spec.with_(view="pwc"), strata, venues=venues),
    }
    pwc_counting = spec.with_(unit="implementation", view="pwc", include_ports=True)  # every link, as PWC counted
    for unit_or_scope, variant in (("official", spec.with_(scope="official")), ("repo", spec.with_(unit="repo")),
                                   ("implementation", pwc_counting)):  # fmt: skip
        series[f"shares_{unit_or_scope}"] = share_table(select_items(data, variant, venues), variant)
    series["crossovers"] = find_crossovers(series["shares"])
    series["crossovers_by_venue"] = crossovers_by_venue(series["shares_by_venue"])
    series["published"] = compare_published(data, min_count, venues, strata, include_ports)
    chosen = keep_rows(data, ShareSpec(conference_only=False, include_ports=True), venues)
    series["agreement"] = agreement_matrix(data.frame.iloc[chosen], repo_codes=data.repo[chosen])
    return series
