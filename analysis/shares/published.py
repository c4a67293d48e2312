"""Our PyTorch / (PyTorch + TensorFlow) per venue-year beside Horace He's published numbers.

Why this exists: the one published series that can be checked venue by venue is
Horace He's (github.com/Chillee/pytorch-vs-tensorflow): conference papers whose PDF
mentions PyTorch or TensorFlow, per venue-year. His counts are kept here as derived
numbers (``data_analysis/data.csv`` at commit 3ef0c7dee3002f66277251eda55df970b3cda293:
venue, n_pytorch, n_tensorflow, n_papers), so the comparison can also say how many
papers his share rests on. How he counted (``generate_data.py``): a paper counts for
PyTorch if its text mentions pytorch, allennlp, opennmt-py, torchvision or fairseq,
for TensorFlow if it mentions tensorflow, opennmt-tf or keras; **a paper that
mentions both is dropped**. So Keras is folded into TensorFlow there, as here.

Why ours may differ even when both are right: we read the code a paper links to, he
read the paper's text; a paper that names both frameworks counts here as the one its
code uses; most papers (65-80%) name no framework at all and are absent from his
counts, while every paper with code is in ours. Which of the differences we can
measure move the gap is worked out per venue-year from the data
(:mod:`analysis.shares.gap`), never written in advance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.shares.gap import FACTOR_COLUMNS, explain_gap, moving_factors

SOURCE = "Horace He, PDF mentions (Chillee/pytorch-vs-tensorflow)"

HORACE_HE_COUNTS: dict[tuple[str, int], tuple[int, int, int]] = {
    ("CVPR", 2015): (0, 0, 602), ("CVPR", 2016): (0, 3, 643), ("NeurIPS", 2015): (0, 0, 403),
    ("NeurIPS", 2016): (0, 21, 569), ("CVPR", 2017): (0, 63, 783), ("CVPR", 2018): (89, 137, 979),
    ("CVPR", 2019): (294, 148, 1294),
    ("CVPR", 2020): (418, 113, 1467), ("ICCV", 2017): (3, 56, 621), ("ICCV", 2019): (263, 112, 1075),
    ("ECCV", 2018): (105, 109, 776), ("NeurIPS", 2017): (12, 85, 679), ("NeurIPS", 2018): (74, 127, 1009),
    ("NeurIPS", 2019): (182, 104, 1427), ("NeurIPS", 2020): (312, 94, 1898), ("ICML", 2017): (4, 55, 434),
    ("ICML", 2018): (27, 64, 621), ("ICML", 2019): (76, 76, 773), ("ICML", 2020): (142, 71, 1084),
    ("ICML", 2021): (202, 58, 1183), ("ICLR", 2018): (28, 95, 337), ("ICLR", 2019): (86, 86, 502),
    ("ICLR", 2020): (169, 95, 687), ("ICLR", 2021): (756, 217, 3012), ("ICLR", 2022): (1091, 208, 3388),
    ("ACL", 2017): (1, 41, 302), ("ACL", 2018): (32, 41, 381), ("ACL", 2019): (127, 50, 720),
    ("ACL", 2020): (172, 36, 778), ("NAACL", 2018): (18, 50, 330), ("NAACL", 2019): (73, 33, 451),
    ("EMNLP", 2017): (5, 44, 323), ("EMNLP", 2018): (60, 48, 549), ("EMNLP", 2019): (146, 38, 687),
    ("EMNLP", 2020): (247, 35, 751),
}  # fmt: skip
"""(venue, year) -> (papers mentioning only PyTorch, only TensorFlow, papers read)."""

PUBLISHED_PYTORCH_SHARE: dict[tuple[str, int], float] = {
    key: pt / (pt + tf) for key, (pt, tf, _) in HORACE_HE_COUNTS.items() if pt + tf
}

COMPARISON_COLUMNS = ["venue", "year", "n_pytorch", "n_tensorflow", "pytorch_share", "share_low", "share_high",
                      "response_rate", "published_share", "n_published", "difference", "is_thin", "is_calibration",
                      "verdict", "moves_gap", "reason", *FACTOR_COLUMNS]  # fmt: skip

CODE_VS_TEXT = ("code vs text: we count the framework of each paper's own code (its official or earliest "
                "contemporaneous repository, Keras as TensorFlow) among papers whose code the lists link; he "
                "counts PDF mentions among all the venue's papers and drops papers naming both")  # fmt: skip
CALIBRATION = ("calibration: drawn from his own list of this venue-year's papers with code, the one population "
               "the two counts share")  # fmt: skip


def published_row(venue: str, year: int) -> tuple[float, int] | None:
    """(his PyTorch share, papers it rests on) for a venue-year he measured, else None."""
    counts = HORACE_HE_COUNTS.get((venue, year))
    if counts is None or counts[0] + counts[1] == 0:
        return None
    return counts[0] / (counts[0] + counts[1]), counts[0] + counts[1]


def judge(share: float, low: float, high: float, published: float, is_thin: bool) -> str:
    """Is the published value inside our 95% interval, and if not on which side."""
    if is_thin or np.isnan(share):
        return "thin"
    if low <= published <= high:
        return "inside"
    return f"outside: {'published higher' if published > high else 'published lower'}"


def comparison_table(estimates: pd.DataFrame, factors: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """Rows of ``COMPARISON_COLUMNS``, only for venue-years he measured.

    ``estimates``: venue, year, n_pytorch, n_tensorflow, pytorch_share, share_low,
    share_high, response_rate (our numbers); ``factors``: :func:`analysis.shares.gap.factor_table`.
    The reason names the measured factors behind the gap (:func:`analysis.shares.gap.explain_gap`).
    """
    if estimates.empty:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    merged = estimates.merge(factors, on=["venue", "year"], how="left")
    rows = []
    for r in merged.to_dict("records"):
        found = published_row(str(r["venue"]), int(r["year"]))
        if found is None:
            continue
        published, n_published = found
        is_thin = bool(r["n_pytorch"] + r["n_tensorflow"] < min_count)
        verdict = judge(r["pytorch_share"], r["share_low"], r["share_high"], published, is_thin)
        calibration = r.get("is_calibration") in (True,)  # NaN where no factor table row
        moves = moving_factors(r)[0] if not is_thin else []
        reason = "too few of our papers use PyTorch or TensorFlow to judge" if verdict == "thin" else \
            f"ours {100 * (r['pytorch_share'] - published):+.0f} pts: {explain_gap(r)}"  # fmt: skip
        if calibration:
            reason = f"{CALIBRATION}; {reason}"
        rows.append({**r, "published_share": published, "n_published": n_published,
                     "difference": r["pytorch_share"] - published, "is_thin": is_thin, "is_calibration": calibration,
                     "verdict": verdict, "moves_gap": ", ".join(moves), "reason": reason})  # fmt: skip
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    return table.sort_values(["venue", "year"]).reset_index(drop=True)
