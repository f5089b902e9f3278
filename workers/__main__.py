"""`python -m workers`: run the line's RQ worker pool."""

from samen_sms.announce import subscriptions
from samen_sms.line import replies as jobs
from samen_sms.line.worker import main

# A reply refused with 21610 (the person sent STOP to Twilio) ends their announcements too.
jobs.FAILURE_HOOKS.append(subscriptions.failure_hook)
main()
