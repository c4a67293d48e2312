"""The report's plausibility check: papers counted under a framework first released after their conference ended."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.attribution.releases import anachronisms, paper_deadlines
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.tables import ShareSpec, select_items


def plausibility_defects(frame: pd.DataFrame | Implementations, spec: ShareSpec | None = None,
                         venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """The items a share series (default: the headline) counts under a framework first released after the
    paper's conference ended (day precision, whatever the series' axis and frequency)."""
    data = prepare_implementations(frame)
    items = select_items(data, spec or ShareSpec(), venues)
    detail = data.frame.iloc[items["row"].to_numpy()].reset_index(drop=True)
    counted = pd.DataFrame({
        "period": items["period"].astype(str).to_numpy(), "framework": items["label"].astype(str).to_numpy(),
        "paper_id": detail["paper_id"], "title": detail["title"], "venue": detail["venue"],
        "repo_key": detail["repo_key"], "weight": items["weight"].to_numpy(),
        "attribution": detail.get("attribution"), "attribution_reason": detail.get("attribution_reason"),
        "conference_end": paper_deadlines(detail).to_numpy(),
    })  # fmt: skip
    return anachronisms(counted)
