"""The flow engine: one person's state and one message in, new state, the reply and effects out. No I/O.

Every decision about what to answer is made here, on the message's text read once (`Said`): the
rate-limit notice, the answer to a voice note or photo, the language of a reply before one was
chosen, help now for a danger word, the automatic-line notice for free text. A reply is a list of
references (`samen_sms.content.replies`), not text: the worker renders them in the reply's language,
so neither Redis nor a job ever holds reply text, and nothing of what the person typed leaves this
function. What else should happen is a typed `Effect`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import assert_never

from samen_sms.content import freetext
from samen_sms.content.catalogue import Catalogue
from samen_sms.content.directory import Community, Directory
from samen_sms.content.effects import Erase, LanguageChosen, Reached, Start, Stop
from samen_sms.content.flow import LANGUAGE_NODE_TYPE, Flow, WholeMessage
from samen_sms.content.guess import first_languages
from samen_sms.content.hints import Hint, LanguageOrder, MenuOrder, language_hint, menu_key, menu_order
from samen_sms.content.keywords import Lexicon
from samen_sms.content.languages import (
    MORE_DIGIT,
    LanguageMenu,
    greeting_line,
    language_menu,
    language_menu_text,
    language_order,
)
from samen_sms.content.model import Message, Outcome, Visit
from samen_sms.content.places import Places
from samen_sms.content.reading import read_out_code, whole_word
from samen_sms.content.replies import NEXT, Greeting, Languages, Menu, Msg, Notice, Ref, Reply
from samen_sms.content.said import Said
from samen_sms.content.smscost import cost
from samen_sms.content.text import words
from samen_sms.core.identity import Channel

__all__ = ["Content", "Message", "Outcome", "Visit", "reply_locale", "script_locales", "step"]

# Keyword actions that, typed in another language than the person's, offer to switch to it.
SWITCHING_ACTIONS = frozenset({"menu", "language"})
# Keywords that act before a language is chosen: a subscription outlives the remembered language
# (`SAMEN_PROFILE_TTL`), and a subscriber's sessions-stop word must stop announcements, not ask.
ACTING_FIRST = frozenset({"sessions_stop"})
# A first reply's messages cost at most this many SMS segments each (tests/test_languages.py).
FIRST_SCREEN_SEGMENTS = 3
# The keyword that asks for a person (issue #21): as a first message, it chooses its language.
PERSON_ACTION = "person"


# Where a stop word that is an everyday word too ("dur": wait) asks whether everything should stop.
ASK_STOP_NODE = "stop_confirm"


InputHandler = Callable[["Content", "Visit", "Message", str], "Outcome | None"]


@dataclass(frozen=True)
class Content:
    """Everything the engine reads: the flow, the catalogues and the keywords built from them.

    `inputs` maps a node's `input` name to a pure handler for free text typed at that node
    (after keywords, before digits): `handler(content, visit, message, locale)` returns an Outcome,
    or None to let the node treat the text as usual. The places, the service directory and the
    community entries are what handlers and the renderer read, loaded and validated at start.
    """

    flow: Flow
    catalogues: Mapping[str, Catalogue]
    lexicon: Lexicon
    places: Places
    directory: Directory
    community: tuple[Community, ...] = ()
    inputs: Mapping[str, InputHandler] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        flow: Flow,
        catalogues: Mapping[str, Catalogue],
        places: Places,
        directory: Directory,
        community: tuple[Community, ...] = (),
        inputs: Mapping[str, InputHandler] | None = None,
    ) -> Content:
        missing = sorted(flow.message_keys() - set(catalogues[flow.languages[0]].messages))
        if missing:
            raise ValueError(f"flow uses messages no catalogue has: {', '.join(missing)}")
        unknown = {action for cat in catalogues.values() for action in cat.keywords if action not in flow.keywords}
        if unknown:
            raise ValueError(f"catalogue keywords for actions the flow does not know: {sorted(unknown)}")
        if any(cat.ask_first for cat in catalogues.values()) and ASK_STOP_NODE not in flow.nodes:
            raise ValueError(f"catalogues ask before stopping, but the flow has no {ASK_STOP_NODE!r} screen")
        handlers = dict(inputs or {})
        for node in flow.nodes.values():
            if node.input and node.input not in handlers:
                raise ValueError(f"node {node.name!r} names input handler {node.input!r}, which is not registered")
        return cls(flow, catalogues, Lexicon.build(flow, catalogues), places, directory, community, handlers)

    def language_name(self, locale: str, channel: Channel) -> str:
        """A language's own name as a menu lists it: on SMS spelled as its SMS are ("Francais",
        "Türkce"), so a page of Latin-letter names stays GSM-7 (160 characters an SMS, not 70)."""
        catalogue = self.catalogues[locale]
        return catalogue.sms_spelling(catalogue.name) if channel is Channel.SMS else catalogue.name

    def readers(self, order: MenuOrder | None) -> list[str]:
        """The languages a first message is likely read in, each greeted: the two likeliest of its
        script (five languages write Arabic letters; two greetings keep the first screen within 3
        SMS), the keyword's language alone, or with nothing to go by (Latin letters, no keyword)
        Dutch and English."""
        hint = menu_key(order)
        shown = self.language_menu(hint).shown
        script = self.catalogues[shown[0]].script
        if hint in self.catalogues:
            return list(shown[:1])
        if hint and script != "Latn":
            return [loc for loc in shown if self.catalogues[loc].script == script][:2]
        return list(shown[:2])

    def greets_with_menu(self, order: MenuOrder | None) -> bool:
        """Whether the greeting goes in one SMS with the language menu: together it costs no more
        segments than apart, and at most 3 (the SMS texts as the renderer writes them; these have
        no placeholders). Two greetings in Arabic letters, or Farsi's, go apart."""
        flow, first = self.flow, self.language_menu(menu_key(order)).shown[0]

        def sms(locale: str, key: str) -> str:
            return self.catalogues[locale].messages[key].sms

        statement = flow.messages["automatic_short"]
        greeting = "\n".join(greeting_line(sms(loc, flow.greeting), sms(loc, statement)) for loc in self.readers(order))
        menu = self.language_menu(menu_key(order))
        names = [self.language_name(loc, Channel.SMS) for loc in menu.shown]
        more = sms(first, flow.messages["more_languages"]) if menu.more is not None else None
        languages = language_menu_text(sms(first, flow.choose_language), names, more, sms(first, flow.footer))
        together = cost(f"{greeting}\n\n{languages}").segments
        return together <= min(FIRST_SCREEN_SEGMENTS, cost(greeting).segments + cost(languages).segments)

    @property
    def regions(self) -> Mapping[str, str]:
        """Safety region code (`VR01`..`VR25`) -> its name."""
        return self.places.regions

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


def step(content: Content, visit: Visit, message: Message) -> Outcome:
    """Move one person one step through the flow; a reply to a first contact or an urgent screen is urgent."""
    outcome = _counted_step(content, visit, message)
    first_contact = visit.node is None and visit.locale not in content.catalogues
    shown = content.flow.nodes.get(outcome.node) if outcome.node else None
    if outcome.replies and (first_contact or (shown is not None and shown.urgent)):
        return replace(outcome, urgent=True)
    return outcome


def _counted_step(content: Content, visit: Visit, message: Message) -> Outcome:
    """One step; a message that begins a conversation is counted (`Reached`).

    A live referral code in it is counted too and then read out of the message, so the rest goes
    on exactly as without it.
    """
    if visit.node is not None:
        return _step(content, visit, message)
    message, code = read_out_code(visit, message)
    outcome = _step(content, visit, message)
    if not outcome.store or outcome.erases:
        return outcome
    new = visit.locale not in content.catalogues
    if not new and code is None:
        return outcome
    return replace(outcome, effects=(Reached(new, code), *outcome.effects))


def _step(content: Content, visit: Visit, message: Message) -> Outcome:
    locale = visit.locale if visit.locale in content.catalogues else None
    if message.limit and message.recent > message.limit:
        return _past_limit(content, visit, message, locale)
    if message.media and message.said.blank:
        if locale is None:
            # A voice note, photo or location first: greet, offer the languages (112 in the footer),
            # in the order the person may already have seen, so a digit keeps its meaning.
            hint = visit.hint if visit.node == content.flow.language else _guessed_hint(content, message)
            order = menu_order(hint)
            refs = _greeted(content, order, message, Languages(order))
            first = content.language_menu(menu_key(order)).shown[0]
            return Outcome(content.flow.language, None, first, refs, hint=hint)
        return _say(content, visit, locale, message.said, content.flow.messages["text_only"])
    return _respond(content, visit, message, locale)


def reply_locale(content: Content, visit: Visit, said: Said) -> str:
    """The person's language; before they chose one, the first the language menu showed them."""
    if visit.locale in content.catalogues:
        return str(visit.locale)
    if visit.hint is not None:
        return content.language_menu(menu_key(visit.hint)).shown[0]
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


def _past_limit(content: Content, visit: Visit, message: Message, locale: str | None) -> Outcome:
    """A message past the rate limit: stop, start and delete still take effect; replies stay bounded.

    A limit must never keep someone subscribed or keep their data. But a flood (perhaps from a
    spoofed sender) must cost the number at most limit + 1 replies per window, whatever it says:
    the first message past the limit gets the keyword's own reply (else the notice) and every later
    one nothing, not even an erasure's confirmation.
    """
    first_past = message.recent == message.limit + 1
    keyword = _whole_message(content, message, locale, visit)
    if keyword is not None:
        return keyword if first_past else replace(keyword, replies=())
    if first_past:
        return _say(content, visit, locale, message.said, content.flow.messages["rate_limited"])
    return Outcome(visit.node, locale, reply_locale(content, visit, message.said), hint=visit.hint, store=False)


def _whole_message(content: Content, message: Message, locale: str | None, visit: Visit) -> Outcome | None:
    """Stop, start or delete as the whole message (and Twilio's own words on SMS), else None."""
    word = whole_word(content.lexicon, message)
    if word is None:
        return None
    if word.carrier and word.action is WholeMessage.STOP:
        return Outcome(None, locale, locale or content.flow.languages[0], (), (Stop(),))
    if word.carrier:
        return Outcome(visit.node, locale, locale or content.flow.languages[0], (), (Start(),), hint=visit.hint)
    reply_in = locale or word.locale or script_locales(content, message.said)[0]
    if word.asks and visit.node != ASK_STOP_NODE:
        # "dur" may mean "wait": ask, in the person's language (a stranger's: the word's, kept as the hint).
        hint = None if locale else LanguageOrder(reply_in)
        return Outcome(ASK_STOP_NODE, locale, reply_in, (Menu(ASK_STOP_NODE),), hint=hint)
    return _builtin(content, word.action, locale, reply_in)


def _confirms_stop(content: Content, visit: Visit, said: Said, locale: str | None) -> Outcome | None:
    """At the question whether everything should stop: 1 or a yes word stops, as the word said twice does."""
    if visit.node != ASK_STOP_NODE:
        return None
    reply_in = locale or reply_locale(content, visit, said)
    yes = {" ".join(words(word)) for word in content.catalogues[reply_in].yes}
    if said.digit == 1 or said.whole in yes:
        return _builtin(content, WholeMessage.STOP, locale, reply_in)
    return None


def _say(content: Content, visit: Visit, locale: str | None, said: Said, key: str) -> Outcome:
    # A notice that leaves the person where they were, menu order included.
    return Outcome(visit.node, locale, reply_locale(content, visit, said), (Msg(key),), hint=visit.hint)


def _respond(content: Content, visit: Visit, message: Message, locale: str | None) -> Outcome:
    flow, lexicon = content.flow, content.lexicon
    said = message.said

    keyword = _whole_message(content, message, locale, visit) or _confirms_stop(content, visit, said, locale)
    if keyword is not None:
        return keyword
    action, keyword_locale = lexicon.lookup(said) or (None, None)
    danger = lexicon.danger(said)
    deleting = lexicon.delete_within(said) if action is None and danger is None else None
    if deleting and not lexicon.help_within(said):
        # "delete my messages": only the word alone erases; say so in one line, no notice naming services.
        reply_in = locale or next(iter(_guessed(content, message)), deleting)
        return Outcome(visit.node, locale, reply_in, (Msg(flow.messages["delete_hint"]),), hint=visit.hint)
    if locale is None:
        if action in ACTING_FIRST and keyword_locale and danger is None:
            # In the keyword's language, which stays unremembered, as the stop and delete words do.
            return replace(_show(content, flow.keywords[action], keyword_locale), node=None, locale=None)
        if action == PERSON_ACTION and keyword_locale and danger is None:
            return _person_first(content, message, keyword_locale)
        return _first_contact(content, visit, message, action, keyword_locale, danger)
    if danger is not None or (action is None and lexicon.help_within(said)):
        return freetext.help_now(flow, locale, danger is not None, first_contact=False)
    # A word several languages write (MENU, SOS) never changes a language already chosen.
    switching = action in SWITCHING_ACTIONS and not lexicon.shared(said)
    if switching and keyword_locale and not lexicon.speaks(said, locale):
        return freetext.offer_switch(flow, locale, keyword_locale)
    target = flow.keywords.get(action) if action else None
    if target:
        return _show(content, target, locale)
    return _at_screen(content, visit, message, locale)


def _at_screen(content: Content, visit: Visit, message: Message, locale: str) -> Outcome:
    flow, said = content.flow, message.said
    number = said.digit
    here = flow.node(visit.node) if visit.node else None
    if number == 0:
        return _show(content, flow.main, locale)
    if here is None:
        # A returning person whose conversation expired: greet, then the main menu.
        return Outcome(flow.main, locale, locale, (Msg(flow.greeting), Menu(flow.main)))
    if here.input and (number is None or not (here.options or here.answers)):
        handled = content.inputs[here.input](content, visit, message, locale)
        if handled is not None:
            return handled
    if number is not None and here.type == LANGUAGE_NODE_TYPE:
        picked = _pick_language(content, visit, number, locale)
        if picked is not None:
            return picked
    elif number is not None:
        options = list(here.options)
        if not options and here.answers and here.back:
            # An answer screen has no options: a digit means one of the screen it came from.
            options = list(flow.nodes[here.back].options)
        if 1 <= number <= len(options):
            return _show(content, options[number - 1], locale)
    shown = here if (here.options or here.type == LANGUAGE_NODE_TYPE) else flow.node(here.back or flow.main)
    return Outcome(
        shown.name,
        locale,
        locale,
        (*freetext.unanswered(flow, said), _screen(content, shown.name, visit.hint)),
        hint=visit.hint if shown.type == LANGUAGE_NODE_TYPE else None,
    )


def _pick_language(content: Content, visit: Visit, number: int, locale: str | None) -> Outcome | None:
    # A digit on the language menu: a language of the page shown, or 9 for the other page.
    flow = content.flow
    menu = content.language_menu(menu_key(visit.hint))
    chosen = menu.choice(number)
    if chosen is not None:
        main = _show(content, flow.main, chosen)
        return replace(main, effects=(*main.effects, LanguageChosen(chosen)))
    if number == MORE_DIGIT and menu.more is not None:
        shown = locale or menu.shown[0]
        more = language_hint(menu.more)
        return Outcome(flow.language, locale, shown, (Languages(more),), hint=more)
    return None


def _screen(content: Content, node: str, hint: Hint | None = None) -> Ref:
    if content.flow.nodes[node].type == LANGUAGE_NODE_TYPE:
        return Languages(menu_order(hint))
    return Menu(node)


def _show(content: Content, node: str, locale: str) -> Outcome:
    shown = content.flow.nodes[node]
    effects = (shown.effect,) if shown.effect else ()
    if shown.type == LANGUAGE_NODE_TYPE:
        # The person's language first, then the rest as on first contact: digits keep their meaning.
        order = LanguageOrder(locale)
        return Outcome(node, locale, locale, (Languages(order),), effects, hint=order)
    separate = tuple(ref for key in shown.separate for ref in (NEXT, Msg(key)))
    return Outcome(node, locale, locale, (Menu(node), *separate), effects)


def _guessed(content: Content, message: Message) -> tuple[str, ...]:
    # The languages a first message points to: letters, words, Lingua, keywords, the country code.
    return first_languages(content.lexicon, content.flow.languages, content.scripts, message.said, message.country)


def _guessed_hint(content: Content, message: Message) -> Hint | None:
    guessed = _guessed(content, message)
    return language_hint(guessed[0]) if guessed else None


def _first_contact(
    content: Content, visit: Visit, message: Message, action: str | None, keyword_locale: str | None, danger: str | None
) -> Outcome:
    # Before a language is chosen: a digit at the language menu chooses; help comes before choosing.
    flow, said = content.flow, message.said
    if visit.node == flow.language and said.digit is not None:
        picked = _pick_language(content, visit, said.digit, None)
        if picked is not None:
            return picked
    guessed = _guessed(content, message)
    helped = danger or content.lexicon.help_within(said)
    if helped:
        # In the language the whole message is written in ("help por favor": Spanish), else the word's.
        return freetext.help_now(flow, guessed[0] if guessed else helped, danger is not None, first_contact=True)
    best = guessed[0] if guessed else None
    hint: Hint | None = language_hint(best or keyword_locale or _letters_hint(content, said))
    if hint is None and visit.node == flow.language:
        # A number the menu does not list, or an emoji: the same page again, so a digit keeps its meaning.
        hint = visit.hint
    order = menu_order(hint)
    first = content.language_menu(menu_key(order)).shown[0]
    menu = Languages(order)
    if action is None and freetext.is_free_text(said):
        # The automatic-line notice and the language menu go as two messages: together they would
        # cost four to six SMS, apart each keeps to three. The menu opens with the person word.
        refs = (Notice(order), NEXT, Msg(flow.messages["person_offer"]), menu)
        return Outcome(flow.language, None, first, refs, hint=hint)
    return Outcome(flow.language, None, first, _greeted(content, order, message, menu), hint=hint)


def _greeted(content: Content, order: MenuOrder | None, message: Message, menu: Languages) -> tuple[Reply, ...]:
    # The greeting (with the automatic-line statement) and the language menu: one message where
    # that costs fewer SMS segments (one language greeted, in a script sent in UCS-2 anyway), else two.
    together = message.channel is Channel.WHATSAPP or content.greets_with_menu(order)
    return (Greeting(order), menu) if together else (Greeting(order), NEXT, menu)


def _person_first(content: Content, message: Message, keyword_locale: str) -> Outcome:
    # The person word as a first message (the statement on a first reply offers it): asking for a
    # person in the word's language, remembered (a helper is found by it), else a word several
    # languages write (شخص) in the language the message is likeliest written in.
    guessed = _guessed(content, message)
    chosen = next((loc for loc in guessed if content.lexicon.speaks(message.said, loc)), keyword_locale)
    shown = _show(content, content.flow.keywords[PERSON_ACTION], chosen)
    statement = Msg(content.flow.messages["automatic_short"])
    return replace(shown, replies=(statement, *shown.replies), effects=(*shown.effects, LanguageChosen(chosen)))


def _builtin(content: Content, action: WholeMessage, locale: str | None, reply_in: str) -> Outcome:
    flow = content.flow
    match action:
        case WholeMessage.STOP:
            # Twilio's own stop words on SMS never get here (Twilio answers those itself); our words
            # ("afmelden", "توقف") Twilio does not know, so on SMS too only the line can confirm them.
            return Outcome(None, locale, reply_in, (Msg(flow.messages["stopped"]),), (Stop(),))
        case WholeMessage.START:
            return Outcome(
                flow.main, locale, reply_in, (Msg(flow.messages["started"]), Menu(flow.main)), (Start(),)
            )
        case WholeMessage.DELETE:
            # Everything goes, including the remembered language.
            return Outcome(None, None, reply_in, (Msg(flow.messages["deleted"]),), (Erase(),))
        case _:
            assert_never(action)
