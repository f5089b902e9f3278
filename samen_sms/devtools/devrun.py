"""`make run`: the whole line on this machine, with no Twilio account.

Starts an embedded Redis, the Twilio stand-in, the web app under gunicorn and the worker pool,
wired together through the environment, and stops them all on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from samen_sms.core.config import DEV_SMS_FROM, ROOT
from samen_sms.devtools.embedded_redis import shared_embedded_url

WEB_PORT = int(os.environ.get("PORT", "5000"))
STANDIN_PORT = int(os.environ.get("STANDIN_PORT", "5099"))
# Where the embedded Redis keeps its data and port, as the settings read it (SAMEN_INSTANCE_DIR).
INSTANCE = Path(os.environ.get("SAMEN_INSTANCE_DIR") or ROOT / "instance")
READY_TIMEOUT = 30.0  # seconds; the banner shows after this even if the line does not answer yet


def dev_environment(redis_url: str) -> dict[str, str]:
    """The environment every local process shares."""
    env = dict(os.environ)
    env.setdefault("SAMEN_ENV", "development")
    env["REDIS_URL"] = env.get("REDIS_URL") or redis_url
    env.setdefault("TWILIO_API_URL", f"http://127.0.0.1:{STANDIN_PORT}")
    env.setdefault("PUBLIC_URL", f"http://127.0.0.1:{WEB_PORT}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def port_taken(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:`port` (binding as gunicorn does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def refuse_taken_ports() -> None:
    """Exit with one line, before anything starts, when the web or stand-in port is taken."""
    for name, port in (("PORT", WEB_PORT), ("STANDIN_PORT", STANDIN_PORT)):
        if port_taken(port):
            other = port + 1
            while other in (WEB_PORT, STANDIN_PORT) or port_taken(other):
                other += 1
            sys.exit(
                f"make run: port {port} is taken (is `make run` already running?). "
                f"Stop it, or choose another: {name}={other} make run"
            )


def main() -> None:
    """Start everything, print how to talk to it, wait for Ctrl-C."""
    # A plain `kill` stops the whole line too, not only this process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    refuse_taken_ports()
    redis_url = os.environ.get("REDIS_URL") or shared_embedded_url(INSTANCE)
    env = dev_environment(redis_url)
    python = sys.executable
    standin = [python, "-m", "samen_sms.devtools.standin", "--port", str(STANDIN_PORT), "--callbacks"]
    if env.get("SAMEN_WHATSAPP_TEMPLATES"):
        standin += ["--templates", env["SAMEN_WHATSAPP_TEMPLATES"]]  # template messages show their text, as at Twilio
    procs = {
        "the Twilio stand-in": subprocess.Popen(standin, env=env, cwd=ROOT),
        "the web (gunicorn)": subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{WEB_PORT}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "--access-logformat",
                "%(m)s %(U)s %(s)s %(M)sms",
                "app:app",
            ],
            env=env,
            cwd=ROOT,
        ),
        "the workers": subprocess.Popen([python, "-m", "workers", "--processes", "2"], env=env, cwd=ROOT),
    }
    stopped: str | None = None
    try:
        # The banner only once the line answers, so a refusal to start is the last thing shown.
        stopped = _wait(procs, ready=lambda: _ready(env["PUBLIC_URL"]), until=time.monotonic() + READY_TIMEOUT)
        if stopped is None:
            _banner(env, redis_url)
            stopped = _wait(procs)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    if stopped:
        # Its own lines above say why; `make run` must not look like it succeeded.
        sys.exit(f"make run: {stopped} stopped (see above), so the line was shut down")


def _wait(
    procs: dict[str, subprocess.Popen[bytes]], ready: Callable[[], bool] | None = None, until: float | None = None
) -> str | None:
    """The name of the first process to stop, or None once `ready()` holds or `until` comes."""
    while until is None or time.monotonic() < until:
        for name, p in procs.items():
            if p.poll() is not None:
                return name
        if ready is not None and ready():
            return None
        time.sleep(0.2)
    return None


def _ready(public_url: str) -> bool:
    """Whether the web answers /healthz with Redis up and a worker registered."""
    try:
        with urllib.request.urlopen(f"{public_url}/healthz", timeout=1) as answer:
            return int(json.load(answer).get("workers", 0)) > 0
    except (OSError, ValueError):
        return False


def _banner(env: dict[str, str], redis_url: str) -> None:
    print(
        f"""
==========================================================================
 SAMEN line running locally (development mode, no Twilio account needed)
   webhook:        {env["PUBLIC_URL"]}/twilio/inbound
   health:         {env["PUBLIC_URL"]}/healthz
   Twilio stand-in {env["TWILIO_API_URL"]}  (prints every outgoing message)
   Redis:          {redis_url}
 Talk to it from a second terminal:
   make simulate                      (SMS from {DEV_SMS_FROM[:-3]}123)
   .venv/bin/python -m samen_sms.devtools.simulate --whatsapp hi
 Operator console: {env["PUBLIC_URL"]}/console/  (an account first, in a second terminal:
   SAMEN_ENV=development .venv/bin/flask --app app users add you@example.org --role admin)
 Ctrl-C stops everything.
==========================================================================
""",
        flush=True,
    )


def stop_embedded() -> None:
    """`make stop`: end the embedded Redis that `make run` left running."""
    port_file = INSTANCE / "redis" / "port"
    if not port_file.exists():
        print("make stop: no embedded Redis was running")
        return
    import redis

    port = int(port_file.read_text())
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.ConnectionError:
        print(f"make stop: the embedded Redis on port {port} had already stopped")
    else:
        try:
            client.shutdown(nosave=False)
        except redis.RedisError as exc:
            sys.exit(f"make stop: the embedded Redis on port {port} did not stop: {exc}")
        print(f"make stop: the embedded Redis on port {port} saved its data and stopped")
    port_file.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_embedded()
    else:
        main()
