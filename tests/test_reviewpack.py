"""Review packs for native speakers: every message with its facts and previews, and verdicts imported back."""

from __future__ import annotations

import csv
import io
import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest

from samen_sms.authoring import verdicts
from samen_sms.authoring.review import SOURCE, State, fingerprint, progress, state
from samen_sms.authoring.reviewpack import Pack, blank_verdicts, build, html, write_packs
from samen_sms.content.catalogue import Catalogue, Text, load_catalogue
from samen_sms.content.discretion import PREVIEW
from samen_sms.content.engine import Content
from samen_sms.content.facts import facts_of, line_facts, missing
from samen_sms.content.render import Renderer, line_params
from samen_sms.content.smscost import cost
from samen_sms.core.identity import Channel
from tests.conftest import line_content, line_languages

MESSAGES = Path(__file__).resolve().parent.parent / "messages"


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(line_content(), line_params("+447700900000", "whatsapp:+447700900001"))


@pytest.fixture
def messages(tmp_path: Path) -> Path:
    """A copy of the catalogues the import may change."""
    target = tmp_path / "messages"
    shutil.copytree(MESSAGES, target)
    return target


def rows_of(page: str) -> dict[str, str]:
    """Each message's table row in a pack, by its key."""
    return dict(re.findall(r'<tr class="msg" data-key="([^"]+)"[^>]*>(.*?)</tr>', page, re.S))


def test_the_pack_of_every_language_shows_every_message_its_english_forms_facts_and_previews(
    renderer: Renderer, tmp_path: Path
) -> None:
    content = renderer.content
    english = content.catalogues[SOURCE]
    assert set(line_languages()) == set(content.catalogues) and len(content.catalogues) == 15
    written = write_packs(renderer, line_languages(), tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{loc}.html" for loc in line_languages())
    facts_seen = 0
    for locale in line_languages():
        page = (tmp_path / f"{locale}.html").read_text(encoding="utf-8")
        catalogue = content.catalogues[locale]
        # One file that needs nothing else: no style, script, font or image from elsewhere.
        assert not re.search(r"<(link|img)\b|\bsrc=|https?://[^\s\"<]*\.(css|js|woff2?)\b", page), locale
        assert "@media print" in page and "Save verdicts" in page
        rows = rows_of(page)
        assert list(rows) == list(english.messages), f"{locale}: the pack lacks or reorders messages"
        for key, row in rows.items():
            text, source = catalogue.messages[key], english.messages[key]
            for form in (source.whatsapp, source.sms, text.whatsapp, text.sms):
                assert escape(form) in row, (locale, key, form)
            # The translation's cells: in its language, direction per cell (right to left where it is).
            assert f'<div class="text" lang="{locale}" dir="auto">{escape(text.whatsapp)}</div>' in row
            for channel in Channel:
                preview = renderer.message(locale, key, channel)[:PREVIEW]
                assert escape(preview) in row, (locale, key, channel, preview)
            segments = cost(renderer.message(locale, key, Channel.SMS)).segments
            assert f"SMS form: <b>{segments}</b> segment" in row, (locale, key)
            for fact in facts_of(key):
                facts_seen += 1
                assert f'<code class="fact">{escape(fact)}</code>' in row, (locale, key, fact)
            lost = missing(catalogue, key, Channel.SMS)
            assert ("SMS ✗ missing" in row) == bool(lost), (locale, key, lost)
            # The reviewer's column: ok or change, a suggested text of each form, a comment.
            for part in ('value="ok"', 'value="change"', "suggested_sms", "suggested_whatsapp", "comment"):
                assert part in row, (locale, key, part)
        if content.catalogues[locale].rtl:
            assert "is written right to left" in page and "unicode-bidi: plaintext" in page
    assert facts_seen >= 15 * len(line_facts().by_key)


def test_a_fact_a_short_form_lost_is_marked_missing_in_the_pack(renderer: Renderer) -> None:
    content = renderer.content
    key = "help_now.body"
    arabic = content.catalogues["ar"]
    text = arabic.messages[key]
    cut = Text(text.sms.replace("0800-2000", "0800"), text.whatsapp)
    lost = Renderer(
        Content.build(
            content.flow,
            {**content.catalogues, "ar": _with(arabic, key, cut)},
            content.places,
            content.directory,
            content.community,
            content.inputs,
        ),
        renderer.params,
    )
    row = rows_of(html(build(lost, "ar")))[key]
    fact = row[row.index('<code class="fact">0800-2000</code>') :].split("</li>")[0]
    assert "full ✓" in fact and "SMS ✗ missing" in fact


def _with(catalogue: Catalogue, key: str, text: Text) -> Catalogue:
    return replace(catalogue, messages={**catalogue.messages, key: text})


def _filled(pack: Pack, verdicts_by_key: dict[str, tuple[str, str, str, str]]) -> str:
    """The blank verdict file of a pack with some lines filled in: key -> verdict, sms, whatsapp, comment."""
    rows = list(csv.reader(io.StringIO(blank_verdicts(pack))))
    for row in rows[1:]:
        if row[1] in verdicts_by_key:
            row[4:8] = verdicts_by_key[row[1]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def test_an_import_marks_exactly_the_messages_said_ok_and_a_change_unmarks(
    renderer: Renderer, messages: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = build(renderer, "ar")
    english = load_catalogue(messages / "en.toml")
    before = {path.name: path.read_bytes() for path in messages.glob("*.toml")}
    ok = ["help_now.body", "main.intro", "share.body"]
    done = tmp_path / "ar-verdicts.csv"
    # As a spreadsheet in a Dutch locale saves it again: a byte-order mark and semicolons.
    rows = csv.reader(io.StringIO(_filled(pack, {key: ("ok", "", "", "") for key in ok})))
    with done.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    assert verdicts.main([str(done), "--lang", "ar", "--messages", str(messages)]) == 0
    arabic = load_catalogue(messages / "ar.toml")
    marked = {key for key in english.messages if state(arabic, english, key) is State.REVIEWED}
    assert marked == set(ok)
    assert progress(arabic, english).reviewed == len(ok)
    assert arabic.messages == load_catalogue(MESSAGES / "ar.toml").messages, "the texts must not change"
    changed = {path.name for path in messages.glob("*.toml") if path.read_bytes() != before[path.name]}
    assert changed == {"ar.toml"}
    assert "ar: 3 marked reviewed" in capsys.readouterr().out
    # A later verdict "change" takes the mark away and prints the suggestion for the translator.
    suggestion = "نص مقترح\nسطر ثان"
    done.write_text(_filled(pack, {"share.body": ("change", "", suggestion, "أقصر من فضلكم")}), encoding="utf-8")
    assert verdicts.main([str(done), "--lang", "ar", "--messages", str(messages)]) == 0
    arabic = load_catalogue(messages / "ar.toml")
    assert {key for key in english.messages if state(arabic, english, key) is State.REVIEWED} == set(ok) - {
        "share.body"
    }
    out = capsys.readouterr().out
    assert "share.body (line" in out and "نص مقترح" in out and "أقصر من فضلكم" in out
    # The mark is the fingerprint of the English as the reviewer read it: when it changes, stale.
    read = english.messages["help_now.body"]
    assert arabic.reviews["help_now.body"] == fingerprint((read.sms, read.whatsapp))


@pytest.mark.parametrize(
    ("edit", "line", "reason"),
    [
        (lambda rows: rows[3].__setitem__(0, "fa"), 4, "is for language 'fa', not 'ar'"),
        (lambda rows: rows[5].__setitem__(1, "help_now.bodyy"), 6, "'help_now.bodyy' is not a message"),
        (lambda rows: rows[2].__setitem__(4, "maybe"), 3, "verdict 'maybe' is neither ok nor change"),
        (lambda rows: rows[2].__setitem__(4, "change"), 3, "no suggested text and no comment"),
        (lambda rows: rows[2].__setitem__(slice(4, 6), ["ok", "other text"]), 3, "needs the verdict change"),
        (lambda rows: rows[2].__setitem__(slice(3, 5), ["0123456789ab", "ok"]), 3, "translation changed since"),
        (lambda rows: rows.append(list(rows[1])), 0, "was already given on line 2"),
        (lambda rows: rows[0].__setitem__(4, "verdikt"), 1, "the columns verdict are missing"),
    ],
    ids=["language", "unknown-key", "verdict", "empty-change", "ok-with-text", "text-changed", "twice", "header"],
)
def test_an_import_refuses_a_bad_line_naming_it_and_writes_nothing(
    renderer: Renderer,
    messages: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[list[list[str]]], None],
    line: int,
    reason: str,
) -> None:
    rows = list(csv.reader(io.StringIO(_filled(build(renderer, "ar"), {"main.intro": ("ok", "", "", "")}))))
    edit(rows)
    if line == 0:
        line = len(rows)
    done = tmp_path / "ar-verdicts.csv"
    with done.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(rows)
    before = (messages / "ar.toml").read_bytes()
    assert verdicts.main([str(done), "--lang", "ar", "--messages", str(messages)]) == 1
    err = capsys.readouterr().err
    assert f"ar-verdicts.csv line {line}: " in err and reason in err, err
    assert "ar.toml was not changed" in err
    assert (messages / "ar.toml").read_bytes() == before
