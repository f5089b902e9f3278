"""`python -m samen_sms.authoring.reviewpack`: what a native speaker must check, one HTML page per language.

A pack lists every message of one language beside the English source: its full (WhatsApp) and
short (SMS) forms as the catalogue holds them, its facts (`content.facts`: each fact id, this
language's words for it, and whether each form says it), the first 40 characters a locked phone
shows of each form as the worker sends it (placeholders filled in), and the SMS form's segments.

The page is one self-contained file (no style, script or font from elsewhere) that prints on A4
landscape and is also the reviewer's form: per message *ok*, or *change* with a suggested text and
a comment. Its "Save verdicts" button downloads `<lang>-verdicts.csv` (the columns of `FIELDS`),
which `python -m samen_sms.authoring.verdicts` imports as the per-message review status. The page
keeps what was typed in the browser's own storage, so closing it loses nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

from samen_sms.authoring.po import where_shown
from samen_sms.authoring.review import SOURCE, entries, fingerprint
from samen_sms.content.catalogue import Catalogue, Text
from samen_sms.content.discretion import PREVIEW, revealing_words, reveals
from samen_sms.content.engine import Content
from samen_sms.content.facts import FactSheet, facts_of, line_facts, says, words_for
from samen_sms.content.render import Renderer
from samen_sms.content.smscost import cost
from samen_sms.core.identity import Channel

# The verdict file's columns, in order: what the page saves and the import reads.
FIELDS = ("lang", "key", "english_fp", "text_fp", "verdict", "suggested_sms", "suggested_whatsapp", "comment")
VERDICTS = ("ok", "change")
# Example numbers (never a real line's) when TWILIO_SMS_FROM / TWILIO_WHATSAPP_FROM are not set.
EXAMPLE_SMS, EXAMPLE_WHATSAPP = "+447700900000", "whatsapp:+447700900001"


@dataclass(frozen=True)
class FactCheck:
    """One fact of a message: this language's words for it and which forms say it."""

    fact: str
    words: tuple[str, ...]
    in_sms: bool
    in_whatsapp: bool


@dataclass(frozen=True)
class Row:
    """One message as the pack shows it."""

    key: str
    shown: str
    english: Text
    text: Text
    facts: tuple[FactCheck, ...]
    preview_sms: str
    preview_whatsapp: str
    revealing: tuple[str, ...]
    segments: int
    encoding: str
    english_fp: str
    text_fp: str


@dataclass(frozen=True)
class Pack:
    """Every message of one language, ready for a native speaker."""

    locale: str
    name: str
    rtl: bool
    review_note: str
    made: date
    rows: tuple[Row, ...]


def text_fingerprint(text: Text) -> str:
    """The fingerprint of a translation as the reviewer reads it (both forms)."""
    return fingerprint((text.sms, text.whatsapp))


def build(renderer: Renderer, locale: str, sheet: FactSheet | None = None, made: date | None = None) -> Pack:
    """The pack of one language: each message of the English catalogue, in the English's order."""
    content = renderer.content
    source, catalogue = content.catalogues[SOURCE], content.catalogues[locale]
    shown = where_shown(content.flow)
    revealing = revealing_words(content.catalogues)
    english_entries = entries(source)
    rows = []
    for key, english in source.messages.items():
        text = catalogue.messages[key]
        sms = renderer.message(locale, key, Channel.SMS)
        whatsapp = renderer.message(locale, key, Channel.WHATSAPP)
        spent = cost(sms)
        rows.append(
            Row(
                key=key,
                shown=shown.get(key, "in replies about " + key.split(".")[0]),
                english=english,
                text=text,
                facts=_facts(catalogue, key, sheet),
                preview_sms=sms[:PREVIEW],
                preview_whatsapp=whatsapp[:PREVIEW],
                revealing=tuple(dict.fromkeys(reveals(sms, revealing) + reveals(whatsapp, revealing))),
                segments=spent.segments,
                encoding=spent.encoding,
                english_fp=fingerprint(english_entries[key]),
                text_fp=text_fingerprint(text),
            )
        )
    return Pack(locale, catalogue.name, catalogue.rtl, catalogue.review_note, made or date.today(), tuple(rows))


def _facts(catalogue: Catalogue, key: str, sheet: FactSheet | None) -> tuple[FactCheck, ...]:
    text = catalogue.messages[key]
    return tuple(
        FactCheck(
            fact, words_for(catalogue, fact), says(catalogue, fact, text.sms), says(catalogue, fact, text.whatsapp)
        )
        for fact in facts_of(key, sheet)
    )


def blank_verdicts(pack: Pack) -> str:
    """The verdict file with no verdict yet (what the page saves before anything is chosen)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in pack.rows:
        writer.writerow((pack.locale, row.key, row.english_fp, row.text_fp, "", "", "", ""))
    return out.getvalue()


def _cell(text: str, lang: str, css: str = "text") -> str:
    # dir="auto" per cell, and each line by its first strong letter (as a phone shows a message):
    # an Arabic line that opens with "Veilig Thuis" or 112 still reads right to left.
    return f'<div class="{css}" lang="{lang}" dir="auto">{escape(text)}</div>'


def _forms(text: Text, lang: str) -> str:
    full = f'<p class="form">Full (WhatsApp)</p>{_cell(text.whatsapp, lang)}'
    if text.sms == text.whatsapp:
        return full + '<p class="form">Short (SMS): the same</p>'
    return full + f'<p class="form">Short (SMS)</p>{_cell(text.sms, lang)}'


def _fact_list(row: Row, lang: str) -> str:
    if not row.facts:
        return '<p class="none">no facts listed</p>'
    items = []
    for fact in row.facts:
        marks = " ".join(
            f'<span class="{"yes" if said else "no"}">{form} {"✓" if said else "✗ missing"}</span>'
            for form, said in (("full", fact.in_whatsapp), ("SMS", fact.in_sms))
        )
        words = ", ".join(fact.words)
        said_as = f' (<bdi lang="{lang}">{escape(words)}</bdi>)' if words != fact.fact else ""
        items.append(f'<li><code class="fact">{escape(fact.fact)}</code>{said_as} {marks}</li>')
    return "<ul>" + "".join(items) + "</ul>"


def _lock(row: Row, lang: str) -> str:
    out = [
        f'<p class="form">SMS</p>{_cell(row.preview_sms, lang, "text lock")}',
        f'<p class="form">WhatsApp</p>{_cell(row.preview_whatsapp, lang, "text lock")}',
        f'<p class="seg">SMS form: <b>{row.segments}</b> segment{"" if row.segments == 1 else "s"} '
        f"({row.encoding})</p>",
    ]
    if row.revealing:
        out.append(f'<p class="warn" lang="{lang}" dir="auto">shows: {escape(", ".join(row.revealing))}</p>')
    return "".join(out)


def _verdict(row: Row, lang: str) -> str:
    name = escape(row.key)
    return (
        f'<label><input type="radio" name="v:{name}" value="ok"> ok</label> '
        f'<label><input type="radio" name="v:{name}" value="change"> change</label>'
        f'<label class="field">Suggested short (SMS)<textarea data-field="suggested_sms" lang="{lang}" dir="auto" '
        'rows="3"></textarea></label>'
        f'<label class="field">Suggested full (WhatsApp)<textarea data-field="suggested_whatsapp" lang="{lang}" '
        'dir="auto" rows="3"></textarea></label>'
        '<label class="field">Comment<textarea data-field="comment" dir="auto" rows="2"></textarea></label>'
    )


def html(pack: Pack) -> str:
    """The pack as one self-contained, printable HTML page that is also the reviewer's form."""
    lang = escape(pack.locale)
    rows = []
    for n, row in enumerate(pack.rows, 1):
        rows.append(
            f'<tr class="msg" data-key="{escape(row.key)}" data-english-fp="{row.english_fp}" '
            f'data-text-fp="{row.text_fp}">'
            f'<td class="key"><b>{n}</b> <code>{escape(row.key)}</code><p class="shown">{escape(row.shown)}</p></td>'
            f"<td>{_forms(row.english, SOURCE)}</td>"
            f"<td>{_forms(row.text, lang)}</td>"
            f"<td>{_fact_list(row, lang)}</td>"
            f"<td>{_lock(row, lang)}</td>"
            f'<td class="verdict">{_verdict(row, lang)}</td></tr>'
        )
    direction = "right to left" if pack.rtl else "left to right"
    title = f"SAMEN review pack: {escape(pack.name)} ({lang})"
    return _PAGE.format(
        lang=lang,
        title=title,
        name=escape(pack.name),
        direction=direction,
        note=escape(pack.review_note),
        made=pack.made.isoformat(),
        count=len(pack.rows),
        preview=PREVIEW,
        rows="\n".join(rows),
        fields=",".join(FIELDS),
    )


_STYLE = """
body { font: 11pt/1.35 system-ui, sans-serif; margin: 1.5em; color: #111; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { border: 1px solid #999; padding: .35em; vertical-align: top; text-align: start; }
th { background: #eee; }
tr.msg { break-inside: avoid; page-break-inside: avoid; }
.text { white-space: pre-wrap; unicode-bidi: plaintext; overflow-wrap: anywhere; }
.lock { background: #f1f1f1; padding: .15em .3em; }
.form, .shown, .seg { margin: .3em 0 .1em; font-size: 85%; color: #444; }
.yes { color: #075; white-space: nowrap; } .no { color: #b00; font-weight: bold; white-space: nowrap; }
.warn { color: #b00; font-weight: bold; }
ul { margin: 0; padding-inline-start: 1.1em; }
.field { display: block; margin-top: .4em; font-size: 85%; }
textarea { width: 100%; box-sizing: border-box; font: inherit; unicode-bidi: plaintext; }
#save { font-size: 110%; padding: .4em 1em; }
@page { size: A4 landscape; margin: 1cm; }
@media print { #save, #status, .noprint { display: none; } body { margin: 0; font-size: 9pt; } }
"""

_SCRIPT = """
(function () {
  var lang = document.documentElement.lang, fields = document.body.dataset.fields.split(",");
  var store = "samen-review-" + lang + "-" + document.body.dataset.made;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.msg"));
  function verdictOf(tr) { var c = tr.querySelector("input[type=radio]:checked"); return c ? c.value : ""; }
  function valuesOf(tr) {
    var v = { lang: lang, key: tr.dataset.key, english_fp: tr.dataset.englishFp, text_fp: tr.dataset.textFp,
              verdict: verdictOf(tr) };
    tr.querySelectorAll("textarea").forEach(function (t) { v[t.dataset.field] = t.value; });
    return v;
  }
  function cell(s) { s = s || ""; return /[",\\r\\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function csv() {
    var lines = [fields.join(",")];
    rows.forEach(function (tr) {
      var v = valuesOf(tr);
      lines.push(fields.map(function (f) { return cell(v[f]); }).join(","));
    });
    return lines.join("\\n") + "\\n";
  }
  function status() {
    var done = rows.filter(function (tr) { return verdictOf(tr); }).length;
    document.getElementById("status").textContent = done + " of " + rows.length + " messages have a verdict.";
  }
  function keep() {
    var saved = {};
    rows.forEach(function (tr) { saved[tr.dataset.key] = valuesOf(tr); });
    try { localStorage.setItem(store, JSON.stringify(saved)); } catch (e) { /* a private window: nothing kept */ }
    status();
  }
  try {
    var before = JSON.parse(localStorage.getItem(store) || "{}");
    rows.forEach(function (tr) {
      var v = before[tr.dataset.key]; if (!v) return;
      tr.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === v.verdict; });
      tr.querySelectorAll("textarea").forEach(function (t) { t.value = v[t.dataset.field] || ""; });
    });
  } catch (e) { /* nothing kept yet */ }
  document.addEventListener("input", keep);
  document.addEventListener("change", keep);
  document.getElementById("save").addEventListener("click", function () {
    var blob = new Blob(["\\ufeff" + csv()], { type: "text/csv;charset=utf-8" });
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = lang + "-verdicts.csv";
    document.body.appendChild(a); a.click(); a.remove();
  });
  status();
})();
"""

_PAGE = (
    """<!doctype html>
<html lang="{lang}" dir="ltr">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>"""
    + _STYLE.replace("{", "{{").replace("}", "}}")
    + """</style></head>
<body data-fields="{fields}" data-made="{made}">
<h1>{title}</h1>
<p>Made {made}. {count} messages; {name} is written {direction}. {note}</p>
<p>For each message, read the translation beside the English. Please check:</p>
<ul>
<li>it says what the English says, in words people use, addressing the reader politely (plural or polite form);</li>
<li>both the full (WhatsApp) form and the short (SMS) form keep every fact listed: 112, each phone number, free,
day and night, "can be anonymous", "at the latest 7 days after it happened" and "longer ago: call too";</li>
<li>the first {preview} characters, which a locked phone shows, do not name sex, violence, abuse, rape or suicide;</li>
<li>words in {{curly brackets}} stay exactly as written (the line fills them in).</li>
</ul>
<p>Then choose <b>ok</b>, or <b>change</b> with your suggested text and a comment. When you are done, press
<b>Save verdicts</b> and send the file it saves to your SAMEN contact. What you type is kept in this browser
until then. On paper: print this page and write in the last column.</p>
<p class="noprint"><button id="save" type="button">Save verdicts</button> <span id="status"></span></p>
<table>
<colgroup><col style="width: 11%"><col style="width: 20%"><col style="width: 22%"><col style="width: 14%">
<col style="width: 15%"><col style="width: 18%"></colgroup>
<thead><tr><th>Message</th><th>English</th><th>{name}</th><th>Facts</th>
<th>Locked phone: first {preview} characters</th><th>Your verdict</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<script>"""
    + _SCRIPT.replace("{", "{{").replace("}", "}}")
    + """</script>
</body></html>
"""
)


def write_packs(renderer: Renderer, locales: Sequence[str], out: Path) -> list[Path]:
    """Write `<lang>.html` for each language into `out`; the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for locale in locales:
        path = out / f"{locale}.html"
        path.write_text(html(build(renderer, locale, line_facts())), encoding="utf-8")
        written.append(path)
    return written


def line_renderer(content: Content) -> Renderer:
    """A renderer with the line's numbers (TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM) or example ones."""
    from samen_sms.content.render import line_params

    sms = os.environ.get("TWILIO_SMS_FROM") or EXAMPLE_SMS
    whatsapp = os.environ.get("TWILIO_WHATSAPP_FROM") or EXAMPLE_WHATSAPP
    return Renderer(content, line_params(sms, whatsapp, os.environ.get("SAMEN_LINE_NAME") or "SAMEN"))


def main(argv: list[str] | None = None) -> int:
    """Write the review pack of one language, several, or every language of the flow."""
    from samen_sms.content.loader import load_content
    from samen_sms.core.config import Config

    parser = argparse.ArgumentParser(
        prog="python -m samen_sms.authoring.reviewpack",
        description="Write a review pack (<lang>.html) per language: every message beside the English, its facts, "
        "its first 40 characters and SMS segments, and a verdict column that saves <lang>-verdicts.csv.",
    )
    parser.add_argument("--lang", action="append", metavar="LANG", help="a language (repeatable); default: all")
    parser.add_argument("--out", type=Path, default=Path("packs"), help="directory to write into (default: packs/)")
    args = parser.parse_args(argv)
    # Every catalogue, also those SAMEN_LANGUAGES holds back: they are the ones waiting for review.
    content = load_content(Config.from_env({"SAMEN_ENV": "development"}))
    known = list(content.flow.languages)
    unknown = [loc for loc in args.lang or () if loc not in known]
    if unknown:
        parser.error(f"--lang {', '.join(unknown)}: not a language of the flow ({', '.join(known)})")
    for path in write_packs(line_renderer(content), args.lang or known, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
