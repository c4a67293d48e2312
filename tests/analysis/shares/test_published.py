"""The comparison with Horace He's numbers: his counts, the verdict, the finite-population interval."""

from __future__ import annotations

import pandas as pd
import pytest
from test_shares import implementations

from analysis.shares.published import HORACE_HE_COUNTS, PUBLISHED_PYTORCH_SHARE, finite_population_n, judge
from analysis.shares.series import compare_published


def test_his_counts_give_the_shares_sources_md_quotes_rounded() -> None:
    quoted = {("CVPR", 2018): 0.39, ("CVPR", 2019): 0.67, ("CVPR", 2020): 0.79, ("NeurIPS", 2018): 0.37,
              ("ICML", 2018): 0.30, ("ICML", 2019): 0.50, ("ICLR", 2018): 0.23, ("ICLR", 2019): 0.50,
              ("ICLR", 2020): 0.64, ("ACL", 2019): 0.72, ("EMNLP", 2020): 0.88}  # fmt: skip
    for key, value in quoted.items():
        assert round(PUBLISHED_PYTORCH_SHARE[key], 2) == pytest.approx(value, abs=0.011), key
    assert ("CVPR", 2016) in HORACE_HE_COUNTS and ("CVPR", 2015) not in PUBLISHED_PYTORCH_SHARE  # 0 + 0 papers


def test_the_verdict_says_inside_or_which_side_with_a_reason() -> None:
    assert judge(0.5, 0.4, 0.6, 0.45, False) == ("inside", "")
    verdict, reason = judge(0.5, 0.4, 0.6, 0.3, False)
    assert verdict == "outside: published lower" and "code vs text" in reason
    assert judge(0.5, 0.4, 0.6, 0.7, False)[0] == "outside: published higher"
    assert judge(0.5, 0.1, 0.9, 0.45, True)[0] == "thin"
    assert "narrow" not in reason
    assert "holds 90% of the lists' links" in judge(0.5, 0.48, 0.52, 0.3, False, sampling_fraction=0.9)[1]


def test_a_large_sampling_fraction_narrows_the_interval() -> None:
    assert finite_population_n(40, 80, 100) == pytest.approx(200)
    assert finite_population_n(40, 100, 100) == float("inf")
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "venue": "CVPR", "year": 2019,
             "framework": "pytorch" if i < 12 else "tensorflow"} for i in range(20)]  # fmt: skip
    plain = compare_published(implementations(rows))
    strata = pd.DataFrame({"venue": ["CVPR"], "year": [2019], "n_population": [25], "n_drawn": [20]})
    fpc = compare_published(implementations(rows), strata=strata)
    assert fpc.loc[0, "pytorch_share"] == plain.loc[0, "pytorch_share"] == 0.6
    width = (fpc["share_high"] - fpc["share_low"]).iloc[0]
    assert width < (plain["share_high"] - plain["share_low"]).iloc[0] / 2
