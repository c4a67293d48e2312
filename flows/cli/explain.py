"""``papertrends explain``: why one repository or one paper counts as it does.

Answers from what the warehouse (or its last Parquet export) already holds: the
stored decision and the evidence that drove it, the crawl's facts, every link with
its attribution, and which link the share series count for a paper. That last answer
comes from the share computation itself (:func:`analysis.shares.series.select_items` on the
paper's rows), so explain can never disagree with the chart.

The result is a plain dict; its keys are the ``--json`` contract documented in the
README. :func:`flows.cli.explain_text.format_explanation` renders it for the terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from analysis.attribution.paper_dates import paper_date
from analysis.catalog.urls import normalise_repo_url
from analysis.classifier.frameworks import CLASSIFIER_VERSION
from analysis.classifier.python_imports import MODEL_MARKER
from analysis.classifier.rules import label_for_module
from analysis.classifier.taxonomy import NONE, UNCLASSIFIED
from analysis.shares.selection import COUNTING_SENTENCE
from flows.store import explain as store
from flows.store.queries import implementation_rows
from flows.store.warehouse import Warehouse

MAX_MODULES = 12
MAX_PROBLEMS = 10
_OWNER_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_ARXIV = re.compile(r"(?:arxiv:|(?:https?://)?(?:www\.)?arxiv\.org/(?:abs|pdf)/)?(\d{4}\.\d{4,5})(?:v\d+)?(?:\.pdf)?",
                    re.IGNORECASE)  # fmt: skip
class UnknownKey(LookupError):
    """Nothing in the warehouse matches the key a person asked about."""


def explain_key(wh: Warehouse, key: str) -> dict[str, Any]:
    """The explanation of a repository (``OWNER/NAME`` or a GitHub URL) or a paper (its id or arXiv id)."""
    kind, found = resolve_key(wh, key)
    explanation = explain_paper(wh, found) if kind == "paper" else explain_repo(wh, found)
    return {"query": key, **explanation}


def resolve_key(wh: Warehouse, key: str) -> tuple[str, str]:
    """("paper", paper_id) or ("repository", repo_key or link URL); :class:`UnknownKey` when nothing matches.

    A paper id is tried first as stored (paper ids are URLs of paper pages, never of
    repositories), then as an arXiv id; a repository by its lower-case key, in any of
    the spellings links use (``https://github.com/Owner/Name/tree/main``, ``git@...``).
    A link to another host is found by its normalised URL.
    """
    text = key.strip()
    if store.paper_exists(wh, text):
        return "paper", text
    arxiv = _ARXIV.fullmatch(text)
    if arxiv:
        paper_id = store.paper_by_arxiv_id(wh, arxiv.group(1))
        if paper_id:
            return "paper", str(paper_id)
    ref = normalise_repo_url(f"https://github.com/{text}" if _OWNER_NAME.fullmatch(text) else text)
    if ref.key and store.repo_is_known(wh, ref.key):
        return "repository", ref.key
    if not ref.key and store.link_url_is_known(wh, ref.url):
        return "repository", ref.url
    raise UnknownKey(f"no repository or paper {text!r} in {wh.path} "
                     "(give OWNER/NAME, a repository URL, a paper id as stored, or an arXiv id)")  # fmt: skip


# --- a repository ---------------------------------------------------------------


def explain_repo(wh: Warehouse, key: str) -> dict[str, Any]:
    """A repository's label, scores, deciding evidence, crawl facts and papers (key or non-GitHub URL)."""
    asked = store.repo_facts(wh, key)
    # A renamed repository's facts and decision live under its new key, as in the share series.
    repo_key = asked["renamed_to"] if asked and asked["status"] == "renamed" and asked["renamed_to"] else key
    repo = store.repo_facts(wh, repo_key) or asked
    decision = stored_decision(wh, repo_key)
    return {
        "kind": "repository",
        "repo_key": repo_key if "/" in repo_key and "://" not in repo_key else None,
        "url": _repo_url(repo, repo_key),
        "renamed_from": key if repo_key != key else None,
        "crawl": repo,
        "classification": decision,
        "evidence": decision["evidence"] if decision else [],
        "modules": module_summary(wh, repo_key),
        "problems": file_problems(wh, repo_key),
        "papers": repo_papers(wh, [key, repo_key]),
    }


def _repo_url(repo: dict[str, Any] | None, key: str) -> str:
    if "://" in key:  # a link to another host, known only by its URL
        return key
    return f"https://github.com/{repo['full_name'] if repo and repo['full_name'] else key}"


def stored_decision(wh: Warehouse, repo_key: str) -> dict[str, Any] | None:
    """The decision at this classifier version, else the newest stored one (``is_current`` says which)."""
    row = store.latest_decision(wh, repo_key, CLASSIFIER_VERSION)
    if row is None:
        return None
    evidence = [{"path": p, "module": m, "kind": k, "is_weak": bool(w), "label": _label(m, k)}
                for p, m, k, w in json.loads(row["evidence"] or "[]")]  # fmt: skip
    return {**row, "scores": json.loads(row["scores"] or "{}"), "evidence": evidence,
            "is_current": row["classifier_version"] == CLASSIFIER_VERSION}  # fmt: skip


def _label(module: str, kind: str) -> str | None:
    label = label_for_module(module, kind)
    return label.lstrip("?") if label else None  # "?": an ambiguous library, a vote only without others


def module_summary(wh: Warehouse, repo_key: str) -> dict[str, Any]:
    """The stored evidence by top-level module: those pointing to a framework (most files first), and the rest.

    A file counts as weak for a module when every import of it there is weak (optional,
    unused, in a ``try``); those count a quarter in the decision.
    """
    rows = store.evidence_rows(wh, repo_key)
    files: dict[tuple[str, str], dict[str, bool]] = {}
    kinds: dict[tuple[str, str], set[str]] = {}
    for path, module, kind, is_weak in rows:
        label = _label(module, kind)
        root = module.split(".")[0]
        if not label:  # a file marker ("" for a file without framework imports, "@model") or a non-framework library
            continue
        weak = files.setdefault((root, label), {})
        weak[path] = weak.get(path, True) and bool(is_weak)
        kinds.setdefault((root, label), set()).add(kind)
    framework = [{"module": root, "label": label, "kinds": sorted(kinds[root, label]), "n_files": len(paths),
                  "n_weak": sum(paths.values())} for (root, label), paths in files.items()]  # fmt: skip
    framework.sort(key=lambda r: (-r["n_files"], r["module"], r["label"]))
    return {"framework": framework[:MAX_MODULES], "n_framework_modules": len(framework),
            "n_files": len({path for path, *_rest in rows}),
            "n_model_files": len({path for path, module, *_rest in rows if module == MODEL_MARKER})}  # fmt: skip


def file_problems(wh: Warehouse, repo_key: str) -> dict[str, Any]:
    """Files the crawl read only in part or not at all: how many per problem, and the first few."""
    rows = store.file_problems(wh, repo_key)
    by_problem: dict[str, int] = {}
    for row in rows:
        by_problem[row["problem"]] = by_problem.get(row["problem"], 0) + 1
    return {"n_files": len(rows), "by_problem": by_problem, "files": rows[:MAX_PROBLEMS]}


def repo_papers(wh: Warehouse, keys: Sequence[str]) -> list[dict[str, Any]]:
    """Every paper linked to the repository (by key, or by URL for other hosts), each link's attribution."""
    rows = store.repo_links(wh, keys)
    _apply_verdicts(rows, link_verdicts(wh, [r["paper_id"] for r in rows]))
    return rows


# --- a paper --------------------------------------------------------------------


def explain_paper(wh: Warehouse, paper_id: str) -> dict[str, Any]:
    """A paper's venue, year and date, each link with attribution and label, and which one the shares count."""
    paper = store.paper_facts(wh, paper_id) or {}
    # The date attribution judges links by: the source's, else the arXiv month, else the conference's first day.
    when, source = paper_date(paper.get("published_date"), paper.get("arxiv_id"), paper.get("venue"),
                              paper.get("year"))  # fmt: skip
    paper.update(paper_date=when, paper_date_from=source)
    links = store.paper_links(wh, paper_id, CLASSIFIER_VERSION)
    for link in links:
        link["paper_id"] = paper_id
    _apply_verdicts(links, link_verdicts(wh, [paper_id]), paper)
    for link in links:
        del link["paper_id"]
    counted = [link for link in links if link["counted_weight"] > 0]
    return {"kind": "paper", **paper, "links": links, "counted": [
        {"repo_key": c["repo_key"], "framework": c["framework"] or UNCLASSIFIED, "weight": c["counted_weight"],
         "in_framework_shares": c["framework"] not in (None, NONE)} for c in counted],
        "not_counted_reason": None if counted else why_not_counted(paper, links),
        "counting_rule": COUNTING_SENTENCE[False]}  # fmt: skip


def link_verdicts(wh: Warehouse, paper_ids: Sequence[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """(paper_id, repo_url) -> the link's current attribution and its weight in the headline share series.

    Attributions are current (stale ones worked out from stored facts, as the report
    does), and the weight comes from the series' own selection
    (:func:`analysis.shares.series.select_items`: conference papers, the paper's own code, one
    link each by :func:`analysis.shares.selection.choose_per_paper`), so explain says what the
    chart counts by construction. Links that cannot be crawled are not in it.
    """
    if not paper_ids:
        return {}
    from analysis.shares.implementations import prepare_implementations
    from analysis.shares.series import ShareSpec, select_items
    from flows.stages.attribute import current_attributions

    # as counted: a link in a framework released after the conference is a later port (or rewrite) there
    data = prepare_implementations(current_attributions(wh, implementation_rows(wh, CLASSIFIER_VERSION,
                                                                                  paper_ids=paper_ids)))
    frame = data.frame
    weights = dict.fromkeys(range(len(frame)), 0.0)
    items = select_items(data, ShareSpec())
    weights.update(zip(items["row"].tolist(), items["weight"].tolist(), strict=True))
    return {(str(row.paper_id), str(row.repo_url)): {
                "attribution": row.attribution, "attribution_reason": row.attribution_reason,
                "counted_weight": float(weights[i])}
            for i, row in enumerate(frame.itertuples(index=False))}  # fmt: skip


def _apply_verdicts(rows: list[dict[str, Any]], verdicts: dict[tuple[str, str], dict[str, Any]],
                    paper: dict[str, Any] | None = None) -> None:  # fmt: skip
    """Each link row (with ``paper_id`` and ``repo_url``) gets its attribution, weight and why."""
    for row in rows:
        row.update(verdicts.get((row["paper_id"], row["repo_url"]), {"counted_weight": 0.0}))
        facts = paper or row
        row["why"] = why_link(row, in_series=facts.get("venue") is not None and facts.get("year") is not None)


def why_link(link: dict[str, Any], in_series: bool = True) -> str:
    """Why a link is counted or not, from its attribution and the selection's verdict."""
    attribution = link.get("attribution")
    if not in_series:
        return "not counted: its paper is in no share series (no conference venue and year)"
    if link.get("skip_reason"):
        return f"not counted: not a repository that can be crawled ({link['skip_reason']})"
    if link["counted_weight"]:
        return {"official": "counted: its source marks it official",
                "contemporaneous": "counted: its code starts within the paper's window, and no official or earlier "
                                   "link comes first",
                "unknown": "counted: its repository was never decided (missing or failed)"}.get(
            attribution, "counted")  # fmt: skip
    if attribution in ("later-port", "later-rewrite", "suspect", "unknown"):
        return f"not counted: not the paper's own code ({attribution})"
    return "not counted: another link of the paper comes first (official, else the earliest)"


def why_not_counted(paper: dict[str, Any], links: list[dict[str, Any]]) -> str:
    """The first rule of the share series that leaves this paper out, in words."""
    if not paper.get("venue"):
        return "not a conference paper (no known venue): the share series count conference papers only"
    if paper.get("year") is None:
        return "its conference year is unknown"
    if not links:
        return "it has no code link"
    if all(link["skip_reason"] for link in links):
        return "none of its links is a GitHub repository that can be crawled"
    words = sorted({link["attribution"] for link in links if link["attribution"]})
    return f"none of its links is the paper's own code ({', '.join(words) or 'not attributed'})"
