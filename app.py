"""The WSGI entry point: `gunicorn app:app`."""

from samen_sms.app import create_app

app = create_app()
