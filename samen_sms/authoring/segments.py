"""`python -m samen_sms.authoring.segments`: the SMS segments of every message and screen, per language.

What a text costs is `content.smscost`; here every reply the line can send is listed and costed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator

from samen_sms.content.engine import Content
from samen_sms.content.hints import LanguageOrder, SecondPage, menu_key
from samen_sms.content.replies import NEXT, Greeting, Languages, Menu, Msg, Notice, PlacePick, Reply, Services
from samen_sms.content.smscost import GSM7_BUDGET, Cost, budget, cost
from samen_sms.core.identity import Channel


def screens(content: Content, locale: str) -> Iterator[tuple[str, tuple[Reply, ...]]]:
    """Every reply the line can send in a language, as reference lists: each node, place and place question.

    First contact is the reply to a hello in that language (its own language and script first), with
    the automatic-line statement, as every first reply (free text, the person word, help) has it.
    """
    flow = content.flow
    order = LanguageOrder(locale)
    greeting: tuple[Reply, ...] = (Greeting(order),) if content.greets_with_menu(order) else (Greeting(order), NEXT)
    yield "first contact", (*greeting, Languages(order))
    for name, node in flow.nodes.items():
        separate = tuple(ref for key in node.separate for ref in (NEXT, Msg(key)))
        yield f"screen {name}", (Languages(),) if node.type == "language" else (Menu(name), *separate)
        if node.type == "language":
            yield f"screen {name} page 2", (Languages(SecondPage()),)
    yield "not_understood+main", (Msg(flow.not_understood), Menu(flow.main))
    yield "free text+main", (Msg(flow.messages["automatic"]), Menu(flow.main))
    yield "free text first", (Notice(order), NEXT, Msg(flow.messages["person_offer"]), Languages(order))
    yield "person first", (Msg(flow.messages["automatic_short"]), Menu(flow.keywords["person"]))
    help_now = flow.keywords["help"]
    yield "help first", (Msg(flow.messages["automatic_short"]), Menu(help_now), Msg(flow.messages["language_offer"]))
    yield (
        "danger first",
        (Msg(flow.messages["automatic_short"]), Menu(help_now), Msg(flow.messages["language_offer"])),
    )
    yield "session expired", (Msg(flow.greeting), Menu(flow.main))
    local = sorted({p for s in content.directory.services for p in s.places if p != "national"})
    for code in local or ["GM0363"]:
        yield f"place {code}", (Services(code),)
    yield "place unknown", (Services(""),)
    places = content.places
    # The longest of each: a municipality and region named, a near miss, a numbered choice.
    longest = max(places.by_code.values(), key=lambda p: len(p.name) + len(p.region))
    yield f"place {longest.code}", (Services(longest.code),)
    single = [key for key, name in places.names.items() if len(name.codes) == 1]
    yield "did you mean", (PlacePick(max(single, key=lambda key: len(places.shown(key)))),)

    def choice(key: str) -> int:
        return sum(len(places.by_code[c].name) + len(places.by_code[c].region) for c in places.names[key].codes)

    yield "which one", (PlacePick(max(places.names, key=choice)),)


# The benchmark conversation (issue #10): hello, help now, a service need, a place, advice, share
# and a sign-up, each step an SMS reply. `{hello}` is the language's own hello, `{place}` a town.
CONVERSATION = (
    "{hello}", "{choice}", "1", "0", "2", "2", "0", "2", "8", "{place}",
    "0", "3", "1", "0", "5", "0", "4", "1", "{place}", "1",
)  # fmt: skip
CONVERSATION_BUDGET = 40
# Issue #20: a language written in UCS-2 (70 characters a segment) may spend up to 55, no fact dropped.
CONVERSATION_BUDGET_UCS2 = 55


def conversation(content: Content, render: Callable[[str, tuple[Reply, ...]], list[str]], locale: str) -> list[int]:
    """Segments of each SMS message the benchmark conversation gets in one language."""
    from samen_sms.content.engine import Message, Visit, step
    from samen_sms.content.visits import next_visit

    hello = content.catalogues[locale].keywords["menu"][0]
    visit, costs = Visit(), []
    for typed in CONVERSATION:
        # The language's own number in the menu the hello got (salam lists Arabic before Farsi).
        choice = str(content.language_order(menu_key(visit.hint)).index(locale) + 1)
        said = typed.format(hello=hello, place="Utrecht", choice=choice)
        outcome = step(content, visit, Message.of(said, Channel.SMS))
        costs += [cost(text).segments for text in render(outcome.reply_locale, outcome.replies)]
        visit = next_visit(outcome)
    return costs


def _worst(texts: list[str]) -> Cost:
    # A reply sent as several messages (share): the costliest of them is what the budget limits.
    return max((cost(text) for text in texts), key=lambda c: c.segments)


def main(argv: list[str] | None = None) -> int:
    """Print segments per message and per screen for every language; exit 1 if one is over budget."""
    from samen_sms.content.loader import load_content
    from samen_sms.content.render import Renderer, line_params
    from samen_sms.core.config import Config

    parser = argparse.ArgumentParser(prog="python -m samen_sms.authoring.segments")
    parser.add_argument("--screens-only", action="store_true")
    args = parser.parse_args(argv)
    cfg = Config.from_env({"SAMEN_ENV": "development"})
    content = load_content(cfg)
    renderer = Renderer(content, line_params("+31970000000", "whatsapp:+31970000000"))
    locales = list(content.flow.languages)
    rows: list[tuple[str, list[Cost]]] = []
    if not args.screens_only:
        for key in sorted(content.catalogues[locales[0]].messages):
            rows.append((key, [cost(renderer.message(loc, key, Channel.SMS)) for loc in locales]))
    per_locale = [list(screens(content, loc)) for loc in locales]
    for i, (name, _) in enumerate(per_locale[0]):
        rows.append(
            (
                name,
                [
                    _worst(renderer.render_messages(loc, per_locale[n][i][1], Channel.SMS))
                    for n, loc in enumerate(locales)
                ],
            )
        )
    width = max(len(name) for name, _ in rows)
    print(f"{'':{width}}  " + " ".join(f"{loc:>4}" for loc in locales))
    over = 0
    budgets = [budget(content.catalogues[loc]) for loc in locales]
    for name, costs in rows:
        cells = []
        for c, allowed in zip(costs, budgets, strict=True):
            flag = "!" if c.segments > allowed else ("u" if c.encoding == "UCS-2" else " ")
            over += flag == "!"
            cells.append(f"{c.segments:>3}{flag}")
        print(f"{name:{width}}  " + " ".join(cells))
    print(f"{'max':{width}}  " + " ".join(f"{max(c[i].segments for _, c in rows):>4}" for i in range(len(locales))))
    print(f"{'budget':{width}}  " + " ".join(f"{b:>4}" for b in budgets))
    print("u: UCS-2; !: over the language's budget (3 for languages written in GSM-7, else 6)")
    talks = [
        conversation(content, lambda loc, refs: renderer.render_messages(loc, refs, Channel.SMS), loc)
        for loc in locales
    ]
    goals = [CONVERSATION_BUDGET if b == GSM7_BUDGET else CONVERSATION_BUDGET_UCS2 for b in budgets]
    cells = [f"{sum(c):>3}{'!' if sum(c) > goal else ' '}" for c, goal in zip(talks, goals, strict=True)]
    print(f"{'conversation':{width}}  " + " ".join(cells))
    print(f"conversation: {len(CONVERSATION)} SMS replies (hello, help now, a need, a place, advice, share, sign-up);")
    print(
        f"  the goal is at most {CONVERSATION_BUDGET} segments in GSM-7, {CONVERSATION_BUDGET_UCS2} in UCS-2"
        " (!: not yet; not an error)"
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
