"""Many sends in flight from one process: threads, gevent or asyncio, through twilio-python (issue #23).

    .venv/bin/python bench/send_models_bench.py [--sends 1000] [--in-flight 50] [--delay 0.2]

Starts the Twilio stand-in (its own process, `--delay` s a send) and, for each model, a fresh
process that sends `--sends` messages with `--in-flight` at a time through twilio-python,
keeping connections alive:

- threads: a thread pool, twilio-python's `TwilioHttpClient` (requests, one pooled session);
- gevent: the same client in greenlets, after `gevent.monkey.patch_all()` (skipped when gevent
  is not installed: `pip install gevent`);
- asyncio: twilio-python's `AsyncTwilioHttpClient` (aiohttp) and `messages.create_async`.

Reports sends a second, the CPU the sending process used per 100 sends, its peak memory and the
most sends the stand-in had in flight at once, with the load (`uptime`).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACCOUNT_SID = "AC" + "5" * 32
TOKEN = "bench-auth-token-0123456789abcdef"
MODELS = ("threads", "gevent", "asyncio")


def numbers(n: int) -> list[str]:
    return [f"+447700900{i % 1000:03d}" for i in range(n)]


def run_threads(api: str, sends: int, in_flight: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from requests.adapters import HTTPAdapter
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http = TwilioHttpClient(timeout=10)
    assert http.session is not None
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=in_flight, max_retries=0)
    http.session.mount("http://", adapter)
    client = Client(ACCOUNT_SID, TOKEN, http_client=http)
    client.api.base_url = api
    with ThreadPoolExecutor(in_flight) as pool:
        list(pool.map(lambda to: client.messages.create(to=to, from_="+447700900000", body="hi"), numbers(sends)))


def run_gevent(api: str, sends: int, in_flight: int) -> None:
    from gevent import monkey  # type: ignore[import-untyped]

    monkey.patch_all()
    from gevent.pool import Pool  # type: ignore[import-untyped]
    from requests.adapters import HTTPAdapter
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    http = TwilioHttpClient(timeout=10)
    assert http.session is not None
    http.session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=in_flight, max_retries=0))
    client = Client(ACCOUNT_SID, TOKEN, http_client=http)
    client.api.base_url = api
    pool = Pool(in_flight)
    send = lambda to: client.messages.create(to=to, from_="+447700900000", body="hi")  # noqa: E731
    list(pool.imap_unordered(send, numbers(sends)))


def run_asyncio(api: str, sends: int, in_flight: int) -> None:
    import asyncio

    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    async def main() -> None:
        http = AsyncTwilioHttpClient(timeout=10)
        client = Client(ACCOUNT_SID, TOKEN, http_client=http)
        client.api.base_url = api
        gate = asyncio.Semaphore(in_flight)

        async def one(to: str) -> None:
            async with gate:
                await client.messages.create_async(to=to, from_="+447700900000", body="hi")

        await asyncio.gather(*(one(to) for to in numbers(sends)))
        await http.close()

    asyncio.run(main())


def measure(model: str, api: str, sends: int, in_flight: int) -> None:
    """In a fresh process: send, then print one JSON line of figures."""
    started, cpu = time.monotonic(), time.process_time()
    {"threads": run_threads, "gevent": run_gevent, "asyncio": run_asyncio}[model](api, sends, in_flight)
    took, used = time.monotonic() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rate": sends / took, "cpu_per_100": 100 * used / sends, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the stand-in takes per send")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.model:
        measure(args.model, args.api, args.sends, args.in_flight)
        return
    from samen_sms.devtools.embedded_redis import free_port

    port = free_port()
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    standin = subprocess.Popen(
        [sys.executable, "-m", "samen_sms.devtools.standin", "--port", str(port), "--delay", str(args.delay)]
        + ["--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api = f"http://127.0.0.1:{port}"
    rows = []
    try:
        import requests

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(api + "/_standin/messages", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.2)
        for model in args.models.split(","):
            if model == "gevent":
                try:
                    import gevent  # noqa: F401
                except ImportError:
                    print("gevent: skipped (pip install gevent)")
                    continue
            requests.post(api + "/_standin/reset", timeout=5)
            requests.post(api + "/_standin/delay", json={"seconds": args.delay}, timeout=5)
            avg = os.getloadavg()
            command = [sys.executable, __file__, "--model", model, "--api", api]
            command += ["--sends", str(args.sends), "--in-flight", str(args.in_flight)]
            out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
            if out.returncode != 0:
                print(f"{model}: failed\n{out.stderr[-2000:]}")
                continue
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            seen = requests.get(api + "/_standin/messages", timeout=30).json()
            rows.append((model, figures, seen["max_in_flight"], f"{avg[0]:.2f} {avg[1]:.2f} {avg[2]:.2f}"))
    finally:
        standin.terminate()
        standin.wait(timeout=10)
    ideal = args.in_flight / args.delay
    print(f"{args.sends} sends, {args.in_flight} in flight, Twilio {args.delay} s a send (at best {ideal:.0f}/s)")
    print("model     sends/s  CPU s per 100 sends  peak MB  most in flight at Twilio  load (1 5 15 min)")
    for model, f, most, load in rows:
        print(f"{model:9} {f['rate']:7.1f} {f['cpu_per_100']:20.3f} {f['peak_mb']:8.0f} {most:25d}  {load}")


if __name__ == "__main__":
    main()
