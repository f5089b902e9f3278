"""Funder reports: a date range by month, language, channel and code, as CSV or a printable page (audited)."""

from __future__ import annotations

import time
from typing import Any

from flask import Response, abort, render_template, request

from samen_sms.announce import sessions as infosessions
from samen_sms.console import audit, reports
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.core import tally
from samen_sms.reach import stats


def _names() -> dict[str, str]:
    rt = runtime()
    return {
        **{code: cat.name for code, cat in rt.content.catalogues.items()},
        "sms": "SMS",
        "whatsapp": "WhatsApp",
        stats.ALL: _("all"),
        stats.TOTAL: _("total"),
        stats.NO_CODE: _("no code"),
    }


def _headers() -> dict[str, str]:
    """Column names a funder reads (the CSV keeps the short ones `flask stats` prints)."""
    return {
        "period": _("Month"), "first": _("First contacts"), "code": _("Code"), "language": _("Language"),
        "channel": _("Channel"), "screen": _("Screens opened"), "region": _("Place lookups"),
        "opted_in": _("Opt-ins"), "opted_out": _("Opt-outs"), "sent": _("Announcements sent"),
        "delivered": _("Announcements delivered"), "replied": _("Replies to sessions"),
        "erase": _("Erasures"), "conversations": _("Conversations with a code"), "chosen": _("Times chosen"),
        "people": _("People reached (estimated)"),
    }


def _asked() -> reports.Report:
    try:
        first, last = reports.date_range(
            request.args.get("from", ""), request.args.get("to", ""), tally.day_of(time.time())
        )
    except reports.RangeError as exc:
        why = {
            "format": _("Type the dates as the date field shows them, e.g. 2026-11-30."),
            "order": _("The first day is after the last day."),
            "long": _("At most 400 days at once: figures are kept for 400 days."),
        }
        abort(400, why[exc.args[0]])
    return reports.report(runtime().redis, first, last, infosessions.hosts)


@bp.get("/reports", endpoint="reports")
@requires("reports")
def reports_page() -> Any:
    """The form: a date range; then download the CSV or open the printable page."""
    first, last = reports.date_range("", "", tally.day_of(time.time()))
    return render_template("console/reports.html", first=first, last=last)


@bp.get("/reports/figures.csv")
@requires("reports")
def reports_csv() -> Response:
    """The report as one CSV file."""
    found = _asked()
    audit.record(runtime().redis, staff().email, "report downloaded", f"{found.start} to {found.end}")
    name = f"samen-figures-{found.start}-{found.end}.csv"
    return Response(
        reports.as_csv(found, _names()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/reports/print")
@requires("reports")
def reports_print() -> Any:
    """The report as a page to print (or save as PDF)."""
    found = _asked()
    audit.record(runtime().redis, staff().email, "report printed", f"{found.start} to {found.end}")
    titles = {
        None: _("All figures by month"), "language": _("By language chosen"), "channel": _("By channel"),
        "code": _("By mediator or organisation code"),
    }
    headers = _headers()
    # In the plain table a column named like a group counts that metric: conversations with a code, and so on.
    plain = {**headers, "code": headers["conversations"], "language": _("Languages chosen"),
             "screen": headers["screen"], "region": headers["region"]}
    return render_template(
        "console/report_print.html", r=found, labels=_names(), headers=headers, plain=plain, titles=titles,
    )
