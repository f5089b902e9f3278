"""Fifteen languages: first messages told apart within a script, a paged language menu, languages held back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from samen_sms.app import create_app
from samen_sms.assembly import worker_context
from samen_sms.content.catalogue import CatalogueError
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.languages import likely_languages
from samen_sms.content.loader import load_content
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.segments import cost
from samen_sms.content.text import Said
from samen_sms.core.config import Config, ConfigError
from samen_sms.core.identity import Channel
from samen_sms.devtools.standin import StandinState
from samen_sms.line import replies
from samen_sms.line.worker import LineWorker
from tests.conftest import ALICE, PUBLIC_URL, inbound, sent_to, sign, with_config

# A greeting and a short question in each language, and where its language must be listed: first,
# or (where the letters say no more than the script) among the first two.
FIRST_MESSAGES = [
    ("Hallo", "nl", 1),
    ("Ik heb hulp nodig", "nl", 1),
    ("Hello", "en", 1),
    ("I need help please", "en", 1),
    ("مرحبا", "ar", 1),
    ("أحتاج مساعدة من فضلك", "ar", 1),
    ("سلام، وقت بخیر", "fa", 2),
    ("اطلاعات می‌خواهم", "fa", 1),
    ("سلام، معلومات ضرورت دارم", "prs", 1),
    ("تشکر، داکتر کجاست؟", "prs", 1),
    ("ستړي مه شئ", "ps", 1),
    ("زه مرسته غواړم", "ps", 1),
    ("سڵاو چۆنی", "ckb", 1),
    ("یارمەتیم پێویستە", "ckb", 1),
    ("ሰላም ከመይ ኣለኹም", "ti", 1),
    ("ሓበሬታ ደልየ", "ti", 1),
    ("ጤና ይስጥልኝ", "am", 1),
    ("እርዳታ እፈልጋለሁ", "am", 1),
    ("Merhaba", "tr", 1),
    ("Yardıma ihtiyacım var", "tr", 1),
    ("Привіт", "uk", 1),
    ("Мені потрібна допомога", "uk", 1),
    ("Здравствуйте", "ru", 1),
    ("Мне нужна помощь", "ru", 1),
    ("Salaan", "so", 1),
    ("Waxaan u baahanahay caawimaad", "so", 1),
    ("Bonjour", "fr", 1),
    ("J'ai besoin d'aide", "fr", 1),
    ("Hola", "es", 1),
    ("Necesito ayuda, por favor", "es", 1),
]
SCRIPT_OF = {"ar": "Arab", "fa": "Arab", "prs": "Arab", "ps": "Arab", "ckb": "Arab", "ti": "Ethi", "am": "Ethi",
             "uk": "Cyrl", "ru": "Cyrl"}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content(Config.from_env({"SAMEN_ENV": "development"}))


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
    order = content.language_order(outcome.hint)
    assert locale in order[:within], order[:3]
    assert outcome.reply_locale == order[0]
    script = SCRIPT_OF.get(locale)
    if script:
        # A wrong guess costs one digit: every language of the script is on the first screen.
        same = [loc for loc in content.flow.languages if content.catalogues[loc].script == script]
        assert set(order[: len(same)]) == set(same)
    # The first screen (greeting and language menu) stays within 3 SMS, in every script.
    first_screen = renderer.render(outcome.reply_locale, outcome.replies, Channel.SMS)
    assert cost(first_screen).segments <= 3, first_screen
    assert content.catalogues[locale].name in first_screen


def test_letters_that_only_some_languages_write_decide() -> None:
    def guess(text: str) -> tuple[str, ...]:
        return Said.read(text).languages

    assert guess("ټول")[0] == "ps"  # ټ: Pashto
    assert guess("ڕێگا")[0] == "ckb"  # ڕ ێ: Sorani
    assert "ar" not in guess("گل")  # گ: Persian letters, not Arabic
    assert guess("є")[0] == "uk" and guess("ы")[0] == "ru"
    assert guess("ቐ")[0] == "ti"
    assert guess("سلام") == ()  # the script, nothing more
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
    assert outcome.replies[-1][0] == "languages"


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
    assert sent_to(standin, ALICE)[-1].startswith("یک نمبر بفرستید:")

    fewer = with_config(config, languages=("nl", "en", "ar", "fa"))
    held_back = create_app({"TESTING": True}, config=fewer)
    with replies.using(worker_context(fewer)):
        say(held_back, "1")
    answer = sent_to(standin, ALICE)[-1]
    assert "العربية" in answer and "فارسی" in answer and "دری" not in answer
