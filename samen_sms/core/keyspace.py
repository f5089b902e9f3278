"""Every Redis key the line writes: its name, what it holds, who owns it and how long it is kept.

No other module spells a key or the prefix: each builds its keys with the `Key` objects here.
`{p}` is always a pseudonym (an HMAC of the number), never a number. The README's retention
table is made from `KEYS` (`python -m samen_sms.core.keyspace`), and a test keeps them in step.
RQ keeps its own keys under `rq:` (jobs, queues, registries); they are listed here too, as RQ's.
"""

from __future__ import annotations

import string
import sys
from dataclasses import dataclass

PREFIX = "samen:"


@dataclass(frozen=True)
class Key:
    """One kind of key: `pattern` with `{fields}`, plus what the README says of it."""

    pattern: str
    holds: str
    kept: str
    owner: str
    person: bool = False  # named by, or holding, pseudonyms: erased or emptied on the delete word (but the rate count)
    backup: bool = False  # must survive a move to a new Redis: written by `flask data export`

    def __call__(self, *parts: object) -> str:
        """The key for these parts, in the order the pattern names them."""
        names = self.fields
        if len(parts) != len(names):
            raise TypeError(f"{self.pattern} needs {len(names)} parts, got {len(parts)}")
        return PREFIX + self.pattern.format(**dict(zip(names, map(str, parts), strict=True)))

    @property
    def fields(self) -> tuple[str, ...]:
        """The pattern's `{fields}`, in order."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.pattern) if name)

    @property
    def prefix(self) -> str:
        """The fixed start of every key of this kind (for a Lua script that builds keys itself)."""
        return PREFIX + self.pattern.split("{", 1)[0]

    @property
    def shown(self) -> str:
        return PREFIX + self.pattern


# The conversation (line.store): one person's place in the menus and their language.
DEDUP = Key("d:{message_sid}", "a MessageSid seen (holding a token of the request that claimed it), so Twilio's retries get no second reply", "`SAMEN_DEDUP_TTL`, default 48 h", "line.store")
CONVERSATION = Key("s:{p}", "conversation: the person's place in the menus (node, menu hint: a script, region or session code, or the name in the place data being asked about; never typed text)", "`SAMEN_CONVERSATION_TTL` after the last message, default 30 min; after an announcement, until the session starts (at most 14 days)", "line.store", person=True)
PROFILE = Key("p:{p}", "profile: the language the person chose", "`SAMEN_PROFILE_TTL` after the last message, default 90 days", "line.store", person=True)
RATE = Key("r:{p}:{window}", "how many messages the person sent in this rate window", "one `SAMEN_RATE_WINDOW`, through erasure too (a flood of delete words stays limited)", "line.store", person=True)
# Reply delivery (line.replies): replies owed, as references to catalogue messages, address sealed.
OUTBOX = Key("o:{p}", "replies owed, as references; the address sealed (Fernet)", "until sent, at most 7 days", "line.replies", person=True)
INFLIGHT = Key("f:{p}", "the reply being handed to Twilio right now", "until sent, at most 7 days", "line.replies", person=True)
ATTEMPT = Key("a:{p}", "when the reply in flight was last handed to Twilio (crash recovery)", "until sent, at most 7 days", "line.replies", person=True)
TRIES = Key("n:{p}", "how many transient failures the reply in flight has had", "until sent, at most 7 days", "line.replies", person=True)
LOCK = Key("lock:{p}", "the per-person delivery lock", "a few seconds (2 x Twilio timeout + 5 s)", "line.replies", person=True)
SENT_SID = Key("m:{message_sid}", "Twilio's id of a sent reply, announcement or reminder -> pseudonym, for delivery reports", "`SAMEN_DEDUP_TTL`, default 48 h", "line.replies", person=True)
SENT_BY = Key("ms:{p}", "the MessageSids of replies, announcements and reminders sent to the person, so erasure finds them at Twilio", "`SAMEN_DEDUP_TTL`, default 48 h", "line.replies", person=True)
OWED = Key("owed", "pseudonyms owed a reply, for the recovery sweep", "a member leaves when its replies are sent or erased", "line.replies", person=True)
LINE_FAULT = Key("fault", "Twilio refusing the line's own setup, by channel (a sender) or `account` (credentials): code and when; shown by /healthz", "until a reply on that channel goes through, at most 7 days", "line.replies")
# Erasure at Twilio (line.erasure): the person's own messages in, so the delete word reaches Twilio's log.
INBOUND_BY = Key("mi:{p}", "the MessageSids of the person's messages in, so erasure can delete them at Twilio", "`SAMEN_DEDUP_TTL`, default 48 h", "line.store", person=True)
TWILIO_PURGE = Key("purge", "set while the last run of the Twilio message-log clean-up is recent", "one hour", "line.erasure")
# Durability (line.durability): the scheduled rewrite of Redis's append-only file.
AOF_REWRITE = Key("aof_rewrite", "set when the workers last asked Redis to rewrite its append-only file", "`SAMEN_AOF_REWRITE_HOURS`, default 24 h", "line.durability")
# Counters: numbers of messages by outcome, nothing per person.
STATS = Key("stats:{kind}", "counts of replies sent, failed (by Twilio code) and delivery reports, by status", "kept; numbers only", "line.replies")
# Announcements (announce.*).
SUBSCRIBERS = Key("subs:{region}", "subscriptions of one region: pseudonym -> language, channel, consent (when, how), number sealed", "until the person opts out or sends the delete word", "announce.subscriptions", person=True, backup=True)
OPTOUT = Key("optout", "pseudonyms that said stop (or Twilio refused with 21610)", "kept, so no announcement reaches someone who said stop; gone with the delete word", "announce.subscriptions", person=True, backup=True)
WHATSAPP_WINDOW = Key("wa:{p}", "exists while the person's WhatsApp 24-hour window is open", "24 h after their last WhatsApp message", "announce.subscriptions", person=True)
RSVP = Key("rsvp:{session_id}", "who replied yes to a session's announcement (pseudonym -> time)", "120 days after the last reply", "announce.subscriptions", person=True, backup=True)
SESSIONS = Key("sessions", "index of information sessions by start time", "kept", "announce.sessions", backup=True)
SESSION = Key("session:{session_id}", "one information session as the operator described it", "kept", "announce.sessions", backup=True)
SESSION_SEQ = Key("session_seq", "the last information session id given out", "kept", "announce.sessions", backup=True)
BROADCAST_TODO = Key("bc:{broadcast}:todo", "pseudonyms an announcement or reminder still has to reach", "until 7 days after the session", "announce.broadcast", person=True)
BROADCAST_DONE = Key("bc:{broadcast}:done", "pseudonym -> claimed, sent, skipped (why) or failed (code)", "until 7 days after the session", "announce.broadcast", person=True)
BROADCAST_STATS = Key("bc:{broadcast}:stats", "an announcement's counts: sent, delivered, failed, skipped by reason", "until 7 days after the session", "announce.broadcast")
BROADCAST_STATE = Key("bc:{broadcast}:state", "an announcement's phase", "until 7 days after the session", "announce.broadcast")
BROADCAST_LEASE = Key("bc:{broadcast}:lease", "which job is running an announcement right now", "the lease, `SAMEN_BROADCAST_LEASE` s", "announce.broadcast")
BROADCAST_SID = Key("bm:{message_sid}", "which announcement a Twilio message belongs to, for delivery reports", "7 days", "announce.broadcast")
SEND_RATE = Key("rate:{sender}", "send slots reserved for one sender, shared by all workers", "a few seconds", "announce.ratelimit")

# Reach (reach.*): mediators' referral codes and anonymous figures for funders, nothing per person.
MEDIATORS = Key("mediators", "registered mediators and organisations: code -> name, languages, regions, when added or retired", "kept; an organisation, never a person who texts", "reach.mediators", backup=True)
LIVE_CODES = Key("codes", "the referral codes that count now (read in the webhook's first round trip)", "kept; a retired code leaves it", "reach.mediators", backup=True)
REACH_DAY = Key("reach:{day}", "one day's counts (Europe/Amsterdam): first contacts by channel and code, languages chosen, screens, place lookups by safety region, opt-ins and outs, announcements sent and delivered, RSVPs, erasures", "400 days; numbers only", "reach.counting")
REACH_PEOPLE = Key("reach:people:{week}:{code}", "a HyperLogLog estimating how many different people one code reached in one ISO week, of pseudonyms hashed with the week's salt; once the salt is gone, nobody can tell whether a pseudonym was counted", "400 days", "reach.counting")
REACH_SALT = Key("hllsalt:{week}", "a random salt for one ISO week's HyperLogLogs of people reached", "until the week ends, and an hour", "reach.counting")

# The operator console (console.*): staff accounts and their traces; nothing about a texter.
CONSOLE_ACCOUNT = Key("console:account:{email}", "a staff account: role, mediator code, password hash (Argon2), authenticator secret (sealed), state", "kept (a disabled account stays, so the audit log can name it)", "console.accounts", backup=True)
CONSOLE_ACCOUNTS = Key("console:accounts", "the e-mail addresses of all staff accounts", "kept", "console.accounts", backup=True)
CONSOLE_LINK = Key("console:link:{digest}", "a one-time sign-in link (its SHA-256, never the link) -> account, pending authenticator secret (sealed)", "24 h, or until used", "console.accounts")
CONSOLE_THROTTLE = Key("console:throttle:{scope}:{digest}", "failed sign-ins per account or per address (keyed hash, never the address)", "15 min after the first failure", "console.throttle")
CONSOLE_AUDIT = Key("console:audit", "the audit log: who signed in or failed to, who created, changed or announced what, when", "one year (older entries trimmed on every write)", "console.audit", backup=True)
CONSOLE_DIRECTORY = Key("console:directory", "directory entries added in the console, and verification dates of the file's entries", "kept, until exported to `data/services.toml`", "console.directory", backup=True)
CONSOLE_DRAFTS = Key("console:drafts", "information sessions drafted by mediators, waiting for a coordinator", "until approved or discarded", "console.sessions", backup=True)
CONSOLE_FIGURES = Key("console:figures:{name}", "subscriptions counted by language and channel for the overview (counts only), and the lock of the count", "10 min (the lock 2 min)", "console.figures")
CONSOLE_SIMULATOR = Key("console:sim:{id}", "one simulator conversation (what staff typed and the line's replies; no texter)", "30 min after the last message", "console.simulator")

KEYS: tuple[Key, ...] = tuple(value for value in vars().values() if isinstance(value, Key))

# RQ's own keys, which RQ writes and expires; listed so the README names everything in Redis.
RQ_KEYS = (
    ("rq:job:{id}", "a queued job: `deliver` carries a pseudonym only, broadcasts a session id", "until run; results not kept, failed jobs `SAMEN_FAILED_JOB_TTL` (7 days)"),
    ("rq:queue:*, rq:wip:*, rq:worker:*, ...", "RQ's queues, registries and worker heartbeats", "as RQ keeps them"),
)


def retention_table() -> str:
    """The README's retention table, in Markdown."""
    lines = ["| key | holds | kept for | owner |", "|---|---|---|---|"]
    lines += [f"| `{k.shown}` | {k.holds} | {k.kept} | `{k.owner}` |" for k in KEYS]
    lines += [f"| `{pattern}` | {holds} | {kept} | RQ |" for pattern, holds, kept in RQ_KEYS]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(retention_table() + "\n")
