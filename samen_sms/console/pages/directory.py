"""The directory page: every entry with its source and last check, stale first; add, edit, verify, export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from samen_sms.console import audit, i18n
from samen_sms.console import directory as kept
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content.directory import (
    ID_RE,
    NATIONAL,
    STALE_AFTER,
    DirectoryError,
    Service,
    parse_entry,
)
from samen_sms.line import overlay
from samen_sms.line.runtime import Runtime

# Messages under directory. that are parts of a service's line, not what a service is for.
PARTS = ("directory.interpreters", "directory.professionals")

FIELDS = ("id", "name", "phone", "chat", "web", "purpose", "cost", "hours", "anonymous", "places", "source", "verified")


def _all(rt: Runtime) -> tuple[list[tuple[Service, dt.date, bool]], set[str]]:
    # The file's entries as read at start: the live content holds the console's entries too.
    file_entries = (rt.base_content or rt.content).directory.services
    added = kept.added(rt.redis)
    checked = kept.verified_dates(rt.redis)
    rows = [(s, max(s.verified, checked.get(s.id, s.verified)), False) for s in file_entries]
    rows += [(s, s.verified, True) for s in added]
    rows.sort(key=lambda r: (r[1], r[0].id))
    return rows, {s.id for s in file_entries}


def _choices() -> dict[str, dict[str, str]]:
    """What cost, hours and anonymity mean, in the console's language (the stored value is the key)."""
    unknown = _("Not known: the reply says nothing about it")
    return {
        "cost": {
            "free": _("Free to call"),
            "local_rate": _("Local rate: costs a normal call"),
            "paid": _("Paid number"),
            "unknown": unknown,
        },
        "hours": {
            "always": _("Day and night, every day"),
            "office": _("Office hours (Monday to Friday, 9 to 17)"),
            "callback": _("Leave a message, they call back"),
            "unknown": unknown,
        },
        "anonymous": {
            "yes": _("Anonymous"),
            "advice": _("Advice can be anonymous (a report needs a name)"),
            "partly": _("Can be anonymous"),
            "no": _("With your name"),
            "unknown": unknown,
        },
    }


def _options(rt: Runtime) -> dict[str, Any]:
    content = rt.content
    lang = i18n.current_language()
    words = content.catalogues[lang if lang in content.catalogues else content.flow.languages[0]].messages
    keys = sorted(k for k in words if k.startswith("directory.") and k.count(".") == 1)
    # A purpose is a translated message: offer its text, not its key; only descriptions of a service.
    purposes = {k: words[k].whatsapp for k in keys if k not in PARTS}
    needs: dict[str, str] = {}
    for node in content.flow.nodes.values():
        if node.directory and node.title and node.title in words:
            needs.setdefault(node.directory, words[node.title].whatsapp)
    for need in sorted({n for s in content.directory.services for n in s.needs}):
        needs.setdefault(need, need)
    return {"purposes": purposes, "needs": needs, **_choices()}


@bp.get("/directory")
@requires("directory")
def directory() -> Any:
    """Every entry, the longest unchecked first."""
    rt = runtime()
    rows, _ = _all(rt)
    today = dt.date.today()
    return render_template(
        "console/directory.html", rows=rows, stale_before=today - STALE_AFTER, form=Form(), **_options(rt)
    )


@bp.post("/directory/<service_id>/verified")
@requires("directory")
def directory_verified(service_id: str) -> Any:
    """Mark an entry verified today, once the person confirms they checked it."""
    rt = runtime()
    rows, in_file = _all(rt)
    match = [r for r in rows if r[0].id == service_id]
    if not match:
        abort(404, _("No such entry."))
    if request.form.get("confirm") != "yes":
        return render_template("console/confirm_verified.html", service=match[0][0])
    kept.mark_verified(rt.redis, service_id, dt.date.today(), is_added=match[0][2])
    if match[0][2]:
        _publish(rt, "directory entry verified (live)", service_id)
    else:
        audit.record(rt.redis, staff().email, "directory entry verified", service_id)
    return redirect(url_for("console.directory"))


def _form_entry(rt: Runtime, form: Form) -> Service | None:
    places = rt.content.places
    options = _options(rt)
    codes = []
    for name in [p.strip() for p in form.get("places").split(",") if p.strip()]:
        place = places.find(name) if name.lower() != NATIONAL else None
        if name.lower() == NATIONAL:
            codes.append(NATIONAL)
        elif place is None:
            reason = _("%(name)s is not a Dutch municipality: type its name (Amsterdam), or national.", name=name)
            form.error("places", reason)
        else:
            codes.append(place.code)
    if not codes:
        form.error("places", _("Give at least one municipality, or national for the whole country."))
    try:
        verified = dt.date.fromisoformat(form.get("verified"))
    except ValueError:
        form.error("verified", _("Give the date you checked it, like 2026-11-28."))
        verified = None
    if verified and verified > dt.date.today():
        form.error("verified", _("The date you checked it cannot be in the future."))
    if not ID_RE.fullmatch(form.get("id")):
        form.error("id", _("Give a short name for the entry: letters, digits and _ only, at most 64."))
    if not form.get("name"):
        form.error("name", _("Give the name of the service."))
    if not any(form.get(way) for way in ("phone", "chat", "web")):
        form.error("phone", _("Give at least a phone number, a chat or a website."))
    if not form.get("source").startswith("https://"):
        form.error("source", _("Give the https:// address of the page where you checked this."))
    for name in ("purpose", "cost", "hours", "anonymous"):
        allowed = options["purposes"] if name == "purpose" else options[name]
        if form.get(name) not in allowed:
            form.error(name, _("Choose one of the options."))
    needs = form.lists.get("needs", [])
    if not needs or set(needs) - set(options["needs"]):
        form.error("needs", _("Choose at least one menu screen the entry belongs on."))
    if not form.ok:
        return None
    raw: dict[str, object] = {k: form.get(k) for k in FIELDS if form.get(k)}
    raw.update(places=codes, needs=needs, verified=verified, professionals=False)
    try:
        return parse_entry(raw, "form")
    except DirectoryError:
        # The checks above cover what the directory file demands; this is a fault of the form.
        form.error("form", _("The entry cannot be saved as it is: check every field."))
        return None


def _publish(rt: Runtime, action: str, service_id: str) -> None:
    """Hand the added entries to the live content (texters get them in their next reply), audited."""
    overlay.publish_services(rt.redis, kept.live_entries(kept.added(rt.redis)))
    overlay.refresh(rt)
    audit.record(rt.redis, staff().email, action, service_id)


@bp.route("/directory/entry", methods=["GET", "POST"])
@requires("directory")
def directory_entry() -> Any:
    """Add a local or community entry, or edit one added here (`?id=`); source and date required."""
    rt = runtime()
    editing = request.values.get("edit", "")
    rows, in_file = _all(rt)
    if request.method == "GET":
        form = Form(values={"verified": dt.date.today().isoformat()})
        found = [s for s, _, added in rows if added and s.id == editing]
        if editing and not found:
            abort(404, _("Only entries added in the console can be edited here."))
        if found:
            s = found[0]
            form = Form(values={k: str(getattr(s, k) or "") for k in FIELDS}, lists={"needs": list(s.needs)})
            by_code = rt.content.places.by_code
            form.values["places"] = ", ".join(by_code[c].name if c in by_code else c for c in s.places)
        return render_template("console/directory_entry.html", form=form, editing=editing, **_options(rt))
    form = Form.read(request.form, multi=("needs",))
    if editing:
        if not [s for s, _, added in rows if added and s.id == editing]:
            abort(404, _("Only entries added in the console can be edited here."))
        form.values["id"] = editing  # an entry keeps its id (the field is read-only)
    service = _form_entry(rt, form)
    if service is not None and service.id in in_file:
        form.error("id", _("An entry of the line's directory file has this short name: choose another."))
        service = None
    elif service is not None and not editing and any(added and s.id == service.id for s, _, added in rows):
        form.error("id", _("An entry added in the console already has this short name: edit that one instead."))
        service = None
    if service is None:
        return render_template("console/directory_entry.html", form=form, editing=editing, **_options(rt)), 422
    kept.save(rt.redis, service)
    _publish(rt, "directory entry changed (live)" if editing else "directory entry added (live)", service.id)
    return redirect(url_for("console.directory"))


@bp.get("/directory/export.toml")
@requires("directory")
def directory_export() -> Response:
    """The console's entries in the TOML form of data/services.toml."""
    rt = runtime()
    text = kept.export(kept.added(rt.redis), kept.verified_dates(rt.redis))
    return Response(
        text, mimetype="text/plain", headers={"Content-Disposition": "attachment; filename=services-console.toml"}
    )
