"""`make run`: the whole line on this machine, with no Twilio account.

Starts an embedded Redis, the Twilio stand-in, the web app under gunicorn and the worker pool,
wired together through the environment, and stops them all on Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from samen_sms.core.config import DEV_SMS_FROM, ROOT
from samen_sms.devtools.embedded_redis import shared_embedded_url

WEB_PORT = int(os.environ.get("PORT", "5000"))
STANDIN_PORT = int(os.environ.get("STANDIN_PORT", "5099"))


def dev_environment(redis_url: str) -> dict[str, str]:
    """The environment every local process shares."""
    env = dict(os.environ)
    env.setdefault("SAMEN_ENV", "development")
    env["REDIS_URL"] = env.get("REDIS_URL") or redis_url
    env.setdefault("TWILIO_API_URL", f"http://127.0.0.1:{STANDIN_PORT}")
    env.setdefault("PUBLIC_URL", f"http://127.0.0.1:{WEB_PORT}")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def main() -> None:
    """Start everything, print how to talk to it, wait for Ctrl-C."""
    # A plain `kill` stops the whole line too, not only this process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    redis_url = os.environ.get("REDIS_URL") or shared_embedded_url(ROOT / "instance")
    env = dev_environment(redis_url)
    python = sys.executable
    standin = [python, "-m", "samen_sms.devtools.standin", "--port", str(STANDIN_PORT), "--callbacks"]
    if env.get("SAMEN_WHATSAPP_TEMPLATES"):
        standin += ["--templates", env["SAMEN_WHATSAPP_TEMPLATES"]]  # template messages show their text, as at Twilio
    procs = [
        subprocess.Popen(standin, env=env, cwd=ROOT),
        subprocess.Popen(
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
        subprocess.Popen([python, "-m", "workers", "--processes", "2"], env=env, cwd=ROOT),
    ]
    time.sleep(2)
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
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        print("a process stopped; shutting the line down", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def stop_embedded() -> None:
    """`make stop`: end the embedded Redis that `make run` left running."""
    port_file = Path(ROOT / "instance" / "redis" / "port")
    if not port_file.exists():
        return
    import redis

    try:
        redis.Redis(port=int(port_file.read_text()), socket_connect_timeout=0.5).shutdown(nosave=False)
    except redis.RedisError:
        pass
    port_file.unlink(missing_ok=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop_embedded()
    else:
        main()
