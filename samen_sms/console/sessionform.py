"""The session form: typed fields -> the session file's fields -> `announce.sessions.session_from`.

Every check of a session file applies here unchanged; the console adds what a person at a form
needs: the start must lie ahead, and no title may show a revealing word on a locked phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.plain import kind_names, plain
from samen_sms.content.discretion import PREVIEW, revealing_words, reveals
from samen_sms.content.smscost import cost
from samen_sms.content.text import fold
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.line.runtime import Runtime

FIELD_RE = re.compile(r"fields? '(\w+)'")
TOO_LONG_RE = re.compile(r"^the (\S+) (?:announcement|reminder) would")
MULTI = ("languages",)


@dataclass(frozen=True)
class Preview:
    """The exact message one language and channel would get, its cost and its locked-screen check."""

    locale: str
    channel: str
    text: str
    segments: int
    locked_screen: str
    revealing: list[str]


def line_languages(rt: Runtime) -> list[str]:
    """The languages the line speaks, in the menu's order."""
    return list(rt.content.flow.languages)


def form_from_session(rt: Runtime, session: infosessions.InfoSession) -> Form:
    """Fill the form with a stored session, for editing."""
    form = Form()
    for code in line_languages(rt):
        form.values[f"title_{code}"] = session.title.get(code) or session.title.get("*", "")
        form.values[f"description_{code}"] = session.description.get(code) or session.description.get("*", "")
    form.values["starts"] = session.start_time.strftime("%Y-%m-%dT%H:%M")
    if session.ends:
        form.values["ends"] = datetime.fromtimestamp(session.ends, AMSTERDAM).strftime("%Y-%m-%dT%H:%M")
    form.values["online" if session.online else "place"] = session.place
    form.values["host"] = session.host
    ours = [code for code in session.languages if code in line_languages(rt)]
    form.lists["languages"] = ours
    form.values["languages_other"] = ", ".join(c for c in session.languages if c not in ours)
    form.values["regions"] = ", ".join(session.regions)
    return form


def _when(form: Form, name: str) -> datetime | str | None:
    text = form.get(name)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text  # session_from names the field and the format


def raw_fields(rt: Runtime, form: Form) -> dict[str, Any]:
    """The form as a session file's fields."""
    raw: dict[str, Any] = {}
    for name in ("title", "description"):
        texts = {code: form.get(f"{name}_{code}") for code in line_languages(rt) if form.get(f"{name}_{code}")}
        if texts:
            raw[name] = texts
    for name in ("starts", "ends"):
        value = _when(form, name)
        if value is not None:
            raw[name] = value
    for name in ("place", "online", "host"):
        if form.get(name):
            raw[name] = form.get(name)
    other = [c.strip() for c in form.get("languages_other").replace(";", ",").split(",") if c.strip()]
    raw["languages"] = [c for c in form.lists.get("languages", []) if c] + other
    raw["regions"] = [r.strip() for r in form.get("regions").replace(";", ",").split(",") if r.strip()]
    return raw


def _field_of(rt: Runtime, message: str, form: Form) -> str:
    found = FIELD_RE.search(message)
    name = found.group(1) if found else "form"
    too_long = TOO_LONG_RE.match(message)
    if too_long:
        # The message names the language; the field to shorten is its longest text.
        code = too_long.group(1)
        texts = [f"title_{code}", f"description_{code}", "place", "online", "host"]
        return max(texts, key=lambda text: len(form.get(text)))
    if name in ("title", "description"):
        for code in line_languages(rt):
            if f"'{code}'" in message or f"the {code} text" in message:
                return f"{name}_{code}"
        return f"{name}_{line_languages(rt)[0]}"
    if name == "languages" and form.get("languages_other"):
        return "languages_other"
    return name if name in {"starts", "ends", "place", "online", "host", "languages", "regions"} else "form"


def check(rt: Runtime, form: Form, now: datetime | None = None) -> infosessions.InfoSession | None:
    """The session the form describes, or None with every fault named on `form`."""
    session = parse(rt, form, now)
    return session if form.ok else None


def parse(rt: Runtime, form: Form, now: datetime | None = None) -> infosessions.InfoSession | None:
    """The session if its fields make one (to preview), with every fault, the console's too, on `form`."""
    names = {code: cat.name for code, cat in rt.content.catalogues.items()}
    try:
        session = infosessions.session_from(raw_fields(rt, form), rt.content.places, line_languages(rt))
    except infosessions.SessionFileError as exc:
        form.error(_field_of(rt, str(exc), form), plain(str(exc), names))
        return None
    try:
        # As `sessions add` checks a file: no announcement or reminder longer than Twilio takes or the budget
        # (the preview still shows, with its segments).
        infosessions.check_length(rt.renderer, session)
    except infosessions.SessionFileError as exc:
        form.error(_field_of(rt, str(exc), form), plain(str(exc), names))
    moment = now or datetime.now(AMSTERDAM)
    if session.starts <= moment.timestamp():
        form.error("starts", _("The start is in the past: a session must lie ahead."))
    for code, text in session.title.items():
        found = reveals(text, revealing_words(rt.content.catalogues))
        if found:
            name = f"title_{code}" if code != "*" else f"title_{line_languages(rt)[0]}"
            said = _(
                "The %(kind)s in %(language)s shows “%(words)s” in its first %(n)s characters, which a locked phone "
                "shows: begin with something neutral.",
                kind=kind_names()["title"], language=names.get(code, code), words=", ".join(found), n=PREVIEW,
            )
            form.error(name, said)
    # As `sessions add` checks a file: the announcement and reminder as sent, placeholders filled in
    # (a title's "{host}" shows the host's name on the locked screen).
    shown = infosessions.revealing(rt.renderer, session)
    if shown and form.ok:
        form.error(_revealing_field(rt, form, shown), plain(str(shown), names))
    return session


def _revealing_field(rt: Runtime, form: Form, shown: infosessions.Shown) -> str:
    # The field to change: the first whose own text holds a word the preview shows.
    code = shown.locale if shown.locale in line_languages(rt) else line_languages(rt)[0]
    fields = ["host", "place", "online", f"title_{code}", f"description_{code}"]
    for name in fields:
        if any(word in fold(form.get(name)) for word in shown.found):
            return name
    return f"title_{code}"


def previews(rt: Runtime, session: infosessions.InfoSession) -> list[Preview]:
    """The announcement exactly as each language and channel would get it."""
    out = []
    words = revealing_words(rt.content.catalogues)
    for code in session.languages:
        if code not in rt.content.catalogues:
            continue
        for channel in (Channel.SMS, Channel.WHATSAPP):
            text = infosessions.render(rt.renderer, session, code, channel, BroadcastKind.ANNOUNCEMENT)
            segments = cost(text).segments if channel is Channel.SMS else 0
            out.append(Preview(code, channel.value, text, segments, text[:PREVIEW], reveals(text, words)))
    return out
