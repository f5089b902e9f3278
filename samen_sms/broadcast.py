"""Old dotted path of the broadcast job, kept so jobs queued before the rooms were made still run.

RQ stores a job's function as a dotted path in Redis. Remove once no queue holds `samen_sms.broadcast.run`.
"""

from __future__ import annotations

from samen_sms.announce.broadcast import run

__all__ = ["run"]
