"""Message catalogues: one TOML file per language in `messages/`, validated when loaded."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samen_sms.core.identity import Channel
from samen_sms.core.tomlfile import parse_toml, read_toml


class CatalogueError(ValueError):
    """A catalogue is incomplete or malformed; the line must not start with it."""


@dataclass(frozen=True)
class Text:
    """One message, with an optional shorter SMS form and fuller WhatsApp form."""

    sms: str
    whatsapp: str

    def for_channel(self, channel: Channel) -> str:
        return self.whatsapp if channel is Channel.WHATSAPP else self.sms


@dataclass(frozen=True)
class Catalogue:
    """The words of the line in one language."""

    locale: str
    name: str
    script: str
    rtl: bool
    reviewed: bool
    review_note: str
    messages: Mapping[str, Text]
    # Stop words that are everyday words too ("dur": wait; "хватит": enough), `[answers] ask_first`:
    # alone, they ask before stopping everything.
    ask_first: tuple[str, ...] = ()
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    yes: tuple[str, ...] = ()  # words that mean yes (`[answers] yes`), as written
    no: tuple[str, ...] = ()  # words that mean no, or not, in a sentence (`[answers] no`), as written
    # Municipality code -> the city's name as this language's readers write it (`[places]`).
    places: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Words a locked screen's preview must not show (`[discretion] words`): see content.discretion.
    discreet: tuple[str, ...] = ()
    # Entry (message key, `keywords.<action>`, ...) -> fingerprint of the English text a native
    # speaker reviewed it against (`[review]`); see authoring/review.py.
    reviews: Mapping[str, str] = field(default_factory=dict)
    # Letters SMS forms spell otherwise to stay in GSM-7 (`meta.sms_letters`: Turkish ş as s, Spanish á as a).
    sms_letters: Mapping[str, str] = field(default_factory=dict)
    # Fact id -> this language's words for it (`[facts]`: `free = ["gratis"]`): see content.facts.
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def sms_spelling(self, text: str) -> str:
        """An SMS form as this language sends it: with `meta.sms_letters` applied."""
        letters: dict[str, str | int | None] = dict(self.sms_letters)
        return text.translate(str.maketrans(letters)) if letters else text


def placeholders(template: str) -> set[str]:
    """The `{names}` a message expects."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _text(locale: str, key: str, value: object) -> Text:
    if isinstance(value, str):
        return Text(value.strip("\n"), value.strip("\n"))
    if isinstance(value, dict) and set(value) == {"sms", "whatsapp"}:
        sms, whatsapp = value["sms"], value["whatsapp"]
        if isinstance(sms, str) and isinstance(whatsapp, str):
            return Text(sms.strip("\n"), whatsapp.strip("\n"))
    raise CatalogueError(f"{locale}: message {key!r} must be text or a table with sms and whatsapp")


def _flatten(locale: str, table: Mapping[str, object], prefix: str = "") -> dict[str, Text]:
    out: dict[str, Text] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and set(value) != {"sms", "whatsapp"}:
            out.update(_flatten(locale, value, name + "."))
        else:
            out[name] = _text(locale, name, value)
    return out


def load_catalogue(path: Path) -> Catalogue:
    """Read one catalogue file."""
    return catalogue_from(read_toml(path, CatalogueError), path.name)


def parse_catalogue(text: str, filename: str) -> Catalogue:
    """One catalogue from its TOML text (`filename`, e.g. `fa.toml`, names it in errors)."""
    return catalogue_from(parse_toml(text, filename, CatalogueError), filename)


def catalogue_from(raw: Mapping[str, Any], filename: str) -> Catalogue:
    """One catalogue from its parsed TOML, checked."""
    stem = filename.removesuffix(".toml")
    meta = raw.get("meta", {})
    locale = meta.get("locale")
    if locale != stem:
        raise CatalogueError(f"{filename}: meta.locale must be {stem!r}")
    for needed in ("name", "script", "reviewed_by_native_speaker"):
        if needed not in meta:
            raise CatalogueError(f"{filename}: meta.{needed} is missing")
    keywords = {action: tuple(str(word) for word in words) for action, words in raw.get("keywords", {}).items()}
    ask_first = raw.get("answers", {}).get("ask_first", [])
    if not isinstance(ask_first, list) or not all(isinstance(word, str) for word in ask_first):
        raise CatalogueError(f"{filename}: answers.ask_first must be a list of words")
    unknown = [word for word in ask_first if word not in keywords.get("stop", ())]
    if unknown:
        raise CatalogueError(f"{filename}: answers.ask_first names {unknown}, which are not stop keywords")
    yes = raw.get("answers", {}).get("yes", [])
    if not isinstance(yes, list) or not all(isinstance(word, str) for word in yes):
        raise CatalogueError(f"{filename}: answers.yes must be a list of words")
    no = raw.get("answers", {}).get("no", [])
    if not isinstance(no, list) or not all(isinstance(word, str) and word for word in no):
        raise CatalogueError(f"{filename}: answers.no must be a list of words")
    places = raw.get("places", {})
    for code, names in places.items():
        if not isinstance(names, list) or not names or not all(isinstance(name, str) and name for name in names):
            raise CatalogueError(f"{filename}: places.{code} must be a list of names")
    reviews = raw.get("review", {})
    if not all(isinstance(value, str) for value in reviews.values()):
        raise CatalogueError(f"{filename}: every review must be the fingerprint of the English text, as text")
    letters = meta.get("sms_letters", {})
    if not isinstance(letters, dict) or not all(isinstance(v, str) and len(k) == 1 for k, v in letters.items()):
        raise CatalogueError(f"{filename}: meta.sms_letters must map single letters to their SMS spelling")
    messages = _flatten(locale, raw.get("messages", {}))
    if letters:
        # Turkish written without s-cedilla, g-breve and dotless i fits GSM-7: a third of the SMS.
        # The WhatsApp form keeps every letter.
        table = str.maketrans(letters)
        messages = {key: Text(text.sms.translate(table), text.whatsapp) for key, text in messages.items()}
    discreet = raw.get("discretion", {}).get("words", [])
    if not isinstance(discreet, list) or not all(isinstance(word, str) and word for word in discreet):
        raise CatalogueError(f"{filename}: discretion.words must be a list of words")
    facts = raw.get("facts", {})
    for fact, said in facts.items():
        if not isinstance(said, list) or not said or not all(isinstance(word, str) and word for word in said):
            raise CatalogueError(f"{filename}: facts.{fact} must be a list of words")
    return Catalogue(
        locale=locale,
        name=str(meta["name"]),
        script=str(meta["script"]),
        rtl=bool(meta.get("rtl", False)),
        reviewed=bool(meta["reviewed_by_native_speaker"]),
        review_note=str(meta.get("review_note", "")),
        messages=messages,
        ask_first=tuple(ask_first),
        keywords=keywords,
        yes=tuple(yes),
        no=tuple(no),
        places={str(code): tuple(names) for code, names in places.items()},
        discreet=tuple(discreet),
        reviews=dict(reviews),
        sms_letters={str(k): str(v) for k, v in letters.items()},
        facts={str(fact): tuple(said) for fact, said in facts.items()},
    )


def load_catalogues(directory: Path, order: list[str]) -> dict[str, Catalogue]:
    """Load every language the flow offers and check each has every message the reference has.

    The first language in `order` is the reference: every other catalogue must have exactly its
    keys, with the same placeholders, so no menu can fall back to a language the reader does not read.
    """
    catalogues: dict[str, Catalogue] = {}
    for locale in order:
        path = directory / f"{locale}.toml"
        if not path.exists():
            raise CatalogueError(f"no catalogue for {locale!r} in {directory.name}/")
        catalogues[locale] = load_catalogue(path)
    reference = catalogues[order[0]]
    for cat in catalogues.values():
        missing = sorted(set(reference.messages) - set(cat.messages))
        extra = sorted(set(cat.messages) - set(reference.messages))
        if missing:
            raise CatalogueError(f"{cat.locale}: missing messages {', '.join(missing)}")
        if extra:
            raise CatalogueError(f"{cat.locale}: messages not in {reference.locale}: {', '.join(extra)}")
        for key, text in cat.messages.items():
            ref = reference.messages[key]
            for form, ref_form in ((text.sms, ref.sms), (text.whatsapp, ref.whatsapp)):
                if placeholders(form) != placeholders(ref_form):
                    raise CatalogueError(
                        f"{cat.locale}: message {key!r} must use the placeholders "
                        f"{sorted(placeholders(ref_form))}, not {sorted(placeholders(form))}"
                    )
    return catalogues
