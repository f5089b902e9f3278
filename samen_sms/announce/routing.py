"""Who a broadcast is for, and how each subscriber is reached: the one place a real send and the dry run share.

`route` decides per subscriber: skipped and why, or SMS, WhatsApp free text (inside the 24-hour
window) or an approved WhatsApp template (outside it). `dispatch.Attempt.prepare` builds the
message from its answer, and `sessions announce --dry-run` counts its answers, so the two cannot
drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from samen_sms.announce import redis_keys, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.results import Skip
from samen_sms.announce.templates import Template, Templates
from samen_sms.core.identity import Address, Channel
from samen_sms.line.runtime import Runtime


class Via(StrEnum):
    """How a message goes out."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    TEMPLATE = "whatsapp-template"


@dataclass(frozen=True)
class Route:
    """How one subscriber is reached: their address (opened in memory only), language and way."""

    address: Address
    locale: str
    via: Via
    template: Template | None = None


def route(
    rt: Runtime,
    session: infosessions.InfoSession,
    kind: BroadcastKind,
    sub: subscriptions.Subscriber | None,
    in_window: bool,
    templates: Templates,
) -> Route | Skip:
    """How to reach one subscriber (`None`: opted out or gone), or why they are skipped."""
    if sub is None:
        return Skip.OPTED_OUT
    if kind is BroadcastKind.ANNOUNCEMENT and sub.locale not in session.languages:
        return Skip.LANGUAGE_CHANGED
    if sub.locale not in rt.content.catalogues:
        return Skip.LANGUAGE_NOT_ON_LINE
    try:
        address = rt.keys.open(sub.sealed)
    except ValueError:
        return Skip.ADDRESS_UNREADABLE
    if address.channel is Channel.SMS:
        return Route(address, sub.locale, Via.SMS)
    if in_window:
        return Route(address, sub.locale, Via.WHATSAPP)
    template = template_for(templates, kind, sub.locale)
    if template is None:
        return Skip.WHATSAPP_WINDOW_CLOSED_NO_TEMPLATE
    return Route(address, sub.locale, Via.TEMPLATE, template)


def template_for(templates: Templates, kind: BroadcastKind, locale: str) -> Template | None:
    """The approved template for a broadcast kind in a language, if the templates file has one."""
    return templates.get((kind, locale))


def announcement_audience(conn: Any, session: infosessions.InfoSession) -> Iterator[tuple[str, dict[bytes, bytes]]]:
    """Batches of (region, pseudonym -> stored subscription) in the session's regions and languages."""
    regions = subscriptions.REGIONS if "NL" in session.regions else ["NL", *session.regions]
    wanted = {f"{loc}|".encode() for loc in session.languages}
    for region in regions:
        cursor = 0
        while True:
            cursor, batch = conn.hscan(redis_keys.SUBSCRIBERS(region), cursor, count=2000)
            match = {p: raw for p, raw in batch.items() if raw[: raw.index(b"|") + 1] in wanted}
            if match:
                yield region, match
            if cursor == 0:
                break
