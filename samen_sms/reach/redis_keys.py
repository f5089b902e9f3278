"""The reach room's Redis keys: mediators and their referral codes (the day counts are `core.tally`'s).

Only modules of `samen_sms.reach` use them (a test and `make lint` check it). The set of live codes
is lent by name, through the registry (`Registry.live_codes`), to the webhook's first round trip,
which asks it in its one script: counting a referral costs no round trip of its own.
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

# Reach (reach.*): mediators' referral codes; an organisation, nothing per person.
MEDIATORS = Key("mediators", "registered mediators and organisations: code -> name, languages, regions, when added or retired", "kept; an organisation, never a person who texts", "reach.mediators", backup=True)
LIVE_CODES = Key("codes", "the referral codes that count now (read in the webhook's first round trip)", "kept; a retired code leaves it", "reach.mediators", backup=True)

KEYS = declared(vars())
