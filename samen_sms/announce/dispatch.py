"""One broadcast message to one subscriber: what to send (text or template) and sending it once."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from twilio.base.exceptions import TwilioException

from samen_sms.announce import sessions as infosessions
from samen_sms.announce import subscriptions
from samen_sms.announce.templates import Template
from samen_sms.core.identity import Address, Channel
from samen_sms.line.replies import WorkerContext
from samen_sms.line.runtime import Runtime
from samen_sms.line.sender import PermanentSendError, TransientSendError

KIND_TEMPLATE = {"a": "announcement", "r": "reminder"}
TRANSIENT_TRIES = 3


@dataclass(frozen=True)
class Attempt:
    """A message ready to go: the address (opened in memory only), and a body or a template."""

    address: Address
    locale: str
    body: str = ""
    template: Template | None = None
    variables: str = ""

    @classmethod
    def prepare(
        cls,
        rt: Runtime,
        session: infosessions.InfoSession,
        kind: str,
        p: str,
        templates: dict[tuple[str, str], Template],
    ) -> Attempt | str:
        """The message for one subscriber, or the reason they are skipped."""
        sub = subscriptions.find(rt.redis, p)
        if sub is None:
            return "opted_out"
        if kind == "a" and sub.locale not in session.languages:
            return "language_changed"
        if sub.locale not in rt.content.catalogues:
            return "language_not_on_line"
        try:
            address = rt.keys.open(sub.sealed)
        except ValueError:
            return "address_unreadable"
        if address.channel is Channel.WHATSAPP and not subscriptions.within_whatsapp_window(rt.redis, p):
            template = templates.get((KIND_TEMPLATE[kind], sub.locale))
            if template is None:
                return "whatsapp_window_closed_no_template"
            place = session.place
            if session.online:
                place = rt.renderer.message(sub.locale, "announce.online", address.channel, link=session.place)
            values = infosessions.variables(session, sub.locale, place)
            return cls(address, sub.locale, template=template, variables=template.content_variables(values))
        body = infosessions.render(rt.renderer, session, sub.locale, address.channel, kind)
        return cls(address, sub.locale, body=body)

    def already_at_twilio(self, ctx: WorkerContext, since: float) -> bool:
        """Whether Twilio already has this message (after a crash or an unclear failure)."""
        if self.template is None:
            return ctx.sender.already_sent(self.address, self.body, since)
        after = datetime.fromtimestamp(since, UTC) - timedelta(seconds=5)
        try:
            found = ctx.sender.client.messages.list(to=self.address.twilio, date_sent_after=after, limit=50)
        except (TwilioException, requests.RequestException, OSError) as exc:
            raise TransientSendError(f"could not look up earlier sends: {type(exc).__name__}") from None
        return any(str(m.direction).startswith("outbound") for m in found)

    def send(self, ctx: WorkerContext) -> str:
        """Hand the message to Twilio; returns the MessageSid."""
        if self.template is not None:
            return ctx.sender.send_template(self.address, self.template.content_sid, self.variables)
        return ctx.sender.send(self.address, self.body)


def send_once(ctx: WorkerContext, attempt: Attempt, p: str) -> tuple[str, str | None]:
    """Send, checking opt-out at this very moment; returns (`s`|`x:<reason>`|`f:<code>`, sid)."""
    started = time.time()
    for tries in range(TRANSIENT_TRIES):
        if subscriptions.find(ctx.runtime.redis, p) is None:
            return "x:opted_out", None
        try:
            return "s", attempt.send(ctx)
        except PermanentSendError as exc:
            return f"f:{exc.code}", None
        except TransientSendError:
            time.sleep(2**tries)
            try:
                if attempt.already_at_twilio(ctx, started):
                    return "s", None
            except TransientSendError:
                continue
    return "f:transient", None
