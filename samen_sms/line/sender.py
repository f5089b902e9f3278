"""Sending through Twilio with twilio-python, and sorting its failures into retry or give up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.rest.api.v2010.account.message import MessageInstance

from samen_sms.core.config import Config
from samen_sms.core.identity import Address, Channel

log = logging.getLogger(__name__)

# Twilio error codes that mean "try again later" even when the HTTP status is a 4xx.
TRANSIENT_CODES = frozenset({20429, 63018, 20500, 20503})
# Codes that will not change by retrying: bad number, opted out, not a mobile, outside WhatsApp window.
PERMANENT_CODES = frozenset({21211, 21610, 21614, 63016, 21408, 21612})
# Refusals that are the line's own fault, not the person's: the account or the sender is wrong, so
# every reply to everyone fails the same way until an operator fixes it. Such a reply stays owed
# and is sent once the fault clears; it is never counted against the person. From Twilio's error
# list (twilio.com/docs/api/errors): 20003 authentication failed, 20005 account not active, 20008
# test credentials, 20404 account or resource not found; 21212 invalid From, 21603 From missing,
# 21606 From not a message-capable number of this account, 21608 unverified number on a trial
# account, 21659 From is not a Twilio number; 21701-21712 the Messaging Service is missing,
# invalid or has no sender for the destination; 63007 no WhatsApp sender for the From address;
# 21910 From and To of different channels (the line replies on the person's own channel, so only
# a sender set without, or with, its `whatsapp:` prefix does that).
LINE_FAULT_CODES = frozenset(
    {20003, 20005, 20008, 20404, 21212, 21603, 21606, 21608, 21659, 21910, 63007, *range(21701, 21713)}
)
# HTTP statuses that say the request itself was not allowed: credentials, not the person.
LINE_FAULT_STATUSES = frozenset({401, 403})
# Of those, the ones about the whole account (every channel fails alike), not one sender.
ACCOUNT_FAULT_CODES = frozenset({20003, 20005, 20008, 20404, *LINE_FAULT_STATUSES})

LOOKUP_PAGE = 50  # messages per page when looking for an earlier send (Twilio's default)


class TransientSendError(RuntimeError):
    """Twilio could not take the message now; the same send may work later.

    `code` is Twilio's error code (or the HTTP status, or "timeout"/"network"), for counting;
    `uncertain` means the request may have reached Twilio (a timeout or a dropped connection).
    """

    def __init__(self, code: int | str, uncertain: bool = False) -> None:
        super().__init__(f"transient send failure {code}")
        self.code = code
        self.uncertain = uncertain


@dataclass(frozen=True)
class PermanentSendError(Exception):
    """Twilio refused the message for good; retrying would not help."""

    code: int


class LineFaultError(TransientSendError):
    """Twilio refused because of the line's own setup (credentials, sender): nobody can be answered.

    A kind of transient failure: it clears when an operator fixes the setup, and callers that know
    no better (announcements) retry it rather than count it against the person.
    """

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code: int = code


class Throttled(TransientSendError):
    """Twilio answered 429 (too many requests): it did not take the message; try again after `retry_after` s."""

    def __init__(self, code: int, retry_after: float) -> None:
        super().__init__(code)
        self.retry_after = retry_after


DEFAULT_RETRY_AFTER = 1.0  # seconds to hold back after a 429 that names no Retry-After


class LineHttpClient(TwilioHttpClient):  # type: ignore[misc]
    """twilio-python's HTTP client, keeping a connection alive per send in flight and reading Retry-After.

    twilio-python's exceptions drop the response's headers; the Retry-After of a 429 is kept here,
    for the thread that made the request (`retry_after`).
    """

    def __init__(self, timeout: float, in_flight: int) -> None:
        super().__init__(timeout=timeout, pool_connections=True, max_retries=0)
        self._last = threading.local()
        # requests keeps 10 connections a host by default: with more sends in flight, the others
        # would open a connection each time and close it (no keep-alive). One pool, one host.
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(in_flight, 1), max_retries=0)
        assert self.session is not None
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        self._last.retry_after = None
        response = super().request(method, url, *args, **kwargs)
        if response.status_code == 429:
            self._last.retry_after = _seconds(response.headers.get("Retry-After"))
        return response

    def retry_after(self) -> float | None:
        """The Retry-After of this thread's last response, if it was a 429."""
        found: float | None = getattr(self._last, "retry_after", None)
        return found


def _seconds(value: str | None) -> float:
    """Retry-After as seconds: a number, or an HTTP date (RFC 9110); DEFAULT_RETRY_AFTER when unreadable."""
    if not value:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def build_client(config: Config) -> Client:
    """The real twilio-python client, pointed at `TWILIO_API_URL` (Twilio, or the local stand-in)."""
    # Every worker thread's send, and a broadcast job's own threads, may be in flight at once.
    http = LineHttpClient(config.twilio_timeout, config.sends_per_worker + config.broadcast_threads)
    # twilio-python logs every request's query and headers at INFO: the number a list looks up included.
    http.logger.setLevel(logging.WARNING)
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http)
    client.api.base_url = config.twilio_api_url
    return client


class Sender:
    """Sends one text to one address on the channel it came from, from the configured sender."""

    def __init__(self, client: Client, config: Config) -> None:
        self.client = client
        self.config = config

    def send(self, to: Address, body: str) -> str:
        """Send and return Twilio's MessageSid; raise TransientSendError, PermanentSendError or LineFaultError."""
        kwargs: dict[str, str] = {
            "to": to.twilio,
            "body": body,
            "status_callback": self.config.status_callback_url,
        }
        if to.channel is Channel.WHATSAPP:
            kwargs["from_"] = self.config.twilio_whatsapp_from
        elif self.config.twilio_messaging_service_sid:
            kwargs["messaging_service_sid"] = self.config.twilio_messaging_service_sid
        else:
            kwargs["from_"] = self.config.twilio_sms_from
        return self._create(kwargs)

    def send_template(self, to: Address, content_sid: str, variables: str) -> str:
        """Send an approved WhatsApp template (no body), for use outside the 24-hour window."""
        return self._create(
            {
                "to": to.twilio,
                "from_": self.config.twilio_whatsapp_from,
                "content_sid": content_sid,
                "content_variables": variables,
                "status_callback": self.config.status_callback_url,
            }
        )

    def _create(self, kwargs: dict[str, str]) -> str:
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            if code in LINE_FAULT_CODES or (not code and exc.status in LINE_FAULT_STATUSES):
                raise LineFaultError(code or exc.status) from None
            if exc.status == 429:
                http = self.client.http_client
                after = http.retry_after() if isinstance(http, LineHttpClient) else None
                raise Throttled(code or exc.status, DEFAULT_RETRY_AFTER if after is None else after) from None
            if exc.status >= 500 or code in TRANSIENT_CODES:
                raise TransientSendError(code or exc.status) from None
            raise PermanentSendError(code or exc.status) from None
        except requests.Timeout:
            raise TransientSendError("timeout", uncertain=True) from None
        except (requests.RequestException, TwilioException, OSError):
            # Exception texts can carry the request URL and form (the number): never passed on.
            raise TransientSendError("network", uncertain=True) from None
        return str(message.sid)

    def already_sent(self, to: Address, body: str, since: float) -> bool:
        """Whether Twilio already has this exact message to this address since `since` (after a crash)."""
        return self.find_since(to, since, lambda message: message.body == body)

    def find_since(self, to: Address, since: float, match: Callable[[MessageInstance], bool]) -> bool:
        """Whether a message to `to` created since `since` (less 5 s of clock skew) satisfies `match`.

        Filters on creation, not DateSent: a message Twilio has queued but not yet sent has no
        date_sent, and a DateSent filter would miss it. Twilio lists newest first by creation, so
        the walk stops at the first older message; `stream` follows `next_page_uri` as needed.
        """
        after = datetime.fromtimestamp(since, UTC) - timedelta(seconds=5)
        try:
            for message in self.client.messages.stream(to=to.twilio, page_size=LOOKUP_PAGE):
                created = message.date_created
                if created is not None and created < after:
                    return False  # newest first: everything further down is older
                if match(message):
                    return True
        except (TwilioException, requests.RequestException, OSError):
            raise TransientSendError("lookup", uncertain=True) from None
        return False
