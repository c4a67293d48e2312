"""Turn the answers of the snapshot ``fetch`` tool into ``data/sample/fetch_log.csv``.

Why this exists: repository snapshots were brought onto the build machine by an
interactive tool, not by project code, so the outcome of each fetch (a git
directory, "No snapshot ...", a size refusal, or another failure) has to be
recorded as data. ``build_sample.py`` reads this log to tell a repository that
was never available (missing / too-large) from one that merely is not on the
current machine.

Input: a TSV ``OWNER/NAME<TAB>answer`` with the tool's answer text, one line per
fetch call. Output columns: repo_url, outcome (ok|missing|too-large|error), detail.
Rows already in the log are kept as they are (their snapshots may be gone from the
machine), also when the draw no longer holds their repository (a list added after a
draw can displace a drawn row of a cell), so the log only grows. A drawn repository with no answer yet
gets no row (the snapshot budget of a build session is finite); the count is printed.
The snapshot directory in an ``ok`` answer is written relative to the snapshot store (``<mirror>/owner+name/repo``):
no absolute path of the build machine goes into the committed log.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

MIRROR = "<mirror>/"


def relative_answer(answer: str) -> str:
    """``/any/where/.mirror/o+n/repo`` -> ``<mirror>/o+n/repo``: the build machine's layout stays out."""
    return re.sub(r"^/\S*?/\.mirror/", MIRROR, answer.strip())


def classify_answer(answer: str) -> str:
    """Map the tool's answer text to an outcome, following its documented messages."""
    text = answer.strip()
    if text.startswith(("/", MIRROR)):
        return "ok"
    if text.startswith("No snapshot"):
        return "missing"
    if text.startswith("That snapshot has") and "bytes" in text:
        return "too-large"
    return "error"


def read_answers(path: Path) -> dict[str, str]:
    """Read OWNER/NAME -> answer; the last answer for a repository wins (a retry)."""
    answers: dict[str, str] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            repo, answer = line.rstrip("\n").split("\t", 1)
            answers[repo.lower()] = answer
    return answers


def read_log(path: Path) -> dict[str, dict[str, str]]:
    """lower-case repo_url -> the row already logged (empty when there is no log yet)."""
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["repo_url"].lower(): row for row in csv.DictReader(fh)}


def log_row(url: str, logged: dict[str, dict[str, str]], answers: dict[str, str]) -> list[str]:
    """The kept row of a repository logged before, else one made from its fetch answer."""
    old = logged.get(url.lower())
    if old is not None:
        return [url, old["outcome"], relative_answer(old["detail"])]
    answer = relative_answer(answers[url.split("github.com/", 1)[1].lower()])
    return [url, classify_answer(answer), answer]


def main(argv: list[str] | None = None) -> int:
    """Write one log row per selected repository that was tried, sorted by URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", type=Path, help="TSV of OWNER/NAME and fetch answer")
    parser.add_argument("--selection", type=Path, default=Path("data/sample/selection.csv"))
    parser.add_argument("--out", type=Path, default=Path("data/sample/fetch_log.csv"))
    args = parser.parse_args(argv)
    answers, logged = read_answers(args.answers), read_log(args.out)
    with args.selection.open(encoding="utf-8", newline="") as fh:
        urls = [row["repo_url"] for row in csv.DictReader(fh)]
    untried = [u for u in urls if u.lower() not in logged and u.split("github.com/", 1)[1].lower() not in answers]
    if untried:  # drawn but not fetched yet: no row, so build_sample writes them not-fetched
        print(f"{len(untried)} drawn repositories have no fetch answer yet, e.g. {untried[0]}", file=sys.stderr)
    untried_set = set(untried)
    tried = [u for u in urls if u not in untried_set]
    # a repository the draw no longer holds (a list added later displaced its row) keeps its answer: it was asked
    drawn = {u.lower() for u in urls}
    kept = [[r["repo_url"], r["outcome"], relative_answer(r["detail"])]
            for key, r in logged.items() if key not in drawn]
    rows = sorted([log_row(url, logged, answers) for url in tried] + kept, key=lambda r: r[0].lower())
    with args.out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["repo_url", "outcome", "detail"])
        writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
