"""Our PyTorch / (PyTorch + TensorFlow) per venue-year beside Horace He's, with the gap explained.

Counted per main-conference paper (workshops excluded, as in the study), Keras counted
as TensorFlow (the study did too), from the conference-wide lists only: a sample's
topic-list papers (issue 25) are left out and their cells out of the design. With a
sample design each venue-year's share and interval are the design's
(:mod:`analysis.shares.weights`, by cell): for the bundled sample the venue-year's
papers with code, not the lists' links. The gap to his value is split by
the factors of :mod:`analysis.shares.gap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.shares.estimates import design_units
from analysis.shares.gap import factor_table, paper_factors
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.intervals import wilson_bounds
from analysis.shares.published import comparison_table
from analysis.shares.tables import ShareSpec, select_items
from analysis.shares.weights import SampleDesign, as_design, design_estimates

PAIR = ["pytorch", "tensorflow"]
TOPIC_COLUMN = "sample_source_stratum"
"""The sample's source stratum of each paper (``flows.store.queries.with_sample_cells``)."""
FACT_COLUMNS = ["source_list", "n_stars", "scores"]
"""Per-paper facts the gap's factors read, when the frame has them."""


def compare_published(frame: pd.DataFrame | Implementations, min_count: int = 10,
                      venues: Sequence[str] | None = None, strata: SampleDesign | pd.DataFrame | None = None,
                      include_ports: bool = False) -> pd.DataFrame:  # fmt: skip
    """The comparison (:data:`analysis.shares.published.COMPARISON_COLUMNS`), one row per venue-year he measured."""
    data = prepare_implementations(frame)
    spec = ShareSpec(axis="venue-year", view="pwc", min_count=0, include_ports=include_ports)
    lists = conference_lists(data)
    items = select_items(data, spec, venues)
    kept = ~data.is_workshop[items["row"].to_numpy()] & lists[items["row"].to_numpy()]
    items = items[kept].reset_index(drop=True)
    labels = items["label"].astype(str).map(lambda x: "tensorflow" if x == "keras" else x)
    items = items.assign(label=pd.Categorical(labels))
    pair = items[labels.isin(PAIR).to_numpy()]
    rows = pair["row"].to_numpy()
    facts = data.frame.iloc[rows].reset_index(drop=True)
    counted = pd.DataFrame({"venue": pair["venue"].astype(str).to_numpy(), "year": data.year[rows].astype(int),
                            "weight": pair["weight"].to_numpy(float),
                            "is_pytorch": (pair["label"].astype(str) == "pytorch").to_numpy(float)})  # fmt: skip
    for column in FACT_COLUMNS:
        if column in facts:
            counted[column] = facts[column].to_numpy()
    estimates = _estimates(data, items, counted, spec, _conference_design(as_design(strata)), venues, lists)
    return comparison_table(estimates, factor_table(paper_factors(counted, data.code_start[rows])), min_count)


def conference_lists(data: Implementations) -> np.ndarray:
    """Per row: the paper is not from a sample's topic list (``sample_source_stratum`` ``topic``, issue 25).

    Topic lists of deep-learning work are another population than the study's whole
    conferences, which the conference-wide lists stand for: their papers stay out.
    """
    if TOPIC_COLUMN not in data.frame:
        return np.ones(len(data.paper), dtype=bool)
    return (data.frame[TOPIC_COLUMN].astype(object) != "topic").to_numpy(dtype=bool)


def _conference_design(design: SampleDesign | None) -> SampleDesign | None:
    """The design without its topic-list cells (their papers are not compared)."""
    if design is None or "source_stratum" not in design.strata:
        return design
    return replace(design, strata=design.strata[design.strata["source_stratum"] != "topic"].reset_index(drop=True))


def _estimates(data: Implementations, items: pd.DataFrame, counted: pd.DataFrame, spec: ShareSpec,
               design: SampleDesign | None, venues: Sequence[str] | None,
               allowed: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """venue, year, n_pytorch, n_tensorflow, pytorch_share, share_low, share_high, response_rate."""
    sums = counted.assign(n_pt=counted["weight"] * counted["is_pytorch"]).groupby(["venue", "year"], as_index=False)
    table = sums.agg(n_pytorch=("n_pt", "sum"), n_total=("weight", "sum"))
    table["n_tensorflow"] = table["n_total"] - table["n_pytorch"]
    table["pytorch_share"] = table["n_pytorch"] / table["n_total"]
    low, high = wilson_bounds(table["n_pytorch"].to_numpy(), table["n_total"].to_numpy())
    table["share_low"], table["share_high"], table["response_rate"] = low, high, np.nan
    units = design_units(data, items, spec, venues, by_venue=True, main_only=True,
                         allowed=allowed) if design and len(table) else None
    found = design_estimates(units, design, ["pytorch"], PAIR, "unclassified") if units is not None else None
    if found is not None and len(found):
        found[["year", "venue"]] = pd.DataFrame(found["group"].str.split("|").tolist(), index=found.index)
        found["year"] = found["year"].astype(int)
        table = table.drop(columns=["pytorch_share", "share_low", "share_high", "response_rate"]).merge(
            found.rename(columns={"share": "pytorch_share"})[["venue", "year", "pytorch_share", "share_low",
                                                              "share_high", "response_rate"]],
            on=["venue", "year"], how="left")  # fmt: skip
    return table.drop(columns="n_total")
