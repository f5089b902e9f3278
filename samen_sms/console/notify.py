"""Telling helpers that a conversation waits: by e-mail when SMTP is set, else only the count in the console's nav.

The e-mail says that a conversation is waiting and gives the console's link: no language, no words,
no number (a shared inbox or a lock screen may show it). Set at start as the line's
`Registry.notify_helpers`; a worker runs it when a conversation starts waiting or turns urgent.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage

from samen_sms.console.accounts import helper_accounts
from samen_sms.core.config import Config
from samen_sms.handover import conversations
from samen_sms.line.runtime import Runtime

log = logging.getLogger(__name__)
SUBJECT = "SAMEN console"
BODY = "A conversation is waiting.\nEr wacht een gesprek.\n\n{link}\n"
TIMEOUT = 15


def tell_helpers(rt: Runtime, locale: str) -> None:
    """E-mail every helper who takes `locale` and has something waiting (nothing when SMTP is unset)."""
    if not rt.config.smtp_host:
        return
    link = f"{rt.config.public_url.rstrip('/')}/console/conversations"
    for hid, account in helper_accounts(rt.redis).items():
        found = conversations.helper(rt.redis, hid)
        if found is None or locale not in found.locales or not conversations.waiting_count(rt.redis, found):
            continue
        try:
            send(rt.config, account.email, BODY.format(link=link))
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("helper notice by e-mail failed: %s", type(exc).__name__)  # never the address


def send(config: Config, to: str, body: str) -> None:
    """One plain e-mail through the configured server: TLS on port 465, else STARTTLS when offered."""
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = config.smtp_from or config.smtp_user
    message["To"] = to
    message.set_content(body)
    context = ssl.create_default_context()
    if config.smtp_port == 465:
        server: smtplib.SMTP = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=TIMEOUT, context=context)
    else:
        server = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=TIMEOUT)
    with server:
        server.ehlo()
        if config.smtp_port != 465 and server.has_extn("starttls"):
            server.starttls(context=context)
            server.ehlo()
        if config.smtp_user:
            server.login(config.smtp_user, config.smtp_password)
        server.send_message(message)
