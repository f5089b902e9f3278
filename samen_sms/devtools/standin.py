"""A local stand-in for Twilio's Messages API (2010-04-01), for `make run`, tests and benchmarks.

It answers `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` and the list `GET` as Twilio's
OpenAPI description says (201 with a Message resource; errors as `{code, message, more_info,
status}`), records every message, and prints it. Test hooks live under `/_standin/`: the recorded
messages, a reset, a per-request delay (Twilio takes about 200 ms) and injected faults.
"""

from __future__ import annotations

import argparse
import base64
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

API = "/2010-04-01/Accounts/<account_sid>/Messages.json"


@dataclass
class Fault:
    """Answer the next `count` matching sends with an HTTP status and a Twilio error code."""

    status: int
    code: int
    count: int = 1
    to: str | None = None


@dataclass
class StandinState:
    """Messages received and faults to inject; shared by the server's threads."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0
    hold: float = 0.0  # seconds between recording a message and answering: "accepted, reply not yet seen"
    lock: threading.Lock = field(default_factory=threading.Lock)
    quiet: bool = False
    callbacks: bool = False  # post signed "sent" and "delivered" status callbacks, as Twilio does
    in_flight: int = 0
    max_in_flight: int = 0
    sending_for: float = 0.0  # seconds a new message stays `sending` (Twilio refuses to delete it then)

    def take_fault(self, to: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.to in (None, to) and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None


def report_delivery(url: str, token: str, sid: str, to: str) -> None:
    """Tell the line its message was sent, then delivered, signed with the account's token."""
    validator = RequestValidator(token)
    for status in ("sent", "delivered"):
        time.sleep(0.3)
        params = {"MessageSid": sid, "MessageStatus": status, "To": to, "AccountSid": "AC" + "0" * 32}
        try:
            requests.post(
                url, data=params, timeout=5, headers={"X-Twilio-Signature": validator.compute_signature(url, params)}
            )
        except requests.RequestException:
            return  # the line is down; Twilio would give up too


def _rfc2822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC), usegmt=True)


def _error(status: int, code: int, message: str) -> tuple[Response, int]:
    return jsonify(
        code=code, message=message, more_info=f"https://www.twilio.com/docs/errors/{code}", status=status
    ), status


def create_standin(state: StandinState | None = None) -> Flask:
    """The stand-in as a Flask app; `app.config['STATE']` holds what it recorded."""
    app = Flask("twilio-standin")
    st = state or StandinState()
    app.config["STATE"] = st

    @app.post(API)
    def create_message(account_sid: str) -> Any:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return _error(401, 20003, "Authenticate")
        user, _, token = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")
        if user != account_sid:
            return _error(401, 20003, "Authenticate")
        form = request.form
        to = form.get("To", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not (form.get("Body") or form.get("ContentSid") or form.get("MediaUrl")):
            return _error(400, 21602, "Message body is required.")
        if len(form.get("Body", "")) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
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
            sid = "SM" + secrets.token_hex(16)
            record = {
                "account_sid": account_sid,
                "api_version": "2010-04-01",
                "body": form.get("Body", ""),
                "date_created": _rfc2822(now),
                "date_sent": _rfc2822(now),
                "date_updated": _rfc2822(now),
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
                "status": "queued",
                "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
                "to": to,
                "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
                # Not Twilio fields: what the tests look at.
                "_status_callback": form.get("StatusCallback"),
                "_content_sid": form.get("ContentSid"),
                "_content_variables": form.get("ContentVariables"),
                "_at": now,
            }
            with st.lock:
                st.messages.append(record)
            if st.callbacks and record["_status_callback"]:
                threading.Thread(
                    target=report_delivery, args=(str(record["_status_callback"]), token, sid, to), daemon=True
                ).start()
            if st.hold:
                time.sleep(st.hold)
            if not st.quiet:
                print(f"[twilio stand-in] -> {to}\n{record['body'] or form.get('ContentSid')}\n", flush=True)
            return jsonify({k: v for k, v in record.items() if not k.startswith("_")}), 201
        finally:
            with st.lock:
                st.in_flight -= 1

    @app.get(API)
    def list_messages(account_sid: str) -> Any:
        to = request.args.get("To")
        after = request.args.get("DateSent>")
        before = request.args.get("DateSent<")
        since, until = 0.0, float("inf")
        if after:
            since = datetime.strptime(after, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        if before:
            until = datetime.strptime(before, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        with st.lock:
            found = [m for m in in_log(st) if (not to or m["to"] == to) and since <= m["_at"] < until]
        found.reverse()  # newest first, as Twilio lists them
        page = [shown(st, m) for m in found[:1000]]
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        return jsonify(
            messages=page,
            end=len(page) - 1,
            first_page_uri=uri,
            next_page_uri=None,
            page=0,
            page_size=len(page),
            previous_page_uri=None,
            start=0,
            uri=uri,
        )

    add_delete(app, st)

    @app.get("/_standin/messages")
    def recorded() -> Any:
        with st.lock:
            return jsonify(messages=list(st.messages), max_in_flight=st.max_in_flight)

    @app.post("/_standin/reset")
    def reset() -> Any:
        with st.lock:
            st.messages.clear()
            st.faults.clear()
            st.max_in_flight = 0
            st.delay = st.hold = 0.0
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

    return app


# Deleting messages, and the person's messages in: kept apart from the rest so it merges easily.
IN_PROGRESS = frozenset({"queued", "sending", "accepted", "scheduled", "receiving"})


def in_log(st: StandinState) -> list[dict[str, Any]]:
    """The messages Twilio's log still shows: `st.messages` keeps deleted ones too, for tests to count."""
    return [m for m in st.messages if not m.get("_deleted")]


def current_status(st: StandinState, record: dict[str, Any]) -> str:
    """The message's status now: `sending` for `st.sending_for` seconds, then final."""
    if record.get("direction") == "inbound":
        return "received"
    return "sending" if time.time() < record["_at"] + st.sending_for else "delivered"


def shown(st: StandinState, record: dict[str, Any]) -> dict[str, Any]:
    """The Message resource as Twilio shows it now."""
    return {k: v for k, v in record.items() if not k.startswith("_")} | {"status": current_status(st, record)}


def record_inbound(st: StandinState, params: dict[str, str], at: float | None = None) -> None:
    """Keep a message a person sent, as Twilio's log does (tests call this beside the webhook)."""
    now = time.time() if at is None else at
    record = {
        "sid": params["MessageSid"],
        "account_sid": params.get("AccountSid", ""),
        "from": params["From"],
        "to": params["To"],
        "body": params.get("Body", ""),
        "direction": "inbound",
        "date_created": _rfc2822(now),
        "date_sent": _rfc2822(now),
        "date_updated": _rfc2822(now),
        "status": "received",
        "_at": now,
    }
    with st.lock:
        st.messages.append(record)


def add_delete(app: Flask, st: StandinState) -> None:
    """`DELETE .../Messages/{sid}.json`: 204, 404 for an unknown sid, refused while still sending."""

    @app.delete("/2010-04-01/Accounts/<account_sid>/Messages/<sid>.json")
    def delete_message(account_sid: str, sid: str) -> Any:
        auth = request.headers.get("Authorization", "")
        user = base64.b64decode(auth[6:]).decode(errors="replace").split(":")[0] if auth.startswith("Basic ") else ""
        if user != account_sid:
            return _error(401, 20003, "Authenticate")
        with st.lock:
            found = [m for m in in_log(st) if m["sid"] == sid and m["account_sid"] == account_sid]
            if not found:
                return _error(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
            if current_status(st, found[0]) in IN_PROGRESS:
                return _error(409, 20009, "Cannot delete a message that is still in progress")
            found[0]["_deleted"] = time.time()
        return Response(status=204)


@contextmanager
def running_standin(port: int = 0, delay: float = 0.0, quiet: bool = True) -> Iterator[tuple[str, StandinState]]:
    """Serve the stand-in on loopback in a background thread; yields its base URL and state."""
    state = StandinState(delay=delay, quiet=quiet)
    server: BaseWSGIServer = make_server("127.0.0.1", port, create_standin(state), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()


def main() -> None:
    """`python -m samen_sms.devtools.standin`: serve the stand-in in the foreground."""
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=5099)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per request (Twilio: about 0.2)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--callbacks", action="store_true", help="post status callbacks (sent, delivered)")
    args = parser.parse_args()
    state = StandinState(delay=args.delay, quiet=args.quiet, callbacks=args.callbacks)
    server = make_server("127.0.0.1", args.port, create_standin(state), threaded=True)
    print(f"Twilio stand-in on http://127.0.0.1:{args.port} (every outgoing message is printed here)", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
