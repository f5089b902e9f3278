"""Turning reply references into the text that is sent, in one language, for one channel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

from samen_sms.content.catalogue import placeholders
from samen_sms.content.directory import Directory, Service
from samen_sms.content.engine import Content, Ref
from samen_sms.content.languages import MORE_DIGIT
from samen_sms.content.optin import ALL_NL
from samen_sms.content.places import Places
from samen_sms.core.identity import Channel

# The comma each script writes between facts (Arabic and Farsi turn it, Ge'ez has its own).
_COMMA = {"Arab": "، ", "Ethi": "፣ "}


class _Params(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # Validation guarantees every placeholder is known; never crash a reply over one.
        return ""


def line_params(sms_number: str, whatsapp_number: str) -> dict[str, str]:
    """The values every message may use: the line's own numbers."""
    wa_digits = whatsapp_number.removeprefix("whatsapp:").lstrip("+")
    return {
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
        if "share_text" in placeholders(template):
            params["share_text"] = quote(self.message(locale, "share.forward_text", channel, **extra), safe="")
        if "whatsapp_hello" in placeholders(template) and params.get("whatsapp_link"):
            # A chat with the line that opens holding a hello in this language, so the
            # language menu that answers lists this language first.
            hello = self.content.catalogues[locale].keywords.get("menu", ("hi",))[0]
            params["whatsapp_hello"] = f"{params['whatsapp_link']}?text={quote(hello, safe='')}"
        return template.format_map(params)

    def render(self, locale: str, refs: Iterable[Ref], channel: Channel) -> str:
        """The whole reply: each reference rendered, blocks separated by a blank line."""
        return "\n\n".join(self._block(locale, ref, channel) for ref in refs).strip()

    def _block(self, locale: str, ref: Ref, channel: Channel) -> str:
        kind, name = ref
        flow = self.content.flow
        if kind == "msg":
            return self.message(locale, name, channel)
        if kind == "greeting":
            # Before a language is chosen: greet in the likeliest language only; the menu below
            # names every language of the script in its own words (five greetings would cost 2 SMS).
            return self.message(self.content.language_menu(name or None).shown[0], flow.greeting, channel)
        if kind == "region":
            # The region someone chose for announcements, named in their language.
            if name == ALL_NL:
                return self.message(locale, "subscribe.region_all", channel)
            region = self.content.data["regions"].get(name, name)
            return self.message(locale, "subscribe.region_named", channel, region=region)
        if kind == "languages":
            menu = self.content.language_menu(name or None)
            lines = [self.message(locale, flow.choose_language, channel)]
            lines += [f"{i} {self.content.catalogues[loc].name}" for i, loc in enumerate(menu.shown, 1)]
            if menu.more is not None:
                lines.append(f"{MORE_DIGIT} {self.message(locale, flow.messages['more_languages'], channel)}")
            lines.append(self.message(locale, flow.footer, channel))
            return "\n".join(lines)
        if kind == "menu":
            node = flow.nodes[name]
            lines = [self.message(locale, key, channel) for key in node.say]
            for i, option in enumerate(node.options, 1):
                title = flow.nodes[option].title
                assert title is not None  # checked when the flow was loaded
                lines.append(f"{i} {self.message(locale, title, channel)}")
            if node.directory:
                directory: Directory = self.content.data["directory"]
                lines += [self.service(locale, s, channel) for s in directory.for_need(node.directory)]
            lines.append(self.message(locale, flow.footer, channel))
            return "\n".join(lines)
        if kind == "services":
            return self._place(locale, name, channel)
        if kind == "place_pick":
            return self._pick(locale, name, channel)
        raise ValueError(f"unknown reply part {kind!r}")

    def service(self, locale: str, service: Service, channel: Channel) -> str:
        """One directory entry: name and contact, then what it is for, cost, hours, anonymity."""
        contact = service.contact()
        if channel is Channel.WHATSAPP and service.phone and service.chat:
            contact += f" / {service.chat}"
        facts = [self.message(locale, f"directory.cost.{service.cost}", channel)]
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
        return f"{service.name} {contact}\n{self.message(locale, service.purpose, channel)} ({comma.join(facts)})"

    def _place(self, locale: str, code: str, channel: Channel) -> str:
        # A place screen: the services of the municipality ("" when unknown), then the national ones;
        # it names the municipality and region understood, so a wrong guess is seen at once.
        directory: Directory = self.content.data["directory"]
        places: Places = self.content.data["places"]
        place = places.by_code.get(code)
        local = directory.local(code) if place else []
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

    def _pick(self, locale: str, key: str, channel: Channel) -> str:
        # "Did you mean Hoofddorp (Haarlemmermeer)? 1 Yes", or "Which Bergen? 1 Bergen (NH.), <region> 2 ..."
        places: Places = self.content.data["places"]
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
