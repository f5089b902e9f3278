"""`flask --app app users ...`: staff accounts for the console (add, list, disable, reset)."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from samen_sms.console import audit
from samen_sms.console.accounts import AccountError, Accounts
from samen_sms.console.keys import ConsoleKeys
from samen_sms.line.runtime import Runtime

users_cli = AppGroup("users", help="Staff accounts of the console: add, list, disable, reset, helper.")


def _store() -> tuple[Runtime, Accounts]:
    rt: Runtime = current_app.extensions["samen"]
    keys: ConsoleKeys = current_app.extensions["samen.console"]
    return rt, Accounts(rt.redis, keys, current_app.extensions["samen.passwords"])


def _link(rt: Runtime, token: str) -> str:
    return f"{rt.config.public_url.rstrip('/')}/console/welcome/{token}"


@users_cli.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "mediator"]))
@click.option("--mediator", "code", default=None, help="The mediator's code (for --role mediator).")
def add_command(email: str, role: str, code: str | None) -> None:
    """Create an account; prints its one-time sign-in link (24 h, single use) on the last line."""
    rt, store = _store()
    try:
        token = store.add(email, role, code)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(rt.redis, "command line", "account created", f"{email.strip().lower()} ({role})")
    click.echo(f"Account {email.strip().lower()} ({role}) created. Send this link to the person; valid 24 h, once:")
    click.echo(_link(rt, token))


@users_cli.command("list")
def list_command() -> None:
    """Every account with its role and state."""
    _, store = _store()
    found = store.all()
    if not found:
        click.echo("No accounts yet. Add one: flask --app app users add EMAIL --role admin")
    for a in found:
        state = "disabled" if a.disabled else ("active" if a.ready else "waiting for first sign-in")
        created = dt.datetime.fromtimestamp(a.created, dt.UTC).strftime("%Y-%m-%d")
        mediator = f" {a.mediator}" if a.mediator else ""
        helper = f" helper: {','.join(a.helper.locales)}" if a.helper else ""
        click.echo(f"{a.email:<40} {a.role.value:<12}{mediator:<10} {state:<26} created {created}{helper}")


@users_cli.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Refuse the account's sign-ins and end its open sessions."""
    rt, store = _store()
    try:
        store.disable(email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(rt.redis, "command line", "account disabled", email.strip().lower())
    click.echo(f"Account {email.strip().lower()} disabled.")


@users_cli.command("reset")
@click.argument("email")
def reset_command(email: str) -> None:
    """Forget password and authenticator; prints a new one-time link on the last line."""
    rt, store = _store()
    try:
        token = store.reset(email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record(rt.redis, "command line", "account reset", email.strip().lower())
    click.echo(f"Account {email.strip().lower()} reset; its sessions are ended. New link, valid 24 h, once:")
    click.echo(_link(rt, token))


@users_cli.command("helper")
@click.argument("email")
@click.option("--languages", default="", help="Language codes the helper writes in, comma-separated (ar,fa).")
@click.option("--region", "regions", multiple=True, help="A region the helper takes (repeat; none: every region).")
@click.option("--org", default="", help="The partner organisation (needed unless the account has a mediator code).")
@click.option("--remove", is_flag=True, help="Take the helper permission away.")
def helper_command(email: str, languages: str, regions: tuple[str, ...], org: str, remove: bool) -> None:
    """Give an account the helper permission: it takes handed-over conversations in these languages."""
    rt, store = _store()
    try:
        if remove:
            store.revoke_helper(email)
        else:
            offered = frozenset(rt.content.flow.languages)
            grant = store.grant_helper(email, languages.split(","), list(regions), org, offered)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    who = email.strip().lower()
    if remove:
        audit.record(rt.redis, "command line", "helper permission removed", who)
        click.echo(f"Account {who} is no longer a helper; what it held waits for another helper.")
        return
    audit.record(rt.redis, "command line", "helper permission given", f"{who} ({','.join(grant.locales)})")
    click.echo(f"Account {who} is a helper for {', '.join(grant.locales)}.")
