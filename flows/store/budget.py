"""Named reads and writes of the budgeted refresh's draw (``budget_draws``, ``budget_years``).

The draw's rules (strata, order, allocation) are :mod:`analysis.shares.allocation`; the
stage that uses them is :mod:`flows.stages.budget`. The population is the archive's (and
catalog's) conference papers with a known year and at least one crawlable link: exactly
the papers the implementations frame holds, so the estimator's N_h counts what it weighs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.store.warehouse import Warehouse

if TYPE_CHECKING:  # `papertrends status` reads the draw and must start without pandas
    import pandas as pd

_POPULATION = """
    SELECT p.paper_id, p.venue, p.year, p.title,
           list(DISTINCT coalesce(old.renamed_to, l.repo_key) ORDER BY coalesce(old.renamed_to, l.repo_key)) AS repos
    FROM papers p JOIN links l USING (paper_id)
    LEFT JOIN repos old ON old.repo_key = l.repo_key
    WHERE p.venue IS NOT NULL AND p.year IS NOT NULL AND l.repo_key IS NOT NULL AND l.skip_reason IS NULL
    GROUP BY p.paper_id, p.venue, p.year, p.title
"""


def has_draw_tables(wh: Warehouse) -> bool:
    """False for a Parquet export or file from before the draw existed."""
    return bool(wh.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'budget_draws'"))


def population_papers(wh: Warehouse) -> pd.DataFrame:
    """One row per paper of the population: paper_id, venue, year, title, ``repos`` (its crawlable keys)."""
    return wh.con.execute(_POPULATION + " ORDER BY p.paper_id").df()


def stored_draws(wh: Warehouse) -> pd.DataFrame:
    """Every drawn paper: paper_id, seed, stratum keys, draw_rank, draw_round, is_census."""
    if not has_draw_tables(wh):
        import pandas as pd

        return pd.DataFrame(columns=["paper_id", "seed", "venue", "year", "title_stratum", "draw_rank", "draw_round",
                                     "is_census"])  # fmt: skip
    return wh.con.execute("SELECT paper_id, seed, venue, year, title_stratum, draw_rank, draw_round, is_census "
                          "FROM budget_draws ORDER BY venue, year, title_stratum, draw_rank").df()  # fmt: skip


def add_draws(wh: Warehouse, draws: pd.DataFrame) -> int:
    """Store newly drawn papers; a paper drawn before keeps its first row (its rank and round)."""
    return wh.insert_new("budget_draws", draws) if len(draws) else 0


def drawn_due_repo_keys(wh: Warehouse, due: Sequence[str]) -> list[str]:
    """Those of ``due`` (the crawl driver's order) that a drawn paper links."""
    drawn = {row[0] for row in wh.con.execute(
        "SELECT DISTINCT coalesce(old.renamed_to, l.repo_key) FROM budget_draws d JOIN links l USING (paper_id) "
        "LEFT JOIN repos old ON old.repo_key = l.repo_key WHERE l.repo_key IS NOT NULL AND l.skip_reason IS NULL"
    ).fetchall()}  # fmt: skip
    return [k for k in due if k in drawn]


def year_progress(wh: Warehouse) -> pd.DataFrame:
    """Per year: the population's papers, those drawn, those with a repository crawled (ok) and decided."""
    return wh.con.execute(
        f"""
        WITH pop AS ({_POPULATION}),
        facts AS (
            SELECT l.paper_id, bool_or(r.status = 'ok') AS is_crawled, bool_or(c.repo_key IS NOT NULL) AS is_decided
            FROM links l
            LEFT JOIN repos old ON old.repo_key = l.repo_key
            LEFT JOIN repos r ON r.repo_key = coalesce(old.renamed_to, l.repo_key)
            LEFT JOIN classifications c ON c.repo_key = r.repo_key AND c.classifier_version = ?
            WHERE l.repo_key IS NOT NULL AND l.skip_reason IS NULL GROUP BY l.paper_id)
        SELECT pop.year, count(*) AS n_population, count(d.paper_id) AS n_drawn,
               count(*) FILTER (WHERE d.paper_id IS NOT NULL AND f.is_crawled) AS n_crawled,
               count(*) FILTER (WHERE d.paper_id IS NOT NULL AND f.is_decided) AS n_classified
        FROM pop LEFT JOIN budget_draws d USING (paper_id) LEFT JOIN facts f USING (paper_id)
        GROUP BY pop.year ORDER BY pop.year
        """,
        [CLASSIFIER_VERSION],
    ).df()


def store_years(wh: Warehouse, rows: pd.DataFrame, now: datetime) -> None:
    """Replace ``budget_years`` with the last estimate (one row per year)."""
    with wh.transaction():
        wh.con.execute("DELETE FROM budget_years")
        if len(rows):
            wh.upsert("budget_years", rows.assign(estimated_at=now))


def stored_years(wh: Warehouse) -> list[dict[str, Any]]:
    """``budget_years`` as rows, oldest year first; empty without a draw."""
    if not has_draw_tables(wh):
        return []
    return wh.query("SELECT year, n_population, n_drawn, n_crawled, n_classified, share_pytorch, share_low, "
                    "share_high, is_census FROM budget_years ORDER BY year")  # fmt: skip


def draw_summary(wh: Warehouse) -> dict[str, Any] | None:
    """The draw in a few numbers (seed, rounds, papers drawn of the population); None without a draw."""
    if not has_draw_tables(wh) or not wh.scalar("SELECT count(*) FROM budget_draws"):
        return None
    seed, rounds, drawn, census_round = wh.con.execute(
        "SELECT min(seed), max(draw_round), count(*), bool_or(is_census) FROM budget_draws").fetchone()
    population = wh.scalar(f"SELECT count(*) FROM ({_POPULATION})")
    left = wh.scalar(f"SELECT count(*) FROM ({_POPULATION}) pop WHERE pop.paper_id NOT IN "
                     "(SELECT paper_id FROM budget_draws)")  # fmt: skip
    return {"seed": int(seed), "rounds": int(rounds), "n_drawn": int(drawn), "n_population": int(population),
            "is_census": not left, "had_census_round": bool(census_round)}  # fmt: skip
