"""Later ports as a finding: which frameworks old papers get re-implemented in, and from what.

A link attributed ``later-port`` (:mod:`analysis.attribution.attribute`) is not the paper's
code, but it says something no share chart does: how many TensorFlow-era papers got
PyTorch ports, and when. Two tables, both pure (the chart is analysis/charts/ports.py):

- :func:`port_counts`: ports per paper period (the report's axis) and port framework;
- :func:`port_flow`: the paper's own framework (its counted link) -> the port's
  framework, with how many papers, how many ports and when the ports' code started.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.attribution.releases import labels_at_paper_time
from analysis.classifier.taxonomy import NONE, UNCLASSIFIED, order_labels
from analysis.shares.implementations import Implementations, prepare_implementations
from analysis.shares.periods import period_codes
from analysis.shares.plausibility import plausibility_defects
from analysis.shares.selection import choose_per_paper
from analysis.shares.series import ShareSpec, keep_rows

PORT_COLUMNS = ["period", "framework", "n_ports", "n_papers"]
FLOW_COLUMNS = ["paper_framework", "port_framework", "n_papers", "n_ports", "first_port_year", "median_port_year",
                "median_lag_years"]  # fmt: skip
_NOT_A_FRAMEWORK = (NONE, UNCLASSIFIED)


def _port_rows(data: Implementations, venues: Sequence[str] | None) -> np.ndarray:
    """Conference links attributed ``later-port`` with a deep-learning framework decided."""
    if "attribution" not in data.frame:
        return np.zeros(0, dtype=np.int64)
    rows = keep_rows(data, ShareSpec(include_ports=True), venues)
    is_port = data.frame["attribution"].to_numpy(dtype=object)[rows] == "later-port"
    label = np.asarray(data.label_names, dtype=object)[data.label[rows]]
    return rows[is_port & ~np.isin(label, _NOT_A_FRAMEWORK)]


def port_counts(frame: pd.DataFrame | Implementations, axis: str = "venue-year", freq: str = "year",
                venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """Later ports per period of the *paper* and framework of the *port*: PORT_COLUMNS."""
    data = prepare_implementations(frame)
    rows = _port_rows(data, venues)
    period, names = period_codes(data, rows, axis, freq)
    keep = period >= 0
    if not keep.any():
        return pd.DataFrame(columns=PORT_COLUMNS)
    table = pd.DataFrame({
        "period": np.asarray(names, dtype=object)[period[keep]],
        "framework": np.asarray(data.label_names, dtype=object)[data.label[rows[keep]]],
        "paper": data.paper[rows[keep]],
    })  # fmt: skip
    grouped = table.groupby(["period", "framework"]).agg(n_ports=("paper", "size"), n_papers=("paper", "nunique"))
    out = grouped.reset_index()
    rank = {label: i for i, label in enumerate(order_labels(out["framework"].unique()))}
    return out.assign(_r=out["framework"].map(rank)).sort_values(["period", "_r"]).drop(columns="_r")[PORT_COLUMNS] \
        .reset_index(drop=True)  # fmt: skip


def port_flow(frame: pd.DataFrame | Implementations, venues: Sequence[str] | None = None) -> pd.DataFrame:
    """The paper's own framework -> the port's framework, for papers that have both: FLOW_COLUMNS.

    The paper's framework is that of its counted link (official, else the earliest
    contemporaneous one). ``*_port_year`` are years the ports' code started;
    ``median_lag_years`` is the median time from the paper's year to a port.
    """
    data = prepare_implementations(frame)
    ports = _port_rows(data, venues)
    own, _weight = choose_per_paper(data, keep_rows(data, ShareSpec(), venues), include_ports=False)
    labels = np.asarray(data.label_names, dtype=object)
    own_label = pd.Series(labels[data.label[own]], index=data.paper[own])
    own_label = own_label[~own_label.isin(_NOT_A_FRAMEWORK) & ~own_label.index.duplicated()]
    has_own = np.isin(data.paper[ports], own_label.index.to_numpy())
    ports = ports[has_own]
    if len(ports) == 0:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    start = data.code_start[ports].astype("datetime64[Y]").astype(np.int64) + 1970
    table = pd.DataFrame({
        "paper_framework": own_label.loc[data.paper[ports]].to_numpy(), "port_framework": labels[data.label[ports]],
        "paper": data.paper[ports], "port_year": np.where(np.isnat(data.code_start[ports]), np.nan, start),
        "lag": np.where(np.isnat(data.code_start[ports]), np.nan, start - data.year[ports]),
    })  # fmt: skip
    out = table.groupby(["paper_framework", "port_framework"]).agg(
        n_papers=("paper", "nunique"), n_ports=("paper", "size"), first_port_year=("port_year", "min"),
        median_port_year=("port_year", "median"), median_lag_years=("lag", "median")).reset_index()  # fmt: skip
    return out.sort_values(["n_ports", "paper_framework", "port_framework"], ascending=[False, True, True])[
        FLOW_COLUMNS].reset_index(drop=True)  # fmt: skip


def attribution_series(frame: pd.DataFrame | Implementations, axis: str = "venue-year", freq: str = "year",
                       venues: Sequence[str] | None = None, include_ports: bool = False) -> dict[str, pd.DataFrame]:
    """The report's series about attribution: ``ports``, ``port_flow``, ``defects`` (plausibility check) and
    ``relabelled`` (labels replaced because the framework did not exist yet in the paper's year)."""
    data = prepare_implementations(frame)
    spec = ShareSpec(axis=axis, freq=freq, include_ports=include_ports)
    return {"ports": port_counts(data, axis, freq, venues), "port_flow": port_flow(data, venues),
            "defects": plausibility_defects(data, spec, venues),
            "relabelled": labels_at_paper_time(data.frame)[1]}  # fmt: skip
