"""Talk to a running line as Twilio would: signed webhooks in, replies read from the stand-in.

python -m samen_sms.devtools.simulate hi                 # one message by SMS
python -m samen_sms.devtools.simulate --whatsapp         # a conversation on WhatsApp (type, Enter)
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time

import requests
from twilio.request_validator import RequestValidator

from samen_sms.core.config import DEV_AUTH_TOKEN, DEV_SMS_FROM, DEV_WHATSAPP_FROM

DEFAULT_FROM = "+447700900123"  # a number reserved for fiction (Ofcom)


def signed_post(url: str, token: str, params: dict[str, str]) -> requests.Response:
    """POST a form to the webhook with Twilio's signature over the URL and sorted parameters."""
    signature = RequestValidator(token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=15)


def inbound_params(
    sender: str, to: str, body: str, sid: str | None = None, account_sid: str = "AC" + "0" * 32
) -> dict[str, str]:
    """The fields Twilio posts for an incoming message (WhatsApp adds the sender's `WaId`)."""
    sid = sid or "SM" + secrets.token_hex(16)
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    if sender.startswith("whatsapp:+"):
        params["WaId"] = sender.removeprefix("whatsapp:+")
    return params


def wait_for_replies(standin: str, to: str, seen: int, timeout: float) -> list[str]:
    """Bodies sent to `to` after the first `seen`, waiting up to `timeout` seconds for one."""
    deadline = time.monotonic() + timeout
    while True:
        messages = [
            m for m in requests.get(f"{standin}/_standin/messages", timeout=5).json()["messages"] if m["to"] == to
        ]
        if len(messages) > seen or time.monotonic() > deadline:
            return [m["body"] for m in messages[seen:]]
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description="Send signed messages to the local line.")
    parser.add_argument("text", nargs="*", help="the message; none for a conversation")
    parser.add_argument("--whatsapp", action="store_true", help="write on WhatsApp instead of SMS")
    parser.add_argument("--from", dest="sender", default=DEFAULT_FROM)
    web = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
    parser.add_argument("--url", default=os.environ.get("PUBLIC_URL", web))
    standin = f"http://127.0.0.1:{os.environ.get('STANDIN_PORT', '5099')}"
    parser.add_argument("--standin", default=os.environ.get("TWILIO_API_URL", standin))
    parser.add_argument("--token", default=os.environ.get("TWILIO_AUTH_TOKEN", DEV_AUTH_TOKEN))
    args = parser.parse_args()
    sender = ("whatsapp:" if args.whatsapp else "") + args.sender
    to = DEV_WHATSAPP_FROM if args.whatsapp else DEV_SMS_FROM
    webhook = args.url.rstrip("/") + "/twilio/inbound"

    def say(text: str) -> None:
        seen = len(wait_for_replies(args.standin, sender, 0, 0))
        response = signed_post(webhook, args.token, inbound_params(sender, to, text))
        if response.status_code != 200:
            print(f"[webhook answered {response.status_code}] {response.text}")
            return
        if "<Message>" in response.text:
            print(f"[answered directly in TwiML]\n{response.text}")
        for body in wait_for_replies(args.standin, sender, seen, timeout=5):
            print(f"--- reply ---\n{body}\n")

    if args.text:
        say(" ".join(args.text))
        return
    print(f"Writing as {sender}. Type a message and press Enter; Ctrl-D to stop.")
    for line in sys.stdin:
        if line.strip():
            say(line.rstrip("\n"))


if __name__ == "__main__":
    main()
