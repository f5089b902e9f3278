"""What a newcomer sees when the line cannot start: `make run`, the flask commands and the workers say why in a line."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis

from samen_sms.devtools.embedded_redis import free_port
from tests.conftest import ROOT

pytestmark = pytest.mark.system  # every test starts the line's commands as processes


def clean_env(**settings: str) -> dict[str, str]:
    """This shell's environment without any of the line's settings, plus `settings`."""
    names = ("SAMEN_", "TWILIO_", "REDIS_", "PUBLIC_URL", "PORT", "STANDIN_PORT", "FLASK_")
    env = {name: value for name, value in os.environ.items() if not name.startswith(names)}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


def run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("taken", ["PORT", "STANDIN_PORT"])
def test_make_run_on_a_taken_port_says_so_in_one_line_and_starts_nothing(
    taken: str, taken_port: int, redis_conn: redis.Redis, redis_server: str
) -> None:
    ports = {"PORT": str(free_port()), "STANDIN_PORT": str(free_port()), taken: str(taken_port)}
    env = clean_env(REDIS_URL=redis_server, **ports)
    done = run("-m", "samen_sms.devtools.devrun", env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    said = re.fullmatch(
        rf"make run: port {taken_port} is taken \(is `make run` already running\?\)\. "
        rf"Stop it, or choose another: {taken}=(\d+) make run",
        lines[0],
    )
    assert said and said.group(1) not in ports.values()  # a port that is free and not the other one
    assert "running locally" not in done.stdout
    assert redis_conn.keys("rq:worker*") == []  # no worker ever started


def test_make_run_stops_with_an_error_when_the_line_refuses_to_start(
    redis_conn: redis.Redis, redis_server: str
) -> None:
    env = clean_env(
        REDIS_URL=redis_server,
        PORT=str(free_port()),
        STANDIN_PORT=str(free_port()),
        SAMEN_LINE_NAME="Sexual violence helpline",
    )
    done = run("-m", "samen_sms.devtools.devrun", env=env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "running locally" not in done.stdout  # no banner promising a line that is not there
    assert "says what the line is about; choose a neutral name" in done.stderr
    assert "ConfigError" not in output  # the reason as a line, not a traceback
    assert done.stderr.strip().splitlines()[-1].endswith("stopped (see above), so the line was shut down")


def test_a_flask_command_without_settings_says_what_is_missing_in_one_line() -> None:
    done = run("-m", "flask", "--app", "app", "users", "list", env=clean_env())
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "samen: Refusing to start: TWILIO_AUTH_TOKEN, PUBLIC_URL, SAMEN_SECRET_KEY, REDIS_URL or REDIS_SENTINELS, "
        "TWILIO_ACCOUNT_SID, TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID must be set in production "
        "(or set SAMEN_ENV=development for a local run)."
    ]


def test_the_workers_without_settings_say_what_is_missing_in_one_line() -> None:
    done = run("-m", "workers", env=clean_env())
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("samen workers: Refusing to start: TWILIO_AUTH_TOKEN")
