"""Console overview benchmark: the page with a year of figures and 100,000 subscribers.

    .venv/bin/python bench/console_bench.py [--subscribers 100000] [--sessions 52] [--runs 20]

Starts a private Redis, fills it with subscribers (spread over regions, languages and channels),
a year of weekly sessions with their announcements' counts, and the reply counters; signs a
coordinator in through the real form, then times GET /console/ in-process, with the subscriptions
counted by language and channel, and with no count yet (the page starts one in the background and
does not wait); and the count itself, which a page never waits for.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402

from samen_sms.app import create_app  # noqa: E402
from samen_sms.console import figures  # noqa: E402
from samen_sms.console.accounts import Accounts  # noqa: E402
from samen_sms.core import keyspace  # noqa: E402
from samen_sms.core.config import Config  # noqa: E402
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402

LANGS = ["nl", "en", "ar", "fa", "ti", "tr", "uk", "so"]
PASSWORD = "bench-lantern-orchard-47"


def fill(conn: object, subscribers: int, sessions: int) -> None:
    r: Any = conn
    regions = ["NL", *(f"VR{n:02d}" for n in range(1, 26))]
    rng = random.Random(7)
    pipe = r.pipeline(transaction=False)
    for n in range(subscribers):
        value = f"{rng.choice(LANGS)}|{rng.choice('sw')}|1700000000|d|{'x' * 120}"
        pipe.hset(keyspace.SUBSCRIBERS(rng.choice(regions)), f"{n:032x}", value)
        if n % 5000 == 4999:
            pipe.execute()
    start = int(time.time()) + 86400
    for s in range(1, sessions + 1):
        pipe.zadd(keyspace.SESSIONS(), {str(s): start + s * 7 * 86400})
        pipe.hset(keyspace.BROADCAST_STATS(f"{s}:a"), mapping={"sent": 2000 + s, "delivered": 1900, "failed:21610": 3})
    pipe.hset(keyspace.STATS("sent"), "replies", 1_250_000)
    pipe.hset(keyspace.STATS("status"), mapping={"delivered": 1_200_000, "undelivered": 4000, "failed": 900})
    pipe.hset(keyspace.STATS("send_failed"), mapping={"21610": 120, "30003": 40, "21211": 3})
    pipe.execute()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=52)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-bench-"))).start()
    try:
        env = {
            "REDIS_URL": server.url,
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "bench-auth-token-0123456789abcdef",
            "TWILIO_SMS_FROM": "+447700900000",
            "PUBLIC_URL": "https://line.example.org",
            "SAMEN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        }
        app = create_app(config=Config.from_env(env))
        rt = app.extensions["samen"]
        rt.redis.flushdb()
        t0 = time.perf_counter()
        fill(rt.redis, args.subscribers, args.sessions)
        print(f"filled {args.subscribers} subscribers, {args.sessions} sessions in {time.perf_counter() - t0:.1f} s")
        accounts = Accounts(rt.redis, app.extensions["samen.console"])
        token = accounts.add("bench@example.org", "coordinator")
        found = accounts.link(token)
        assert found is not None
        accounts.complete(token, PASSWORD, found[1], 0)
        client = app.test_client()
        page = client.get("/console/sign-in").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/console/sign-in",
            data={
                "csrf_token": csrf,
                "email": "bench@example.org",
                "password": PASSWORD,
                "code": pyotp.TOTP(found[1]).now(),
            },
        )
        assert signed.status_code == 302, signed.status_code
        client.get("/console/")  # compile the templates once, as a running web process has
        counts, pages, pages_stale = [], [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            figures.count_mix(rt.redis)
            counts.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            response = client.get("/console/")
            pages.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200 and b"counted at" in response.data
        for _ in range(args.runs):
            rt.redis.delete(keyspace.CONSOLE_FIGURES("mix"))
            t = time.perf_counter()
            response = client.get("/console/")
            pages_stale.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
            while rt.redis.exists(keyspace.CONSOLE_FIGURES("lock")):
                time.sleep(0.05)  # let the background count finish before the next run
        for name, runs in (
            ("overview page, subscriptions counted", pages),
            ("overview page, no count yet (starts one in the background)", pages_stale),
            ("background count of all subscriptions (Lua, region by region)", counts),
        ):
            print(f"{name} ({len(runs)} runs): p50 {statistics.median(runs):.0f} ms, max {max(runs):.0f} ms")
        print(f"page {len(response.data) // 1024} KiB")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
