"""Turning reply references into the text that is sent, in one language, for one channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import assert_never
from urllib.parse import quote

from samen_sms.content.catalogue import placeholders
from samen_sms.content.community import listed_for
from samen_sms.content.directory import Community, Service
from samen_sms.content.engine import Content
from samen_sms.content.hints import MenuOrder, menu_key
from samen_sms.content.languages import greeting_line, language_menu_text
from samen_sms.content.places import ALL_NL, Place
from samen_sms.content.replies import (
    Entry,
    Greeting,
    Languages,
    Menu,
    Msg,
    Notice,
    Organisations,
    PlacePick,
    Ref,
    Region,
    Reply,
    Services,
    split_messages,
)
from samen_sms.core.identity import Channel

# The comma each script writes between facts (Arabic and Farsi turn it, Ge'ez has its own).
_COMMA = {"Arab": "، ", "Ethi": "፣ "}


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # Validation guarantees every placeholder is known; never crash a reply over one.
        return ""


def line_params(
    sms_number: str,
    whatsapp_number: str,
    line_name: str = "SAMEN",
    quiet_hours: str = "21:00-09:00",
    reply_hours: int = 24,
    keep_days: int = 7,
) -> dict[str, str]:
    """The values every message may use: the line's own numbers, who runs it, its quiet hours
    (`SAMEN_QUIET_HOURS`), what the hand-over promises."""
    wa_digits = whatsapp_number.removeprefix("whatsapp:").lstrip("+")
    # The opt-in promises no announcement in these hours: the words come from the setting itself.
    # Off (development only: production requires them), the message names the usual hours.
    quiet_from, _, quiet_until = (quiet_hours.strip() or "21:00-09:00").partition("-")
    return {
        "quiet_from": quiet_from.strip(),
        "quiet_until": quiet_until.strip(),
        "line_name": line_name,
        "reply_hours": str(reply_hours),  # SAMEN_HANDOVER_REPLY_HOURS
        "keep_days": str(keep_days),  # SAMEN_HANDOVER_RETENTION_DAYS
        "sms_number": sms_number,
        "whatsapp_number": "+" + wa_digits if wa_digits else "",
        "whatsapp_link": f"https://wa.me/{wa_digits}" if wa_digits else "",
    }


class Renderer:
    """Renders references with the content and the line's fixed parameters."""

    def __init__(self, content: Content, params: Mapping[str, str]) -> None:
        self.content = content
        self.params = _Params(params)

    def message(self, locale: str, key: str, channel: Channel, **extra: str) -> str:
        """One catalogue message with its placeholders filled in."""
        template = self.content.catalogues[locale].messages[key].for_channel(channel)
        params = _Params(self.params)
        params.update(extra)
        if "whatsapp_hello" in placeholders(template) and params.get("whatsapp_link"):
            # A chat with the line that opens holding the line's own short ASCII hello: a link
            # that fits in a forwarded SMS in any language, never a line of encoded script.
            params["whatsapp_hello"] = f"{params['whatsapp_link']}?text={quote(self.content.flow.hello, safe='')}"
        if "hello" in placeholders(template) and params.get("code"):
            # A mediator's forward text: the hello of this language with their referral code,
            # for SMS in capitals ("SMS HI K7Q to ..."), and a WhatsApp chat that opens holding it.
            hello = self.content.catalogues[locale].keywords.get("menu", ("hi",))[0]
            params["hello"] = f"{hello.upper()} {params['code']}"
            if params.get("whatsapp_link"):
                opener = quote(f"{hello.capitalize()} {params['code']}", safe="")
                params["hello_link"] = f"{params['whatsapp_link']}?text={opener}"
        return template.format_map(params)

    def render(self, locale: str, refs: Iterable[Ref], channel: Channel) -> str:
        """One message: each reference rendered, blocks separated by a blank line."""
        return "\n\n".join(self._block(locale, ref, channel) for ref in refs).strip()

    def render_messages(self, locale: str, refs: tuple[Reply, ...], channel: Channel) -> list[str]:
        """Every message a reply is sent as (a text to forward goes alone), each rendered."""
        return [self.render(locale, part, channel) for part in split_messages(refs)]

    def _block(self, locale: str, ref: Ref, channel: Channel) -> str:
        flow = self.content.flow
        match ref:
            case Msg(key):
                return self.message(locale, key, channel)
            case Greeting(order):
                # Before a language is chosen: greet in each language of the script the first
                # message showed (Arabic letters: Arabic and Farsi), so a Dari reader is greeted too.
                # Nothing to go by (a voice note, a Latin-letter text with no keyword): Dutch and English.
                # Each greeting says the line is automatic and how to ask for a person (issues #20, #21).
                statement = flow.messages["automatic_short"]
                return "\n".join(
                    greeting_line(self.message(loc, flow.greeting, channel), self.message(loc, statement, channel))
                    for loc in self.content.readers(order)
                )
            case Notice(order):
                # Free text before a language is chosen: the automatic-line notice in the likeliest
                # language (two notices cost four to six SMS); the language menu follows as its own message.
                return self.message(self.content.readers(order)[0], flow.messages["automatic"], channel)
            case Region(code):
                # The region someone chose for announcements, named in their language.
                if code == ALL_NL:
                    return self.message(locale, "subscribe.region_all", channel)
                region = self.content.regions.get(code, code)
                return self.message(locale, "subscribe.region_named", channel, region=region)
            case Languages(order):
                return self._languages(locale, order, channel)
            case Menu(node):
                return self._menu(locale, node, channel)
            case Services(code, need):
                return self._place(locale, code, channel, need)
            case PlacePick(key):
                return self._pick(locale, key, channel)
            case Organisations(region):
                return self._community(locale, region, channel)
            case Entry(entry_id):
                # Sent alone (a helper inserts it): with the footer, 112 on it as on every message; an
                # entry gone from the directory since leaves the footer, never an empty body.
                found = [self.service(locale, s, channel) for s in self.content.directory.services if s.id == entry_id]
                return "\n".join((*found, self.message(locale, self.content.flow.footer, channel)))
            case _:
                assert_never(ref)

    def written(self, locale: str, text: str, channel: Channel) -> str:
        """Text a person wrote (a helper's message), with the footer every message ends with: 112 is on each."""
        return "\n".join((text.strip(), self.message(locale, self.content.flow.footer, channel)))

    def _languages(self, locale: str, order: MenuOrder | None, channel: Channel) -> str:
        flow = self.content.flow
        menu = self.content.language_menu(menu_key(order))
        return language_menu_text(
            self.message(locale, flow.choose_language, channel),
            [self.content.language_name(loc, channel) for loc in menu.shown],
            self.message(locale, flow.messages["more_languages"], channel) if menu.more is not None else None,
            self.message(locale, flow.footer, channel),
        )

    def _menu(self, locale: str, name: str, channel: Channel) -> str:
        flow = self.content.flow
        node = flow.nodes[name]
        # A message may have no SMS form ("" = left out to save a segment): no empty line for it.
        lines = [text for key in node.say if (text := self.message(locale, key, channel))]
        for i, option in enumerate(node.options, 1):
            title = flow.nodes[option].title
            assert title is not None  # checked when the flow was loaded
            lines.append(f"{i} {self.message(locale, title, channel)}")
        if node.directory:
            directory = self.content.directory
            lines += [self.service(locale, s, channel) for s in directory.for_need(node.directory)]
        # The main menu ends with 112 alone: "0 Menu" on the menu itself is a line paid for nothing.
        lines.append(self.message(locale, flow.footer_of(name), channel))
        return "\n".join(lines)

    def service(self, locale: str, service: Service, channel: Channel) -> str:
        """One directory entry: name and contact, then what it is for, cost, hours, anonymity."""
        contact = service.contact()
        if channel is Channel.WHATSAPP and service.phone and service.chat:
            contact += f" / {service.chat}"
        facts = []
        if service.cost != "unknown":
            facts.append(self.message(locale, f"directory.cost.{service.cost}", channel))
        if service.hours != "unknown":
            facts.append(self.message(locale, f"directory.hours.{service.hours}", channel))
        if service.anonymous != "unknown":
            facts.append(self.message(locale, f"directory.anonymous.{service.anonymous}", channel))
        catalogues = self.content.catalogues
        facts += [catalogues[lang].name for lang in service.languages if lang in catalogues and lang != locale]
        if service.interpreters:
            facts.append(self.message(locale, "directory.interpreters", channel))
        if service.professionals and channel is Channel.WHATSAPP:
            facts.append(self.message(locale, "directory.professionals", channel))
        comma = _COMMA.get(self.content.catalogues[locale].script, ", ")
        # A service without a number of its own (a GP near you) is its name alone; nothing known, no brackets.
        head = f"{service.name} {contact}".strip()
        purpose = self.message(locale, service.purpose, channel)
        return f"{head}\n{purpose} ({comma.join(facts)})" if facts else f"{head}\n{purpose}"

    def _place(self, locale: str, code: str, channel: Channel, need: str = "") -> str:
        # A place screen: the services of the municipality ("" when unknown), then the national ones;
        # it names the municipality and region understood, so a wrong guess is seen at once. Asked
        # from a need's screen (health), it keeps to that need: its local services, then its national ones.
        directory = self.content.directory
        places = self.content.places
        place = places.by_code.get(code)
        local = directory.local(code) if place else []
        if need:
            return self._need_place(locale, place, [s for s in local if need in s.needs], need, channel)
        if place is None:
            lines = [self.message(locale, "services.place_unknown", channel)]
        elif local:
            lines = [self.message(locale, "services.place_local", channel, place=place.name, region=place.region)]
            lines += [self.service(locale, s, channel) for s in local]
            lines.append(self.message(locale, "services.everywhere", channel))
        else:
            lines = [self.message(locale, "services.place_none", channel, place=place.name, region=place.region)]
        lines += [f"{s.name} {s.contact()}" for s in directory.national_summary()]
        lines.append(self.message(locale, self.content.flow.footer, channel))
        return "\n".join(lines)

    def _need_place(self, locale: str, place: Place | None, local: list[Service], need: str, channel: Channel) -> str:
        lines = []
        if place is None:
            lines.append(self.message(locale, "services.place_unknown", channel))
        elif local:
            lines.append(self.message(locale, "services.place_local", channel, place=place.name, region=place.region))
            lines += [self.service(locale, s, channel) for s in local]
            lines.append(self.message(locale, "services.everywhere", channel))
        else:
            lines.append(self.message(locale, "services.place_none", channel, place=place.name, region=place.region))
        national = [s for s in self.content.directory.for_need(need) if s not in local]
        lines += [self.service(locale, s, channel) for s in national]
        lines.append(self.message(locale, self.content.flow.footer, channel))
        return "\n".join(lines)

    def _pick(self, locale: str, key: str, channel: Channel) -> str:
        # "Did you mean Hoofddorp (Haarlemmermeer)? 1 Yes", or "Which Bergen? 1 Bergen (NH.), <region> 2 ..."
        places = self.content.places
        name = places.names.get(key)
        footer = self.message(locale, self.content.flow.footer, channel)
        if name is None:
            return "\n".join((self.message(locale, self.content.flow.not_understood, channel), footer))
        if len(name.codes) == 1:
            lines = [self.message(locale, "where.did_you_mean", channel, place=places.shown(key))]
            lines.append(f"1 {self.message(locale, 'where.yes', channel)}")
        else:
            comma = _COMMA.get(self.content.catalogues[locale].script, ", ")
            lines = [self.message(locale, "where.which", channel, place=name.shown)]
            choices = (places.by_code[code] for code in name.codes)
            lines += [f"{i} {place.name}{comma}{place.region}" for i, place in enumerate(choices, 1)]
        lines.append(footer)
        return "\n".join(lines)

    def _community(self, locale: str, region: str, channel: Channel) -> str:
        # "Someone from your community": the region's organisations in this language, then the
        # national ones; when there are none, say so and give the services that help everyone.
        local, national = listed_for(self.content.community, region, locale)
        lines = [self.message(locale, "services.community.unknown", channel)] if not region else []
        if local or national:
            lines.append(self.message(locale, "services.community.intro", channel))
            lines += [self._organisation(c, channel) for c in local]
            if local and national:
                lines.append(self.message(locale, "services.community.national", channel))
            lines += [self._organisation(c, channel) for c in national]
        else:
            lines.append(self.message(locale, "services.community.none", channel))
            directory = self.content.directory
            lines += [f"{s.name} {s.contact()}" for s in directory.national_summary()]
        lines.append(self.message(locale, self.content.flow.footer, channel))
        return "\n".join(lines)

    def _organisation(self, entry: Community, channel: Channel) -> str:
        ways = [entry.phone]
        if entry.whatsapp:
            digits = entry.whatsapp.removeprefix("whatsapp:").lstrip("+").replace(" ", "").replace("-", "")
            ways.append(f"wa.me/{digits}" if channel is Channel.WHATSAPP else f"WhatsApp {entry.whatsapp}")
        ways.append(entry.web)
        names = [self.content.catalogues[lang].name for lang in entry.languages if lang in self.content.catalogues]
        head = f"{entry.name} {' / '.join(w for w in ways if w)}"
        body = f"{entry.offers} ({', '.join(names)})" if entry.offers else f"({', '.join(names)})"
        return f"{head}\n{body}"

