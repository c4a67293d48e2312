"""Which papers of an enumerated archive a budgeted refresh draws (``refresh --budget N``), and in what order.

Why a sample: the archive lists every conference paper with code per venue-year, about
200,000 repositories in all; most people want the trend now, not every repository. A
stratified random sample of the archive's papers, weighted back by the archive's own
counts per stratum, estimates the archive's shares (finite population,
:class:`analysis.shares.weights.SampleDesign` with ``finite=True``).

**Strata**: venue and year, and in 2014-2017 the title stratum (``dl``/``other``,
:mod:`analysis.shares.title_strata`): in those years most papers use no framework, so
drawing the ``dl`` titles more often buys precision where the question is.

**Order**: each paper's place in its stratum is a seeded hash of its id (:func:`draw_keys`),
a random permutation that does not depend on which other papers the archive holds. A
draw takes each stratum's next papers in that order, so a larger budget later tops the
sample up (the next ranks) without redrawing, and a census is the whole order.

**Allocation** (:func:`plan_draws`): greedy, one paper at a time, each to the stratum
whose next paper shrinks the variance of its year's PyTorch share the most,

    gain_h = N_h^2 s_h^2 / X_y^2 * (1/n_h - 1/(n_h + 1)),   X_y = sum_{h in y} N_h xbar_h,

the term of the stratified ratio variance (:mod:`analysis.shares.weights`) that one more
paper removes. Minimising the sum of the yearly variances this way is Neyman allocation
within a year (n_h proportional to N_h s_h) and, across years, sends papers to the years
whose intervals are widest (a small year has a large N_h / X_y). s_h^2 and xbar_h come
from the papers already read (:func:`stratum_stats`: last run's variances), shrunk toward
their year's pooled values; before anything is read (the pilot) s_h^2 = 1/4 and xbar_h = 1,
which makes the first draw proportional within each year. Every stratum first gets
``MIN_PER_STRATUM`` papers (a variance needs two): a first paper in every stratum before a
second, those weighing most in their year first, so a small budget still reaches every year. A paper costs
the repositories it links that the sample does not hold yet; the budget counts
repositories, since crawling them is what takes the time. With a target width the years
whose predicted interval (2 z sqrt(V_y)) is already that narrow get no more papers.

Pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.shares.estimates import design_share_table
from analysis.shares.implementations import prepare_implementations
from analysis.shares.intervals import Z95
from analysis.shares.tables import ShareSpec, select_items
from analysis.shares.title_strata import title_stratum
from analysis.shares.weights import SampleDesign

STRATUM_KEYS = ["venue", "year", "title_stratum"]
MIN_PER_STRATUM = 2
PRIOR_S2 = 0.25
"""A share's largest unit variance, p(1 - p) at p = 1/2: the pilot's guess for every stratum."""
PRIOR_WEIGHT = 2.0
"""Pseudo-papers of the year's pooled variance that a stratum's own estimate is shrunk toward."""
FRAMEWORK = "pytorch"
"""The share whose yearly intervals the allocation and ``--target-width`` are about."""


def draw_keys(paper_ids: Iterable[str], seed: int) -> np.ndarray:
    """Each paper's place in its stratum's seeded order (smaller first): 64 bits of BLAKE2b(seed, id)."""
    return np.array([int.from_bytes(hashlib.blake2b(f"{seed}:{p}".encode(), digest_size=8).digest(), "big") >> 1
                     for p in pd.Series(list(paper_ids) if not isinstance(paper_ids, pd.Series) else paper_ids,
                                        dtype=object).tolist()], dtype=np.int64)  # fmt: skip


def with_strata(population: pd.DataFrame) -> pd.DataFrame:
    """``population`` (paper_id, venue, year, title, ...) with its ``title_stratum`` (all, or dl/other early)."""
    cells = [title_stratum(str(t or ""), int(y)) for t, y in zip(population["title"], population["year"], strict=True)]
    return population.assign(title_stratum=cells, year=population["year"].astype(int))


def plan_draws(population: pd.DataFrame, drawn: pd.DataFrame, seed: int, repo_budget: int | None,
               stats: pd.DataFrame | None = None, target_width: float | None = None) -> pd.DataFrame:  # fmt: skip
    """The papers to draw now: ``paper_id``, the stratum keys and ``draw_rank`` (1-based within the stratum).

    ``population``: one row per paper of the archive (paper_id, venue, year, title_stratum,
    ``repos``: its crawlable repository keys). ``drawn``: the papers drawn before
    (paper_id, draw_rank). ``repo_budget``: how many repositories the whole sample may
    link (those of earlier draws included); None draws every paper left (a census).
    ``stats``: :func:`stratum_stats` of what was read so far, None for the pilot.
    """
    pop = population.assign(key=draw_keys(population["paper_id"], seed))
    pop = pop.sort_values([*STRATUM_KEYS, "key"], kind="stable").reset_index(drop=True)
    pop["stratum"] = pop.groupby(STRATUM_KEYS, sort=False).ngroup()
    is_drawn = pop["paper_id"].isin(set(drawn["paper_id"]))
    last_rank = drawn.set_index("paper_id")["draw_rank"].reindex(pop["paper_id"]).to_numpy()
    start = pd.Series(np.nan_to_num(last_rank, nan=0)).groupby(pop["stratum"]).transform("max").to_numpy(int)
    if repo_budget is None:
        new = pop[~is_drawn.to_numpy()].copy()
        new["draw_rank"] = new.groupby("stratum").cumcount() + 1 + start[new.index]
        return _result(new)
    chosen = _greedy(pop, is_drawn.to_numpy(), repo_budget, _stratum_table(pop, is_drawn, stats), target_width)
    new = pop.loc[chosen].copy()
    new["draw_rank"] = new.groupby("stratum").cumcount() + 1 + start[new.index]
    return _result(new)


def _result(new: pd.DataFrame) -> pd.DataFrame:
    out = new[["paper_id", *STRATUM_KEYS, "draw_rank", "repos"]].copy()
    out["n_repos"] = [len(r) for r in out.pop("repos")]
    return out.reset_index(drop=True)


def _stratum_table(pop: pd.DataFrame, is_drawn: pd.Series, stats: pd.DataFrame | None) -> pd.DataFrame:
    """Per stratum: N_h, n_h drawn, year, s_h^2 and xbar_h (from ``stats`` where known, else the prior)."""
    table = pop.groupby("stratum").agg(venue=("venue", "first"), year=("year", "first"),
                                       title_stratum=("title_stratum", "first"), big_n=("paper_id", "size"))
    table["n"] = is_drawn.groupby(pop["stratum"]).sum().reindex(table.index, fill_value=0)
    table["s2"], table["xbar"] = PRIOR_S2, 1.0
    if stats is not None and len(stats):
        known = table.reset_index().merge(stats, on=STRATUM_KEYS, how="left", suffixes=("", "_seen"))
        table["s2"] = known["s2_seen"].fillna(PRIOR_S2).to_numpy()
        table["xbar"] = known["xbar_seen"].fillna(1.0).clip(lower=0.02).to_numpy()
    table["x_year"] = (table["big_n"] * table["xbar"]).groupby(table["year"]).transform("sum")
    table["scale"] = table["big_n"] ** 2 * table["s2"] / table["x_year"] ** 2
    return table


def predicted_variance(table: pd.DataFrame, n: np.ndarray) -> pd.Series:
    """Per year: the ratio variance the allocation expects with ``n`` papers per stratum (one where none)."""
    size = np.maximum(n, 1)
    term = table["scale"].to_numpy() * np.maximum(1 / size - 1 / table["big_n"].to_numpy(), 0.0)
    return pd.Series(term).groupby(table["year"].to_numpy()).sum()


def _gain(scale: float, n: int, big_n: int) -> float:
    if n >= big_n:
        return -1.0
    if n < min(MIN_PER_STRATUM, big_n):
        # the minimum first, a first paper everywhere before a second, strata that weigh most in their year first
        return 1e12 * (MIN_PER_STRATUM - n) + scale
    return scale * (1 / n - 1 / (n + 1))


def _greedy(pop: pd.DataFrame, is_drawn: np.ndarray, repo_budget: int, table: pd.DataFrame,
            target_width: float | None) -> list[int]:  # fmt: skip
    """Row positions of ``pop`` to draw, in drawing order (see the module docstring)."""
    held: set[str] = {r for repos in pop.loc[is_drawn, "repos"] for r in repos}
    undrawn = pop.index[~is_drawn].to_numpy()
    queues = {int(h): list(rows) for h, rows in pd.Series(undrawn).groupby(pop["stratum"].to_numpy()[undrawn])}
    n = table["n"].to_numpy(int).copy()
    big_n, scale, years = table["big_n"].to_numpy(int), table["scale"].to_numpy(float), table["year"].to_numpy()
    variance = predicted_variance(table, n).to_dict()
    short = pd.Series(n < np.minimum(MIN_PER_STRATUM, big_n)).groupby(years).sum().to_dict()
    limit = (target_width / (2 * Z95)) ** 2 if target_width else None

    def year_done(year: int) -> bool:
        return limit is not None and short[year] == 0 and variance[year] <= limit

    heap = [(-_gain(scale[h], n[h], big_n[h]), h) for h in queues if not year_done(years[h])]
    heapq.heapify(heap)
    chosen: list[int] = []
    while heap and len(held) < repo_budget:
        _, h = heapq.heappop(heap)
        year = years[h]
        if year_done(year) or not queues[h]:
            continue
        row = queues[h][0]
        new = set(pop.at[row, "repos"]) - held
        if len(held) + len(new) > repo_budget:
            continue  # this stratum's next paper does not fit; smaller ones elsewhere may
        queues[h].pop(0)
        held |= new
        chosen.append(int(row))
        before = max(n[h], 1)
        n[h] += 1
        if n[h] == min(MIN_PER_STRATUM, big_n[h]):
            short[year] -= 1
        variance[year] -= scale[h] * (1 / before - 1 / n[h]) if n[h] > 1 else 0.0
        if queues[h]:
            heapq.heappush(heap, (-_gain(scale[h], n[h], big_n[h]), h))
    return chosen


def stratum_stats(units: pd.DataFrame, base_labels: list[str], unread: str,
                  framework: str = FRAMEWORK) -> pd.DataFrame:  # fmt: skip
    """Per stratum (``STRATUM_KEYS``) of the papers read: ``s2`` (variance of d = y - R_year x) and ``xbar``.

    ``units``: :func:`analysis.shares.estimates.design_units`' rows (the estimator's own
    input), with the stratum keys. Each stratum's values are shrunk toward its year's
    pooled ones by ``PRIOR_WEIGHT`` pseudo-papers, so a stratum with two papers read does
    not claim a variance of zero.
    """
    read = units["is_zero"].to_numpy(bool) | (units["label"].astype(str).to_numpy() != unread)
    units = units[pd.Series(read).groupby(units["paper"].to_numpy()).transform("any").to_numpy(bool)]
    if units.empty:
        return pd.DataFrame(columns=[*STRATUM_KEYS, "s2", "xbar"])
    labels = units["label"].astype(str)
    per_paper = units.assign(y=units["weight"] * (labels == framework), x=units["weight"] * labels.isin(base_labels))
    per_paper = per_paper.groupby(["paper", *STRATUM_KEYS], as_index=False)[["y", "x"]].sum()
    per_paper["year"] = per_paper["year"].astype(int)
    by_year = per_paper.groupby("year")[["y", "x"]].sum()
    ratio = (by_year["y"] / by_year["x"].where(by_year["x"] > 0)).fillna(0.5)
    per_paper["d"] = per_paper["y"] - ratio.reindex(per_paper["year"]).to_numpy() * per_paper["x"]
    pooled = per_paper.groupby("year").agg(s2_year=("d", "var"), xbar_year=("x", "mean")).fillna(PRIOR_S2)
    cells = per_paper.groupby(STRATUM_KEYS, as_index=False).agg(r=("d", "size"), s2=("d", "var"), xbar=("x", "mean"))
    cells = cells.merge(pooled, left_on="year", right_index=True)
    own = (cells["r"] - 1).clip(lower=0)
    cells["s2"] = (own * cells["s2"].fillna(0) + PRIOR_WEIGHT * cells["s2_year"]) / (own + PRIOR_WEIGHT)
    cells["xbar"] = (cells["r"] * cells["xbar"] + PRIOR_WEIGHT * cells["xbar_year"]) / (cells["r"] + PRIOR_WEIGHT)
    return cells[[*STRATUM_KEYS, "s2", "xbar"]]


# --- the drawn papers as the estimator's input ------------------------------------------


def design_strata(population: pd.DataFrame, draws: pd.DataFrame) -> pd.DataFrame:
    """The design's strata table: per stratum, N_h (the archive's own papers) and n_h (those drawn).

    ``population`` with the stratum keys (:func:`with_strata`), ``draws`` the drawn papers'
    rows with the same keys.
    """
    counts = population.groupby(STRATUM_KEYS, as_index=False).size().rename(columns={"size": "n_population"})
    drawn = draws.astype({"year": int}).groupby(STRATUM_KEYS, as_index=False).size()
    table = counts.merge(drawn.rename(columns={"size": "n_drawn"}), on=STRATUM_KEYS, how="left")
    return table.fillna({"n_drawn": 0}).astype({"n_drawn": int})


def drawn_frame(frame: pd.DataFrame, draws: pd.DataFrame) -> pd.DataFrame:
    """The implementations rows of drawn papers, carrying their title stratum as ``sample_title_stratum``.

    The estimator reads every ``sample_<key>`` column as a stratum key
    (:mod:`analysis.shares.estimates`); other ``sample_*`` columns (the bundled sample's
    cells) are dropped, as they are not this design's.
    """
    kept = frame[frame["paper_id"].isin(set(draws["paper_id"]))]
    kept = kept.drop(columns=[c for c in kept.columns if c.startswith("sample_")])
    cells = kept[["paper_id"]].merge(draws[["paper_id", "title_stratum"]], on="paper_id", how="left")
    return kept.assign(sample_title_stratum=cells["title_stratum"].to_numpy())


def counted_view(frame: pd.DataFrame, population: pd.DataFrame,
                 draws: pd.DataFrame) -> tuple[pd.DataFrame, SampleDesign | None, bool]:  # fmt: skip
    """(the rows to count, their design, is it a census) for a warehouse holding a draw.

    A draw that reaches every paper of the population is a census: every row counts as it
    is, with no design (the numbers a refresh without any budget gives). Otherwise the
    drawn papers' rows, weighted by the archive's own counts per stratum (finite population).
    """
    if population["paper_id"].isin(set(draws["paper_id"])).all():
        return frame, None, True
    return drawn_frame(frame, draws), SampleDesign(design_strata(population, draws), finite=True), False


def yearly_estimates(frame: pd.DataFrame, design: SampleDesign | None,
                     framework: str | None = FRAMEWORK) -> pd.DataFrame:  # fmt: skip
    """Per year: the framework's share and 95% interval (every framework's, with ``framework=None``), by the
    report's own headline series code."""
    data = prepare_implementations(frame)
    spec = ShareSpec()
    table = design_share_table(data, select_items(data, spec), spec, design)
    rows = table if framework is None else table[table["framework"] == framework]
    return pd.DataFrame({"year": rows["period"].astype(int).to_numpy(), "framework": rows["framework"].to_numpy(),
                         "share": rows["share"].to_numpy(float),
                         "share_low": rows["share_low"].to_numpy(float),
                         "share_high": rows["share_high"].to_numpy(float)})  # fmt: skip


def population_of(frame: pd.DataFrame) -> pd.DataFrame:
    """The population an implementations frame holds, as the store reads it (flows/store/budget.py): one row per
    conference paper with a year, its title and its crawlable ``repos``; with its stratum keys."""
    rows = frame[frame["venue"].notna() & frame["year"].notna() & frame["repo_key"].notna()]
    rows = rows.drop_duplicates(["paper_id", "repo_key"]).sort_values(["paper_id", "repo_key"], kind="stable")
    starts = np.flatnonzero(np.r_[True, rows["paper_id"].to_numpy()[1:] != rows["paper_id"].to_numpy()[:-1]])
    population = rows.iloc[starts][["paper_id", "venue", "year", "title"]].reset_index(drop=True)
    population["repos"] = np.split(rows["repo_key"].to_numpy(dtype=object), starts[1:])  # grouped rows, one split
    return with_strata(population)
