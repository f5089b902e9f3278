"""Inbound webhook benchmark: throughput and latency under gunicorn, beside a bare Flask endpoint.

    .venv/bin/python bench/webhook_bench.py [--requests 4000] [--concurrency 16] [--workers 2]

Starts a private Redis, then two gunicorn servers with the same settings: the real app, and a
bare Flask app whose only route returns `<Response/>`. Each gets the same number of signed
webhooks (distinct MessageSids from 200 numbers) from a pool of client threads. Reports req/s,
p50/p99 latency and the ratio real/bare, then the Redis round trips and commands one inbound
message costs (measured in-process on the real app, enqueue included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.devtools.simulate import inbound_params  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://line.example.org"
BARE_APP = """
from flask import Flask, Response
app = Flask(__name__)
@app.post("/twilio/inbound")
def inbound():
    return Response('<?xml version="1.0" encoding="UTF-8"?><Response />', content_type="text/xml")
"""


def environment(redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_SMS_FROM": "+447700900000",
        "PUBLIC_URL": PUBLIC,
        "SAMEN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "TWILIO_API_URL": "http://127.0.0.1:9",
        "SAMEN_RATE_LIMIT": "1000000",
    }


def gunicorn(app: str, port: int, workers: int, env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            app,
        ],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return serving(proc, port, app)


def serving(proc: subprocess.Popen[bytes], port: int, app: str) -> subprocess.Popen[bytes]:
    """`proc` once it answers on `port` (within 20 s), else killed and an error."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.post(f"http://127.0.0.1:{port}/twilio/inbound", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


def make_requests(n: int) -> list[tuple[dict[str, str], str]]:
    validator = RequestValidator(TOKEN)
    numbers = [f"+4477009{i:05d}"[:13] for i in range(200)]
    out = []
    for i in range(n):
        params = inbound_params(numbers[i % len(numbers)], "+447700900000", ["hi", "1", "2", "0"][i % 4])
        out.append((params, validator.compute_signature(PUBLIC + "/twilio/inbound", params)))
    return out


def fire(port: int, reqs: list[tuple[dict[str, str], str]], concurrency: int) -> tuple[float, list[float]]:
    local = threading.local()

    def one(item: tuple[dict[str, str], str]) -> float:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        params, sig = item
        start = time.perf_counter()
        response = session.post(
            f"http://127.0.0.1:{port}/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15
        )
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"status {response.status_code}: {response.text[:200]}")
        return elapsed

    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, reqs))
    return time.perf_counter() - start, latencies


def report(name: str, total: float, latencies: list[float]) -> float:
    rate = len(latencies) / total
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{name:>10}: {rate:8.0f} req/s   p50 {cuts[49] * 1000:6.2f} ms   p99 {cuts[98] * 1000:6.2f} ms")
    return rate


def round_trips(redis_url: str) -> None:
    """Count round trips, commands sent and commands Redis ran (Lua's inner calls included) per message."""
    from redis.connection import Connection

    os.environ.update(environment(redis_url))
    from samen_sms.app import create_app
    from samen_sms.reach import redis_keys as reach_keys

    app = create_app()
    client = app.test_client()
    validator = RequestValidator(TOKEN)
    counter = {"trips": 0, "sent": 0}
    original: Any = Connection.send_packed_command
    pack_one: Any = Connection.pack_command
    pack_many: Any = Connection.pack_commands

    def counting(self: Connection, command: object, check_health: bool = True) -> None:
        counter["trips"] += 1
        original(self, command, check_health)

    def one(self: Connection, *args: object) -> object:
        counter["sent"] += 1
        return pack_one(self, *args)

    def many(self: Connection, commands: list[object]) -> object:
        counter["sent"] += len(commands)
        return pack_many(self, commands)

    conn = redis.Redis.from_url(redis_url)
    conn.sadd(reach_keys.LIVE_CODES(), "K7Q")  # a mediator's live referral code
    first, second = "+447700900999", "+447700900998"
    messages = [(first, "hi"), (first, "1"), (first, "1"), (first, "0"), (first, "2"), (first, "8")]
    messages += [(first, "Amsterdam"), (second, "hi K7Q")]
    for number, body in messages:
        params = inbound_params(number, "+447700900000", body)
        sig = validator.compute_signature(PUBLIC + "/twilio/inbound", params)
        before = {k: v["calls"] for k, v in conn.info("commandstats").items()}
        counter["trips"] = counter["sent"] = 0
        Connection.send_packed_command = counting  # type: ignore[method-assign,assignment]
        Connection.pack_command = one  # type: ignore[method-assign,assignment]
        Connection.pack_commands = many  # type: ignore[method-assign,assignment]
        try:
            response = client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig})
        finally:
            Connection.send_packed_command = original  # type: ignore[method-assign]
            Connection.pack_command = pack_one  # type: ignore[method-assign]
            Connection.pack_commands = pack_many  # type: ignore[method-assign]
        after = {k: v["calls"] for k, v in conn.info("commandstats").items()}
        ran = sum(after.get(k, 0) - before.get(k, 0) for k in after) - 1  # minus the INFO itself
        assert response.status_code == 200
        trips, sent = counter["trips"], counter["sent"]
        print(f"  message {body!r}: {trips} round trips, {sent} commands sent, {ran} run by Redis")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-bench-"))).start()
    env = environment(server.url)
    bare_dir = Path(tempfile.mkdtemp(prefix="samen-bare-"))
    (bare_dir / "bare.py").write_text(BARE_APP)
    procs = []
    try:
        print(
            f"{args.requests} signed webhooks, {args.concurrency} client threads, "
            f"gunicorn --workers {args.workers} (sync), Redis {server.url}"
        )
        real_port, bare_port = free_port(), free_port()
        procs.append(gunicorn("app:app", real_port, args.workers, env, ROOT))
        procs.append(gunicorn("bare:app", bare_port, args.workers, env, bare_dir))
        warm = make_requests(200)
        fire(real_port, warm, args.concurrency)
        fire(bare_port, warm, args.concurrency)
        reqs = make_requests(args.requests)
        bare_rate = report("bare", *fire(bare_port, reqs, args.concurrency))
        real_rate = report("line", *fire(real_port, reqs, args.concurrency))
        print(f"     ratio: line/bare throughput = {real_rate / bare_rate:.2f}")
        redis.Redis.from_url(server.url).flushdb()
        print("Redis cost per inbound message (enqueue included):")
        round_trips(server.url)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        server.stop()


if __name__ == "__main__":
    main()
