"""Turning reply references into the text that is sent, in one language, for one channel."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from urllib.parse import quote

from samen_sms.catalogue import placeholders
from samen_sms.engine import Content, Ref
from samen_sms.identity import Channel


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
        # Extra reply parts by kind: `block(locale, name, channel) -> text` (e.g. a chosen region).
        self.blocks: dict[str, Callable[[str, str, Channel], str]] = {}

    def message(self, locale: str, key: str, channel: Channel, **extra: str) -> str:
        """One catalogue message with its placeholders filled in."""
        template = self.content.catalogues[locale].messages[key].for_channel(channel)
        params = _Params(self.params)
        params.update(extra)
        if "share_text" in placeholders(template):
            params["share_text"] = quote(self.message(locale, "share.forward_text", channel, **extra))
        return template.format_map(params)

    def render(self, locale: str, refs: Iterable[Ref], channel: Channel) -> str:
        """The whole reply: each reference rendered, blocks separated by a blank line."""
        return "\n\n".join(self._block(locale, ref, channel) for ref in refs).strip()

    def _block(self, locale: str, ref: Ref, channel: Channel) -> str:
        kind, name = ref
        flow = self.content.flow
        if kind == "msg":
            return self.message(locale, name, channel)
        if kind in self.blocks:
            return self.blocks[kind](locale, name, channel)
        if kind == "languages":
            order = self.content.language_order(name or None)
            lines = [self.message(locale, flow.choose_language, channel)]
            lines += [f"{i} {self.content.catalogues[loc].name}" for i, loc in enumerate(order, 1)]
            lines.append(self.message(locale, flow.footer, channel))
            return "\n".join(lines)
        if kind == "menu":
            node = flow.nodes[name]
            lines = [self.message(locale, key, channel) for key in node.say]
            for i, option in enumerate(node.options, 1):
                title = flow.nodes[option].title
                assert title is not None  # checked when the flow was loaded
                lines.append(f"{i} {self.message(locale, title, channel)}")
            lines.append(self.message(locale, flow.footer, channel))
            return "\n".join(lines)
        raise ValueError(f"unknown reply part {kind!r}")
