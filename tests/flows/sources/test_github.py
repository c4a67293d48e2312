"""The GitHub source against the loopback fake: every answer a repository can give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.github_server import FakeGitHub, FakeRepo, Fault

from analysis.classifier.imports import MAX_READ_BYTES
from flows.settings import Settings
from flows.sources.github import GitHubSource, build_graphql_query
from flows.sources.http import RetryPolicy

TOKEN = "ghp" + "_FAKEtokenSENTINEL0123456789abcdef"  # split: a fake, not a secret to scan for


def repos() -> list[FakeRepo]:
    deep = {f"pkg/sub{i}/mod{i}.py": b"import torch\n" for i in range(6)}
    return [
        FakeRepo("Owner/Ok", {"train.py": b"import torch\n", "big.py": b"import jax\n" + b"#" * (MAX_READ_BYTES + 10)}),
        FakeRepo("Owner/Gone", status="missing"),
        FakeRepo("Owner/Dmca", status="dmca"),
        FakeRepo("Owner/Off", status="disabled"),
        FakeRepo("Owner/Empty", status="empty"),
        FakeRepo("Owner/Old", renamed_to="NewOwner/New"),
        FakeRepo("NewOwner/New", {"main.py": b"import tensorflow\n"}),
        FakeRepo("Owner/Huge", {"setup.py": b"", **deep}, truncate_tree=True),
    ]


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(repos())
    server.start()
    yield server
    server.stop()


def source(fake: FakeGitHub, token: str | None = None) -> GitHubSource:
    settings = Settings(github_api_url=fake.url, github_raw_url=fake.raw_url, github_token=token)
    return GitHubSource.from_settings(settings, pool_size=4, retry=RetryPolicy(max_tries=2, base_delay=0.01))


@pytest.mark.parametrize(("name", "status", "reason"), [
    ("Owner/Gone", "missing", "HTTP 404"),
    ("Owner/Dmca", "blocked", "dmca"),           # 451 with a block reason in the body
    ("Owner/Off", "disabled", "access blocked"),  # 403 that is not a rate limit
    ("Never/Existed", "missing", "HTTP 404"),
])  # fmt: skip
def test_unavailable_repos_get_a_status_and_reason(fake: FakeGitHub, name: str, status: str, reason: str) -> None:
    answer = source(fake).fetch_metadata(name)
    assert answer.status == status and reason in (answer.reason or "")


def test_metadata_and_a_free_304_with_the_etag(fake: FakeGitHub) -> None:
    gh = source(fake)
    answer = gh.fetch_metadata("owner/ok")
    assert answer.status == "ok" and answer.meta and answer.meta.full_name == "Owner/Ok"
    assert answer.meta.default_branch == "main" and answer.meta.created_at and answer.meta.created_at.year == 2019
    again = gh.fetch_metadata("owner/ok", answer.etag)
    assert again.status == "not_modified" and fake.counts["quota:core"] == 1
    assert gh.usage()["quota_counted"] == 1 and gh.usage()["not_modified"] == 1


def test_a_rename_is_followed_to_the_new_name(fake: FakeGitHub) -> None:
    answer = source(fake).fetch_metadata("Owner/Old")
    assert answer.status == "ok" and answer.meta and answer.meta.full_name == "NewOwner/New"


def test_empty_repository_tree_is_409(fake: FakeGitHub) -> None:
    assert source(fake).fetch_tree("Owner/Empty", "main").status == "empty"


def test_truncated_tree_is_walked_subtree_by_subtree(fake: FakeGitHub) -> None:
    tree = source(fake).fetch_tree("Owner/Huge", "main")
    blobs = {e.path for e in tree.entries if e.type == "blob"}
    assert tree.status == "ok" and blobs == set(fake.repos["owner/huge"].files)
    assert fake.counts["quota:core"] == 1 + 1 + 1 + 6  # truncated call, root, pkg, six sub-folders


def test_truncated_tree_walk_is_bounded(fake: FakeGitHub) -> None:
    gh = source(fake)
    tree = gh.fetch_tree("Owner/Huge", "main")
    entries, problem = gh.walk_tree("Owner/Huge", str(tree.sha), max_requests=2)
    assert problem == "tree-walk-cut-at-2-requests" and {e.path for e in entries} >= {"setup.py", "pkg/sub0"}


def test_tree_etag_makes_an_unchanged_tree_free(fake: FakeGitHub) -> None:
    gh = source(fake)
    first = gh.fetch_tree("Owner/Ok", "main")
    assert gh.fetch_tree("Owner/Ok", "main", first.etag).status == "not_modified"
    assert fake.counts["quota:core"] == 1


def test_raw_files_cost_no_quota_and_big_ones_are_read_with_range(fake: FakeGitHub) -> None:
    gh = source(fake)
    data, problem = gh.fetch_file("Owner/Ok", "main", "train.py", 13)
    assert data == b"import torch\n" and problem is None
    data, problem = gh.fetch_file("Owner/Ok", "main", "big.py", MAX_READ_BYTES + 20)
    assert data is not None and len(data) == MAX_READ_BYTES and problem == "truncated"
    assert gh.fetch_file("Owner/Ok", "main", "vanished.py", 5) == (None, "raw-404")
    assert fake.counts["raw"] == 3 and fake.counts["quota:core"] == 0


def test_raw_host_failure_is_a_problem_not_an_exception(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/raw/", "502", times=5))
    assert source(fake).fetch_file("Owner/Ok", "main", "train.py", 13) == (None, "fetch-failed: HTTP 502")


def test_graphql_batches_metadata_and_marks_unresolvable_repos(fake: FakeGitHub) -> None:
    gh = source(fake, TOKEN)
    answers = gh.fetch_graphql_metadata(["Owner/Ok", "Owner/Gone", "Owner/Old"])
    ok = answers["Owner/Ok"]
    stored = fake.repos["owner/ok"]
    assert ok and ok.head_commit == stored.commit_sha and ok.head_tree == stored.tree_sha
    assert answers["Owner/Gone"] is None and answers["Owner/Old"] and answers["Owner/Old"].full_name == "NewOwner/New"
    assert fake.counts["quota:graphql"] == 1


def test_graphql_over_its_limit_answers_200_with_errors_and_is_retried_after_reset(fake: FakeGitHub) -> None:
    fake.faults.append(Fault("/graphql#limited", "graphql-limited", times=1))
    gh = source(fake, TOKEN)
    waits: list[str] = []
    gh.set_on_wait(lambda why, s: waits.append(why))
    assert gh.fetch_graphql_metadata(["Owner/Ok"])["Owner/Ok"] is not None
    assert waits and "graphql" in waits[0] and fake.counts["fault:graphql-limited"] == 1


def test_token_goes_to_the_api_only_never_to_the_raw_host(fake: FakeGitHub) -> None:
    gh = source(fake, TOKEN)
    gh.fetch_metadata("Owner/Ok")
    gh.fetch_file("Owner/Ok", "main", "train.py", 13)
    assert fake.auth_seen[f"api:Bearer {TOKEN}"] == 1 and fake.auth_seen["raw:"] == 1
    assert TOKEN not in repr(gh) and not any(TOKEN in k for k in fake.auth_seen if k.startswith("raw:"))


def test_graphql_query_quotes_names() -> None:
    query = build_graphql_query(["a/b", 'we"ird/na.me'])
    assert 'r0: repository(owner: "a", name: "b")' in query and 'owner: "we\\"ird"' in query
