"""bench/record.py writes every figure of bench/BENCHMARKS.md; bench/run_all.py runs, skips and fails benchmarks."""

from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import record  # noqa: E402
import run_all  # noqa: E402

HEADER = re.compile(
    r"^_`python bench/\S+\.py[^`]*` · \d{4}-\d\d-\d\d \d\d:\d\d UTC, [^·]+ · nproc \d+ · Python \d+\.\d+\.\d+ · "
    r"load average \(1 min\) \d+\.\d\d before, \d+\.\d\d after · (commit [0-9a-f]+( \+ local changes)?|no git commit)_$"
)
BLOCK = re.compile(r"<!-- bench:([\w.-]+) -->\n(.*?)<!-- /bench:\1 -->", re.DOTALL)


@pytest.fixture
def md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\nWhat the blocks are.\n\n{record.HISTORY}\n\nOld figures: 41 h.\n")
    monkeypatch.setenv("PAPERTRENDS_BENCH_MD", str(path))
    monkeypatch.setattr(sys, "argv", [str(BENCH / "crawl_bench.py"), "--repos", "1000"])
    return path


def test_a_missing_block_is_added_before_the_history_with_the_recorders_header(md: Path) -> None:
    record.record("crawl", "| a | b |\n|---|---|\n| 1 | 2 |", title="Crawler")
    text = md.read_text()
    assert text.index("<!-- bench:crawl -->") < text.index(record.HISTORY)
    body = BLOCK.search(text).group(2).splitlines()  # type: ignore[union-attr]
    assert body[0] == "## Crawler"
    assert HEADER.match(body[2]), body[2]
    assert body[2].startswith("_`python bench/crawl_bench.py --repos 1000` · ")
    assert f"Python {platform.python_version()}" in body[2]
    assert body[-1] == "| 1 | 2 |"


def test_a_block_is_replaced_whole_and_nothing_else_moves(md: Path) -> None:
    record.record("crawl", "first: 1", title="Crawler")
    record.record("report", "report: 2", title="Report")
    before = md.read_text()
    record.record("crawl", "second: 3", title="Crawler")
    after = md.read_text()
    assert "first: 1" not in after and "second: 3" in after
    assert after.count("<!-- bench:crawl -->") == 1
    # everything outside the crawl block is byte for byte the same
    assert BLOCK.sub(lambda m: m.group(1), before) == BLOCK.sub(lambda m: m.group(1), after)


def test_a_file_without_history_gets_the_block_at_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "B.md"
    monkeypatch.setenv("PAPERTRENDS_BENCH_MD", str(path))
    record.record("x", "body")
    assert path.read_text().startswith("# Benchmarks\n")
    assert path.read_text().rstrip().endswith("<!-- /bench:x -->")


def test_the_command_line_is_the_scripts_path_in_the_project_and_its_arguments() -> None:
    assert record.command_line([str(BENCH / "scale_sim.py"), "--repos", "200000"]) == (
        "python bench/scale_sim.py --repos 200000")
    assert record.command_line([str(BENCH / "x.py"), "a b"]) == "python bench/x.py 'a b'"


def test_skip_says_why_in_one_line_and_exits_0(tmp_path: Path) -> None:
    status = tmp_path / "status"
    script = tmp_path / "needs_snapshots.py"
    script.write_text(f"import sys; sys.path.insert(0, {str(BENCH)!r}); import record; record.skip('no snapshots')\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                         env={"PAPERTRENDS_BENCH_STATUS": str(status), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert out.returncode == 0
    assert out.stdout == "needs_snapshots.py: skipped: no snapshots\n"
    assert status.read_text() == "skipped: no snapshots\n"


def test_run_all_exits_0_when_all_ran_or_skipped_and_1_when_one_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ok.py").write_text("print('measured')\n")
    (tmp_path / "skips.py").write_text(f"import sys; sys.path.insert(0, {str(BENCH)!r}); import record; "
                                       "record.skip('needs snapshots')\n")  # fmt: skip
    (tmp_path / "fails.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(run_all, "BENCH", tmp_path)
    monkeypatch.setattr(run_all, "DEFAULT", [("ok.py", []), ("skips.py", [])])
    assert run_all.main([]) == 0
    assert re.search(r"skipped +\d+ s +skips\.py +\(needs snapshots\)", capsys.readouterr().out)
    monkeypatch.setattr(run_all, "DEFAULT", [("ok.py", []), ("fails.py", []), ("skips.py", [])])
    assert run_all.main([]) == 1
    assert "failed: fails.py" in capsys.readouterr().err


def test_the_default_plan_runs_every_benchmark_and_the_big_sizes_are_opt_in() -> None:
    scripts = {p.name for p in BENCH.glob("*.py")} - {"record.py", "run_all.py", "synthetic.py", "json_read_json.py"}
    assert {s for s, _ in run_all.DEFAULT} == scripts
    scale = dict(run_all.SCALE)["scale_sim.py"]
    assert scale[scale.index("--repos") + 1] == "200000"
    default = dict(run_all.DEFAULT)["scale_sim.py"]
    assert int(default[default.index("--repos") + 1]) < 200_000


# --- bench/BENCHMARKS.md itself ------------------------------------------------------------


def _benchmarks() -> str:
    return (BENCH / "BENCHMARKS.md").read_text()


def test_every_block_of_benchmarks_md_starts_with_the_recorders_header() -> None:
    text = _benchmarks()
    assert text.count("<!-- bench:") == text.count("<!-- /bench:")
    blocks = BLOCK.findall(text)
    assert blocks
    for name, body in blocks:
        lines = body.splitlines()
        header = lines[2] if lines[0].startswith("#") else lines[0]
        assert HEADER.match(header), (name, header)


def test_no_figure_in_benchmarks_md_outside_a_generated_block() -> None:
    """Narrative may explain, but a number outside a block (and outside the dated history appendix)
    would be a figure no script wrote."""
    current = _benchmarks().split(record.HISTORY)[0]
    outside = BLOCK.sub("", current)
    outside = re.sub(r"`[^`]*`", "", outside)  # commands and names, e.g. `--repos 1000`
    outside = re.sub(r"<!--.*?-->", "", outside, flags=re.DOTALL)
    assert re.findall(r".*\d.*", outside) == []


def test_readme_citations_of_benchmarks_md_name_sections_that_exist() -> None:
    readme = (BENCH.parent / "README.md").read_text()
    headings = {line.lstrip("#").strip() for line in _benchmarks().splitlines() if line.startswith("#")}
    cited = re.findall(r'bench/BENCHMARKS\.md\)?,? "([^"]+)"', " ".join(readme.split()))
    assert cited
    missing = [c for c in cited if not any(h.startswith(c) for h in headings)]
    assert missing == []
