"""One reply owed to a person, as the outbox holds it: where to (sealed), in which language, what to say.

What to say is one of two kinds:
- `References`: the line's own text by reference, rendered by the worker in the item's language
  (`{"a": <sealed address>, "l": "en", "r": [["msg", "stopped"]], "c": "sms", "t": 1764000000.0}`);
- `Written`: text a person wrote (a helper's message), sealed as the address is, so Redis never
  holds it in the clear (`{"a": ..., "l": "en", "w": <sealed text>, "c": "sms", "t": ...}`);
- `Template`: an approved WhatsApp template without variables, for outside the 24-hour window (a
  neutral invitation to reply: `{"a": ..., "l": "ar", "k": "HX...", "kt": <its text>, "c": "whatsapp", ...}`).
An erasure's confirmation carries `"x": 1`. Items written before typed items existed are the first
kind and read as such; an item of a kind this release does not know is refused, never guessed at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, assert_never

from samen_sms.content.replies import Ref, read_ref, stored_ref


@dataclass(frozen=True)
class References:
    """The line's own text, by reference: rendered in the item's language when it is sent."""

    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class Written:
    """Text a person wrote, sealed with the deployment's data key (`Keys.seal_text`)."""

    sealed: str


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template (its Content SID), sent without variables; `text` is its approved text."""

    content_sid: str
    text: str = ""


Body = References | Written | Template


@dataclass(frozen=True)
class OutboxItem:
    """One reply owed: where to (sealed), in which language, and what to say."""

    sealed: str
    locale: str
    body: Body
    channel: str
    created: float
    forget: bool = False  # the confirmation of an erasure: leave no trace of it once sent

    def dumps(self) -> str:
        """The item as the outbox stores it (compact JSON)."""
        data: dict[str, Any] = {"a": self.sealed, "l": self.locale}
        match self.body:
            case References(refs):
                data["r"] = [list(stored_ref(ref)) for ref in refs]
            case Written(sealed):
                data["w"] = sealed
            case Template(content_sid, text):
                data["k"], data["kt"] = content_sid, text
            case _:
                assert_never(self.body)
        data["c"] = self.channel
        data["t"] = round(self.created, 3)
        if self.forget:
            data["x"] = 1
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def loads(cls, raw: str | bytes) -> OutboxItem:
        """An item as stored, by this release or the one before it; ValueError for one it cannot read."""
        data = json.loads(raw)
        body: Body
        if "w" in data:
            body = Written(str(data["w"]))
        elif "k" in data:
            body = Template(str(data["k"]), str(data.get("kt", "")))
        elif "r" in data:
            body = References(tuple(read_ref(str(kind), str(value)) for kind, value in data["r"]))
        else:
            raise ValueError(f"outbox item of no known kind (fields {', '.join(sorted(data))})")
        return cls(data["a"], data["l"], body, data["c"], data["t"], bool(data.get("x")))
