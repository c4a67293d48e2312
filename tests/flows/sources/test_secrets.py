"""redact() blanks every form a credential takes in text; what is not a credential is left alone."""

from __future__ import annotations

import base64

import pytest

from flows.sources.secrets import redact, register_secret

TOKEN = "ghp" + "_SECRETformsSENTINEL0123456789abcdef"  # split: a fake, not a secret to scan for
PAT = "github" + "_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
PLAIN = "enterprise0token0without0prefix"  # a token with no recognisable shape: registered
register_secret(PLAIN)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(("text", "secret"), [
    (f"Authorization: Bearer {TOKEN}", TOKEN),
    (f"headers={{'Authorization': 'token {TOKEN}'}}", TOKEN),
    (f"Authorization: Basic {b64('x-access-token:' + TOKEN)}", b64("x-access-token:" + TOKEN)),  # git's header
    (f"Proxy-Authorization: Basic {b64('me:pw12345678')}", b64("me:pw12345678")),
    (f"sent Basic {b64('x-access-token:' + TOKEN)} to the host", b64("x-access-token:" + TOKEN)),
    (f"a stray {b64('bob:' + TOKEN)} in a trace", b64("bob:" + TOKEN)),  # user:TOKEN, no "Basic"
    (f"Bearer {PLAIN}", PLAIN),
    (f"cloning https://x-access-token:{TOKEN}@github.com/o/r.git", TOKEN),  # URL userinfo
    ("https://user:hunter2hunter2@ghe.example.com/api/v3", "hunter2hunter2"),
    (f"GET /repos?access_token={TOKEN}&page=2", TOKEN),
    (f"a bare {TOKEN} and a {PAT}", TOKEN),
    (f"a fine-grained {PAT}", PAT),
    (f"an enterprise token {PLAIN} and its base64 {b64(PLAIN)}", PLAIN),
    (f"x {b64('x-access-token:' + PLAIN)} y", b64("x-access-token:" + PLAIN)),
])  # fmt: skip
def test_every_form_of_a_credential_is_blanked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out and TOKEN not in out and PLAIN not in out, out
    assert "***" in out


@pytest.mark.parametrize("text", [
    "Basic authentication failed", "the token expired", "HTTP 404: Not Found for owner/repo",
    "git head: fatal: early EOF", "commit 0123456789abcdef0123456789abcdef01234567",
    "https://github.com/owner/repo.git", "aGVsbG8gd29ybGQgaGVsbG8=",  # base64 of ordinary text
])  # fmt: skip
def test_text_without_credentials_is_left_as_it_is(text: str) -> None:
    assert redact(text) == text
