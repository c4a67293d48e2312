"""The comparison with Horace He's numbers: his counts, the verdict, the design's interval, the gap's factors."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
import pytest
from test_shares import implementations

from analysis.shares.gap import explain_gap, newcombe
from analysis.shares.intervals import wilson_interval
from analysis.shares.published import HORACE_HE_COUNTS, PUBLISHED_PYTORCH_SHARE, judge
from analysis.shares.series import compare_published


def test_his_counts_give_the_shares_sources_md_quotes_rounded() -> None:
    quoted = {("CVPR", 2018): 0.39, ("CVPR", 2019): 0.67, ("CVPR", 2020): 0.79, ("NeurIPS", 2018): 0.37,
              ("ICML", 2018): 0.30, ("ICML", 2019): 0.50, ("ICLR", 2018): 0.23, ("ICLR", 2019): 0.50,
              ("ICLR", 2020): 0.64, ("ACL", 2019): 0.72, ("EMNLP", 2020): 0.88}  # fmt: skip
    for key, value in quoted.items():
        assert round(PUBLISHED_PYTORCH_SHARE[key], 2) == pytest.approx(value, abs=0.011), key
    assert ("CVPR", 2016) in HORACE_HE_COUNTS and ("CVPR", 2015) not in PUBLISHED_PYTORCH_SHARE  # 0 + 0 papers


def test_the_verdict_says_inside_or_which_side() -> None:
    assert judge(0.5, 0.4, 0.6, 0.45, False) == "inside"
    assert judge(0.5, 0.4, 0.6, 0.3, False) == "outside: published lower"
    assert judge(0.5, 0.4, 0.6, 0.7, False) == "outside: published higher"
    assert judge(0.5, 0.1, 0.9, 0.45, True) == "thin"


def cvpr_2019(n: int = 40, pytorch_if: str = "code_start") -> pd.DataFrame:
    """CVPR 2019 papers, half with code started after the conference (16-20 June 2019), half from machine-extracted
    lists; PyTorch exactly where ``pytorch_if`` says (late code, or a machine-extracted list)."""
    rows = []
    for i in range(n):
        late = i % 2 == 0
        framework = "pytorch" if (late if pytorch_if == "code_start" else i % 4 < 2) else "tensorflow"
        rows.append({"paper_id": f"p{i}", "repo_key": f"o/{i}", "framework": framework,
                     "repo_created_at": datetime(2019, 9, 1) if late else datetime(2019, 3, 1)})  # fmt: skip
    frame = implementations(rows)
    frame["source_list"] = ["papercopilot/paperlists/cvpr/cvpr2019.json@x" if i % 4 < 2 else "zziz/pwc/src/pwc.csv@y"
                            for i in range(n)]  # fmt: skip
    frame["scores"] = [json.dumps({f: 3.0}) for f in frame["framework"]]
    return frame


def test_the_reason_names_the_measured_factors_that_move_the_gap_and_changes_with_the_data() -> None:
    table = compare_published(cvpr_2019())
    row = table.iloc[0]
    assert row["verdict"].startswith("outside") and row["moves_gap"] == "code_start"
    assert "moves the gap: code start (code started after the conference 100% of 20" in row["reason"]
    assert "does not: source list" in row["reason"]
    assert "not measured" in row["reason"] and "popularity" in row["reason"]  # no star counts
    other = compare_published(cvpr_2019(pytorch_if="source")).iloc[0]
    assert other["moves_gap"] == "source" and "moves the gap: source list" in other["reason"]


def test_the_calibration_venue_year_is_marked() -> None:
    frame = cvpr_2019().assign(venue="ICML", source_list="Chillee/pytorch-vs-tensorflow/data_analysis/x.json@z")
    row = compare_published(frame).iloc[0]
    assert bool(row["is_calibration"]) and row["reason"].startswith("calibration")


def test_with_the_sample_design_the_interval_describes_the_venue_not_the_lists() -> None:
    rows = [{"paper_id": f"p{i}", "repo_key": f"o/{i}", "venue": "CVPR", "year": 2019,
             "framework": "pytorch" if i < 12 else "tensorflow"} for i in range(20)]  # fmt: skip
    plain = compare_published(implementations(rows))
    strata = pd.DataFrame({"venue": ["CVPR"], "year": [2019], "n_population": [21], "n_drawn": [20]})
    lists = compare_published(implementations(rows), strata=strata)
    assert lists.loc[0, "pytorch_share"] == pytest.approx(plain.loc[0, "pytorch_share"]) == 0.6
    low, high = wilson_interval(12, 20)
    assert lists.loc[0, "share_high"] - lists.loc[0, "share_low"] >= high - low  # no finite-population shrinking
    assert lists.loc[0, "response_rate"] == 1.0


def test_newcombe_interval_and_a_gap_with_nothing_measured() -> None:
    low, high = newcombe(8, 10, 2, 10)  # from Wilson's 49.0-94.3% and 5.7-51.0%
    assert (round(low, 3), round(high, 3)) == (0.162, 0.803)
    row = {f"{f}_{p}": float("nan") for f in ("source", "stars", "code_start", "mixing")
           for p in ("difference", "low", "high")} | {f"{f}_groups": "" for f in ("source", "stars", "code_start",
                                                                                  "mixing")}  # fmt: skip
    assert explain_gap(row).startswith("no measured factor moves the gap")
