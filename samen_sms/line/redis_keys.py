"""The line's Redis keys: conversations, replies owed and sent, erasure at Twilio, its own counters.

Only modules of `samen_sms.line` use them (a test and `make lint` check it); other rooms go through
the line's functions (`store`, `ledger`, `replies`). `{p}` is always a pseudonym, never a number.
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

# The conversation (line.store): one person's place in the menus and their language.
DEDUP = Key("d:{message_sid}", "a MessageSid seen (holding a token of the request that claimed it), so Twilio's retries get no second reply", "`SAMEN_DEDUP_TTL`, default 48 h", "line.store")
CONVERSATION = Key("s:{p}", "conversation: the person's place in the menus (node, menu hint: a script, region or session code, or the name in the place data being asked about and the need it was typed at; never typed text)", "`SAMEN_CONVERSATION_TTL` after the last message, default 30 min; after an announcement, until the session starts (at most 14 days)", "line.store", person=True)
PROFILE = Key("p:{p}", "profile: the language the person chose", "`SAMEN_PROFILE_TTL` after the last message, default 90 days", "line.store", person=True)
RATE = Key("r:{p}:{window}", "how many messages the person sent in this rate window", "one `SAMEN_RATE_WINDOW`, through erasure too (a flood of delete words stays limited)", "line.store", person=True)
# Reply delivery (line.replies): replies owed, as references to catalogue messages, address sealed.
OUTBOX = Key("o:{p}", "replies owed, as references (a helper's written text sealed); the address sealed (Fernet)", "until sent, at most 7 days", "line.replies", person=True)
INFLIGHT = Key("f:{p}", "the reply being handed to Twilio right now", "until sent, at most 7 days", "line.replies", person=True)
ATTEMPT = Key("a:{p}", "when the reply in flight was last handed to Twilio (crash recovery)", "until sent, at most 7 days", "line.replies", person=True)
TRIES = Key("n:{p}", "how many transient failures the reply in flight has had", "until sent, at most 7 days", "line.replies", person=True)
LOCK = Key("lock:{p}", "the per-person delivery lock", "a few seconds (2 x Twilio timeout + 5 s)", "line.replies", person=True)
SENT_SID = Key("m:{message_sid}", "Twilio's id of a sent reply, announcement or reminder -> pseudonym, for delivery reports", "`SAMEN_DEDUP_TTL`, default 48 h", "line.ledger", person=True)
SENT_BY = Key("ms:{p}", "the MessageSids of replies, announcements and reminders sent to the person, so erasure finds them at Twilio", "`SAMEN_DEDUP_TTL`, default 48 h", "line.ledger", person=True)
OWED = Key("owed", "pseudonyms owed a reply, for the recovery sweep", "a member leaves when its replies are sent or erased", "line.replies", person=True)
LINE_FAULT = Key("fault", "Twilio refusing the line's own setup, by channel (a sender) or `account` (credentials): code and when; shown by /healthz", "until a reply on that channel goes through, at most 7 days", "line.ledger")
# Erasure at Twilio (line.erasure): the person's own messages in, so the delete word reaches Twilio's log.
INBOUND_BY = Key("mi:{p}", "the MessageSids of the person's messages in, so erasure can delete them at Twilio", "`SAMEN_DEDUP_TTL`, default 48 h", "line.store", person=True)
# The erasure ledger (line.privacy): who erased, as keyed pseudonyms, so a restored backup leaves them out.
ERASED = Key("erased", "people who erased their data: an HMAC of the pseudonym under a key derived for this ledger (never the pseudonym or number), with when", "`SAMEN_BACKUP_DAYS` after the erasure, default 90 days (as long as backups are kept)", "line.privacy", backup=True)
TWILIO_PURGE = Key("purge", "set while the last run of the Twilio message-log clean-up is recent", "one hour", "line.erasure")
# Durability (line.durability): the scheduled rewrite of Redis's append-only file.
AOF_REWRITE = Key("aof_rewrite", "set when the workers last asked Redis to rewrite its append-only file", "`SAMEN_AOF_REWRITE_HOURS`, default 24 h", "line.durability")
# The budget for new numbers (line.budget, counted by line.store): first contacts a minute that go urgent.
NEW_NUMBERS = Key("new:{minute}", "how many first contacts arrived in this minute (for the urgent queue's budget)", "two minutes; a number only", "line.store")
NEW_BY_COUNTRY = Key("new:{cc}:{minute}", "how many first contacts from one country calling code arrived in this minute", "two minutes; a number only", "line.store")
# Live content (line.overlay): edits approved and directory entries saved in the console, applied without a restart.
CONTENT_OVERLAY = Key("content_overlay", "approved edits of catalogue messages and directory entries saved in the console, laid over messages/ and data/services.toml (texts staff wrote, nothing about a texter)", "kept, until exported to the repository and withdrawn", "line.overlay", backup=True)
OVERLAY_VERSION = Key("overlay_version", "a counter raised by every change of the live content, which web and workers compare with the one they built", "kept; a number only", "line.overlay", backup=True)
# Send rates (line.pace): the next free send slot of the account and of each sender, for replies and announcements.
SEND_RATE = Key("rate:{sender}", "the next free send slot of one sender (`sms`, `whatsapp`) or of the whole account (`account`), shared by all workers", "a few seconds", "line.pace")
# Counters: numbers of messages by outcome, nothing per person.
STATS = Key("stats:{kind}", "counts of replies sent, failed (by Twilio code) and delivery reports, by status", "kept; numbers only", "line.ledger")

KEYS = declared(vars())
