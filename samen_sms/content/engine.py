"""The flow engine: one person's state and one message in, new state, the reply and effects out. No I/O.

Every decision about what to answer is made here, on the message's text read once (`Said`): the
rate-limit notice, the answer to a voice note or photo, the language of a reply before one was
chosen. A reply is a list of references (`("msg", key)`, `("menu", node)`, `("languages", hint)`,
`("greeting", hint)`, `("services", municipality code)`, `("region", code)`, `("place_pick", key of a
name in the place data)`), not text: the worker
renders them in the reply's language, so neither Redis nor a job ever holds reply text, and nothing
of what the person typed leaves this function. What else should happen is a typed `Effect`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.effects import Effect, Erase, Start, Stop
from samen_sms.content.flow import LANGUAGE_NODE_TYPE, Flow
from samen_sms.content.languages import MORE_DIGIT, LanguageMenu, language_menu, language_order
from samen_sms.content.lexicon import WHOLE_MESSAGE_ACTIONS, Lexicon
from samen_sms.content.text import Said
from samen_sms.core.identity import Channel

# Twilio answers these itself on SMS (and still forwards them): the line must stay silent.
TWILIO_STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
TWILIO_START_WORDS = frozenset({"start", "yes", "unstop"})

Ref = tuple[str, str]


InputHandler = Callable[["Content", "Visit", "Message", str], "Outcome | None"]


@dataclass(frozen=True)
class Content:
    """Everything the engine reads: the flow, the catalogues and the keywords built from them.

    `inputs` maps a node's `input` name to a pure handler for free text typed at that node
    (after keywords, before digits): `handler(content, visit, message, locale)` returns an Outcome,
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
        """Languages as the language menu lists them: the hinted language, then the rest of its script."""
        return language_order(self.flow.languages, self.scripts, hint)

    def language_menu(self, hint: str | None) -> LanguageMenu:
        """The page of the language menu a hint shows."""
        return language_menu(self.flow.languages, self.scripts, hint)

    @property
    def scripts(self) -> dict[str, str]:
        """Each offered language's script."""
        return {loc: cat.script for loc, cat in self.catalogues.items()}


@dataclass(frozen=True)
class Visit:
    """What the line knows when a message arrives: where the person was, and their language."""

    node: str | None = None
    locale: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Message:
    """One message in: what was said (read once), the channel, media attached, and the rate so far."""

    said: Said
    channel: Channel
    media: int = 0
    recent: int = 0  # messages from this person in the current rate window, this one included
    limit: int = 0  # above this many in a window: one notice, then silence; 0 means no limit

    @classmethod
    def of(cls, text: str, channel: Channel, media: int = 0, recent: int = 0, limit: int = 0) -> Message:
        """A message from its raw text (read here, once)."""
        return cls(Said.read(text), channel, media, recent, limit)


@dataclass(frozen=True)
class Outcome:
    """The new state, the reply (empty: send nothing) and effects for the caller to carry out.

    `store` is False when nothing at all changes (a flood past its notice): the caller need not write.
    """

    node: str | None
    locale: str | None
    reply_locale: str
    replies: tuple[Ref, ...] = ()
    effects: tuple[Effect, ...] = ()
    hint: str | None = None
    store: bool = True

    @property
    def erases(self) -> bool:
        """Whether this step forgets the person (its confirmation must then leave no trace)."""
        return any(isinstance(effect, Erase) for effect in self.effects)


def step(content: Content, visit: Visit, message: Message) -> Outcome:
    """Move one person one step through the flow."""
    locale = visit.locale if visit.locale in content.catalogues else None
    if message.limit and message.recent > message.limit:
        if message.recent > message.limit + 1:
            return Outcome(visit.node, locale, reply_locale(content, visit, message.said), hint=visit.hint, store=False)
        notice = content.flow.messages["rate_limited"]
        return _say(content, visit, locale, message.said, notice)
    if message.media and message.said.blank:
        return _say(content, visit, locale, message.said, content.flow.messages["text_only"])
    return _respond(content, visit, message, locale)


def reply_locale(content: Content, visit: Visit, said: Said) -> str:
    """The person's language; before they chose one, the first the language menu showed them."""
    if visit.locale in content.catalogues:
        return str(visit.locale)
    if visit.hint:
        return content.language_menu(visit.hint).shown[0]
    return script_locales(content, said)[0]


def script_locales(content: Content, said: Said) -> list[str]:
    """The two likeliest languages of the message's letters (Arabic letters: Arabic and Farsi), else the first two.

    Two, not every language of the script: the emergency fallback is written in each of them.
    """
    languages = content.flow.languages
    if said.script and said.script != "Latn":
        same = content.language_order(_letters_hint(content, said))
        same = [loc for loc in same if content.catalogues[loc].script == said.script]
        if same:
            return same[:2]
    return list(languages[:2])


def _letters_hint(content: Content, said: Said) -> str | None:
    # The likeliest offered language the letters point to, else their script.
    return next((loc for loc in said.languages if loc in content.catalogues), said.script)


def _say(content: Content, visit: Visit, locale: str | None, said: Said, key: str) -> Outcome:
    # A notice that leaves the person where they were, menu order included.
    return Outcome(visit.node, locale, reply_locale(content, visit, said), (("msg", key),), hint=visit.hint)


def _respond(content: Content, visit: Visit, message: Message, locale: str | None) -> Outcome:
    flow = content.flow
    said, channel = message.said, message.channel
    whole = said.whole

    if channel is Channel.SMS and whole in TWILIO_STOP_WORDS:
        return Outcome(None, locale, locale or flow.languages[0], (), (Stop(),))
    if channel is Channel.SMS and whole in TWILIO_START_WORDS:
        return Outcome(visit.node, locale, locale or flow.languages[0], (), (Start(),), hint=visit.hint)

    action, keyword_locale = content.lexicon.match(said)
    reply_in = locale or keyword_locale or script_locales(content, said)[0]

    if action in WHOLE_MESSAGE_ACTIONS:
        return _builtin(content, action, locale, reply_in)

    if locale is None:
        return _choose_language(content, visit, said, keyword_locale)

    target = flow.keywords.get(action) if action else None
    if target:
        return _show(content, target, locale)

    number = said.digit
    here = flow.node(visit.node) if visit.node else None
    if number == 0:
        return _show(content, flow.main, locale)
    if here is None:
        # A returning person whose conversation expired: greet, then the main menu.
        return Outcome(flow.main, locale, locale, (("msg", flow.greeting), ("menu", flow.main)))
    if here.input and (number is None or not here.options):
        handled = content.inputs[here.input](content, visit, message, locale)
        if handled is not None:
            return handled
    if number is not None and here.type == LANGUAGE_NODE_TYPE:
        picked = _pick_language(content, visit, number, locale)
        if picked is not None:
            return picked
    elif number is not None and 1 <= number <= len(here.options):
        return _show(content, here.options[number - 1], locale)
    shown = here if (here.options or here.type == LANGUAGE_NODE_TYPE) else flow.node(here.back or flow.main)
    return Outcome(
        shown.name,
        locale,
        locale,
        (("msg", flow.not_understood), _screen(content, shown.name, visit.hint)),
        hint=visit.hint if shown.type == LANGUAGE_NODE_TYPE else None,
    )


def _pick_language(content: Content, visit: Visit, number: int, locale: str | None) -> Outcome | None:
    # A digit on the language menu: a language of the page shown, or 9 for the other page.
    menu = content.language_menu(visit.hint)
    chosen = menu.choice(number)
    if chosen is not None:
        return _show(content, content.flow.main, chosen)
    if number == MORE_DIGIT and menu.more is not None:
        shown = locale or menu.shown[0]
        return Outcome(content.flow.language, locale, shown, (("languages", menu.more),), hint=menu.more)
    return None


def _screen(content: Content, node: str, hint: str | None = None) -> Ref:
    if content.flow.nodes[node].type == LANGUAGE_NODE_TYPE:
        return ("languages", hint or "")
    return ("menu", node)


def _show(content: Content, node: str, locale: str) -> Outcome:
    effect = content.flow.nodes[node].effect
    # The language menu opens on the person's own script (a Farsi reader finds Dari beside it).
    hint = locale if content.flow.nodes[node].type == LANGUAGE_NODE_TYPE else None
    return Outcome(node, locale, locale, (_screen(content, node, hint),), (effect,) if effect else (), hint=hint)


def _choose_language(content: Content, visit: Visit, said: Said, keyword_locale: str | None) -> Outcome:
    flow = content.flow
    if visit.node == flow.language and said.digit is not None:
        picked = _pick_language(content, visit, said.digit, None)
        if picked is not None:
            return picked
    hint = keyword_locale or _letters_hint(content, said)
    first = content.language_order(hint)[0]
    return Outcome(
        flow.language,
        None,
        first,
        (("greeting", hint or ""), ("languages", hint or "")),
        hint=hint,
    )


def _builtin(content: Content, action: str, locale: str | None, reply_in: str) -> Outcome:
    flow = content.flow
    if action == "stop":
        # Twilio's own stop words on SMS never get here (Twilio answers those itself); our words
        # ("afmelden", "توقف") Twilio does not know, so on SMS too only the line can confirm them.
        return Outcome(None, locale, reply_in, (("msg", flow.messages["stopped"]),), (Stop(),))
    if action == "start":
        return Outcome(
            flow.main, locale, reply_in, (("msg", flow.messages["started"]), ("menu", flow.main)), (Start(),)
        )
    # delete: everything goes, including the remembered language.
    return Outcome(None, None, reply_in, (("msg", flow.messages["deleted"]),), (Erase(),))
