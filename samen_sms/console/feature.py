"""How the console plugs into the app: the blueprint, its secrets and cookies, languages, commands.

It adds no handler to a texter's message: the console reads what the line keeps, and tells
helpers that a hand-over conversation waits (`Registry.notify_helpers`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from samen_sms.line.registry import Registry

SESSION_HOURS = 8


def register(registry: Registry) -> None:
    """Tell helpers when a hand-over conversation waits (an e-mail when SMTP is set; the nav counts anyway)."""
    from samen_sms.console import notify

    registry.notify_helpers = notify.tell_helpers


def init_app(app: Flask) -> None:
    """Mount the console under /console/ and add `flask users`."""
    from flask_wtf.csrf import generate_csrf

    from samen_sms.console import auth, dates, i18n, pages, passwords, web  # noqa: F401  (views register on import)
    from samen_sms.console.cli import users_cli
    from samen_sms.console.keys import ConsoleKeys
    from samen_sms.line.runtime import Runtime

    rt: Runtime = app.extensions["samen"]
    keys = ConsoleKeys(rt.config.secret_key)
    app.extensions["samen.console"] = keys
    # Full cost in production; an app built for tests hashes its test accounts cheaply.
    app.extensions["samen.passwords"] = passwords.Passwords(passwords.TESTING if app.testing else passwords.PRODUCTION)
    app.config.update(
        SECRET_KEY=keys.session,
        SESSION_COOKIE_NAME="samen_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=not rt.config.development,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
    )
    i18n.init_app(app)
    app.jinja_env.globals.update(
        when=dates.when, day_label=dates.day_label, week_label=dates.week_label, month_label=dates.month_label,
        week_start=dates.week_start,
    )
    app.jinja_env.globals["csrf_token"] = generate_csrf
    app.register_blueprint(web.bp)
    app.after_request(web.security_headers)
    app.cli.add_command(users_cli)
