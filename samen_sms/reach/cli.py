"""`flask --app app mediators ...` and `flask --app app stats`: referral codes, and figures for funders."""

from __future__ import annotations

import csv
import datetime as dt
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from samen_sms.content.community import KIND, parse_community
from samen_sms.content.directory import DirectoryError
from samen_sms.content.engine import Content
from samen_sms.content.text import has_control_characters
from samen_sms.core import tally
from samen_sms.core.tomlfile import Value
from samen_sms.line.runtime import Runtime
from samen_sms.reach import forward, mediators, stats
from samen_sms.reach.directory_file import append_entry
from samen_sms.reach.mediators import Mediator, RegistrationError

mediators_cli = AppGroup("mediators", help="Mediators and organisations: referral codes, forward texts, reach.")
REACH_WEEKS = 12  # `mediators list` shows the people each code reached in the last 12 weeks


def _rt() -> Runtime:
    rt: Runtime = current_app.extensions["samen"]
    return rt


def forward_texts(rt: Runtime, mediator: Mediator) -> list[str]:
    """The forward text and WhatsApp link with the code, in each language the mediator works in."""
    out = []
    for found in forward.forwards(rt, mediator):
        out.append(f"[{found.locale}] {found.text}")
        if found.link:
            out.append(f"[{found.locale}] WhatsApp: {found.link}")
    return out


@mediators_cli.command("add")
@click.argument("name")
@click.option("--languages", default="", help="Languages they work in, e.g. ar,ti")
@click.option("--region", "regions", multiple=True, help="A town, a safety region (VR13) or NL; may repeat")
@click.option("--list", "listed", is_flag=True, help="Also list them under 'Someone from your community'")
@click.option("--consented", default="", help="With --list: the date they agreed to be listed (2026-11-28)")
@click.option("--source", default="", help="With --list: https:// page that confirms who they are")
@click.option("--phone", default="")
@click.option("--whatsapp", default="")
@click.option("--web", default="")
@click.option("--offers", default="", help="With --list: what they offer, in a few words")
def add_command(
    name: str, languages: str, regions: tuple[str, ...], listed: bool, consented: str,
    source: str, phone: str, whatsapp: str, web: str, offers: str,
) -> None:
    """Register a mediator or organisation; prints forward texts, then its new code on the last line."""
    rt = _rt()
    try:
        if not name.strip():
            raise RegistrationError("field 'name' is empty")
        if has_control_characters(name, allowed=""):  # a name is one line
            raise RegistrationError("field 'name' holds an invisible control character")
        langs = mediators.check_languages(languages, rt.content.flow.languages)
        areas = mediators.check_regions(regions, rt.content.places)
        entry = None
        if listed:
            entry = _community_entry(name, langs, areas, consented, source, phone, whatsapp, web, offers, rt.content)
        draft = Mediator("", name.strip(), langs, areas, time.time(), listed=consented or None)
        stored = mediators.add(rt.redis, draft, mediators.catalogue_words(rt.content.catalogues))
    except (RegistrationError, DirectoryError) as exc:
        raise click.ClickException(str(exc)) from None
    if entry is not None:
        entry["code"] = stored.code
        append_entry(rt.config.data_dir / "services.toml", entry)
        click.echo("Listed in data/services.toml; restart the web and worker processes to show it.")
    click.echo(f"Registered: {stored.name}; languages {', '.join(langs)}; regions {', '.join(areas)}")
    for line in forward_texts(rt, stored):
        click.echo(line)
    click.echo(stored.code)


def _community_entry(name: str, langs: list[str], areas: list[str], consented: str, source: str, phone: str,
                     whatsapp: str, web: str, offers: str, content: Content) -> dict[str, Value]:
    if not consented:
        raise RegistrationError("field 'consented' is missing: the date they agreed to be listed (--consented)")
    try:
        agreed = dt.date.fromisoformat(consented)
    except ValueError:
        raise RegistrationError(f"field 'consented': {consented!r} is not a date (2026-11-28)") from None
    if agreed > dt.date.today():
        raise RegistrationError(f"field 'consented': {consented} is in the future; the date they agreed to be listed")
    slug = "".join(ch if ch.isalnum() else "_" for ch in name.strip().lower()).strip("_")
    raw: dict[str, Value] = {
        "kind": KIND, "id": f"community_{slug}", "name": name.strip(), "languages": langs, "regions": areas,
        "listed": agreed, "source": source, "verified": dt.date.today(),
        "phone": phone, "whatsapp": whatsapp, "web": web, "offers": offers,
    }
    raw = {k: v for k, v in raw.items() if v not in ("", None)}
    parse_community(raw, "mediators add", content.regions)
    taken = {c.id for c in content.community}
    if raw["id"] in taken:
        raise RegistrationError(f"field 'name': {name!r} is listed already")
    return raw


@mediators_cli.command("list")
def list_command() -> None:
    """Every code: who, languages, regions, live or retired, and its reach (small numbers hidden)."""
    rt = _rt()
    everyone = mediators.all_mediators(rt.redis)
    if not everyone:
        click.echo('No mediators yet. Add one: flask --app app mediators add "Name" --languages ar --region Amsterdam')
        return
    today = tally.day_of(time.time())
    weeks = sorted({tally.week_of(today - dt.timedelta(weeks=i)) for i in range(REACH_WEEKS)})
    reached = stats.reach_by_code(rt.redis, [m.code for m in everyone], weeks)
    first = today - dt.timedelta(weeks=REACH_WEEKS) + dt.timedelta(days=1)
    figures = stats.table(rt.redis, first, today, "month", "code", hosts=rt.registry.session_hosts)
    replies = {row[1]: row[3] for row in figures.rows if row[0] == stats.TOTAL}
    click.echo(f"code   {'name':<32} languages  regions          state    people (12 wk)  session replies")
    for m in everyone:
        state = "live" if m.live else "retired"
        click.echo(
            f"{m.code:<6} {m.name[:32]:<32} {','.join(m.languages):<10} {','.join(m.regions)[:16]:<16} "
            f"{state:<8} {stats.shown(reached.get(m.code, 0)):>14}  {replies.get(m.code, '0'):>15}"
        )


@mediators_cli.command("text")
@click.argument("code")
def text_command(code: str) -> None:
    """Print a mediator's forward texts and WhatsApp links again."""
    rt = _rt()
    mediator = mediators.get(rt.redis, code)
    if mediator is None:
        raise click.ClickException(f"no mediator with code {code!r} (see `mediators list`)")
    for line in forward_texts(rt, mediator):
        click.echo(line)


@mediators_cli.command("retire")
@click.argument("code")
def retire_command(code: str) -> None:
    """Stop counting a code; from now on it is ordinary text. Its figures so far stay."""
    try:
        retired = mediators.retire(_rt().redis, code)
    except RegistrationError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Retired {retired.code} ({retired.name}): no longer counted.")


@click.command("stats")
@with_appcontext
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First day (30 days back)")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last day (default: today)")
@click.option("--by", type=click.Choice(stats.BY), default="day")
@click.option("--group", type=click.Choice(stats.GROUPS), default=None)
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None)
def stats_command(
    start: dt.datetime | None, end: dt.datetime | None, by: str, group: str | None, csv_file: Path | None
) -> None:
    """Anonymous reach figures by day, week or month; counts of 1 to 4 show as <5."""
    last = end.date() if end else tally.day_of(time.time())
    first = start.date() if start else last - dt.timedelta(days=29)
    if first > last:
        raise click.ClickException("--from is after --to")
    if (last - first).days > 400:
        raise click.ClickException("at most 400 days at once (counts are kept 400 days)")
    rt = _rt()
    result = stats.table(rt.redis, first, last, by, group, hosts=rt.registry.session_hosts)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(result.columns)
            writer.writerows(result.rows)
        click.echo(f"Wrote {len(result.rows)} rows to {csv_file}. {stats.LEGEND}")
        return
    widths = [max(len(str(x)) for x in [col, *(row[i] for row in result.rows)]) for i, col in enumerate(result.columns)]
    for line in [result.columns, *result.rows]:
        cells = [str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(line, widths, strict=True))]
        click.echo("  ".join(cells))
    click.echo(stats.LEGEND)
