"""The budgeted refresh (``refresh --budget N``): draw, crawl only the drawn, estimate the archive's shares.

A refresh with a budget draws a seeded stratified sample of the archive's papers
(:mod:`analysis.shares.allocation`) and stores it (``budget_draws``); the crawl then visits
only the repositories drawn papers link, and the report estimates the population's shares
with the sample design's estimator (:class:`analysis.shares.weights.SampleDesign`,
``finite=True``, N_h = the archive's own papers per stratum). A later larger budget tops
the draw up (each stratum's next ranks); the service's ``budget_step`` draws that many more
repositories each run, spent where the yearly intervals are widest; a refresh without a
budget draws the rest (a census), after which every number is the archive's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.classifier.taxonomy import NONE, UNCLASSIFIED
from analysis.shares.allocation import counted_view, plan_draws, stratum_stats, with_strata, yearly_estimates
from analysis.shares.estimates import design_units
from analysis.shares.implementations import prepare_implementations
from analysis.shares.tables import ShareSpec, select_items
from analysis.shares.weights import SampleDesign
from flows.clock import utcnow
from flows.store import budget as store
from flows.store.warehouse import Warehouse

DEFAULT_SEED = 24
"""The seed of a warehouse's first draw when none is given (kept for every later top-up)."""


@dataclass(frozen=True)
class DrawnView:
    """What a drawn warehouse's numbers describe: the frame to count, its design and a label for every number.

    ``design`` is None for a census (the frame is the population, counted as it is).
    """

    frame: pd.DataFrame
    design: SampleDesign | None
    label: str
    is_census: bool


def wants_draw(p: dict[str, Any], wh: Warehouse) -> bool:
    """A budget was given, or a refresh without one meets a stored draw it completes into a census (a census
    already complete only when new papers arrived since)."""
    if p.get("budget") is not None or p.get("budget_step") is not None:
        return True
    if p.get("sample") or p.get("reclassify") or p.get("limit") is not None:
        return False
    summary = store.draw_summary(wh)
    return summary is not None and not summary["is_census"]


def draw_stage(wh: Warehouse, p: dict[str, Any]) -> dict[str, Any]:
    """Draw (or top up, or complete) the sample; returns the counts the run records."""
    population = with_strata(store.population_papers(wh))
    drawn = store.stored_draws(wh)
    seed = int(drawn["seed"].iloc[0]) if len(drawn) else int(p.get("seed") or DEFAULT_SEED)
    if len(drawn) and p.get("seed") is not None and int(p["seed"]) != seed:
        raise ValueError(f"the stored draw has seed {seed}; a top-up keeps it (drop --seed, or use a new --db)")
    held = _held_repos(population, drawn)
    census = p.get("budget") is None and p.get("budget_step") is None
    budget = None if census else (p["budget"] if p.get("budget") is not None else held + p["budget_step"])
    stats = None if census or not len(drawn) else _stats(wh)
    new = plan_draws(population, drawn[["paper_id", "draw_rank"]], seed, budget, stats, p.get("target_width"))
    round_no = int(drawn["draw_round"].max()) + 1 if len(drawn) else 1
    store.add_draws(wh, new.assign(seed=seed, draw_round=round_no, is_census=census, drawn_at=utcnow()))
    total = len(drawn) + len(new)
    return {"seed": seed, "round": round_no, "budget": budget, "allocation": "census" if census else
            ("neyman (last run's variances)" if stats is not None else "proportional pilot"),
            "drawn_now": len(new), "drawn": total, "population": len(population),
            "repos_drawn": _held_repos(population, pd.concat([drawn[["paper_id"]], new[["paper_id"]]]))}  # fmt: skip


def _held_repos(population: pd.DataFrame, drawn: pd.DataFrame) -> int:
    chosen = population[population["paper_id"].isin(set(drawn["paper_id"]))]
    return len({r for repos in chosen["repos"] for r in repos})


def crawl_keys(wh: Warehouse, due: list[str]) -> list[str]:
    """The due repositories a drawn warehouse crawls: those of drawn papers, unless the draw is a census."""
    summary = store.draw_summary(wh)
    if summary is None or summary["is_census"]:
        return due
    return store.drawn_due_repo_keys(wh, due)


def drawn_view(wh: Warehouse, frame: pd.DataFrame) -> DrawnView | None:
    """The numbers' population for a warehouse holding a draw; None without one (nothing changes)."""
    summary = store.draw_summary(wh)
    if summary is None:
        return None
    if summary["is_census"]:
        return DrawnView(frame, None, f"census of the archive: all {summary['n_population']:,} papers", True)
    frame, design, _ = counted_view(frame, with_strata(store.population_papers(wh)), store.stored_draws(wh))
    label = (f"sample of the archive: {summary['n_drawn']:,} of {summary['n_population']:,} papers "
             f"(seed {summary['seed']})")  # fmt: skip
    return DrawnView(frame, design, label, False)


def _stats(wh: Warehouse) -> pd.DataFrame | None:
    """Per stratum: the last run's variance of the PyTorch share's residuals, from the estimator's own units."""
    from flows.stages.attribute import current_implementations

    view = drawn_view(wh, current_implementations(wh))
    if view is None or view.is_census or not len(view.frame):
        return None
    data = prepare_implementations(view.frame)
    spec = ShareSpec()
    units = design_units(data, select_items(data, spec), spec, None, by_venue=False)
    base = sorted(set(units["label"].astype(str)) - {NONE, UNCLASSIFIED, "\x00"})
    return stratum_stats(units, base, UNCLASSIFIED)


def record_estimates(wh: Warehouse) -> dict[str, Any] | None:
    """Store per year what was drawn, crawled, decided and the PyTorch interval (for ``status``); None undrawn."""
    from flows.stages.attribute import current_implementations

    if store.draw_summary(wh) is None:  # an undrawn warehouse's frame is not loaded twice
        return None
    view = drawn_view(wh, current_implementations(wh))
    if view is None:
        return None
    progress = store.year_progress(wh)
    estimates = yearly_estimates(view.frame, view.design) if len(view.frame) else pd.DataFrame(
        columns=["year", "share", "share_low", "share_high"])  # fmt: skip
    rows = progress.merge(estimates.drop(columns="framework"), on="year", how="left")
    rows = rows.rename(columns={"share": "share_pytorch"})
    store.store_years(wh, rows.assign(is_census=view.is_census), utcnow())
    widths = (rows["share_high"] - rows["share_low"]).dropna()
    return {"population": view.label, "years": len(rows),
            "widest_interval": round(float(widths.max()), 4) if len(widths) else None}  # fmt: skip
