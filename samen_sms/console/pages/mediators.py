"""Mediators and organisations: their codes, people reached per week, forward texts, QR codes, a poster.

Coordinators and admins see every code; a mediator account sees only its own code's page (any
other code is 403, decided here on the server). Figures come from `reach.stats` (small numbers
hidden), texts and links from `reach.forward`, as `flask mediators` prints them.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, unquote

from flask import abort, redirect, render_template, request, url_for

from samen_sms.console import dates
from samen_sms.console import poster as poster_words
from samen_sms.console.accounts import Role
from samen_sms.console.auth import qr_data_uri
from samen_sms.console.figures import drawn
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content import referral
from samen_sms.core import tally
from samen_sms.core.identity import Channel
from samen_sms.line.runtime import Runtime
from samen_sms.reach import forward, stats
from samen_sms.reach import mediators as registry
from samen_sms.reach.mediators import Mediator

WEEKS = 12  # reach per week, the last 12 weeks (as `mediators list`)
SHARE = "https://wa.me/?text="  # WhatsApp's share intent: the person picks whom to send the text to


def readable(text: str, link: str) -> str:
    """A text with its link as people read it (an Arabic hello, not %D9%85...); the href stays encoded."""
    return text.replace(link, unquote(link)) if link else text


def _hello_link(rt: Runtime, code: str) -> str:
    # The line's WhatsApp link holding a hello in this language, as the forward text's link does.
    link = rt.renderer.params.get("whatsapp_link", "")
    hello = rt.content.catalogues[code].keywords.get("menu", ("hi",))[0]
    return f"{link}?text={quote(hello, safe='')}" if link else ""


def _texts(rt: Runtime, codes: list[str]) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        cat = rt.content.catalogues[code]
        link = _hello_link(rt, code)
        out.append(
            {
                "code": code,
                "name": cat.name,
                "rtl": cat.rtl,
                "sms": rt.renderer.message(code, "share.forward_text", Channel.SMS),
                "whatsapp": rt.renderer.message(code, "share.forward_text", Channel.WHATSAPP),
                "link": link,
                "qr": qr_data_uri(link, scale=4) if link else "",
            }
        )
    return out


def _chosen(rt: Runtime) -> list[str]:
    wanted = [c for c in request.args.getlist("l") if c in rt.content.catalogues]
    return wanted or list(rt.content.flow.languages)


def _weeks(today: date) -> tuple[date, list[str]]:
    first = today - timedelta(weeks=WEEKS - 1)
    return first, sorted({tally.week_of(first + timedelta(days=i)) for i in range((today - first).days + 1)})


def _own(rt: Runtime, code: str) -> Mediator:
    """The mediator a code names, if this person may see it: 403 for another mediator's code, 404 if none."""
    me = staff()
    wanted = referral.normal(code) or ""
    if me.role is Role.MEDIATOR and wanted != (referral.normal(me.mediator) or me.mediator):
        abort(403, _("A mediator account sees only its own code."))
    found = registry.get(rt.redis, wanted) if wanted else None
    if found is None:
        abort(404, _("No mediator with that code."))
    return found


@bp.get("/mediators")
@requires("mediators")
def mediators() -> Any:
    """Every code with its reach per week (coordinators), or the mediator's own page; forward texts per language."""
    rt = runtime()
    me = staff()
    if me.role is Role.MEDIATOR:
        own = registry.get(rt.redis, me.mediator)
        if own is not None:
            return redirect(url_for("console.mediator", code=own.code))
    everyone = [] if me.role is Role.MEDIATOR else registry.all_mediators(rt.redis)
    first, weeks = _weeks(tally.day_of(time.time()))
    codes = [m.code for m in everyone]
    people = stats.people_per_code(rt.redis, first, tally.day_of(time.time()), "week", codes) if codes else {}
    return render_template(
        "console/mediators.html",
        everyone=everyone,
        weeks=weeks,
        people=people,
        total=stats.TOTAL,
        texts=_texts(rt, _chosen(rt)),
        order=list(rt.content.flow.languages),
        catalogues=rt.content.catalogues,
        chosen=_chosen(rt),
        code=me.mediator,
        sms_number=rt.renderer.params.get("sms_number", ""),
    )


@bp.get("/mediators/<code>")
@requires("mediators")
def mediator(code: str) -> Any:
    """One code: people reached per week (small numbers hidden), forward texts and QR codes per language."""
    rt = runtime()
    found = _own(rt, code)
    today = tally.day_of(time.time())
    first, weeks = _weeks(today)
    people = stats.people_per_code(rt.redis, first, today, "week", [found.code])
    cells = [(week, people.get((week, found.code), "0")) for week in weeks]
    # The chart names a week by its Monday ("7 Dec"), the table as people say it ("week of 7 December").
    rows = [(dates.week_start(week), cell, drawn(cell)) for week, cell in cells]
    table = [(dates.week_label(week), cell) for week, cell in cells]
    texts = [
        {
            "forward": f,
            "catalogue": rt.content.catalogues[f.locale],
            "qr": qr_data_uri(f.link, 4) if f.link else "",
            "shown": readable(f.text, f.link),
            "link_shown": unquote(f.link),
            "share": SHARE + quote(f.text, safe=""),
        }
        for f in forward.forwards(rt, found)
    ]
    return render_template(
        "console/mediator.html",
        m=found,
        rows=rows,
        table=table,
        total=people.get((stats.TOTAL, found.code), "0"),
        texts=texts,
    )


@bp.get("/mediators/<code>/poster")
@requires("mediators")
def mediator_poster(code: str) -> Any:
    """A print-ready poster for one code: a QR code opening WhatsApp with the code, the number, their languages."""
    rt = runtime()
    found = _own(rt, code)
    wanted = request.args.getlist("l")
    texts = [f for f in forward.forwards(rt, found) if not wanted or f.locale in wanted]
    link = next((f.link for f in texts if f.link), "") or rt.renderer.params.get("whatsapp_link", "") or "https://wa.me/"
    return _poster(rt, [(f.locale, f.text, f.link) for f in texts], link)


@bp.get("/mediators/poster")
@requires("mediators")
def poster() -> Any:
    """A print-ready poster: the line's number and a QR code, in the chosen languages."""
    rt = runtime()
    texts = [(t["code"], t["sms"], t["link"]) for t in _texts(rt, _chosen(rt))]
    return _poster(rt, texts, rt.renderer.params.get("whatsapp_link", "") or "https://wa.me/")


def _poster(rt: Runtime, texts: list[tuple[str, str, str]], link: str) -> Any:
    """The poster page: a headline, the QR code, the numbers as people write them, a line per language."""
    sms, whatsapp = rt.renderer.params.get("sms_number", ""), rt.renderer.params.get("whatsapp_number", "")
    size = request.args.get("size", "a4") if request.args.get("size") in poster_words.SIZES else "a4"
    args: dict[str, Any] = request.args.to_dict(flat=False)
    return render_template(
        "console/poster.html",
        texts=[
            {
                "code": locale,
                "rtl": rt.content.catalogues[locale].rtl,
                "line": poster_words.line(text, [sms, whatsapp]),
            }
            for locale, text, _link in texts
        ],
        sms_number=poster_words.isolated(poster_words.written(sms)) if sms else "",
        whatsapp_number=poster_words.isolated(poster_words.written(whatsapp)) if whatsapp else "",
        qr=qr_data_uri(link, scale=8),
        size=size,
        sizes={
            key: (name, url_for(request.endpoint or "", **(request.view_args or {}), **{**args, "size": key}))
            for key, name in poster_words.SIZES.items()
        },
    )
