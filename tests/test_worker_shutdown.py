"""The worker pool stops promptly when told to, as a platform's SIGTERM before a SIGKILL expects."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import redis

from tests.conftest import Processes, wait_until


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_idle_workers_stop_within_seconds_of_sigterm_however_the_signals_land(
    processes: Processes, redis_conn: redis.Redis
) -> None:
    pool = processes.worker(processes=2)

    def both_idle() -> bool:  # registered, then waiting for a job (RQ's state, set as it starts to listen)
        names = redis_conn.smembers("rq:workers")
        return len(names) == 2 and all(redis_conn.hget(name, "state") == b"idle" for name in names)

    assert wait_until(both_idle, timeout=20), processes.output()
    workers = children(pool.pid)
    assert len(workers) >= 2, workers
    # Only a worker's main thread takes the stop signals (which thread gets one is the kernel's
    # choice, so the timing below alone would catch a listener taking them only now and then).
    stops = (1 << (signal.SIGINT - 1)) | (1 << (signal.SIGTERM - 1))
    for pid in workers:
        for task in Path(f"/proc/{pid}/task").iterdir():
            if int(task.name) != pid:
                blocked = int((task / "status").read_text().split("SigBlk:")[1].split()[0], 16)
                assert blocked & stops == stops, f"thread {task.name} of worker {pid} takes SIGINT or SIGTERM"
    stopping = time.monotonic()
    # A platform signals every process; the pool then signals its workers again. Two signals in a
    # row reach a worker: the second may land on any thread that does not block it.
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
        os.kill(pid, signal.SIGINT)
    pool.send_signal(signal.SIGTERM)
    assert wait_until(lambda: pool.poll() is not None, timeout=15), processes.output()[-2000:]
    took = time.monotonic() - stopping
    assert took < 5, f"the pool took {took:.1f} s to stop (an idle worker waits up to 20 s for a job)"
