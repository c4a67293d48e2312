"""The report step end to end on a small synthetic warehouse, and report.html in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.frameworks import CLASSIFIER_VERSION
from flows.cli import main
from flows.report import write_report
from flows.store import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from synthetic import write_synthetic  # noqa: E402

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def synthetic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    with Warehouse(path) as wh:
        write_synthetic(wh, 1500, CLASSIFIER_VERSION, seed=3)
    return path


@pytest.fixture(scope="module")
def report(synthetic_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    with Warehouse(synthetic_db, read_only=True) as wh:
        return write_report(wh, tmp_path_factory.mktemp("report"))


def test_report_writes_every_chart_series_and_the_page(report: dict) -> None:
    assert {"csv", "png", "svg", "html", "parquet", "counts", "charts", "series"} <= set(report)
    names = {Path(p).name for p in report["charts"]}
    for chart in ("share", "lines", "venues", "counts"):
        assert {f"{chart}_venue-year_year.png", f"{chart}_venue-year_year.svg"} <= names
    assert all(Path(p).stat().st_size > 1000 for p in report["charts"])
    assert len(report["series"]) == 22
    assert report["counts"] and all(isinstance(p, str) and n > 0 for p, n in report["counts"])


def test_series_csv_and_parquet_hold_the_same_table(report: dict) -> None:
    from_csv = pd.read_csv(report["csv"], dtype={"period": str})
    from_parquet = pd.read_parquet(report["parquet"])
    assert list(from_csv.columns) == list(from_parquet.columns)
    assert from_csv["period"].tolist() == from_parquet["period"].tolist()
    assert from_csv["share"].to_numpy() == pytest.approx(from_parquet["share"].to_numpy(), rel=1e-5)
    sums = from_parquet.groupby("period")["share"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)


def test_svg_is_byte_stable_across_runs(tmp_path: Path) -> None:
    from tests_support import implementations_frame

    from analysis.charts import stacked_share_chart
    from analysis.shares import framework_shares
    from flows.report import save_figures

    shares = framework_shares(implementations_frame())
    first = save_figures({"share": stacked_share_chart(shares, "t")}, tmp_path / "a", "x")["share"]["svg"]
    second = save_figures({"share": stacked_share_chart(shares, "t")}, tmp_path / "b", "x")["share"]["svg"]
    assert first.read_bytes() == second.read_bytes()
    assert b"<dc:date>" not in first.read_bytes()


def test_html_is_self_contained_with_every_section(report: dict) -> None:
    page = Path(report["html"]).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    assert page.count("<img class='chart'") == 4
    for section in ("Coverage", "Latest period", "Crossovers", "Compared with published numbers",
                    "Our label against Papers with Code", "papers with code", "repos failed"):  # fmt: skip
        assert section in page
    assert "Horace He" in page and "CVPR" in page
    assert re.search(r"Agreement on [\d,]+ repositories: <b>\d+\.\d%</b>", page)


def test_empty_warehouse_still_gets_a_page_and_no_charts(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "empty.duckdb") as wh:
        written = write_report(wh, tmp_path / "out")
    assert written["counts"] == [] and written["charts"] == [] and "png" not in written
    assert "No classified conference papers yet" in Path(written["html"]).read_text(encoding="utf-8")


def test_report_command_narrows_to_venues_and_prints_what_it_wrote(synthetic_db: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    code = main(["report", "--db", str(synthetic_db), "--out", str(tmp_path), "--axis", "paper-date",
                 "--freq", "quarter", "--venue", "CVPR", "--venue", "icml"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert f"html: {tmp_path / 'report.html'}" in out
    assert re.search(r"per period: \d{4}Q[1-4] n=", out)
    by_venue = pd.read_parquet(tmp_path / "series" / "shares_by_venue_paper-date_quarter.parquet")
    assert set(by_venue["venue"]) == {"CVPR", "ICML"}
    assert main(["report", "--db", str(synthetic_db), "--axis", "decade"]) == 2


# Runs after the page has loaded: writes what the browser made of each image into the DOM,
# which --dump-dom then prints.
PROBE = """<script>window.addEventListener('load', () => {
  const found = [...document.images].map(i => ({w: i.naturalWidth, h: i.naturalHeight, done: i.complete}));
  const out = document.createElement('pre'); out.id = 'probe'; out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
});</script>"""


def chromium_args(user_dir: Path) -> list[str]:
    return [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={user_dir}", "--virtual-time-budget=10000"]  # fmt: skip


def test_report_renders_every_chart_in_headless_chromium(report: dict, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium): cannot open report.html in a browser")
    page = Path(report["html"]).read_text(encoding="utf-8").replace("</body>", PROBE + "</body>")
    probed = tmp_path / "probed.html"
    probed.write_text(page, encoding="utf-8")
    result = subprocess.run([*chromium_args(tmp_path / "profile"), "--dump-dom", probed.as_uri()],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    match = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert match, f"the page did not finish loading in chromium: {result.stderr[-2000:]}"
    images = json.loads(match.group(1))
    assert len(images) == 4
    assert all(img["done"] and img["w"] > 0 and img["h"] > 0 for img in images), images
