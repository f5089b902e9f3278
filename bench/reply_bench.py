"""Replies at Twilio's pace: a crowd of first messages against a Twilio that takes 200 ms a send (issue #23).

    .venv/bin/python bench/reply_bench.py [--crowd 600] [--arrival 60] [--burst-arrival 150] [--delay 0.2]

Starts a private Redis, the Twilio stand-in (its own process, `--delay` s per send), and the
Procfile's `web` and `worker` commands as written there, with their defaults (no SAMEN_WORKERS,
no WEB_CONCURRENCY, no SAMEN_SENDS_PER_WORKER). Two scenes, each on an empty Redis:

- crowd: `--crowd` new numbers send their first message at `--arrival` a second (open loop, as
  after an announcement). Reports replies a second (replies / from the first webhook to the last
  reply at the stand-in) and the p50/p99 from a person's webhook to the stand-in receiving the
  reply's request.
- over the rate: `--crowd` new numbers at `--burst-arrival` a second, the account rate set to
  `--account-mps` (SAMEN_ACCOUNT_MPS) and the stand-in refusing past `--twilio-rate` a second with
  429 and Retry-After, as Twilio does. Reports the sending rate (replies over the seconds from the
  first to the last send), the most sends the stand-in took in any one second, its 429s, and per
  number the replies lost (none) and doubled (more than the crowd's usual count).

The senders' rates (SAMEN_SMS_MPS, `--sender-mps`) are set as for a sender that takes 100 a
second (a short code or a Messaging Service with enough numbers): a single long code takes about
10 a second at Twilio, whatever the line does. `--checkout DIR` runs web and workers from another
checkout (main's code, for the figures before a change); the stand-in is always this one's.
Every wait is bounded by `--timeout`; the load (`uptime`) is printed with the table, and the CPU the
web and the worker processes used, per message in and per reply out: on a loaded machine the rates
say little, but the CPU per reply says how many replies two quiet cores could send.
"""

from __future__ import annotations

import argparse
import collections
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.devtools.simulate import inbound_params  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT_SID = "AC" + "5" * 32
PUBLIC = "https://line.example.org"
SMS_FROM = "+447700900000"
NUMBERS = [f"+447700900{n:03d}" for n in range(1000)]  # Ofcom's fiction range, all of it


def procfile(checkout: Path) -> dict[str, str]:
    """The Procfile's commands by process name."""
    found = {}
    for line in (checkout / "Procfile").read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and not line.startswith("#"):
            found[name.strip()] = command.strip()
    return found


class Line:
    """The stand-in, and the Procfile's web and worker commands of one checkout, on a private Redis."""

    def __init__(self, checkout: Path, delay: float, env_more: dict[str, str]) -> None:
        self.logs = Path(tempfile.mkdtemp(prefix="samen-reply-bench-"))
        self.redis = EmbeddedRedis(port=free_port(), data_dir=self.logs / "redis")
        self.redis.start()
        self.standin_port, port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.standin_port}"
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SAMEN_WORKERS", "WEB_CONCURRENCY", "SAMEN_SENDS_PER_WORKER", "GUNICORN_CMD_ARGS")
        }
        env.update(
            {
                "PYTHONPATH": str(checkout),
                "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
                "REDIS_URL": self.redis.url,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_SMS_FROM": SMS_FROM,
                "TWILIO_WHATSAPP_FROM": "whatsapp:+447700900001",
                "TWILIO_API_URL": self.api,
                "PUBLIC_URL": PUBLIC,
                "PORT": str(port),
                "SAMEN_SECRET_KEY": "bench-secret-key-0123456789abcdef",
                **env_more,
            }
        )
        standin_env = {**env, "PYTHONPATH": str(ROOT)}
        standin = [sys.executable, "-m", "samen_sms.devtools.standin", "--port", str(self.standin_port)]
        self.procs = [self._start([*standin, "--delay", str(delay), "--quiet"], standin_env, ROOT, "standin")]
        commands = procfile(checkout)
        for name in ("web", "worker"):
            self.procs.append(self._start(["sh", "-c", "exec " + commands[name]], env, checkout, name))
        self.url = f"http://127.0.0.1:{port}"
        self.validator = RequestValidator(TOKEN)
        self._wait_ready()

    def _start(self, argv: list[str], env: dict[str, str], cwd: Path, name: str) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as out:
            return subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200 and self.recorded() is not None:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the line did not start within 60 s; logs in {self.logs}")

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by each process group: the stand-in, web, workers, Redis, and this bench."""
        used = {"standin": 0.0, "web": 0.0, "worker": 0.0, "redis": 0.0}
        groups = {proc.pid: name for proc, name in zip(self.procs, ("standin", "web", "worker"), strict=True)}
        assert self.redis.process is not None
        groups[self.redis.process.pid] = "redis"
        tick = os.sysconf("SC_CLK_TCK")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            group = groups.get(int(fields[2])) or groups.get(int(entry.name))  # the group's leader, or Redis
            if group:
                used[group] += sum(int(v) for v in fields[11:15]) / tick  # utime stime cutime cstime
        return used

    def recorded(self) -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(self.api + "/_standin/messages", timeout=30).json()
        return answer

    def set_rate(self, per_second: float) -> None:
        requests.post(self.api + "/_standin/rate", json={"per_second": per_second}, timeout=5)

    def commands(self) -> collections.Counter[str]:
        """Commands Redis has run so far, by name (a script's own calls counted under their names too)."""
        import redis

        stats = redis.Redis.from_url(self.redis.url).info("commandstats")
        return collections.Counter({name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()})

    def owed(self) -> int:
        import redis

        return int(redis.Redis.from_url(self.redis.url).zcard("samen:owed"))

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


def crowd(line: Line, numbers: list[str], per_second: float) -> dict[str, float]:
    """Each number sends "hi" at its moment (open loop); returns when each webhook was posted."""
    posted: dict[str, float] = {}
    start = time.time() + 0.5
    local = threading.local()

    def one(i: int, number: str) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        time.sleep(max(0.0, start + i / per_second - time.time()))
        params = inbound_params(number, SMS_FROM, "hi")
        sig = line.validator.compute_signature(PUBLIC + "/twilio/inbound", params)
        posted[number] = time.time()
        session.post(line.url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=15)

    with ThreadPoolExecutor(48) as pool:
        for future in [pool.submit(one, i, n) for i, n in enumerate(numbers)]:
            future.result()
    return posted


def settle(line: Line, numbers: list[str], deadline: float) -> list[dict[str, Any]]:
    """Wait until every number has a reply, nothing is owed and no more arrive; the stand-in's messages."""
    wanted, last, same_since = set(numbers), -1, time.monotonic()
    while time.monotonic() < deadline:
        messages: list[dict[str, Any]] = line.recorded()["messages"]
        answered = {m["to"] for m in messages}
        if len(messages) != last:
            last, same_since = len(messages), time.monotonic()
        elif wanted <= answered and line.owed() == 0 and time.monotonic() - same_since > 3:
            return messages
        time.sleep(0.5)
    print(f"timed out: {len({m['to'] for m in line.recorded()['messages']} & wanted)} of {len(wanted)} answered")
    return list(line.recorded()["messages"])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def scene(args: argparse.Namespace, arrival: float, env_more: dict[str, str], twilio_rate: float) -> dict[str, Any]:
    load = os.getloadavg()
    line = Line(args.checkout.resolve(), args.delay, env_more)
    try:
        line.set_rate(twilio_rate)
        numbers = NUMBERS[: args.crowd]
        began, cpu_before, bench_before = time.monotonic(), line.cpu(), sum(os.times()[:2])
        commands_before = line.commands()
        posted = crowd(line, numbers, arrival)
        messages = settle(line, numbers, began + args.timeout)
        cpu = {name: used - cpu_before[name] for name, used in line.cpu().items()}
        cpu["bench"] = sum(os.times()[:2]) - bench_before
        throttled = int(line.recorded().get("throttled", 0))
        commands = line.commands() - commands_before
        commands.pop("info", None)
    finally:
        line.stop()
    per_number = collections.Counter(m["to"] for m in messages)
    usual = statistics.mode(per_number.values()) if per_number else 0
    first: dict[str, float] = {}
    for m in messages:
        first[m["to"]] = min(first.get(m["to"], float("inf")), m.get("_received", m["_at"]))
    waits = [first[n] - posted[n] for n in numbers if n in first]
    sends = sorted(m.get("_received", m["_at"]) for m in messages)
    window = max((sum(1 for t in sends[i:] if t < s + 1) for i, s in enumerate(sends)), default=0)
    span = (sends[-1] - min(posted.values())) if sends else float("nan")
    send_span = (sends[-1] - sends[0]) if len(sends) > 1 else float("nan")
    return {
        "arrival": arrival,
        "replies": len(messages),
        "replies_per_s": len(messages) / span,
        "send_rate": (len(sends) - 1) / send_span,
        "max_1s": window,
        "p50": percentile(waits, 0.5),
        "p99": percentile(waits, 0.99),
        "lost": sum(1 for n in numbers if n not in per_number),
        "doubled": sum(1 for n in numbers if per_number[n] > usual),
        "usual": usual,
        "throttled": throttled,
        "web_ms": 1000 * cpu["web"] / max(1, len(numbers)),
        "worker_ms": 1000 * cpu["worker"] / max(1, len(messages)),
        "load": f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        "cpu_s": cpu,
        "commands": commands,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crowd", type=int, default=600, help="new numbers in each scene (at most 1000)")
    parser.add_argument("--arrival", type=float, default=60, help="first messages a second, the crowd scene")
    parser.add_argument("--burst-arrival", type=float, default=150, help="first messages a second, over the rate")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the stand-in takes per send")
    parser.add_argument("--account-mps", type=float, default=100, help="SAMEN_ACCOUNT_MPS in the scene over the rate")
    parser.add_argument("--sender-mps", type=float, default=100, help="SAMEN_SMS_MPS and SAMEN_WHATSAPP_MPS")
    parser.add_argument("--twilio-rate", type=float, default=100, help="the stand-in's 429s past this many a second")
    parser.add_argument("--scenes", default="crowd,over", help="which scenes: crowd, over")
    parser.add_argument("--timeout", type=float, default=180, help="seconds each scene may take at most")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="run web and workers from this checkout")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for web and workers (repeatable)")
    args = parser.parse_args()
    args.crowd = min(args.crowd, len(NUMBERS))
    rates = {"SAMEN_SMS_MPS": str(args.sender_mps), "SAMEN_WHATSAPP_MPS": str(args.sender_mps)}
    rates.update(dict(item.split("=", 1) for item in args.env))
    rows = []
    for name in args.scenes.split(","):
        if name == "crowd":
            rows.append(("crowd", scene(args, args.arrival, rates, 0)))
        elif name == "over":
            over = {**rates, "SAMEN_ACCOUNT_MPS": str(args.account_mps)}
            rows.append(("over", scene(args, args.burst_arrival, over, args.twilio_rate)))
    commands = procfile(args.checkout.resolve())
    print(f"checkout {args.checkout}; Twilio {args.delay} s a send; {args.crowd} first messages a scene")
    print(f"web: {commands['web']}\nworker: {commands['worker']}\nextra env: {shlex.join(args.env) or '-'}")
    print(
        "scene  arrive/s  replies  replies/s  p50 s  p99 s  send/s  max in 1 s  429s  lost  doubled"
        "  CPU ms web/msg worker/reply  load 1/5/15 min"
    )
    for name, r in rows:
        print(
            f"{name:6} {r['arrival']:8.0f} {r['replies']:8d} {r['replies_per_s']:10.1f} {r['p50']:6.2f} {r['p99']:6.2f}"
            f" {r['send_rate']:7.1f} {r['max_1s']:11d} {r['throttled']:5d} {r['lost']:5d} {r['doubled']:8d}"
            f"  {r['web_ms']:15.1f} {r['worker_ms']:12.1f}  {r['load']}"
        )
    print("CPU seconds per scene, by process (the bench is the load generator and its polling):")
    for name, r in rows:
        print(f"{name:6} " + "  ".join(f"{who} {used:.1f}" for who, used in r["cpu_s"].items()))
    print("Redis commands per reply (webhook, queue, worker and sending together), the most run:")
    for name, r in rows:
        per = {cmd: n / max(1, r["replies"]) for cmd, n in r["commands"].most_common(12)}
        total = sum(r["commands"].values()) / max(1, r["replies"])
        print(f"{name:6} {total:.1f}: " + " ".join(f"{cmd} {n:.1f}" for cmd, n in per.items()))


if __name__ == "__main__":
    main()
