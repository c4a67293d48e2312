"""Every report variant of the bundled sample in headless Chromium: its own numbers, and nothing overlaps.

The variants are the ones a user writes after ``make demo``: the default report, a venue
report (``report --venue CVPR``), a quarterly one (``report --axis paper-date --freq
quarter``) and the one counting every implementation (``report --include-ports``). Each
page must carry its own selection's data (the with-ports page once carried the default's),
and no two labels of its chart (period and value ticks, counts, crossover notes, title,
axis labels) may overlap in any view.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser import CHROMIUM, Browser

from flows.report.write import write_report
from flows.stages.attribute import attribute_links
from flows.stages.classify import classify_stored
from flows.stages.ingest import ingest_sample
from flows.store.warehouse import Warehouse

pytestmark = pytest.mark.slow

VARIANTS = {
    "demo": {},
    "cvpr": {"venues": ["CVPR"]},
    "quarterly": {"axis": "paper-date", "freq": "quarter"},
    "with-ports": {"include_ports": True},
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The bundled sample's warehouse, built as ``make demo`` builds it (without Prefect), and its four reports."""
    db = tmp_path_factory.mktemp("demo") / "warehouse.duckdb"
    with Warehouse(db) as wh:
        ingest_sample(wh)
        classify_stored(wh)
        attribute_links(wh)
    out = tmp_path_factory.mktemp("reports")
    with Warehouse(db, read_only=True) as wh:
        return {name: write_report(wh, out, **options) for name, options in VARIANTS.items()}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if CHROMIUM is None:  # a failure, not a skip: .ci/run installs chromium
        pytest.fail("chromium is not installed (apt-get install -y chromium): report.html cannot be driven")
    with Browser(tmp_path_factory.mktemp("chromium")) as chromium:
        yield chromium


def _open(browser: Browser, report: dict) -> Browser:
    browser.open(Path(report["html"]).as_uri())
    browser.wait_for("document.body.dataset.explorer === 'ready'")
    return browser


def _payload(report: dict) -> dict:
    """The data the page embeds, unpacked as the page's script unpacks it."""
    page = Path(report["html"]).read_text(encoding="utf-8")
    packed = re.search(r"id='explorer-data' data-encoding='gzip\+base64'>([^<]+)</script>", page)
    assert packed
    return json.loads(gzip.decompress(base64.b64decode(packed.group(1))))


def _series(report: dict, name: str) -> pd.DataFrame:
    return pd.read_csv(Path(report["csv"]).parent / f"{name}_{report['suffix']}.csv", dtype={"period": str})


@pytest.fixture(autouse=True)
def _suffix(reports: dict[str, dict]) -> None:
    for report in reports.values():
        report["suffix"] = Path(report["csv"]).stem.removeprefix("shares_")


# --- each variant carries its own data --------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_hovering_shows_the_numbers_of_this_variants_own_csv(reports: dict, browser: Browser, variant: str) -> None:
    report = reports[variant]
    page = _open(browser, report)
    shares = _series(report, "shares")
    for _, row in shares.nlargest(4, "n_items").iterrows():
        page.hover(f"#chart .segment[data-period='{row['period']}'][data-framework='{row['framework']}']")
        text = page.evaluate("document.getElementById('tip').innerText")
        counted = re.search(r"papers counted: ([\d,.]+) of n = ([\d,.]+)", text)
        share = re.search(r"share: ([\d.]+)% \(95% interval ([\d.]+)% – ([\d.]+)%\)", text)
        assert counted and share, text
        assert float(counted.group(1).replace(",", "")) == pytest.approx(row["n_items"], abs=0.05)
        assert float(counted.group(2).replace(",", "")) == pytest.approx(row["n_total"], abs=0.05)
        for value, column in zip(share.groups(), ("share", "share_low", "share_high"), strict=True):
            assert float(value) == pytest.approx(round(100 * row[column], 1), abs=0.051), (variant, column, text)
        weighted = "weighted estimate" in text
        assert weighted == (report["suffix"] == "venue-year_year"), text  # the sample's strata weight venue-years
        assert " of of " not in text and "(a count" in text


def test_the_with_ports_pages_data_equals_its_own_papers_csv(reports: dict) -> None:
    report = reports["with-ports"]
    payload = _payload(report)
    assert payload["include_ports"] is True
    p = payload["papers"]
    embedded = sorted((i, r, payload["frameworks"][lab], round(w, 4)) for i, r, lab, w, y in zip(
        p["id"], p["repo"], p["label"], p["weight"], p["year"], strict=True) if y is not None)  # fmt: skip
    papers = pd.read_csv(Path(report["papers"]))
    expected = sorted(zip(papers["paper_id"], papers["repo_key"], papers["framework"], papers["weight"].round(4),
                          strict=True))  # fmt: skip
    assert embedded == expected
    default = _payload(reports["demo"])
    assert len(default["papers"]["id"]) != len(p["id"])  # not the default report's rows


def test_a_venue_reports_picker_and_coverage_are_about_that_venue(reports: dict, browser: Browser) -> None:
    report = reports["cvpr"]
    page = _open(browser, report)
    options = page.evaluate("[...document.getElementById('pick-venue').options].map(o => o.text)")
    assert options == ["CVPR"]
    html = Path(report["html"]).read_text(encoding="utf-8")
    coverage = html.split("<h2>Coverage: CVPR</h2>")[1].split("</table>")[0]
    n_cvpr = int(re.search(r"<td>conference papers</td>\s*<td>([\d,]+)</td>", coverage).group(1).replace(",", ""))
    n_all = int(re.search(r"<td>conference papers</td>\s*<td>([\d,]+)</td>",
                          Path(reports["demo"]["html"]).read_text(encoding="utf-8")).group(1).replace(",", ""))
    papers = pd.read_csv(Path(report["papers"]))
    assert set(papers["venue"]) == {"CVPR"} and papers["paper_id"].nunique() <= n_cvpr < n_all


def test_the_index_gives_every_report_its_own_title(reports: dict) -> None:
    index = (Path(reports["demo"]["html"]).parent / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r"<td><a href='[^']*report\.html'>([^<]+)</a>", index)
    assert len(titles) == len(VARIANTS) and len(set(titles)) == len(titles), titles
    assert any("ports included" in t for t in titles) and any("quarter" in t for t in titles)


# --- nothing overlaps ---------------------------------------------------------------------------------

LABELS = "#chart .period, #chart .y-tick, #chart .n-tick, #chart .note, #chart .chart-title, #chart .axis-label"
BOXES = f"""[...document.querySelectorAll({json.dumps(LABELS)})].map(t => {{
  const svg = document.getElementById('chart');  // in the SVG's own units (its viewBox), rotation applied
  const b = t.getBBox(), m = svg.getScreenCTM().inverse().multiply(t.getScreenCTM());
  const xs = [b.x * m.a + b.y * m.c + m.e, (b.x + b.width) * m.a + (b.y + b.height) * m.c + m.e,
              b.x * m.a + (b.y + b.height) * m.c + m.e, (b.x + b.width) * m.a + b.y * m.c + m.e];
  const ys = [b.x * m.b + b.y * m.d + m.f, (b.x + b.width) * m.b + (b.y + b.height) * m.d + m.f,
              b.x * m.b + (b.y + b.height) * m.d + m.f, (b.x + b.width) * m.b + b.y * m.d + m.f];
  return [t.getAttribute('class'), t.textContent, Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}})"""


def _overlaps(boxes: list[list]) -> list[tuple[str, str]]:
    return [(a[1], b[1]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if a[2] < b[4] - 0.5 and b[2] < a[4] - 0.5 and a[3] < b[5] - 0.5 and b[3] < a[5] - 0.5]  # fmt: skip


@pytest.mark.parametrize("variant", ["demo", "cvpr", "quarterly"])
def test_no_two_labels_or_notes_overlap_in_any_view(reports: dict, browser: Browser, variant: str) -> None:
    page = _open(browser, reports[variant])
    views = page.evaluate("[...document.getElementById('pick-view').options].map(o => o.value)")
    venues = page.evaluate("[...document.getElementById('pick-venue').options].map(o => o.value)")
    width = page.evaluate("document.getElementById('chart').viewBox.baseVal.width")
    seen_notes = 0
    for venue in venues[:3]:
        page.choose("pick-venue", venue)
        for view in views:
            page.choose("pick-view", view)
            for mode in ("share", "lines", "counts"):
                page.choose("pick-mode", mode)
                boxes = page.evaluate(BOXES)
                where = (variant, venue, view, mode)
                assert _overlaps(boxes) == [], where
                assert all(b[2] >= 0 and b[4] <= width for b in boxes), (where, [b for b in boxes if b[4] > width])
                kinds = {b[0] for b in boxes}
                if page.evaluate("document.querySelectorAll('#chart .segment, #chart .point').length"):
                    assert {"period", "chart-title", "axis-label"} <= kinds, where  # a title and axis labels
                seen_notes += sum(b[0] == "note" for b in boxes)
    page.choose("pick-mode", "share")
    page.choose("pick-view", "0")
    page.choose("pick-venue", "")
    assert seen_notes, "crossover notes were drawn somewhere (the sample's PyTorch passes TensorFlow)"
    assert page.errors() == []


def test_quarterly_time_is_evenly_spaced_with_empty_quarters_left_empty(reports: dict, browser: Browser) -> None:
    report = reports["quarterly"]
    page = _open(browser, report)
    drawn = page.evaluate("[...new Set([...document.querySelectorAll('#chart .segment')].map(s => s.dataset.period))]")
    xs = page.evaluate("[...document.querySelectorAll('#chart .segment')].map(s => [s.dataset.period, "
                       "Number(s.getAttribute('x'))])")  # fmt: skip
    position = dict(map(tuple, xs))
    shares = _series(report, "shares")
    assert set(drawn) == set(shares["period"])
    first, last = min(drawn), max(drawn)
    quarters = (int(last[:4]) - int(first[:4])) * 4 + int(last[-1]) - int(first[-1])
    step = (position[last] - position[first]) / quarters  # one slot per quarter, empty or not
    for period, x in position.items():
        k = (int(period[:4]) - int(first[:4])) * 4 + int(period[-1]) - int(first[-1])
        assert x == pytest.approx(position[first] + k * step, abs=0.01)
    labels = page.evaluate("[...document.querySelectorAll('#chart .period')].map(t => t.textContent)")
    assert labels and all(re.fullmatch(r"\d{4}Q1\*?", t) for t in labels), labels  # thinned, on whole years
