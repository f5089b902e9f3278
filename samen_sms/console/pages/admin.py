"""Administration: the audit log and the staff accounts (admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import abort, render_template, request

from samen_sms.console import audit
from samen_sms.console.accounts import AccountError, LastAdminError, normal_email
from samen_sms.console.web import accounts, bp, requires, runtime, staff


@bp.get("/audit", endpoint="audit")
@requires("audit")
def audit_log() -> Any:
    """The newest 500 entries of the audit log (kept one year)."""
    entries = audit.recent(runtime().redis, 500)
    return render_template("console/audit.html", entries=entries, when=lambda t: dt.datetime.fromtimestamp(t, dt.UTC))


@bp.route("/accounts", methods=["GET", "POST"], endpoint="accounts")
@requires("accounts")
def accounts_page() -> Any:
    """Every account; disable one, reset it (a new one-time link, shown once), give or take the helper permission."""
    store = accounts()
    link = ""
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            # As the store keeps it, so "Me@Example.org " is recognised as one's own account too.
            email = normal_email(request.form.get("email", ""))
            if email == staff().email and action in ("disable", "reset"):
                abort(400, "You cannot disable or reset your own account here.")
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
                store.disable(email)
            elif action == "reset":
                token = store.reset(email)
                link = f"{runtime().config.public_url.rstrip('/')}/console/welcome/{token}"
            else:
                abort(400, "Unknown action.")
        except LastAdminError as exc:
            abort(409, str(exc))
        except AccountError as exc:
            abort(400 if action == "helper" else 404, str(exc))
        what = action if action.startswith("helper") else f"account {action}"
        audit.record(runtime().redis, staff().email, what, email)
    return render_template("console/accounts.html", accounts=store.all(), link=link)
