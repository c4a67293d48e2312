"""Credentials in text: every form a token takes is blanked before text is logged, stored or raised.

Used by the HTTP client's errors, the crawl's failure reasons and the git transport.
"""

from __future__ import annotations

import base64
import re
import threading

_KNOWN_SECRETS: set[str] = set()
_KNOWN_LOCK = threading.Lock()
_AUTH_VALUE = re.compile(r"(?i)((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)(?:(?:bearer|token|basic|digest)\s+)?"
                         r"[^\s'\",}]+")  # fmt: skip
_SCHEME_VALUE = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/-]{16,}=*|\b(token)(\s+)[A-Za-z0-9_]{20,}")
_QUERY_SECRET = re.compile(r"(?i)\b(access_token|token|password|client_secret)=[^&\s'\"]+")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"]+@")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{8,}")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


def register_secret(secret: str | None) -> None:
    """Have :func:`redact` blank this exact credential in every form, whatever its shape.

    GitHub's tokens are recognised by their prefixes; an Enterprise or app token may have
    none, so the clients register the token they were given.
    """
    if secret and len(secret) >= 8:
        with _KNOWN_LOCK:
            _KNOWN_SECRETS.add(secret)


def redact(text: str) -> str:
    """Text with every form a credential takes blanked out.

    Authorization values (Bearer, token, Basic, Digest), ``Bearer``/``Basic`` values
    standing alone, ``token=``/``access_token=``/``password=`` in queries, URL userinfo
    (``https://user:TOKEN@host``), GitHub's ``gh*_`` and ``github_pat_`` tokens, base64
    runs that decode to a credential (git's ``Basic`` header of ``x-access-token:TOKEN``
    or ``user:TOKEN``), and any token registered with :func:`register_secret`, raw or
    base64-encoded.
    """
    with _KNOWN_LOCK:
        known = sorted(_KNOWN_SECRETS, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, "***")
    text = _AUTH_VALUE.sub(lambda m: m.group(1) + "***", text)
    text = _SCHEME_VALUE.sub(lambda m: (m.group(1) or m.group(3)) + (m.group(2) or m.group(4)) + "***", text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + "=***", text)
    text = _USERINFO.sub(lambda m: m.group(1) + "***@", text)
    text = _GITHUB_TOKEN.sub("***", text)
    return _BASE64_RUN.sub(lambda m: "***" if _is_encoded_secret(m.group(0), known) else m.group(0), text)


def _is_encoded_secret(run: str, known: list[str]) -> bool:
    try:
        decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return False
    return (_GITHUB_TOKEN.search(decoded) is not None or "x-access-token:" in decoded
            or any(secret in decoded for secret in known))  # fmt: skip
