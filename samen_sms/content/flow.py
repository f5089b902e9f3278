"""Menu flows as data: `flows/*.toml`, read into typed nodes and checked for dangling references."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from samen_sms.content.effects import NODE_EFFECTS, Effect
from samen_sms.core.tomlfile import read_toml

LANGUAGE_NODE_TYPE = "language"
_NODE_FIELDS = (
    *("say", "title", "options", "type", "input", "back", "directory", "effect"),
    *("separate", "digits", "urgent"),
)


class WholeMessage(StrEnum):
    """Keyword actions that count only as the whole message, carried out by the engine, not by a node.

    "stop hitting me" is no opt-out. The engine matches these exhaustively: a new one is a type
    error until it says what it does, never an erasure by default.
    """

    STOP = "stop"
    START = "start"
    DELETE = "delete"


WHOLE_MESSAGE_ACTIONS = frozenset(WholeMessage)


class FlowError(ValueError):
    """A flow file names something that does not exist."""


@dataclass(frozen=True)
class Node:
    """One screen: what it says, the numbered choices it offers, and where free text goes."""

    name: str
    say: tuple[str, ...]
    title: str | None = None
    options: tuple[str, ...] = ()
    type: str = "menu"
    input: str | None = None
    back: str | None = None
    # A need in the service directory whose entries the screen lists after its text.
    directory: str | None = None
    # What showing this screen also does (a name in samen_sms.content.effects.NODE_EFFECTS).
    effect: Effect | None = None
    # A screen people need without delay (help now): its reply goes ahead of any backlog.
    urgent: bool = False
    # Messages sent after the screen as messages of their own, so they can be forwarded as they are.
    separate: tuple[str, ...] = ()
    # "back": a digit typed here is not input but an option of the `back` screen (a place prompt).
    digits: str = "input"

    @property
    def answers(self) -> bool:
        """An answer screen: no options of its own, so a digit means an option of its `back` screen."""
        return not self.options and self.type != LANGUAGE_NODE_TYPE and (self.input is None or self.digits == "back")

    def message_keys(self) -> set[str]:
        keys = set(self.say) | set(self.separate)
        if self.title:
            keys.add(self.title)
        return keys


@dataclass(frozen=True)
class Flow:
    """The whole menu tree and the words that jump in it."""

    main: str
    language: str
    languages: tuple[str, ...]
    nodes: dict[str, Node]
    keywords: dict[str, str]
    greeting: str
    choose_language: str
    footer: str
    not_understood: str
    messages: dict[str, str]
    # The line's own hello, in no language: what a shared WhatsApp link pre-fills (plain ASCII).
    hello: str = "SAMEN"
    # The main menu's last line: 112 without "0 Menu" (it is the menu). Empty: the footer.
    footer_main: str = ""

    def footer_of(self, node: str) -> str:
        """The key of a screen's last line: the main menu's own, or the footer every other screen has."""
        return self.footer_main if node == self.main and self.footer_main else self.footer

    def node(self, name: str | None) -> Node:
        return self.nodes[name] if name in self.nodes else self.nodes[self.main]

    def message_keys(self) -> set[str]:
        """Every catalogue key the flow uses."""
        keys = {self.greeting, self.choose_language, self.footer, self.not_understood}
        keys |= {self.footer_main} if self.footer_main else set()
        keys |= set(self.messages.values())
        for node in self.nodes.values():
            keys |= node.message_keys()
        return keys


def _tuple(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise FlowError(f"{where} must be a text or a list of texts")


def load_flow(path: Path) -> Flow:
    """Read a flow file and check that every node, option and keyword leads somewhere."""
    raw = read_toml(path, FlowError)
    head = raw.get("flow", {})
    nodes: dict[str, Node] = {}
    for name, spec in raw.get("nodes", {}).items():
        where = f"{path.name}: node {name!r}"
        unknown = set(spec) - {*_NODE_FIELDS}
        if unknown:
            raise FlowError(f"{where} has unknown fields {sorted(unknown)}")
        if not isinstance(spec.get("urgent", False), bool):
            raise FlowError(f"{where}.urgent must be true or false")
        effect = spec.get("effect")
        if effect is not None and effect not in NODE_EFFECTS:
            raise FlowError(f"{where}: effect {effect!r} is not one of {sorted(NODE_EFFECTS)}")
        nodes[name] = Node(
            name=name,
            say=_tuple(spec.get("say", []), f"{where}.say"),
            title=spec.get("title"),
            options=_tuple(spec.get("options", []), f"{where}.options"),
            type=spec.get("type", "menu"),
            input=spec.get("input"),
            back=spec.get("back"),
            directory=spec.get("directory"),
            effect=NODE_EFFECTS[effect] if effect else None,
            urgent=bool(spec.get("urgent", False)),
            separate=_tuple(spec.get("separate", []), f"{where}.separate"),
            digits=str(spec.get("digits", "input")),
        )
        if nodes[name].digits not in {"input", "back"}:
            raise FlowError(f"{where}: digits must be 'input' or 'back'")
    try:
        flow = Flow(
            main=head["main"],
            language=head["language"],
            languages=_tuple(head["languages"], "flow.languages"),
            nodes=nodes,
            keywords={str(k): str(v) for k, v in raw.get("keywords", {}).items()},
            greeting=head["greeting"],
            choose_language=head["choose_language"],
            footer=head["footer"],
            not_understood=head["not_understood"],
            messages={str(k): str(v) for k, v in raw.get("messages", {}).items()},
            hello=str(head.get("hello", "SAMEN")),
            footer_main=str(head.get("footer_main", "")),
        )
    except KeyError as exc:
        raise FlowError(f"{path.name}: [flow] needs {exc.args[0]!r}") from exc
    if not flow.hello.isascii() or not flow.hello.isalnum():
        raise FlowError(f"{path.name}: [flow] hello must be one plain ASCII word (a link carries it)")
    _validate(flow, path.name)
    return flow


def _validate(flow: Flow, where: str) -> None:
    for name in (flow.main, flow.language):
        if name not in flow.nodes:
            raise FlowError(f"{where}: node {name!r} named in [flow] does not exist")
    if flow.nodes[flow.language].type != LANGUAGE_NODE_TYPE:
        raise FlowError(f"{where}: node {flow.language!r} must have type = 'language'")
    for node in flow.nodes.values():
        if node.type not in {"menu", LANGUAGE_NODE_TYPE}:
            raise FlowError(f"{where}: node {node.name!r} has unknown type {node.type!r}")
        for target in (*node.options, *([node.back] if node.back else [])):
            if target not in flow.nodes:
                raise FlowError(f"{where}: node {node.name!r} leads to missing node {target!r}")
        for option in node.options:
            if flow.nodes[option].title is None:
                raise FlowError(f"{where}: node {option!r} is offered as an option but has no title")
        if node.digits == "back" and not node.back:
            raise FlowError(f"{where}: node {node.name!r} sends digits back but has no back")
        if len(node.options) > 9:
            raise FlowError(f"{where}: node {node.name!r} offers more than 9 options")
    for word, target in flow.keywords.items():
        if target not in flow.nodes and target not in WHOLE_MESSAGE_ACTIONS:
            raise FlowError(f"{where}: keyword {word!r} leads to missing node {target!r}")
