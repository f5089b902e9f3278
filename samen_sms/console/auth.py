"""Signing in and out, and the one-time link that sets a password and an authenticator app."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import segno
from flask import redirect, render_template, request, session, url_for

from samen_sms.console import audit, passwords
from samen_sms.console.accounts import AccountError, normal_email, provisioning_uri, totp_step
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext as _
from samen_sms.console.throttle import Throttle
from samen_sms.console.web import accounts, address, bp, keys, runtime, sessions

# The audit log's actor for sign-ins with an e-mail that names no account.
UNKNOWN = "an unknown e-mail"


def qr_data_uri(text: str, scale: int = 5) -> str:
    """A QR code as an SVG data URI (an <img>, so the page needs no inline SVG or script)."""
    # A complete SVG document: an <img> shows nothing for one without its namespace (svg_inline's).
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=scale, dark="#000", light="#fff", xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _start(email: str, generation: int) -> None:
    session.clear()
    session.permanent = True
    session["staff"] = email
    session["gen"] = generation
    session["since"] = int(time.time())
    session["sid"] = sessions().start(email)


def _account_named(email: str) -> str | None:
    """The account the typed e-mail names, as stored; None if none does."""
    try:
        normal = normal_email(email)
    except AccountError:
        return None
    return normal if accounts().get(normal) else None


def _once_a_minute(actor: str, action: str) -> None:
    audit.once_a_minute(runtime().redis, actor, action, keys().digest(f"{actor}\n{action}"))


def _safe_next(target: str | None) -> str:
    # Only a path inside the console: never an address elsewhere.
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("console.overview")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """E-mail, password and the authenticator's code; one answer for every kind of failure."""
    form = Form.read(request.form) if request.method == "POST" else Form()
    if request.method == "GET":
        return render_template("console/sign_in.html", form=form)
    rt = runtime()
    throttle = Throttle(rt.redis, keys())
    email = form.get("email")
    known = _account_named(email)
    if not throttle.attempt(email, address()):
        # Once a minute (per account, or once for all unknown e-mails): refusals cannot flood the log.
        _once_a_minute(known or UNKNOWN, "sign-in refused: too many attempts (logged once a minute)")
        form.error("form", _("Too many failed attempts. Wait 15 minutes, then try again."))
        return render_template("console/sign_in.html", form=form), 429
    account = accounts().check(email, request.form.get("password", ""), form.get("code"))
    if account is None:
        if known:
            audit.record(rt.redis, known, "sign-in failed")
        else:
            # Never what was typed (a password in the wrong box): one entry a minute for them all.
            _once_a_minute(UNKNOWN, "sign-in failed (logged once a minute)")
        form.error("form", _("E-mail, password or code is not right."))
        form.values.pop("code", None)
        return render_template("console/sign_in.html", form=form), 401
    throttle.succeeded(account.email, address())
    _start(account.email, account.generation)
    audit.record(rt.redis, account.email, "signed in")
    if account.role.value == "mediator":
        return redirect(url_for("console.mediators"))
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/sign-out")
def sign_out() -> Any:
    """End this console session."""
    email = session.get("staff")
    sessions().end(session.get("sid"))
    session.clear()
    if email:
        audit.record(runtime().redis, str(email), "signed out")
    return redirect(url_for("console.sign_in"))


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> Any:
    """The one-time link: set a password, enrol an authenticator app, and be signed in."""
    store = accounts()
    found = store.link(token) if len(token) < 100 else None
    if found is None:
        return render_template("console/link_gone.html"), 410
    email, secret = found
    form = Form.read(request.form) if request.method == "POST" else Form()
    if request.method == "POST":
        password = request.form.get("password", "")
        weak = passwords.weakness(password, email)
        if weak:
            form.error("password", _("Password: %(reason)s.", reason=_(weak)))
        elif password != request.form.get("again", ""):
            form.error("again", _("The two passwords differ."))
        step = totp_step(secret, form.get("code"))
        if step is None:
            form.error("code", _("Code: type the 6 digits your authenticator app shows now."))
        if form.ok and step is not None:
            if not store.complete(token, password, secret, step):
                return render_template("console/link_gone.html"), 410
            account = store.get(email)
            assert account is not None
            _start(email, account.generation)
            audit.record(runtime().redis, email, "set password and authenticator; signed in")
            return redirect(url_for("console.mediators" if account.role.value == "mediator" else "console.overview"))
    uri = provisioning_uri(normal_email(email), secret)
    # The phone showing this page cannot scan its own screen: the otpauth:// link opens the authenticator
    # app on it, and the key in groups of four can be typed.
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template(
        "console/welcome.html", form=form, email=email, secret=grouped, uri=uri, qr=qr_data_uri(uri)
    )
