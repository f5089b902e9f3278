"""`python -m workers`: run the line's RQ worker pool."""

from samen_sms.worker import main

main()
