"""`flask --app app sessions ...`: operators add, list, announce and follow information sessions."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from samen_sms.announce import broadcast, progress, reminders, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.results import Skip
from samen_sms.announce.routing import Via
from samen_sms.content.smscost import cost
from samen_sms.core import tally
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.line.runtime import Runtime

sessions_cli = AppGroup("sessions", help="Information sessions: add, list, announce and follow them.")
FINISHED = frozenset({"done", "done with failures", "failed"})
_TWILIO_CODES_HINT = " (see twilio.com/docs/api/errors; transient: Twilio kept failing; error: see the worker log)"


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["samen"]
    return rt


def _session(rt: Runtime, session_id: str) -> infosessions.InfoSession:
    session = infosessions.get(rt.redis, session_id)
    if session is None:
        raise click.ClickException(f"no session with id {session_id!r} (see `sessions list`)")
    return session


@sessions_cli.command("add")
@click.argument("file", type=click.Path(path_type=Path))
def add_command(file: Path) -> None:
    """Add a session from a file; prints its new id on the last line."""
    rt = _rt()
    # Every way a file can be wrong ends here as one line and exit status 1, never a traceback.
    try:
        session = infosessions.read_session(file, rt.content.places, list(rt.content.flow.languages), rt.renderer)
    except infosessions.SessionFileError as exc:
        raise click.ClickException(str(exc)) from None
    if session.host_code and not rt.registry.is_live_code(rt.redis, session.host_code):
        # The registry of codes is the reach room's, which lends this check; a live code is all a session needs.
        raise click.ClickException(f"{file.name}: field 'host_code': {session.host_code} is not a live referral code")
    now = datetime.now(AMSTERDAM)
    if session.starts <= now.timestamp():
        raise click.ClickException(f"{file.name}: field 'starts' is in the past")
    shown = infosessions.revealing(rt.renderer, session)
    if shown:
        raise click.ClickException(f"{file.name}: {shown}")
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    remind_at = reminders.schedule(rt, stored, pipe, now)
    pipe.execute()  # the session and its reminder job together, or neither
    click.echo(f"Added: {_title(stored)}, {stored.start_time:%Y-%m-%d %H:%M} (Europe/Amsterdam)")
    click.echo(f"Regions: {', '.join(stored.regions)}; languages: {', '.join(stored.languages)}")
    click.echo(f"Hosted by: {stored.host}" + (f" (code {stored.host_code})" if stored.host_code else ""))
    if remind_at is None:
        click.echo("Reminder: the session starts too soon to schedule one; each person who replies yes gets it at once")
    else:
        click.echo(f"Reminder to those who reply: {remind_at:%Y-%m-%d %H:%M}")
    click.echo(stored.id)


def _title(session: infosessions.InfoSession) -> str:
    return next(iter(session.title.values()), "")


@sessions_cli.command("list")
def list_command() -> None:
    """List sessions, soonest first, with how many people said they want to come."""
    rt = _rt()
    sessions = infosessions.all_sessions(rt.redis)
    if not sessions:
        click.echo("No sessions yet. Add one with: flask --app app sessions add FILE")
    for s in sessions:
        interested = tally.shown(subscriptions.interested(rt.redis, s.id))
        host = f"{s.host} ({s.host_code})" if s.host_code else s.host
        click.echo(
            f"{s.id:>4}  {s.start_time:%Y-%m-%d %H:%M}  {_title(s)[:40]:<40}  host {host[:30]}  "
            f"regions {','.join(s.regions)}  languages {','.join(s.languages)}  interested {interested}"
        )


DRY_RUN_LABELS: dict[Via | Skip, str] = {
    Via.WHATSAPP: "WhatsApp text (within 24 h of their last message)",
    Via.TEMPLATE: "WhatsApp approved template (window closed)",
    Skip.WHATSAPP_WINDOW_CLOSED_NO_TEMPLATE: "skipped: WhatsApp window closed and no template for this language",
}


def _dry_run(rt: Runtime, session: infosessions.InfoSession) -> None:
    counts = progress.audience(rt, session)
    total_segments = 0
    for (locale, way), n in sorted(counts.items()):
        name = "whatsapp-skip" if way is Skip.WHATSAPP_WINDOW_CLOSED_NO_TEMPLATE else str(way)
        label = DRY_RUN_LABELS.get(way, f"skipped: {way}")
        if way is Via.SMS:
            text = infosessions.render(rt.renderer, session, locale, Channel.SMS, BroadcastKind.ANNOUNCEMENT)
            parts = cost(text).segments
            label = f"{parts} SMS segment(s) each, {parts * n} in all"
            total_segments += parts * n
        click.echo(f"{locale:>4} {name:<17} {n:>7}  {label}")
    sending = sum(n for (_, way), n in counts.items() if isinstance(way, Via))
    click.echo(f"Would send {sending} message(s); {total_segments} SMS segment(s).")


@sessions_cli.command("announce")
@click.argument("session_id")
@click.option("--dry-run", is_flag=True, help="Only show who would get it and what it costs.")
def announce_command(session_id: str, dry_run: bool) -> None:
    """Announce a session to matching subscribers (at most once each, however often you run this)."""
    rt = _rt()
    session = _session(rt, session_id)
    if session.starts <= time.time():
        raise click.ClickException(f"session {session.id} has already started; nothing is announced")
    if dry_run:
        _dry_run(rt, session)
        return
    job_id = broadcast.enqueue(rt, session.id, BroadcastKind.ANNOUNCEMENT)
    click.echo(f"Announcement of session {session.id} queued (job {job_id}). Follow it: sessions status {session.id}")


@sessions_cli.command("status")
@click.argument("session_id")
@click.option("--wait", is_flag=True, help="Show a progress bar until the announcement is sent.")
def status_command(session_id: str, wait: bool) -> None:
    """Totals for a session's announcement and reminder; never who."""
    rt = _rt()
    session = _session(rt, session_id)
    if wait:
        first = progress.numbers(rt, session.id, BroadcastKind.ANNOUNCEMENT)
        with click.progressbar(length=max(first["total"], 1), label="Announcing") as bar:
            shown = 0
            while True:
                now = progress.numbers(rt, session.id, BroadcastKind.ANNOUNCEMENT)
                handled = now["sent"] + now["failed"] + sum(now["skipped"].values())
                bar.length = max(now["total"], 1)
                bar.update(max(handled - shown, 0))
                shown = max(handled, shown)
                if now["phase"] in FINISHED or (now["total"] and handled >= now["total"]):
                    break
                time.sleep(1)
    click.echo(f"Session {session.id}: {_title(session)}, {session.start_time:%Y-%m-%d %H:%M}")
    for kind in BroadcastKind:
        n = progress.numbers(rt, session.id, kind)
        skipped = ", ".join(f"{reason} {count}" for reason, count in sorted(n["skipped"].items())) or "none"
        until = f" until {n['until']}" if n["until"] and n["phase"].startswith("waiting") else ""
        if n["phase"] == reminders.SCHEDULED and n["at"]:
            until = f" for {datetime.fromtimestamp(n['at'], AMSTERDAM):%Y-%m-%d %H:%M}"
        click.echo(
            f"{kind.label.capitalize()}: {n['phase']}{until}. total {n['total']}, sent {n['sent']}, "
            f"delivered {n['delivered']}, failed {n['failed']}, skipped {sum(n['skipped'].values())} ({skipped})"
        )
        if n["codes"]:
            click.echo(f"  refused by Twilio or not sent, by error code: {n['codes']}{_TWILIO_CODES_HINT}")
        if n["reported"]:
            reported = ", ".join(f"{status} {count}" for status, count in n["reported"].items())
            click.echo(f"  failed after sending (delivery reports): {reported}")
    click.echo(f"Interested (replied to the announcement): {subscriptions.interested(rt.redis, session.id)}")
