"""How long a bystander waits for a reply while others keep the workers busy (issue #9, item 3).

    .venv/bin/python bench/bystander_bench.py [--delay 0.5] [--workers 2] [--crowd 120] [--checkout PATH]

Starts a private Redis, the Twilio stand-in (in this process, answering in `--delay` s), gunicorn
and `python -m workers` with `--workers` processes each. Two scenes, each measured from the
bystander's webhook to the moment the stand-in received the bystander's reply:

- busy: one number already in conversation sends 30 messages (inside its rate limit), then a
  bystander who is also in conversation sends "0" (the menu);
- crowd: `--crowd` numbers already in conversation send "0" at once, then a bystander writes
  for the first time.

`--checkout` runs gunicorn and the workers from another checkout (e.g. main, to compare).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.devtools.simulate import inbound_params  # noqa: E402
from samen_sms.devtools.standin import StandinState, running_standin  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "5" * 32
PUBLIC = "https://line.example.org"
SMS_FROM = "+447700900000"
BUSY, BYSTANDER, NEWCOMER = "+447700900123", "+447700900456", "+447700900789"
CROWD = [f"+447700900{n:03d}" for n in range(300, 700)]  # Ofcom's fiction range


class Line:
    """Gunicorn and the worker pool of one checkout, against a private Redis and the stand-in."""

    def __init__(self, checkout: Path, api_url: str, workers: int) -> None:
        self.redis = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-bystander-")))
        self.redis.start()
        self.logs = Path(tempfile.mkdtemp(prefix="samen-bystander-logs-"))
        env = {
            **os.environ,
            "PYTHONPATH": str(checkout),
            "REDIS_URL": self.redis.url,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001",
            "TWILIO_API_URL": api_url,
            "PUBLIC_URL": PUBLIC,
            "SAMEN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        }
        port = free_port()
        gunicorn = ["-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "app:app"]
        self.procs = [
            self._start(gunicorn, env, checkout, "web"),
            self._start(["-m", "workers", "--processes", str(workers)], env, checkout, "worker"),
        ]
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        self.validator = RequestValidator(TOKEN)

    def _start(self, args: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as out:
            return subprocess.Popen(
                [sys.executable, *args], env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def say(self, sender: str, text: str) -> float:
        """Post one signed inbound message; returns when it was posted (time.time())."""
        params = inbound_params(sender, SMS_FROM, text)
        sig = self.validator.compute_signature(PUBLIC + "/twilio/inbound", params)
        posted = time.time()
        requests.post(self.url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15)
        return posted

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.redis.stop()


def received(state: StandinState, to: str) -> list[float]:
    with state.lock:
        return [m["_at"] for m in state.messages if m["to"] == to]


def wait_for(state: StandinState, to: str, count: int, timeout: float = 120) -> float:
    """When the stand-in received the `count`-th message to `to`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        times = received(state, to)
        if len(times) >= count:
            return times[count - 1]
        time.sleep(0.02)
    raise SystemExit(f"no reply {count} to a bench number within {timeout} s")


def in_conversation(line: Line, state: StandinState, numbers: list[str]) -> None:
    """Each number greets and picks English, with Twilio answering at once."""
    state.delay = 0.0
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: line.say(n, "hi"), numbers))
        for n in numbers:
            wait_for(state, n, 1)
        list(pool.map(lambda n: line.say(n, "1"), numbers))
    for n in numbers:
        wait_for(state, n, 2)


def busy(line: Line, state: StandinState, delay: float) -> float:
    in_conversation(line, state, [BUSY, BYSTANDER])
    state.delay = delay
    for _ in range(28):  # with "hi" and "1", 30 messages: the rate limit's count
        line.say(BUSY, "0")
    posted = line.say(BYSTANDER, "0")
    return wait_for(state, BYSTANDER, 3) - posted


def crowd(line: Line, state: StandinState, delay: float, size: int) -> float:
    people = CROWD[:size]
    in_conversation(line, state, people)
    state.delay = delay
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: line.say(n, "0"), people))
    posted = line.say(NEWCOMER, "hi")
    took = wait_for(state, NEWCOMER, 1) - posted
    for n in people:
        wait_for(state, n, 3, timeout=600)  # let the crowd finish before the line stops
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.5, help="seconds the stand-in takes per send")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (and gunicorn workers)")
    parser.add_argument("--crowd", type=int, default=120)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="run web and workers from this checkout")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    results = {}
    for scene in ("busy", "crowd"):
        with running_standin(accounts={ACCOUNT_SID: TOKEN}) as (api_url, state):
            state.quiet = True
            line = Line(args.checkout.resolve(), api_url, args.workers)
            try:
                if scene == "busy":
                    results[scene] = busy(line, state, args.delay)
                else:
                    results[scene] = crowd(line, state, args.delay, args.crowd)
            finally:
                line.stop()
    print(f"checkout {args.checkout}; Twilio {args.delay} s per send; {args.workers} worker processes")
    print(f"busy:  a bystander's reply took {results['busy']:.1f} s while one number sent 30 messages")
    print(f"crowd: a first message's reply took {results['crowd']:.1f} s while {args.crowd} numbers wrote at once")


if __name__ == "__main__":
    main()
