"""Redis retries that never run a non-idempotent pipeline twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from redis.retry import Retry

T = TypeVar("T")
_ONCE: ContextVar[bool] = ContextVar("samen_redis_once", default=False)


class LineRetry(Retry):
    """redis-py's retry, except inside `sent_once()`: a pipeline that may have run is not run again.

    A connection can drop after Redis ran a pipeline but before its answer arrived; redis-py would
    then send the whole pipeline again on a fresh connection. For a transaction that queues a reply
    that means the reply twice, so there the error is raised instead (the caller answers with the
    fallback). Commands that are safe to repeat keep the retry, so a Redis restart goes unnoticed.
    """

    def call_with_retry(
        self,
        do: Callable[[], T],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        if not _ONCE.get():
            return super().call_with_retry(do, fail, is_retryable, with_failure_count)
        try:
            return do()
        except self._supported_errors as error:
            # The failure handler disconnects, so the broken connection does not go back to the pool.
            if with_failure_count:
                fail(error, 1)
            else:
                fail(error)
            raise


@contextmanager
def sent_once() -> Iterator[None]:
    """Within the block, Redis commands are sent once: a dropped connection raises, never resends."""
    token = _ONCE.set(True)
    try:
        yield
    finally:
        _ONCE.reset(token)
