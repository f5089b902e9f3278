"""Review per entry: which translations a native speaker has read, and which went stale since.

An entry is one thing a translator translates: a message (`help_now.body`), a keyword list
(`keywords.help`), the yes words (`answers.yes`), the words a locked screen must not show
(`discretion.words`) or the language's own name (`meta.name`). A
catalogue's `[review]` table maps an entry to the fingerprint of the English text it was reviewed
against; when the English changes, the fingerprint no longer matches and the translation is stale.
`python -m samen_sms.authoring.review` prints the languages table of docs/languages.md.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from samen_sms.content.catalogue import Catalogue

# The language translators translate from: msgid in the PO files, the source of fingerprints.
SOURCE = "en"


class State(Enum):
    """Where one entry's review stands."""

    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"
    STALE = "stale"


def entries(catalogue: Catalogue) -> dict[str, tuple[str, ...]]:
    """Every translatable entry of a catalogue and its text (a message's SMS and WhatsApp forms, words)."""
    out: dict[str, tuple[str, ...]] = {key: (text.sms, text.whatsapp) for key, text in catalogue.messages.items()}
    out.update({f"keywords.{action}": tuple(words) for action, words in catalogue.keywords.items()})
    out["answers.yes"] = tuple(catalogue.yes)
    out["discretion.words"] = tuple(catalogue.discreet)
    out["meta.name"] = (catalogue.name,)
    return out


def fingerprint(source: tuple[str, ...]) -> str:
    """A short fingerprint of an entry's English text: it changes whenever the text does."""
    return hashlib.sha256("\x1f".join(source).encode("utf-8")).hexdigest()[:12]


def state(catalogue: Catalogue, source: Catalogue, entry: str) -> State:
    """Whether a native speaker reviewed this entry against the English as it is now."""
    recorded = catalogue.reviews.get(entry)
    if recorded is None:
        return State.UNREVIEWED
    current = entries(source).get(entry)
    return State.REVIEWED if current is not None and recorded == fingerprint(current) else State.STALE


@dataclass(frozen=True)
class Progress:
    """How far one language is: entries translated, reviewed against today's English, and stale."""

    total: int
    translated: int
    reviewed: int
    stale: int


def progress(catalogue: Catalogue, source: Catalogue) -> Progress:
    """Count a catalogue's entries by translation and review state."""
    wanted = entries(source)
    own = entries(catalogue)
    translated = sum(1 for entry in wanted if any(text.strip() for text in own.get(entry, ())))
    states = [state(catalogue, source, entry) for entry in wanted]
    return Progress(len(wanted), translated, states.count(State.REVIEWED), states.count(State.STALE))


def table(catalogues: Mapping[str, Catalogue]) -> str:
    """The languages table of docs/languages.md: script, review status and counts, who should review."""
    source = catalogues[SOURCE]
    lines = [
        "| language | script | native-speaker review | translated | reviewed | stale | review note |",
        "|---|---|---|---|---|---|---|",
    ]
    for locale, cat in catalogues.items():
        done = progress(cat, source)
        script = f"{cat.script} (right to left)" if cat.rtl else cat.script
        lines.append(
            f"| `{locale}` {cat.name} | {script} | {'yes' if cat.reviewed else '**no**'} "
            f"| {done.translated}/{done.total} | {done.reviewed} | {done.stale} | {cat.review_note} |"
        )
    return "\n".join(lines)


def main() -> int:
    """Print the languages table for every catalogue the flow has (whatever SAMEN_LANGUAGES holds back)."""
    from samen_sms.content.catalogue import load_catalogues
    from samen_sms.content.flow import load_flow
    from samen_sms.core.config import ROOT

    flow = load_flow(ROOT / "flows" / "main.toml")
    print(table(load_catalogues(ROOT / "messages", list(flow.languages))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
