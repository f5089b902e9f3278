"""Catalogues as gettext PO files for translators (Poedit, Weblate), and what those files say back.

One PO file per language. Each entry's `msgctxt` names it (a message key such as `help_now.body`,
`keywords.help`, `answers.yes`, `discretion.words`, `meta.name`; a message with separate SMS and
WhatsApp forms is two entries, `key#sms` and `key#whatsapp`), `msgid` is the English text, `msgstr`
the translation, and
the extracted comments say where the text is shown, its placeholders, its SMS budget and that its
first 40 characters must be discreet. Review: an entry flagged `reviewed` (`#, reviewed`) and not
fuzzy has been read by a native speaker against today's English; export flags entries whose
English changed since their review `fuzzy`, so Poedit and Weblate list them as needing work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import polib

from samen_sms.authoring.review import SOURCE, State, entries, fingerprint, state
from samen_sms.content.catalogue import Catalogue, Text, placeholders
from samen_sms.content.discretion import PREVIEW
from samen_sms.content.flow import Flow
from samen_sms.content.smscost import UCS2_BUDGET

REVIEWED = "reviewed"
FUZZY = "fuzzy"
FORMS = ("sms", "whatsapp")
LIST_ENTRIES = ("keywords.", "answers.yes", "discretion.words")
NAME = "meta.name"


@dataclass(frozen=True)
class Refusal:
    """Why one entry of one language cannot be imported."""

    locale: str
    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.locale} {self.entry}: {self.reason}"


@dataclass
class Translation:
    """What a PO file says about one catalogue: its entries' new texts and which a reviewer marked."""

    locale: str
    messages: dict[str, Text] = field(default_factory=dict)
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    yes: tuple[str, ...] | None = None
    discreet: tuple[str, ...] | None = None
    name: str | None = None
    reviewed: set[str] = field(default_factory=set)
    fuzzy: set[str] = field(default_factory=set)
    refusals: list[Refusal] = field(default_factory=list)


def where_shown(flow: Flow) -> dict[str, str]:
    """Where the line shows each message, in words a translator can use."""
    out = {
        flow.greeting: "the first reply, above the language menu",
        flow.choose_language: "the language menu's first line",
        flow.footer: "the last line of every screen: keep 0, the menu keyword and 112",
        flow.not_understood: "above a screen, when a reply was not understood",
    }
    if flow.footer_main:
        out[flow.footer_main] = "the main menu's last line: 112 and a word saying what it is (no 0: it is the menu)"
    for name, key in flow.messages.items():
        out.setdefault(key, f"a reply of its own ({name.replace('_', ' ')})")
    for node in flow.nodes.values():
        for key in node.say:
            out.setdefault(key, f"the screen {node.name!r}")
        if node.title:
            out.setdefault(node.title, f"a numbered menu line that opens the screen {node.name!r}")
    return out


def _comments(key: str, english: str, shown: Mapping[str, str], budget: int) -> str:
    names = sorted(placeholders(english))
    lines = [
        f"Shown: {shown.get(key.split('#')[0], 'in replies about ' + key.split('.')[0])}.",
        "Placeholders: " + (", ".join("{" + n + "}" for n in names) + " (keep each as written)." if names else "none."),
        f"Budget: a whole screen in this language costs at most {budget} SMS segments "
        f"(python -m samen_sms.authoring.segments); the English is {len(english)} characters.",
        f"Discreet: the first {PREVIEW} characters may be all a locked phone shows; "
        "they must not name violence, abuse or assault.",
    ]
    return "\n".join(lines)


def export(flow: Flow, catalogues: Mapping[str, Catalogue], budgets: Mapping[str, int]) -> dict[str, polib.POFile]:
    """One PO file per language, English as the source; reviewed and stale entries flagged."""
    source = catalogues[SOURCE]
    shown = where_shown(flow)
    files: dict[str, polib.POFile] = {}
    for locale, cat in catalogues.items():
        po = polib.POFile(wrapwidth=0)
        po.metadata = {
            "Project-Id-Version": "SAMEN information line",
            "Language": locale,
            "MIME-Version": "1.0",
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
            "X-Review-Note": cat.review_note,
        }
        budget = budgets.get(locale, UCS2_BUDGET)
        for key, english in source.messages.items():
            own = cat.messages.get(key, Text("", ""))
            flags = _flags(cat, source, key)
            # One text for both channels when the SMS form only spells its letters for SMS (Spanish
            # á as a, meta.sms_letters): the import spells the SMS form again.
            if english.sms == english.whatsapp and own.sms == cat.sms_spelling(own.whatsapp):
                po.append(_entry(key, english.sms, own.whatsapp, _comments(key, english.sms, shown, budget), flags))
                continue
            for form in FORMS:
                text, mine = getattr(english, form), getattr(own, form)
                note = _comments(key, text, shown, budget) + f"\nThe {form.upper()} form of this message."
                po.append(_entry(f"{key}#{form}", text, mine, note, flags))
        for action, words in source.keywords.items():
            note = (
                "Keywords: comma-separated words that work from any screen. None may be a digit, "
                "or another language's keyword for something else."
            )
            own_words = cat.keywords.get(action, ())
            entry = f"keywords.{action}"
            po.append(_entry(entry, ", ".join(words), ", ".join(own_words), note, _flags(cat, source, entry)))
        note = "Words that mean yes, comma-separated (answers to 'Send 1 or yes')."
        yes = _flags(cat, source, "answers.yes")
        po.append(_entry("answers.yes", ", ".join(source.yes), ", ".join(cat.yes), note, yes))
        note = (
            "Words (or word stems) for sexual violence, abuse, rape, suicide and trafficking, comma-separated: "
            "no message of any language may show one in its first 40 characters."
        )
        marks = _flags(cat, source, "discretion.words")
        po.append(_entry("discretion.words", ", ".join(source.discreet), ", ".join(cat.discreet), note, marks))
        note = "The language's own name, in its own script, as the language menu lists it."
        po.append(_entry(NAME, source.name, cat.name, note, _flags(cat, source, NAME)))
        files[locale] = po
    return files


def _flags(cat: Catalogue, source: Catalogue, entry: str) -> list[str]:
    found = state(cat, source, entry)
    return [REVIEWED] if found is State.REVIEWED else [FUZZY] if found is State.STALE else []


def _entry(context: str, english: str, translated: str, comment: str, flags: list[str]) -> polib.POEntry:
    return polib.POEntry(msgctxt=context, msgid=english, msgstr=translated, comment=comment, flags=list(flags))


def read(po: polib.POFile, locale: str, source: Catalogue) -> Translation:
    """The translations and review marks a PO file holds; entries the English does not have are refused."""
    out = Translation(locale)
    known = entries(source)
    split: dict[str, dict[str, str]] = {}
    for item in po:
        if item.obsolete:
            continue
        context = item.msgctxt or ""
        base, _, form = context.partition("#")
        if base not in known or (form and (form not in FORMS or base not in source.messages)):
            out.refusals.append(Refusal(locale, context or item.msgid[:30], "not an entry of the English catalogue"))
            continue
        if FUZZY in item.flags:
            out.fuzzy.add(base)
        elif REVIEWED in item.flags:
            out.reviewed.add(base)
        text = item.msgstr
        if not text.strip():
            continue  # untranslated here: the catalogue keeps what it has
        if base in source.messages:
            split.setdefault(base, {})[form or "both"] = text
        elif base.startswith(LIST_ENTRIES[0]):
            out.keywords[base.removeprefix(LIST_ENTRIES[0])] = _words(text)
        elif base == LIST_ENTRIES[1]:
            out.yes = _words(text)
        elif base == LIST_ENTRIES[2]:
            out.discreet = _words(text)
        else:
            out.name = text.strip()
    for key, forms in split.items():
        both = forms.get("both")
        out.messages[key] = Text(forms.get("sms", both or ""), forms.get("whatsapp", both or ""))
    # A message split in two is reviewed only when both of its entries are.
    for key in list(out.reviewed):
        if key in split and any(FUZZY in i.flags or REVIEWED not in i.flags for i in po if _base(i) == key):
            out.reviewed.discard(key)
    return out


def _base(item: polib.POEntry) -> str:
    return (item.msgctxt or "").partition("#")[0]


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split(",") if word.strip())


def merged(current: Catalogue, translation: Translation, source: Catalogue) -> Catalogue:
    """The catalogue as it would be after the import: new texts where given, missing forms kept."""
    messages = dict(current.messages)
    for key, text in translation.messages.items():
        old = messages.get(key, Text("", ""))
        # An SMS form is spelled as the language sends it (Spanish á as a), as loading it would.
        messages[key] = Text(current.sms_spelling(text.sms) or old.sms, text.whatsapp or old.whatsapp)
    reviews = dict(current.reviews)
    wanted = entries(source)
    for entry in wanted:
        if entry in translation.reviewed:
            reviews[entry] = fingerprint(wanted[entry])
        elif entry not in translation.fuzzy:
            reviews.pop(entry, None)  # neither reviewed nor marked stale: not reviewed
    return replace(
        current,
        messages=messages,
        keywords={**current.keywords, **translation.keywords},
        yes=translation.yes if translation.yes is not None else current.yes,
        discreet=translation.discreet if translation.discreet is not None else current.discreet,
        name=translation.name or current.name,
        reviews=reviews,
    )

