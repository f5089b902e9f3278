"""The overview: what the line has done, in numbers and charts; small numbers as `<5`."""

from __future__ import annotations

import time
from typing import Any

from flask import render_template

from samen_sms.announce import sessions as infosessions
from samen_sms.console import figures
from samen_sms.console.web import bp, requires, runtime
from samen_sms.core import tally
from samen_sms.handover import conversations
from samen_sms.reach import stats

# The hand-over's counts as the overview shows them: began, waiting time (buckets), how it ended.
HANDOVER_COLUMNS = ("began", "wait<1h", "wait<4h", "wait<1d", "wait>=1d", "helper", "person", "expired", "erased")


@bp.get("/")
@requires("overview")
def overview() -> Any:
    """Reach figures for today, 7 and 30 days, and totals since the line started."""
    rt = runtime()
    names = {code: cat.name for code, cat in rt.content.catalogues.items()}
    found = figures.gather(rt.redis, infosessions.ids(rt.redis), tally.day_of(time.time()), names)
    regions = {"NL": "NL", **rt.content.regions}
    upcoming = infosessions.upcoming(rt.redis, time.time(), 5)
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
        handover=conversations.figures(rt.redis).by_locale,
        handover_columns=HANDOVER_COLUMNS,
        languages_named=names,
        periods=figures.PERIODS,
        counted_at=time.strftime("%H:%M", time.gmtime(found.counted_at)) if found.counted_at else "",
    )
