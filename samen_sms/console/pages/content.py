"""The content page: each language's review status, and which messages are unreviewed or stale."""

from __future__ import annotations

from typing import Any

from flask import render_template

from samen_sms.console.web import bp, requires, runtime
from samen_sms.content.catalogue import placeholders


@bp.get("/content")
@requires("content")
def content() -> Any:
    """Per language: reviewed or not, its note, and messages still in English or with other placeholders."""
    rt = runtime()
    catalogues = rt.content.catalogues
    reference_code = "en" if "en" in catalogues else rt.content.flow.languages[0]
    reference = catalogues[reference_code].messages
    rows = []
    for code in rt.content.flow.languages:
        cat = catalogues[code]
        same = [] if code == reference_code else [k for k, t in cat.messages.items() if t == reference.get(k)]
        drift = [
            k
            for k, t in cat.messages.items()
            if k in reference and placeholders(t.sms) != placeholders(reference[k].sms)
        ]
        rows.append(
            {
                "code": code,
                "name": cat.name,
                "rtl": cat.rtl,
                "reviewed": cat.reviewed,
                "note": cat.review_note,
                "messages": len(cat.messages),
                "unreviewed": 0 if cat.reviewed else len(cat.messages),
                "untranslated": sorted(same),
                "stale": sorted(drift),
            }
        )
    return render_template("console/content.html", rows=rows, reference=reference_code)
