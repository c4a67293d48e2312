"""The early years in numbers a reader can weigh: how many papers each of 2014-2017 rests on, and from which lists.

Why this exists: the history the report tells (Theano and Caffe, then Keras and
TensorFlow, then PyTorch) happens in years with few papers with code, and in the
bundled sample those papers come from two different populations: conference-wide
lists and topic lists of deep-learning work (issue 25), drawn and weighted as strata
of their own. A share of 2014 means little without its n and where the n came from,
so the report says both, per year, next to the charts.

Pure: works on the implementations frame (``paper_id``, ``venue``, ``year``,
``source_list``, ``sample_source_stratum``, ``repo_status``) and the
per-paper table of :func:`analysis.shares.papers.counted_papers`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from analysis.shares.title_strata import TITLE_STRATUM_YEARS

EARLY_YEARS = tuple(sorted(TITLE_STRATUM_YEARS))
EARLY_COLUMNS = ["year", "papers", "papers_read", "framework_papers", "from_conference_lists", "from_topic_lists",
                 "from_other_sources", "lists"]  # fmt: skip
SOURCE_STRATA = {"conference": "from_conference_lists", "topic": "from_topic_lists"}
"""The sample's source strata (``sample_papers.source_stratum``); any other paper is from another source."""
NO_LIST = "not from a list (the archive or the catalog)"
"""What a paper ingested from Papers with Code itself is listed under: it has no source list to name."""
SHOWN_LISTS = 4
"""Lists named in a year's sentence (the table names them all)."""


def list_name(source: object) -> str:
    """``owner/repo/path@commit`` -> ``owner/repo`` (the list a row was read from); a paper without one says so."""
    if not isinstance(source, str) or not source.strip():
        return NO_LIST
    return "/".join(source.split("@", 1)[0].split("/")[:2])


def early_years_sources(frame: pd.DataFrame, papers: pd.DataFrame,
                        venues: Sequence[str] | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per early year that has conference papers: the counts behind its shares and their lists.

    ``papers``: papers of the year with a venue (one per paper, as the series count them); ``papers_read``: those with a
    repository whose code was read (status ``ok``); ``framework_papers``: papers counted
    whose own code uses a deep-learning framework (``has_dl_framework`` rows of ``papers``,
    counted once each: the n of the year's shares), split by the paper's source stratum;
    ``lists``: the lists those framework papers come from, ``owner/repo count`` most first.
    """
    rows = frame[frame["year"].isin(EARLY_YEARS) & frame["venue"].notna()]  # the papers the series can count
    if venues:
        rows = rows[rows["venue"].isin(list(venues))]
    if rows.empty:
        return pd.DataFrame(columns=EARLY_COLUMNS)
    for column, default in (("repo_status", None), ("sample_source_stratum", None), ("source_list", None)):
        if column not in rows:
            rows = rows.assign(**{column: default})
    per_paper = rows.assign(read=rows["repo_status"] == "ok").groupby("paper_id", sort=True).agg(
        year=("year", "first"), read=("read", "any"), stratum=("sample_source_stratum", "first"),
        source=("source_list", "first"))  # fmt: skip
    counted = papers[papers["has_dl_framework"].astype(bool)]["paper_id"].unique() if len(papers) else []
    framework = per_paper[per_paper.index.isin(counted)]
    out = []
    for year, group in per_paper.groupby("year", sort=True):
        used = framework[framework["year"] == year]
        strata = Counter(SOURCE_STRATA.get(s, "from_other_sources") for s in used["stratum"])
        lists = Counter(list_name(s) for s in used["source"])
        out.append({
            "year": int(year), "papers": len(group), "papers_read": int(group["read"].sum()),
            "framework_papers": len(used), **{c: strata.get(c, 0) for c in (*SOURCE_STRATA.values(),
                                                                             "from_other_sources")},
            "lists": "; ".join(f"{name} {n}" for name, n in sorted(lists.items(), key=lambda kv: (-kv[1], kv[0]))),
        })  # fmt: skip
    return pd.DataFrame(out, columns=EARLY_COLUMNS)


def early_years_sentences(table: pd.DataFrame) -> list[str]:
    """One sentence per year: its n, how many papers it was read from, and where the n comes from."""
    sentences = []
    for row in table.itertuples(index=False):
        parts = [f"{row.from_conference_lists} from conference-wide lists" if row.from_conference_lists else "",
                 f"{row.from_topic_lists} from topic lists of deep-learning work" if row.from_topic_lists else "",
                 f"{row.from_other_sources} from other sources" if row.from_other_sources else ""]  # fmt: skip
        where = ", ".join(p for p in parts if p)
        named = row.lists.split("; ") if row.lists else []
        rest, rest_papers = len(named) - SHOWN_LISTS, sum(int(n.rsplit(" ", 1)[1]) for n in named[SHOWN_LISTS:])
        more = (f"; {rest} more list{'s' * (rest != 1)} ({rest_papers} paper{'s' * (rest_papers != 1)})"
                if rest > 0 else "")  # fmt: skip
        lists = f" Lists: {'; '.join(named[:SHOWN_LISTS])}{more}." if named else ""
        sentences.append(f"{row.year}: n = {row.framework_papers} papers whose own code uses a deep-learning "
                         f"framework{f' ({where})' if where else ''}, among {row.papers} conference papers with "
                         f"code links ({row.papers_read} with code read).{lists}")  # fmt: skip
    return sentences
