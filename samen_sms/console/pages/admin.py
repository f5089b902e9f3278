"""Administration: the audit log and the staff accounts (admins only)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request

from samen_sms.console import audit, dates
from samen_sms.console.accounts import (
    HELPER,
    PERMISSIONS,
    ROLES,
    AccountError,
    LastAdminError,
    Role,
    helper_terms,
    normal_email,
)
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import accounts, bp, requires, runtime, staff
from samen_sms.reach import mediators as registry


@bp.get("/audit", endpoint="audit")
@requires("audit")
def audit_log() -> Any:
    """The newest 500 entries of the audit log (kept one year)."""
    entries = audit.recent(runtime().redis, 500)
    return render_template("console/audit.html", entries=entries, local=dates.local)


def _link(token: str) -> str:
    return f"{runtime().config.public_url.rstrip('/')}/console/welcome/{token}"


def _page(form: Form | None = None, link: str = "", status: int = 200) -> Any:
    rt = runtime()
    codes = [m for m in registry.all_mediators(rt.redis) if m.live]
    return render_template(
        "console/accounts.html", accounts=accounts().all(), link=link, form=form or Form(), roles=ROLES,
        permissions=PERMISSIONS, codes=codes,
    ), status


@bp.route("/accounts", methods=["GET", "POST"], endpoint="accounts")
@requires("accounts")
def accounts_page() -> Any:
    """Every account; invite one, disable one (after a confirmation), reset it (a new one-time link, shown once),
    give or take the helper permission."""
    store = accounts()
    link = ""
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            # As the store keeps it, so "Me@Example.org " is recognised as one's own account too.
            email = normal_email(request.form.get("email", ""))
            if email == staff().email and action in ("disable", "reset"):
                abort(400, _("You cannot disable or reset your own account here."))
            if action == "helper":
                offered = frozenset(runtime().content.flow.languages)
                form = request.form
                grant = store.grant_helper(
                    email,
                    form.get("languages", "").split(","),
                    form.get("regions", "").split(","),
                    form.get("org", ""),
                    offered,
                )
                action = f"helper permission given ({','.join(grant.locales)})"
            elif action == "helper-remove":
                store.revoke_helper(email)
                action = "helper permission removed"
            elif action == "disable":
                if request.form.get("confirm") != "yes":
                    return render_template("console/confirm_disable.html", email=email)
                store.disable(email)
            elif action == "reset":
                link = _link(store.reset(email))
            else:
                abort(400, _("Unknown action."))
        except LastAdminError:
            abort(409, _("This is the last active admin: invite another admin first."))
        except AccountError as exc:
            if action == "helper":
                abort(400, str(exc))  # names the field: languages, regions or organisation
            abort(404, _("There is no account for this e-mail address."))
        what = action if action.startswith("helper") else f"account {action}"
        audit.record(runtime().redis, staff().email, what, email)
    return _page(link=link)


@bp.post("/accounts/invite")
@requires("accounts")
def accounts_invite() -> Any:
    """Make an account with a role; its one-time sign-in link is shown once, to copy and send."""
    store = accounts()
    form = Form.read(request.form, multi=("permissions",))
    try:
        email = normal_email(form.get("email"))
    except AccountError:
        form.error("email", _("Type an e-mail address, like name@example.org."))
        email = ""
    if email and store.get(email) is not None:
        form.error("email", _("There is already an account for this e-mail address: use New link in the list."))
    role = form.get("role")
    if role not in {r.value for r in ROLES}:
        form.error("role", _("Choose a role."))
    code = form.get("mediator") if role == Role.MEDIATOR else ""
    if role == Role.MEDIATOR and not registry.is_live(runtime().redis, code):
        form.error("mediator", _("Choose the code of the mediator or organisation this account is for."))
    chosen = tuple(p for p in form.lists.get("permissions", []) if p in {c.value for c in PERMISSIONS})
    offered = frozenset(runtime().content.flow.languages)
    if HELPER in chosen:  # the helper's permission comes with its languages and its organisation
        try:
            helper_terms(form.get("languages").split(","), [], form.get("org"), code, offered)
        except AccountError:
            form.error(
                "languages",
                _(
                    "A helper needs the languages they write in (such as ar,fa) and, "
                    "without a mediator code, their organisation."
                ),
            )
    if not form.ok:
        return _page(form, status=422)
    try:
        token = store.add(email, role, code or None, tuple(p for p in chosen if p != HELPER))
        if HELPER in chosen:
            store.grant_helper(email, form.get("languages").split(","), [], form.get("org"), offered)
    except AccountError:
        form.error("email", _("There is already an account for this e-mail address: use New link in the list."))
        return _page(form, status=422)
    extra = f" {code}" if code else ""
    extra += " helper" if HELPER in chosen else ""
    audit.record(runtime().redis, staff().email, "account invited", f"{email} ({role}{extra})")
    return _page(link=_link(token))
