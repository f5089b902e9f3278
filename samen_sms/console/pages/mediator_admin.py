"""Mediators with their console account in one flow: add, edit, retire (coordinators and admins; audited).

Adding registers a referral code (as `flask mediators add`) and, when an e-mail is given, makes the
mediator's account for that code (as `flask users add --role mediator`), showing its one-time link
once. Retiring stops the code counting and disables the accounts of that code, after a confirmation.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from samen_sms.console import audit
from samen_sms.console.accounts import AccountError, Accounts, Role, normal_email
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import accounts, bp, requires, runtime, staff
from samen_sms.content.text import has_control_characters
from samen_sms.line.runtime import Runtime
from samen_sms.reach import mediators as registry
from samen_sms.reach.mediators import Mediator, RegistrationError


def _managers_only() -> None:
    if staff().role is Role.MEDIATOR:
        abort(403, _("Coordinators and admins add, change and retire mediators."))


def _read(rt: Runtime, form: Form, store: Accounts) -> tuple[str, list[str], list[str], str]:
    """Name, languages, regions and the e-mail for an account, each fault named at its field in plain words."""
    name = form.get("name")
    if not name:
        form.error("name", _("Type the name of the mediator or organisation."))
    elif has_control_characters(name, allowed=""):
        form.error("name", _("The name holds an invisible character (often from copying): type it again."))
    languages = [c for c in form.lists.get("languages", []) if c in rt.content.flow.languages]
    if not languages:
        form.error("languages", _("Choose at least one language they work in."))
    regions: list[str] = []
    for value in (part.strip() for part in form.get("regions").split(",")):
        if not value:
            continue
        code = rt.content.places.region_code(value)
        if code is None:
            form.error("regions", _("We do not know “%(place)s”: type a town, a safety region (like VR13) or NL.",
                                    place=value))
        elif code not in regions:
            regions.append(code)
    if not regions and "regions" not in form.errors:
        form.error("regions", _("Type where they work: a town, a safety region (like VR13) or NL."))
    email = ""
    if form.get("email"):
        try:
            email = normal_email(form.get("email"))
        except AccountError:
            form.error("email", _("Type an e-mail address, like name@example.org."))
        if email and store.get(email) is not None:
            form.error("email", _("There is already an account for this e-mail address."))
    return name, languages, regions, email


def _render(form: Form, m: Mediator | None = None, status: int = 200, **extra: Any) -> Any:
    rt = runtime()
    linked = [a for a in accounts().all() if m and a.mediator == m.code]
    return render_template(
        "console/mediator_form.html", form=form, m=m, linked=linked, order=list(rt.content.flow.languages),
        catalogues=rt.content.catalogues, **extra,
    ), status


def _invite(store: Accounts, email: str, code: str) -> str:
    token = store.add(email, Role.MEDIATOR.value, code)
    audit.record(runtime().redis, staff().email, "account invited", f"{email} (mediator {code})")
    return f"{runtime().config.public_url.rstrip('/')}/console/welcome/{token}"


@bp.route("/mediators/new", methods=["GET", "POST"])
@requires("mediators")
def mediator_new() -> Any:
    """Register a mediator or organisation, and make their account if an e-mail is given."""
    _managers_only()
    if request.method == "GET":
        return _render(Form())
    rt = runtime()
    store = accounts()
    form = Form.read(request.form, multi=("languages",))
    name, languages, regions, email = _read(rt, form, store)
    if not form.ok:
        return _render(form, status=422)
    try:
        draft = Mediator("", name, languages, regions, 0.0)
        stored = registry.add(rt.redis, draft, registry.catalogue_words(rt.content.catalogues))
    except RegistrationError:
        form.error("form", _("No free code could be found just now: try again."))
        return _render(form, status=503)
    audit.record(rt.redis, staff().email, "mediator added", f"{stored.code} ({stored.name})")
    link = _invite(store, email, stored.code) if email else ""
    return _render(Form(), stored, added=True, link=link)


@bp.route("/mediators/<code>/edit", methods=["GET", "POST"])
@requires("mediators")
def mediator_edit(code: str) -> Any:
    """Change a mediator's name, languages and regions (the code stays), or add an account for them."""
    _managers_only()
    rt = runtime()
    found = registry.get(rt.redis, code)
    if found is None:
        abort(404, _("No mediator with that code."))
    if request.method == "GET":
        values = {"name": found.name, "regions": ", ".join(found.regions)}
        return _render(Form(values=values, lists={"languages": list(found.languages)}), found)
    store = accounts()
    form = Form.read(request.form, multi=("languages",))
    name, languages, regions, email = _read(rt, form, store)
    if email and not found.live:
        form.error("email", _("This code is retired: it gets no new accounts."))
    if not form.ok:
        return _render(form, found, status=422)
    changed = registry.update(rt.redis, found.code, name, languages, regions)
    audit.record(rt.redis, staff().email, "mediator changed", f"{changed.code} ({changed.name})")
    link = _invite(store, email, changed.code) if email else ""
    if link:
        return _render(Form(values={"name": name, "regions": ", ".join(regions)}, lists={"languages": languages}),
                       changed, link=link)
    return redirect(url_for("console.mediator", code=changed.code))


@bp.post("/mediators/<code>/retire")
@requires("mediators")
def mediator_retire(code: str) -> Any:
    """Stop counting a code and disable its accounts, once confirmed; its figures stay."""
    _managers_only()
    rt = runtime()
    found = registry.get(rt.redis, code)
    if found is None:
        abort(404, _("No mediator with that code."))
    store = accounts()
    linked = [a for a in store.all() if a.mediator == found.code and not a.disabled]
    if request.form.get("confirm") != "yes":
        return render_template("console/confirm_retire.html", m=found, linked=linked)
    registry.retire(rt.redis, found.code)
    audit.record(rt.redis, staff().email, "mediator retired", f"{found.code} ({found.name})")
    for account in linked:
        store.disable(account.email)
        audit.record(rt.redis, staff().email, "account disable", account.email)
    return redirect(url_for("console.mediator", code=found.code))
