"""`python -m samen_sms.devtools.standin`."""

from samen_sms.devtools.standin.server import main

main()
