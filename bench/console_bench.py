"""Console overview benchmark: the page with a year of figures and 100,000 subscribers.

    .venv/bin/python bench/console_bench.py [--subscribers 100000] [--sessions 52] [--runs 20] [--days 365]

Starts a private Redis, fills it with subscribers (spread over regions, languages and channels),
a year of weekly sessions with their announcements' counts, the reply counters, and a year of
reach figures (365 days of counters: first contacts, languages, screens, regions, opt-ins,
announcements, 20 referral codes with their weekly HyperLogLogs); signs a
coordinator in through the real form, then times GET /console/ in-process, with the subscriptions
counted by language and channel, and with no count yet (the page starts one in the background and
does not wait); and the count itself, which a page never waits for; and the mediators page listing every code's
people per week. Target: the overview under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyotp  # noqa: E402

from samen_sms.announce import redis_keys as announce_keys
from samen_sms.app import create_app  # noqa: E402
from samen_sms.console import figures  # noqa: E402
from samen_sms.console import redis_keys as console_keys
from samen_sms.console.accounts import Accounts  # noqa: E402
from samen_sms.core import redis_keys as core_keys
from samen_sms.core import tally  # noqa: E402
from samen_sms.core.config import Config  # noqa: E402
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.line import redis_keys as line_keys
from samen_sms.reach import mediators  # noqa: E402

LANGS = ["nl", "en", "ar", "fa", "ti", "tr", "uk", "so"]
PASSWORD = "bench-lantern-orchard-47"


def fill(conn: object, subscribers: int, sessions: int) -> None:
    r: Any = conn
    regions = ["NL", *(f"VR{n:02d}" for n in range(1, 26))]
    rng = random.Random(7)
    pipe = r.pipeline(transaction=False)
    for n in range(subscribers):
        value = f"{rng.choice(LANGS)}|{rng.choice('sw')}|1700000000|d|{'x' * 120}"
        pipe.hset(announce_keys.SUBSCRIBERS(rng.choice(regions)), f"{n:032x}", value)
        if n % 5000 == 4999:
            pipe.execute()
    start = int(time.time()) + 86400
    for s in range(1, sessions + 1):
        pipe.zadd(announce_keys.SESSIONS(), {str(s): start + s * 7 * 86400})
        counts = {"sent": 2000 + s, "delivered": 1900, "failed:21610": 3}
        pipe.hset(announce_keys.BROADCAST_STATS(f"{s}:a"), mapping=counts)
    pipe.hset(line_keys.STATS("sent"), "replies", 1_250_000)
    pipe.hset(line_keys.STATS("status"), mapping={"delivered": 1_200_000, "undelivered": 4000, "failed": 900})
    pipe.hset(line_keys.STATS("send_failed"), mapping={"21610": 120, "30003": 40, "21211": 3})
    pipe.execute()


SCREENS = ["help_now", "health", "police", "shelter", "legal", "sessions", "community", "share", "privacy", "about"]


def fill_reach(conn: object, days: int, codes: list[str]) -> None:
    """`days` days of reach counters up to today, as the line's counting leaves them, and weekly reach per code."""
    r: Any = conn
    rng = random.Random(11)
    today = tally.day_of(time.time())
    pipe = r.pipeline(transaction=False)
    for back in range(days):
        day = today - timedelta(days=back)
        counts: dict[str, int] = {"first:sms": rng.randint(20, 90), "first:whatsapp": rng.randint(0, 60)}
        counts |= {f"language:{lang}": rng.randint(0, 30) for lang in LANGS}
        counts |= {f"screen:{name}": rng.randint(0, 40) for name in SCREENS}
        counts |= {f"region:VR{n:02d}": rng.randint(0, 9) for n in range(1, 26)}
        counts |= {f"opted_in:VR{n:02d}": rng.randint(0, 4) for n in range(1, 26)}
        counts |= {f"code:{code}": rng.randint(0, 6) for code in codes}
        counts |= {"opted_out": rng.randint(0, 5), "sent": rng.randint(0, 3000), "delivered": rng.randint(0, 2900)}
        counts |= {"erase": rng.randint(0, 3), f"replied:{rng.randint(1, 52)}": rng.randint(0, 12)}
        pipe.hset(core_keys.REACH_DAY(day.isoformat()), mapping={k: v for k, v in counts.items() if v})
        if back % 7 == 0:
            for code in codes:
                people = [f"p{rng.randint(0, 10**9)}" for _ in range(rng.randint(0, 30))]
                if people:
                    pipe.pfadd(core_keys.REACH_PEOPLE(tally.week_of(day), code), *people)
            pipe.execute()
    pipe.execute()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=52)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", type=int, default=365, help="days of reach figures")
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
        codes = [
            mediators.add(rt.redis, mediators.Mediator("", f"Organisation {n}", ["ar", "nl"], ["NL"], 0.0), []).code
            for n in range(20)
        ]
        fill_reach(rt.redis, args.days, codes)
        print(
            f"filled {args.subscribers} subscribers, {args.sessions} sessions, {args.days} days of reach figures "
            f"for {len(codes)} codes in {time.perf_counter() - t0:.1f} s"
        )
        accounts = Accounts(rt.redis, app.extensions["samen.console"], app.extensions["samen.passwords"])
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
            assert response.status_code == 200 and b"counted at" in response.data and b"First contacts" in response.data
        for _ in range(args.runs):
            rt.redis.delete(console_keys.CONSOLE_FIGURES("mix"))
            t = time.perf_counter()
            response = client.get("/console/")
            pages_stale.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
            while rt.redis.exists(console_keys.CONSOLE_FIGURES("lock")):
                time.sleep(0.05)  # let the background count finish before the next run
        mediator_pages = []
        for _ in range(args.runs):
            t = time.perf_counter()
            listing = client.get("/console/mediators")
            mediator_pages.append((time.perf_counter() - t) * 1000)
            assert listing.status_code == 200 and codes[-1].encode() in listing.data
        for name, runs in (
            ("overview page, subscriptions counted", pages),
            ("overview page, no count yet (starts one in the background)", pages_stale),
            ("background count of all subscriptions (Lua, region by region)", counts),
            ("mediators page, 20 codes, people per week for 12 weeks", mediator_pages),
        ):
            print(f"{name} ({len(runs)} runs): p50 {statistics.median(runs):.0f} ms, max {max(runs):.0f} ms")
        print(f"page {len(response.data) // 1024} KiB")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
