"""Coverage of the design-based 95% intervals: repeated draws from known populations.

Each scenario is a population we build (papers in strata, each paper excluded, without
a framework, using framework f, or using another framework), a design like one the
pipeline meets (the bundled sample's convenience lists: superpopulation; a draw from a
source that enumerates a venue-year: finite population), and a response rate: drawn
papers respond at random (missing at random within the stratum). Every draw goes
through the estimator the report uses (:func:`analysis.shares.weights.ratio_estimates`),
vectorised over the draws, and the interval must hold the population's share in 93-97%
of them. Shares near 0, near 1 and between; sizes from 5 to 500 drawn papers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from analysis.shares.weights import StratumSums, ratio_estimates

DRAWS = 4000
LISTS_YEAR = {"size": [3000, 1500, 800, 600, 400, 300, 200, 100], "big_n": [300, 120, 60, 40, 20, 10, 5, 2],
              "drawn": [12, 8, 6, 5, 4, 3, 2, 1]}  # fmt: skip
"""Like a 2015 of the bundled sample: eight venues, lists of 2 to 300 links, 1 to 12 drawn (a singleton)."""
VENUES_2019 = {"size": [2500] * 4 + [800] * 6 + [200] * 7,
               "big_n": [542, 359, 265, 120, 60, 50, 40, 30, 25, 20, 15, 12, 10, 8, 5, 3, 1],
               "drawn": [80, 80, 80, 57, 20, 15, 12, 10, 8, 6, 5, 4, 3, 3, 2, 2, 1]}  # fmt: skip
"""Like 2019: seventeen venues, three strata of 80, ICLR's 57 of 58, a tail down to one paper."""


@dataclass(frozen=True)
class Scenario:
    """Strata of ``size`` papers (the venue-years' papers with code, or the source's papers when ``finite``);
    ``big_n`` the lists' links (the design's N_h; the size itself when finite); ``drawn`` per stratum;
    per paper: excluded, no framework, and among framework users the share of f; the response rate."""

    size: list[int]
    drawn: list[int]
    share: float | list[float]
    big_n: list[int] | None = None
    excluded: float = 0.04
    no_framework: float = 0.12
    response: float = 0.9
    finite: bool = False
    seed: int = 0


SCENARIOS = {
    "lists, a 2015-like year, share near 0": Scenario(**LISTS_YEAR, share=[0.05, 0.02, 0.08, 0.03, 0.05, 0.1, 0.0,
                                                                            0.05], response=0.6),  # fmt: skip
    "lists, a 2015-like year, share between": Scenario(**LISTS_YEAR, share=[0.5, 0.3, 0.6, 0.4, 0.5, 0.7, 0.2, 0.5],
                                                       response=0.6),  # fmt: skip
    "lists, a 2015-like year, share near 1": Scenario(**LISTS_YEAR, share=[0.95, 0.97, 0.9, 0.99, 0.93, 0.95, 1.0,
                                                                           0.9], response=0.6),  # fmt: skip
    "lists, a 2019-like year of 17 venues": Scenario(**VENUES_2019, share=list(np.linspace(0.5, 0.9, 17)),
                                                     response=0.93),  # fmt: skip
    "lists, all venues, share near 0, 500 drawn": Scenario(size=[5000, 3000], big_n=[700, 300], drawn=[300, 200],
                                                           share=[0.02, 0.01]),  # fmt: skip
    "lists, one venue-year, 5 drawn": Scenario(size=[2000], big_n=[300], drawn=[5], share=0.5, response=0.85),
    "lists, one venue-year, 10 drawn, share between": Scenario(size=[2000], big_n=[300], drawn=[10], share=0.4,
                                                               response=0.85),  # fmt: skip
    "lists, one venue-year, 85 drawn (CVPR 2018-like)": Scenario(size=[2000], big_n=[377], drawn=[85], share=0.55,
                                                                 response=0.94),  # fmt: skip
    "lists, ICLR 2019-like: 57 of the list's 58, of ~500 papers": Scenario(size=[500], big_n=[58], drawn=[57],
                                                                           share=0.65, response=0.96),  # fmt: skip
    "full venue-year, 500 of 1,000, finite": Scenario(size=[1000], drawn=[500], share=0.7, finite=True),
    "full venue-year, 50 of 1,000, share near 0, finite": Scenario(size=[1000], drawn=[50], share=0.1, finite=True),
    "full venue-year, 560 of 600, share near 1, finite": Scenario(size=[600], drawn=[560], share=0.97, finite=True),
    "full venue-years, four strata, finite": Scenario(size=[1300, 800, 400, 150], drawn=[200, 100, 60, 30],
                                                      share=[0.6, 0.7, 0.8, 0.5], finite=True),  # fmt: skip
    "full venue-year census, 300 of 300, finite": Scenario(size=[300], drawn=[300], share=0.6, response=0.8,
                                                           finite=True),  # fmt: skip
}


def population(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """(H, 4) counts of papers per stratum: excluded, no framework, framework f, another framework."""
    share = np.broadcast_to(np.asarray(scenario.share, float), (len(scenario.size),))
    counts = []
    for size, p in zip(scenario.size, share, strict=True):
        uses = 1 - scenario.excluded - scenario.no_framework
        counts.append(rng.multinomial(size, [scenario.excluded, scenario.no_framework, uses * p, uses * (1 - p)]))
    return np.array(counts)


def coverage(scenario: Scenario, draws: int = DRAWS) -> tuple[float, float]:
    """(true share, share of draws whose 95% interval holds it)."""
    rng = np.random.default_rng(scenario.seed)
    cells = population(scenario, rng)
    size = np.asarray(scenario.size, float)
    big_n = size if scenario.finite else np.asarray(scenario.big_n, float)
    truth = float((big_n * cells[:, 2] / size).sum() / (big_n * (cells[:, 2] + cells[:, 3]) / size).sum())
    drawn = np.stack([rng.multivariate_hypergeometric(c, n, size=draws) for c, n in
                      zip(cells, scenario.drawn, strict=True)], axis=1)  # (draws, H, 4)  # fmt: skip
    answered = rng.binomial(drawn, scenario.response)  # missing at random within each stratum
    y = answered[..., 2].astype(float)[:, None, :]  # one group: (draws, 1, H)
    x = (answered[..., 2] + answered[..., 3]).astype(float)[:, None, :]
    sums = StratumSums(big_n, answered.sum(-1).astype(float), y, x, y, x, y)  # y, x are 0/1: y^2 = y, xy = y
    found = ratio_estimates(sums, finite=scenario.finite)
    share, low, high = found.share[:, 0], found.low[:, 0], found.high[:, 0]
    judged = ~np.isnan(share)
    return truth, float(np.mean((low[judged] <= truth) & (truth <= high[judged])))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_the_95_percent_intervals_cover_the_population_share_93_to_97_percent_of_the_time(name: str) -> None:
    truth, covered = coverage(SCENARIOS[name])
    assert 0.93 <= covered <= 0.97, f"{name}: true share {truth:.3f}, covered in {covered:.1%} of {DRAWS} draws"


def test_dropping_excluded_papers_instead_of_counting_them_as_zeros_misses_the_population() -> None:
    """Strata whose papers are excluded at different rates: dropping them reweights the strata wrongly."""
    scenario = Scenario(size=[2000, 2000], big_n=[500, 500], drawn=[200, 200], share=[0.9, 0.2])
    rng = np.random.default_rng(1)
    cells = population(scenario, rng)
    cells[1, 0] += cells[1, 3]  # stratum 2: half its framework users' links excluded (later ports)
    cells[1, 3] = 0
    share = lambda excluded_are_zeros: ratio_estimates(StratumSums(  # noqa: E731
        np.array([500.0, 500.0]), cells.sum(1) - (0 if excluded_are_zeros else cells[:, 0]),
        cells[None, :, 2].astype(float), (cells[:, 2] + cells[:, 3])[None].astype(float),
        cells[None, :, 2].astype(float), (cells[:, 2] + cells[:, 3])[None].astype(float),
        cells[None, :, 2].astype(float))).share[0]  # fmt: skip
    truth = (cells[0, 2] + cells[1, 2]) / (cells[0, 2] + cells[0, 3] + cells[1, 2] + cells[1, 3])
    assert share(True) == pytest.approx(truth)
    assert share(False) > truth + 0.02  # stratum 2 loses its excluded papers and weighs too little
