"""`python -m workers`: run the line's RQ worker pool."""

from samen_sms.assembly import worker_context
from samen_sms.line.worker import main

main(worker_context)
