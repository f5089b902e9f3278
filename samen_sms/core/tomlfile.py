"""TOML, the one way: flows, catalogues, the directory, session files and templates are read here, and
catalogues and directory entries written here.

Reading is the standard library's `tomllib`. Writing is `tomlkit`, which keeps a file's comments,
order and layout: the catalogues and the directory are written by hand and commented, and a change
made by a command (`flask content import`, `mediators add`) must show in a diff as only itself.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Item, Table

# What a command writes into a file: a string (multi-line when it has line breaks), a date, a
# list of strings, or a table of strings (written inline).
Value = str | dt.date | Sequence[str] | Mapping[str, str]


def parse_toml(text: str, name: str, error: type[Exception] = ValueError) -> dict[str, Any]:
    """Parse TOML text; raise `error` naming `name` and the reason, never a traceback's worth."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{name}: not valid TOML: {exc}") from None
    except RecursionError:
        raise error(f"{name}: not valid TOML: nested too deeply") from None


def read_text(path: Path, error: type[Exception] = ValueError, max_bytes: int | None = None) -> str:
    """Read one UTF-8 text file; raise `error` naming the file and, in one line, why it cannot be used."""
    if path.is_dir():
        raise error(f"{path.name}: is a directory, not a file")
    if not path.exists():
        raise error(f"{path.name}: no such file")
    if not path.is_file():
        raise error(f"{path.name}: is not a regular file")
    try:
        with path.open("rb") as handle:
            data = handle.read(-1 if max_bytes is None else max_bytes + 1)
    except OSError as exc:
        raise error(f"{path.name}: cannot be read: {exc.strerror or exc.__class__.__name__}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise error(f"{path.name}: is larger than {max_bytes // 1024} KiB")
    if b"\0" in data:
        raise error(f"{path.name}: is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path.name}: is not UTF-8 text (byte {exc.start})") from None


def read_toml(path: Path, error: type[Exception] = ValueError, max_bytes: int | None = None) -> dict[str, Any]:
    """Read and parse one TOML file; raise `error` naming the file when it cannot be read or parsed."""
    return parse_toml(read_text(path, error, max_bytes), path.name, error)


def _item(value: Value) -> Item:
    if isinstance(value, str):
        return tomlkit.string(value, multiline="\n" in value)
    if isinstance(value, Mapping):
        # Spaced inside the braces, `{ sms = "...", whatsapp = "..." }`, as the catalogues write them.
        table = tomlkit.inline_table()
        items = [(key, tomlkit.string(text)) for key, text in value.items()]
        if items:
            items[0][1].trivia.indent = " "
            items[-1][1].trivia.trail = " "
        for key, item in items:
            table.append(key, item)
        return table
    return tomlkit.item(value)


def _table(doc: tomlkit.TOMLDocument, dotted: str) -> Any:
    # The table `dotted` names (`messages.help_now`), or None.
    table: Any = doc
    for name in dotted.split("."):
        if not isinstance(table, Mapping) or name not in table:
            return None
        table = table[name]
    return table


def _add(table: Any, key: str, item: Item) -> None:
    # A new key goes right after the table's last value. tomlkit would add it after the blank lines
    # and comments that end the table, and those introduce the next table.
    body = table.value.body if isinstance(table, Table) and key not in table else []
    values = [i for i, (name, value) in enumerate(body) if name is not None and not isinstance(value, Table | AoT)]
    if values and values[-1] < len(body) - 1:
        table.value._insert_at(values[-1] + 1, key, item)
    else:
        table[key] = item


def set_value(text: str, table: str, key: str, value: Value) -> str:
    """`text` with `key` in `[table]` set to `value`, every other line as it was; key or table added if missing."""
    doc = tomlkit.parse(text)
    found = _table(doc, table)
    if found is not None:
        _add(found, key, _item(value))
        return tomlkit.dumps(doc)
    # A new table goes at the end, as one written by hand would.
    new = tomlkit.document()
    *parents, last = table.split(".")
    inner = tomlkit.table()
    inner.add(key, _item(value))
    for name in reversed(parents):
        outer = tomlkit.table(is_super_table=True)
        outer.add(last, inner)
        inner, last = outer, name
    new.add(last, inner)
    return text + ("" if text.endswith("\n") else "\n") + "\n" + tomlkit.dumps(new)


def remove_key(text: str, table: str, key: str) -> str:
    """`text` without `key` in `[table]` (unchanged when it is not there)."""
    doc = tomlkit.parse(text)
    found = _table(doc, table)
    if found is None or key not in found:
        return text
    del found[key]
    return tomlkit.dumps(doc)


def tables_text(name: str, entries: Iterable[Mapping[str, Value | bool]], comments: Iterable[str] = ()) -> str:
    """`[[name]]` tables, one per entry with its keys in order, after one comment line per item of `comments`."""
    doc = tomlkit.document()
    for line in comments:
        doc.add(tomlkit.comment(line) if line else tomlkit.nl())
    tables = tomlkit.aot()
    for entry in entries:
        table = tomlkit.table()
        for key, value in entry.items():
            table.add(key, value if isinstance(value, bool) else _item(value))
        tables.append(table)
    if tables:
        doc.append(name, tables)
    return tomlkit.dumps(doc)
