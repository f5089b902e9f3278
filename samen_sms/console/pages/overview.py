"""The overview: what the line has done, in numbers and charts; small numbers as `<5`."""

from __future__ import annotations

import time
from typing import Any

from flask import render_template

from samen_sms.announce import sessions as infosessions
from samen_sms.console import figures
from samen_sms.console.web import bp, requires, runtime
from samen_sms.core import keyspace, tally
from samen_sms.reach import stats


@bp.get("/")
@requires("overview")
def overview() -> Any:
    """Reach figures for today, 7 and 30 days, and totals since the line started."""
    rt = runtime()
    conn: Any = rt.redis
    ids = [i.decode() for i in conn.zrange(keyspace.SESSIONS(), 0, -1)]
    names = {code: cat.name for code, cat in rt.content.catalogues.items()}
    found = figures.gather(rt.redis, ids, tally.day_of(time.time()), names)
    regions = {"NL": "NL", **rt.content.data["regions"]}
    soon = [i.decode() for i in conn.zrangebyscore(keyspace.SESSIONS(), time.time(), "+inf", start=0, num=5)]
    upcoming = [
        infosessions.InfoSession.loads(raw)
        for raw in (conn.mget([keyspace.SESSION(i) for i in soon]) if soon else [])
        if raw
    ]
    return render_template(
        "console/overview.html",
        f=found,
        shown=stats.shown,
        legend=stats.LEGEND,
        by_language=figures.parts(found.subscribers, names),
        by_channel=figures.parts(found.channels),
        by_region=figures.parts(found.regions, regions),
        delivery=figures.rows(found.delivery),
        failed=figures.rows(found.replies_failed),
        announced=figures.rows(found.announced),
        upcoming=upcoming,
        periods=figures.PERIODS,
        counted_at=time.strftime("%H:%M", time.gmtime(found.counted_at)) if found.counted_at else "",
    )
