"""One broadcast message to one subscriber: what to send (text or template) and sending it once."""

from __future__ import annotations

import time
from dataclasses import dataclass

from twilio.rest.api.v2010.account.message import MessageInstance

from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.results import Result, Skip
from samen_sms.announce.routing import Route, Via, route, template_for
from samen_sms.announce.templates import Template, Templates
from samen_sms.core.identity import Address, Channel
from samen_sms.line.replies import WorkerContext
from samen_sms.line.runtime import Runtime
from samen_sms.line.sender import PermanentSendError, TransientSendError

TRANSIENT_TRIES = 3


@dataclass(frozen=True)
class Attempt:
    """A message ready to go: the address (opened in memory only), and a body or a template.

    `recognisable` are the bodies Twilio would show for this message however it was routed when
    it was claimed (free text, or the template's text filled in): the window may have opened or
    closed between a claim and its recovery. `unrecognisable_template`: a template for it exists
    whose text the templates file does not give, so a send of it cannot be told apart by body.
    """

    address: Address
    locale: str
    body: str = ""
    template: Template | None = None
    variables: str = ""
    recognisable: tuple[str, ...] = ()
    unrecognisable_template: bool = False

    @classmethod
    def prepare(
        cls,
        rt: Runtime,
        session: infosessions.InfoSession,
        kind: BroadcastKind,
        p: str,
        templates: Templates,
    ) -> Attempt | Skip:
        """The message for one subscriber, or the reason they are skipped."""
        sub = subscriptions.find(rt.redis, p)
        in_window = sub is not None and sub.channel is Channel.WHATSAPP and subscriptions.within_whatsapp_window(
            rt.redis, p
        )
        way = route(rt, session, kind, sub, in_window, templates)
        if isinstance(way, Skip):
            return way
        return cls.build(rt, session, kind, way, templates)

    @classmethod
    def build(
        cls,
        rt: Runtime,
        session: infosessions.InfoSession,
        kind: BroadcastKind,
        way: Route,
        templates: Templates,
    ) -> Attempt:
        """The message for a subscriber `route` decided how to reach."""
        body = infosessions.render(rt.renderer, session, way.locale, way.address.channel, kind)
        if way.via is Via.SMS:
            return cls(way.address, way.locale, body=body, recognisable=(body,))
        # WhatsApp: the other form (template or free text) may be the one a crashed job sent.
        template = template_for(templates, kind, way.locale)
        values = _values(rt, session, way)
        filled = template.rendered(values) if template else None
        recognisable = (body, filled) if filled else (body,)
        blind = template is not None and filled is None
        if way.via is Via.WHATSAPP:
            return cls(way.address, way.locale, body=body, recognisable=recognisable, unrecognisable_template=blind)
        assert template is not None  # route chose the template, so there is one
        return cls(
            way.address,
            way.locale,
            template=template,
            variables=template.content_variables(values),
            recognisable=recognisable,
            unrecognisable_template=blind,
        )

    def already_at_twilio(self, ctx: WorkerContext, since: float) -> bool:
        """Whether Twilio already has this message, created since the claim at `since` (after a crash).

        Twilio shows a message by its `body` (a template's text filled in; no Content SID), so a
        message counts when it is outbound-api, from our sender, created since the claim, and its
        body is one this message could have had (free text, or the template's text). A reply from
        the line in that window has another body, so it does not count.

        When the templates file gives no `text` for a template this message may have gone as, a
        sent template cannot be told from a reply; then any outbound message from our WhatsApp
        number since the claim counts: never sending an announcement twice to a phone that may be
        shared weighs more than, rarely, one missed announcement (to a person the line was just
        talking with, who can ask it again). Operators avoid this by giving each template's `text`.
        """
        if self.address.channel is Channel.SMS:
            return ctx.sender.already_sent(self.address, self.body, since)
        ours = ctx.sender.config.twilio_whatsapp_from

        def is_this(message: MessageInstance) -> bool:
            if str(message.direction) != "outbound-api" or message.from_ != ours:
                return False
            return self.unrecognisable_template or message.body in self.recognisable

        return ctx.sender.find_since(self.address, since, is_this)

    def send(self, ctx: WorkerContext) -> str:
        """Hand the message to Twilio; returns the MessageSid."""
        if self.template is not None:
            return ctx.sender.send_template(self.address, self.template.content_sid, self.variables)
        return ctx.sender.send(self.address, self.body)


def _values(rt: Runtime, session: infosessions.InfoSession, way: Route) -> dict[str, str]:
    """The values a template fills in (an online session's place is its link, introduced)."""
    place = session.place
    if session.online:
        place = rt.renderer.message(way.locale, "announce.online", way.address.channel, link=session.place)
    return infosessions.variables(session, way.locale, place)


def send_once(ctx: WorkerContext, attempt: Attempt, p: str) -> tuple[Result, str | None]:
    """Send, checking opt-out at this very moment; returns the result and Twilio's MessageSid."""
    started = time.time()
    for tries in range(TRANSIENT_TRIES):
        if subscriptions.find(ctx.runtime.redis, p) is None:
            return Result.skipped(Skip.OPTED_OUT), None
        try:
            return Result.sent(), attempt.send(ctx)
        except PermanentSendError as exc:
            return Result.failed(exc.code), None
        except TransientSendError:
            time.sleep(2**tries)
            try:
                if attempt.already_at_twilio(ctx, started):
                    return Result.sent(), None
            except TransientSendError:
                continue
    return Result.failed("transient"), None
