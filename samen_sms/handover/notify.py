"""Telling helpers that conversations wait: a neutral count, never a person's words or number.

When a conversation starts waiting, or a danger word makes one urgent, the relay queues the job
`waiting(locale)` on the webhook's pipeline. A worker runs it and calls `Registry.notify_helpers`
(runtime, locale), which the console sets at start (`registry.notify_helpers = ...`): it finds the
helpers taking that language (`conversations.helpers`, `conversations.waiting_count`) and tells
each, by email through the console's SMTP settings or as a count in the console, something like
"2 conversations are waiting for you in the SAMEN console" — no language name in a subject line a
shared inbox shows, no words, no numbers. Without the console's hook the job does nothing.
"""

from __future__ import annotations

from typing import Any

from rq import Queue

from samen_sms.core.config import Config

NOTIFY_JOB = "samen_sms.handover.notify.waiting"


def enqueue_notice(pipe: Any, conn: Any, config: Config, locale: str) -> None:
    """Queue, on the webhook's pipeline, the job that tells helpers of `locale` that something waits."""
    Queue(config.queue_name, connection=conn).enqueue_call(
        NOTIFY_JOB,
        args=(locale,),
        description="handover notice",  # RQ logs the description
        result_ttl=0,
        failure_ttl=config.failed_job_ttl,
        pipeline=pipe,
    )


def waiting(locale: str) -> None:
    """A job: hand the news to the console's hook, in the worker's runtime."""
    from samen_sms.line.replies import current

    runtime = current().runtime
    runtime.registry.notify_helpers(runtime, locale)
