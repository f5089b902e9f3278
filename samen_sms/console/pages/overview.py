"""The overview: what the line has done, in numbers and charts; small numbers as `<5`.

One page a laptop shows in about a screen and a half: the totals, the reach table, first contacts
per day, and one window's breakdowns (today, 7 or 30 days: `?window=`), not all three at once.
Screens are named by their menu titles in the console's language, times are Amsterdam's.
"""

from __future__ import annotations

import time
from typing import Any

from flask import render_template, request

from samen_sms.announce import sessions as infosessions
from samen_sms.console import dates, figures, i18n
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime
from samen_sms.core import tally
from samen_sms.handover import conversations
from samen_sms.reach import stats

WINDOW_DEFAULT = "30 days"
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
    chosen = request.args.get("window", WINDOW_DEFAULT)
    chosen = chosen if chosen in figures.WINDOWS else WINDOW_DEFAULT
    lang = i18n.current_language()
    titles = rt.content.catalogues[lang].messages if lang in rt.content.catalogues else {}
    screens = figures.screen_names(rt.content.flow, titles, _("next step"))
    window = found.windows[chosen]
    by_screen = [(screens.get(name, name), cell, drawn) for name, cell, drawn in window.by_screen]
    month = found.windows["30 days"]
    return render_template(
        "console/overview.html",
        f=found,
        shown=stats.shown,
        by_language=figures.parts(found.subscribers, names),
        by_channel=figures.parts(found.channels),
        by_region=figures.parts(found.regions, regions),
        delivery=figures.rows(found.delivery),
        failed=figures.rows(found.replies_failed),
        daily=[(dates.day_label(day), cell, drawn) for day, cell, drawn in month.daily],
        window=window,
        chosen=chosen,
        by_screen=by_screen,
        upcoming=upcoming,
        handover=conversations.figures(rt.redis).by_locale,
        handover_columns=HANDOVER_COLUMNS,
        languages_named=names,
        periods=figures.PERIODS,
        windows=list(figures.WINDOWS),
        counted_at=dates.time_of_day(found.counted_at) if found.counted_at else "",
    )
