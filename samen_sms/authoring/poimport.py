"""Checking an imported translation before it reaches a catalogue, and writing only what changed.

`check` refuses, naming language, entry and reason: a placeholder missing or added, a message or
screen over the language's SMS budget, a first 40 characters that would show violence on a
locked phone, a keyword that is a menu digit or another language's keyword for something else,
and right-to-left text that is broken (unbalanced direction marks, overrides, or no right-to-left
letters at all in a right-to-left language).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

import polib

from samen_sms.authoring.po import Refusal, export, merged, read
from samen_sms.authoring.review import SOURCE, entries
from samen_sms.authoring.segments import screens
from samen_sms.content.catalogue import Catalogue, parse_catalogue, placeholders
from samen_sms.content.discretion import revealing_words, reveals
from samen_sms.content.engine import Content
from samen_sms.content.render import Renderer
from samen_sms.content.smscost import budget, cost
from samen_sms.content.text import digit_value, words
from samen_sms.core.identity import Channel
from samen_sms.core.tomlfile import remove_key, set_value

_OPENERS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # LRE, RLE, LRO, RLO: closed by PDF
_ISOLATES = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI: closed by PDI
_OVERRIDES = {"\u202d", "\u202e"}
MENU_DIGITS = 9


def _texts(cat: Catalogue) -> Iterator[tuple[str, str]]:
    for entry, texts in entries(cat).items():
        for text in texts:
            yield entry, text


def _direction_problem(text: str, rtl: bool) -> str | None:
    if set(text) & _OVERRIDES:
        return "a direction override (U+202D/U+202E) reverses what the reader sees"
    if sum(ch in _OPENERS for ch in text) != text.count("\u202c"):
        return "direction embeddings are not closed (U+202A-U+202E need U+202C)"
    if sum(ch in _ISOLATES for ch in text) != text.count("\u2069"):
        return "direction isolates are not closed (U+2066-U+2068 need U+2069)"
    bare = text
    for name in placeholders(text):
        bare = bare.replace("{" + name + "}", "")
    letters = [ch for ch in bare if ch.isalpha()]
    if rtl and letters and not any(unicodedata.bidirectional(ch) in {"R", "AL"} for ch in letters):
        return "no right-to-left letters in a right-to-left language (text from another language?)"
    return None


def check(
    content: Content, params: Mapping[str, str], source: Catalogue, after: Catalogue
) -> list[Refusal]:
    """Every reason the catalogue `after` cannot replace the current one of its language."""
    loc = after.locale
    out: list[Refusal] = []
    # Every language's revealing words, this one's as the PO file leaves them.
    revealing = revealing_words({**content.catalogues, loc: after})
    for key, text in after.messages.items():
        english = source.messages.get(key)
        for form in ("sms", "whatsapp"):
            mine = getattr(text, form)
            wanted = placeholders(getattr(english, form)) if english else set()
            have = placeholders(mine)
            if have != wanted:
                missing, extra = sorted(wanted - have), sorted(have - wanted)
                detail = "; ".join(
                    part
                    for part in (f"missing {missing}" if missing else "", f"extra {extra}" if extra else "")
                    if part
                )
                out.append(Refusal(loc, key, f"placeholders do not match the English ({detail})"))
            # Option titles and service lines follow a screen's neutral first line (as the tests check).
            shown = [] if key.endswith(".title") or key.startswith("directory.") else reveals(mine, revealing)
            if shown:
                out.append(Refusal(loc, key, f"the first 40 characters would show {shown} on a locked phone"))
    for entry, written in _texts(after):
        # Keywords and yes words may be transliterations (naam, bale): only messages must read right to left.
        problem = _direction_problem(written, after.rtl and entry in after.messages)
        if problem:
            out.append(Refusal(loc, entry, f"broken right-to-left text: {problem}"))
    out += _keyword_refusals(content, after)
    if not out:
        out += _budget_refusals(content, params, after)
    return out


def _keyword_refusals(content: Content, after: Catalogue) -> list[Refusal]:
    out: list[Refusal] = []
    others: dict[str, tuple[str, str]] = {}
    for other, cat in content.catalogues.items():
        if other == after.locale:
            continue
        for action, keywords in cat.keywords.items():
            for keyword in keywords:
                others.setdefault(" ".join(words(keyword)), (other, action))
    own: dict[str, str] = {}
    for action, keywords in after.keywords.items():
        entry = f"keywords.{action}"
        for keyword in keywords:
            folded = " ".join(words(keyword))
            value = digit_value(keyword)
            if value is not None and value <= MENU_DIGITS:
                # Menus number their options 1 to 9 (0 is the menu); 112 as a help word is fine.
                out.append(Refusal(after.locale, entry, f"{keyword!r} is a menu digit"))
                continue
            other, their = others.get(folded, (after.locale, action))
            if their != action:
                out.append(Refusal(after.locale, entry, f"{keyword!r} is {other}'s keyword for {their}"))
            if own.setdefault(folded, action) != action:
                again = f"{keyword!r} is also this language's keyword for {own[folded]}"
                out.append(Refusal(after.locale, entry, again))
    return out


def _budget_refusals(content: Content, params: Mapping[str, str], after: Catalogue) -> list[Refusal]:
    loc = after.locale
    allowed = budget(after)
    out = [
        Refusal(loc, key, f"costs {cost(text.sms).segments} SMS segments alone, over the budget of {allowed}")
        for key, text in after.messages.items()
        if cost(text.sms).segments > allowed
    ]
    catalogues = {**content.catalogues, loc: after}
    trial = Content.build(
        content.flow, catalogues, content.places, content.directory, content.community, content.inputs
    )
    renderer = Renderer(trial, params)
    for name, refs in screens(trial, loc):
        # A reply may go as several messages (`NEXT`): each must keep to the budget.
        spent = max(cost(text).segments for text in renderer.render_messages(loc, refs, Channel.SMS))
        if spent > allowed:
            out.append(Refusal(loc, name, f"the screen costs {spent} SMS segments, over the budget of {allowed}"))
    return out


def write(text: str, before: Catalogue, after: Catalogue) -> str:
    """The catalogue's TOML text with what changed from `before` to `after` changed, nothing else."""
    if after.name != before.name:
        text = set_value(text, "meta", "name", after.name)
    for key, new in after.messages.items():
        if before.messages.get(key) == new:
            continue
        *path, last = key.split(".")
        value: str | dict[str, str] = new.sms if new.sms == new.whatsapp else {"sms": new.sms, "whatsapp": new.whatsapp}
        text = set_value(text, ".".join(["messages", *path]), last, value)
    for action, keywords in after.keywords.items():
        if tuple(before.keywords.get(action, ())) != tuple(keywords):
            text = set_value(text, "keywords", action, list(keywords))
    if tuple(after.yes) != tuple(before.yes):
        text = set_value(text, "answers", "yes", list(after.yes))
    if tuple(after.discreet) != tuple(before.discreet):
        text = set_value(text, "discretion", "words", list(after.discreet))
    for entry in sorted(set(before.reviews) | set(after.reviews)):
        if after.reviews.get(entry) != before.reviews.get(entry):
            mark = after.reviews.get(entry)
            text = remove_key(text, "review", entry) if mark is None else set_value(text, "review", entry, mark)
    written = parse_catalogue(text, f"{after.locale}.toml")
    for field in ("name", "messages", "keywords", "yes", "discreet", "reviews"):
        if dict_or(getattr(written, field)) != dict_or(getattr(after, field)):
            raise ValueError(f"{after.locale}: writing {field} did not give what the PO file says")
    return text


def dict_or(value: object) -> object:
    """Mappings compared as dicts, sequences as tuples (a catalogue's fields come in either)."""
    if isinstance(value, Mapping):
        return {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in value.items()}
    return tuple(value) if isinstance(value, list | tuple) else value


def export_directory(content: Content, target: Path) -> list[Path]:
    """Write one PO file per language of `content` into `target`; the files written."""
    target.mkdir(parents=True, exist_ok=True)
    budgets = {loc: budget(cat) for loc, cat in content.catalogues.items()}
    written = []
    for locale, po in export(content.flow, content.catalogues, budgets).items():
        path = target / f"{locale}.po"
        po.save(str(path))
        written.append(path)
    return written


def import_directory(
    content: Content, params: Mapping[str, str], messages: Path, source_dir: Path
) -> tuple[dict[Path, str], list[Refusal]]:
    """Read every `<locale>.po` in `source_dir`: the catalogue texts that change, or why not.

    Nothing is written here; the caller writes the texts only when there is no refusal at all.
    """
    planned: dict[Path, str] = {}
    refusals: list[Refusal] = []
    source = content.catalogues[SOURCE]
    paths = sorted(source_dir.glob("*.po"))
    if not paths:
        return planned, [Refusal("-", str(source_dir), "no .po files there")]
    for path in paths:
        locale = path.stem
        if locale not in content.catalogues:
            refusals.append(Refusal(locale, path.name, f"not a language of the flow ({', '.join(content.catalogues)})"))
            continue
        try:
            po = polib.pofile(str(path))
        except (OSError, ValueError) as exc:
            refusals.append(Refusal(locale, path.name, f"not a readable PO file: {exc}"))
            continue
        language = po.metadata.get("Language", locale)
        if language != locale:
            refusals.append(Refusal(locale, path.name, f"the file says Language: {language}"))
            continue
        before = content.catalogues[locale]
        translation = read(po, locale, source)
        after = merged(before, translation, source)
        refusals += translation.refusals + check(content, params, source, after)
        if after != before:
            toml = messages / f"{locale}.toml"
            planned[toml] = write(toml.read_text(encoding="utf-8"), before, after)
    return planned, refusals
