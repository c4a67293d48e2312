"""How well a repository's evidence supports the winning framework, and when it does not.

Split from :mod:`analysis.classifier.frameworks` (which decides): the winner's strength
(its share of the votes times a volume factor) and coverage (the share of the code that
carries it) make its confidence, and three doubts turn a winner into ``none``: evidence
too thin (optional imports, unit tests, a score below :data:`MIN_SUPPORT`), a framework
seen only in notebooks of a codebase in other languages, and a minor side port. Pure.
"""

from __future__ import annotations

from analysis.classifier.imports import Evidence
from analysis.classifier.rules import CODE_KINDS, MANIFEST_KINDS, OTHER_LANGUAGE_KINDS
from analysis.classifier.test_files import FileRoles

MIN_SUPPORT = 0.5
"""The least score a framework needs to be a repository's label: half of one ordinary
code file (one manifest line, one imported module of a script). Below it (an optional
import, a unit test, a file of a vendored copy) the repository is ``none``."""


def thin_evidence(scores: dict[str, float], drivers: dict[str, list[Evidence]], best: str,
                  tests: FileRoles | None = None) -> str:  # fmt: skip
    """Why the winner is too weak to be the repository's framework ('' when it is not):
    every trace is an optional or unused import, or sits in unit tests (told from
    evaluation scripts by what they do: analysis.classifier.test_files), or the score is below
    ``MIN_SUPPORT``."""
    found = drivers.get(best) or drivers.get("?" + best, [])
    tests = tests or FileRoles(frozenset(), frozenset())
    if found and all(e.is_weak for e in found):
        return "evidence-too-weak: only optional or unused imports"
    if found and all(tests.is_unit_test(e.path) for e in found):
        return "evidence-too-weak: only tests import it"
    if scores[best] < MIN_SUPPORT:
        return f"evidence-too-weak: score {scores[best]:g} below {MIN_SUPPORT:g}"
    return ""


def winner_strength(scores: dict[str, float], best: str) -> float:
    """The winner's share of all votes times a volume factor ``m / (m + 1)``: one importing
    file is at most 0.5, four files make 0.8. Unrelated files cannot change it."""
    mass = scores[best]
    return mass / sum(scores.values()) * mass / (mass + 1)


def coverage_of(rows: list[Evidence], drivers: dict[str, list[Evidence]], best: str) -> float:
    """Share of the repository's code files that carry the winner's evidence.

    Confidence is scaled by ``min(1, 5 * coverage)``: a label held by a fifth of the
    code is as good as any; one resting on 2% of it is doubtful. This is also why one
    added unrelated file cannot flip a confident label (see ``is_minor_port``).
    """
    code = {e.path for e in rows if e.kind in CODE_KINDS}
    framework = {e.path for e in drivers.get(best) or drivers.get("?" + best, []) if e.kind in CODE_KINDS}
    return len(framework) / len(code) if code else 1.0


def is_tutorial_only(rows: list[Evidence], top: tuple[Evidence, ...]) -> bool:
    """A framework seen only in notebooks, in a repository whose code is mostly other
    languages (C++, R, MATLAB, Lua): a tutorial or a demo, not the paper's framework.
    Applied only below CONFIDENT strength, which unrelated files cannot change."""
    if not top or any(e.kind not in ("notebook", *MANIFEST_KINDS) for e in top):
        return False
    code = {e.path: e.kind for e in rows if e.kind in CODE_KINDS}
    other = sum(kind in OTHER_LANGUAGE_KINDS for kind in code.values())
    notebooks = sum(kind == "notebook" for kind in code.values())
    return other >= 5 and other >= 3 * max(notebooks, 1) and other * 2 > len(code)


def is_minor_port(rows: list[Evidence], drivers: dict[str, list[Evidence]], best: str, coverage: float) -> bool:
    """At most three framework files, under 5% of the code, in a codebase mostly written in
    another language: a side port (a MATLAB toolkit with three Lua Torch files), not the
    paper's framework. A confident label has coverage >= 15%, so one more file cannot
    bring it under 5%.
    """
    framework = [e for e in drivers.get(best) or drivers.get("?" + best, []) if e.kind in CODE_KINDS]
    if not framework or len({e.path for e in framework}) > 3 or coverage >= 0.05:
        return False
    kinds = {e.kind for e in framework}
    code = {e.path: e.kind for e in rows if e.kind in CODE_KINDS}
    return sum(kind not in kinds for kind in code.values()) * 2 > len(code)
