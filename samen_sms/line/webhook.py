"""Twilio's webhooks: check, de-duplicate, one flow step, enqueue. Never silent, never a 5xx."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import redis
from flask import Blueprint, Response, abort, current_app, request

from samen_sms.content import referral
from samen_sms.content.engine import Message, script_locales, step
from samen_sms.content.said import Said
from samen_sms.core.identity import Address, BadAddress, Channel
from samen_sms.line import metrics, overlay, redis_keys, twiml
from samen_sms.line.budget import country, past_budget, urgent_screen
from samen_sms.line.registry import Arrived, Change
from samen_sms.line.runtime import Runtime
from samen_sms.line.signature import SignatureCheck

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/twilio")

SID_RE = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
MAX_BODY = 1600


@dataclass(frozen=True)
class Inbound:
    """A Twilio message, checked at the boundary; what it said is read once and used for this step only."""

    message_sid: str
    address: Address
    said: Said
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
    if form.get("Latitude", "").strip():
        # A shared location (WhatsApp) comes with no media and no text: an attachment all the same.
        num_media = max(num_media, 1)
    return Inbound(sid, address, Said.read(form.get("Body", "")[:MAX_BODY]), num_media)


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
        metrics.REDIS_ERRORS.labels("webhook").inc()
        log.exception("redis failed during a webhook; answering with the emergency numbers")
    except Exception:
        log.exception("webhook step failed; answering with the emergency numbers")
    metrics.outcome(msg.address.channel.value, "fallback")
    return twiml.message(fallback_text(rt, msg.said))


def _handle(rt: Runtime, msg: Inbound) -> Response:
    """Check in (round trip 1), a before-step hook or one step of the engine, commit what it returned (round trip 2)."""
    p = rt.keys.pseudonym(msg.address.e164)
    held = rt.registry.held_keys(p)
    codes = referral.candidates(msg.said)
    live, cc = rt.registry.live_codes, country(msg.address)
    # The live content's version is read in the same round trip, as one more held key.
    reads = (*held, overlay.version_key())
    arrival = rt.store.arrive(msg.message_sid, p, candidates=codes, held=reads, live_codes=live, country=cc)
    *values, version = arrival.held
    if arrival.duplicate:
        metrics.outcome(msg.address.channel.value, "duplicate")
        return twiml.empty()
    overlay.refresh(rt, version, read_version=False)  # an edit approved in the console, live from now
    limit = rt.config.rate_limit_count
    message = Message(msg.said, msg.address.channel, msg.num_media, arrival.count, limit, arrival.codes, cc)
    # A feature may take the message before the engine (the first hook that answers); else one step.
    arrived = Arrived(p, msg.address, arrival.visit, message, rt.content, rt.config)
    outcome = rt.registry.take(arrived, tuple(values)) or step(rt.content, arrival.visit, message)
    # Help now goes ahead of every greeting; a first contact past the budget for new numbers is
    # answered all the same, from the queue workers take last (line/budget.py).
    front = urgent_screen(rt.content, outcome)
    late = outcome.urgent and not front and bool(outcome.replies) and past_budget(rt.config, arrival.new_number)
    if outcome.store:
        pipe = rt.store.transaction()
        rt.registry.apply(Change(pipe, rt.redis, p, msg.address, outcome, rt.keys, rt.config, rt.content))
        claim = (msg.message_sid, arrival.token)
        try:
            rt.store.commit(p, outcome, rt.keys.seal(msg.address), msg.address.channel.value, claim, pipe, front, late)
        except (redis.ConnectionError, redis.TimeoutError):
            # Lost: the answer to the transaction, perhaps not the transaction. When it ran, the
            # reply is queued and the emergency fallback on top would be a second message.
            if not rt.store.committed(*claim):
                raise
            log.warning("the connection dropped after the reply was queued; answering without the fallback")
    metrics.outcome(msg.address.channel.value, "replied" if outcome.replies else "silent")
    return twiml.empty()


def fallback_text(rt: Runtime, said: Said) -> str:
    """The emergency numbers, in the languages the message's script suggests, else Dutch and English."""
    key = rt.content.flow.messages["fallback"]
    return "\n\n".join(rt.renderer.message(loc, key, Channel.SMS) for loc in script_locales(rt.content, said))


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
        pipe.hincrby(redis_keys.STATS("status"), status_value, 1)
        if error.isdigit():
            pipe.hincrby(redis_keys.STATS("errors"), error, 1)
        for hook in rt.registry.on_status:
            hook(pipe, sid, status_value, error)
        pipe.execute()
    except redis.RedisError:
        metrics.REDIS_ERRORS.labels("status").inc()
        log.exception("could not record a delivery status")
        return Response("redis unavailable", status=503)
    return twiml.empty()
