"""The report step end to end on a small synthetic warehouse, and report.html in a real browser."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser import CHROMIUM, Browser

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from flows.cli.main import main
from flows.report.write import SERIES_FILES, write_report
from flows.store.warehouse import Warehouse

PROJECT_ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(PROJECT_ROOT / "bench"))
from synthetic import write_synthetic  # noqa: E402


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
    assert len(report["series"]) == 2 * len(SERIES_FILES) + 2  # each series and the per-paper table, CSV and Parquet
    assert report["counts"] and all(isinstance(p, str) and n > 0 for p, n in report["counts"])


def test_the_reports_intervals_keep_the_wilson_floor_and_count_no_later_framework(report: dict) -> None:
    """Issue 26's promises, read back from the written CSVs by the script users run on the demo."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("check_report", PROJECT_ROOT / "scripts" / "check_report.py")
    check_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_report)
    lines, ok = check_report.check_folder(Path(report["folder"]))
    assert ok, lines
    assert any(line.startswith("shares_all_") for line in lines)


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

    from analysis.charts.figures import stacked_share_chart
    from analysis.shares.series import framework_shares
    from flows.report.write import save_figures

    shares = framework_shares(implementations_frame())
    first = save_figures({"share": stacked_share_chart(shares, "t")}, tmp_path / "a", "x")["share"]["svg"]
    second = save_figures({"share": stacked_share_chart(shares, "t")}, tmp_path / "b", "x")["share"]["svg"]
    assert first.read_bytes() == second.read_bytes()
    assert b"<dc:date>" not in first.read_bytes()


def test_html_is_self_contained_with_every_section(report: dict) -> None:
    page = Path(report["html"]).read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page)
    assert "<link" not in page and not re.search(r"<script[^>]*\ssrc=", page)
    has_ports = any(Path(p).name.startswith("ports_") for p in report["charts"])
    assert page.count("<img class='chart'") == 2 + has_ports  # venue panels, counts (ports); the rest is interactive
    for section in ("Coverage", "Latest period", "Crossovers", "Compared with published numbers",
                    "Our label against Papers with Code", "papers with code", "repos failed",
                    "id='what-is-counted'", "Plausibility check", "Later ports"):  # fmt: skip
        assert section in page
    assert "Horace He" in page and "CVPR" in page
    assert re.search(r"Agreement on [\d,]+ repositories: <b>\d+\.\d%</b>", page)


def test_empty_warehouse_still_gets_a_page_and_no_charts(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "empty.duckdb") as wh:
        written = write_report(wh, tmp_path / "out")
    assert written["counts"] == [] and written["charts"] == [] and "png" not in written
    page = Path(written["html"]).read_text(encoding="utf-8")
    assert "No conference papers with a code link in the warehouse yet" in page
    assert written["empty_reason"] in page


def test_report_command_narrows_to_venues_and_prints_what_it_wrote(synthetic_db: Path, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    code = main(["report", "--db", str(synthetic_db), "--out", str(tmp_path), "--axis", "paper-date",
                 "--freq", "quarter", "--venue", "CVPR", "--venue", "icml"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    folder = tmp_path / "cvpr+icml_paper-date_quarter"
    assert f"html: {folder / 'report.html'}" in out and f"index: {tmp_path / 'index.html'}" in out
    assert re.search(r"per period: \d{4}Q[1-4] n=", out)
    by_venue = pd.read_parquet(folder / "series" / "shares_by_venue_paper-date_quarter.parquet")
    assert set(by_venue["venue"]) == {"CVPR", "ICML"}
    assert main(["report", "--db", str(synthetic_db), "--axis", "decade"]) == 2


def test_each_selection_gets_its_own_folder_and_the_index_lists_them(synthetic_db: Path, report: dict) -> None:
    default, tmp_path = report, Path(report["folder"])
    before = Path(default["csv"]).read_bytes()
    with Warehouse(synthetic_db, read_only=True) as wh:
        cvpr = write_report(wh, tmp_path, venues=["CVPR"])
    assert Path(default["html"]) == tmp_path / "report.html"  # the default keeps its contract path
    assert Path(cvpr["html"]) == tmp_path / "cvpr_venue-year_year" / "report.html"
    assert Path(default["csv"]).read_bytes() == before  # --venue CVPR no longer overwrites the all-venue report
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "href='report.html'" in index and "href='cvpr_venue-year_year/report.html'" in index
    assert "href='../index.html'" in Path(cvpr["html"]).read_text(encoding="utf-8")


def test_papers_csv_adds_up_to_every_row_of_the_series_csvs(report: dict) -> None:
    series = Path(report["csv"]).parent
    papers = pd.read_csv(series / "papers.csv", dtype={"period": str})
    assert len(papers) == len(pd.read_parquet(series / "papers.parquet"))
    for name, rows in (("shares", papers[papers["has_dl_framework"]]), ("shares_all", papers)):
        shares = pd.read_csv(series / f"{name}_venue-year_year.csv", dtype={"period": str})
        summed = rows.groupby(["period", "framework"])["weight"].sum()
        totals = rows.groupby("period")["weight"].sum()
        met = shares[shares["n_items"] > 0]  # the other rows: a framework not met that year, bounded from 0
        assert len(met) == len(summed) and len(shares) > len(met)
        for row in shares.itertuples():
            assert row.n_items == pytest.approx(summed.get((row.period, row.framework), 0.0), rel=1e-6)
            assert row.n_total == pytest.approx(totals[row.period], rel=1e-6)


def test_empty_sections_say_why_in_one_line_and_counts_are_integers(report: dict) -> None:
    page = Path(report["html"]).read_text(encoding="utf-8")
    assert "Nothing to show." not in page
    published = pd.read_csv(Path(report["csv"]).parent / "published_venue-year_year.csv")
    if len(published):  # whole counts print as 3, not 3.000
        section = page.split("Compared with published numbers")[1].split("<h2>")[0]
        assert not re.search(r"<td>\d+\.000</td>", section)
    assert "a crossover is marked only when" in page


def test_an_axis_with_no_dates_writes_a_page_that_says_why(synthetic_db: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    db = tmp_path / "undated.duckdb"
    shutil.copy(synthetic_db, db)
    with Warehouse(db) as wh:
        # no date of any kind: none from the source, no arXiv id, and venues the conference-dates table lacks
        wh.con.execute("UPDATE papers SET published_date = NULL, arxiv_id = NULL, venue = venue || ' (test)'")
    # the page is written, and the command fails with the reason: a chart with nothing on it is not a success
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "out"), "--axis", "paper-date"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("papertrends report: error: nothing to chart: None of the")
    assert "publication date" in err[0]
    page = (tmp_path / "out" / "all_paper-date_year" / "report.html").read_text(encoding="utf-8")
    assert "id='empty-reason'" in page and "publication date" in page


# --- report.html driven in headless Chromium (tests/browser.py: DevTools protocol over a pipe) --------------


@pytest.fixture(scope="module")
def opened_page(report: dict, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:  # a failure, not a skip: .ci/run installs chromium, so CI always drives the page
        pytest.fail("chromium is not installed (apt-get install -y chromium): report.html cannot be driven")
    with Browser(tmp_path_factory.mktemp("chromium")) as browser:
        browser.open(Path(report["html"]).as_uri())
        browser.wait_for("document.body.dataset.explorer === 'ready'")
        yield browser


@pytest.fixture
def page(opened_page: Browser) -> Browser:
    """The one open page, back in its opening view (all venues, the first axis, shares) for every test: a test
    that left it on the counts chart made the next one, in a random order, read counts where shares were meant."""
    for select, value in (("pick-venue", ""), ("pick-view", "0"), ("pick-mode", "share")):
        opened_page.choose(select, value)
    return opened_page


def _series(report: dict, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(report["csv"]).parent / f"{name}_venue-year_year.csv", dtype={"period": str})


def _tip(page: Browser) -> dict[str, float]:
    """The numbers the tooltip shows: papers n of N, share and its interval (percent)."""
    text = page.evaluate("document.getElementById('tip').innerText")
    count = re.search(r"papers counted: ([\d,.]+) of n = ([\d,.]+)", text)
    share = re.search(r"share: ([\d.]+)% \(95% interval ([\d.]+)% – ([\d.]+)%\)", text)
    assert count and share, text
    n_items, n_total = (float(v.replace(",", "")) for v in count.groups())
    return {"n_items": n_items, "n_total": n_total, **dict(zip(("share", "low", "high"), map(float, share.groups()),
                                                              strict=True))}  # fmt: skip


def _segment(period: str, framework: str) -> str:
    return f"#chart .segment[data-period='{period}'][data-framework='{framework}']"


def _assert_tip_matches(tip: dict[str, float], row: pd.Series) -> None:
    assert tip["n_items"] == pytest.approx(row["n_items"], abs=0.05)
    assert tip["n_total"] == pytest.approx(row["n_total"], abs=0.05)
    assert tip["share"] == pytest.approx(round(100 * row["share"], 1), abs=0.051)
    assert tip["low"] == pytest.approx(round(100 * row["share_low"], 1), abs=0.051)
    assert tip["high"] == pytest.approx(round(100 * row["share_high"], 1), abs=0.051)


def test_hovering_a_bar_shows_the_numbers_of_the_series_csv(page: Browser, report: dict) -> None:
    page.choose("pick-venue", "")
    shares = _series(report, "shares")
    for _, row in shares.nlargest(3, "n_items").iterrows():
        page.hover(_segment(row["period"], row["framework"]))
        assert page.evaluate("document.getElementById('tip').style.display") == "block"
        _assert_tip_matches(_tip(page), row)


def test_switching_venue_redraws_the_chart_with_that_venues_numbers(page: Browser, report: dict) -> None:
    venues = page.evaluate("[...document.getElementById('pick-venue').options].map(o => o.value).filter(v => v)")
    assert venues, "the synthetic warehouse has venues with enough papers"
    venue = venues[0]
    page.choose("pick-venue", venue)
    by_venue = _series(report, "shares_by_venue")
    expected = by_venue[by_venue["venue"] == venue]
    drawn = page.evaluate("[...document.querySelectorAll('#chart .segment')].map(s => [s.dataset.period, "
                          "s.dataset.framework])")  # fmt: skip
    assert sorted(map(tuple, drawn)) == sorted(zip(expected["period"], expected["framework"], strict=True))
    row = expected.loc[expected["n_items"].idxmax()]
    page.hover(_segment(row["period"], row["framework"]))
    _assert_tip_matches(_tip(page), row)
    page.choose("pick-venue", "")


def test_clicking_a_bar_lists_as_many_papers_as_its_count(page: Browser, report: dict) -> None:
    page.choose("pick-venue", "")
    papers = pd.read_csv(Path(report["csv"]).parent / "papers.csv", dtype={"period": str})
    whole = papers.groupby(["period", "framework"])["weight"].agg(["min", "sum", "size"])
    shares = _series(report, "shares").merge(whole.reset_index(), on=["period", "framework"])
    row = shares[shares["min"] == 1].nlargest(1, "n_items").iloc[0]  # no tie splits these papers
    page.click(_segment(row["period"], row["framework"]))
    listed = page.evaluate("document.querySelectorAll('#papers tr.paper').length")
    assert listed == row["n_items"] == row["size"]
    head = page.evaluate("document.getElementById('papers-head').innerText")
    assert f"{row['period']}, {row['framework']}: {row['n_items']:.0f} papers" in head
    links = page.evaluate("[...document.querySelectorAll('#papers tr.paper a')].map(a => a.href)")
    assert any(link.startswith("https://github.com/") for link in links)


def test_clicking_a_period_lists_every_paper_counted_in_it(page: Browser, report: dict) -> None:
    page.choose("pick-venue", "")
    papers = pd.read_csv(Path(report["csv"]).parent / "papers.csv", dtype={"period": str})
    period = str(_series(report, "shares")["period"].iloc[-1])
    page.click(f"#chart .period[data-period='{period}']")
    listed = page.evaluate("document.querySelectorAll('#papers tr.paper').length")
    assert listed == int(((papers["period"] == period) & papers["has_dl_framework"]).sum())


def test_switching_axis_draws_that_axis_periods(page: Browser) -> None:
    views = page.evaluate("[...document.getElementById('pick-view').options].map(o => [o.value, o.text])")
    value = next(v for v, text in views if text == "paper date, by quarter")
    page.choose("pick-view", value)
    assert page.evaluate("document.getElementById('chart').dataset.view") == "paper-date/quarter"
    periods = page.evaluate("[...document.querySelectorAll('#chart .segment')].map(s => s.dataset.period)")
    assert periods and all(re.fullmatch(r"\d{4}Q[1-4]", p) for p in periods)
    page.choose("pick-view", "0")


def test_the_page_makes_no_network_request_and_throws_no_error(page: Browser) -> None:
    page.choose("pick-mode", "lines")
    page.hover("#chart .point")
    page.choose("pick-mode", "counts")
    page.click("#chart .segment")
    requests = page.requests()
    assert requests and requests[0].startswith("file://")
    assert [url for url in requests if not url.startswith(("file://", "data:"))] == []
    assert page.errors() == []


def test_counts_chart_names_every_segment_in_its_legend(page: Browser, report: dict) -> None:
    page.choose("pick-venue", "")
    page.choose("pick-mode", "counts")
    drawn = set(page.evaluate("[...document.querySelectorAll('#chart .segment')].map(s => s.dataset.framework)"))
    legend = set(page.evaluate("[...document.querySelectorAll('#legend .key:not(.thin-note)')].map(k => k.innerText"
                               ".trim())"))  # fmt: skip
    assert drawn == legend == set(_series(report, "shares_all")["framework"])
    assert "unclassified" in legend  # the synthetic warehouse has repositories that could not be crawled
    page.choose("pick-mode", "share")


def test_the_early_years_say_each_years_n_as_papers_csv_counts_it(page: Browser, report: dict) -> None:
    """Issue 25: the text for 2014-2017 gives n per year (papers whose own code uses a DL framework) and sources."""
    papers = pd.read_csv(Path(report["csv"]).parent / "papers.csv", dtype={"period": str})
    framework = papers[papers["has_dl_framework"] & papers["year"].between(2014, 2017)]
    expected = framework.groupby("year")["paper_id"].nunique()
    assert len(expected) == 4  # the synthetic warehouse has every early year
    shown = page.evaluate("[...document.querySelectorAll('#early-years-n li')].map(li => li.innerText)")
    assert page.evaluate("document.getElementById('early-years').getBoundingClientRect().height") > 0
    found = {int(m[1]): int(m[2]) for m in (re.match(r"(\d{4}): n = (\d+) papers whose own code uses", t)
                                            for t in shown) if m}  # fmt: skip
    assert found == expected.to_dict()
    assert all("from other sources" in t for t in shown)  # synthetic papers come from no sample list
    assert _series(report, "early_years")["framework_papers"].tolist() == expected.tolist()


@pytest.mark.parametrize("freq", ["quarter", "month"])
def test_a_frequency_that_means_nothing_on_the_venue_year_axis_is_a_usage_error(
    synthetic_db: Path, tmp_path: Path, freq: str, capsys: pytest.CaptureFixture
) -> None:
    # it used to write a second, yearly report under another name
    assert main(["report", "--db", str(synthetic_db), "--out", str(tmp_path), "--freq", freq]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("papertrends report: error: --freq") and "venue-year" in err[0]
    assert not list(tmp_path.iterdir())  # nothing written
