"""The words of the line: every language complete, discreet on a locked screen, within its SMS budget."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from samen_sms.authoring.review import table
from samen_sms.authoring.segments import CONVERSATION_BUDGET, CONVERSATION_BUDGET_UCS2, conversation, main, screens
from samen_sms.content.catalogue import CatalogueError, load_catalogues
from samen_sms.content.discretion import PREVIEW, revealing_words, reveals
from samen_sms.content.effects import Erase, Start, Stop
from samen_sms.content.engine import SWITCHING_ACTIONS, Content, Message, Visit, step
from samen_sms.content.facts import line_facts, missing, says, unworded
from samen_sms.content.flow import WHOLE_MESSAGE_ACTIONS
from samen_sms.content.hints import LanguageOrder, menu_key
from samen_sms.content.reading import TWILIO_STOP_WORDS
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.replies import Entry, Greeting, Menu, Notice
from samen_sms.content.said import Said
from samen_sms.content.smscost import Cost, budget, cost, is_gsm7
from samen_sms.content.text import digit_value, dominant_script, fold, words
from samen_sms.core.config import Config
from samen_sms.core.identity import Channel
from tests.conftest import content_of, line_languages

# Per-language tests take the languages flows/main.toml offers; only the test of that list spells it.
LANGUAGES = list(line_languages())
SCRIPTS = {
    "nl": "Latn",
    "en": "Latn",
    "ar": "Arab",
    "fa": "Arab",
    "prs": "Arab",
    "ps": "Arab",
    "ckb": "Arab",
    "ti": "Ethi",
    "am": "Ethi",
    "tr": "Latn",
    "uk": "Cyrl",
    "ru": "Cyrl",
    "so": "Latn",
    "fr": "Latn",
    "es": "Latn",
}
# Sent in GSM-7 only, so a screen costs at most 3 SMS (Turkish SMS spell s-cedilla as s and Spanish SMS
# drop the accent of á í ó ú: meta.sms_letters; French keeps to the accents GSM-7 has).
GSM7_LANGUAGES = [locale for locale, script in SCRIPTS.items() if script == "Latn"]
BUILTIN_EFFECTS = {"stop": Stop(), "start": Start(), "delete": Erase()}
ACTIONS = [
    "menu", "help", "language", "share", "sessions", "sessions_stop",
    "stop", "start", "delete", "danger", "person", "close",
]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    cfg = Config.from_env({"SAMEN_ENV": "development", "TWILIO_SMS_FROM": "+447700900000"})
    return Renderer(content_of(cfg), line_params("+447700900000", "whatsapp:+447700900001"))


@pytest.fixture(scope="module")
def content(renderer: Renderer) -> Content:
    return renderer.content


def everything_sent(renderer: Renderer) -> Iterator[tuple[str, str, str]]:
    """(locale, what, text) for every message and every screen, in both channel forms."""
    content = renderer.content
    for locale in LANGUAGES:
        for channel in Channel:
            for key in content.catalogues[locale].messages:
                yield locale, f"{key} ({channel.value})", renderer.message(locale, key, channel)
            for name, refs in screens(content, locale):
                for n, text in enumerate(renderer.render_messages(locale, refs, channel), 1):
                    yield locale, f"{name} #{n} ({channel.value})", text


def test_the_line_offers_its_fifteen_languages_with_their_scripts(content: Content) -> None:
    offered = ["nl", "en", "ar", "fa", "prs", "ps", "ckb", "ti", "am", "tr", "uk", "ru", "so", "fr", "es"]
    assert list(content.flow.languages) == offered
    for locale, script in SCRIPTS.items():
        catalogue = content.catalogues[locale]
        assert catalogue.script == script
        assert catalogue.rtl == (script == "Arab")
        assert catalogue.reviewed or catalogue.review_note, f"{locale}: say who must review it"


def test_a_catalogue_missing_a_key_does_not_load(tmp_path: Path) -> None:
    messages = Path(__file__).resolve().parent.parent / "messages"
    for path in messages.glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    ar = tmp_path / "ar.toml"
    ar.write_text(ar.read_text(encoding="utf-8").replace('comensha = "', 'comensha_typo = "'), encoding="utf-8")
    with pytest.raises(CatalogueError, match="ar: missing messages directory.comensha"):
        load_catalogues(tmp_path, LANGUAGES)


@pytest.mark.parametrize(
    ("first_message", "first"),
    [
        ("ሓበሬታ ደልየ", ["ti"]),
        ("Здравствуйте", ["ru", "uk"]),
        ("اريد معلومات", ["ar", "fa"]),
        ("سلام", ["ar", "fa"]),
        ("Merhaba", ["tr"]),
        ("Привіт", ["uk"]),
        ("Salaan", ["so"]),
        ("good morning", ["en", "nl"]),
        ("1", ["nl", "en"]),
    ],
)
def test_the_first_message_script_puts_its_languages_first(
    content: Content, first_message: str, first: list[str]
) -> None:
    outcome = step(content, Visit(), Message.of(first_message, Channel.SMS))
    assert outcome.node == content.flow.language
    assert content.language_order(menu_key(outcome.hint))[: len(first)] == first
    assert outcome.reply_locale == first[0]


@pytest.mark.parametrize("script", ["Arab", "Ethi", "Cyrl", "Latn"])
def test_each_script_is_recognised(script: str) -> None:
    sample = {"Arab": "مرحبا", "Ethi": "ሰላም", "Cyrl": "Привіт", "Latn": "hallo"}[script]
    assert dominant_script(sample) == script


@pytest.mark.parametrize(
    "digits", ["123456789", "١٢٣٤٥٦٧٨٩", "۱۲۳۴۵۶۷۸۹", "፩፪፫፬፭፮፯፰፱"], ids=["ascii", "arabic", "farsi", "ethiopic"]
)
def test_menu_digits_in_every_script(digits: str) -> None:
    assert [digit_value(d) for d in digits] == list(range(1, 10))
    assert digit_value(digits[0] + ".") == 1


def test_every_language_has_keywords_for_every_action(content: Content) -> None:
    for locale in LANGUAGES:
        keywords = content.catalogues[locale].keywords
        assert sorted(keywords) == sorted(ACTIONS), locale
        assert all(keywords[action] for action in ACTIONS), locale


def test_no_keyword_means_two_different_actions(content: Content) -> None:
    seen: dict[str, str] = {}
    for locale in LANGUAGES:
        for action, keywords in content.catalogues[locale].keywords.items():
            for keyword in keywords:
                folded = " ".join(words(keyword))
                assert seen.setdefault(folded, action) == action, f"{locale}: {keyword!r} means two actions"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_keyword_works_from_anywhere_in_any_case(content: Content, locale: str) -> None:
    visit = Visit(node="advice_pro", locale="en")
    for action, keywords in content.catalogues[locale].keywords.items():
        for keyword in keywords:
            shouted = f"{keyword.upper()}!"
            outcome = step(content, visit, Message.of(shouted, Channel.WHATSAPP))
            if keyword in content.catalogues[locale].ask_first:
                assert outcome.node == "stop_confirm" and outcome.effects == (), (locale, keyword)
            elif action in WHOLE_MESSAGE_ACTIONS:
                assert outcome.effects == (BUILTIN_EFFECTS[action],), (locale, keyword)
                inside = step(content, visit, Message.of(f"{keyword} please now", Channel.WHATSAPP))
                assert inside.effects == (), (locale, keyword)
            elif (
                action in SWITCHING_ACTIONS and locale != "en" and not content.lexicon.speaks(Said.read(keyword), "en")
            ):
                # Another language's hello or language word offers that language first.
                owner = content.lexicon.first_word[" ".join(words(keyword))][1]  # salam: Arabic, then Farsi
                assert outcome.node == content.flow.language and outcome.hint == LanguageOrder(owner), (locale, keyword)
                assert outcome.locale == "en" and outcome.reply_locale == owner, (locale, keyword)
            else:
                assert outcome.node == content.flow.keywords[action], (locale, keyword)


@pytest.mark.parametrize(
    "typed",
    [
        "de\u200blete",  # zero-width space
        "de\u00adlete",  # soft hyphen
        "de\u2060lete",  # word joiner
        "\ufeffdelete",  # byte-order mark
        "d\u0435lete",  # Cyrillic е
        "DЕLЕTЕ",  # Cyrillic capitals
        "stор",  # Cyrillic о and р: Twilio's own word on SMS, the line's stop on WhatsApp
    ],
)
def test_keywords_typed_with_invisible_characters_or_look_alikes_are_recognised(content: Content, typed: str) -> None:
    action = "stop" if typed.startswith("st") else "delete"
    outcome = step(content, Visit(node="main", locale="en"), Message.of(typed, Channel.WHATSAPP))
    assert outcome.effects == (BUILTIN_EFFECTS[action],), typed


def test_look_alikes_are_folded_only_inside_latin_words() -> None:
    # Cyrillic is the script of uk and ru: a word wholly in it is never read as Latin.
    assert Said.read("СТОП видалити сор").whole == "стоп видалити сор"
    assert Said.read("dеlete стоп").whole == "delete стоп"


def test_twilio_stop_words_get_no_reply_on_sms(content: Content) -> None:
    for word in TWILIO_STOP_WORDS:
        outcome = step(content, Visit(node="main", locale="ar"), Message.of(word.upper(), Channel.SMS))
        assert outcome.replies == () and outcome.effects == (Stop(),)


def test_the_language_is_remembered_and_can_change_anywhere(content: Content) -> None:
    chosen = step(content, Visit(node="language", hint=LanguageOrder("Arab")), Message.of("٢", Channel.SMS))
    assert chosen.locale == "fa" and chosen.node == "main"
    later = step(content, Visit(node="services", locale="fa"), Message.of("Мова", Channel.SMS))
    assert later.node == "language" and later.locale == "fa"


# The subjects a locked screen's preview must never name, as each language writes them: sex, sexual,
# rape, abuse, violence, beating, suicide (and the euphemisms the drafts use for sex: Farsi and Dari
# رابطه, Pashto اړیکه). Each language's own `[discretion] words` must catch every one of them.
SUBJECTS = {
    "nl": ("seks", "seksueel", "verkrachting", "misbruik", "geweld", "geslagen", "mishandeling", "zelfmoord"),
    "en": ("sex", "sexual", "rape", "abuse", "violence", "beating", "suicide"),
    "ar": ("جنس", "جنسي", "اغتصاب", "إساءة", "عنف", "ضرب", "انتحار"),
    "fa": ("سکس", "جنسی", "رابطه", "تجاوز", "آزار", "خشونت", "کتک", "خودکشی"),
    "prs": ("سکس", "جنسی", "رابطه", "تجاوز", "آزار", "خشونت", "لت و کوب", "خودکشی"),
    "ps": ("جنسي", "اړیکه", "تجاوز", "ځورونه", "تاوتریخوالی", "وهل ټکول", "ځان وژنه"),
    "ckb": ("سێکس", "سێکسی", "جنسی", "لاقەکردن", "ئازاردان", "توندوتیژی", "لێدان", "خۆکوشتن"),
    "ti": ("ጾታዊ", "ስጋዊ ርክብ", "ምድፋር", "ግህሰት", "ዓመጽ", "ምውቃዕ", "ርእሰ-ቅትለት"),
    "am": ("ወሲብ", "ጾታዊ", "መድፈር", "በደል", "ጥቃት", "ድብደባ", "ራስን ማጥፋት"),
    "tr": ("seks", "cinsel", "tecavüz", "istismar", "şiddet", "dayak", "intihar"),
    "uk": ("секс", "статеве", "зґвалтування", "кривдження", "насильство", "побиття", "самогубство"),
    "ru": ("секс", "сексуальное", "изнасилование", "жестокое обращение", "насилие", "побои", "самоубийство"),
    "so": ("galmo", "jinsi", "kufsi", "xadgudub", "rabshad", "garaac", "isdil"),
    "fr": ("sexe", "sexuel", "viol", "abus", "violence", "coups", "suicide"),
    "es": ("sexo", "sexual", "violación", "abuso", "violencia", "golpes", "suicidio"),
}


def sent_alone(key: str) -> bool:
    """Whether a catalogue message may open a message (not a menu title, a directory line or a yes)."""
    return not (key.endswith(".title") or key.startswith("directory.") or key == "where.yes")


def test_locked_screen_preview_names_no_violence_in_any_language(renderer: Renderer) -> None:
    revealing = revealing_words(renderer.content.catalogues)
    assert sorted(SUBJECTS) == sorted(LANGUAGES)
    for locale in LANGUAGES:
        # Each language's own words catch its words for every subject, stems and all.
        own = revealing_words({locale: renderer.content.catalogues[locale]})
        missed = [word for word in SUBJECTS[locale] if not reveals(word, own)]
        assert not missed, f"{locale}: [discretion] words do not catch {missed}"
    # The check catches the services whose name says it, and a name the preview cuts short.
    assert reveals("113 Zelfmoordpreventie 0800-0113", revealing)
    assert reveals("Veilig Thuis 0800-2000 or Centrum Seksueel Geweld", revealing)
    assert reveals("هل تعرضت لاغتصاب", revealing) and reveals("Торгівля людьми", revealing)
    shown = []
    # Every message as sent (both channels, SMS and WhatsApp forms, every screen with its menu
    # lines, service names and directory entries, place answers), as a locked phone shows it.
    content = renderer.content
    for locale in LANGUAGES:
        for channel in Channel:
            sent = [(key, renderer.message(locale, key, channel)) for key in content.catalogues[locale].messages]
            sent = [(key, text) for key, text in sent if sent_alone(key)]
            for name, refs in screens(content, locale):
                sent += [(name, text) for text in renderer.render_messages(locale, refs, channel)]
            for what, text in sent:
                if found := reveals(text, revealing):
                    shown.append(f"{locale} {what} ({channel.value}) shows {found} in {text[:PREVIEW]!r}")
    assert not shown, f"{len(shown)} previews name the subject:\n" + "\n".join(shown)
    for locale in LANGUAGES:
        catalogue = content.catalogues[locale]
        for name, node in content.flow.nodes.items():
            titles = [catalogue.messages[t].whatsapp for o in node.options if (t := content.flow.nodes[o].title)]
            if not (node.directory or any(reveals(title, revealing) for title in titles)):
                continue
            for channel in Channel:
                # A screen listing such options or services opens with a line of its own, never an option.
                first = renderer.render(locale, (Menu(name),), channel).splitlines()[0]
                assert not re.match(r"\d ", first) and not reveals(first, revealing), (locale, name, channel, first)
    directory = renderer.content.directory
    for service in directory.services:
        # A service name may start a line, never a message: every screen opens with a neutral line.
        for locale in LANGUAGES:
            for channel in Channel:
                line = renderer.service(locale, service, channel)
                assert not reveals(line, revealing) or service.name in line, (locale, service.id)


def test_every_short_form_keeps_every_fact_of_its_full_form(content: Content) -> None:
    sheet = line_facts()
    assert set(sheet.by_key) <= set(content.catalogues["en"].messages), "flows/facts.toml names unknown messages"
    lost = []
    for locale in LANGUAGES:
        catalogue = content.catalogues[locale]
        assert not unworded(catalogue, sheet), f"{locale}: [facts] gives no words for {unworded(catalogue, sheet)}"
        for key in sheet.by_key:
            for channel in Channel:
                if gone := missing(catalogue, key, channel, sheet):
                    form = catalogue.messages[key].for_channel(channel)
                    lost.append(f"{locale} {key} ({channel.value}) lost {gone}: {form!r}")
    assert not lost, f"{len(lost)} forms lost facts:\n" + "\n".join(lost)


def test_a_fact_counts_whole_and_in_the_sms_spelling(content: Content) -> None:
    ar, ti, tr = (content.catalogues[locale] for locale in ("ar", "ti", "tr"))
    assert says(ar, "113", "113 (سعر مكالمة عادية)") and not says(ar, "113", "0800-0113")
    assert says(ti, "0800-2000", "Veilig Thuis 0800-2000ን")  # Ge'ez writes the "and" onto the number
    assert says(tr, "medical_care", "Tibbi bakim") and says(tr, "medical_care", "Tıbbi bakım")
    assert not says(tr, "medical_care", "Polis sadece siz isterseniz")


# "Up to 7 days" and "in 7 days" read as "too late after" (or "wait a week"): never.
NOT_THE_DEADLINE = ("up to 7", "in 7 days", "tot 7 dagen", "до 7 днів", "до 7 дней", "jusqu'à 7", "hasta 7")


def test_seven_days_says_at_the_latest_and_that_longer_ago_still_counts(content: Content) -> None:
    wrong = []
    for locale in LANGUAGES:
        catalogue = content.catalogues[locale]
        for key, text in catalogue.messages.items():
            for form in (text.sms, text.whatsapp):
                if not re.search(r"(?<![\d/-])7(?![\d/-])", form):
                    continue  # names no seven days (24/7 and phone numbers do not count)
                kept = [f for f in ("asap", "deadline_7_days", "longer_ago_call_too") if says(catalogue, f, form)]
                said = [phrase for phrase in NOT_THE_DEADLINE if phrase in form.lower()]
                if len(kept) < 3 or said:
                    wrong.append(f"{locale} {key}: says {kept}, {said}: {form!r}")
    assert not wrong, "\n".join(wrong)


def test_no_reply_is_longer_than_twilio_sends(renderer: Renderer) -> None:
    for locale, what, text in everything_sent(renderer):
        assert len(text) <= 1600, f"{locale} {what}: {len(text)} characters"


def test_a_message_left_out_of_the_sms_form_leaves_no_empty_line(renderer: Renderer) -> None:
    # main.intro has no SMS form in some languages (a segment saved): the menu starts with option 1.
    assert renderer.content.catalogues["ar"].messages["main.intro"].sms == ""
    for locale in LANGUAGES:
        for name, refs in screens(renderer.content, locale):
            for text in renderer.render_messages(locale, refs, Channel.SMS):
                assert "\n\n\n" not in text, f"{locale} {name}: {text[:60]!r}"


def test_every_sms_fits_its_segment_budget(renderer: Renderer) -> None:
    budgets = {locale: budget(renderer.content.catalogues[locale]) for locale in LANGUAGES}
    assert [locale for locale, b in budgets.items() if b == 3] == GSM7_LANGUAGES
    for locale, what, text in everything_sent(renderer):
        if what.endswith("(whatsapp)"):
            continue  # WhatsApp has no segments; its fuller forms may be longer
        spent = cost(text)
        assert spent.segments <= budgets[locale], f"{locale} {what}: {spent}"


@pytest.mark.parametrize("locale", GSM7_LANGUAGES)
def test_latin_script_languages_are_written_in_gsm7(content: Content, locale: str) -> None:
    for key, text in content.catalogues[locale].messages.items():
        assert is_gsm7(text.sms), f"{locale} {key}: {text.sms!r}"
        if locale not in {"tr", "es"}:  # Turkish and Spanish WhatsApp keep their own letters
            assert is_gsm7(text.whatsapp), f"{locale} {key}: {text.whatsapp!r}"
    if locale == "tr":
        help_now = content.catalogues["tr"].messages["help_now.body"]
        assert "ş" in help_now.whatsapp and "ş" not in help_now.sms
    if locale == "es":
        # GSM-7 has é ñ ü ¿ ¡, so they stay; á í ó ú lose their accent on SMS only.
        body = content.catalogues["es"].messages["help_now.body"]
        assert "ó" in body.whatsapp and "ó" not in body.sms and "é" in body.sms and "é" in body.whatsapp


def test_segment_counting() -> None:
    assert cost("a" * 160).segments == 1
    assert cost("a" * 161).segments == 2
    assert cost("a" * 306).segments == 2
    assert cost("a" * 158 + "€").units == 160
    assert cost("a" * 159 + "€").segments == 2
    assert cost("ş" * 70) == Cost("UCS-2", 70, 1)
    assert cost("a" * 70 + "ş").segments == 2
    assert cost("ë").encoding == "UCS-2"
    assert cost("é").encoding == "GSM-7"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_screen_ends_with_the_footer(renderer: Renderer, locale: str) -> None:
    flow = renderer.content.flow
    footer = renderer.message(locale, flow.footer, Channel.SMS)
    assert "0" in footer and "112" in footer
    for channel in Channel:
        # The main menu is the menu: its last line is 112 and what it is for, without "0 Menu".
        main = renderer.message(locale, flow.footer_main, channel)
        assert main.startswith("112 ") and len(main) > len("112 ") and "0 " not in main, (locale, main)
        assert main in renderer.message(locale, flow.footer, channel), (locale, main)
    for name, refs in screens(renderer.content, locale):
        # The text to forward goes alone (no footer); help first ends with the offer of languages.
        sent = renderer.render_messages(locale, refs, Channel.SMS)
        # A first reply's greeting or notice may go as a message of its own: the menu after it ends so.
        first = sent[-1] if isinstance(refs[0], Greeting | Notice) else sent[0]
        last = footer if refs[-1] != Menu(flow.main) else renderer.message(locale, flow.footer_main, Channel.SMS)
        if name in {"help first", "danger first"}:
            offer = renderer.message(locale, flow.messages["language_offer"], Channel.SMS)
            assert footer in first and first.endswith(offer), name
        else:
            assert first.endswith("\n" + last), name
        if refs[-1] == Menu(flow.main):
            assert not first.endswith(footer), f"{name}: the main menu offers 0 Menu"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_help_now_carries_the_emergency_numbers(renderer: Renderer, locale: str) -> None:
    text = renderer.render(locale, (Menu("help_now"),), Channel.SMS)
    for number in ("112", "0800-2000", "0800-0188"):
        assert number in text, locale


@pytest.mark.parametrize("locale", LANGUAGES)
def test_health_care_names_a_gp_for_people_under_temporary_protection(renderer: Renderer, locale: str) -> None:
    # DOMAIN.md: people from Ukraine under temporary protection go to a GP near them; the RMO pays
    # with a BSN, the CAK's scheme without one.
    for channel in Channel:
        text = renderer.render(locale, (Menu("services_health"),), channel)
        assert "Huisarts" in text and "RMO" in text and "CAK" in text and "BSN" in text, (locale, channel)


@pytest.mark.parametrize("locale", LANGUAGES)
def test_share_gives_the_sms_number_and_a_whatsapp_link(renderer: Renderer, locale: str) -> None:
    share = step(renderer.content, Visit(node="main", locale=locale), Message.of("5", Channel.SMS))
    for channel in Channel:
        instruction, forward = renderer.render_messages(locale, share.replies, channel)
        # The text to forward is a message of its own: nothing in it but what the recipient needs.
        assert "+447700900000" in forward and "+447700900000" not in instruction
        assert forward.endswith("https://wa.me/447700900001?text=SAMEN")
        assert "SAMEN" in forward.split("https://")[0], "the forward text says who runs the line"
        assert "wa.me/?text=" not in instruction + forward


def test_readme_lists_every_language_with_its_review_status(content: Content) -> None:
    readme = (Path(__file__).resolve().parent.parent / "docs" / "languages.md").read_text(encoding="utf-8")
    rows = {row.split("|")[1].strip(): row.split("|")[1:-1] for row in readme.splitlines() if row.startswith("| `")}
    for locale in LANGUAGES:
        catalogue = content.catalogues[locale]
        row = rows.get(f"`{locale}` {catalogue.name}")
        assert row, f"docs/languages.md's languages table has no row for `{locale}` {catalogue.name}"
        # Columns: language, script, native-speaker review, note. The review cell says what the catalogue says.
        assert row[2].strip() == ("yes" if catalogue.reviewed else "**no**"), (locale, row[2])
        for keyword in catalogue.keywords["help"]:
            assert keyword in readme, (locale, keyword)
    none_reviewed = not any(content.catalogues[locale].reviewed for locale in LANGUAGES)
    assert ("**None has been reviewed yet**" in readme) == none_reviewed


def test_readme_languages_table_is_what_make_content_prints() -> None:
    readme = (Path(__file__).resolve().parent.parent / "docs" / "languages.md").read_text(encoding="utf-8")
    inside = readme.split("<!-- languages-table:start -->\n")[1].split("\n<!-- languages-table:end -->")[0]
    messages = Path(__file__).resolve().parent.parent / "messages"
    assert inside == table(load_catalogues(messages, LANGUAGES)), "paste `python -m samen_sms.authoring.review`"


def test_the_footer_word_for_menu_is_a_keyword_in_every_language(content: Content) -> None:
    for locale in LANGUAGES:
        footer = content.catalogues[locale].messages[content.flow.footer].sms
        word = footer.split()[1]
        assert content.lexicon.first_word.get(fold(word), ("",))[0] == "menu", (locale, word)


def test_no_place_name_starts_with_a_keyword(content: Content) -> None:
    for place in content.places.by_code.values():
        first = words(place.name)[0]
        assert first not in content.lexicon.first_word and first not in content.lexicon.whole, place.name


def test_the_segment_table_command_prints_every_language(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == LANGUAGES
    assert "help_now.body" in table and "screen services_sexual" in table
    assert table.splitlines()[-3].split()[0] == "conversation"
    assert len(table.splitlines()[-3].split()) == len(LANGUAGES) + 1


# Issue #10's benchmark (segments.CONVERSATION): 40 segments for languages written in GSM-7; issue #20
# lets a language written in UCS-2 spend up to 55 so that no fact is dropped. The languages not yet
# within that, and the figure each has reached: none since issue #21 (Russian's SMS forms shortened
# to 55 with every fact kept, beside the main menu's eighth option, "Talk to a person").
NOT_YET_WITHIN: dict[str, int] = {}


def goal(locale: str) -> int:
    """The segments the benchmark conversation may cost in a language: 40 in GSM-7, 55 in UCS-2."""
    return CONVERSATION_BUDGET if locale in GSM7_LANGUAGES else CONVERSATION_BUDGET_UCS2


def benchmark(renderer: Renderer, locale: str) -> list[int]:
    """Segments of each SMS message of the benchmark conversation in one language."""
    return conversation(renderer.content, lambda loc, refs: renderer.render_messages(loc, refs, Channel.SMS), locale)


@pytest.mark.parametrize(
    "locale",
    [
        pytest.param(locale, marks=pytest.mark.xfail(strict=True, reason="issue #20: not yet within 55 in UCS-2"))
        if locale in NOT_YET_WITHIN
        else locale
        for locale in LANGUAGES
    ],
)
def test_the_benchmark_conversation_costs_at_most_its_goal(renderer: Renderer, locale: str) -> None:
    # Hello, help now, a need, a place, advice, share and a sign-up: 20 SMS replies.
    costs = benchmark(renderer, locale)
    # 20 replies; share sends its text to forward as a message of its own, and the greeting goes as
    # one where that costs fewer segments than beside the language menu.
    assert len(costs) in {21, 22}
    assert sum(costs) <= goal(locale), f"{locale}: {sum(costs)} segments, per message {costs}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_benchmark_conversation_costs_no_more_than_it_has_reached(renderer: Renderer, locale: str) -> None:
    # A shortened SMS form that grows back shows here before it costs survivors a segment.
    costs = benchmark(renderer, locale)
    allowed = NOT_YET_WITHIN.get(locale, goal(locale))
    assert sum(costs) <= allowed, f"{locale}: {sum(costs)} segments (reached: {allowed}), per message {costs}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_the_main_menu_offers_a_person_last_and_fits_one_sms_in_gsm7(renderer: Renderer, locale: str) -> None:
    # Issue #21: "Talk to a person" is on the main menu, after the seven options people learned.
    for channel in (Channel.SMS, Channel.WHATSAPP):
        [menu] = renderer.render_messages(locale, (Menu("main"),), channel)
        person = renderer.message(locale, "person.title", channel)
        assert f"\n8 {person}\n" in menu, f"{locale} {channel}: {menu!r}"
        if channel is Channel.SMS and locale in GSM7_LANGUAGES:
            # Six main menus in the benchmark conversation: one segment each.
            assert cost(menu).segments == 1, f"{locale}: {len(menu)} characters: {menu!r}"


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_directory_entry_a_helper_inserts_goes_with_112_and_a_gone_one_never_empty(
    renderer: Renderer, locale: str
) -> None:
    footer = renderer.message(locale, renderer.content.flow.footer, Channel.SMS)
    csg = next(s for s in renderer.content.directory.services if s.phone == "0800-0188")
    for channel in (Channel.SMS, Channel.WHATSAPP):
        sent = renderer.render(locale, (Entry(csg.id),), channel)
        assert sent.startswith(renderer.service(locale, csg, channel)) and "112" in sent.splitlines()[-1]
    assert renderer.render(locale, (Entry("gone-since"),), Channel.SMS) == footer
