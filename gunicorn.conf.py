"""gunicorn's settings for the web process (`Procfile`), and Prometheus' multiprocess bookkeeping."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '5000')}"
# Sync workers, one per core: measured against 3 and 4 sync workers and gthread with
# bench/wrk_bench.py (docs/benchmarks.md, "Web process"), two did best; the webhook is CPU-bound on two cores.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Twilio gives up on a webhook after 15 s; a worker stuck longer is restarted.
timeout = 15
graceful_timeout = 10
# gunicorn takes X-Forwarded-Proto only from the proxies the app trusts too (samen_sms/line/proxies.py).
forwarded_allow_ips = os.environ.get("SAMEN_PROXY_ADDRESSES", "127.0.0.1,::1")


def child_exit(server: object, worker: object) -> None:
    """A dead worker's metrics files stay counted, but its live gauges must go (prometheus_client)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
