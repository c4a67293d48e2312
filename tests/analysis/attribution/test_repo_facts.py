"""One definition of each repository fact: the first commit from the roots' author dates, the language by file count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from analysis.attribution.repo_facts import dominant_language, first_commit_date

NOW = datetime(2026, 12, 1)


@pytest.mark.parametrize(("roots", "first"), [
    ([datetime(2017, 3, 4)], datetime(2017, 3, 4)),
    ([datetime(2019, 1, 1), datetime(2015, 6, 1)], datetime(2015, 6, 1)),  # a merged-in history: its own root
    ([1488603967], datetime(2017, 3, 4, 5, 6, 7)),  # git's %at, epoch seconds
    ([datetime(2017, 3, 4, 7, 6, 7, tzinfo=timezone(timedelta(hours=2)))], datetime(2017, 3, 4, 5, 6, 7)),
    ([0, datetime(2018, 1, 1)], datetime(2018, 1, 1)),  # 1970: before git existed, a zeroed stamp
    ([datetime(2005, 4, 6), datetime(2005, 4, 7)], datetime(2005, 4, 7)),  # git's first day counts
    ([datetime(2031, 1, 1), datetime(2020, 1, 1)], datetime(2020, 1, 1)),  # a clock in the future
    ([NOW + timedelta(hours=12)], NOW + timedelta(hours=12)),  # a time zone ahead is not the future
    ([10**12], None),  # a date Python cannot even hold
    ([], None), ([None], None),
])  # fmt: skip
def test_the_first_commit_is_the_earliest_plausible_root_author_date(roots: list, first: datetime | None) -> None:
    assert first_commit_date(roots, now=NOW) == first


def test_without_a_now_the_present_bounds_the_future() -> None:
    assert first_commit_date([datetime.now(UTC) + timedelta(days=3)]) is None


@pytest.mark.parametrize(("paths", "language"), [
    (["a.py", "b.py", "c.cu", "README.md"], "Python"),
    (["x.ipynb", "y.ipynb", "z.py"], "Jupyter Notebook"),
    (["m.cpp", "n.py"], "C++"),  # a tie goes by name
    (["lib/A.M", "b.m", "c.py"], "MATLAB"),  # extensions in any case
    (["README.md", "data.csv"], None),
])  # fmt: skip
def test_the_language_is_the_one_with_most_files(paths: list[str], language: str | None) -> None:
    assert dominant_language(paths) == language
