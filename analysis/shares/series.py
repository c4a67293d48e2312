"""Market share of each framework per period (and venue), with counts and intervals.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.catalog.venues import canonical_venue
from analysis.classifier.frameworks import UNCERTAIN_BELOW
from analysis.classifier.taxonomy import (
    NONE,
    UNCLASSIFIED,
    agreement_matrix,
    fold_labels,
    order_labels,
)
from analysis.shares.crossovers import crossovers_by_venue, find_crossovers  # noqa: F401  (public here too)
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.intervals import wilson_bounds, wilson_interval
from analysis.shares.periods import period_codes, period_labels  # noqa: F401  (period_labels: public here too)
from analysis.shares.published import COMPARISON_COLUMNS, comparison_table, finite_population_n  # noqa: F401
from analysis.shares.selection import choose_per_paper, first_per_repo
from analysis.shares.weights import weight_share_table

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
    items = pd.DataFrame({
        "row": rows, "paper_code": data.paper[rows], "repo_code": data.repo[rows],
        "venue": pd.Categorical.from_codes(data.venue[rows], categories=list(data.venue_names)),
        "period": pd.Categorical.from_codes(period, categories=period_names, ordered=True),
        "label": pd.Categorical.from_codes(data.label[rows], categories=list(data.label_names)),
        "weight": weight,
    })  # fmt: skip
    if "sample_stratum" in data.frame.columns:  # a stratified sample's cell per paper (analysis.shares.weights)
        items["stratum"] = data.frame["sample_stratum"].to_numpy(dtype=object)[rows]
    return items


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
    return _finish_table(table, spec, ["period", "venue"] if by_venue else ["period"])


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


def compare_published(frame: pd.DataFrame | Implementations, min_count: int = MIN_COUNT,
                      venues: Sequence[str] | None = None, strata: pd.DataFrame | None = None,
                      include_ports: bool = False) -> pd.DataFrame:  # fmt: skip
    """Our PyTorch / (PyTorch + TensorFlow) per venue-year beside Horace He's (:mod:`analysis.shares.published`).

    Counted per main-conference paper (workshops excluded, as in the study), Keras
    counted as TensorFlow (the study did too), unweighted: a venue-year is one
    stratum. With ``strata`` (a sample's venue, year, n_population, n_drawn) the
    Wilson interval uses the finite-population effective size n / (1 - n_drawn/N).
    A sample's papers from topic lists (source stratum ``topic``, issue 25) are left
    out: the study counted whole conferences, which the conference-wide lists stand for.
    """
    data = prepare_implementations(frame)
    spec = ShareSpec(axis="venue-year", view="pwc", min_count=0, include_ports=include_ports)
    main = select_items(data, spec, venues)
    main = main[~data.is_workshop[main["row"].to_numpy()]]
    if "stratum" in main.columns:
        main = main[~main["stratum"].astype(str).str.contains("|topic|", regex=False)]
    table = share_table(main, spec, by_venue=True)
    pairs = table[table["framework"].isin(["pytorch", "tensorflow"])]
    wide = pairs.pivot_table(index=["venue", "period"], columns="framework", values="n_items", aggfunc="sum",
                             fill_value=0.0).reindex(columns=["pytorch", "tensorflow"], fill_value=0.0)  # fmt: skip
    counts = pd.DataFrame({"venue": [str(v) for v, _ in wide.index], "year": [int(p) for _, p in wide.index],
                           "n_pytorch": wide["pytorch"].to_numpy(float),
                           "n_tensorflow": wide["tensorflow"].to_numpy(float)})  # fmt: skip
    drawn = {}
    if strata is not None and "n_drawn" in strata:  # a venue-year's conference-list cells summed (issue 25)
        conference = strata[strata["source_stratum"] != "topic"] if "source_stratum" in strata else strata
        per_year = conference.groupby(["venue", "year"], as_index=False)[["n_population", "n_drawn"]].sum()
        drawn = {(str(v), int(y)): (float(d), float(n))
                 for v, y, n, d in per_year[["venue", "year", "n_population", "n_drawn"]].itertuples(index=False)}
    bounds = [(v, y, *_published_bounds(pt, tf, drawn.get((v, y))))
              for v, y, pt, tf in counts.itertuples(index=False)]  # fmt: skip
    keys = {"venue": object, "year": "int64"}  # typed even when empty, so the two frames merge
    bounds_frame = pd.DataFrame(bounds, columns=["venue", "year", "share_low", "share_high"]).astype(keys)
    fractions = {key: n_drawn / n_population for key, (n_drawn, n_population) in drawn.items() if n_population}
    return comparison_table(counts.astype(keys), bounds_frame, min_count, fractions)


def _published_bounds(n_pt: float, n_tf: float, stratum: tuple[float, float] | None) -> tuple[float, float]:
    total = n_pt + n_tf
    n_eff = total if stratum is None else min(finite_population_n(total, *stratum), 1e9)
    return wilson_interval(n_pt / total * n_eff if total else 0.0, n_eff)


# --- every series of the report ---------------------------------------------------


def report_series(frame: pd.DataFrame | Implementations, axis: str = "venue-year", freq: str = "year",
                  venues: Sequence[str] | None = None, min_count: int = MIN_COUNT,
                  strata: pd.DataFrame | None = None,
                  include_ports: bool = False) -> dict[str, pd.DataFrame]:  # fmt: skip
    """All the series the report shows, from one encoding and three selections.

    Keys: ``shares`` (the headline: papers, DL frameworks), ``shares_by_venue``,
    ``shares_all`` (with none/unclassified), ``shares_pwc`` (PWC's label view),
    ``shares_official``, ``shares_repo``, ``shares_implementation`` (PWC's counting),
    ``crossovers``, ``crossovers_by_venue``, ``published`` and ``agreement``.
    ``strata`` (venue, year, n_population) of a stratified sample make the all-venue
    paper shares on the venue-year axis population estimates (:mod:`analysis.shares.weights`).
    """
    data = prepare_implementations(frame)
    spec = ShareSpec(axis=axis, freq=freq, min_count=min_count, include_ports=include_ports)
    papers = select_items(data, spec, venues)
    series = {
        "shares": share_table(papers, spec),
        "shares_by_venue": share_table(papers, spec, by_venue=True),
        "shares_all": share_table(papers, spec.with_(base="all")),
        "shares_pwc": share_table(papers, spec.with_(view="pwc")),
    }
    if axis == "venue-year" and strata is not None:
        for name, variant in (("shares", spec), ("shares_all", spec.with_(base="all")),
                              ("shares_pwc", spec.with_(view="pwc"))):  # fmt: skip
            series[name] = weight_share_table(series[name], papers, variant.view, variant.base, strata)
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
