"""Translators' workflow: PO export and import through `flask content`, refusals, review and staleness."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polib
import pytest
from flask import Flask

from samen_sms.app import create_app
from samen_sms.authoring.poimport import export_directory, import_directory
from samen_sms.authoring.review import State, entries, fingerprint, progress, state
from samen_sms.content.catalogue import load_catalogue
from samen_sms.content.engine import Content
from samen_sms.content.loader import load_content
from samen_sms.content.render import line_params
from samen_sms.core.config import Config
from tests.conftest import line_content, line_languages, with_config

MESSAGES = Path(__file__).resolve().parent.parent / "messages"
PARAMS = line_params("+447700900000", "whatsapp:+447700900001")


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    """A copy of the catalogues that imports may change."""
    target = tmp_path / "messages"
    shutil.copytree(MESSAGES, target)
    return target


def _content(messages: Path) -> Content:
    """The content with these catalogues: while they are the line's own, unchanged, as loaded once."""
    if _snapshot(messages) == _snapshot(MESSAGES):
        return line_content()
    return load_content(replace(Config.from_env({"SAMEN_ENV": "development"}), messages_dir=messages))


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob("*.toml"))}


def _edit(po_dir: Path, locale: str, context: str, change: Callable[[polib.POEntry], None]) -> None:
    path = po_dir / f"{locale}.po"
    po = polib.pofile(str(path))
    found = [entry for entry in po if entry.msgctxt == context]
    assert found, context
    change(found[0])
    po.save(str(path))


def _import(messages: Path, po_dir: Path) -> tuple[dict[Path, str], list[str]]:
    # As `flask content import` does: write only when nothing is refused.
    planned, refusals = import_directory(_content(messages), PARAMS, messages, po_dir)
    if not refusals:
        for path, text in planned.items():
            path.write_text(text, encoding="utf-8")
    return planned, [str(refusal) for refusal in refusals]


@pytest.fixture
def cli_app(config: Config, messages: Path) -> Flask:
    return create_app({"TESTING": True}, config=with_config(config, messages_dir=messages), content=_content(messages))


def test_export_then_import_without_a_change_changes_nothing(cli_app: Flask, messages: Path, tmp_path: Path) -> None:
    before = _snapshot(messages)
    runner = cli_app.test_cli_runner()
    exported = runner.invoke(args=["content", "export", str(tmp_path / "po")])
    assert exported.exit_code == 0, exported.output
    assert sorted(p.name for p in (tmp_path / "po").glob("*.po")) == sorted(f"{loc}.po" for loc in _LANGS)
    imported = runner.invoke(args=["content", "import", str(tmp_path / "po")])
    assert imported.exit_code == 0, imported.output
    assert "nothing changed" in imported.output
    assert "| `prs` دری |" in imported.output
    assert _snapshot(messages) == before


_LANGS = line_languages()


def test_each_entry_tells_the_translator_where_placeholders_budget_and_discretion(
    messages: Path, tmp_path: Path
) -> None:
    export_directory(_content(messages), tmp_path)
    po = polib.pofile(str(tmp_path / "prs.po"))
    assert po.metadata["Language"] == "prs"
    by_context = {entry.msgctxt: entry for entry in po}
    place = by_context["services.place_local"]
    assert place.msgid == "Near {place}, region {region}:"
    assert place.msgstr.startswith("نزدیک {place}")
    assert "Placeholders: {place}, {region}" in place.comment
    assert "at most 6 SMS segments" in place.comment
    assert "first 40 characters" in place.comment
    assert "Shown: the screen 'help_now'" in by_context["help_now.body#sms"].comment
    # A message with its own SMS and WhatsApp forms is two entries.
    assert {"auto.notice#sms", "auto.notice#whatsapp", "keywords.help", "answers.yes", "meta.name"} <= set(by_context)
    assert by_context["keywords.help"].msgstr == "کمک, کمکم, اضطراری"
    assert by_context["discretion.words"].msgstr.startswith("خشونت, آزار")
    dutch = {e.msgctxt: e for e in polib.pofile(str(tmp_path / "nl.po"))}
    assert "at most 3 SMS segments" in dutch["greeting"].comment


def test_an_imported_translation_changes_only_its_own_line(messages: Path, tmp_path: Path) -> None:
    export_directory(_content(messages), tmp_path)
    original = (messages / "prs.toml").read_text(encoding="utf-8").splitlines()

    def new_text(entry: polib.POEntry) -> None:
        entry.msgstr = "سلام، اینجا لین معلومات SAMEN است. خوش آمدید."

    _edit(tmp_path, "prs", "greeting", new_text)
    planned, refusals = _import(messages, tmp_path)
    assert refusals == []
    assert list(planned) == [messages / "prs.toml"]
    changed = (messages / "prs.toml").read_text(encoding="utf-8").splitlines()
    diff = [(a, b) for a, b in zip(original, changed, strict=True) if a != b]
    was, now = "سلام، اینجا لین معلومات SAMEN است.", "سلام، اینجا لین معلومات SAMEN است. خوش آمدید."
    assert diff == [(f'greeting = "{was}"', f'greeting = "{now}"')]
    assert load_catalogue(messages / "prs.toml").messages["greeting"].sms.endswith("خوش آمدید.")


def test_review_is_recorded_per_entry_and_goes_stale_when_the_english_changes(messages: Path, tmp_path: Path) -> None:
    export_directory(_content(messages), tmp_path)
    _edit(tmp_path, "prs", "greeting", lambda entry: entry.flags.append("reviewed"))
    _edit(tmp_path, "prs", "keywords.help", lambda entry: entry.flags.append("reviewed"))
    _, refusals = _import(messages, tmp_path)
    assert refusals == []
    prs, en = load_catalogue(messages / "prs.toml"), load_catalogue(messages / "en.toml")
    assert prs.reviews == {
        "greeting": fingerprint(entries(en)["greeting"]),
        "keywords.help": fingerprint(entries(en)["keywords.help"]),
    }
    assert progress(prs, en).reviewed == 2 and progress(prs, en).stale == 0

    # The English greeting changes: the Dari review no longer covers it.
    en_path = messages / "en.toml"
    en_path.write_text(
        en_path.read_text(encoding="utf-8").replace(
            'greeting = "Hello, this is the SAMEN information line."', 'greeting = "Hello, this is the SAMEN line."'
        ),
        encoding="utf-8",
    )
    en = load_catalogue(en_path)
    assert state(prs, en, "greeting") is State.STALE
    assert state(prs, en, "keywords.help") is State.REVIEWED
    assert (progress(prs, en).reviewed, progress(prs, en).stale) == (1, 1)

    # Exported again, the stale entry is fuzzy (Poedit and Weblate list it as needing work) ...
    again = tmp_path / "again"
    export_directory(_content(messages), again)
    greeting = {e.msgctxt: e for e in polib.pofile(str(again / "prs.po"))}["greeting"]
    assert greeting.fuzzy and "reviewed" not in greeting.flags
    # ... importing it unchanged keeps it stale, and a reviewer's mark makes it current again.
    before = _snapshot(messages)
    assert _import(messages, again) == ({}, [])
    assert _snapshot(messages) == before

    def reviewed(entry: polib.POEntry) -> None:
        entry.flags = ["reviewed"]

    _edit(again, "prs", "greeting", reviewed)
    _import(messages, again)
    assert state(load_catalogue(messages / "prs.toml"), en, "greeting") is State.REVIEWED


def _set(text: str) -> Callable[[polib.POEntry], None]:
    def change(entry: polib.POEntry) -> None:
        entry.msgstr = text

    return change


REFUSALS = {
    "missing-placeholder": (
        "prs", "services.place_local", "نزدیک {place}:",
        "prs services.place_local: placeholders do not match the English (missing ['region'])",
    ),
    "extra-placeholder": (
        "fr", "services.place_local", "Près de {place}, {region}, {town} :",
        "fr services.place_local: placeholders do not match the English (extra ['town'])",
    ),
    "over-budget": (
        # Spanish SMS are GSM-7 (meta.sms_letters): 3 segments at most.
        "es", "help_now.body#sms", "¿Peligro ahora? Llame al 112. " + "Información útil, gratis, día y noche. " * 13,
        "es help_now.body: costs 4 SMS segments alone, over the budget of 3",
    ),
    "revealing-nl": (
        "nl", "main.intro", "Hulp bij huiselijk geweld. Stuur een nummer:",
        "nl main.intro: the first 40 characters would show ['geweld']",
    ),
    "revealing-ru": (
        "ru", "greeting", "Насилие дома? Это линия SAMEN.",
        "ru greeting: the first 40 characters would show ['насили']",
    ),
    "keyword-collides": ("fr", "keywords.help", "aide, menu", "fr keywords.help: 'menu' is nl's keyword for menu"),
    "keyword-digit": ("fr", "keywords.help", "aide, 3", "fr keywords.help: '3' is a menu digit"),
    "rtl-unclosed": (
        "prs", "greeting", "\u202bسلام، اینجا لین معلومات SAMEN است.",
        "prs greeting: broken right-to-left text: direction embeddings are not closed",
    ),
    "rtl-latin": (
        "ckb", "greeting#sms", "Hello, this is the SAMEN information line.",
        "ckb greeting: broken right-to-left text: no right-to-left letters",
    ),
    "rtl-override": (
        "ar", "choose_language#sms", "\u202eرقم لغتكم:\u202c",
        "ar choose_language: broken right-to-left text: a direction override",
    ),
}


@pytest.mark.parametrize(("locale", "context", "text", "reason"), list(REFUSALS.values()), ids=list(REFUSALS))
def test_import_refuses_naming_language_entry_and_reason(
    messages: Path, tmp_path: Path, locale: str, context: str, text: str, reason: str
) -> None:
    export_directory(_content(messages), tmp_path)
    _edit(tmp_path, locale, context, _set(text))
    before = _snapshot(messages)
    planned, refusals = _import(messages, tmp_path)
    assert any(refusal.startswith(reason) for refusal in refusals), refusals
    assert _snapshot(messages) == before


def test_a_screen_over_budget_is_refused_by_name(messages: Path, tmp_path: Path) -> None:
    export_directory(_content(messages), tmp_path)
    # Each title alone is short; the services screen lists all of them.
    for context in ("services.home.title", "services.sexual.title", "services.health.title", "services.victim.title"):
        long_title = "Een veel langere titel voor dit onderdeel van het menu, echt veel te lang voor een scherm"
        _edit(tmp_path, "nl", context, _set(long_title))
    _, refusals = _import(messages, tmp_path)
    assert any(r.startswith("nl screen services: the screen costs") for r in refusals), refusals


def test_an_sms_form_is_imported_as_the_language_spells_its_sms(messages: Path, tmp_path: Path) -> None:
    # A translator writes Spanish with its accents, once for both channels; the SMS form is sent in
    # GSM-7 (meta.sms_letters), so it is written without á í ó ú, and the WhatsApp form keeps them.
    # Turkish likewise without ş and ı.
    export_directory(_content(messages), tmp_path)
    for locale in ("es", "tr"):
        contexts = {entry.msgctxt for entry in polib.pofile(str(tmp_path / f"{locale}.po"))}
        assert "share.body" in contexts and "share.body#sms" not in contexts, locale
    _edit(tmp_path, "es", "share.body", _set("Reenvíe el próximo mensaje a quien lo necesite:"))
    _edit(tmp_path, "tr", "share.body", _set("Sonraki mesajı ihtiyacı olan birine iletin:"))
    planned, refusals = _import(messages, tmp_path)
    assert refusals == []
    es, tr = load_catalogue(messages / "es.toml"), load_catalogue(messages / "tr.toml")
    assert es.messages["share.body"].sms == "Reenvie el proximo mensaje a quien lo necesite:"
    assert "í" in es.messages["share.body"].whatsapp
    assert tr.messages["share.body"].sms == "Sonraki mesaji ihtiyaci olan birine iletin:"


def test_an_entry_the_english_does_not_have_is_refused(messages: Path, tmp_path: Path) -> None:
    export_directory(_content(messages), tmp_path)
    po = polib.pofile(str(tmp_path / "es.po"))
    po.append(polib.POEntry(msgctxt="help_now.footnote", msgid="Extra", msgstr="Extra"))
    po.save(str(tmp_path / "es.po"))
    _, refusals = _import(messages, tmp_path)
    assert refusals == ["es help_now.footnote: not an entry of the English catalogue"]


def test_the_cli_refuses_and_writes_nothing(cli_app: Flask, messages: Path, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    assert runner.invoke(args=["content", "export", str(tmp_path / "po")]).exit_code == 0
    _edit(tmp_path / "po", "ps", "services.place_none#sms", _set("{place}: لا ځایي خدمتونه نشته."))
    before = _snapshot(messages)
    result = runner.invoke(args=["content", "import", str(tmp_path / "po")])
    assert result.exit_code == 1
    refused = "refused: ps services.place_none: placeholders do not match the English (missing ['region'])"
    assert refused in result.output
    assert "no catalogue was changed" in result.output
    assert _snapshot(messages) == before


def test_fingerprints_follow_the_english_text() -> None:
    assert fingerprint(("a", "a")) == fingerprint(("a", "a"))
    assert fingerprint(("a", "a")) != fingerprint(("a", "b"))
    assert len(fingerprint(("x",))) == 12
