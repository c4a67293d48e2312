"""Repository URL normalisation: every spelling -> one key; non-repositories kept with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.catalog.urls import normalise_repo_url

SPELLINGS = [
    "https://github.com/Owner/Repo",
    "http://github.com/owner/repo",
    "https://www.github.com/owner/repo",
    "HTTPS://GitHub.com/OWNER/REPO/",  # any case, trailing slash
    "github.com/owner/repo",  # no scheme
    "www.github.com/owner/repo.git",
    "git@github.com:Owner/Repo.git",  # ssh form
    "git://github.com/owner/repo.git",
    "ssh://git@github.com/owner/repo",
    "git+https://github.com/owner/repo.git",  # pip's VCS form
    "https://github.com/owner/repo#readme",  # fragment
    "https://github.com/owner/repo?tab=readme-ov-file",  # query string
    "https://github.com/owner/repo/issues/12",
    "https://github.com/owner/repo.git/",
    "<https://github.com/owner/repo>",  # Markdown autolink
    "(https://github.com/owner/repo).",  # prose punctuation
    "https://github.com/owner/repo,",
    "  https://github.com/owner/repo\n",
    "https://github.com/owner/repo/tree/master",  # a ref but no folder: no scope
]


@pytest.mark.parametrize("raw", SPELLINGS)
def test_spellings_meet_in_one_key(raw: str) -> None:
    ref = normalise_repo_url(raw)
    assert (ref.key, ref.url, ref.host, ref.scope, ref.skip_reason) == (
        "owner/repo", "https://github.com/owner/repo", "github.com", None, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "scope", "url"),
    [
        ("https://github.com/o/mono/tree/main/papers/x", "papers/x", "https://github.com/o/mono/tree/main/papers/x"),
        ("https://github.com/o/mono/tree/main/papers/x/", "papers/x", "https://github.com/o/mono/tree/main/papers/x"),
        ("https://github.com/o/mono/blob/v1.0/src/train.py", "src", "https://github.com/o/mono/tree/v1.0/src"),
        ("https://github.com/o/mono/blob/main/README.md", None, "https://github.com/o/mono"),  # root file: no scope
        ("https://github.com/O/Mono/tree/Dev/Sub%20Dir", "Sub Dir", "https://github.com/o/mono/tree/Dev/Sub%20Dir"),
    ],
)
def test_scope_is_kept(raw: str, scope: str | None, url: str) -> None:
    ref = normalise_repo_url(raw)
    assert (ref.key, ref.scope, ref.url) == ("o/mono", scope, url)


@pytest.mark.parametrize(
    ("raw", "reason", "host"),
    [
        ("https://github.com/openai", "owner-only", "github.com"),  # an organisation, not a repository
        ("https://github.com/", "no-repository", "github.com"),
        ("https://github.com/orgs/facebookresearch/repositories", "not-a-repository", "github.com"),
        ("https://github.com/topics/deep-learning", "not-a-repository", "github.com"),
        ("https://gist.github.com/someone/0123abcd", "gist", "gist.github.com"),
        ("https://someone.github.io/project", "github-pages", "someone.github.io"),
        ("https://gitlab.com/group/project", "not-github", "gitlab.com"),
        ("https://bitbucket.org/team/repo", "not-github", "bitbucket.org"),
        ("https://git.example.org/lab/code", "not-github", "git.example.org"),  # self-hosted
        ("git@gitlab.com:group/project.git", "not-github", "gitlab.com"),
        ("https://api.github.com/repos/a/b", "not-a-repository", "api.github.com"),
        ("https://github.com/own er/re$po", "malformed-name", "github.com"),
        ("", "empty", None),
        (None, "empty", None),
        ("https://[::1", "unparseable", None),
    ],
)
def test_not_crawlable_links_keep_a_reason(raw: str | None, reason: str, host: str | None) -> None:
    ref = normalise_repo_url(raw)
    assert (ref.key, ref.skip_reason, ref.host) == (None, reason, host)


def test_case_of_the_link_is_kept_in_full_name() -> None:
    assert normalise_repo_url("git@github.com:FacebookResearch/Detectron.git").full_name == "FacebookResearch/Detectron"


_segment = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True)
_decorated = st.tuples(
    st.sampled_from(["https://", "http://", "", "git@github.com:", "git://", "HTTPS://WWW."]),
    _segment, _segment,
    st.sampled_from(["", "/", ".git", ".git/", "#readme", "?tab=x", "/issues", ")", ".", "/tree/main/a/b",
                     "/blob/main/a/f.py"]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(parts=_decorated)
def test_decorations_never_change_the_key(parts: tuple[str, str, str, str]) -> None:
    prefix, owner, name, suffix = parts
    host = "" if prefix == "git@github.com:" else ("github.com/" if not prefix.endswith("WWW.") else "GitHub.com/")
    ref = normalise_repo_url(f"{prefix}{host}{owner}/{name}{suffix}")
    assert ref.key == f"{owner}/{name}".lower() and ref.skip_reason is None


@settings(max_examples=300, deadline=None)
@given(parts=_decorated)
def test_normalising_a_canonical_url_gives_itself(parts: tuple[str, str, str, str]) -> None:
    prefix, owner, name, suffix = parts
    host = "" if prefix == "git@github.com:" else "github.com/"
    ref = normalise_repo_url(f"{prefix}{host}{owner}/{name}{suffix}")
    again = normalise_repo_url(ref.url)
    assert (again.url, again.key, again.scope, again.skip_reason) == (ref.url, ref.key, ref.scope, ref.skip_reason)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_never_raises_and_is_idempotent_on_any_text(text: str) -> None:
    ref = normalise_repo_url(text)
    again = normalise_repo_url(ref.url)
    assert again.url == ref.url and again.key == ref.key


_plain = st.tuples(
    st.sampled_from(["https://", "http://", "HTTP://", "https://www.", "https://WWW."]),
    st.sampled_from(["github.com", "GitHub.com"]),
    st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True), st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True),
    st.sampled_from(["", "/", ".git", ".git/", ".", ".GIT.git"]),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(parts=_plain)
def test_fast_path_agrees_with_the_general_parser(parts: tuple[str, ...]) -> None:
    from analysis.catalog.urls import _parse_repo_url

    raw = "{}{}/{}/{}{}".format(*parts)
    assert normalise_repo_url(raw) == _parse_repo_url(raw)
