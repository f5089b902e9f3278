"""A bystander's first reply while 1,000 new numbers write at once (issue #24, item 8).

    .venv/bin/python bench/flood_bench.py [--delay 0.2] [--workers 2] [--flood 1000] [--checkout PATH]

Starts a private Redis, the Twilio stand-in (in this process, answering in `--delay` s), gunicorn
and `python -m workers` with `--workers` processes each (bench/bystander_bench.py's `Line`). A
known person (on WhatsApp, in conversation already) is ready; then `--flood` numbers send their
first message, 16 at a time. Half-way through the flood, two bystanders write: the known person
greets again, and a new number (on WhatsApp) sends the help word. Each is measured from its
webhook to the moment the stand-in received its reply; the goal is 5 s or less. Every number of
the flood is answered too: the bench waits for all of them before the line stops.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bystander_bench import ACCOUNT_SID, PUBLIC, SMS_FROM, TOKEN, Line, wait_for  # noqa: E402

from samen_sms.devtools.simulate import inbound_params  # noqa: E402
from samen_sms.devtools.standin import StandinState, running_standin  # noqa: E402

WHATSAPP_TO = "whatsapp:+447700900001"
KNOWN, HELPLESS = "whatsapp:+447700900456", "whatsapp:+447700900789"
FLOOD = [f"+447700900{n:03d}" for n in range(1000)]  # Ofcom's fiction range, all of it


def say(line: Line, sender: str, text: str) -> float:
    """Post one signed inbound message (to the WhatsApp sender for a whatsapp: address); when it was posted."""
    to = WHATSAPP_TO if sender.startswith("whatsapp:") else SMS_FROM
    params = inbound_params(sender, to, text)
    sig = line.validator.compute_signature(PUBLIC + "/twilio/inbound", params)
    posted = time.time()
    requests.post(line.url + "/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}, timeout=30)
    return posted


def flood(line: Line, state: StandinState, delay: float, size: int) -> dict[str, float]:
    state.delay = 0.0
    say(line, KNOWN, "hi")
    wait_for(state, KNOWN, 1)
    say(line, KNOWN, "1")
    wait_for(state, KNOWN, 2)
    time.sleep(61)  # the known person's first message took one of this minute's budget: a new minute
    state.delay = delay
    numbers = FLOOD[:size]
    half = threading.Event()
    sent = [0]

    def one(number: str) -> None:
        say(line, number, "hi")
        sent[0] += 1
        if sent[0] >= size // 2:
            half.set()

    took: dict[str, float] = {}
    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(one, n) for n in numbers]
        half.wait()
        posted = {"known": say(line, KNOWN, "hi"), "help": say(line, HELPLESS, "help")}
        for f in futures:
            f.result()
    flood_posted = time.time()
    took["known"] = wait_for(state, KNOWN, 3) - posted["known"]
    took["help"] = wait_for(state, HELPLESS, 1) - posted["help"]
    for n in numbers:
        wait_for(state, n, 1, timeout=1800)  # everyone answered, the flood included
    took["flood_done"] = time.time() - flood_posted
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the stand-in takes per send (Twilio: ~0.2)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (and gunicorn workers)")
    parser.add_argument("--flood", type=int, default=1000, help="new numbers writing at once (at most 1000)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="run web and workers from this checkout")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with running_standin(accounts={ACCOUNT_SID: TOKEN}) as (api_url, state):
        state.quiet = True
        line = Line(args.checkout.resolve(), api_url, args.workers)
        try:
            took = flood(line, state, args.delay, min(args.flood, 1000))
        finally:
            line.stop()
    print(f"checkout {args.checkout}; Twilio {args.delay} s per send; {args.workers} worker processes")
    print(f"a known person's greeting during a flood of {args.flood} new numbers: reply after {took['known']:.1f} s")
    print(f"a help word from a new number during the flood: reply after {took['help']:.1f} s")
    print(f"the whole flood answered {took['flood_done']:.0f} s after its last message")


if __name__ == "__main__":
    main()
