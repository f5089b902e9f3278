"""`python -m samen_sms.authoring.verdicts`: a reviewer's verdicts, imported as the per-message review status.

The verdict file is what a review pack's "Save verdicts" button saves (`reviewpack.FIELDS`): one
CSV line per message with the language, the message key, the fingerprints of the English and of
the translation the reviewer read, the verdict (`ok`, `change` or empty), a suggested short and
full text and a comment. A spreadsheet may save it again (UTF-8, with or without a byte-order
mark, commas or semicolons).

Where the status goes: the catalogue's own `[review]` table in `messages/<lang>.toml` (entry ->
fingerprint of the English it was reviewed against), the one record the repository keeps and
`authoring.review` counts. The console shows the same table (its Redis marks are added on top of
it and reach the repository by its PO export), so the console, `make content` and
`python -m samen_sms.authoring.review` agree once the file is imported. This room writes files
only (no Redis: `.importlinter`); the import never writes a console mark, and a `change` here does
not take away a mark someone made in the console's Redis for the same message (the console shows
its own marks over the table's).

What each verdict does:
- `ok`: the message is marked reviewed against the English the reviewer read (the fingerprint in
  the file: if the English changed since the pack was made, the mark is stale at once, as it should be);
- `change`: a mark the message had is removed, and the suggestion is printed for the translator
  (who applies it through a PO file or the console, where every catalogue check runs);
- empty: nothing changes.

The whole file is refused, naming its line, when a line is for another language, names a message
the English catalogue lacks or one already named, has a verdict that is not ok or change, a change
with neither a suggestion nor a comment, an ok with a suggested text, or a translation that has
changed since the pack was made (the reviewer read another text: make a new pack). Nothing is
written unless every line passes.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from samen_sms.authoring.poimport import write
from samen_sms.authoring.review import SOURCE, State, state
from samen_sms.authoring.reviewpack import FIELDS, VERDICTS, text_fingerprint
from samen_sms.content.catalogue import Catalogue, load_catalogue


@dataclass(frozen=True)
class Refusal:
    """Why one line of a verdict file cannot be imported."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True)
class Verdict:
    """One reviewer's verdict on one message."""

    line: int
    key: str
    english_fp: str
    verdict: str
    suggested_sms: str
    suggested_whatsapp: str
    comment: str


@dataclass
class Outcome:
    """What a verdict file does to one catalogue, or why it cannot."""

    catalogue: Catalogue
    verdicts: list[Verdict] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    def with_verdict(self, verdict: str) -> list[Verdict]:
        """The verdicts that say `verdict` (ok, change or empty)."""
        return [v for v in self.verdicts if v.verdict == verdict]


def _decode(raw: bytes, name: str) -> tuple[str, Refusal | None]:
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return "", Refusal(name, f"not UTF-8 text (byte {exc.start}): save it as CSV UTF-8")


def read(raw: bytes, name: str, locale: str, catalogue: Catalogue, source: Catalogue) -> Outcome:
    """Every verdict of a file for `locale`, or every line that cannot be imported, by its line number."""
    out = Outcome(catalogue)
    text, problem = _decode(raw, name)
    if problem:
        out.refusals.append(problem)
        return out
    header = text.splitlines()[0] if text else ""
    # A spreadsheet set to a Dutch or French locale saves with semicolons.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns = next(reader, [])
    missing = [column for column in FIELDS if column not in columns]
    if missing:
        out.refusals.append(Refusal(f"{name} line 1", f"the columns {', '.join(missing)} are missing"))
        return out
    at = {column: columns.index(column) for column in FIELDS}
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for cells in reader:
        where, start, line = f"{name} line {line}", line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        values = {column: cells[i].strip() if i < len(cells) else "" for column, i in at.items()}
        reason = _problem(values, locale, catalogue, source, seen)
        if reason:
            out.refusals.append(Refusal(where, reason))
            continue
        seen[values["key"]] = start
        out.verdicts.append(
            Verdict(
                start,
                values["key"],
                values["english_fp"],
                values["verdict"].lower(),
                values["suggested_sms"],
                values["suggested_whatsapp"],
                values["comment"],
            )
        )
    if not out.verdicts and not out.refusals:
        out.refusals.append(Refusal(name, "no verdicts in it"))
    return out


def _problem(
    values: Mapping[str, str], locale: str, catalogue: Catalogue, source: Catalogue, seen: Mapping[str, int]
) -> str | None:
    key, verdict = values["key"], values["verdict"].lower()
    suggested = values["suggested_sms"] or values["suggested_whatsapp"]
    if values["lang"] != locale:
        return f"the line is for language {values['lang']!r}, not {locale!r}"
    if key not in source.messages:
        return f"{key!r} is not a message of the English catalogue"
    if key in seen:
        return f"{key!r} was already given on line {seen[key]}"
    if verdict and verdict not in VERDICTS:
        return f"verdict {values['verdict']!r} is neither ok nor change"
    if verdict == "change" and not (suggested or values["comment"]):
        return f"{key}: change, but no suggested text and no comment say what to change"
    if verdict != "change" and suggested:
        return f"{key}: a suggested text needs the verdict change, not {verdict or 'none'}"
    if verdict and values["text_fp"] != text_fingerprint(catalogue.messages[key]):
        return f"{key}: the translation changed since this pack was made; make a new pack and review it there"
    return None


def reviewed(outcome: Outcome) -> Catalogue:
    """The catalogue with its `[review]` table as the verdicts leave it."""
    reviews = dict(outcome.catalogue.reviews)
    for verdict in outcome.verdicts:
        if verdict.verdict == "ok":
            reviews[verdict.key] = verdict.english_fp
        elif verdict.verdict == "change":
            reviews.pop(verdict.key, None)
    return replace(outcome.catalogue, reviews=reviews)


def summary(outcome: Outcome, after: Catalogue, source: Catalogue) -> list[str]:
    """What the import did, in lines for a person: counts, stale marks and each suggested change."""
    oks, changes = outcome.with_verdict("ok"), outcome.with_verdict("change")
    lines = [
        f"{after.locale}: {len(oks)} marked reviewed, {len(changes)} to change (not reviewed), "
        f"{len(outcome.with_verdict(''))} without a verdict"
    ]
    stale = [v.key for v in oks if state(after, source, v.key) is State.STALE]
    if stale:
        lines.append(f"  stale at once (the English changed since the pack was made): {', '.join(stale)}")
    for verdict in changes + [v for v in outcome.verdicts if v.verdict != "change" and v.comment]:
        lines.append(f"  {verdict.key} (line {verdict.line}, {verdict.verdict or 'no verdict'}):")
        for label, said in (
            ("short (SMS)", verdict.suggested_sms),
            ("full (WhatsApp)", verdict.suggested_whatsapp),
            ("comment", verdict.comment),
        ):
            if said:
                lines.append(f"    {label}: " + said.replace("\n", "\n      "))
    return lines


def main(argv: list[str] | None = None) -> int:
    """Import one verdict file into `messages/<lang>.toml`; exit 1, writing nothing, if a line is refused."""
    from samen_sms.core.config import ROOT

    parser = argparse.ArgumentParser(
        prog="python -m samen_sms.authoring.verdicts",
        description="Import a review pack's verdicts (<lang>-verdicts.csv) as the per-message review status "
        "in messages/<lang>.toml ([review]); print the suggested changes.",
    )
    parser.add_argument("file", type=Path, help="the verdict file the pack saved")
    parser.add_argument("--lang", required=True, help="the language the file must be for")
    parser.add_argument("--messages", type=Path, default=ROOT / "messages", help="catalogue directory")
    parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    args = parser.parse_args(argv)
    path: Path = args.messages / f"{args.lang}.toml"
    if not path.is_file():
        parser.error(f"--lang {args.lang}: no catalogue {path.name} in {args.messages}")
    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"refused: {args.file}: cannot be read ({exc.strerror})", file=sys.stderr)
        return 1
    source, before = load_catalogue(args.messages / f"{SOURCE}.toml"), load_catalogue(path)
    outcome = read(raw, args.file.name, args.lang, before, source)
    if outcome.refusals:
        for refusal in outcome.refusals:
            print(f"refused: {refusal}", file=sys.stderr)
        print(f"{len(outcome.refusals)} line(s) refused; {path.name} was not changed", file=sys.stderr)
        return 1
    after = reviewed(outcome)
    print("\n".join(summary(outcome, after, source)))
    if args.dry_run:
        print("dry run: nothing written")
    elif after.reviews != before.reviews:
        path.write_text(write(path.read_text(encoding="utf-8"), before, after), encoding="utf-8")
        print(f"updated {path.name} ([review])")
    else:
        print("nothing changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
