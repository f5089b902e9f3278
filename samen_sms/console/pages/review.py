"""Reviewing translations: per language, each message's English and both of its forms; mark, suggest, approve.

Coordinators and mediators (the native speakers the catalogues wait for) mark a message reviewed
and suggest edits; an admin approves an edit, which is live at once (`line.overlay`), or discards
it. Every step is audited. The PO export carries the live texts and every review mark, for
`flask content import` to write into the repository's catalogues.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from samen_sms.authoring.po import export as po_export
from samen_sms.authoring.review import SOURCE, State, entries
from samen_sms.console import audit
from samen_sms.console import review as store
from samen_sms.console.accounts import Role
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content.catalogue import Catalogue, Text
from samen_sms.content.engine import Content
from samen_sms.content.smscost import budget, cost
from samen_sms.line import overlay


def _languages(content: Content) -> list[str]:
    return [code for code in content.flow.languages if code != SOURCE]


def _catalogue(content: Content, locale: str) -> Catalogue:
    if locale not in _languages(content):
        abort(404, _("No such language to review."))
    return content.catalogues[locale]


def _key(content: Content, key: str) -> str:
    if key not in content.catalogues[SOURCE].messages:
        abort(404, _("No such message."))
    return key


@bp.get("/review", endpoint="review")
@requires("review")
def review_languages() -> Any:
    """Each language with how many messages are reviewed and how many edits wait."""
    rt = runtime()
    source = rt.content.catalogues[SOURCE]
    waiting = store.suggestions(rt.redis)
    rows = []
    for code in _languages(rt.content):
        cat = store.reviewed(rt.content.catalogues[code], source, store.marks(rt.redis, code))
        states = [store.state(cat, source, key) for key in source.messages]
        rows.append(
            {
                "code": code,
                "name": cat.name,
                "rtl": cat.rtl,
                "total": len(states),
                "reviewed": states.count(State.REVIEWED),
                "stale": states.count(State.STALE),
                "waiting": sum(1 for loc, _key in waiting if loc == code),
            }
        )
    return render_template("console/review.html", rows=rows)


@bp.get("/review/<locale>")
@requires("review")
def review_language(locale: str) -> Any:
    """Every message of one language beside its English: state, both forms, a waiting edit."""
    rt = runtime()
    base = rt.base_content or rt.content
    cat = _catalogue(rt.content, locale)
    source = rt.content.catalogues[SOURCE]
    console_marks = store.marks(rt.redis, locale)
    merged = store.reviewed(cat, source, console_marks)
    waiting = store.suggestions(rt.redis, locale)
    show = request.args.get("show", "todo")
    items = []
    for key, english in source.messages.items():
        state = store.state(merged, source, key)
        pending = waiting.get((locale, key))
        if show == "todo" and state is State.REVIEWED and pending is None:
            continue
        own = cat.messages[key]
        items.append(
            {
                "key": key,
                "english": english,
                "own": own,
                "state": state.value,
                "pending": pending,
                "live": own != base.catalogues[locale].messages.get(key),
                "segments": cost(own.sms).segments,
            }
        )
    return render_template(
        "console/review_language.html",
        locale=locale,
        cat=cat,
        items=items,
        show=show,
        budget=budget(cat),
        admin=staff().role is Role.ADMIN,
        me=staff(),
    )


@bp.post("/review/<locale>/mark")
@requires("review")
def review_mark(locale: str) -> Any:
    """Mark one message reviewed against the English as it is now."""
    rt = runtime()
    _catalogue(rt.content, locale)
    key = _key(rt.content, request.form.get("key", ""))
    store.mark(rt.redis, locale, key, entries(rt.content.catalogues[SOURCE])[key], staff().email)
    audit.record(rt.redis, staff().email, "translation marked reviewed", f"{locale} {key}")
    back = url_for("console.review_language", locale=locale, show=request.form.get("show", "todo"))
    return redirect(back + f"#m-{key}")


@bp.route("/review/<locale>/edit", methods=["GET", "POST"])
@requires("review")
def review_edit(locale: str) -> Any:
    """Suggest an edit of one message (both forms), checked before it is kept."""
    rt = runtime()
    cat = _catalogue(rt.content, locale)
    key = _key(rt.content, request.values.get("key", ""))
    english = rt.content.catalogues[SOURCE].messages[key]
    waiting = store.suggestions(rt.redis, locale).get((locale, key))
    if request.method == "GET":
        start = waiting.text if waiting else cat.messages[key]
        form = Form(values={"whatsapp": start.whatsapp, "sms": start.sms})
        return _edit_page(locale, cat, key, english, form, waiting)
    form = Form.read(request.form)
    text = Text(form.get("sms"), form.get("whatsapp"))
    found = store.problems(rt.content, rt.renderer.params, locale, key, text) if form.ok else []
    if found:
        form.error("form", _("This edit cannot go live:"))
    if not form.ok:
        return _edit_page(locale, cat, key, english, form, waiting, found), 422
    store.suggest(rt.redis, store.Suggestion(locale, key, text.sms, text.whatsapp, staff().email, time.time()))
    audit.record(rt.redis, staff().email, "translation edit suggested", f"{locale} {key}")
    return redirect(url_for("console.review_language", locale=locale) + f"#m-{key}")


def _edit_page(
    locale: str, cat: Catalogue, key: str, english: Text, form: Form, waiting: Any, found: list[str] | None = None
) -> str:
    return render_template(
        "console/review_edit.html",
        locale=locale,
        cat=cat,
        key=key,
        english=english,
        form=form,
        waiting=waiting,
        problems=found or [],
        budget=budget(cat),
    )


@bp.post("/review/<locale>/approve")
@requires("review")
def review_approve(locale: str) -> Any:
    """An admin makes a waiting edit live, checked again against the content as it is now."""
    rt = runtime()
    if staff().role is not Role.ADMIN:
        abort(403, _("Only an admin approves an edit."))
    _catalogue(rt.content, locale)
    key = _key(rt.content, request.form.get("key", ""))
    waiting = store.suggestions(rt.redis, locale).get((locale, key))
    if waiting is None:
        abort(404, _("No edit of this message is waiting."))
    found = store.problems(rt.content, rt.renderer.params, locale, key, waiting.text)
    if found:
        abort(422, _("Not approved: %(reasons)s", reasons=" ".join(found)))
    cat = rt.content.catalogues[locale]
    text = Text(cat.sms_spelling(waiting.sms), waiting.whatsapp)
    in_file = (rt.base_content or rt.content).catalogues[locale].messages[key]
    overlay.publish_message(rt.redis, locale, key, text, in_file)
    store.mark(rt.redis, locale, key, entries(rt.content.catalogues[SOURCE])[key], waiting.by)
    store.discard(rt.redis, locale, key)
    overlay.refresh(rt)
    audit.record(rt.redis, staff().email, "translation edit approved (live)", f"{locale} {key} by {waiting.by}")
    return redirect(url_for("console.review_language", locale=locale, show="all") + f"#m-{key}")


@bp.post("/review/<locale>/discard")
@requires("review")
def review_discard(locale: str) -> Any:
    """Turn a waiting edit down (an admin, or whoever suggested it)."""
    rt = runtime()
    _catalogue(rt.content, locale)
    key = _key(rt.content, request.form.get("key", ""))
    waiting = store.suggestions(rt.redis, locale).get((locale, key))
    if waiting is None:
        abort(404, _("No edit of this message is waiting."))
    if staff().role is not Role.ADMIN and waiting.by != staff().email:
        abort(403, _("Only an admin or the person who suggested it may discard an edit."))
    store.discard(rt.redis, locale, key)
    audit.record(rt.redis, staff().email, "translation edit discarded", f"{locale} {key}")
    return redirect(url_for("console.review_language", locale=locale) + f"#m-{key}")


@bp.get("/review/<locale>.po")
@requires("review")
def review_export(locale: str) -> Response:
    """The language as a PO file: the live texts, reviewed entries flagged, for `flask content import`."""
    rt = runtime()
    cat = _catalogue(rt.content, locale)
    source = rt.content.catalogues[SOURCE]
    merged = store.reviewed(cat, source, store.marks(rt.redis, locale))
    po = po_export(rt.content.flow, {SOURCE: source, locale: merged}, {locale: budget(cat)})[locale]
    audit.record(rt.redis, staff().email, "translation exported (PO)", locale)
    disposition = {"Content-Disposition": f"attachment; filename={locale}.po"}
    return Response(str(po), mimetype="text/x-gettext-translation", headers=disposition)
