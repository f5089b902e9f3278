"""What each message must say, in every language and both forms: its facts.

A fact is one thing a person must be able to act on: `112`, a phone number (`0800-2000`), a web
address (`veiligthuis.nl`), `free`, `day_and_night`, `anonymous`, `deadline_7_days`,
`longer_ago_call_too`, ... Two data files hold them:

- `flows/facts.toml` lists, per message key, the ids of the facts the message says
  (`"help_now.body" = ["112", "0800-2000", "free", ...]`), taken from its full (WhatsApp) form.
- each catalogue's `[facts]` table gives that language's words for each fact that is a word
  (`free = ["gratis"]`, `day_and_night = ["24/7", "dag en nacht"]`): a form says the fact when
  one of them is in it (folded: case, accents and script variants do not count).

A fact id that is a number or an address (digits, spaces and hyphens with a digit: `112`,
`0800-0188`; or one word with a dot: `chatmetfier.nl`) is its own word in every language and counts
only whole (`113` is not found inside `0800-0113`). Both forms of a message (SMS and WhatsApp) must
say every fact listed for it, in every language (`tests/test_content.py`); `missing` says which
one a form lost. The review pack and any other reader use it like this:

    sheet = line_facts()                       # flows/facts.toml of this checkout, read once
    facts_of("help_now.body")                  # ('112', '0800-2000', '0800-0188', 'free', ...)
    words_for(content.catalogues["ar"], "free")            # ('مجاني', 'مجانا')
    missing(content.catalogues["ar"], "help_now.body")     # () : the SMS form keeps them all
    missing(catalogue, key, Channel.WHATSAPP, sheet)       # the full form, another sheet
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from samen_sms.content.catalogue import Catalogue
from samen_sms.content.text import fold
from samen_sms.core.identity import Channel
from samen_sms.core.tomlfile import read_toml

FILE = "facts.toml"
_LITERAL = re.compile(r"^(?=.*\d)[\d /-]+$|^[^\s]+\.[a-z]{2,}$")


class FactsError(ValueError):
    """The facts file is malformed."""


@dataclass(frozen=True)
class FactSheet:
    """Message key -> the ids of the facts it says, in the order the file gives them."""

    by_key: Mapping[str, tuple[str, ...]]

    def ids(self) -> tuple[str, ...]:
        """Every fact id the sheet names, sorted."""
        return tuple(sorted({fact for facts in self.by_key.values() for fact in facts}))


def load_facts(flows_dir: Path) -> FactSheet:
    """Read `facts.toml` from the flows directory (`[messages]` maps a message key to its fact ids)."""
    raw = read_toml(flows_dir / FILE, FactsError)
    table = raw.get("messages", {})
    by_key: dict[str, tuple[str, ...]] = {}
    for key, facts in table.items():
        if not isinstance(facts, list) or not all(isinstance(f, str) and f for f in facts):
            raise FactsError(f"{FILE}: messages.{key} must be a list of fact ids")
        by_key[str(key)] = tuple(facts)
    return FactSheet(by_key)


@cache
def line_facts() -> FactSheet:
    """The line's own facts file (flows/facts.toml of this checkout), read once."""
    from samen_sms.core.config import ROOT

    return load_facts(ROOT / "flows")


def facts_of(key: str, sheet: FactSheet | None = None) -> tuple[str, ...]:
    """The fact ids a message says (none listed: empty)."""
    return (sheet or line_facts()).by_key.get(key, ())


def is_literal(fact: str) -> bool:
    """Whether a fact is written the same in every language (a number, an address)."""
    return bool(_LITERAL.match(fact))


def words_for(catalogue: Catalogue, fact: str) -> tuple[str, ...]:
    """The words that say a fact in one language (a number or address is its own word)."""
    if is_literal(fact):
        return (fact,)
    return catalogue.facts.get(fact, ())


def says(catalogue: Catalogue, fact: str, text: str) -> bool:
    """Whether a text says a fact in this language (a number counts alone, not inside a longer one)."""
    if is_literal(fact):
        # Not inside a longer number or address; a script's own letters may touch it (Tigrinya 0800-2000ን).
        return re.search(rf"(?<![0-9A-Za-z.-]){re.escape(fact)}(?![0-9A-Za-z-])", text) is not None
    folded = fold(text)
    # An SMS form spells some letters otherwise (Turkish ı as i): the words count in both spellings.
    return any(
        fold(spelt) in folded for word in words_for(catalogue, fact) for spelt in (word, catalogue.sms_spelling(word))
    )


def missing(
    catalogue: Catalogue, key: str, channel: Channel = Channel.SMS, sheet: FactSheet | None = None
) -> tuple[str, ...]:
    """The facts of a message its form for this channel does not say (empty: it keeps them all)."""
    text = catalogue.messages[key].for_channel(channel)
    return tuple(fact for fact in facts_of(key, sheet) if not says(catalogue, fact, text))


def unworded(catalogue: Catalogue, sheet: FactSheet | None = None) -> tuple[str, ...]:
    """Fact ids the sheet uses that this catalogue gives no words for."""
    return tuple(f for f in (sheet or line_facts()).ids() if not is_literal(f) and not catalogue.facts.get(f))
