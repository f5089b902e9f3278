"""Issue #20: free text is answered in the language it is written in, in all fifteen languages."""

from __future__ import annotations

import pytest

from samen_sms.authoring import langcheck
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.hints import menu_key
from samen_sms.content.render import Renderer, line_params
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from tests.conftest import content_of


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env({"SAMEN_ENV": "development"})
    return Renderer(content_of(cfg), line_params("+447700900000", "whatsapp:+447700900001"))


@pytest.fixture(scope="module")
def content(renderer: Renderer) -> Content:
    return renderer.content


def test_the_corpus_has_forty_messages_in_every_language(content: Content) -> None:
    samples = langcheck.read_corpus(Config.from_env({"SAMEN_ENV": "development"}).data_dir / langcheck.CORPUS)
    for locale in content.flow.languages:
        assert sum(1 for s in samples if s.locale == locale) >= 40, locale


def test_every_language_gets_its_first_reply_in_its_own_language(content: Content) -> None:
    samples = langcheck.read_corpus(Config.from_env({"SAMEN_ENV": "development"}).data_dir / langcheck.CORPUS)
    scores = langcheck.measure(content, samples)
    table = "\n".join(langcheck.table(scores))
    assert all(score.meets_targets for score in scores.values()), table


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("no sé qué hacer", "es"),  # was the Dutch notice
        ("tengo miedo de mi esposo", "es"),  # was Turkish
        ("я боюсь мужа", "ru"),  # was Ukrainian
    ],
)
def test_the_issues_first_messages_are_answered_in_their_language(renderer: Renderer, text: str, locale: str) -> None:
    outcome = step(renderer.content, Visit(), Message.of(text, Channel.SMS))
    assert outcome.reply_locale == locale
    notice, menu = renderer.render_messages(outcome.reply_locale, outcome.replies, Channel.SMS)
    assert notice == renderer.message(locale, renderer.content.flow.messages["automatic"], Channel.SMS)
    offer = renderer.message(locale, renderer.content.flow.messages["person_offer"], Channel.SMS)
    assert menu.startswith(offer + "\n\n")  # how to ask for a person, in the same language
    assert "\n1 " + renderer.content.catalogues[locale].name + "\n" in menu, menu


def test_an_amharic_greeting_is_answered_in_amharic_amharic_first(renderer: Renderer) -> None:
    outcome = step(renderer.content, Visit(), Message.of("ሰላም ነው?", Channel.SMS))
    assert outcome.reply_locale == "am"  # was Tigrinya
    assert renderer.content.language_menu(menu_key(outcome.hint)).shown[:2] == ("am", "ti")
    chosen = step(renderer.content, Visit(outcome.node, outcome.locale, outcome.hint), Message.of("1", Channel.SMS))
    assert chosen.locale == "am"


def test_menu_typed_in_latin_letters_keeps_the_chosen_language(renderer: Renderer) -> None:
    content = renderer.content
    outcome = step(content, Visit(node="advice", locale="ar"), Message.of("MENU", Channel.SMS))
    # Once the language menu in Dutch:
    assert (outcome.node, outcome.locale, outcome.reply_locale) == ("main", "ar", "ar")
    (text,) = renderer.render_messages("ar", outcome.replies, Channel.SMS)
    assert "1 " + renderer.message("ar", "help_now.title", Channel.SMS) in text
    then = step(content, Visit(outcome.node, outcome.locale, outcome.hint), Message.of("1", Channel.SMS))
    assert (then.node, then.locale) == ("help_now", "ar")  # the next digit no longer picks French
    # Other words several languages write leave the language as it is too.
    for word in ("SOS", "menu", "Menü"):
        kept = step(content, Visit(node="main", locale="ar"), Message.of(word, Channel.SMS))
        assert kept.locale == "ar" and kept.reply_locale == "ar", word


@pytest.mark.parametrize(
    ("text", "country", "first"),
    [
        ("سلام", "93", "prs"),  # Afghanistan: Dari
        ("سلام", "963", "ar"),  # Syria: Arabic
        ("سلام", "98", "fa"),  # Iran: Farsi
        ("ሰላም", "251", "am"),  # Ethiopia: Amharic
        ("ሰላም", "291", "ti"),  # Eritrea: Tigrinya
        ("Привет!!", "380", "ru"),  # the words say Russian: the country only breaks ties
        ("hello", "963", "en"),  # a word of another script: the country does not count
    ],
)
def test_the_country_code_orders_the_first_language_menu(
    content: Content, text: str, country: str, first: str
) -> None:
    outcome = step(content, Visit(), Message.of(text, Channel.SMS, country=country))
    assert content.language_menu(menu_key(outcome.hint)).shown[0] == first
    assert outcome.reply_locale == first


def test_a_voice_note_from_afghanistan_shows_dari_and_pashto_first(content: Content) -> None:
    outcome = step(content, Visit(), Message.of("", Channel.WHATSAPP, media=1, country="93"))
    shown = content.language_menu(menu_key(outcome.hint)).shown
    assert shown[0] == "prs" and "ps" in shown
    plain = step(content, Visit(), Message.of("", Channel.WHATSAPP, media=1))
    assert content.language_menu(menu_key(plain.hint)).shown[0] == "nl"


def test_the_country_code_is_read_and_never_stored(content: Content) -> None:
    outcome = step(content, Visit(), Message.of("سلام", Channel.SMS, country="93"))
    assert "93" not in repr(outcome)


def test_the_command_prints_every_language_and_says_how_to_use_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        langcheck.main(["--help"])
    assert exit_info.value.code == 0
    assert "--misses" in capsys.readouterr().out
    assert langcheck.main([]) == 0
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if line.endswith(" yes")]) == 15, out


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("مره با چاقو میزنه", "prs"),  # Farsi's words, Dari's مره: Dari
        ("با چاقو تهدیدم میکنه", "fa"),
        ("زه یې په چاکو ګواښم", "ps"),
    ],
)
def test_help_now_after_a_danger_word_comes_in_the_language_of_the_whole_message(
    content: Content, text: str, locale: str
) -> None:
    outcome = step(content, Visit(), Message.of(text, Channel.SMS))
    assert (outcome.node, outcome.reply_locale) == ("help_now", locale)
