"""Issue #20, what the review found in behaviour: everyday stop words, the automatic line, the delete word, places."""

from __future__ import annotations

import pytest

from samen_sms.content.effects import Stop
from samen_sms.content.engine import Content, Message, Visit, step
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.visits import next_visit
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from tests.conftest import content_of

EVERYDAY_STOP_WORDS = [("tr", "dur"), ("ru", "хватит"), ("ps", "بس"), ("ti", "ደው በል")]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env({"SAMEN_ENV": "development"})
    return Renderer(content_of(cfg), line_params("+447700900000", "whatsapp:+447700900001"))


@pytest.fixture(scope="module")
def content(renderer: Renderer) -> Content:
    return renderer.content


@pytest.mark.parametrize(("locale", "word"), EVERYDAY_STOP_WORDS)
def test_a_stop_word_that_is_an_everyday_word_asks_before_stopping(
    renderer: Renderer, locale: str, word: str
) -> None:
    content = renderer.content
    for channel in (Channel.SMS, Channel.WHATSAPP):
        asked = step(content, Visit(node="services", locale=locale), Message.of(word, channel))
        assert asked.effects == () and asked.node == "stop_confirm", (word, channel)
        (text,) = renderer.render_messages(locale, asked.replies, channel)
        assert text.startswith(renderer.message(locale, "stop.confirm", channel)) and "112" in text
        # 1 (or the language's yes, or the word again) stops everything; anything else goes on.
        for confirm in ("1", content.catalogues[locale].yes[0], word):
            stopped = step(content, next_visit(asked), Message.of(confirm, channel))
            assert stopped.effects == (Stop(),) and stopped.locale == locale, (word, confirm)
        went_on = step(content, next_visit(asked), Message.of("2", channel))
        assert went_on.effects == () and went_on.node == "services", word


def test_an_arabic_speakers_bas_asks_in_arabic(content: Content) -> None:
    # بس is Pashto "enough" and Arabic "only, but, enough": once it stopped an Arabic speaker's line.
    outcome = step(content, Visit(node="main", locale="ar"), Message.of("بس", Channel.WHATSAPP))
    assert (outcome.node, outcome.reply_locale, outcome.effects) == ("stop_confirm", "ar", ())


def test_a_stranger_writing_khvatit_is_asked_in_russian(content: Content) -> None:
    asked = step(content, Visit(), Message.of("Хватит", Channel.SMS))
    assert (asked.node, asked.reply_locale, asked.locale) == ("stop_confirm", "ru", None)
    stopped = step(content, next_visit(asked), Message.of("да", Channel.SMS))
    assert stopped.effects == (Stop(),) and stopped.reply_locale == "ru"


def test_twilios_own_stop_words_on_sms_still_stop_at_once_and_silently(content: Content) -> None:
    for word in ("STOP", "stopall", "Cancel", "end", "quit"):
        outcome = step(content, Visit(node="main", locale="tr"), Message.of(word, Channel.SMS))
        assert outcome.effects == (Stop(),) and outcome.replies == (), word
    clear = step(content, Visit(node="main", locale="tr"), Message.of("durdur", Channel.SMS))
    assert clear.effects == (Stop(),)  # a stop word with no everyday meaning stops at once


@pytest.mark.parametrize(("text", "locale"), [("I need help", "en"), ("ayuda", "es"), ("مساعدة", "ar"), ("ሓገዝ", "ti")])
def test_help_asked_first_says_the_line_is_automatic(renderer: Renderer, text: str, locale: str) -> None:
    outcome = step(renderer.content, Visit(), Message.of(text, Channel.SMS))
    assert (outcome.node, outcome.reply_locale) == ("help_now", locale)
    (reply,) = renderer.render_messages(locale, outcome.replies, Channel.SMS)
    automatic = renderer.message(locale, renderer.content.flow.messages["automatic_short"], Channel.SMS)
    assert reply.startswith(automatic)  # then the phone lines that reach a person, 112 first
    assert "0800-2000" in reply and "112" in reply


@pytest.mark.parametrize(
    ("text", "visit", "locale"),
    [
        ("delete my messages", Visit(node="advice", locale="en"), "en"),
        ("please delete everything", Visit(), "en"),
        ("احذف رسائلي", Visit(), "ar"),
        ("احذف رسائلي", Visit(node="main", locale="ar"), "ar"),
        ("verwijder mijn gegevens aub", Visit(node="main", locale="nl"), "nl"),
        ("удалить мои сообщения", Visit(), "ru"),
    ],
)
def test_a_sentence_with_the_delete_word_gets_a_one_line_hint(
    renderer: Renderer, text: str, visit: Visit, locale: str
) -> None:
    outcome = step(renderer.content, visit, Message.of(text, Channel.SMS))
    assert not outcome.erases and outcome.node == visit.node and outcome.reply_locale == locale
    (reply,) = renderer.render_messages(locale, outcome.replies, Channel.SMS)
    assert reply == renderer.message(locale, "delete.hint", Channel.SMS)  # one line
    assert "\n" not in reply and "0800" not in reply and "Veilig Thuis" not in reply  # no notice naming services
    assert "112" in reply  # as on every message the line sends


def test_the_delete_word_alone_still_erases_and_a_danger_word_still_comes_first(content: Content) -> None:
    alone = step(content, Visit(node="main", locale="en"), Message.of("delete", Channel.SMS))
    assert alone.erases
    danger = step(content, Visit(node="main", locale="en"), Message.of("delete this he has a knife", Channel.SMS))
    assert danger.node == "help_now"


def test_a_place_typed_at_the_health_screen_stays_health(renderer: Renderer) -> None:
    content = renderer.content
    outcome = step(content, Visit(node="services_health", locale="en"), Message.of("Ter Apel", Channel.SMS))
    text = renderer.render(outcome.reply_locale, outcome.replies, Channel.SMS)
    assert text.startswith("Westerwolde")  # the municipality Ter Apel lies in
    assert "GZA Praktijklijn" in text and "Dokters van de Wereld" in text
    assert "Veilig Thuis" not in text  # not the services of another need
    # At the place prompt itself, the place's services for every need, as before.
    general = step(content, Visit(node="services_place", locale="en"), Message.of("Ter Apel", Channel.SMS))
    assert "Veilig Thuis" in renderer.render(general.reply_locale, general.replies, Channel.SMS)
    # Text with no place in it is answered as the health screen answers text.
    other = step(content, Visit(node="services_health", locale="en"), Message.of("thank you", Channel.SMS))
    assert other.node == "services"


@pytest.mark.parametrize(
    ("text", "locale"), [("تراپل", "ar"), ("در تر آپل", "fa"), ("زه په تراپل کې یم", "ps"), ("в Тер-Апеле", "ru")]
)
def test_a_place_in_other_letters_is_found_and_asked_about(renderer: Renderer, text: str, locale: str) -> None:
    content = renderer.content
    asked = step(content, Visit(node="services_health", locale=locale), Message.of(text, Channel.SMS))
    assert asked.node == "services_place_pick"
    assert "Ter Apel" in renderer.render(locale, asked.replies, Channel.SMS)
    yes = step(content, next_visit(asked), Message.of("1", Channel.SMS))
    shown = renderer.render(locale, yes.replies, Channel.SMS)
    assert shown.startswith("Westerwolde") and "GZA Praktijklijn" in shown and "Veilig Thuis" not in shown


def test_words_of_a_sentence_are_not_read_as_villages_in_other_letters(content: Content) -> None:
    from samen_sms.authoring.langcheck import read_corpus

    samples = read_corpus(Config.from_env({"SAMEN_ENV": "development"}).data_dir / "language-corpus.txt")
    found = [s.text for s in samples if content.places.spelled_otherwise(Message.of(s.text, Channel.SMS).said)]
    assert found == []
