"""The flow engine: one person's state and one message in, new state and the reply out. No I/O.

A reply is a list of references (`("msg", key)`, `("menu", node)`, `("languages", hint)`,
`("greeting", hint)`, `("services", municipality code)`), not text:
the worker renders them in the reply's language, so neither Redis nor a job ever holds reply text,
and nothing of what the person typed leaves this function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.flow import LANGUAGE_NODE_TYPE, Flow, Node
from samen_sms.content.text import digit_value, dominant_script, words
from samen_sms.core.identity import Channel

# Twilio answers these itself on SMS (and still forwards them): the line must stay silent.
TWILIO_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
TWILIO_START_WORDS = frozenset({"start", "yes", "unstop"})
# Keyword actions that only count as the whole message: "stop hitting me" is not an opt-out.
WHOLE_MESSAGE_ACTIONS = frozenset({"stop", "start", "delete"})

Ref = tuple[str, str]


@dataclass(frozen=True)
class Lexicon:
    """Every keyword of every language, folded, with the action it means and its language."""

    first_word: Mapping[str, tuple[str, str]]
    whole: Mapping[str, tuple[str, str]]

    @classmethod
    def build(cls, flow: Flow, catalogues: Mapping[str, Catalogue]) -> Lexicon:
        first: dict[str, tuple[str, str]] = {}
        whole: dict[str, tuple[str, str]] = {}
        for locale in flow.languages:
            for action, keywords in catalogues[locale].keywords.items():
                for keyword in keywords:
                    folded = " ".join(words(keyword))
                    if not folded:
                        continue
                    table = whole if action in WHOLE_MESSAGE_ACTIONS else first
                    table.setdefault(folded, (action, locale))
        return cls(first, whole)


InputHandler = Callable[["Content", "Visit", str, str], "Outcome | None"]


@dataclass(frozen=True)
class Content:
    """Everything the engine reads: the flow, the catalogues and the keywords built from them.

    `inputs` maps a node's `input` name to a pure handler for free text typed at that node
    (after keywords, before digits): `handler(content, visit, text, locale)` returns an Outcome,
    or None to let the node treat the text as usual. `data` holds what handlers read
    (the service directory, places, ...), loaded and validated at start like everything else.
    """

    flow: Flow
    catalogues: Mapping[str, Catalogue]
    lexicon: Lexicon
    inputs: Mapping[str, InputHandler] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        flow: Flow,
        catalogues: Mapping[str, Catalogue],
        inputs: Mapping[str, InputHandler] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Content:
        missing = sorted(flow.message_keys() - set(catalogues[flow.languages[0]].messages))
        if missing:
            raise ValueError(f"flow uses messages no catalogue has: {', '.join(missing)}")
        unknown = {action for cat in catalogues.values() for action in cat.keywords if action not in flow.keywords}
        if unknown:
            raise ValueError(f"catalogue keywords for actions the flow does not know: {sorted(unknown)}")
        handlers = dict(inputs or {})
        for node in flow.nodes.values():
            if node.input and node.input not in handlers:
                raise ValueError(f"node {node.name!r} names input handler {node.input!r}, which is not registered")
        return cls(flow, catalogues, Lexicon.build(flow, catalogues), handlers, dict(data or {}))

    def language_order(self, hint: str | None) -> list[str]:
        """Languages as the language menu lists them: the hinted language or script first."""
        order = list(self.flow.languages)
        if not hint:
            return order
        first: list[str] = []
        if hint in self.catalogues:
            # A keyword's language first, then the others in its script (salam: Arabic, then Farsi).
            first = [hint]
            hint = self.catalogues[hint].script
            if hint == "Latn":
                # Most languages are written in Latin letters: that says nothing more.
                return first + [loc for loc in order if loc != first[0]]
        first += [loc for loc in order if self.catalogues[loc].script == hint and loc not in first]
        return first + [loc for loc in order if loc not in first]


@dataclass(frozen=True)
class Visit:
    """What the line knows when a message arrives: where the person was, and their language."""

    node: str | None = None
    locale: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The new state, the reply (empty: send nothing) and side effects for the caller to carry out."""

    node: str | None
    locale: str | None
    reply_locale: str
    replies: tuple[Ref, ...] = ()
    effects: tuple[str, ...] = ()
    hint: str | None = None


def step(content: Content, visit: Visit, text: str, channel: Channel) -> Outcome:
    """Move one person one step through the flow."""
    flow = content.flow
    folded = words(text)
    whole = " ".join(folded)
    locale = visit.locale if visit.locale in content.catalogues else None

    if channel is Channel.SMS and whole in TWILIO_STOP_WORDS:
        return Outcome(None, locale, locale or flow.languages[0], (), ("stop",))
    if channel is Channel.SMS and whole in TWILIO_START_WORDS:
        return Outcome(visit.node, locale, locale or flow.languages[0], (), ("start",), hint=visit.hint)

    action, keyword_locale = (
        content.lexicon.whole.get(whole)
        or (content.lexicon.first_word.get(folded[0]) if folded else None)
        or (None, None)
    )
    reply_locale = locale or keyword_locale or _guess_locale(content, text)

    if action in WHOLE_MESSAGE_ACTIONS:
        return _builtin(content, action, visit, locale, reply_locale, channel)

    if locale is None:
        return _choose_language(content, visit, text, keyword_locale)

    target = flow.keywords.get(action) if action else None
    if target:
        return _show(content, target, locale)

    number = digit_value(text)
    here = flow.node(visit.node) if visit.node else None
    if number == 0:
        return _show(content, flow.main, locale)
    if here is None:
        # A returning person whose session expired: greet, then the main menu.
        return Outcome(flow.main, locale, locale, (("msg", flow.greeting), ("menu", flow.main)))
    if here.input and (number is None or not here.options):
        handled = content.inputs[here.input](content, visit, text, locale)
        if handled is not None:
            return handled
    if number is not None:
        options = _options(content, here, visit.hint)
        if 1 <= number <= len(options):
            chosen = options[number - 1]
            if here.type == LANGUAGE_NODE_TYPE:
                return _show(content, flow.main, chosen)
            return _show(content, chosen, locale)
    shown = here if (here.options or here.type == LANGUAGE_NODE_TYPE) else flow.node(here.back or flow.main)
    return Outcome(
        shown.name,
        locale,
        locale,
        (("msg", flow.not_understood), _screen(content, shown.name, visit.hint)),
        hint=visit.hint if shown.type == LANGUAGE_NODE_TYPE else None,
    )


def _options(content: Content, node: Node, hint: str | None) -> list[str]:
    if node.type == LANGUAGE_NODE_TYPE:
        return content.language_order(hint)
    return list(node.options)


def _screen(content: Content, node: str, hint: str | None = None) -> Ref:
    if content.flow.nodes[node].type == LANGUAGE_NODE_TYPE:
        return ("languages", hint or "")
    return ("menu", node)


def _show(content: Content, node: str, locale: str) -> Outcome:
    return Outcome(node, locale, locale, (_screen(content, node),))


def _guess_locale(content: Content, text: str) -> str:
    script = dominant_script(text)
    for loc in content.flow.languages:
        if script and script != "Latn" and content.catalogues[loc].script == script:
            return loc
    return content.flow.languages[0]


def _choose_language(content: Content, visit: Visit, text: str, keyword_locale: str | None) -> Outcome:
    flow = content.flow
    if visit.node == flow.language:
        number = digit_value(text)
        order = content.language_order(visit.hint)
        if number is not None and 1 <= number <= len(order):
            chosen = order[number - 1]
            return _show(content, flow.main, chosen)
    hint = keyword_locale or dominant_script(text)
    if hint == "Latn":
        hint = None
    first = content.language_order(hint)[0]
    return Outcome(
        flow.language,
        None,
        first,
        (("greeting", hint or ""), ("languages", hint or "")),
        hint=hint,
    )


def _builtin(
    content: Content, action: str, visit: Visit, locale: str | None, reply_locale: str, channel: Channel
) -> Outcome:
    flow = content.flow
    if action == "stop":
        # On SMS Twilio has answered already; on WhatsApp we confirm ourselves.
        replies: tuple[Ref, ...] = (("msg", flow.messages["stopped"]),) if channel is Channel.WHATSAPP else ()
        return Outcome(None, locale, reply_locale, replies, ("stop",))
    if action == "start":
        return Outcome(
            flow.main, locale, reply_locale, (("msg", flow.messages["started"]), ("menu", flow.main)), ("start",)
        )
    # delete: everything goes, including the remembered language.
    return Outcome(None, None, reply_locale, (("msg", flow.messages["deleted"]),), ("delete",))
