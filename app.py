"""The WSGI entry point: `gunicorn app:app`."""

from samen_sms import create_app

app = create_app()
