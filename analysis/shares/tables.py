"""Share tables: which items a series counts and their counts per period (and venue), with plain intervals.

Input is the frame of ``implementation_rows`` (flows/store/queries.py), one row per
(paper, crawlable repository), encoded by :mod:`analysis.shares.implementations`. Output is one row per
(period, [venue,] framework). Pure: DataFrames in, DataFrames out; vectorised so that every series of the report over
300,000 links takes well under two seconds (bench/report_bench.py).

What is counted (``ShareSpec``):

- ``include_ports``: by default only the paper's own code counts (links attributed
  ``official`` or ``contemporaneous``, :mod:`analysis.attribution.attribute`); ``True`` counts
  every linked implementation, later ports and suspect links included.
- ``unit="paper"``: each paper counts once, by :func:`analysis.shares.selection.choose_per_paper`:
  its official link, else its earliest contemporaneous one (with ports: official, then
  decided, then most-starred). Ties share the paper's weight equally (fractional
  counting), so every paper weighs exactly 1.
- ``unit="repo"``: each repository counts once, dated by the earliest of its papers
  (on the ``repo-created`` axis by its own creation date).
- ``unit="implementation"``: each (paper, repository) link counts 1 -- what Papers
  with Code's own Trends chart counted (the report draws it with ``include_ports``).
- ``scope="official"`` keeps only links marked official (unknown counts as not).
- ``base="frameworks"``: shares among items whose code uses a deep-learning
  framework; ``base="all"``: shares of everything, with ``none`` (no DL framework)
  and ``unclassified`` (not crawled, missing, failed) shown as their own series.
- ``view``: label view from :mod:`analysis.classifier.taxonomy` (``full`` or ``pwc``).
- Periods whose total is below ``min_count`` are flagged ``is_thin``.
- A framework counted in some period (of the same venue, in a by-venue table) but not in
  another gets a row there too, with ``n_items`` 0 and an interval from 0 up: not meeting
  a framework among 40 papers bounds its share, it does not prove it 0. Periods that end
  before the framework's first release get no such row (there, 0 is a fact).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.attribution.releases import period_end, released_after
from analysis.catalog.venues import canonical_venue
from analysis.classifier.frameworks import UNCERTAIN_BELOW
from analysis.classifier.taxonomy import NONE, UNCLASSIFIED, fold_labels, order_labels
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.intervals import wilson_bounds
from analysis.shares.periods import period_codes
from analysis.shares.selection import choose_per_paper, first_per_repo

MIN_COUNT = 10
"""Periods with fewer counted items than this are flagged ``is_thin``."""

AXES = ("venue-year", "paper-date", "repo-created")
FREQS = ("year", "quarter", "month")
UNITS = ("paper", "repo", "implementation")
SCOPES = ("all", "official")
BASES = ("frameworks", "all")

ITEM_COLUMNS = ["row", "paper_code", "repo_code", "venue", "period", "label", "weight"]
SHARE_COLUMNS = ["framework", "n_items", "n_total", "share", "share_low", "share_high", "is_thin"]


@dataclass(frozen=True)
class ShareSpec:
    """What a share series counts; see the module docstring for each choice."""

    axis: str = "venue-year"
    freq: str = "year"
    unit: str = "paper"
    scope: str = "all"
    base: str = "frameworks"
    view: str = "full"
    min_count: int = MIN_COUNT
    conference_only: bool = True
    include_ports: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("axis", AXES), ("freq", FREQS), ("unit", UNITS), ("scope", SCOPES),
                              ("base", BASES), ("view", ("full", "pwc"))):  # fmt: skip
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {getattr(self, name)!r}")

    def with_(self, **changes: object) -> ShareSpec:
        return replace(self, **changes)  # type: ignore[arg-type]

    def describe(self) -> str:
        """A chart title fragment that says what is counted."""
        unit = {"paper": "papers (one implementation each)", "repo": "repositories",
                "implementation": "paper implementations"}[self.unit]  # fmt: skip
        scope = "official " if self.scope == "official" else ""
        base = "using a DL framework" if self.base == "frameworks" else "all, incl. none/unclassified"
        axis = {"venue-year": "venue year", "paper-date": f"paper date ({self.freq})",
                "repo-created": f"repo creation ({self.freq})"}[self.axis]  # fmt: skip
        where = "conference " if self.conference_only else ""
        own = ", ports included" if self.include_ports else ", own code only"
        return f"{where}{scope}{unit}{own}, {base}, by {axis}"


# --- items ----------------------------------------------------------------------


def select_items(data: pd.DataFrame | Implementations, spec: ShareSpec = ShareSpec(),
                 venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The weighted items a share series counts: columns ``ITEM_COLUMNS``, fine labels.

    ``period``, ``venue`` and ``label`` are categoricals; ``label`` is the classifier's
    label, ``unclassified`` where there is none. Views and the base are applied later
    by :func:`share_table`, so one selection serves several series.
    """
    data = prepare_implementations(data)
    rows = keep_rows(data, spec, venues)
    weight = np.ones(len(rows))
    if spec.unit == "paper":
        rows, weight = choose_per_paper(data, rows, spec.include_ports)
    period, period_names = period_codes(data, rows, spec.axis, spec.freq)
    keep = period >= 0
    rows, weight, period = rows[keep], weight[keep], period[keep]
    if spec.unit == "repo":
        rows, weight, period = first_per_repo(data, rows, weight, period)
    return pd.DataFrame({
        "row": rows, "paper_code": data.paper[rows], "repo_code": data.repo[rows],
        "venue": pd.Categorical.from_codes(data.venue[rows], categories=list(data.venue_names)),
        "period": pd.Categorical.from_codes(period, categories=period_names, ordered=True),
        "label": pd.Categorical.from_codes(data.label[rows], categories=list(data.label_names)),
        "weight": weight,
    })  # fmt: skip


def keep_rows(data: Implementations, spec: ShareSpec, venues: Sequence[str] | None) -> np.ndarray:
    """Row positions the spec keeps: own code (unless ports count), conference papers, venues, official links."""
    # is_own is all True for a frame without attributions: it cannot tell own code from ports
    keep = np.ones(len(data.paper), dtype=bool) if spec.include_ports else data.is_own.copy()
    if spec.conference_only:
        keep &= data.venue >= 0
    if venues:
        wanted = {(canonical_venue(v) or v).lower() for v in venues}  # NIPS is NeurIPS
        codes = [i for i, name in enumerate(data.venue_names) if name.lower() in wanted]
        keep &= np.isin(data.venue, codes)
    if spec.scope == "official":
        keep &= data.is_official
    return np.flatnonzero(keep)


# --- shares ---------------------------------------------------------------------


def share_table(items: pd.DataFrame, spec: ShareSpec = ShareSpec(), by_venue: bool = False) -> pd.DataFrame:
    """One row per (period, [venue,] framework) with counts, share and Wilson bounds.

    Counts with ``np.bincount`` over the categorical codes: one pass, no hashing.
    """
    labels = fold_labels(items["label"], spec.view)
    label_names = list(labels.cat.categories)
    label = labels.cat.codes.to_numpy()
    period = items["period"].cat.codes.to_numpy().astype(np.int64)
    n_venues = len(items["venue"].cat.categories) + 1 if by_venue else 1
    venue = items["venue"].cat.codes.to_numpy().astype(np.int64) + 1 if by_venue else np.zeros(len(items), np.int64)
    keep = ~np.isin(label, [label_names.index(x) for x in (NONE, UNCLASSIFIED) if x in label_names]) \
        if spec.base == "frameworks" else np.ones(len(items), bool)  # fmt: skip
    group = period[keep] * n_venues + venue[keep]
    key = group * len(label_names) + label[keep]
    sums = np.bincount(key, weights=items["weight"].to_numpy()[keep])
    found = np.flatnonzero(sums > 0)
    totals = np.bincount(group, weights=items["weight"].to_numpy()[keep])
    cells = found // len(label_names)
    table = pd.DataFrame({
        "period": np.asarray(items["period"].cat.categories, dtype=object)[cells // n_venues],
        "venue": np.asarray([None, *items["venue"].cat.categories], dtype=object)[cells % n_venues],
        "framework": np.asarray(label_names, dtype=object)[found % len(label_names)],
        "n_items": sums[found], "n_total": totals[cells],
    })  # fmt: skip
    return _finish_table(_with_zero_rows(table), spec, ["period", "venue"] if by_venue else ["period"])


def _with_zero_rows(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` plus a zero row for each framework its venue (or the whole table) counts in another period,
    where the period ends on or after the framework's first release (or the release is not known)."""
    if table.empty:
        return table
    venue = table["venue"].fillna("")
    seen = pd.DataFrame({"venue": venue, "framework": table["framework"]}).drop_duplicates()
    groups = pd.DataFrame({"period": table["period"], "venue": venue, "n_total": table["n_total"]})
    grid = groups.drop_duplicates(["period", "venue"]).merge(seen, on="venue")
    present = pd.MultiIndex.from_arrays([table["period"], venue, table["framework"]])
    grid = grid[~pd.MultiIndex.from_frame(grid[["period", "venue", "framework"]]).isin(present)]
    ends = grid["period"].map({period: period_end(period) for period in grid["period"].unique()})
    zeros = grid[~released_after(grid["framework"], ends)]
    zeros = zeros.assign(n_items=0.0, venue=zeros["venue"].where(zeros["venue"] != "", None))
    if zeros.empty:
        return table
    return pd.concat([table, zeros[list(table.columns)]], ignore_index=True)


def _finish_table(table: pd.DataFrame, spec: ShareSpec, keys: list[str]) -> pd.DataFrame:
    table["share"] = table["n_items"] / table["n_total"]
    low, high = wilson_bounds(table["n_items"].to_numpy(float), table["n_total"].to_numpy(float))
    table["share_low"], table["share_high"] = low, high
    table["is_thin"] = table["n_total"] < spec.min_count
    rank = {lab: i for i, lab in enumerate(order_labels(table["framework"].unique()))}
    order = table.assign(_rank=table["framework"].map(rank)).sort_values([*keys, "_rank"], kind="stable")
    return order[[*keys, *SHARE_COLUMNS]].reset_index(drop=True)


def framework_shares(frame: pd.DataFrame | Implementations, spec: ShareSpec = ShareSpec(), by_venue: bool = False,
                     venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Share of each framework per period (and venue) for one spec: select, then tabulate."""
    return share_table(select_items(frame, spec, venues), spec, by_venue=by_venue)


def period_totals(shares: pd.DataFrame) -> pd.Series:
    """Counted items per period (the denominator), indexed by period, sorted."""
    if shares.empty:
        return pd.Series(dtype=float)
    return shares.groupby("period")["n_total"].first().sort_index()


# --- reading the series ---------------------------------------------------------


def items_behind(frame: pd.DataFrame | Implementations, spec: ShareSpec, period: str, framework: str,
                 venue: str | None = None) -> pd.DataFrame:  # fmt: skip
    """The papers and repositories behind one number of a share table, with their weights.

    ``framework`` is in the spec's view (``tensorflow`` in the ``pwc`` view also
    finds Keras repositories). The sum of ``weight`` equals that row's ``n_items``.
    """
    data = prepare_implementations(frame)
    items = select_items(data, spec)
    mask = (items["period"] == period) & (fold_labels(items["label"], spec.view) == framework)
    if venue is not None:
        mask &= items["venue"] == (canonical_venue(venue) or venue)
    picked = items[mask.to_numpy()]
    detail = ["paper_id", "repo_key", "title", "venue", "year", "is_official", "n_stars", "confidence"]
    rows = data.frame.iloc[picked["row"].to_numpy()][detail].reset_index(drop=True)
    return rows.assign(label=picked["label"].astype(object).to_numpy(), weight=picked["weight"].to_numpy(),
                       is_uncertain=(rows["confidence"] < UNCERTAIN_BELOW).to_numpy())  # fmt: skip
