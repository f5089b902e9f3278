"""The budget for new numbers: how many first contacts a minute go ahead of the backlog.

The reply to a first message goes on the urgent queue, so that someone writing for the first time
does not wait behind everyone already in conversation. A flood of first messages from many
numbers would fill that queue and make a bystander's first reply wait behind all of them. So only
`SAMEN_NEW_NUMBERS_PER_MINUTE` first contacts a minute (and `SAMEN_NEW_NUMBERS_PER_COUNTRY` from
one country calling code) go urgent; those past the budget are still answered, from the queue
workers take last. A reply that shows an urgent screen (help now, a danger word) is never held to
the budget and goes to the front of the urgent queue, ahead of any greeting. The counts are kept
in Redis for every web worker, by round trip 1 (`Store.arrive`): no round trip of their own.
"""

from __future__ import annotations

import phonenumbers

from samen_sms.content.engine import Content
from samen_sms.content.model import Outcome
from samen_sms.core.config import Config
from samen_sms.core.identity import Address


def urgent_screen(content: Content, outcome: Outcome) -> bool:
    """Whether the reply shows an urgent screen (help now), which goes ahead of everything."""
    shown = content.flow.nodes.get(outcome.node) if outcome.node else None
    return bool(outcome.replies) and shown is not None and shown.urgent


def country(address: Address) -> str:
    """The country calling code of the number ("44" for +44 7700 900123); "0" if it has none."""
    try:
        return str(phonenumbers.parse(address.e164, None).country_code or 0)
    except phonenumbers.NumberParseException:
        return "0"


def past_budget(config: Config, new_number: tuple[int, int]) -> bool:
    """Whether a new number's rank this minute (overall, from its country) is past the budget."""
    overall, from_country = new_number
    return overall > config.new_numbers_per_minute or from_country > config.new_numbers_per_country
