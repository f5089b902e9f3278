"""The stand-in's HTTP side: create, list (paged, filtered, newest first) and fetch messages, and test hooks."""

from __future__ import annotations

import argparse
import base64
import hmac
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Flask, Response, jsonify, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

from samen_sms.announce.templates import load_templates
from samen_sms.core.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN
from samen_sms.devtools.standin.deletion import add_delete, in_log, logged
from samen_sms.devtools.standin.state import Fault, StandinState, Timings, parse_date, rfc2822

ROOT = "/2010-04-01/Accounts/<account_sid>/Messages"
DEFAULT_PAGE_SIZE = 50
FILTERS = ("To", "From", "DateSent", "DateSent<", "DateSent>")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")  # '+', country code, at most 15 digits in all
ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
CHANNEL = re.compile(r"([a-z]+):(.*)")  # `whatsapp:+31...`: a channel address


def report_delivery(
    url: str,
    token: str,
    sid: str,
    to: str,
    timings: Timings | None = None,
    account_sid: str = DEV_ACCOUNT_SID,
    sender: str | None = None,
) -> None:
    """Tell the line its message was sent, then delivered, each when it happens, signed with the account's token.

    The fields are those Twilio posts to a StatusCallback: the message's own account and sender,
    and the older `SmsSid`/`SmsStatus` names beside `MessageSid`/`MessageStatus`.
    """
    timings = timings or Timings()
    started = time.time()
    validator = RequestValidator(token)
    for after, status in ((timings.sent, "sent"), (timings.delivered, "delivered")):
        if after == float("inf"):
            return
        time.sleep(max(0.0, started + after - time.time()))
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "To": to,
            "AccountSid": account_sid,
            "ApiVersion": "2010-04-01",
        }
        if sender:
            params["From"] = sender
        try:
            requests.post(
                url, data=params, timeout=5, headers={"X-Twilio-Signature": validator.compute_signature(url, params)}
            )
        except requests.RequestException:
            return  # the line is down; Twilio would give up too


def _error(status: int, code: int, message: str) -> tuple[Response, int]:
    return jsonify(
        code=code, message=message, more_info=f"https://www.twilio.com/docs/errors/{code}", status=status
    ), status


def _matches(message: dict[str, Any], args: dict[str, str]) -> bool:
    """Twilio's list filters; DateSent ones look at date_sent, so unsent messages never match them."""
    if args.get("To") and message["to"] != args["To"]:
        return False
    if args.get("From") and message["from"] != args["From"]:
        return False
    dated = {k: parse_date(v) for k, v in args.items() if k.startswith("DateSent") and v}
    if not dated:
        return True
    sent = message["_sent_at"]
    if sent is None:
        return False
    if "DateSent" in dated and not dated["DateSent"][0] <= sent < dated["DateSent"][1]:
        return False
    if "DateSent>" in dated and sent < dated["DateSent>"][0]:
        return False
    return not ("DateSent<" in dated and sent >= dated["DateSent<"][1])


def _page(st: StandinState, account_sid: str) -> dict[str, Any]:
    args = {k: v for k, v in request.args.items() if k in FILTERS}
    size = min(max(int(request.args.get("PageSize", DEFAULT_PAGE_SIZE)), 1), 1000)
    number = int(request.args.get("Page", 0))
    token = request.args.get("PageToken", "")
    now = time.time()
    to = args.get("To")
    with st.lock:
        # The To filter first, on the raw records: a lookup of one person's messages (the line's
        # recovery after a crash) stays quick however many the stand-in holds.
        mine = [m for m in in_log(st) if not to or m["to"] == to]
        shown = [st.resource(m, now) | {"_at": m["_at"], "_sent_at": st.sent_at(m, now)} for m in mine]
    # Newest first by date_created (whole seconds, as Twilio shows them); among equals, the later recorded first.
    found = sorted((m for m in reversed(shown) if _matches(m, args)), key=lambda m: -int(m["_at"]))
    start_at = 0
    if token.startswith("PA"):
        sids = [m["sid"] for m in found]
        start_at = sids.index(token[2:]) + 1 if token[2:] in sids else len(found)
    items = found[start_at : start_at + size]
    base = f"/2010-04-01/Accounts/{account_sid}/Messages.json"

    def uri(page: int, **more: str) -> str:
        return base + "?" + urlencode({**args, "PageSize": size, "Page": page, **more})

    more = start_at + size < len(found)
    return {
        "messages": [{k: v for k, v in m.items() if not k.startswith("_")} for m in items],
        "end": number * size + len(items) - 1 if items else 0,
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1, PageToken="PA" + items[-1]["sid"]) if more and items else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": number * size,
        "uri": uri(number, **({"PageToken": token} if token else {})),
    }



def _authorised(st: StandinState, account_sid: str) -> str | None:
    """The auth token if the request signs in (HTTP basic) as `account_sid` with that account's token, else None."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic "):
        return None
    try:
        user, _, token = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")
    except ValueError:
        return None
    known = st.accounts.get(account_sid)
    if user != account_sid or known is None or not hmac.compare_digest(token.encode(), known.encode()):
        return None
    return token


def _unauthorised() -> tuple[Response, int]:
    return _error(401, 20003, "Authenticate")


def _address(value: str) -> tuple[str, str]:
    """(channel, address): `whatsapp:+31...` is ("whatsapp", "+31..."), a plain number ("", number)."""
    found = CHANNEL.fullmatch(value)
    return (found.group(1), found.group(2)) if found else ("", value)


def _refusal(form: Any) -> tuple[Response, int] | None:
    if not form.get("To"):
        return _error(400, 21604, "A 'To' phone number is required.")
    if not (form.get("From") or form.get("MessagingServiceSid")):
        return _error(400, 21603, "A 'From' phone number is required.")
    to_channel, to = _address(form["To"])
    if not E164.fullmatch(to):
        return _error(400, 21211, f"Invalid 'To' Phone Number: {form['To']}")
    if form.get("From"):
        from_channel, sender = _address(form["From"])
        if not (E164.fullmatch(sender) or (not from_channel and ALPHANUMERIC_SENDER.fullmatch(sender))):
            return _error(400, 21212, f"Invalid 'From' Phone Number: {form['From']}")
        if from_channel != to_channel:
            return _error(400, 21910, "Invalid 'From' and 'To' pair. 'From' and 'To' should be of the same channel")
    if not (form.get("Body") or form.get("ContentSid") or form.get("MediaUrl")):
        return _error(400, 21602, "Message body is required.")
    if len(form.get("Body", "")) > 1600:
        return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    return None


def _record(st: StandinState, account_sid: str, form: Any, now: float) -> dict[str, Any]:
    sid = "SM" + secrets.token_hex(16)
    return {
        "account_sid": account_sid,
        "api_version": "2010-04-01",
        "body": st.body_of(form.get("Body", ""), form.get("ContentSid"), form.get("ContentVariables")),
        "date_created": rfc2822(now),
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From") or None,
        "messaging_service_sid": form.get("MessagingServiceSid") or None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "EUR",
        "sid": sid,
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
        "to": form["To"],
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        # Not Twilio fields: what the tests look at.
        "_status_callback": form.get("StatusCallback"),
        "_content_sid": form.get("ContentSid"),
        "_content_variables": form.get("ContentVariables"),
        "_at": now,
        "_timings": st.timings,
    }


def create_standin(state: StandinState | None = None) -> Flask:
    """The stand-in as a Flask app; `app.config['STATE']` holds what it recorded."""
    app = Flask("twilio-standin")
    st = state or StandinState()
    app.config["STATE"] = st

    def authorised(account_sid: str) -> str | None:
        return _authorised(st, account_sid)

    @app.post(ROOT + ".json")
    def create_message(account_sid: str) -> Any:
        token = authorised(account_sid)
        if token is None:
            return _unauthorised()
        refused = _refusal(request.form)
        if refused:
            return refused
        to = request.form["To"]
        arrived = time.time()
        with st.lock:
            retry_after = st.over_rate(arrived)
        if retry_after:
            refusal, status = _error(429, 20429, "Too Many Requests")
            refusal.headers["Retry-After"] = str(retry_after)
            return refusal, status
        with st.lock:
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            if st.delay:
                time.sleep(st.delay)
            fault = st.take_fault(to)
            if fault:
                return _error(fault.status, fault.code, "injected fault")
            now = time.time()
            record = _record(st, account_sid, request.form, now)
            record["_received"] = arrived  # when the request came in, before the delay
            with st.lock:
                st.messages.append(record)
            if st.callbacks and record["_status_callback"]:
                args = (str(record["_status_callback"]), token, record["sid"], to, record["_timings"])
                more = {"account_sid": account_sid, "sender": record["from"]}
                threading.Thread(target=report_delivery, args=args, kwargs=more, daemon=True).start()
            if st.hold:
                time.sleep(st.hold)
            if not st.quiet:
                print(f"[twilio stand-in] -> {to}\n{record['body'] or record['_content_sid']}\n", flush=True)
            # As Twilio answers a create: queued (statuses move strictly after creation).
            return jsonify(st.resource(record, now)), 201
        finally:
            with st.lock:
                st.in_flight -= 1

    @app.get(ROOT + ".json")
    def list_messages(account_sid: str) -> Any:
        if authorised(account_sid) is None:
            return _unauthorised()
        return jsonify(_page(st, account_sid))

    @app.get(ROOT + "/<sid>.json")
    def fetch_message(account_sid: str, sid: str) -> Any:
        if authorised(account_sid) is None:
            return _unauthorised()
        with st.lock:
            found = logged(st, account_sid, sid)
        if found is None:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        return jsonify(st.resource(found))

    add_delete(app, st, authorised)

    @app.get("/_standin/messages")
    def recorded() -> Any:
        with st.lock:
            shown = [{k: v for k, v in m.items() if k != "_timings"} for m in st.messages]
        return jsonify(messages=shown, max_in_flight=st.max_in_flight, throttled=st.throttled)

    @app.post("/_standin/reset")
    def reset() -> Any:
        with st.lock:
            st.messages.clear()
            st.media.clear()
            st.faults.clear()
            st.max_in_flight = st.throttled = 0
            st.delay = st.hold = st.rate = 0.0
            st.accepted.clear()
        return jsonify(ok=True)

    @app.post("/_standin/faults")
    def add_fault() -> Any:
        data = request.get_json(force=True)
        with st.lock:
            st.faults.append(Fault(int(data["status"]), int(data["code"]), int(data.get("count", 1)), data.get("to")))
        return jsonify(ok=True)

    @app.post("/_standin/delay")
    def set_delay() -> Any:
        st.delay = float(request.get_json(force=True)["seconds"])
        return jsonify(ok=True)

    @app.post("/_standin/rate")
    def set_rate() -> Any:
        st.rate = float(request.get_json(force=True)["per_second"])
        return jsonify(ok=True)

    return app


@contextmanager
def running_standin(
    port: int = 0, delay: float = 0.0, quiet: bool = True, accounts: dict[str, str] | None = None
) -> Iterator[tuple[str, StandinState]]:
    """Serve the stand-in on loopback in a background thread; yields its base URL and state.

    `accounts` (SID -> auth token) are the credentials it accepts; the development account by default.
    """
    state = StandinState(delay=delay, quiet=quiet)
    if accounts is not None:
        state.accounts = dict(accounts)
    server: BaseWSGIServer = make_server("127.0.0.1", port, create_standin(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()


def template_texts(path: Path | None) -> dict[str, str]:
    """Content SID -> template text, from a templates file like the line's (`SAMEN_WHATSAPP_TEMPLATES`)."""
    return {t.content_sid: t.text for t in load_templates(path).values() if t.text}


def main() -> None:
    """`python -m samen_sms.devtools.standin`: serve the stand-in in the foreground."""
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per request (Twilio: about 0.2)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="sends a second accepted; past it 429 with Retry-After (0: no limit)"
    )
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--callbacks", action="store_true", help="post status callbacks (sent, delivered)")
    parser.add_argument("--templates", type=Path, help="WhatsApp templates file: their text fills `body`")
    args = parser.parse_args()
    state = StandinState(delay=args.delay, quiet=args.quiet, callbacks=args.callbacks, rate=args.rate)
    # The line's own credentials, as `make run` gives both (the development ones unless set).
    account = os.environ.get("TWILIO_ACCOUNT_SID", "").strip() or DEV_ACCOUNT_SID
    state.accounts = {account: os.environ.get("TWILIO_AUTH_TOKEN", "").strip() or DEV_AUTH_TOKEN}
    state.templates = template_texts(args.templates)
    server = make_server("127.0.0.1", args.port, create_standin(state), threaded=True)
    print(f"Twilio stand-in on http://127.0.0.1:{args.port} (every outgoing message is printed here)", flush=True)
    server.serve_forever()
