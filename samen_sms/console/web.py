"""The console's blueprint and its guards: who is signed in, CSRF on every form, roles on every page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from samen_sms.console import i18n
from samen_sms.console.accounts import Accounts, HelperGrant, Role
from samen_sms.console.keys import ConsoleKeys
from samen_sms.console.sessions import Sessions
from samen_sms.handover import conversations
from samen_sms.line import overlay
from samen_sms.line.runtime import Runtime

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
F = TypeVar("F", bound=Callable[..., Any])

# Which roles may open which part of the console; every view names its part.
PAGES: dict[str, frozenset[Role]] = {
    "overview": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # Handed-over conversations: helpers (any role with the helper permission) and admins (who reassign).
    "conversations": frozenset({Role.ADMIN}),
    "sessions": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "drafts": frozenset({Role.ADMIN, Role.COORDINATOR, Role.MEDIATOR}),
    "mediators": frozenset({Role.ADMIN, Role.COORDINATOR, Role.MEDIATOR}),
    "directory": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "reports": frozenset({Role.ADMIN, Role.COORDINATOR}),
    "content": frozenset({Role.ADMIN, Role.COORDINATOR}),
    # Mediators are the native speakers a translation waits for: they review and suggest; admins approve.
    "review": frozenset({Role.ADMIN, Role.COORDINATOR, Role.MEDIATOR}),
    "simulator": frozenset({Role.ADMIN, Role.COORDINATOR, Role.MEDIATOR}),
    "audit": frozenset({Role.ADMIN}),
    "accounts": frozenset({Role.ADMIN}),
}


@dataclass(frozen=True)
class Staff:
    """The signed-in person."""

    email: str
    role: Role
    mediator: str
    permissions: frozenset[str] = frozenset()  # beside the role: names from `accounts.PERMISSIONS`
    helper: HelperGrant | None = None  # the helper permission's terms (languages, regions, organisation)

    def may(self, page: str) -> bool:
        """Whether this person may open that part of the console (a helper, whatever the role, the conversations)."""
        return self.role in PAGES[page] or (page == "conversations" and self.helper is not None)


def runtime() -> Runtime:
    """The assembled line of this process."""
    rt: Runtime = current_app.extensions["samen"]
    return rt


def keys() -> ConsoleKeys:
    """The console's derived secrets."""
    found: ConsoleKeys = current_app.extensions["samen.console"]
    return found


def accounts() -> Accounts:
    """The account store."""
    return Accounts(runtime().redis, keys(), current_app.extensions["samen.passwords"])


def sessions() -> Sessions:
    """The open console sessions, kept on the server."""
    return Sessions(runtime().redis, runtime().config.console_session_hours * 3600)


def staff() -> Staff:
    """The signed-in person (only inside a guarded view)."""
    person: Staff = g.staff
    return person


def address() -> str:
    """The client's address, for throttling (behind proxies: set SAMEN_TRUSTED_PROXIES so it is theirs)."""
    return request.remote_addr or "unknown"


@bp.before_request
def load_staff() -> None:
    """Find who is signed in, check the CSRF token of every form, keep the chosen language."""
    g.staff = None
    if not request.path.startswith("/console/static/"):
        overlay.refresh(runtime())  # show the content as texters get it now (an edit approved elsewhere)
    lang = request.args.get("lang")
    if lang in i18n.LANGUAGES:
        session["lang"] = lang
    email = session.get("staff")
    if email:
        account = accounts().get(str(email))
        open_ = sessions().valid(session.get("sid"), str(email), session.get("since"))
        if open_ and account and account.ready and not account.disabled and account.generation == session.get("gen"):
            g.staff = Staff(account.email, account.role, account.mediator, account.permissions, account.helper)
        else:
            for name in ("staff", "gen", "sid", "since"):
                session.pop(name, None)
    if request.method == "POST":
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            abort(400, i18n.gettext("The form's security token is missing or out of date. Reload the page, try again."))


def requires(page: str) -> Callable[[F], F]:
    """Guard a view: signed in, and a role that may open `page` (403 otherwise)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if g.staff is None:
                if request.method == "GET":
                    return redirect(url_for("console.sign_in", next=request.path))
                abort(401, i18n.gettext("Sign in first."))
            if not staff().may(page):
                abort(403, i18n.gettext("Your role may not open this page."))
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def home() -> str:
    """Where "back to the console" leads: the overview, or a mediator's own page; the sign-in form if nobody is in."""
    me: Staff | None = g.get("staff")
    if me is None:
        return url_for("console.sign_in")
    if me.may("overview"):
        return url_for("console.overview")
    return url_for("console.mediators")  # a mediator's own page (their code's, when it is registered)


@bp.app_context_processor
def template_values() -> dict[str, Any]:
    """What every console page may use."""
    if not request.path.startswith(bp.url_prefix or "/console"):
        return {}
    me = g.get("staff")
    return {
        "me": me,
        "home": home(),
        "lang": i18n.current_language(),
        "languages": i18n.NAMES,
        "pages": [name for name in PAGES if me and me.may(name)],
        "waiting_count": _waiting_count(me),
    }


def _waiting_count(me: Staff | None) -> int:
    """How many conversations wait for this helper: the only notice the nav gives (no words, no number)."""
    if me is None or me.helper is None:
        return 0
    found = conversations.helper(runtime().redis, me.helper.id)
    return conversations.waiting_count(runtime().redis, found) if found else 0


@bp.errorhandler(HTTPException)
def error_page(exc: HTTPException) -> tuple[str, int]:
    """Errors as a plain page in the person's language."""
    return render_template("console/error.html", code=exc.code, reason=exc.description), exc.code or 500


@bp.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[str, int]:
    """A form without a valid token: 400."""
    return render_template("console/error.html", code=400, reason=exc.description), 400


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(response: Response) -> Response:
    """Strict headers on every console response (pages, files, errors)."""
    if request.path.startswith("/console"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if not request.path.startswith("/console/static/"):
            response.headers["Cache-Control"] = "no-store"
    return response
