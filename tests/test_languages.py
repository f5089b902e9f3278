"""Fifteen languages: first messages told apart within a script, a paged language menu, languages held back."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask

from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.catalogue import CatalogueError
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.hints import menu_key
from samen_sms.content.languages import likely_languages
from samen_sms.content.loader import load_content
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.replies import Languages
from samen_sms.content.said import Said
from samen_sms.content.smscost import cost
from samen_sms.core.config import Config, ConfigError
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker
from tests.conftest import ALICE, PUBLIC_URL, content_of, inbound, sent_to, sign, with_config

# A greeting and a short question in each language, and where its language must be listed: first,
# or (where the letters say no more than the script) among the first two.
FIRST_MESSAGES = [
    ("Hallo", "nl", 1),
    ("Waar vind ik informatie?", "nl", 1),
    ("Hello", "en", 1),
    ("Where can I find information?", "en", 1),
    ("مرحبا", "ar", 1),
    ("أين أجد معلومات؟", "ar", 1),
    ("سلام، وقت بخیر", "fa", 2),
    ("اطلاعات می‌خواهم", "fa", 1),
    ("سلام، معلومات ضرورت دارم", "prs", 1),
    ("تشکر، داکتر کجاست؟", "prs", 1),
    ("ستړي مه شئ", "ps", 1),
    ("زه معلومات غواړم", "ps", 1),
    ("سڵاو چۆنی", "ckb", 1),
    ("یارمەتیم پێویستە", "ckb", 1),
    ("ሰላም ከመይ ኣለኹም", "ti", 1),
    ("ሓበሬታ ደልየ", "ti", 1),
    ("ጤና ይስጥልኝ", "am", 1),
    ("መረጃ እፈልጋለሁ", "am", 1),
    ("Merhaba", "tr", 1),
    ("Bilgi nerede bulabilirim?", "tr", 1),
    ("Привіт", "uk", 1),
    ("Де знайти інформацію?", "uk", 1),
    ("Здравствуйте", "ru", 1),
    ("Где найти информацию?", "ru", 1),
    ("Salaan", "so", 1),
    ("Macluumaad halkee ka helaa?", "so", 1),
    ("Walaashay ayaa i soo dirtay", "so", 1),  # `i` is Somali "me" too: it was taken for English
    ("i am scared", "en", 1),
    ("Bonjour", "fr", 1),
    ("Où trouver des informations ?", "fr", 1),
    ("Hola", "es", 1),
    ("¿Dónde encuentro información?", "es", 1),
]
# Asking for help first gets help now at once, in the language the words and letters point to.
HELP_FIRST = [
    ("Ik heb hulp nodig", "nl"),
    ("زه مرسته غواړم", "ps"),
    ("Мені потрібна допомога", "uk"),
    ("Мне нужна помощь", "ru"),
    ("እርዳታ እፈልጋለሁ", "am"),
    ("Necesito ayuda, por favor", "es"),
    ("i caawi", "so"),
    ("Ninkeyga ayaa i garaaca", "so"),
    ("i need help", "en"),
]


@pytest.fixture(scope="module")
def content() -> Content:
    return content_of(Config.from_env({"SAMEN_ENV": "development"}))


@pytest.fixture(scope="module")
def renderer(content: Content) -> Renderer:
    return Renderer(content, line_params("+447700900000", "whatsapp:+447700900001"))


def test_every_language_has_a_first_message_here(content: Content) -> None:
    assert {locale for _, locale, _ in FIRST_MESSAGES} == set(content.flow.languages)


@pytest.mark.parametrize(("text", "locale", "within"), FIRST_MESSAGES, ids=[t for t, _, _ in FIRST_MESSAGES])
def test_a_first_message_lists_its_language_first_and_its_script_next(
    content: Content, renderer: Renderer, text: str, locale: str, within: int
) -> None:
    outcome = step(content, Visit(), Message.of(text, Channel.SMS))
    assert outcome.node == content.flow.language
    order = content.language_order(menu_key(outcome.hint))
    assert locale in order[:within], order[:3]
    assert outcome.reply_locale == order[0]
    script = content.catalogues[locale].script
    if script != "Latn":  # a script few languages share (Latin is everybody's second)
        # A wrong guess costs one digit: every language of the script is on the first screen.
        same = [loc for loc in content.flow.languages if content.catalogues[loc].script == script]
        assert set(order[: len(same)]) == set(same)
    # The first screen (a greeting or the automatic-line notice, and the language menu) costs at
    # most 3 SMS a message, in every script.
    first_screen = renderer.render_messages(outcome.reply_locale, outcome.replies, Channel.SMS)
    assert all(cost(text).segments <= 3 for text in first_screen), [cost(text) for text in first_screen]
    assert content.language_name(locale, Channel.SMS) in first_screen[-1]  # "Francais" on SMS


@pytest.mark.parametrize(("text", "locale"), HELP_FIRST, ids=[t for t, _ in HELP_FIRST])
def test_help_asked_first_comes_in_the_language_the_letters_say(content: Content, text: str, locale: str) -> None:
    outcome = step(content, Visit(), Message.of(text, Channel.SMS))
    assert outcome.node == content.flow.keywords["help"]
    assert outcome.reply_locale == locale


def test_letters_that_only_some_languages_write_decide() -> None:
    def guess(text: str) -> tuple[str, ...]:
        return Said.read(text).languages

    assert guess("ټول")[0] == "ps"  # ټ: Pashto
    assert guess("ڕێگا")[0] == "ckb"  # ڕ ێ: Sorani
    assert "ar" not in guess("گل")  # گ: Persian letters, not Arabic
    assert guess("є")[0] == "uk" and guess("ы")[0] == "ru"
    assert guess("ቐ")[0] == "ti"
    assert guess("سلام") == ()  # the script, nothing more
    assert guess("Ninkeyga ayaa i garaaca")[0] == "so"  # `i`: Somali "me", English "I"
    assert guess("i am scared")[0] == "en"  # `i` alone: a tie, which English (listed first) wins
    assert likely_languages("hello", None, ["hello"]) == ()


def test_the_language_menu_has_two_pages_and_nine_turns_it(content: Content, renderer: Renderer) -> None:
    first = step(content, Visit(), Message.of("ستړي مه شئ", Channel.SMS))
    page_one = renderer.render(first.reply_locale, first.replies, Channel.SMS)
    assert page_one.splitlines()[-2] == "9 نورې ژبې"
    assert "Español" not in page_one
    more = step(content, Visit(node="language", hint=first.hint), Message.of("٩", Channel.SMS))
    page_two = renderer.render(more.reply_locale, more.replies, Channel.SMS)
    assert more.node == "language" and more.locale is None
    assert "9 Español" in page_two and "پښتو" not in page_two
    assert cost(page_two).segments <= 3
    chosen = step(content, Visit(node="language", hint=more.hint), Message.of("9", Channel.SMS))
    assert chosen.locale == "es" and chosen.node == "main"


def test_samen_languages_is_read_and_checked() -> None:
    env = {"SAMEN_ENV": "development"}
    assert Config.from_env(env).languages == ()
    assert Config.from_env({**env, "SAMEN_LANGUAGES": "nl, en,ar"}).languages == ("nl", "en", "ar")
    with pytest.raises(ConfigError, match="SAMEN_LANGUAGES must list language codes"):
        Config.from_env({**env, "SAMEN_LANGUAGES": "nl,Dari"})
    with pytest.raises(CatalogueError, match="SAMEN_LANGUAGES names xx"):
        load_content(replace(Config.from_env(env), languages=("nl", "xx")))


def test_a_language_held_back_is_not_offered_and_its_speakers_are_asked_again() -> None:
    held = load_content(replace(Config.from_env({"SAMEN_ENV": "development"}), languages=("nl", "en", "ar", "fa")))
    assert held.flow.languages == ("nl", "en", "ar", "fa")
    menu = held.language_menu("Arab")
    assert menu.shown == ("ar", "fa", "nl", "en") and menu.more is None
    outcome = step(held, Visit(node="main", locale="prs"), Message.of("1", Channel.SMS))
    assert outcome.node == "language" and outcome.locale is None
    assert isinstance(outcome.replies[-1], Languages)


def test_a_remembered_language_held_back_gets_the_language_menu_end_to_end(
    config: Config, standin: StandinState
) -> None:
    def say(app: Flask, text: str) -> None:
        params = inbound(ALICE, text)
        client = app.test_client()
        sig = sign(PUBLIC_URL + "/twilio/inbound", params)
        assert client.post("/twilio/inbound", data=params, headers={"X-Twilio-Signature": sig}).status_code == 200
        rt = app.extensions["samen"]
        LineWorker([rt.queue], connection=rt.redis).work(burst=True, with_scheduler=False, logging_level="WARNING")

    everything = create_app({"TESTING": True}, config=config)
    with replies.using(worker_context(config)):
        say(everything, "سلام، معلومات ضرورت دارم")
        say(everything, "1")  # Dari, the first on the menu
    # Dari's words for anonymous guidance (مشوره and Farsi مشاوره read as therapy on a menu)
    assert "\n3 رهنمایی بی\u200cنام\n" in sent_to(standin, ALICE)[-1]

    fewer = with_config(config, languages=("nl", "en", "ar", "fa"))
    held_back = create_app({"TESTING": True}, config=fewer)
    with replies.using(worker_context(fewer)):
        say(held_back, "1")
    answer = sent_to(standin, ALICE)[-1]
    assert "العربية" in answer and "فارسی" in answer and "دری" not in answer


def test_an_announcement_is_written_in_every_language(content: Content, renderer: Renderer) -> None:
    # Dates come from Babel (CLDR), which knows Dari only as Persian of Afghanistan (fa_AF).
    example = Path(__file__).resolve().parent.parent / "sessions" / "example.toml"
    session = infosessions.parse_session(
        example.read_text(encoding="utf-8"), content.places, list(content.flow.languages)
    )
    for locale in content.flow.languages:
        text = infosessions.render(renderer, session, locale, Channel.SMS, BroadcastKind.ANNOUNCEMENT)
        assert "2027" in text and "Stichting Voorbeeld" in text, locale
    dari = infosessions.render(renderer, session, "prs", Channel.SMS, BroadcastKind.ANNOUNCEMENT)
    assert "جنوری" in dari  # January, as Afghans say
