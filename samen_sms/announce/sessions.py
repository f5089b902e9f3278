"""Information sessions: read an operator's session file, keep it in Redis, word its announcement.

A session file is TOML (see `sessions/example.toml`): `title` and optional `description` (one text
for every language, or a table per language; either may use {date}, {place}, {host}, {languages}),
`starts` (and optional `ends`) in Europe/Amsterdam, `place` or `online`, `host`, `languages` spoken
there, and `regions` it is for. `host_code` (optional) is the referral code of the mediator or
organisation hosting it (`flask mediators list`): replies to the session count in their reach.

Titles and descriptions are operators' text, not Python format strings: only a bare `{name}` of
`TEXT_VARIABLES` is filled in (`fill`), and `parse_session` refuses anything else in braces, so a
format spec such as `{host:>99999999}` can neither crash nor stall a worker. `check_length` refuses
a session whose announcement or reminder, rendered per language as it would be sent, is longer
than Twilio takes or costs more SMS segments than the language's budget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import redis
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

from samen_sms.announce import redis_keys
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.content import referral
from samen_sms.content.discretion import PREVIEW, revealing_words, reveals
from samen_sms.content.languages import cldr_locale
from samen_sms.content.places import Places
from samen_sms.content.smscost import budget, cost
from samen_sms.content.text import plain_latin
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.core.tomlfile import parse_toml, read_text

# Variables a title or description may use, filled in per language: "{host} at {place}, {date}".
TEXT_VARIABLES = frozenset({"date", "place", "host", "languages"})
FIELDS = {"title", "description", "starts", "ends", "place", "online", "host", "host_code", "languages", "regions"}
# A brace pair, an escaped brace ({{ or }}), or a lone brace: every brace in a text is one of these.
BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
MAX_FILE_BYTES = 64 * 1024  # a session file is a few lines; refused unread above this
TWILIO_MAX_BODY = 1600  # Twilio refuses a longer body (21617)


class SessionFileError(ValueError):
    """A session file is wrong; the message names the field."""


@dataclass(frozen=True)
class InfoSession:
    """One information session, as operators described it."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    starts: float
    ends: float | None
    place: str
    online: bool
    host: str
    languages: list[str]
    regions: list[str]
    host_code: str | None = None  # the hosting organisation's referral code, when it has one
    cancelled: bool = False  # called off after it was added: never announced or reminded again

    @property
    def start_time(self) -> datetime:
        """The start, in Amsterdam time."""
        return datetime.fromtimestamp(self.starts, AMSTERDAM)

    def text(self, table: Mapping[str, str], locale: str) -> str:
        """A per-language text, or the shared one (`*`)."""
        return table.get(locale) or table.get("*", "")

    def dumps(self) -> str:
        """JSON, as stored."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> InfoSession:
        """Read what `dumps` wrote."""
        return cls(**json.loads(raw))


def _texts(raw: dict[str, Any], name: str, required: bool) -> dict[str, str]:
    value = raw.get(name)
    if value is None:
        if required:
            raise SessionFileError(f"field {name!r} is missing")
        return {}
    if isinstance(value, str) and value.strip():
        return {"*": value.strip()}
    if isinstance(value, dict) and value and all(isinstance(v, str) and v.strip() for v in value.values()):
        return {str(k): v.strip() for k, v in value.items()}
    raise SessionFileError(f"field {name!r} must be a text, or a table of texts per language code")


def _when(raw: dict[str, Any], name: str, required: bool) -> float | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise SessionFileError(f"field {name!r} is missing (e.g. {name} = 2026-12-10T19:00:00)")
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise SessionFileError(f"field {name!r} must be a date and time like 2026-12-10 19:00") from None
    if isinstance(value, date) and not isinstance(value, datetime) or isinstance(value, time):
        raise SessionFileError(f"field {name!r} needs both a date and a time")
    if not isinstance(value, datetime):
        raise SessionFileError(f"field {name!r} must be a date and time like 2026-12-10 19:00")
    if value.tzinfo is not None:
        raise SessionFileError(f"field {name!r}: give the local time in Europe/Amsterdam, without an offset")
    if not 2000 <= value.year <= 2999:
        # Dates near year 1 or 9999 overflow once shifted to Amsterdam time, in Babel or datetime.
        raise SessionFileError(f"field {name!r}: the year {value.year} is out of range")
    local = value.replace(tzinfo=AMSTERDAM)
    changed = _clock_change(local)
    if changed is not None:
        raise SessionFileError(
            f"field {name!r}: {value:%Y-%m-%d %H:%M} {changed} in Europe/Amsterdam (the clocks change that night)"
        )
    return local.timestamp()


def _clock_change(local: datetime) -> str | None:
    """What is wrong with an Amsterdam wall-clock time in the hour the clocks change, else None.

    Going forward (last Sunday of March) skips the hour; going back (of October) has it twice.
    """
    if local.replace(fold=0).utcoffset() == local.replace(fold=1).utcoffset():
        return None
    back = datetime.fromtimestamp(local.timestamp(), AMSTERDAM).replace(tzinfo=None)
    return "happens twice" if back == local.replace(tzinfo=None) else "does not exist"


def parse_session(text: str, places: Places, line_languages: list[str]) -> InfoSession:
    """Check a session file's text and return the session (without an id yet)."""
    return session_from(parse_toml(text, "session file", SessionFileError), places, line_languages)


def read_session(file: Path, places: Places, line_languages: list[str], renderer: Any) -> InfoSession:
    """A session file read and checked as `sessions add` takes it; SessionFileError says why not, in a line."""
    text = read_text(file, SessionFileError, MAX_FILE_BYTES)
    try:
        session = parse_session(text, places, line_languages)
        check_length(renderer, session)
    except SessionFileError as exc:
        raise SessionFileError(f"{file.name}: {exc}") from None
    return session


def session_from(
    raw: dict[str, Any], places: Places, line_languages: list[str]
) -> InfoSession:
    """Check a session's fields (as a session file gives them) and return it (without an id yet)."""
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise SessionFileError(f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {sorted(FIELDS)}")
    title = _texts(raw, "title", True)
    description = _texts(raw, "description", False)
    starts = _when(raw, "starts", True)
    assert starts is not None
    ends = _when(raw, "ends", False)
    if ends is not None and ends <= starts:
        raise SessionFileError("field 'ends' must be after 'starts'")
    place, online = raw.get("place"), raw.get("online")
    if bool(place) == bool(online):
        raise SessionFileError("give exactly one of the fields 'place' and 'online'")
    where = place or online
    if not isinstance(where, str) or not where.strip():
        raise SessionFileError("field 'place' or 'online' must be a text")
    if online and not str(online).startswith("https://"):
        raise SessionFileError("field 'online' must be an https:// link")
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip():
        raise SessionFileError("field 'host' is missing or empty (the organisation holding the session)")
    host_code = raw.get("host_code")
    if host_code is not None and (not isinstance(host_code, str) or referral.normal(host_code) is None):
        raise SessionFileError("field 'host_code' must be a referral code such as K7Q (see `mediators list`)")
    languages = raw.get("languages")
    if not isinstance(languages, list) or not languages or not all(isinstance(x, str) for x in languages):
        raise SessionFileError("field 'languages' must be a list of language codes, e.g. ['nl', 'ar']")
    # Subscribers are matched by the line's own spelling of a code: "NL" would silently reach nobody.
    spelled = {code.casefold(): code for code in line_languages}
    languages = [spelled.get(code.strip().casefold(), code) for code in languages]
    for code in languages:
        try:
            Locale.parse(cldr_locale(code))
        except (UnknownLocaleError, ValueError):
            raise SessionFileError(f"field 'languages': {_shown(code)} is not a language code") from None
    if not any(code in line_languages for code in languages):
        # Announcements go to subscribers in the session's languages: none the line speaks, nobody.
        raise SessionFileError(
            f"field 'languages': none of {', '.join(_shown(code) for code in languages)} is a language of the line "
            f"({', '.join(line_languages)}), so nobody would be told of the session"
        )
    for name, table in (("title", title), ("description", description)):
        for code, text in table.items():
            _check_braces(name, code, text)
            if code != "*" and code not in languages:
                raise SessionFileError(f"field {name!r}: text for {code!r}, which is not in 'languages'")
    for code in languages:
        if code in line_languages and "*" not in title and code not in title:
            raise SessionFileError(f"field 'title' has no text for {code!r}, a language in 'languages'")
    return InfoSession(
        id="",
        title=title,
        description=description,
        starts=starts,
        ends=ends,
        place=where.strip(),
        online=bool(online),
        host=host.strip(),
        languages=list(dict.fromkeys(languages)),
        regions=_regions(raw.get("regions"), places),
        host_code=referral.normal(host_code) if host_code else None,
    )


def _shown(value: str, width: int = 40) -> str:
    """An operator's value quoted in an error, cut short: the reason must fit on one line."""
    return repr(value if len(value) <= width else value[: width - 3] + "...")


def _check_braces(name: str, code: str, text: str) -> None:
    """Only bare {date}, {place}, {host}, {languages}; {{ and }} for a brace; nothing else in braces."""
    for match in BRACES.finditer(text):
        token = match.group(0)
        if token in ("{{", "}}") or match.group(1) in TEXT_VARIABLES:
            continue
        which = "the text for every language" if code == "*" else f"the {code} text"
        allowed = ", ".join("{" + v + "}" for v in sorted(TEXT_VARIABLES))
        what = f"unknown variable {_shown(token)}" if match.group(1) is not None else f"a lone {token!r}"
        raise SessionFileError(
            f"field {name!r}: {what} in {which}; braces may only hold {allowed} "
            "(write {{ or }} for a brace itself)"
        )


def fill(text: str, values: Mapping[str, str]) -> str:
    """A title or description with its {name}s filled in; anything else in braces is left as written.

    Never `str.format`: an operator's `{host:>99999999}` would make a 100 MB string, `{host!z}` raise.
    """

    def one(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        return values[name] if name in TEXT_VARIABLES and name in values else token

    return BRACES.sub(one, text)


def check_length(renderer: Any, session: InfoSession) -> None:
    """Refuse a session whose announcement or reminder is too long in one of its languages, as sent."""
    catalogues = renderer.content.catalogues
    for locale in session.languages:
        if locale not in catalogues:
            continue  # the line has no subscribers in it: nothing is sent
        allowed = budget(catalogues[locale])
        for kind in BroadcastKind:
            for channel in (Channel.SMS, Channel.WHATSAPP):
                text = render(renderer, session, locale, channel, kind)
                if len(text) > TWILIO_MAX_BODY:
                    raise SessionFileError(
                        f"the {locale} {kind.label} would be {len(text)} characters on {channel.value}; Twilio "
                        f"takes at most {TWILIO_MAX_BODY}: shorten the title, description, place or host"
                    )
            sms = cost(render(renderer, session, locale, Channel.SMS, kind))
            if sms.segments > allowed:
                raise SessionFileError(
                    f"the {locale} {kind.label} would cost {sms.segments} SMS segments ({sms.units} {sms.encoding} "
                    f"characters); at most {allowed} in {locale}: shorten the title, description, place or host"
                )


@dataclass(frozen=True)
class Shown:
    """A revealing word a locked phone would show: in which text (title, description, announcement or
    reminder, the last two rendered with their placeholders filled) and language."""

    what: str
    locale: str
    found: list[str]

    def __str__(self) -> str:
        return (
            f"the {self.what} in {self.locale!r} shows {', '.join(self.found)} in its first {PREVIEW} characters, "
            "which a locked phone shows; open with something neutral"
        )


def revealing(renderer: Any, session: InfoSession) -> Shown | None:
    """The first text of a session whose preview on a locked phone shows a revealing word, if any.

    A template may open with the title, and a title's `{host}` is filled in only as sent: each
    announcement, reminder and notice is checked as rendered, in each language of the session the line speaks
    (only subscribers of those get it).
    """
    catalogues = renderer.content.catalogues
    words = revealing_words(catalogues)
    for locale in [loc for loc in session.languages if loc in catalogues]:
        texts = {
            "title": session.text(session.title, locale),
            "description": session.text(session.description, locale),
        }
        # Every text a session sends, as rendered: announcement, reminder, and the notices of a change
        # or a cancellation to those coming.
        texts.update({kind.label: render(renderer, session, locale, Channel.SMS, kind) for kind in BroadcastKind})
        for what, text in texts.items():
            found = reveals(text, words)
            if found:
                return Shown(what, locale, found)
    return None


def _regions(value: Any, places: Places) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(x, str) for x in value):
        raise SessionFileError("field 'regions' must be a list: 'NL' for the whole country, VR codes or places")
    out: list[str] = []
    for item in value:
        code = places.region_code(item)
        if code is None:
            raise SessionFileError(f"field 'regions': {_not_a_region(item, places)}")
        if code not in out:
            out.append(code)
    return out


def _not_a_region(item: str, places: Places) -> str:
    # A name several municipalities share (Hoorn, Bergen) is named with the regions to choose from.
    known = places.exact(item)
    if known is None:
        return f"{_shown(item)} is not a safety region code or a known place"
    choices = sorted({(places.by_code[c].region_code, places.by_code[c].region) for c in known.codes})
    listed = ", ".join(f"{code} ({name})" for code, name in choices)
    return f"{_shown(item)} is a place in more than one region: write one of {listed}"


def add(conn: redis.Redis, session: InfoSession, pipe: Any) -> InfoSession:
    """Store a checked session on `pipe` (executed by the caller) under a new id."""
    session_id = str(conn.incr(redis_keys.SESSION_SEQ()))
    stored = InfoSession(**{**asdict(session), "id": session_id})
    pipe.set(redis_keys.SESSION(session_id), stored.dumps())
    pipe.zadd(redis_keys.SESSIONS(), {session_id: stored.starts})
    return stored


def replace(session: InfoSession, pipe: Any) -> None:
    """Store a changed session under its own id on `pipe` (executed by the caller)."""
    pipe.set(redis_keys.SESSION(session.id), session.dumps())
    pipe.zadd(redis_keys.SESSIONS(), {session.id: session.starts})


def get(conn: redis.Redis, session_id: str) -> InfoSession | None:
    """One stored session, or None."""
    raw = conn.get(redis_keys.SESSION(session_id))
    return InfoSession.loads(raw) if raw else None


def all_sessions(conn: redis.Redis) -> list[InfoSession]:
    """Every stored session, soonest first."""
    return [s for s in (get(conn, i) for i in ids(conn)) if s]


def hosts(conn: redis.Redis, session_ids: Iterable[str]) -> dict[str, str]:
    """Session id -> the referral code of the organisation hosting it (sessions without one left out)."""
    wanted = sorted(set(session_ids))
    if not wanted:
        return {}
    raws: list[Any] = conn.mget([redis_keys.SESSION(i) for i in wanted])
    found = {}
    for session_id, raw in zip(wanted, raws, strict=True):
        code = json.loads(raw).get("host_code") if raw else None
        if code:
            found[session_id] = str(code)
    return found


def upcoming(conn: redis.Redis, now: float, count: int) -> list[InfoSession]:
    """The next `count` sessions starting from `now`, soonest first."""
    soon: list[bytes] = list(conn.zrangebyscore(redis_keys.SESSIONS(), now, "+inf", start=0, num=count))  # type: ignore[arg-type]
    raws: list[Any] = conn.mget([redis_keys.SESSION(i.decode()) for i in soon]) if soon else []
    return [InfoSession.loads(raw) for raw in raws if raw]


def ids(conn: redis.Redis) -> list[str]:
    """Every stored session's id, soonest first."""
    raw: list[bytes] = list(conn.zrange(redis_keys.SESSIONS(), 0, -1))  # type: ignore[arg-type]
    return [x.decode() for x in raw]


def variables(session: InfoSession, locale: str, place_text: str) -> dict[str, str]:
    """The values an announcement or reminder fills in, in one language (dates by Babel)."""
    start = session.start_time
    cldr = cldr_locale(locale)
    when = f"{format_date(start.date(), 'full', locale=cldr)}, {format_time(start.time(), 'short', locale=cldr)}"
    if session.ends:
        end = datetime.fromtimestamp(session.ends, AMSTERDAM)
        when += "-" + format_time(end.time(), "short", locale=cldr)
    # Babel uses narrow and no-break spaces ("7:30\u202fPM"): one such character makes an SMS UCS-2.
    when = when.replace("\u202f", " ").replace("\u00a0", " ")
    # Babel's names (Dutch "Soranî") without accents, so they never turn a GSM-7 SMS into UCS-2.
    spoken = ", ".join(
        plain_latin(Locale.parse(cldr_locale(code)).get_display_name(cldr) or code) for code in session.languages
    )
    values = {"date": when, "place": place_text, "host": session.host, "languages": spoken}
    return {
        "title": fill(session.text(session.title, locale), values),
        "description": fill(session.text(session.description, locale), values),
        **values,
    }


def render(renderer: Any, session: InfoSession, locale: str, channel: Channel, kind: BroadcastKind) -> str:
    """The announcement or reminder text for one language and channel."""
    place = (
        renderer.message(locale, "announce.online", channel, link=session.place) if session.online else session.place
    )
    values = variables(session, locale, place)
    text = str(renderer.message(locale, kind.message, channel, **values))
    return "\n".join(line for line in text.split("\n") if line.strip())
