"""A local stand-in for Twilio's Messages API (2010-04-01), for `make run`, tests and benchmarks.

It answers `POST` and the list `GET` on `/2010-04-01/Accounts/{AccountSid}/Messages.json` and
`GET .../Messages/{Sid}.json` as Twilio's OpenAPI description says: 201 with a Message resource;
errors as `{code, message, more_info, status}`; 401 (20003) unless the request signs in with an
account and auth token it knows (`StandinState.accounts`); a send refused as Twilio refuses it
(To, From or Body missing, a number that is not E.164, `whatsapp:` on one side only, over 1,600
characters); lists newest first, paged (`PageSize`, default 50,
`next_page_uri` with a `PageToken`), filtered by `To`, `From` and `DateSent` (by the GMT day of
date_sent, as Twilio's `sent_date`, so messages not yet sent never match). A message moves
queued -> sending -> sent -> delivered over `StandinState.timings`, and `date_sent` stays null
until it is sent. A template's `body` is its text filled in (`StandinState.templates`). Test
hooks live under `/_standin/`: the recorded messages, a reset, a per-request delay (Twilio takes
about 200 ms), a rate past which a send is refused with 429 / 20429 and a `Retry-After` (as
Twilio's API refuses an account over its rate; `--rate`) and injected faults.
`DELETE .../Messages/{Sid}.json` deletes as Twilio does, refused while a message is in progress
(`deletion.py`); `record_inbound` keeps a person's message in, as Twilio's log does.
"""

from samen_sms.devtools.standin.deletion import in_log, record_inbound
from samen_sms.devtools.standin.server import create_standin, main, report_delivery, running_standin, template_texts
from samen_sms.devtools.standin.state import Fault, StandinState, Timings

__all__ = [
    "Fault",
    "StandinState",
    "Timings",
    "in_log",
    "record_inbound",
    "report_delivery",
    "create_standin",
    "main",
    "running_standin",
    "template_texts",
]
