"""``papertrends explain`` for a person: the explanation dict of :mod:`flows.cli.explain` as aligned lines."""

from __future__ import annotations

from typing import Any

from analysis.classifier.frameworks import CLASSIFIER_VERSION
from analysis.classifier.taxonomy import NONE, UNCLASSIFIED

_DATES = (("created", "created_at"), ("first commit", "first_commit_at"), ("last commit", "last_commit_at"),
          ("pushed", "pushed_at"))  # fmt: skip


def format_explanation(explanation: dict[str, Any]) -> str:
    """The explanation as a few aligned lines for a person."""
    if explanation["kind"] == "paper":
        return "\n".join(_paper_lines(explanation))
    return "\n".join(_repo_lines(explanation))


def _repo_lines(e: dict[str, Any]) -> list[str]:
    lines = [f"repository  {e['repo_key'] or e['url']}  {e['url']}"]
    if e["renamed_from"]:
        lines.append(f"renamed     from {e['renamed_from']}")
    decision = e["classification"]
    if decision:
        stale = "" if decision["is_current"] else f", not yet re-decided by classifier {CLASSIFIER_VERSION}"
        lines.append(f"label       {decision['framework']}  confidence {decision['confidence']:.2f}  "
                     f"({decision['reason']}; classifier {decision['classifier_version']}{stale})")  # fmt: skip
        scores = sorted(decision["scores"].items(), key=lambda kv: (-kv[1], kv[0]))
        lines.append("scores      " + (", ".join(f"{k} {v:.2f}" for k, v in scores) or "- (no framework imported)"))
    else:
        status = (e["crawl"] or {}).get("status")
        lines.append("label       none: " + ("not crawled yet" if status in (None, "pending") else f"crawl {status}"))
    lines.append("crawl       " + _crawl_text(e["crawl"], e["url"]))
    lines += _block("decided by", [_evidence_text(ev) for ev in e["evidence"]])
    modules = e["modules"]
    shown = [f"{m['module']} -> {m['label']}: {_files(m['n_files'])}" + (f", {m['n_weak']} weak" if m["n_weak"] else "")
             + f" ({', '.join(m['kinds'])})" for m in modules["framework"]]  # fmt: skip
    hidden = modules["n_framework_modules"] - len(modules["framework"])
    if hidden:
        shown.append(f"... {hidden} more")
    if modules["n_model_files"]:
        shown.append(f"({_files(modules['n_model_files'])} define or train a network: their votes count double)")
    lines += _block("modules", shown)
    first = {}
    for p in e["problems"]["files"]:
        first.setdefault(p["problem"], p["path"])
    lines += _block("problems", [f"{problem}: {_files(n)}" + (f", e.g. {first[problem]}" if problem in first else "")
                                 for problem, n in e["problems"]["by_problem"].items()])  # fmt: skip
    lines.append(f"papers      {len(e['papers'])}")
    for paper in e["papers"]:
        lines.append(f"  {_venue_text(paper)}  {paper['paper_id']}  {_short(paper['title'])}")
        lines += [f"      {t}" for t in _link_text({**paper, "framework": decision["framework"] if decision else None})]
    return lines


def _paper_lines(e: dict[str, Any]) -> list[str]:
    lines = [f"paper       {e['paper_id']}", f"title       {e['title'] or '-'}",
             f"venue       {_venue_text(e)}" + (" (workshop)" if e.get("is_workshop") else "")
             + (f"  as given: {e['proceeding']!r}" if e.get("proceeding") else ""),
             f"date        {_date_text(e)}" + (f"  arXiv {e['arxiv_id']}" if e["arxiv_id"] else ""),
             f"links       {len(e['links'])}"]  # fmt: skip
    for link in e["links"]:
        label = link["framework"] or ("not crawlable" if link["skip_reason"] else "unclassified")
        confidence = f" {link['confidence']:.2f}" if link["confidence"] is not None else ""
        mark = "*" if link["counted_weight"] else " "
        lines.append(f"  {mark} {link['repo_key'] or link['repo_url']}  {label}{confidence}"
                     + (f"  ({link['repo_status']})" if link["repo_status"] not in (None, "ok") else ""))  # fmt: skip
        lines += [f"      {t}" for t in _link_text(link)]
    if e["counted"]:
        lines.append("counted     " + ", ".join(
            f"{c['repo_key']} as {c['framework']}" + (f" (weight {c['weight']:.2f})" if c["weight"] < 1 else "")
            for c in e["counted"]) + "  (* above)")  # fmt: skip
    else:
        lines.append(f"counted     nothing: {e['not_counted_reason']}")
    lines.append(f"rule        {e['counting_rule']}")
    return lines


def _date_text(paper: dict[str, Any]) -> str:
    source = {"source": "", "arxiv-id": " (from its arXiv id: no date of its own)",
              "conference-dates": " (its conference's first day: no date of its own)"}  # fmt: skip
    if paper["paper_date"] is None:
        return "unknown"
    return f"{_day(paper['paper_date'])}{source.get(paper['paper_date_from'], '')}"


def _crawl_text(repo: dict[str, Any] | None, url: str) -> str:
    if repo is None:
        return f"never crawled ({url} is not a GitHub repository)" if "github.com" not in url else "never crawled"
    dates = [f"{name} {_day(repo[col])}" for name, col in _DATES if repo[col]]
    parts = [repo["status"] + (f" ({repo['status_reason']})" if repo["status_reason"] else "")]
    if repo["crawled_at"]:
        parts.append(f"crawled {_day(repo['crawled_at'])}")
    if dates:
        parts.append(", ".join(dates))
    if repo["n_files"] is not None:
        parts.append(f"{_files(repo['n_files'])}, {repo['n_evidence_files'] or 0} read")
    if repo["n_stars"] is not None:
        parts.append(f"{repo['n_stars']} stars")
    return "; ".join(parts)


def _evidence_text(ev: dict[str, Any]) -> str:
    return f"{ev['path']}: {ev['module']} ({ev['kind']}{', weak' if ev['is_weak'] else ''}) -> {ev['label'] or '-'}"


def _link_text(link: dict[str, Any]) -> list[str]:
    """Two lines: what the link is (official? whose code?), then whether the shares count it and why."""
    official = {True: "official", False: "not official", None: "official: unknown"}[link["is_official"]]
    attribution = link["attribution"] or "not attributed"
    reason = f" ({link['attribution_reason']})" if link["attribution_reason"] else ""
    return [f"{official}; {attribution}{reason}", link["why"] + _counted_text(link)]


def _counted_text(link: dict[str, Any]) -> str:
    if not link["counted_weight"]:
        return ""
    weight = "" if link["counted_weight"] >= 1 else f", with weight {link['counted_weight']:.2f} (a tie)"
    if link["framework"] in (None, NONE, UNCLASSIFIED):
        label = link["framework"] or UNCLASSIFIED
        return f"{weight}; as {label} it is outside the framework shares, in the 'all' series"
    return weight


def _venue_text(row: dict[str, Any]) -> str:
    return " ".join(str(v) for v in (row.get("venue") or "no venue", row.get("year") or "") if v != "")


def _block(title: str, items: list[str]) -> list[str]:
    return [f"{title if i == 0 else '':<11} {item}" for i, item in enumerate(items)]


def _files(n: int) -> str:
    return f"{n} file" + ("" if n == 1 else "s")


def _day(value: Any) -> str:
    return str(value)[:10]


def _short(title: str | None, width: int = 70) -> str:
    text = title or "-"
    return text if len(text) <= width else text[: width - 3] + "..."
