"""The WSGI entry point: `gunicorn app:app`, and the app of `flask --app app ...`."""

import sys

from samen_sms.app import create_app
from samen_sms.core.config import ConfigError

try:
    app = create_app()
except ConfigError as refused:
    # A refusal to start is one line, not a traceback. Exit status 3 is gunicorn's "worker failed
    # to boot": gunicorn stops, as it did on the exception, instead of starting the worker again.
    print(f"samen: {refused}", file=sys.stderr)
    raise SystemExit(3) from None
