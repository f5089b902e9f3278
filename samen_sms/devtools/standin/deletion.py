"""Deleting messages as Twilio does, and the person's messages in as Twilio's log keeps them.

`DELETE .../Messages/{Sid}.json`: 204; 404 for an unknown (or already deleted) message; 409 while
the message is still queued or sending (Twilio deletes only messages in a final state). A deleted
message leaves the API's list and fetch but stays in `StandinState.messages` (marked `_deleted`),
so tests can still count what a phone received.

`GET .../Messages/{Sid}/Media.json` lists a message's media (a voice note, a photo a person sent),
`DELETE .../Messages/{Sid}/Media/{Sid}.json` deletes one (204; 404 when unknown): as at Twilio,
deleting a message leaves its media, which are deleted one by one.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, Response, jsonify, request

from samen_sms.devtools.standin.state import StandinState, Timings, rfc2822

IN_PROGRESS = frozenset({"queued", "sending", "accepted", "scheduled", "receiving"})
# A message in is final once Twilio has it.
RECEIVED = Timings(sending=0.0, sent=0.0, delivered=0.0)


def in_log(st: StandinState) -> list[dict[str, Any]]:
    """The messages Twilio's log still shows."""
    return [m for m in st.messages if not m.get("_deleted")]


def logged(st: StandinState, account_sid: str, sid: str) -> dict[str, Any] | None:
    """The account's message with this sid in the log, if it is still there (hold `st.lock`)."""
    return next((m for m in in_log(st) if m["sid"] == sid and m["account_sid"] == account_sid), None)


def record_inbound(st: StandinState, params: dict[str, str], at: float | None = None) -> None:
    """Keep a message a person sent, as Twilio's log does (tests call this beside the webhook)."""
    now = time.time() if at is None else at
    record = {
        "sid": params["MessageSid"],
        "account_sid": params.get("AccountSid", ""),
        "api_version": "2010-04-01",
        "body": params.get("Body", ""),
        "date_created": rfc2822(now),
        "direction": "inbound",
        "from": params["From"],
        "to": params["To"],
        "status": "received",
        "num_media": params.get("NumMedia", "0") or "0",
        "_at": now,
        "_timings": RECEIVED,
        "_status_callback": None,
        "_content_sid": None,
    }
    with st.lock:
        st.messages.append(record)
        for i in range(int(params.get("NumMedia", "0") or 0)):
            st.media.append(
                {
                    "sid": "ME" + secrets.token_hex(16),
                    "account_sid": record["account_sid"],
                    "parent_sid": record["sid"],
                    "content_type": params.get(f"MediaContentType{i}", "audio/ogg"),
                    "date_created": record["date_created"],
                    "date_updated": record["date_created"],
                }
            )


def media_of(st: StandinState, account_sid: str, message_sid: str) -> list[dict[str, Any]]:
    """The media still kept under a message (hold `st.lock`)."""
    return [m for m in st.media if m["parent_sid"] == message_sid and m["account_sid"] == account_sid]


def status_now(st: StandinState, record: dict[str, Any]) -> str:
    """The message's status as Twilio would show it now."""
    return "received" if record.get("direction") == "inbound" else str(st.resource(record)["status"])


def add_delete(app: Flask, st: StandinState, authorised: Any) -> None:
    """Add the DELETE route; `authorised(account_sid)` checks the request's basic auth."""

    @app.delete("/2010-04-01/Accounts/<account_sid>/Messages/<sid>.json")
    def delete_message(account_sid: str, sid: str) -> Any:
        if authorised(account_sid) is None:
            return _error(401, 20003, "Authenticate")  # as Twilio: the same answer for any bad credentials
        with st.lock:
            found = logged(st, account_sid, sid)
            if found is None:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            if status_now(st, found) in IN_PROGRESS:
                # Twilio's 20009 "Cannot delete this resource before it is complete".
                return _error(409, 20009, "Cannot delete this resource before it is complete")
            found["_deleted"] = time.time()
        return Response(status=204)

    @app.get("/2010-04-01/Accounts/<account_sid>/Messages/<message_sid>/Media.json")
    def list_media(account_sid: str, message_sid: str) -> Any:
        if authorised(account_sid) is None:
            return _error(401, 20003, "Authenticate")
        base = f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media"
        with st.lock:
            found = [m | {"uri": f"{base}/{m['sid']}.json"} for m in media_of(st, account_sid, message_sid)]
        return jsonify(
            media_list=found,
            end=max(len(found) - 1, 0),
            first_page_uri=f"{base}.json?PageSize=50&Page=0",
            next_page_uri=None,
            page=0,
            page_size=50,
            previous_page_uri=None,
            start=0,
            uri=f"{base}.json?PageSize=50&Page=0",
        )

    @app.delete("/2010-04-01/Accounts/<account_sid>/Messages/<message_sid>/Media/<sid>.json")
    def delete_media(account_sid: str, message_sid: str, sid: str) -> Any:
        if authorised(account_sid) is None:
            return _error(401, 20003, "Authenticate")
        with st.lock:
            found = [m for m in media_of(st, account_sid, message_sid) if m["sid"] == sid]
            if not found:
                return _error(404, 20404, f"The requested resource {request.path} was not found")
            st.media.remove(found[0])
        return Response(status=204)


def _error(status: int, code: int, message: str) -> tuple[Response, int]:
    return jsonify(
        code=code, message=message, more_info=f"https://www.twilio.com/docs/errors/{code}", status=status
    ), status
