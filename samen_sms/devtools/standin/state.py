"""What the Twilio stand-in remembers: messages, how their status moves over time, and injected faults."""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from samen_sms.core.config import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


@dataclass
class Fault:
    """Answer the next `count` matching sends with an HTTP status and a Twilio error code."""

    status: int
    code: int
    count: int = 1
    to: str | None = None


@dataclass
class Timings:
    """Seconds after creation at which a message becomes sending, sent and delivered (`inf`: never)."""

    sending: float = 0.0
    sent: float = 0.1
    delivered: float = 0.3


@dataclass
class StandinState:
    """Messages received and faults to inject; shared by the server's threads."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    # Media a person sent (a voice note, a photo), as Twilio keeps them: resources of their own under
    # their message, which deleting the message leaves in place.
    media: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0
    hold: float = 0.0  # seconds between recording a message and answering: "accepted, reply not yet seen"
    lock: threading.Lock = field(default_factory=threading.Lock)
    quiet: bool = False
    callbacks: bool = False  # post signed status callbacks as each status is reached, as Twilio does
    in_flight: int = 0
    max_in_flight: int = 0
    # Sends accepted per second, all senders together (0: no limit). Past it a send is refused with
    # 429 / 20429 and a `Retry-After`, as Twilio's API answers an account over its rate.
    rate: float = 0.0
    accepted: deque[float] = field(default_factory=deque)  # when the sends of the last second were accepted
    throttled: int = 0  # sends refused for the rate
    timings: Timings = field(default_factory=Timings)  # for messages created from now on
    # Approved WhatsApp templates' text by Content SID, with {{1}}-style placeholders: Twilio puts
    # the rendered text in the message's `body`.
    templates: dict[str, str] = field(default_factory=dict)
    # The accounts it knows, SID -> auth token: any other pair is refused with 401 / 20003, as at Twilio.
    accounts: dict[str, str] = field(default_factory=lambda: {DEV_ACCOUNT_SID: DEV_AUTH_TOKEN})

    def over_rate(self, now: float) -> int:
        """Seconds to wait (Retry-After) if a send now would pass `rate` in the last second, else 0 (and it counts).

        Call with `lock` held.
        """
        if self.rate <= 0:
            return 0
        while self.accepted and self.accepted[0] <= now - 1:
            self.accepted.popleft()
        if len(self.accepted) >= self.rate:
            self.throttled += 1
            return max(1, math.ceil(self.accepted[0] + 1 - now))
        self.accepted.append(now)
        return 0

    def take_fault(self, to: str) -> Fault | None:
        """The first fault that applies to a send to `to`, used up by one."""
        with self.lock:
            for fault in self.faults:
                if fault.to in (None, to) and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    def body_of(self, body: str, content_sid: str | None, variables: str | None) -> str:
        """The message's `body` as Twilio shows it: the text sent, or the template's text filled in."""
        if not content_sid:
            return body
        text = self.templates.get(content_sid, "")
        values = json.loads(variables or "{}")
        return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), "")), text)

    @staticmethod
    def changes(record: dict[str, Any]) -> list[tuple[float, str]]:
        """(seconds after creation, status) for each status after `queued`, in order."""
        t: Timings = record["_timings"]
        return [(t.sending, "sending"), (t.sent, "sent"), (t.delivered, "delivered")]

    def sent_at(self, record: dict[str, Any], now: float) -> float | None:
        """When the message became sent, or None while it is queued or sending."""
        at = float(record["_at"]) + record["_timings"].sent
        return at if now > at else None

    def resource(self, record: dict[str, Any], now: float | None = None) -> dict[str, Any]:
        """The Message resource as Twilio shows it at `now`: its status, date_sent and date_updated."""
        now = time.time() if now is None else now
        created = float(record["_at"])
        status, updated = "queued", created
        for after, name in self.changes(record):
            if now - created > after:
                status, updated = name, created + after
        if record.get("direction") == "inbound":
            status = "received"  # a person's message in (devtools.standin.deletion.record_inbound)
        sent = self.sent_at(record, now)
        out = {k: v for k, v in record.items() if not k.startswith("_")}
        # Twilio leaves date_sent empty while a message is queued or sending.
        out.update(status=status, date_updated=rfc2822(updated), date_sent=rfc2822(sent) if sent else None)
        return out

def rfc2822(ts: float) -> str:
    """Twilio's date format: `Fri, 24 May 2019 17:18:27 +0000`."""
    return format_datetime(datetime.fromtimestamp(int(ts), UTC))


def parse_date(value: str) -> tuple[float, float]:
    """A DateSent filter value as the (start, end) of the GMT day it names, in epoch seconds.

    Twilio filters by `sent_date`, a date: `DateSent` that day, `DateSent<` on and before it,
    `DateSent>` on and after it, whatever time of day the value carries (twilio-python sends a
    datetime, a date as `T00:00:00Z`).
    """
    value = value.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%a, %d %b %Y %H:%M:%S %z", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        day = parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC).date()
        start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        return start, start + 86400
    raise ValueError(f"not a date: {value!r}")

