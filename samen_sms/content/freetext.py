"""Answers to what people write in their own words, where the menus have no answer ready.

A survivor writes "my husband hits me what can i do", not `1`. The line never answers that with a
bare "did not understand": it says it is automatic (nobody reads the messages), where a person can
be reached and that 112 is for danger, then shows the menu. A danger word anywhere, or a help word
among the first few, brings help now at once; before a language is chosen, in the language the
message is written in, said to be automatic (its phone lines reach a person), with one line
offering the language menu.
"""

from __future__ import annotations

from samen_sms.content.flow import Flow
from samen_sms.content.hints import LanguageOrder
from samen_sms.content.model import Outcome
from samen_sms.content.replies import Languages, Menu, Msg, Ref
from samen_sms.content.said import Said

# From this many words on, unrecognised text is someone writing to a person, not a mistyped keyword.
FREE_TEXT_WORDS = 3


def is_free_text(said: Said) -> bool:
    """Whether a message is a sentence rather than a mistyped keyword or number."""
    return len(said.words) >= FREE_TEXT_WORDS and said.digit is None


def unanswered(flow: Flow, said: Said) -> tuple[Ref, ...]:
    """What precedes the screen shown again after text the screen has no answer for.

    Free text hears that the line is automatic and that a person can write back here (issue #21).
    """
    if is_free_text(said):
        return Msg(flow.messages["automatic"]), Msg(flow.messages["person_offer"])
    return (Msg(flow.not_understood),)


def help_now(flow: Flow, locale: str, danger: bool, first_contact: bool) -> Outcome:
    """Help now in `locale`, said to be automatic at first and after a danger word; at first, the language offer."""
    node = flow.keywords["help"]
    refs: list[Ref] = []
    stated = danger or first_contact
    if stated:
        # Every first reply says the line is automatic and that a person can write back (the person word).
        refs.append(Msg(flow.messages["automatic_short"]))
    refs.append(Menu(node))
    if first_contact:
        refs.append(Msg(flow.messages["language_offer"]))
    elif not stated:
        refs.append(Msg(flow.messages["person_offer"]))  # a person can write back here (issue #21)
    return Outcome(node, locale, locale, tuple(refs))


def offer_switch(flow: Flow, locale: str, other: str) -> Outcome:
    """A greeting in another language: the language menu in that language, it first; the language stays."""
    order = LanguageOrder(other)
    return Outcome(flow.language, locale, other, (Languages(order),), hint=order)
