"""Shared fixtures: a real Redis, the Twilio stand-in, the app, signed webhooks, real RQ workers.

Every test has one tier, a marker given here from the fixtures it uses (`make test-fast` runs `-m pure`):
pure (no Redis, no network, no process of its own: the engine, the content, files in `tmp_path`),
integration (the app, Redis, the Twilio stand-in, RQ workers in this process) and system (processes:
gunicorn, RQ worker processes, Redis servers started, killed or restarted, Sentinel, a browser). A
module or test that starts processes without one of these fixtures says so itself with
`pytestmark = pytest.mark.system`; a tier given by hand is never lower than the fixtures' (test_tiers.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.engine import Content
from samen_sms.content.loader import load_content
from samen_sms.core.config import Config
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port
from samen_sms.devtools.simulate import inbound_params
from samen_sms.devtools.standin import StandinState, Timings, running_standin
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker

ROOT = Path(__file__).resolve().parent.parent

TIERS = ("pure", "integration", "system")
# Fixtures (or fixtures they use) that make a test integration or system; anything else is pure.
INTEGRATION_FIXTURES = frozenset({"redis_server", "standin_server"})
SYSTEM_FIXTURES = frozenset({"processes", "own_redis", "durable", "cluster", "tls_redis", "browser", "live", "page"})


def fixture_tier(fixturenames: Iterable[str]) -> str:
    """The tier the fixtures a test uses (directly or through other fixtures) put it in."""
    names = set(fixturenames)
    if names & SYSTEM_FIXTURES:
        return "system"
    if names & INTEGRATION_FIXTURES:
        return "integration"
    return "pure"


def given_tiers(item: pytest.Item) -> list[str]:
    """The tier markers a test carries, from its module, class or itself."""
    return [mark.name for mark in item.iter_markers() if mark.name in TIERS]


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not given_tiers(item):
            item.add_marker(fixture_tier(getattr(item, "fixturenames", ())))
    # System tests first: they wait longest, so in parallel (`make test`) none is left to run alone at the end.
    items.sort(key=lambda item: -TIERS.index(given_tiers(item)[0]))


# What a pure test may not do, checked while it runs (in the test's own thread).
NOT_PURE = frozenset({"socket.connect", "subprocess.Popen", "os.fork", "os.posix_spawn", "os.exec", "os.system"})
_running_pure: list[bool] = [False]


def _refuse_io_in_pure_tests(event: str, args: tuple[object, ...]) -> None:
    if _running_pure[0] and event in NOT_PURE and threading.current_thread() is threading.main_thread():
        raise RuntimeError(f"a pure test did {event} {args!r:.120}: mark it integration or system")


sys.addaudithook(_refuse_io_in_pure_tests)


@pytest.fixture(autouse=True)
def _pure_means_no_io(request: pytest.FixtureRequest) -> Iterator[None]:
    _running_pure[0] = given_tiers(request.node) == ["pure"]
    try:
        yield
    finally:
        _running_pure[0] = False


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-transcripts",
        action="store_true",
        help="rewrite tests/transcripts/*.txt's replies and effects from what the engine now does",
    )


PUBLIC_URL = "https://line.example.org"
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SECRET_KEY = "test-secret-key-0123456789abcdef"
SMS_FROM = "+447700900000"
WHATSAPP_FROM = "whatsapp:+447700900001"
# Numbers reserved for fiction by Ofcom.
ALICE = "+447700900123"
BOB = "+447700900456"


def per_worker(url: str, worker: str) -> str:
    """The database of REDIS_URL for one parallel test process (gw0 the URL's own, gw1 the next, ...)."""
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{first + int(worker.removeprefix('gw') or 0)}"))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The Redis at REDIS_URL (its database is flushed around each test), else a private one.

    In parallel (`make test`) each test process flushes a database of its own at REDIS_URL.
    """
    url = os.environ.get("REDIS_URL")
    if url:
        yield per_worker(url, os.environ.get("PYTEST_XDIST_WORKER", ""))
        return
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-test-redis-"))).start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_conn(redis_server: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_server)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture(scope="session")
def standin_server() -> Iterator[tuple[str, StandinState]]:
    with running_standin(accounts={ACCOUNT_SID: AUTH_TOKEN}) as served:
        yield served


@pytest.fixture
def standin(standin_server: tuple[str, StandinState]) -> Iterator[StandinState]:
    """The Twilio stand-in, emptied for this test."""
    _, state = standin_server
    with state.lock:
        state.messages.clear()
        state.media.clear()
        state.faults.clear()
        state.delay = 0.0
        state.hold = 0.0
        state.max_in_flight = 0
        state.rate, state.throttled = 0.0, 0
        state.accepted.clear()
        state.timings = Timings()
        state.templates = {}
        state.callbacks = False
    yield state


def test_env(redis_url: str, api_url: str, **extra: str) -> dict[str, str]:
    """The environment a production-mode line would get, pointed at test services."""
    env = {
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_API_URL": api_url,
        "PUBLIC_URL": PUBLIC_URL,
        "SAMEN_SECRET_KEY": SECRET_KEY,
        "SAMEN_TWILIO_TIMEOUT": "3",
        # The hourly clean-up of Twilio's log (on by default in production) is turned off: the tests
        # that want it set it; others count the keys and jobs a message leaves.
        "SAMEN_TWILIO_DELETE_AFTER": "0",
        # The stand-in answers within a few seconds: an interrupted send is settled well before this.
        "SAMEN_TWILIO_SETTLE": "8",
    }
    env.update(extra)
    return env


@pytest.fixture
def config(redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState]) -> Config:
    return Config.from_env(test_env(redis_server, standin_server[0]))


_LOADED: dict[tuple[object, ...], Content] = {}


def content_of(config: Config) -> Content:
    """The content the config's directories and languages hold, loaded once per test process.

    The content is never changed once loaded, so tests share it; a test that writes content of its
    own gives other directories, and so gets its own.
    """
    key = (config.flows_dir, config.messages_dir, config.data_dir, config.languages)
    if key not in _LOADED:
        _LOADED[key] = load_content(config)
    return _LOADED[key]


def line_content() -> Content:
    """The line's own content (flows/, messages/, data/), loaded once per test process."""
    return content_of(Config.from_env({"SAMEN_ENV": "development"}))


def line_languages() -> tuple[str, ...]:
    """Every language flows/main.toml offers, in its order: per-language tests take theirs from here."""
    return line_content().flow.languages


def make_app(config: Config) -> Flask:
    """The web app for a test, on content loaded once per test process."""
    return create_app({"TESTING": True}, config=config, content=content_of(config))


@contextmanager
def line_with_workers(config: Config) -> Iterator[Flask]:
    """The web app, with the context a worker in this process (`work`) runs jobs in."""
    application = make_app(config)
    with replies.using(worker_context(config, content=content_of(config))):
        yield application


@pytest.fixture
def app(config: Config) -> Iterator[Flask]:
    with line_with_workers(config) as application:
        yield application


@pytest.fixture
def anytime_app(config: Config) -> Iterator[Flask]:
    """The app with quiet hours off, so announcements go out whatever the clock says."""
    with line_with_workers(with_config(config, quiet_hours="")) as application:
        yield application


def sessions_cli(app: Flask, *args: str) -> tuple[int, str]:
    """`flask sessions ARGS`: its exit code and output."""
    result = app.test_cli_runner().invoke(args=["sessions", *args])
    return result.exit_code, result.output


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def inbound(sender: str, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    """The form Twilio posts for an incoming message."""
    to = WHATSAPP_FROM if sender.startswith("whatsapp:") else SMS_FROM
    params = inbound_params(sender, to, body, sid, account_sid="AC" + "1" * 32)
    params.update(extra)
    return params


PostFn = Callable[..., Any]


@pytest.fixture
def post(client: FlaskClient) -> PostFn:
    """POST a correctly signed Twilio webhook to the test client."""

    def _post(params: dict[str, str], path: str = "/twilio/inbound", signature: str | None = None) -> Any:
        sig = sign(PUBLIC_URL + path, params) if signature is None else signature
        return client.post(path, data=params, headers={"X-Twilio-Signature": sig})

    return _post


class BurstWorker(LineWorker):
    """The line's RQ worker, run by a test in its own process until the queues are empty.

    It listens for no commands (`rq` shutdown and kill requests are for worker processes, tried in
    test_worker_shutdown.py): stopping RQ's listening thread costs up to a second each time.
    """

    def subscribe(self) -> None:
        self.pubsub_thread = None


@pytest.fixture
def work(app: Flask, redis_conn: redis.Redis) -> Callable[[], None]:
    """Run a real RQ worker (in burst mode, in this process) until the queue is empty."""

    def _work() -> None:
        rt = app.extensions["samen"]
        worker = BurstWorker([rt.urgent_queue, rt.queue, rt.late_queue], connection=rt.redis)
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")

    return _work


def sent_to(state: StandinState, to: str) -> list[str]:
    """Bodies the stand-in received for one address, in order."""
    with state.lock:
        return [m["body"] for m in state.messages if m["to"] == to]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def holds_for(predicate: Callable[[], bool], seconds: float = 0.5, interval: float = 0.05) -> bool:
    """Whether the predicate stays true for `seconds`: a deliberate "nothing more arrives" check.

    Nothing can be awaited for that, so this waits a fixed time: as short as is safe, since a
    duplicate would come from a job already queued, which a running worker picks up in milliseconds.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(interval)
    return predicate()


class Processes:
    """Real gunicorn and worker processes, started by a test and stopped after it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        log = Path(tempfile.mkstemp(prefix=f"samen-{name}-", suffix=".log")[1])
        self.logs.append(log)
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, *args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append(proc)
        return proc

    def web(self, port: int, workers: int = 2) -> str:
        self.start("-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "app:app", name="web")
        url = f"http://127.0.0.1:{port}"
        assert wait_until(lambda: _answers(url + "/healthz"), timeout=20), self.output()
        return url

    def worker(self, processes: int = 1) -> subprocess.Popen[bytes]:
        return self.start("-m", "workers", "--processes", str(processes), name="worker")

    def output(self) -> str:
        return "\n".join(log.read_text(errors="replace") for log in self.logs)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, 15)
                except ProcessLookupError:
                    pass
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def processes(
    redis_conn: redis.Redis, redis_server: str, standin_server: tuple[str, StandinState], standin: StandinState
) -> Iterator[Processes]:
    procs = Processes(test_env(redis_server, standin_server[0]))
    yield procs
    procs.stop()


def with_config(config: Config, **changes: Any) -> Config:
    return replace(config, **changes)


def run_retries_now(conn: redis.Redis) -> int:
    """Move jobs waiting out their back-off to the queue, as RQ's scheduler would later; how many."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    moved = 0
    for name in ("samen-urgent", "samen"):
        queue = Queue(name, connection=conn)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            queue.enqueue_job(queue.fetch_job(job_id))
            registry.remove(job_id)
            moved += 1
    return moved


# The browser tests (tests/test_console_*browser.py) share one Chromium: Playwright's sync API runs
# one instance per process, so the fixture lives here, not in a module that another imports.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole test session (the browser modules skip themselves without it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
