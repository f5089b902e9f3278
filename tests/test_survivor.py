"""Issue #10, survivor first: never silent, no dead ends, help first, and the line says it is automatic."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import redis

from samen_sms.authoring import langcheck
from samen_sms.content.effects import Stop
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.hints import LanguageOrder, menu_key
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.replies import Languages, Menu, Msg, Notice
from samen_sms.content.text import fold, words
from samen_sms.content.visits import next_visit
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import ALICE, PostFn, content_of, inbound, line_languages, sent_to

LANGUAGES = line_languages()


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env({"SAMEN_ENV": "development", "SAMEN_LINE_NAME": "Stichting Voorbeeld"})
    return Renderer(content_of(cfg), line_params("+447700900000", "whatsapp:+447700900001", cfg.line_name))


@pytest.fixture(scope="module")
def content(renderer: Renderer) -> Content:
    return renderer.content


def said(renderer: Renderer, visit: Visit, text: str, channel: Channel = Channel.SMS, media: int = 0) -> list[str]:
    outcome = step(renderer.content, visit, Message.of(text, channel, media))
    return renderer.render_messages(outcome.reply_locale, outcome.replies, channel)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_danger_word_anywhere_brings_help_now_in_every_language(content: Content, locale: str) -> None:
    danger = content.catalogues[locale].keywords["danger"]
    assert danger, locale
    for word in danger:
        first = step(content, Visit(), Message.of(f"please {word} now", Channel.SMS))
        assert first.node == "help_now" and first.locale == locale, (locale, word)
        assert first.replies[-1] == Msg(content.flow.messages["language_offer"])
        later = step(content, Visit(node="advice", locale="en"), Message.of(f"{word}!", Channel.WHATSAPP))
        assert later.node == "help_now" and later.locale == "en", (locale, word)
        assert later.replies[0] == Msg(content.flow.messages["automatic_short"])


def test_no_danger_word_is_another_languages_keyword_or_a_place(content: Content) -> None:
    keywords = set(content.lexicon.first_word) | set(content.lexicon.whole)
    for phrase in content.lexicon.anywhere:
        assert " ".join(phrase) not in keywords, phrase
    for place in content.places.by_code.values():
        assert content.lexicon.danger(Message.of(place.name, Channel.SMS).said) is None, place.name


@pytest.mark.parametrize(
    ("first", "locale"),
    [
        ("I need help", "en"),
        ("أحتاج مساعدة", "ar"),
        ("yardım lütfen", "tr"),
        ("112", "nl"),
        ("SOS", "en"),
        ("hulp nodig", "nl"),
    ],
)
def test_help_first_skips_the_language_menu(renderer: Renderer, first: str, locale: str) -> None:
    outcome = step(renderer.content, Visit(), Message.of(first, Channel.SMS))
    assert (outcome.node, outcome.locale) == ("help_now", locale)
    (text,) = renderer.render_messages(locale, outcome.replies, Channel.SMS)
    assert "112" in text and "0800-2000" in text
    offer = renderer.message(locale, "language.offer", Channel.SMS)
    assert text.endswith(offer)
    # The word the offer names opens the language menu, this language first.
    language_words = {fold(k) for k in renderer.content.catalogues[locale].keywords["language"]}
    word = next(w for w in reversed(words(offer)) if w in language_words)
    menu = step(renderer.content, Visit(outcome.node, outcome.locale), Message.of(word, Channel.SMS))
    assert menu.node == "language" and renderer.content.language_order(menu_key(menu.hint))[0] == locale


def test_free_text_says_the_line_is_automatic_never_a_bare_did_not_understand(renderer: Renderer) -> None:
    visit = Visit(node="advice_self", locale="en")
    (text,) = said(renderer, visit, "is anyone reading this")
    assert text.startswith("This line is automatic: nobody reads your messages. Danger now? Call 112.")
    for service in (
        "Veilig Thuis 0800-2000 (24/7",
        "Centrum Seksueel Geweld 0800-0188",
        "Slachtofferhulp",
        "chatmetfier",
    ):
        assert service in text
    assert text.endswith("3 For professionals and mediators\n0 Menu - 112 Danger now")  # the screen it came from
    (short,) = said(renderer, visit, "hmm ok")
    assert short.startswith("Sorry, I did not understand that.") and "\n1 For yourself" in short
    # Before a language is chosen: in the likeliest language, then the language menu on its own
    # (together they would cost four to six SMS).
    arabic, menu = said(renderer, Visit(), "هل هناك شخص يقرأ هذا")
    assert arabic.startswith("هذا خط آلي") and "این خط خودکار است" not in arabic
    assert "1 العربية\n2 فارسی\n3 دری" in menu


def test_stop_words_of_the_lines_languages_are_confirmed_on_sms(content: Content) -> None:
    for locale in LANGUAGES:
        for word in content.catalogues[locale].keywords["stop"]:
            outcome = step(content, Visit(node="main", locale="en"), Message.of(word, Channel.SMS))
            if word in content.catalogues[locale].ask_first:
                # An everyday word too ("dur": wait): asked about first (tests/test_detect.py).
                assert outcome.node == "stop_confirm" and outcome.effects == (), (locale, word)
                continue
            assert outcome.effects == (Stop(),), (locale, word)
            if word.casefold() in {"stop", "unsubscribe"}:
                assert outcome.replies == (), word  # Twilio answers its own words
            else:
                assert outcome.replies == (Msg("stopped"),), (locale, word)


def test_a_voice_note_first_gets_greeting_language_menu_and_112(renderer: Renderer) -> None:
    hello, first = said(renderer, Visit(), "", media=1)
    assert hello.startswith("Hallo, dit is de SAMEN informatielijn. Automatische lijn.")
    assert "\n4 فارسی\n" in first and first.endswith("112 Nu in gevaar")
    (together,) = said(renderer, Visit(), "", Channel.WHATSAPP, media=1)  # no segments: one message
    assert together.startswith(hello) and together.endswith(first)
    (later,) = said(renderer, Visit(node="services", locale="fa"), "", media=1)
    assert later.startswith("این خط فقط متن را می‌خواند") and "112" in later


def test_every_message_that_is_not_a_screen_carries_112(renderer: Renderer) -> None:
    keys = ["stopped", "deleted", "text_only", "rate_limited", "fallback", "subscribe.done", "announce.rsvp_thanks"]
    for locale in LANGUAGES:
        for key in keys:
            for channel in Channel:
                assert "112" in renderer.message(locale, key, channel), (locale, key)


def test_text_a_person_wrote_ends_with_112_in_every_language_and_channel(renderer: Renderer) -> None:
    for locale in LANGUAGES:
        for channel in Channel:
            text = renderer.written(locale, "  Are you safe to talk now?\n", channel)
            first, footer = text.split("\n")
            assert first == "Are you safe to talk now?" and "112" in footer, (locale, channel)


def test_a_digit_on_an_answer_screen_means_the_screen_it_came_from(content: Content) -> None:
    for node, digit, expected in [
        ("help_now", "2", "services"),
        ("advice_other", "1", "advice_self"),
        ("share", "1", "help_now"),
        ("subscribe_left", "3", "advice"),
        ("services_sexual", "1", "services_home"),
        ("services_place", "1", "services_home"),  # the place prompt lets go of a digit
    ]:
        outcome = step(content, Visit(node=node, locale="ar"), Message.of(digit, Channel.SMS))
        assert outcome.node == expected, node
    # A digit where the screen takes one stays input there (1: sessions anywhere in the country).
    region = step(content, Visit(node="subscribe_region", locale="en"), Message.of("1", Channel.SMS))
    assert region.node == "subscribe_confirm"


def test_the_language_menu_keeps_the_persons_language_first(content: Content) -> None:
    shown = step(content, Visit(node="main", locale="uk"), Message.of("6", Channel.SMS))
    assert shown.replies == (Languages(LanguageOrder("uk")),)
    again = step(content, Visit(shown.node, shown.locale, shown.hint), Message.of("1", Channel.SMS))
    assert again.locale == "uk"


def test_a_greeting_in_another_language_offers_it(content: Content) -> None:
    offer = step(content, Visit(node="advice", locale="uk"), Message.of("Merhaba", Channel.SMS))
    assert (offer.node, offer.locale, offer.reply_locale) == ("language", "uk", "tr")
    assert content.language_order(menu_key(offer.hint))[0] == "tr"
    switched = step(content, Visit(offer.node, offer.locale, offer.hint), Message.of("1", Channel.SMS))
    assert switched.locale == "tr"
    # A greeting of the person's own language (or the line's own hello) just shows the menu.
    for hello in ("привіт", "SAMEN", "menu"):
        same = step(
            content, Visit(node="advice", locale="uk" if hello != "menu" else "en"), Message.of(hello, Channel.SMS)
        )
        assert same.node == "main", hello


def test_safety_screen_says_how_to_keep_the_line_private(renderer: Renderer) -> None:
    for locale in LANGUAGES:
        outcome = step(renderer.content, Visit(node="main", locale=locale), Message.of("7", Channel.WHATSAPP))
        (text,) = renderer.render_messages(locale, outcome.replies, Channel.WHATSAPP)
        assert outcome.node == "safety", locale
        delete_word = renderer.content.catalogues[locale].keywords["delete"][0]
        assert delete_word.casefold() in text.casefold(), locale


def test_the_forward_text_names_who_runs_the_line_in_every_language(renderer: Renderer) -> None:
    for locale in LANGUAGES:
        for channel in Channel:
            outcome = step(renderer.content, Visit(node="main", locale=locale), Message.of("5", channel))
            instruction, forward = renderer.render_messages(locale, outcome.replies, channel)
            assert "Stichting Voorbeeld" in forward, locale
            assert forward.endswith("?text=SAMEN"), locale


def test_share_arrives_as_two_messages_in_order_exactly_once(
    post: PostFn, work: Callable[[], None], standin: StandinState, redis_conn: redis.Redis
) -> None:
    for text in ("hi", "1", "5", "0"):
        post(inbound(ALICE, text))
    work()
    replies = sent_to(standin, ALICE)
    assert len(replies) == 5  # hello, menu, the instruction, the text to forward, menu
    assert "Automatic line. A person can write back: send PERSON.\n" in replies[0]
    assert replies[2].startswith("Forward the next message to someone who may need it:")
    assert replies[3].startswith("Questions about health and safety? SAMEN: free information")
    assert replies[4].startswith("Reply with a number:")
    work()  # nothing owed is sent twice
    assert len(sent_to(standin, ALICE)) == 5
    assert redis_conn.zcard(line_keys.OWED()) == 0


def test_a_shared_location_is_answered_like_a_voice_note(
    post: PostFn, work: Callable[[], None], standin: StandinState
) -> None:
    wa = "whatsapp:" + ALICE
    post(inbound(wa, "hi"))
    post(inbound(wa, "1"))
    post(inbound(wa, "", Latitude="52.09", Longitude="5.12"))
    work()
    replies = sent_to(standin, wa)
    assert replies[-1] == "This line can only read text. Please send a word or a number. Danger now? Call 112."


def test_the_local_rate_number_is_never_called_free(renderer: Renderer) -> None:
    content = renderer.content
    for locale in LANGUAGES:
        free = renderer.message(locale, "directory.cost.free", Channel.SMS)
        local = renderer.message(locale, "directory.cost.local_rate", Channel.SMS)
        texts = [
            renderer.message(locale, key, channel) for key in content.catalogues[locale].messages for channel in Channel
        ]
        texts += [
            renderer.render(locale, (Menu(name),), Channel.SMS) for name in content.flow.nodes if name != "language"
        ]
        for text in texts:
            at = text.find("0900-0101")
            if at == -1:
                continue
            # Its own clause: no "free" between the number before it (or the sentence start) and it.
            clause = re.split(r"\d{3,4}-\d{4}|[.!?\u061f\u1362]", text[:at])[-1]
            assert free not in clause, (locale, text[max(0, at - 60) : at + 9])
            if free in text:
                assert text[at:].startswith(f"0900-0101 ({local})"), (locale, text[at - 20 : at + 30])


def _first_replies(content: Content, locale: str) -> Iterator[tuple[str, Visit, Message]]:
    # Every kind of first message a person writing `locale` may send, from the catalogue and corpus.
    keywords = content.catalogues[locale].keywords
    # A hello of this language alone where it has one (سلام is Farsi, Dari and Pashto alike).
    own = [w for w in keywords["menu"] if step(content, Visit(), Message.of(w, Channel.SMS)).reply_locale == locale]
    hello = (own or keywords["menu"])[0]
    yield "greeting", Visit(), Message.of(hello, Channel.SMS)
    yield "greeting (WhatsApp)", Visit(), Message.of(hello, Channel.WHATSAPP)
    yield "help word", Visit(), Message.of(keywords["help"][0], Channel.SMS)
    yield "danger word", Visit(), Message.of(keywords["danger"][0], Channel.SMS)
    yield "person word", Visit(), Message.of(keywords["person"][0], Channel.SMS)
    # A mediator's forward text: their hello with their referral code ("HALLO K7Q").
    coded = replace(Message.of(f"{hello.upper()} K7Q", Channel.SMS), codes=frozenset({"K7Q"}))
    yield "mediator's code hello", Visit(), coded
    # A voice note on the language menu that showed this language first (the greeting again).
    at_menu = Visit(node=content.flow.language, hint=LanguageOrder(locale))
    yield "voice note", at_menu, Message.of("", Channel.SMS, media=1)
    corpus = langcheck.read_corpus(Config.from_env({"SAMEN_ENV": "development"}).data_dir / langcheck.CORPUS)
    sentences = [s.text for s in corpus if s.locale == locale and len(words(s.text)) >= 4]
    for text in sentences:
        outcome = step(content, Visit(), Message.of(text, Channel.SMS))
        if outcome.reply_locale == locale and Notice(LanguageOrder(locale)) in outcome.replies:
            yield f"free text {text!r}", Visit(), Message.of(text, Channel.SMS)
            return
    raise AssertionError(f"{locale}: no free text in the corpus gets the automatic-line notice")


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_first_reply_says_the_line_is_automatic_and_gives_the_person_word(
    renderer: Renderer, locale: str
) -> None:
    # Issues #20 and #21: whatever the first message, the first reply says the line is automatic and
    # how to ask for a person (the person word), in the language the reply is written in.
    content = renderer.content
    for kind, visit, message in _first_replies(content, locale):
        outcome = step(content, visit, message)
        # A word several languages write (شخص, سلام) is answered in the likeliest of them; the
        # person word it shows is then the same word.
        shown = outcome.reply_locale
        sent = fold("\n".join(renderer.render_messages(shown, outcome.replies, message.channel)))
        automatic = content.catalogues[shown].facts["automatic"]
        assert any(fold(word) in sent for word in automatic), (kind, shown, sent[:80])
        person = content.catalogues[locale].keywords["person"]
        assert any(re.search(rf"(?<!\w){re.escape(fold(w))}(?!\w)", sent) for w in person), (kind, sent[:160])


def test_a_voice_note_with_nothing_to_go_by_gives_the_statement_in_each_language_greeted(
    renderer: Renderer,
) -> None:
    content = renderer.content
    outcome = step(content, Visit(), Message.of("", Channel.SMS, media=1))
    hello, _menu = renderer.render_messages(outcome.reply_locale, outcome.replies, Channel.SMS)
    for line, locale in zip(hello.splitlines(), ("nl", "en"), strict=True):
        statement = renderer.message(locale, content.flow.messages["automatic_short"], Channel.SMS)
        assert line.endswith(statement), line


def test_the_statement_is_not_repeated_once_the_language_is_chosen(renderer: Renderer) -> None:
    # Per first reply only: the reply to the language's digit is the main menu alone.
    content = renderer.content
    first = step(content, Visit(), Message.of("hallo", Channel.SMS))
    chosen = step(content, next_visit(first), Message.of("1", Channel.SMS))
    assert chosen.locale == "nl" and chosen.replies == (Menu(content.flow.main),)
