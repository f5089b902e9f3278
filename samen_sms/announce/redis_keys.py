"""The announcements' Redis keys: subscriptions, opt-outs, RSVPs, information sessions and broadcasts.

Only modules of `samen_sms.announce` use them (a test and `make lint` check it); the console and the
reach room ask `subscriptions`, `sessions` and `broadcast` instead.
"""

from __future__ import annotations

from samen_sms.core.keyspace import Key, declared

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

KEYS = declared(vars())
