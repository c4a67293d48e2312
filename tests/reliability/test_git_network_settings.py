"""Proxy and CA settings reach git as they reach requests: behind a proxy and with a private CA the
git path works where the API path works, and the user's git configuration still never counts."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.github_server import FakeGitHub, make_repos
from fakes.recorder import RecordingProxy

from flows.crawl.driver import crawl_repos
from flows.crawl.outcomes import add_repos
from flows.settings import Settings
from flows.sources.git_process import GitFailure, GitSlots
from flows.sources.git_transport import GitTransport
from flows.sources.http import RetryPolicy
from flows.store.warehouse import Warehouse

NAMES = [r.full_name for r in make_repos(3)]


def crawl(tmp_path: Path, fake: FakeGitHub) -> dict[str, object]:
    settings = Settings(data_dir=tmp_path, github_api_url=fake.url, github_raw_url=fake.raw_url,
                        github_git_url=fake.git_url, git_work_dir=tmp_path / "git-work")  # fmt: skip
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        add_repos(wh, NAMES)
        return crawl_repos(wh, settings, progress=False, via="git")


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub(make_repos(3))
    server.start()
    yield server
    server.stop()


def test_behind_a_proxy_git_and_the_api_both_go_through_it(tmp_path: Path, fake: FakeGitHub,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    with RecordingProxy(fake.url, host="127.0.0.2") as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)  # upper case only: requests reads it, libcurl would not
        monkeypatch.delenv("http_proxy", raising=False)
        summary = crawl(tmp_path, fake)
        targets = [r.target for r in proxy.records]
    assert summary["crawled"] == 3, summary
    assert any(t.startswith(f"{fake.url}/git/") for t in targets)  # git asked the proxy (absolute form)...
    assert any(t.startswith(f"{fake.url}/repos/") for t in targets)  # ...as requests did


def test_no_proxy_is_honoured_by_git_as_by_requests(tmp_path: Path, fake: FakeGitHub,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    with RecordingProxy(fake.url, host="127.0.0.2") as proxy:
        monkeypatch.setenv("http_proxy", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        summary = crawl(tmp_path, fake)
    assert summary["crawled"] == 3 and proxy.records == [], summary


@pytest.fixture(scope="module")
def private_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A CA of our own and a server certificate for 127.0.0.1 it signed: (the CA's PEM, a server context)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("ca")
    now = dt.datetime.now(dt.UTC)

    def cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, signer: ec.EllipticCurvePrivateKey,
             ca: bool) -> x509.Certificate:  # fmt: skip
        builder = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                   .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))  # fmt: skip
        if not ca:
            san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
            builder = builder.add_extension(san, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_pem = folder / "ca.pem"
    ca_pem.write_bytes(cert("papertrends test CA", ca_key, "papertrends test CA", ca_key, True)
                       .public_bytes(serialization.Encoding.PEM))  # fmt: skip
    (folder / "server.pem").write_bytes(
        cert("127.0.0.1", server_key, "papertrends test CA", ca_key, False).public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem")
    return ca_pem, context


def test_a_private_ca_from_requests_ca_bundle_is_trusted_by_git_too(
    tmp_path: Path, private_ca: tuple[Path, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    ca_pem, context = private_ca
    server = FakeGitHub(make_repos(3))
    server.start(tls=context)
    try:
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "ssl_cert_file"):
            monkeypatch.delenv(name, raising=False)
        git = GitTransport(server.git_url, tmp_path / "scratch", GitSlots(tmp_path / "slots", 2),
                           retry=RetryPolicy(max_tries=1))  # fmt: skip
        with pytest.raises(GitFailure, match="(?i)certificate|SSL"), git.open(NAMES[0]) as repo:
            repo.fetch_head()  # no CA given: git refuses the server, as it should
        monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))  # OpenSSL's own setting reaches git
        with git.open(NAMES[0]) as repo:
            assert repo.fetch_head().entries
        monkeypatch.delenv("SSL_CERT_FILE")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_pem))  # requests' setting: the API and git alike
        summary = crawl(tmp_path, server)
    finally:
        server.stop()
    assert summary["crawled"] == 3, summary
