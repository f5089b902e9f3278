"""The line's refusals, which name fields and formats for people who edit files, said in plain words
for someone at a console form, in the console's language.

The session file checks (`announce.sessions`) and the directory checks (`content.directory`) give
one-line reasons like "field 'title' is missing" or "the ar announcement would cost 6 SMS segments
(338 UCS-2 characters)". The console keeps those checks unchanged and words their reasons here; a
reason not recognised is shown as it is, so a new check is never hidden.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from samen_sms.console.i18n import gettext as _
from samen_sms.console.i18n import ngettext


def field_names() -> dict[str, str]:
    """What a form calls each field of a session or a directory entry."""
    return {
        "title": _("the title"), "description": _("the description"), "starts": _("when it starts"),
        "ends": _("when it ends"), "place": _("the place"), "online": _("the online link"),
        "host": _("the host"), "languages": _("the languages"), "regions": _("the regions"),
        "name": _("the name"), "id": _("the short id"), "purpose": _("what it is for"), "needs": _("the needs"),
        "cost": _("the cost"), "hours": _("the hours"), "anonymous": _("whether it is anonymous"),
        "places": _("the municipalities"), "source": _("the source"), "verified": _("the date it was checked"),
    }


def kind_names() -> dict[str, str]:
    """The texts a session sends or shows, as a sentence names them."""
    return {"announcement": _("announcement"), "reminder": _("reminder"), "title": _("title"),
            "description": _("description")}


def most_characters(segments: int, encoding: str) -> int:
    """How many characters fit in that many text messages (GSM-7: 160, then 153 a part; else 70, then 67)."""
    single, part = (160, 153) if encoding == "GSM-7" else (70, 67)
    return single if segments <= 1 else part * segments


Rule = tuple[re.Pattern[str], Callable[[re.Match[str], Mapping[str, str]], str]]


def _q(text: str) -> str:
    return text.strip("'\"")


def _rules() -> list[Rule]:
    f = field_names()
    k = kind_names()

    def field(m: re.Match[str]) -> str:
        return f.get(m.group("field"), m.group("field"))

    def lang(names: Mapping[str, str], code: str) -> str:
        return names.get(_q(code), _q(code))

    return [
        (re.compile(r"^field 'host' is missing"),
         lambda m, n: _("Fill in the host: the organisation holding the session.")),
        (re.compile(r"^field '(?P<field>\w+)' is missing"), lambda m, n: _("Fill in %(field)s.", field=field(m))),
        (re.compile(r"^give exactly one of the fields 'place' and 'online'"),
         lambda m, n: _("Fill in either the place or the online link: one of the two.")),
        (re.compile(r"^field 'ends' must be after 'starts'"), lambda m, n: _("The end must come after the start.")),
        (re.compile(r"^field 'online' must be an https:// link"),
         lambda m, n: _("The online link must begin with https://.")),
        (re.compile(r"^field '(?P<field>\w+)'.*(clocks change)"),
         lambda m, n: _("That time falls in the hour the clocks change: choose another time.")),
        (re.compile(r"^field '(?P<field>\w+)' (must be a date and time|needs both a date and a time)"),
         lambda m, n: _("Type a date and a time for %(field)s, like 2026-12-10 19:00.", field=field(m))),
        (re.compile(r"^field '(?P<field>starts|ends)': the year"),
         lambda m, n: _("Type a date and a time for %(field)s, like 2026-12-10 19:00.", field=field(m))),
        (re.compile(r"^field 'languages': (?P<code>.+) is not a language code"),
         lambda m, n: _("%(code)s is not a language code: write codes like so or prs, separated by commas.",
                        code=_q(m.group("code")))),
        (re.compile(r"^field 'languages': none of"),
         lambda m, n: _("Choose at least one language the line speaks.")),
        (re.compile(r"^field 'title' has no text for (?P<code>'[^']+')"),
         lambda m, n: _("Write the title in %(language)s too, or untick that language.",
                        language=lang(n, m.group("code")))),
        (re.compile(r"^field '(?P<field>\w+)': text for (?P<code>'[^']+'), which is not in 'languages'"),
         lambda m, n: _("There is text in %(language)s but that language is not ticked: tick it or clear the text.",
                        language=lang(n, m.group("code")))),
        (re.compile(r"^field '(?P<field>\w+)': unknown variable (?P<token>'[^']+')"),
         lambda m, n: _("%(token)s cannot stand in a text: braces may only hold {date}, {place}, {host} or "
                        "{languages}.", token=_q(m.group("token")))),
        (re.compile(r"^field '(?P<field>\w+)': a lone (?P<token>'.')"),
         lambda m, n: _("A lone %(token)s: for a brace itself, write it twice.", token=_q(m.group("token")))),
        (re.compile(r"(?P<place>'[^']+') is not a safety region code or a known place"),
         lambda m, n: _("We do not know “%(place)s”: type a town, a safety region (like VR13) or NL.",
                        place=_q(m.group("place")))),
        (re.compile(r"^field 'regions': (?P<place>'[^']+') is a place in more than one region: write one of (?P<l>.+)"),
         lambda m, n: _("%(place)s is a place in more than one region: write one of %(choices)s.",
                        place=_q(m.group("place")), choices=m.group("l"))),
        (re.compile(r"^field 'regions'"),
         lambda m, n: _("Type where: towns or safety regions (like VR13), or NL for the whole country.")),
        (re.compile(r"^the (?P<code>\S+) (?P<kind>announcement|reminder) would be (?P<n>\d+) characters on \w+; "
                    r"Twilio takes at most (?P<max>\d+)"),
         lambda m, n: ngettext("The %(kind)s in %(language)s would be too long for one message: shorten it by "
                               "%(num)d character.", "The %(kind)s in %(language)s would be too long for one message: "
                               "shorten it by %(num)d characters.", int(m.group("n")) - int(m.group("max")),
                               kind=k[m.group("kind")], language=lang(n, m.group("code")))),
        (re.compile(r"^the (?P<code>\S+) (?P<kind>announcement|reminder) would cost \d+ SMS segments "
                    r"\((?P<units>\d+) (?P<enc>\S+) characters\); at most (?P<allowed>\d+)"),
         lambda m, n: ngettext("The %(kind)s in %(language)s is too long for %(allowed)s text messages: shorten it "
                               "by %(num)d character.", "The %(kind)s in %(language)s is too long for %(allowed)s "
                               "text messages: shorten it by %(num)d characters.",
                               int(m.group("units")) - most_characters(int(m.group("allowed")), m.group("enc")),
                               kind=k[m.group("kind")], language=lang(n, m.group("code")), allowed=m.group("allowed"))),
        (re.compile(r"^the (?P<kind>\w+) in (?P<code>'[^']+') shows (?P<words>.+) in its first (?P<n>\d+) characters"),
         lambda m, n: _("The %(kind)s in %(language)s shows “%(words)s” in its first %(n)s characters, which a "
                        "locked phone shows: begin with something neutral.", kind=k.get(m.group("kind"),
                        m.group("kind")), language=lang(n, m.group("code")), words=m.group("words"), n=m.group("n"))),
        # The directory's checks ("form: service 'x' has no phone").
        (re.compile(r"has no phone, chat or web$"), lambda m, n: _("Give a phone number, a chat or a website.")),
        (re.compile(r"has no (?P<field>\w+)$"), lambda m, n: _("Fill in %(field)s.", field=field(m))),
        (re.compile(r": id must be letters"),
         lambda m, n: _("The short id may hold only letters, digits and _ (at most 64).")),
        (re.compile(r": verified must be a date"),
         lambda m, n: _("Type the date it was checked, like 2026-11-28.")),
        (re.compile(r": source must be an https:// address"),
         lambda m, n: _("The source must be a web address beginning with https://.")),
        (re.compile(r": (?P<field>cost|hours|anonymous) must be one of"),
         lambda m, n: _("Choose %(field)s from the list.", field=field(m))),
    ]


def plain(reason: str, languages: Mapping[str, str] | None = None) -> str:
    """A check's reason in plain words in the console's language (`languages`: code -> name), else as it is."""
    for pattern, say in _rules():
        found = pattern.search(reason)
        if found:
            return say(found, languages or {})
    return reason
