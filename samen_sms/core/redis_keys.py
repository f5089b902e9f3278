"""The core's Redis keys: the anonymous day counts every room adds to through `core.tally`.

Only `samen_sms.core.tally` uses them: rooms count with `tally.count` and the reach room reads with
`tally.read_days` and `tally.people`.
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

# The anonymous reach figures (core.tally): numbers for funders, nothing per person.
REACH_DAY = Key("reach:{day}", "one day's counts (Europe/Amsterdam): first contacts by channel and code, languages chosen, screens, place lookups by safety region, opt-ins and outs, announcements sent and delivered, RSVPs, erasures", "400 days; numbers only", "core.tally")
REACH_PEOPLE = Key("reach:people:{week}:{code}", "a HyperLogLog estimating how many different people one code reached in one ISO week, of pseudonyms hashed with the week's salt; once the salt is gone, nobody can tell whether a pseudonym was counted", "400 days", "core.tally")
REACH_SALT = Key("hllsalt:{week}", "a random salt for one ISO week's HyperLogLogs of people reached", "until the week ends, and an hour", "core.tally")

KEYS = declared(vars())
