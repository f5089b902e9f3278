"""Old dotted path of the reply job, kept so jobs queued before the rooms were made still run.

RQ stores a job's function as a dotted path in Redis. Remove once no queue holds `samen_sms.jobs.deliver`.
"""

from __future__ import annotations

from samen_sms.line.replies import deliver

__all__ = ["deliver"]
