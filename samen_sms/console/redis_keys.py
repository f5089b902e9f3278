"""The operator console's Redis keys: staff accounts and their traces; nothing about a texter.

Only modules of `samen_sms.console` use them (a test and `make lint` check it). (`console/keys.py`
is about the console's secrets, not Redis.)
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

# The operator console (console.*): staff accounts and their traces; nothing about a texter.
CONSOLE_ACCOUNT = Key("console:account:{email}", "a staff account: role, mediator code, password hash (Argon2), authenticator secret (sealed), state, the helper permission (languages, regions, organisation, its random id in the hand-over)", "kept (a disabled account stays, so the audit log can name it)", "console.accounts", backup=True)
CONSOLE_ACCOUNTS = Key("console:accounts", "the e-mail addresses of all staff accounts", "kept", "console.accounts", backup=True)
CONSOLE_LINK = Key("console:link:{digest}", "a one-time sign-in link (its SHA-256, never the link) -> account, pending authenticator secret (sealed)", "24 h, or until used", "console.accounts")
CONSOLE_SESSION = Key("console:session:{digest}", "an open console session (the SHA-256 of its id, never the id) -> the account", "until signed out, or the absolute session lifetime (SAMEN_CONSOLE_SESSION_HOURS)", "console.sessions")
CONSOLE_THROTTLE = Key("console:throttle:{scope}:{digest}", "sign-in attempts per account, per address, and per account and address (keyed hashes, never the address or the e-mail)", "15 min after the first attempt", "console.throttle")
CONSOLE_KNOWN = Key("console:known:{digest}", "the addresses (keyed hashes) that signed in to an account: the per-account sign-in limit spares them", "90 days after the last sign-in", "console.throttle")
CONSOLE_AUDIT = Key("console:audit", "the audit log: who signed in or failed to, who created, changed or announced what, when", "one year, and at most 200,000 entries (trimmed on every write)", "console.audit", backup=True)
CONSOLE_AUDIT_MINUTE = Key("console:audit-minute:{digest}:{minute}", "that an entry written at most once a minute (refused or failed sign-ins) was written this minute", "2 min", "console.audit")
CONSOLE_DIRECTORY = Key("console:directory", "directory entries added in the console, and verification dates of the file's entries", "kept, until exported to `data/services.toml`", "console.directory", backup=True)
CONSOLE_REVIEW = Key("console:review", "per language and message: that a reviewer read it against the English (its fingerprint), who, when", "kept, until exported to the catalogues' [review] tables (PO export)", "console.review", backup=True)
CONSOLE_SUGGESTIONS = Key("console:suggestions", "edits of catalogue messages suggested by reviewers, waiting for an admin's approval", "until approved or discarded", "console.review", backup=True)
CONSOLE_DRAFTS = Key("console:drafts", "information sessions drafted by mediators, waiting for a coordinator", "until approved or discarded", "console.pages.sessions", backup=True)
CONSOLE_FIGURES = Key("console:figures:{name}", "subscriptions counted by language and channel for the overview (counts only), and the lock of the count", "10 min (the lock 2 min)", "console.figures")
CONSOLE_SIMULATOR = Key("console:sim:{id}", "one simulator conversation (what staff typed and the line's replies; no texter)", "30 min after the last message", "console.pages.simulator")

KEYS = declared(vars())
