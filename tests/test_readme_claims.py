"""Every behaviour the README promises has a test, and that test names the README sentence it guards.

The README is read by people deciding whether to trust the numbers; a sentence no test
keeps honest drifts. Each entry: a passage of the README (exact text) and the test that
checks it, whose source mentions "README".
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = " ".join((ROOT / "README.md").read_text().split())

CLAIMS = {
    "Exit codes: 0 ok, 1 failure, 2 usage error, 130 stopped by Ctrl-C (SIGINT), 143 stopped by SIGTERM":
        "tests/reliability/test_interrupts.py::test_a_signal_at_every_moment_of_a_sample_refresh_ends_it_cleanly_and_recorded",
    "when the work had already been recorded (the run's row says `completed`), the line says so":
        "tests/reliability/test_interrupts.py::test_a_signal_at_every_moment_of_a_sample_refresh_ends_it_cleanly_and_recorded",
    "A command with nothing to do (a crawl of an up-to-date warehouse) succeeds.":
        "tests/flows/crawl/test_crawl.py::test_a_crawl_with_nothing_due_succeeds",
    "errors are one line starting `papertrends COMMAND: error:`, with no traceback unless `--debug`":
        "tests/flows/cli/test_cli.py::test_failures_exit_1_with_one_line_and_no_traceback",
    "refused at once in one line":
        "tests/reliability/test_secrets_and_concurrency.py::test_a_second_refresh_is_refused_while_one_runs",
    "one stopped before its row existed leaves none":
        "tests/reliability/test_interrupts.py::test_a_signal_at_every_moment_of_a_sample_refresh_ends_it_cleanly_and_recorded",
    "`<name>-parquet/` and `<name>-reports/` next to any other `<name>.duckdb`, so a second warehouse never writes "
    "into the first one's folders":
        "tests/flows/test_refresh.py::test_db_elsewhere_keeps_its_exports_and_reports_beside_it",
    "every killed run is recorded `interrupted`, none `completed`":
        "tests/reliability/test_crash_resume.py::test_refresh_killed_at_every_stage_resumes_to_the_clean_warehouse",
}  # fmt: skip


@pytest.mark.parametrize("claim, test", CLAIMS.items(), ids=[t.split("::")[1] for t in CLAIMS.values()])
def test_each_readme_promise_is_in_the_readme_and_guarded_by_a_test_that_says_so(claim: str, test: str) -> None:
    assert claim in README, f"the README no longer says: {claim!r}"
    path, name = test.split("::")
    source = (ROOT / path).read_text()
    found = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef) and node.name == name]
    assert found, f"{test} does not exist"
    assert "README" in (ast.get_docstring(found[0]) or ""), f"{test} does not say which README sentence it guards"
