"""Soak run: gunicorn, real workers and Redis under a steady stream, a worker killed and Redis restarted.

    .venv/bin/python bench/soak.py [--messages 10000] [--numbers 1000] [--rate 80] [--workers 2]

Starts a private Redis, the Twilio stand-in (in this process, `--delay` s per request, 0.2 as Twilio), gunicorn and
`python -m workers`. Sends signed webhooks at a steady rate from many numbers (one in four on
WhatsApp). At 40 % of the run the worker pool is killed with SIGKILL and started again; at 70 %
Redis is restarted (web and workers keep running). Then it waits until no reply is owed and
compares, per number, the replies the stand-in received with the messages the webhook accepted
for the queue. Reports accepted, answered directly (fallback TwiML), replies sent, duplicates,
lost, and p50/p99 webhook latency.

`--failover` runs on a Redis primary, a replica and three sentinels instead (web and workers find
the primary through Sentinel) and, at 50 % of the run, forces a failover (SENTINEL FAILOVER);
nothing else is killed.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.devtools.sentinel_cluster import MASTER, Cluster  # noqa: E402
from samen_sms.devtools.simulate import inbound_params  # noqa: E402
from samen_sms.devtools.standin import running_standin  # noqa: E402

TOKEN = "soak-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "5" * 32
PUBLIC = "https://line.example.org"
SMS_FROM, WA_FROM = "+447700900000", "whatsapp:+447700900001"
SCRIPT = ["hi", "1", "1", "0", "2", "0", "3", "0", "4", "6"]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--numbers", type=int, default=1_000)
    parser.add_argument("--rate", type=float, default=80.0, help="messages per second")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (and gunicorn workers)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the stand-in takes per send (Twilio: 0.2)")
    parser.add_argument(
        "--sender-mps", type=float, default=100, help="SAMEN_SMS_MPS and SAMEN_WHATSAPP_MPS (the senders' rates)"
    )
    parser.add_argument("--failover", action="store_true", help="Sentinel, and a forced failover at 50 %%")
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the stand-in's request log
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="samen-soak-sentinel-"))).start() if args.failover else None
    server = EmbeddedRedis(port=free_port(), data_dir=Path(tempfile.mkdtemp(prefix="samen-soak-"))).start()
    logs = Path(tempfile.mkdtemp(prefix="samen-soak-logs-"))
    with running_standin(delay=args.delay, accounts={ACCOUNT_SID: TOKEN}) as (api_url, standin):
        env = {
            **os.environ,
            "REDIS_URL": server.url,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_WHATSAPP_FROM": WA_FROM,
            "TWILIO_API_URL": api_url,
            "PUBLIC_URL": PUBLIC,
            "SAMEN_SECRET_KEY": "soak-secret-key-0123456789abcdef",
            "SAMEN_TWILIO_TIMEOUT": "3",
            "SAMEN_SWEEP_INTERVAL": "5",
            "SAMEN_SMS_MPS": str(args.sender_mps),
            "SAMEN_WHATSAPP_MPS": str(args.sender_mps),
        }
        if cluster is not None:
            env.update(REDIS_URL="", REDIS_SENTINELS=cluster.addresses, REDIS_SENTINEL_MASTER=MASTER)
        port = free_port()
        web = start(
            [
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--timeout",
                "15",
                "app:app",
            ],
            env,
            logs / "web.log",
        )
        worker = start(["-m", "workers", "--processes", str(args.workers)], env, logs / "worker.log")
        url = f"http://127.0.0.1:{port}/twilio/inbound"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)

        validator = RequestValidator(TOKEN)
        senders = [("whatsapp:" if i % 4 == 3 else "") + f"+31612{i:06d}" for i in range(args.numbers)]
        queued: collections.Counter[str] = collections.Counter()
        direct: collections.Counter[str] = collections.Counter()
        outcome: collections.Counter[str] = collections.Counter()
        latencies: list[float] = []
        lock = threading.Lock()
        local = threading.local()

        def one(i: int) -> None:
            sender = senders[i % len(senders)]
            params = inbound_params(
                sender,
                WA_FROM if sender.startswith("whatsapp:") else SMS_FROM,
                SCRIPT[(i // len(senders)) % len(SCRIPT)],
            )
            sig = validator.compute_signature(PUBLIC + "/twilio/inbound", params)
            session = getattr(local, "session", None) or requests.Session()
            local.session = session
            started = time.perf_counter()
            try:
                response = session.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=15)
                kind = (
                    "direct"
                    if "<Message>" in response.text
                    else "queued"
                    if response.status_code == 200
                    else str(response.status_code)
                )
            except requests.RequestException as exc:
                kind = type(exc).__name__
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                outcome[kind] += 1
                if kind == "queued":
                    queued[sender] += 1
                elif kind == "direct":
                    direct[sender] += 1

        kill_at, restart_at = int(args.messages * 0.4), int(args.messages * 0.7)
        failover_at = int(args.messages * 0.5) if cluster is not None else -1
        if cluster is not None:
            kill_at = restart_at = -1
        events: list[str] = []
        t0 = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            for i in range(args.messages):
                delay = t0 + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if i == kill_at:
                    stop(worker, signal.SIGKILL)
                    worker = start(["-m", "workers", "--processes", str(args.workers)], env, logs / "worker.log")
                    events.append(f"{time.monotonic() - t0:6.1f} s: worker pool killed (SIGKILL) and started again")
                if i == restart_at:
                    pool.submit(server.restart)
                    events.append(f"{time.monotonic() - t0:6.1f} s: Redis restarted")
                if cluster is not None and i == failover_at:
                    pool.submit(cluster.failover)
                    events.append(f"{time.monotonic() - t0:6.1f} s: Sentinel failover forced")
                pool.submit(one, i)
        sent_for = time.monotonic() - t0

        conn = redis.Redis(port=cluster.primary_port()) if cluster is not None else redis.Redis.from_url(server.url)
        drain_deadline = time.monotonic() + 300
        last, stable_since = -1, time.monotonic()
        while time.monotonic() < drain_deadline:
            with standin.lock:
                count = len(standin.messages)
            if count != last:
                last, stable_since = count, time.monotonic()
            try:
                idle = (
                    conn.zcard("samen:owed") == 0
                    and conn.llen("rq:queue:samen") == conn.llen("rq:queue:samen-urgent") == 0
                )
            except redis.RedisError:
                idle = False
            if idle and time.monotonic() - stable_since > 10:
                break
            time.sleep(1)
        drained_after = time.monotonic() - t0

        with standin.lock:
            got = collections.Counter(m["to"] for m in standin.messages)
        # A message answered with the fallback whose transaction ran all the same (the connection
        # dropped after Redis ran it, as Redis went down) has its reply sent too: not a duplicate.
        beside = sum(min(direct[s], max(0, got[s] - queued[s])) for s in senders)
        duplicates = sum(max(0, got[s] - queued[s] - direct[s]) for s in senders)
        lost = sum(max(0, queued[s] - got[s]) for s in senders)
        cuts = statistics.quantiles(latencies, n=100)
        print(
            f"{args.messages} signed webhooks from {args.numbers} numbers at {args.rate:.0f}/s "
            f"(sent in {sent_for:.0f} s), gunicorn --workers {args.workers}, {args.workers} RQ workers, "
            f"Twilio {args.delay} s a send; load at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
        )
        for event in events:
            print("  " + event)
        print(f"accepted for the queue:            {outcome['queued']}")
        print(f"answered directly (fallback TwiML): {outcome['direct']}")
        others = {k: v for k, v in outcome.items() if k not in ("queued", "direct")}
        print(f"other outcomes:                    {others}")
        print(
            f"replies sent by workers:           {sum(got.values())} (all owed delivered after {drained_after:.0f} s)"
        )
        print(f"replies beside a fallback answer:  {beside} (the message was queued as the connection dropped)")
        print(f"duplicates:                        {duplicates}")
        print(f"lost:                              {lost}")
        print(f"webhook latency:                   p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms")
        text = "".join(log.read_text(errors="replace") for log in logs.glob("*.log"))
        leaked = sum(1 for s in senders if s.removeprefix("whatsapp:").lstrip("+") in text)
        print(f"numbers found in web/worker logs:  {leaked} (logs in {logs})")
        stop(web)
        stop(worker)
    server.stop()
    if cluster is not None:
        moved = cluster.primary_port() == cluster.replica
        print(f"primary at the end:                {'the former replica' if moved else 'unchanged'}")
        cluster.stop()


if __name__ == "__main__":
    main()
