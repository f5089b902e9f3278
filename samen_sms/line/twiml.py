"""The TwiML answers the webhook gives Twilio."""

from __future__ import annotations

from flask import Response
from twilio.twiml.messaging_response import MessagingResponse

TWIML = "text/xml; charset=utf-8"


# Nothing to say in the webhook's answer: the same bytes every time, made once.
EMPTY = str(MessagingResponse())


def empty() -> Response:
    """Nothing to send now: the reply, if any, goes out through the queue."""
    return Response(EMPTY, status=200, content_type=TWIML)


def message(text: str) -> Response:
    """Answer directly in the webhook response: used only when the queue cannot take the reply."""
    reply = MessagingResponse()
    reply.message(text)
    return Response(str(reply), status=200, content_type=TWIML)
