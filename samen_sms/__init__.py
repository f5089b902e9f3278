"""The SAMEN information line: SMS and WhatsApp menus about help with sexual and gender-based violence.

Rooms (each a subpackage; the README's "The rooms" section and the import-linter contracts in
`pyproject.toml` give the rules): `core` (settings, identity, the Redis key type and registry),
`content` (the conversation: pure, no I/O), `authoring` (offline tools for the content), `line`
(webhook, store, reply delivery, workers), `announce` (information sessions and their
announcements), `reach` (mediators' referral codes, reach figures), `console` (the operator
console), `devtools` (the Twilio stand-in, simulator, local runner). `assembly` puts them
together and `app` makes the web app of them. Importing this package loads nothing else.
"""
