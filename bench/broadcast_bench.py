"""Announcement fan-out benchmark: queueing 100,000 subscribers, Redis memory, achieved send rate.

    .venv/bin/python bench/broadcast_bench.py [--subscribers 100000] [--rates 10,50] [--seconds 30]

Starts a private Redis and the Twilio stand-in answering in 200 ms like Twilio (`--delay 0.2`),
stores the subscribers (sealed numbers, as the webhook would), adds a session for the whole
country, then: times the fill of the to-do set (in-process, the job's own code); measures Redis
memory per subscriber; and for each rate runs the Procfile's worker set-up (`python -m workers`)
for `--seconds`, reading from the stand-in when each message arrived.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
import requests
from rq import Worker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from samen_sms.announce import (
    broadcast,
    subscriptions,  # noqa: E402
)
from samen_sms.announce import redis_keys as announce_keys
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.lease import Lease
from samen_sms.assembly import worker_context
from samen_sms.core.config import Config  # noqa: E402
from samen_sms.core.identity import Address, Channel  # noqa: E402
from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402

SESSION = """title = "Health"\nstarts = 2030-02-01T14:00:00\nplace = "Utrecht"\nhost = "Org"
languages = ["nl", "en"]\nregions = ["NL"]\n"""


def env(redis_url: str, api_url: str, rate: float) -> dict[str, str]:
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "TWILIO_API_URL": api_url,
        "TWILIO_AUTH_TOKEN": "bench-auth-token-0123456789abcdef",
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_SMS_FROM": "+447700900000",
        "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001",
        "PUBLIC_URL": "https://line.example.org",
        "SAMEN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "SAMEN_QUIET_HOURS": "",
        "SAMEN_SMS_MPS": str(rate),
        "SAMEN_WHATSAPP_MPS": str(rate),
        "PYTHONUNBUFFERED": "1",
    }


def populate(conn: redis.Redis, cfg: Config, n: int) -> float:
    """Store n subscribers; returns Redis bytes per subscriber."""
    rt = worker_context(cfg).runtime
    before = int(conn.info("memory")["used_memory"])
    pipe = conn.pipeline(transaction=False)
    for i in range(n):
        channel = Channel.WHATSAPP if i % 5 == 0 else Channel.SMS
        address = Address(channel, f"+316{i:08d}")
        region = subscriptions.REGIONS[i % len(subscriptions.REGIONS)]
        sub = subscriptions.Subscriber(
            region, "en" if i % 2 else "nl", channel, 1764000000 + i, "d", rt.keys.seal(address)
        )
        pipe.hset(announce_keys.SUBSCRIBERS(region), rt.keys.pseudonym(address.e164), sub.dumps())
        if i % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    return (int(conn.info("memory")["used_memory"]) - before) / n


def sms_rate(api_url: str, since: float) -> tuple[int, float, int]:
    """Messages since `since`: count, average rate per second, and the busiest 1-second window."""
    data = requests.get(api_url + "/_standin/messages", timeout=60).json()["messages"]
    times = sorted(m["_at"] for m in data if m["_at"] >= since and not m["to"].startswith("whatsapp:"))
    if len(times) < 2:
        return len(times), 0.0, len(times)
    busiest, j = 0, 0
    for i, t in enumerate(times):
        while times[j] < t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    return len(times), (len(times) - 1) / (times[-1] - times[0]), busiest


def until(predicate: Callable[[], bool], failure: str, timeout: float = 30.0) -> None:
    """Wait for a condition (not a fixed time); give up with `failure` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(failure)
        time.sleep(0.05)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def worker_names(conn: redis.Redis) -> set[str]:
    """The RQ workers registered now (a killed worker's name lingers until its key expires)."""
    return {worker.name for worker in Worker.all(connection=conn)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--rates", default="10,50")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--worker-processes", type=int, default=2)
    args = parser.parse_args()
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-bench-"))).start()
    port = free_port()
    standin = subprocess.Popen(
        [sys.executable, "-m", "samen_sms.devtools.standin", "--port", str(port), "--delay", "0.2", "--quiet"],
        cwd=ROOT,
        env=env("", "", 0),  # the stand-in accepts the account and token the line is given
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}"
    until(lambda: answers(api + "/_standin/messages"), "the stand-in did not start")
    try:
        conn = redis.Redis.from_url(server.url)
        conn.flushdb()
        cfg = Config.from_env(env(server.url, api, 10))
        per_sub = populate(conn, cfg, args.subscribers)
        print(f"subscribers: {args.subscribers}; Redis memory per subscriber: {per_sub:.0f} bytes")
        ctx = worker_context(cfg)
        rt = ctx.runtime
        session = infosessions.parse_session(SESSION, rt.content.places, ["nl", "en"])
        pipe = conn.pipeline(transaction=True)
        stored = infosessions.add(conn, session, pipe)
        pipe.execute()
        bid = BroadcastKind.ANNOUNCEMENT.of(stored.id)
        lease = Lease(rt, bid)
        assert lease.acquire()
        started = time.perf_counter()
        queued = broadcast.Broadcast(ctx, stored, BroadcastKind.ANNOUNCEMENT, lease).fill()
        took = time.perf_counter() - started
        lease.release()
        todo_bytes = conn.memory_usage(broadcast.key(bid, "todo")) or 0
        print(f"queued {queued} recipients in {took:.2f} s ({queued / took:,.0f}/s)")
        print(f"to-do set while queued: {todo_bytes / queued:.0f} B per recipient")
        for rate in (float(r) for r in args.rates.split(",")):
            requests.post(api + "/_standin/reset", timeout=10)
            before = worker_names(conn)
            worker = subprocess.Popen(
                [sys.executable, "-m", "workers", "--processes", str(args.worker_processes)],
                cwd=ROOT,
                env=env(server.url, api, rate),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            def registered(known: set[str] = before) -> bool:
                return len(worker_names(conn) - known) >= int(args.worker_processes)

            until(registered, "no workers")
            since = time.time()
            broadcast.enqueue(rt, stored.id, BroadcastKind.ANNOUNCEMENT, fill=False)
            time.sleep(args.seconds)  # the measured interval itself, not a wait for something
            os.killpg(worker.pid, 9)  # the claims make a kill safe; a warm stop would finish the slice
            worker.wait(timeout=30)
            n, achieved, busiest = sms_rate(api, since)
            print(
                f"rate {rate:g}/s (SMS; WhatsApp has its own {rate:g}/s): sent {n} SMS in ~{args.seconds:g} s, "
                f"achieved {achieved:.2f}/s ({achieved / rate:.1%} of configured), busiest 1 s window {busiest}"
            )
            conn.delete(broadcast.key(f"{stored.id}:a", "lease"))
        done = conn.hlen(broadcast.key(f"{stored.id}:a", "done"))
        done_bytes = conn.memory_usage(broadcast.key(f"{stored.id}:a", "done")) or 0
        print(f"per-recipient record of a broadcast: {done_bytes / max(done, 1):.0f} B ({done} recipients)")
    finally:
        standin.terminate()
        server.stop()


if __name__ == "__main__":
    main()
