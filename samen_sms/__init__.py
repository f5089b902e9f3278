"""The SAMEN information line: SMS and WhatsApp menus about help with sexual and gender-based violence.

Rooms (each a subpackage; the README's "Architecture" section and `.importlinter` give the rules):
`core` (settings, identity, the Redis key registry), `content` (the conversation: pure, no I/O),
`line` (webhook, store, reply delivery, workers), `announce` (information sessions and their
announcements), `devtools` (the Twilio stand-in, simulator, local runner). `app` assembles them.
Importing this package loads nothing else.
"""
