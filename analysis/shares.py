"""Market share of each framework per period (and venue), with counts and intervals.

Input is the frame of ``Warehouse.implementations(version)``: one row per (paper,
crawlable repository). Output is one row per (period, [venue,] framework). Pure:
DataFrames in, DataFrames out; vectorised so that every series of the report over
300,000 links takes well under two seconds (bench/report_bench.py).

What is counted (``ShareSpec``):

- ``unit="paper"``: each paper counts once. Its implementation is chosen by a fixed
  rule: its official implementation(s) if it has any, else all of them; among those,
  the ones with a decision (crawled and classified); among those, the most-starred
  (unknown stars rank below any known count). Ties left after that share the paper's
  weight equally (fractional counting), so every paper weighs exactly 1.
- ``unit="repo"``: each repository counts once, dated by the earliest of its papers
  (on the ``repo-created`` axis by its own creation date).
- ``unit="implementation"``: each (paper, repository) link counts 1 -- what Papers
  with Code's own Trends chart counted.
- ``scope="official"`` keeps only links marked official (unknown counts as not).
- ``base="frameworks"``: shares among items whose code uses a deep-learning
  framework; ``base="all"``: shares of everything, with ``none`` (no DL framework)
  and ``unclassified`` (not crawled, missing, failed) shown as their own series.
- ``view``: label view from :mod:`analysis.taxonomy` (``full`` or ``pwc``).
- Periods whose total is below ``min_count`` are flagged ``is_thin``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from analysis.published import COMPARISON_COLUMNS, comparison_table, finite_population_n  # noqa: F401
from analysis.taxonomy import (
    NONE,
    UNCLASSIFIED,
    agreement_matrix,
    fold_labels,
    order_labels,
)
from analysis.venues import canonical_venue
from analysis.weights import weight_share_table

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
        return f"{where}{scope}{unit}, {base}, by {axis}"


# --- the encoded frame ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Implementations:
    """The implementations frame encoded once as numpy arrays (codes, flags, dates).

    Every series of a report starts from the same rows; hashing the string keys once
    and then counting with ``np.bincount`` is what keeps a full report over 300,000
    links well under two seconds. ``frame`` is kept for drilling down to titles.
    """

    frame: pd.DataFrame
    paper: np.ndarray
    repo: np.ndarray
    venue: np.ndarray  # codes into venue_names, -1 for none
    venue_names: tuple[str, ...]
    year: np.ndarray  # float, NaN when unknown
    published: np.ndarray  # datetime64[D]
    created: np.ndarray  # datetime64[D]
    is_official: np.ndarray
    is_workshop: np.ndarray
    stars: np.ndarray  # float, -1 when unknown
    label: np.ndarray  # codes into label_names; unclassified is a label too
    label_names: tuple[str, ...]
    has_decision: np.ndarray


def prepare_implementations(frame: pd.DataFrame | Implementations) -> Implementations:
    """Encode ``Warehouse.implementations()`` rows once; encoded input is returned as is."""
    if isinstance(frame, Implementations):
        return frame
    venue, venue_names = pd.factorize(frame["venue"])
    label, names = pd.factorize(frame["framework"])  # NULL -> -1, which becomes "unclassified"
    label_names = [*names, UNCLASSIFIED] if UNCLASSIFIED not in set(names) else list(names)
    label = np.where(label < 0, label_names.index(UNCLASSIFIED), label)
    return Implementations(
        frame=frame,
        paper=pd.factorize(frame["paper_id"])[0],
        repo=pd.factorize(frame["repo_key"])[0],
        venue=venue, venue_names=tuple(str(v) for v in venue_names),
        year=pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        published=_days(frame["published_date"]), created=_days(frame["repo_created_at"]),
        is_official=_flag(frame["is_official"]), is_workshop=_flag(frame["is_workshop"]),
        stars=pd.to_numeric(frame["n_stars"], errors="coerce").to_numpy(dtype=float, na_value=-1.0),
        label=label, label_names=tuple(str(v) for v in label_names),
        has_decision=frame["framework"].notna().to_numpy(dtype=bool),
    )  # fmt: skip


def _days(column: pd.Series) -> np.ndarray:
    return pd.to_datetime(column, errors="coerce").to_numpy(dtype="datetime64[D]")


def _flag(column: pd.Series) -> np.ndarray:
    """A nullable boolean column as plain booleans: unknown counts as False (not official, not a workshop)."""
    return column.astype("boolean").fillna(False).to_numpy(dtype=bool)


# --- periods --------------------------------------------------------------------


def period_codes(data: Implementations, rows: np.ndarray, axis: str, freq: str) -> tuple[np.ndarray, list[str]]:
    """Each row's period as a code into sorted labels (``2019``, ``2019Q3``, ``2019-07``); -1 if unknown.

    ``venue-year`` is the conference year whatever ``freq`` says: a venue has one
    edition a year. Labels sort as text in time order.
    """
    if axis == "venue-year":
        year = data.year[rows]
        known = ~np.isnan(year)
        return _codes_to_labels(np.where(known, year, 0).astype(np.int64), known, str)
    dates = (data.published if axis == "paper-date" else data.created)[rows]
    known = ~np.isnat(dates)
    months = dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    year, month = months // 12 + 1970, months % 12 + 1
    if freq == "year":
        return _codes_to_labels(year, known, str)
    if freq == "quarter":
        return _codes_to_labels(year * 10 + (month - 1) // 3 + 1, known, lambda c: f"{c // 10}Q{c % 10}")
    return _codes_to_labels(year * 100 + month, known, lambda c: f"{c // 100}-{c % 100:02d}")


def _codes_to_labels(values: np.ndarray, known: np.ndarray,
                     label: Callable[[int], str]) -> tuple[np.ndarray, list[str]]:  # fmt: skip
    uniques = np.unique(values[known])
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[known] = np.searchsorted(uniques, values[known])
    return codes, [label(int(v)) for v in uniques]


def period_labels(frame: pd.DataFrame, axis: str = "venue-year", freq: str = "year") -> pd.Series:
    """The period label of each row of a raw implementations frame (None where unknown)."""
    data = prepare_implementations(frame)
    codes, labels = period_codes(data, np.arange(len(data.paper)), axis, freq)
    return pd.Series(np.array([*labels, None], dtype=object)[codes], index=frame.index)


# --- items ----------------------------------------------------------------------


def select_items(data: pd.DataFrame | Implementations, spec: ShareSpec = ShareSpec(),
                 venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The weighted items a share series counts: columns ``ITEM_COLUMNS``, fine labels.

    ``period``, ``venue`` and ``label`` are categoricals; ``label`` is the classifier's
    label, ``unclassified`` where there is none. Views and the base are applied later
    by :func:`share_table`, so one selection serves several series.
    """
    data = prepare_implementations(data)
    rows = _filter_rows(data, spec, venues)
    weight = np.ones(len(rows))
    if spec.unit == "paper":
        rows, weight = _one_per_paper(data, rows)
    period, period_names = period_codes(data, rows, spec.axis, spec.freq)
    keep = period >= 0
    rows, weight, period = rows[keep], weight[keep], period[keep]
    if spec.unit == "repo":
        rows, weight, period = _first_per_repo(data, rows, weight, period)
    return pd.DataFrame({
        "row": rows, "paper_code": data.paper[rows], "repo_code": data.repo[rows],
        "venue": pd.Categorical.from_codes(data.venue[rows], categories=list(data.venue_names)),
        "period": pd.Categorical.from_codes(period, categories=period_names, ordered=True),
        "label": pd.Categorical.from_codes(data.label[rows], categories=list(data.label_names)),
        "weight": weight,
    })  # fmt: skip


def _filter_rows(data: Implementations, spec: ShareSpec, venues: Sequence[str] | None) -> np.ndarray:
    """Row positions the spec keeps: conference papers, chosen venues, official links."""
    keep = np.ones(len(data.paper), dtype=bool)
    if spec.conference_only:
        keep &= data.venue >= 0
    if venues:
        wanted = {(canonical_venue(v) or v).lower() for v in venues}  # NIPS is NeurIPS
        codes = [i for i, name in enumerate(data.venue_names) if name.lower() in wanted]
        keep &= np.isin(data.venue, codes)
    if spec.scope == "official":
        keep &= data.is_official
    return np.flatnonzero(keep)


def _one_per_paper(data: Implementations, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each paper's chosen implementation(s) and weights summing to 1 per paper (rule in module doc)."""
    if len(rows) == 0:
        return rows, np.ones(0)
    # One number orders the preferences lexicographically: official, then decided, then stars.
    rank = data.is_official[rows] * 4e9 + data.has_decision[rows] * 2e9 + np.clip(data.stars[rows], -1, 1e9)
    papers = data.paper[rows]
    best = np.full(papers.max() + 1, -np.inf)
    np.maximum.at(best, papers, rank)
    chosen = rank == best[papers]
    ties = np.bincount(papers[chosen])
    return rows[chosen], 1.0 / ties[papers[chosen]]


def _first_per_repo(data: Implementations, rows: np.ndarray, weight: np.ndarray,
                    period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Each repository once, at the earliest period of its papers (ties: first row)."""
    order = np.lexsort((rows, period))
    _, first = np.unique(data.repo[rows[order]], return_index=True)
    pick = np.sort(order[first])
    return rows[pick], weight[pick], period[pick]


# --- shares ---------------------------------------------------------------------


def wilson_interval(successes: float, total: float, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion; (0, 1) when there is no data."""
    low, high = wilson_bounds(np.array([successes], float), np.array([total], float), z)
    return float(low[0]), float(high[0])


def wilson_bounds(successes: np.ndarray, totals: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised Wilson 95% bounds; fractional counts (fractional papers) are allowed."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, successes / totals, 0.0)
        n = np.where(totals > 0, totals, 1.0)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(np.maximum(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    low = np.where(totals > 0, np.clip(centre - half, 0.0, None), 0.0)
    high = np.where(totals > 0, np.clip(centre + half, None, 1.0), 1.0)
    # Rounding can leave the bound a hair inside the point estimate at p = 0 or 1.
    return np.minimum(low, p), np.maximum(high, p)


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


def find_crossovers(shares: pd.DataFrame, labels: Sequence[str] | None = None, top: int = 4) -> pd.DataFrame:
    """When one framework first passes another: the first non-thin period it leads after trailing.

    Checks every ordered pair among ``labels`` (default: the ``top`` frameworks by
    count). Thin periods are skipped: a lead built on a handful of papers is noise.
    Columns: period, framework, passed, share, passed_share (one row per pass).
    """
    solid = shares[~shares["is_thin"]]
    if solid.empty:
        return pd.DataFrame(columns=["period", "framework", "passed", "share", "passed_share"])
    wide = solid.set_index(["period", "framework"])["share"].unstack(fill_value=0.0).sort_index()
    if labels is None:
        labels = solid.groupby("framework")["n_items"].sum().nlargest(top).index.tolist()
    found = [row for a in labels for b in labels if a != b and (row := _first_pass(wide, a, b))]
    columns = ["period", "framework", "passed", "share", "passed_share"]
    return pd.DataFrame(found, columns=columns).sort_values(["period", "framework"]).reset_index(drop=True)


def _first_pass(wide: pd.DataFrame, leader: str, other: str) -> tuple[str, str, str, float, float] | None:
    if leader not in wide or other not in wide:
        return None
    was_behind = False
    for period, a, b in zip(wide.index, wide[leader], wide[other], strict=True):
        if a > b and was_behind:
            return str(period), leader, other, float(a), float(b)
        was_behind = was_behind or (a < b)
    return None


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
    return rows.assign(label=picked["label"].astype(object).to_numpy(), weight=picked["weight"].to_numpy())


def compare_published(frame: pd.DataFrame | Implementations, min_count: int = MIN_COUNT,
                      venues: Sequence[str] | None = None,
                      strata: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    """Our PyTorch / (PyTorch + TensorFlow) per venue-year beside Horace He's (:mod:`analysis.published`).

    Counted per main-conference paper (workshops excluded, as in the study), Keras
    counted as TensorFlow (the study did too), unweighted: a venue-year is one
    stratum. With ``strata`` (a sample's venue, year, n_population, n_drawn) the
    Wilson interval uses the finite-population effective size n / (1 - n_drawn/N).
    """
    data = prepare_implementations(frame)
    main = select_items(data, ShareSpec(axis="venue-year", view="pwc"), venues)
    main = main[~data.is_workshop[main["row"].to_numpy()]]
    table = share_table(main, ShareSpec(axis="venue-year", view="pwc", min_count=0), by_venue=True)
    pairs = table[table["framework"].isin(["pytorch", "tensorflow"])]
    wide = pairs.pivot_table(index=["venue", "period"], columns="framework", values="n_items", aggfunc="sum",
                             fill_value=0.0).reindex(columns=["pytorch", "tensorflow"], fill_value=0.0)  # fmt: skip
    counts = pd.DataFrame({"venue": [str(v) for v, _ in wide.index], "year": [int(p) for _, p in wide.index],
                           "n_pytorch": wide["pytorch"].to_numpy(float),
                           "n_tensorflow": wide["tensorflow"].to_numpy(float)})  # fmt: skip
    drawn = {}
    if strata is not None and "n_drawn" in strata:
        drawn = {(str(v), int(y)): (float(d), float(n))
                 for v, y, n, d in strata[["venue", "year", "n_population", "n_drawn"]].itertuples(index=False)}
    bounds = [(v, y, *_published_bounds(pt, tf, drawn.get((v, y))))
              for v, y, pt, tf in counts.itertuples(index=False)]  # fmt: skip
    return comparison_table(counts, pd.DataFrame(bounds, columns=["venue", "year", "share_low", "share_high"]),
                            min_count)  # fmt: skip


def _published_bounds(n_pt: float, n_tf: float, stratum: tuple[float, float] | None) -> tuple[float, float]:
    total = n_pt + n_tf
    n_eff = total if stratum is None else min(finite_population_n(total, *stratum), 1e9)
    return wilson_interval(n_pt / total * n_eff if total else 0.0, n_eff)


# --- every series of the report ---------------------------------------------------


def report_series(frame: pd.DataFrame | Implementations, axis: str = "venue-year", freq: str = "year",
                  venues: Sequence[str] | None = None, min_count: int = MIN_COUNT,
                  strata: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:  # fmt: skip
    """All the series the report shows, from one encoding and three selections.

    Keys: ``shares`` (the headline: papers, DL frameworks), ``shares_by_venue``,
    ``shares_all`` (with none/unclassified), ``shares_pwc`` (PWC's label view),
    ``shares_official``, ``shares_repo``, ``shares_implementation`` (PWC's counting),
    ``crossovers``, ``crossovers_by_venue``, ``published`` and ``agreement``.
    ``strata`` (venue, year, n_population) of a stratified sample make the all-venue
    paper shares on the venue-year axis population estimates (:mod:`analysis.weights`).
    """
    data = prepare_implementations(frame)
    spec = ShareSpec(axis=axis, freq=freq, min_count=min_count)
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
    for unit_or_scope, variant in (("official", spec.with_(scope="official")), ("repo", spec.with_(unit="repo")),
                                   ("implementation", spec.with_(unit="implementation", view="pwc"))):  # fmt: skip
        series[f"shares_{unit_or_scope}"] = share_table(select_items(data, variant, venues), variant)
    series["crossovers"] = find_crossovers(series["shares"])
    series["crossovers_by_venue"] = crossovers_by_venue(series["shares_by_venue"])
    series["published"] = compare_published(data, min_count, venues, strata)
    chosen = _filter_rows(data, ShareSpec(conference_only=False), venues)
    series["agreement"] = agreement_matrix(data.frame.iloc[chosen], repo_codes=data.repo[chosen])
    return series


def crossovers_by_venue(shares_by_venue: pd.DataFrame, leader: str = "pytorch",
                        other: str = "tensorflow") -> pd.DataFrame:  # fmt: skip
    """When ``leader`` first passed ``other`` at each venue (venues where it did); thin periods skipped."""
    columns = ["venue", "period", "framework", "passed", "share", "passed_share"]
    solid = shares_by_venue[~shares_by_venue["is_thin"] & shares_by_venue["framework"].isin([leader, other])]
    if solid.empty:
        return pd.DataFrame(columns=columns)
    wide = solid.set_index(["venue", "period", "framework"])["share"].unstack(fill_value=0.0).sort_index()
    found = []
    for venue, group in wide.groupby(level="venue", sort=True):
        row = _first_pass(group.droplevel("venue"), leader, other)
        if row:
            found.append((str(venue), *row))
    return pd.DataFrame(found, columns=columns)
