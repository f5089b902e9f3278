"""deploy/ as shipped: Debian's nginx with TLS in front of the Procfile's gunicorn, the systemd units, the
Redis configuration and the Prometheus rules. Each check is also run once against a deliberately broken
setting (a parameter named `broken-...`), and must catch it."""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests.adapters import HTTPAdapter

from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import free_port, redis_server_binary
from samen_sms.line import metrics
from samen_sms.line.durability import persistence_lost
from tests.conftest import ALICE, PUBLIC_URL, ROOT, Processes, inbound, make_app, sign, wait_until
from tests.conftest import test_env as line_env

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "samen-line.conf"
UNITS = [DEPLOY / "systemd" / "samen-web.service", DEPLOY / "systemd" / "samen-worker.service"]
HOST = PUBLIC_URL.removeprefix("https://")
PROXY, ELSEWHERE, NEIGHBOUR = "127.0.0.1", "127.0.0.2", "127.0.0.3"  # all of 127/8 is this machine
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def substitute(text: str, changes: dict[str, str]) -> str:
    """`text` with each of `changes` made, every one of which must be there (a changed file fails loudly)."""
    for old, new in changes.items():
        assert old in text, f"{old!r} is no longer in the shipped file: update tests/test_deploy.py"
        text = text.replace(old, new)
    return text


# --- nginx and gunicorn ---------------------------------------------------------------------------------


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for the line's host name and 127.0.0.1, signed by its own key: (cert, key)."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    names = [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address(PROXY))]
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "line.pem", folder / "line.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    return cert_file, key_file


def procfile_web() -> list[str]:
    """The Procfile's web command, as arguments of this Python (`gunicorn ...` -> `-m gunicorn ...`)."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    program, *args = line.removeprefix("web:").split()
    assert program == "gunicorn", line
    return ["-m", "gunicorn", *args]


@dataclass
class Proxied:
    """nginx with TLS on `https_port`, in front of gunicorn on `web_port`."""

    https_port: int
    web_port: int
    cert: Path

    def session(self, source: str) -> requests.Session:
        """A client that connects from `source` (an address of this machine), trusting the certificate."""
        session = requests.Session()
        session.trust_env = False  # neither the machine's CA bundle nor its HTTP proxy: this nginx, this certificate
        session.mount("https://", FromAddress(source))
        session.mount("http://", FromAddress(source))
        session.verify = str(self.cert)
        return session

    def url(self, path: str) -> str:
        return f"https://{PROXY}:{self.https_port}{path}"

    def direct(self, path: str) -> str:
        return f"http://{PROXY}:{self.web_port}{path}"


class FromAddress(HTTPAdapter):
    """A requests adapter whose connections leave from one local address."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


NGINX_MAIN = """daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
"""

NO_FORWARDED_PROTO = {"        proxy_set_header X-Forwarded-Proto $scheme;\n": ""}


@pytest.fixture
def proxied(processes: Processes, request: pytest.FixtureRequest) -> Iterator[Proxied]:
    """The shipped nginx site (ports and paths substituted, plus `request.param`'s changes) before gunicorn."""
    if NGINX is None:
        pytest.skip("no nginx: `apt-get install nginx` (as .ci/run does)")
    tmp = Path(tempfile.mkdtemp(prefix="samen-nginx-"))
    tmp.chmod(0o755)  # nginx's workers (nobody, when the test runs as root) read nothing here but need the path
    cert, key = self_signed(tmp)
    https_port, http_port, web_port = free_port(), free_port(), free_port()
    site = substitute(
        SITE.read_text(),
        {
            "listen 80;": f"listen {PROXY}:{http_port};",
            "listen 443 ssl http2;": f"listen {PROXY}:{https_port} ssl http2;",
            "server 127.0.0.1:5000;": f"server {PROXY}:{web_port};",
            "/etc/letsencrypt/live/line.example.org/fullchain.pem": str(cert),
            "/etc/letsencrypt/live/line.example.org/privkey.pem": str(key),
            **getattr(request, "param", {}),
        },
    )
    (tmp / "site.conf").write_text(site)
    (tmp / "nginx.conf").write_text(NGINX_MAIN.format(tmp=tmp))
    processes.env.update(
        PORT=str(web_port), SAMEN_TRUSTED_PROXIES="1", SAMEN_PROXY_ADDRESSES=PROXY, WEB_CONCURRENCY="2"
    )
    processes.start(*procfile_web(), name="web")
    line = Proxied(https_port, web_port, cert)
    assert wait_until(lambda: _status(line.session(ELSEWHERE), line.direct("/healthz")) == 200, 20), processes.output()
    nginx = subprocess.Popen(
        [NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(tmp / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        up = wait_until(lambda: nginx.poll() is None and _status(line.session(ELSEWHERE), line.url("/healthz")) > 0, 10)
        assert up, (tmp / "error.log").read_text() + processes.output()
        yield line
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def _status(session: requests.Session, url: str, **kwargs: Any) -> int:
    try:
        return session.get(url, timeout=2, headers={"Host": HOST}, **kwargs).status_code
    except requests.RequestException:
        return 0


def webhook(session: requests.Session, url: str, signature: str | None = None, **headers: str) -> requests.Response:
    """Twilio's POST of a message, signed for PUBLIC_URL (https), as Twilio signs it."""
    params = inbound(ALICE, "hi")
    signed = sign(PUBLIC_URL + "/twilio/inbound", params) if signature is None else signature
    return session.post(url, data=params, timeout=10, headers={"Host": HOST, "X-Twilio-Signature": signed, **headers})


def sign_in(session: requests.Session, line: Proxied, **headers: str) -> int:
    """One sign-in with a wrong password through nginx, with its CSRF token: the status."""
    page = session.get(line.url("/console/sign-in"), headers={"Host": HOST}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:300]
    form = {"csrf_token": token.group(1), "email": "coordinator@example.org", "password": "wrong", "code": "000000"}
    referer = f"https://{HOST}/console/sign-in"  # Flask-WTF checks it on https
    answer = session.post(
        line.url("/console/sign-in"), data=form, timeout=10, headers={"Host": HOST, "Referer": referer, **headers}
    )
    return answer.status_code


@pytest.mark.parametrize(
    "proxied", [{}, NO_FORWARDED_PROTO], ids=["as-shipped", "broken-without-x-forwarded-proto"], indirect=True
)
def test_nginx_with_tls_before_gunicorn_passes_signed_webhooks_and_trusts_only_itself(
    proxied: Proxied, request: pytest.FixtureRequest
) -> None:
    line, client = proxied, proxied.session(ELSEWHERE)
    answer = webhook(client, line.url("/twilio/inbound"))
    if "broken" in request.node.callspec.id:
        # A proxy that does not say https: the line cannot tell, and refuses rather than take text in the clear.
        assert answer.status_code == 400 and "X-Forwarded-Proto" in answer.text, answer.text
        return
    # Signed by Twilio for https://line.example.org, checked by the line behind nginx: accepted.
    assert answer.status_code == 200 and "<Response" in answer.text, answer.text
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    assert webhook(client, line.url("/twilio/inbound"), signature="forged").status_code == 403
    # The console through nginx: HSTS, and its cookie only ever travels by https.
    page = client.get(line.url("/console/sign-in"), headers={"Host": HOST}, timeout=10)
    assert page.status_code == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = page.headers["Set-Cookie"]
    assert "samen_console=" in cookie and "Secure" in cookie and "HttpOnly" in cookie, cookie
    # X-Forwarded-For is taken from nginx alone: a client that makes up its own address each time
    # is still counted as itself (5 tries), and another client is counted apart.
    tries = [sign_in(client, line, **{"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(6)]
    assert tries == [401] * 5 + [429], tries
    assert sign_in(proxied.session(NEIGHBOUR), line) == 401
    # Straight to gunicorn, from elsewhere: forwarded headers are refused, a plain request is not.
    forged = webhook(client, line.direct("/twilio/inbound"), **{"X-Forwarded-Proto": "https"})
    assert forged.status_code == 400 and "proxies" in forged.text, forged.text
    spoofed = client.get(line.direct("/console/sign-in"), headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert spoofed.status_code == 400
    assert client.get(line.direct("/healthz"), timeout=10).status_code == 200


@pytest.mark.parametrize("development", [False, True], ids=["production", "development"])
def test_forwarded_headers_count_from_the_proxies_only_and_production_wants_https(
    config: Config, development: bool
) -> None:
    behind = replace(config, trusted_proxies=1, proxy_addresses=(PROXY,), development=development)
    client = make_app(behind).test_client()

    def status(peer: str, **headers: str) -> int:
        return client.get("/healthz", headers=headers, environ_base={"REMOTE_ADDR": peer}).status_code

    assert status(PROXY, **{"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}) == 200
    assert status(ELSEWHERE) == 200  # a monitor asking the web process directly
    assert status(ELSEWHERE, **{"X-Forwarded-Proto": "https"}) == 400
    assert status(ELSEWHERE, **{"X-Forwarded-For": "203.0.113.7"}) == 400
    # From the proxy, without saying https: refused in production only.
    assert status(PROXY) == (200 if development else 400)
    assert status(PROXY, **{"X-Forwarded-Proto": "http"}) == (200 if development else 400)


# --- systemd units --------------------------------------------------------------------------------------


def unit(path: Path) -> dict[str, str]:
    """A unit file's `Key=value` lines (the last one wins, as systemd reads single-valued keys)."""
    found = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


@pytest.mark.parametrize("path", UNITS, ids=lambda path: path.name)
def test_each_unit_restarts_runs_as_its_own_user_and_stops_within_twilios_15_seconds(path: Path) -> None:
    service = unit(path)
    assert service["Restart"] == "always" and service["User"] not in ("", "root")
    assert service["EnvironmentFile"].startswith("/etc/") and "PROMETHEUS_MULTIPROC_DIR=" in service["Environment"]
    # SIGTERM is gunicorn's graceful stop and RQ's warm shutdown; mixed: to the main process first.
    assert service["KillSignal"] == "SIGTERM" and service["KillMode"] == "mixed"
    assert float(service["TimeoutStopSec"]) <= 15
    if path.name == "samen-web.service":
        namespace: dict[str, Any] = {}
        exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
        assert namespace["graceful_timeout"] < float(service["TimeoutStopSec"])
        assert service["Type"] == "notify"  # gunicorn tells systemd when it is ready
        assert procfile_web()[2:-1] == service["ExecStart"].split()[1:-3], "the unit runs the Procfile's command"


def test_the_procfiles_gunicorn_stops_on_the_units_kill_signal_well_within_their_stop_timeout(
    processes: Processes,
) -> None:
    service = unit(UNITS[0])
    port = free_port()
    processes.env.update(PORT=str(port))
    master = processes.start(*procfile_web(), name="web")
    assert wait_until(lambda: _status(requests.Session(), f"http://{PROXY}:{port}/healthz") == 200, 20)
    started = time.monotonic()
    master.send_signal(getattr(signal, service["KillSignal"]))  # KillMode=mixed: to the master alone
    assert master.wait(timeout=float(service["TimeoutStopSec"])) == 0, processes.output()
    assert time.monotonic() - started < float(service["TimeoutStopSec"])


def verify(units: list[Path]) -> tuple[int, str]:
    """`systemd-analyze verify` of the units with the checkout and this venv where /opt/samen-line is."""
    folder = Path(tempfile.mkdtemp(prefix="samen-units-"))
    paths = []
    for path in units:
        target = folder / path.name
        target.write_text(
            path.read_text().replace("/opt/samen-line/.venv", sys.prefix).replace("/opt/samen-line", str(ROOT))
        )
        paths.append(str(target))
    done = subprocess.run(
        [SYSTEMD_ANALYZE or "", "verify", "--man=no", *paths], capture_output=True, text=True, timeout=60
    )
    shutil.rmtree(folder, ignore_errors=True)
    # Only what it says of these units: a machine's other units are not this test's business.
    said = [line for line in done.stderr.splitlines() if any(path.name in line for path in units)]
    return done.returncode, "\n".join(said)


BROKEN_UNITS = {
    "as-shipped": {},
    "broken-kill-signal": {"KillSignal=SIGTERM": "KillSignal=SIGTERN"},
    "broken-exec-start": {"/.venv/bin/gunicorn ": "/.venv/bin/gunicorm "},
}


@pytest.mark.system  # runs systemd-analyze
@pytest.mark.parametrize("broken", BROKEN_UNITS.values(), ids=BROKEN_UNITS.keys())
def test_systemd_analyze_verifies_the_units(broken: dict[str, str]) -> None:
    if SYSTEMD_ANALYZE is None:
        pytest.skip("no systemd-analyze: `apt-get install systemd`")
    folder = Path(tempfile.mkdtemp(prefix="samen-shipped-"))
    units = []
    for path in UNITS:
        units.append(folder / path.name)
        changes = {old: new for old, new in broken.items() if old in path.read_text()}
        units[-1].write_text(substitute(path.read_text(), changes))
    code, said = verify(units)
    shutil.rmtree(folder, ignore_errors=True)
    if broken:
        assert code != 0 or said, "systemd-analyze took a broken unit"
    else:
        assert (code, said) == (0, ""), said


# --- Redis ----------------------------------------------------------------------------------------------

REDIS_BROKEN = {"as-shipped": {}, "broken-appendonly-off": {"appendonly yes": "appendonly no"}}


@pytest.mark.system  # starts redis-server
@pytest.mark.parametrize("broken", REDIS_BROKEN.values(), ids=REDIS_BROKEN.keys())
def test_the_redis_configuration_persists_and_refuses_writes_without_a_replica(
    broken: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    conf = tmp_path / "samen-line.conf"
    conf.write_text(
        substitute((DEPLOY / "redis" / "samen-line.conf").read_text(), {"/var/lib/redis/samen": str(data), **broken})
    )
    port, replica_port = free_port(), free_port()
    binary = redis_server_binary()
    started = [
        subprocess.Popen([binary, str(conf), "--port", str(port), "--bind", "127.0.0.1"], stdout=subprocess.DEVNULL)
    ]
    try:
        conn = redis.Redis(port=port, socket_timeout=5)
        assert wait_until(lambda: _pings(conn))
        config = Config.from_env(line_env(f"redis://127.0.0.1:{port}/0", "http://127.0.0.1:9"))
        lost = persistence_lost(conn, config)
        if broken:
            assert lost == "appendonly no"  # what /healthz reports, and what start refuses
            return
        assert lost is None
        assert conn.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        with pytest.raises(redis.ResponseError, match="NOREPLICAS"):
            conn.set("samen:probe", "1")  # a primary cut off from its replicas takes no write
        replica_dir = tmp_path / "replica"
        replica_dir.mkdir(mode=0o700)
        started.append(subprocess.Popen(
            [binary, str(conf), "--port", str(replica_port), "--bind", "127.0.0.1", "--dir", str(replica_dir),
             "--replicaof", "127.0.0.1", str(port)], stdout=subprocess.DEVNULL))  # fmt: skip
        assert wait_until(lambda: _writes(conn), timeout=20)
    finally:
        for proc in started:  # scratch servers: a replica told to stop while it rewrites its file can hang
            proc.kill()
            proc.wait()


def _pings(conn: redis.Redis) -> bool:
    try:
        return bool(conn.ping())
    except redis.ConnectionError:
        return False


def _writes(conn: redis.Redis) -> bool:
    try:
        return bool(conn.set("samen:probe", "1"))
    except redis.ResponseError:
        return False


# --- Prometheus -----------------------------------------------------------------------------------------


def exported_names() -> set[str]:
    """Every series name the line exports: its counters and histogram, and the gauges read at scrape time."""
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, metrics.Counter):
            names.add(value._name + "_total")
        elif isinstance(value, metrics.Histogram):
            names.update(value._name + suffix for suffix in ("_bucket", "_sum", "_count"))
    names.update(re.findall(r'GaugeMetricFamily\(\s*"(\w+)"', Path(metrics.__file__).read_text()))
    return names


def test_every_alert_rule_names_metrics_the_line_exports() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "samen-line-rules.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert len(alerts) >= 8 and all({"alert", "expr", "labels", "annotations"} <= set(rule) for rule in alerts)
    named = {name for rule in alerts for name in re.findall(r"\b(samen_\w+)", rule["expr"])}
    exported = exported_names()
    assert {"samen_redis_up", "samen_queue_oldest_seconds", "samen_webhook_seconds_bucket"} <= exported
    assert named - exported == set(), f"rules name metrics the line does not export: {named - exported}"
    assert named >= {"samen_redis_up", "samen_inbound_messages_total", "samen_replies_failed_total"}
