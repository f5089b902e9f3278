"""The hand-over's Redis keys: the asking dialogue, open conversations, their sealed texts, the queues.

Only modules of `samen_sms.handover` use them (a test and `make lint` check it); the console goes
through `handover.conversations`. `{p}` is a pseudonym, `{conv}` a random conversation id (never a
pseudonym or a number), `{helper}` a console account id. What a person and a helper wrote is kept
sealed (`Keys.seal_text`), only while the conversation is open: closing it, the close word, the
delete word and `SAMEN_HANDOVER_RETENTION_DAYS` without a message erase it. Backups, exports,
metrics and logs never hold any of these keys (`line/backup.py` copies only keys marked `backup`).
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

# The per-person pointer, read before the engine's step (the before-step key): where the person is in
# the asking dialogue, or which conversation their messages go to.
POINTER = Key(
    "ho:p:{p}",
    "the hand-over state of one person: a step of the asking dialogue (with what was chosen: times, safe to write), or the id of their open conversation",
    "asking: `SAMEN_CONVERSATION_TTL` after the last message; open: `SAMEN_HANDOVER_RETENTION_DAYS` after the last message (default 7 days); erased on close and by the delete word",
    "handover.relay",
    person=True,
)
# One conversation: who it is with (pseudonym, sealed address), language, state, helper, times.
RECORD = Key(
    "ho:c:{conv}",
    "one handed-over conversation: pseudonym, sealed address, channel, language, region, state, the helper holding it, when to write, when it began and last moved, urgency",
    "`SAMEN_HANDOVER_RETENTION_DAYS` after the last message (default 7 days); erased on close and by the delete word",
    "handover.conversations",
    person=True,
)
TEXTS = Key(
    "ho:t:{conv}",
    "what the person and the helper wrote in one conversation, each text sealed (Fernet), with who and when",
    "as the conversation: `SAMEN_HANDOVER_RETENTION_DAYS` after the last message; erased on close and by the delete word",
    "handover.conversations",
    person=True,
)
# Helper texts written while a WhatsApp window was closed: sent when the person writes again.
HELD_BACK = Key(
    "ho:w:{conv}",
    "a helper's texts waiting for the person's WhatsApp window to open (outbox items, address and text sealed)",
    "as the conversation; sent when the person replies, erased on close and by the delete word",
    "handover.conversations",
    person=True,
)
WAITING = Key(
    "ho:q:{locale}",
    "conversations waiting for a helper in one language: conversation id -> when it began to wait",
    "a member leaves when taken, closed or erased",
    "handover.conversations",
)
OPEN = Key(
    "ho:open",
    "every conversation not yet closed: conversation id -> its last message (for the expiry sweep and the admin's list)",
    "a member leaves when closed, erased or expired",
    "handover.conversations",
)
CLAIMS = Key(
    "ho:h:{helper}",
    "the conversations one helper holds",
    "a member leaves when closed, reassigned or erased",
    "handover.conversations",
)
HELPERS = Key(
    "ho:helpers",
    "helpers by console account id: the languages and regions they take (no names, no contact details)",
    "kept while the account is a helper",
    "handover.conversations",
)
OUTCOMES = Key(
    "ho:n:{day}",
    "counts of conversations by language, outcome and waiting time, per day (numbers only)",
    "400 days",
    "handover.conversations",
)

KEYS = declared(vars())
