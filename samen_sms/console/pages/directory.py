"""The directory page: every entry with its source and last check, stale first; add, edit, verify, export."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from samen_sms.console import audit
from samen_sms.console import directory as kept
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.plain import plain
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content.directory import ANONYMOUS, COSTS, HOURS, STALE_AFTER, DirectoryError, Service, parse_entry
from samen_sms.line.runtime import Runtime

FIELDS = ("id", "name", "phone", "chat", "web", "purpose", "cost", "hours", "anonymous", "places", "source", "verified")


def _all(rt: Runtime) -> tuple[list[tuple[Service, dt.date, bool]], set[str]]:
    file_entries = rt.content.directory.services
    added = kept.added(rt.redis)
    checked = kept.verified_dates(rt.redis)
    rows = [(s, max(s.verified, checked.get(s.id, s.verified)), False) for s in file_entries]
    rows += [(s, s.verified, True) for s in added]
    rows.sort(key=lambda r: (r[1], r[0].id))
    return rows, {s.id for s in file_entries}


def _options(rt: Runtime) -> dict[str, Any]:
    messages = rt.content.catalogues[rt.content.flow.languages[0]].messages
    purposes = sorted(k for k in messages if k.startswith("directory.") and k.count(".") == 1)
    needs = sorted({n for s in rt.content.directory.services for n in s.needs})
    return {"purposes": purposes, "needs": needs, "costs": COSTS, "hours": HOURS, "anonymous": ANONYMOUS}


@bp.get("/directory")
@requires("directory")
def directory() -> Any:
    """Every entry, the longest unchecked first."""
    rt = runtime()
    rows, _in_file = _all(rt)
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
    audit.record(rt.redis, staff().email, "directory entry verified", service_id)
    return redirect(url_for("console.directory"))


def _form_entry(rt: Runtime, form: Form) -> Service | None:
    places = rt.content.places
    codes = []
    for name in [p.strip() for p in form.get("places").split(",") if p.strip()]:
        place = places.find(name) if name.lower() != "national" else None
        if name.lower() == "national":
            codes.append("national")
        elif place is None:
            form.error("places", _("We do not know the municipality “%(name)s”: check its spelling.", name=name))
        else:
            codes.append(place.code)
    try:
        verified = dt.date.fromisoformat(form.get("verified"))
    except ValueError:
        form.error("verified", _("Type the date it was checked, like 2026-11-28."))
        verified = None
    if verified and verified > dt.date.today():
        form.error("verified", _("The date it was checked is in the future."))
    if not form.ok:
        return None
    raw: dict[str, object] = {k: form.get(k) for k in FIELDS if form.get(k)}
    raw.update(places=codes, needs=form.lists.get("needs", []), verified=verified, professionals=False)
    try:
        service = parse_entry(raw, "form")
    except DirectoryError as exc:
        text = str(exc)
        name = next((f for f in FIELDS if f"no {f}" in text or f"{f} must" in text or f"{f}:" in text), "form")
        if "needs" in text:
            name = "needs"
        form.error(name, plain(text))
        return None
    return service


@bp.route("/directory/entry", methods=["GET", "POST"])
@requires("directory")
def directory_entry() -> Any:
    """Add a local or community entry, or edit one added here (`?id=`); source and date required."""
    rt = runtime()
    editing = request.values.get("edit", "")
    rows, in_file = _all(rt)
    if request.method == "GET":
        form = Form(values={"verified": dt.date.today().isoformat()})
        found = [s for s, _day, added in rows if added and s.id == editing]
        if editing and not found:
            abort(404, _("Only entries added in the console can be edited here."))
        if found:
            s = found[0]
            form = Form(values={k: str(getattr(s, k) or "") for k in FIELDS}, lists={"needs": list(s.needs)})
            form.values["places"] = ", ".join(s.places)
        return render_template("console/directory_entry.html", form=form, editing=editing, **_options(rt))
    form = Form.read(request.form, multi=("needs",))
    if editing:
        if not [s for s, _day, added in rows if added and s.id == editing]:
            abort(404, _("Only entries added in the console can be edited here."))
        form.values["id"] = editing  # an entry keeps its id (the field is read-only)
    service = _form_entry(rt, form)
    if service is not None and service.id in in_file:
        form.error("id", _("Choose another short id: an entry of the line's own directory has this one."))
        service = None
    elif service is not None and not editing and any(added and s.id == service.id for s, _day, added in rows):
        said = _("Choose another short id: an entry added in the console has this id (edit that one instead).")
        form.error("id", said)
        service = None
    if service is None:
        return render_template("console/directory_entry.html", form=form, editing=editing, **_options(rt)), 422
    kept.save(rt.redis, service)
    audit.record(rt.redis, staff().email, "directory entry changed" if editing else "directory entry added", service.id)
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
