"""Worker entry point: `python -m workers` (see samen_sms.line.worker)."""
