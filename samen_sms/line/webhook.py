"""Twilio's webhooks: check, de-duplicate, one flow step, enqueue. Never silent, never a 5xx."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import redis
from flask import Blueprint, Response, abort, current_app, request

from samen_sms.content.engine import Outcome, Visit, step
from samen_sms.content.text import dominant_script
from samen_sms.core import keyspace
from samen_sms.core.identity import Address, BadAddress, Channel
from samen_sms.line import twiml
from samen_sms.line.privacy import erase
from samen_sms.line.runtime import Runtime
from samen_sms.line.signature import SignatureCheck

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

SID_RE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
MAX_BODY = 1600


@dataclass(frozen=True)
class Inbound:
    """A Twilio message, checked at the boundary; `body` is used for this step only, never kept."""

    message_sid: str
    address: Address
    body: str
    num_media: int


def runtime() -> Runtime:
    rt: Runtime = current_app.extensions["samen"]
    return rt


def parse_inbound() -> Inbound:
    """Turn Twilio's form into an Inbound, or abort with 400 and the reason."""
    form = request.form
    sid = form.get("MessageSid", "").strip()
    raw_from = form.get("From", "").strip()
    if not sid:
        abort(400, "MessageSid is missing")
    if not SID_RE.match(sid):
        abort(400, "MessageSid is not a Twilio message id")
    if not raw_from:
        abort(400, "From is missing")
    try:
        address = Address.parse(raw_from)
    except BadAddress as exc:
        abort(400, str(exc))
    try:
        num_media = max(0, int(form.get("NumMedia", "0") or 0))
    except ValueError:
        num_media = 0
    return Inbound(sid, address, form.get("Body", "")[:MAX_BODY], num_media)


@bp.post("/inbound")
def inbound() -> Response:
    """One message in: one reply queued (or none, for a duplicate or a carrier stop word)."""
    rt = runtime()
    check: SignatureCheck = current_app.extensions["samen.signature"]
    if not check.valid(request):
        abort(403, "X-Twilio-Signature is missing or wrong")
    msg = parse_inbound()
    try:
        return _handle(rt, msg)
    except redis.RedisError:
        log.exception("redis failed during a webhook; answering with the emergency numbers")
    except Exception:
        log.exception("webhook step failed; answering with the emergency numbers")
    return twiml.message(fallback_text(rt, msg.body))


def _handle(rt: Runtime, msg: Inbound) -> Response:
    p = rt.keys.pseudonym(msg.address.e164)
    arrival = rt.store.arrive(msg.message_sid, p)
    if arrival.duplicate:
        return twiml.empty()
    limit = rt.config.rate_limit_count
    if arrival.count > limit + 1:
        return twiml.empty()
    if arrival.count == limit + 1:
        outcome = Outcome(
            arrival.visit.node,
            arrival.visit.locale,
            _reply_locale(rt, arrival.visit, msg.body),
            (("msg", rt.content.flow.messages["rate_limited"]),),
            hint=arrival.visit.hint,
        )
    elif msg.num_media and not msg.body.strip():
        locale = _reply_locale(rt, arrival.visit, msg.body)
        outcome = Outcome(
            arrival.visit.node,
            arrival.visit.locale,
            locale,
            (("msg", rt.content.flow.messages["text_only"]),),
            hint=arrival.visit.hint,
        )
    else:
        outcome = step(rt.content, arrival.visit, msg.body, msg.address.channel)
    pipe = rt.store.transaction()
    if "delete" in outcome.effects:
        erase(rt.redis, pipe, p, rt.config)
    for hook in current_app.extensions.get("samen.effects", []):
        hook(pipe, p, msg.address, outcome)
    rt.store.commit(p, outcome, rt.keys.seal(msg.address), msg.address.channel.value, pipe)
    return twiml.empty()


def _script_locales(rt: Runtime, body: str) -> list[str]:
    """The languages written in the message's script (Arabic letters: Arabic and Farsi), else Dutch and English."""
    script = dominant_script(body)
    languages = rt.content.flow.languages
    if script and script != "Latn":
        same = [loc for loc in languages if rt.content.catalogues[loc].script == script]
        if same:
            return same
    return list(languages[:2])


def _guess(rt: Runtime, body: str) -> str:
    return _script_locales(rt, body)[0]


def _reply_locale(rt: Runtime, visit: Visit, body: str) -> str:
    """The person's language; before they chose one, the first the language menu showed them."""
    if visit.locale:
        return visit.locale
    if visit.hint:
        return rt.content.language_order(visit.hint)[0]
    return _guess(rt, body)


def fallback_text(rt: Runtime, body: str) -> str:
    """The emergency numbers, in the languages the message's script suggests, else Dutch and English."""
    locales = _script_locales(rt, body)
    key = rt.content.flow.messages["fallback"]
    return "\n\n".join(rt.renderer.message(loc, key, Channel.SMS) for loc in locales)


@bp.post("/status")
def status() -> Response:
    """Delivery outcomes: counted by status and error code, never with content or number."""
    check: SignatureCheck = current_app.extensions["samen.signature"]
    if not check.valid(request):
        abort(403, "X-Twilio-Signature is missing or wrong")
    form = request.form
    status_value = form.get("MessageStatus", "").strip().lower()
    sid = form.get("MessageSid", "").strip()
    if not sid or not SID_RE.match(sid):
        abort(400, "MessageSid is missing or malformed")
    if not status_value or not status_value.isalpha() or len(status_value) > 20:
        abort(400, "MessageStatus is missing or malformed")
    error = form.get("ErrorCode", "").strip()
    rt = runtime()
    try:
        pipe = rt.redis.pipeline(transaction=False)
        pipe.hincrby(keyspace.STATS("status"), status_value, 1)
        if error.isdigit():
            pipe.hincrby(keyspace.STATS("errors"), error, 1)
        for hook in current_app.extensions.get("samen.status_hooks", []):
            hook(pipe, sid, status_value, error)
        pipe.execute()
    except redis.RedisError:
        log.exception("could not record a delivery status")
        return Response("redis unavailable", status=503)
    return twiml.empty()
