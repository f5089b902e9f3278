"""What a mediator forwards: the line's forward text with their code, and a WhatsApp link carrying it.

One rendering for `mediators add`/`mediators text` and the console's mediator page and poster.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from samen_sms.core.identity import Channel
from samen_sms.line.runtime import Runtime
from samen_sms.reach.mediators import Mediator


@dataclass(frozen=True)
class Forward:
    """One language's forward text and the WhatsApp link that opens the line with a hello and the code."""

    locale: str
    text: str
    link: str  # empty when the line has no WhatsApp link


def forwards(rt: Runtime, mediator: Mediator) -> list[Forward]:
    """The forward text and WhatsApp link with the code, in each language the mediator works in."""
    out = []
    base = rt.renderer.params.get("whatsapp_link", "")
    for locale in mediator.languages:
        text = rt.renderer.message(locale, "mediator.forward_text", Channel.SMS, code=mediator.code)
        hello = rt.content.catalogues[locale].keywords.get("menu", ("hi",))[0].capitalize()
        link = f"{base}?text={quote(f'{hello} {mediator.code}', safe='')}" if base else ""
        out.append(Forward(locale, text, link))
    return out
