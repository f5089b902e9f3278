"""The delete word arriving while a reply is at Twilio: what finishes afterwards writes nothing back."""

from __future__ import annotations

import redis

from samen_sms.devtools.standin import StandinState
from samen_sms.line import redis_keys as line_keys
from tests.conftest import ALICE, SECRET_KEY, PostFn, Processes, inbound, sent_to, wait_until
from tests.test_privacy import redis_text


def test_an_erasure_while_a_reply_is_at_twilio_leaves_no_key_with_the_pseudonym(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    from samen_sms.core.identity import Keys

    p = Keys(SECRET_KEY, None).pseudonym(ALICE)
    processes.worker(processes=1)
    standin.hold = 2.0  # Twilio has recorded the reply; its answer takes 2 s to come back
    post(inbound(ALICE, "hi"))
    assert wait_until(lambda: len(standin.messages) == 1, timeout=20), processes.output()
    post(inbound(ALICE, "delete"))  # erased while the worker waits for Twilio's answer
    standin.hold = 0.0
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 2, timeout=20), processes.output()
    assert sent_to(standin, ALICE)[1].startswith("Done. This line no longer keeps anything about this number.")
    # Every delivery job has run (the one queued by the delete word finds nothing left) and let go of
    # the lock. (The job that deletes the messages at Twilio may still wait for a message to be final.)
    # Waiting for empty queues alone is not enough: a job just taken off its queue has not yet taken
    # the lock, and its own hash still names the person until it has finished.

    def left_behind() -> list[str]:
        # Only the rate counter stays, by design: it counts through erasure until its window ends.
        return [key for key, text in redis_text(redis_conn) if p in text and not key.startswith(line_keys.RATE(p, ""))]

    assert wait_until(
        lambda: (
            redis_conn.zcard(line_keys.OWED()) == 0
            and redis_conn.llen("rq:queue:samen") == redis_conn.llen("rq:queue:samen-urgent") == 0
            and not left_behind()
        )
    ), left_behind()


def test_a_reply_twilio_took_after_the_erasure_is_deleted_at_twilio_too(
    post: PostFn, processes: Processes, standin: StandinState, redis_conn: redis.Redis
) -> None:
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from samen_sms.line import erasure

    processes.worker(processes=1)
    # Twilio is slow: its answer, with the greeting's MessageSid, takes 2 s (inside the client's
    # timeout of 3 s, so the send is not an interrupted one, looked up later).
    standin.hold = 2.0
    post(inbound(ALICE, "hallo"))
    assert wait_until(lambda: len(standin.messages) == 1, timeout=20), processes.output()
    greeting = str(standin.messages[0]["sid"])
    post(inbound(ALICE, "delete"))  # erased while the greeting's SID is on its way back
    standin.hold = 0.0
    assert wait_until(lambda: len(sent_to(standin, ALICE)) == 2, timeout=20), processes.output()

    def to_forget() -> set[str]:
        queue = Queue("samen", connection=redis_conn)
        ids = [*ScheduledJobRegistry(queue=queue).get_job_ids(), *queue.get_job_ids()]
        jobs = [Job.fetch(job_id, connection=redis_conn) for job_id in ids]
        return {sid for job in jobs if job.func_name == erasure.FORGET_JOB for sid in job.args[0]}

    def deleted() -> bool:
        with standin.lock:
            return any(m["sid"] == greeting and m.get("_deleted") for m in standin.messages)

    # Scheduled for deletion at Twilio; or, on a machine slow enough that the SID came back before
    # the delete word was read, already deleted there by the erasure itself.
    gone = wait_until(lambda: greeting in to_forget() or deleted(), timeout=20)
    assert gone, "the greeting would stay in Twilio's log"
