"""Changing one value in a catalogue's TOML text and leaving every other line, comment included, as it was.

The catalogues are written by hand and commented; `flask content import` must change only what a
translator changed, so a review of the import's diff shows exactly that. Values are written as
TOML basic strings (multi-line when the text has line breaks), arrays of strings, or inline tables
of strings; the caller parses the result again to make sure it says what was meant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

Value = str | Sequence[str] | Mapping[str, str]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def render_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, quoted otherwise (`"help_now.body"`)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def render_value(value: Value) -> str:
    """A value as TOML text: a string, an array of strings, or an inline table of strings."""
    if isinstance(value, str):
        if "\n" in value:
            body = value.replace("\\", "\\\\").replace('"""', '""\\"')
            return f'"""{body}"""'
        # JSON's string escapes (\" \\ \n \uXXXX) are TOML's basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{render_key(k)} = {json.dumps(v, ensure_ascii=False)}" for k, v in value.items())
        return "{ " + inner + " }"
    return "[" + ", ".join(json.dumps(item, ensure_ascii=False) for item in value) + "]"


def _value_end(text: str, start: int) -> int:
    # Where the value beginning at `start` ends (exclusive), for the forms catalogues use.
    if text.startswith('"""', start):
        close = start + 3
        while True:
            close = text.index('"""', close)
            if text[close - 1] != "\\" or text[close - 2] == "\\":
                # Up to two quotes may sit right before the closing delimiter.
                while text.startswith('"', close + 3):
                    close += 1
                return close + 3
            close += 1
    if text[start] == '"':
        i = start + 1
        while text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        return i + 1
    if text[start] in "[{":
        opening, closing = text[start], {"[": "]", "{": "}"}[text[start]]
        depth, i, quoted = 0, start, False
        while True:
            ch = text[i]
            if quoted:
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    quoted = False
            elif ch == '"':
                quoted = True
            elif ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _lines_outside_strings(text: str) -> list[tuple[int, str]]:
    # (offset, line) for every line that does not start inside a multi-line string.
    out: list[tuple[int, str]] = []
    offset, inside = 0, False
    for line in text.splitlines(keepends=True):
        if not inside:
            out.append((offset, line))
        if line.count('"""') % 2 == 1:
            inside = not inside
        offset += len(line)
    return out


def set_value(text: str, table: str, key: str, value: Value) -> str:
    """`text` with `key` in `[table]` set to `value`; the key (and table) added at its end if missing."""
    rendered = f"{render_key(key)} = {render_value(value)}"
    lines = _lines_outside_strings(text)
    header = f"[{table}]"
    starts = [i for i, (_, line) in enumerate(lines) if line.strip().split("#")[0].strip() == header]
    if not starts:
        joiner = "" if text.endswith("\n") else "\n"
        return f"{text}{joiner}\n{header}\n{rendered}\n"
    last = lines[starts[0]][0] + len(lines[starts[0]][1])
    key_pattern = re.compile(rf"\s*{re.escape(render_key(key))}\s*=\s*")
    for offset, line in lines[starts[0] + 1 :]:
        if line.lstrip().startswith("["):
            break
        found = key_pattern.match(line)
        if found:
            indent = line[: len(line) - len(line.lstrip())]
            return text[:offset] + indent + rendered + text[_value_end(text, offset + found.end()) :]
        if line.strip() and not line.lstrip().startswith("#"):
            last = offset + len(line)
    return text[:last] + rendered + "\n" + text[last:]


def remove_key(text: str, table: str, key: str) -> str:
    """`text` without `key` in `[table]` (unchanged when it is not there)."""
    lines = _lines_outside_strings(text)
    header = f"[{table}]"
    starts = [i for i, (_, line) in enumerate(lines) if line.strip().split("#")[0].strip() == header]
    if not starts:
        return text
    key_pattern = re.compile(rf"\s*{re.escape(render_key(key))}\s*=\s*")
    for offset, line in lines[starts[0] + 1 :]:
        if line.lstrip().startswith("["):
            return text
        found = key_pattern.match(line)
        if found:
            end = _value_end(text, offset + found.end())
            end = end + 1 if text.startswith("\n", end) else end
            return text[:offset] + text[end:]
    return text
