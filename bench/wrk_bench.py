"""Inbound webhook throughput measured by wrk, a C load generator that is not the bottleneck.

    .venv/bin/python bench/wrk_bench.py [--seconds 10] [--connections 16] [--runs 3] [--pin]
        [--web-concurrency 2] [--gunicorn-args "--worker-class gthread --threads 4"]

Starts a private Redis, then the line and a bare Flask endpoint under the Procfile's own web
command (`gunicorn --config gunicorn.conf.py ...`, same settings, WEB_CONCURRENCY workers). wrk
replays pre-signed webhooks from `bench/replay.lua`, every MessageSid once (200 numbers walking
hi, 1, 2, 0), against each in turn. Reports req/s, p50 and p99 for both and the ratio; the median
run of `--runs`. `--pin` puts the web workers on CPU 0 and wrk and Redis on CPU 1 (2 cores here).
`--web-concurrency` and `--gunicorn-args` (gunicorn's own GUNICORN_CMD_ARGS) apply to both servers:
they are how the Procfile's defaults were chosen.
No RQ worker runs: the replies wait in the queue, so only the webhook is measured.
Needs wrk (Debian: `apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import redis
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webhook_bench import BARE_APP, PUBLIC, TOKEN, environment, serving  # noqa: E402

from samen_sms.devtools.embedded_redis import EmbeddedRedis, free_port  # noqa: E402
from samen_sms.devtools.simulate import inbound_params  # noqa: E402

WEB_COMMAND = ["gunicorn", "--config", str(ROOT / "gunicorn.conf.py")]  # the Procfile's, plus the app


@dataclass(frozen=True)
class Run:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def sign_requests(path: Path, count: int) -> None:
    """Write `count` signed webhooks, one MessageSid each, as `body<TAB>signature` lines."""
    validator = RequestValidator(TOKEN)
    numbers = [f"+447700{900000 + i}" for i in range(200)]
    steps = ["hi", "1", "2", "0"]
    with path.open("w") as out:
        for i in range(count):
            params = inbound_params(numbers[i % 200], "+447700900000", steps[(i // 200) % 4])
            params["MessageSid"] = f"SM{i:032x}"
            signature = validator.compute_signature(PUBLIC + "/twilio/inbound", params)
            out.write(f"{urlencode(params)}\t{signature}\n")


def start_web(app: str, port: int, env: dict[str, str], cwd: Path, cpus: str | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", *WEB_COMMAND, "--log-level", "warning", app]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    proc = subprocess.Popen(
        command, env={**env, "PORT": str(port)}, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return serving(proc, port, app)


def wrk(port: int, signed: Path, seconds: int, connections: int, cpus: str | None) -> Run:
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["-s", str(ROOT / "bench/replay.lua"), f"http://127.0.0.1:{port}", "--", str(signed), str(threads)]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if int(re.search(r"replayed-wraps: (\d+)", out).group(1)):  # type: ignore[union-attr]
        raise RuntimeError("wrk ran out of signed requests: raise --signed")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        print(f"    wrk: socket errors {socket_errors.group(1)}")
    return Run(
        rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        p99_ms=_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),  # type: ignore[union-attr]
        errors=int(errors.group(1)) if errors else 0,
    )


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--signed", type=int, default=80_000, help="signed requests per run and server")
    parser.add_argument("--pin", action="store_true", help="web on CPU 0; wrk and Redis on CPU 1")
    parser.add_argument("--web-concurrency", type=int, default=None, help="gunicorn workers (WEB_CONCURRENCY)")
    parser.add_argument("--gunicorn-args", default="", help="more gunicorn settings, as GUNICORN_CMD_ARGS")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk (Debian)")
    web_cpus, load_cpus = ("0", "1") if args.pin else (None, None)
    workdir = Path(tempfile.mkdtemp(prefix="samen-wrk-"))
    server = EmbeddedRedis(port=free_port(), data_dir=workdir / "redis").start()
    if load_cpus:
        pid = str(server.process.pid)  # type: ignore[union-attr]
        subprocess.run(["taskset", "-pc", load_cpus, pid], check=True, capture_output=True)
    env = environment(server.url)
    if args.web_concurrency:
        env["WEB_CONCURRENCY"] = str(args.web_concurrency)
    if args.gunicorn_args:
        env["GUNICORN_CMD_ARGS"] = args.gunicorn_args
    (workdir / "bare.py").write_text(BARE_APP)
    signed = workdir / "signed.txt"
    sign_requests(signed, args.signed)
    conn = redis.Redis.from_url(server.url)
    line_port, bare_port = free_port(), free_port()
    procs = [
        start_web("app:app", line_port, env, ROOT, web_cpus),
        start_web("bare:app", bare_port, env, workdir, web_cpus),
    ]
    workers = env.get("WEB_CONCURRENCY", "2")
    print(
        f"wrk -c{args.connections} -d{args.seconds}s, {args.runs} runs; gunicorn --config gunicorn.conf.py "
        f"({workers} workers {args.gunicorn_args or '--worker-class sync'})"
        f"{', web pinned to CPU 0, wrk and Redis to CPU 1' if args.pin else ''}"
    )
    results: dict[str, list[Run]] = {"bare": [], "line": []}
    try:
        for _ in range(args.runs):
            for name, port in (("bare", bare_port), ("line", line_port)):
                conn.flushdb()  # every run replays the same MessageSids: each must be new
                run = wrk(port, signed, args.seconds, args.connections, load_cpus)
                if run.errors:
                    raise RuntimeError(f"{name}: {run.errors} answers were not 2xx")
                results[name].append(run)
                print(f"  {name}: {run.rate:8.0f} req/s   p50 {run.p50_ms:6.2f} ms   p99 {run.p99_ms:6.2f} ms")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    bare, line = _median(results["bare"]), _median(results["line"])
    print(f"median bare: {bare.rate:.0f} req/s, p50 {bare.p50_ms:.2f} ms, p99 {bare.p99_ms:.2f} ms")
    print(f"median line: {line.rate:.0f} req/s, p50 {line.p50_ms:.2f} ms, p99 {line.p99_ms:.2f} ms")
    print(f"ratio line/bare: {line.rate / bare.rate:.2f}   (load average {os.getloadavg()[0]:.1f})")


def _median(runs: list[Run]) -> Run:
    """The run with the median throughput (the lower one of an even count), its latencies with it."""
    return sorted(runs, key=lambda r: r.rate)[(len(runs) - 1) // 2]


if __name__ == "__main__":
    main()
