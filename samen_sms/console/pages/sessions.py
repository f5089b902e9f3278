"""Information sessions: list, create and edit with a live preview, announce with a confirm step, progress."""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from datetime import datetime
from typing import Any

from flask import abort, jsonify, redirect, render_template, request, url_for

from samen_sms.announce import broadcast, changes, progress, reminders, subscriptions
from samen_sms.announce import sessions as infosessions
from samen_sms.announce.kinds import BroadcastKind
from samen_sms.announce.routing import Via
from samen_sms.console import audit, redis_keys, sessionform
from samen_sms.console.forms import Form
from samen_sms.console.i18n import gettext
from samen_sms.console.i18n import gettext as _
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content.smscost import cost
from samen_sms.core import tally
from samen_sms.core.identity import Channel
from samen_sms.core.quiet import AMSTERDAM
from samen_sms.line.runtime import Runtime


def _session(rt: Runtime, session_id: str) -> infosessions.InfoSession:
    session = infosessions.get(rt.redis, session_id) if session_id.isdigit() else None
    if session is None:
        abort(404, _("No such session."))
    return session


def numbers(rt: Runtime, session_id: str, kind: BroadcastKind) -> dict[str, Any]:
    """An announcement's or reminder's totals as the console shows them: 1 to 4 as <5, as `stats` does."""
    # The CLI's counting, reused so the page and `sessions status` never disagree.
    found: dict[str, Any] = progress.numbers(rt, session_id, kind)
    skipped = sum(found["skipped"].values())
    total, handled = found["total"], found["sent"] + found["failed"] + skipped
    out = dict(found)
    for name in ("total", "sent", "delivered", "failed"):
        out[name] = tally.shown(found[name])
    out["skipped"] = {reason: tally.shown(n) for reason, n in found["skipped"].items()}
    out["reported"] = {status: tally.shown(n) for status, n in found["reported"].items()}
    out["skipped_total"] = tally.shown(skipped)
    out["any"] = total > 0
    at = found.get("at") or 0
    out["at_text"] = datetime.fromtimestamp(at, AMSTERDAM).strftime("%Y-%m-%d %H:%M") if at else ""
    # The progress bar in tenths: exact steps of a small total would give its count away.
    out["tenths"] = min(10, handled * 10 // total) if total >= 5 else (10 if total and handled >= total else 0)
    return out


def title_of(session: infosessions.InfoSession, lang: str) -> str:
    """The session's title in the page's language if it has one, else its first."""
    return session.title.get(lang) or session.title.get("*") or next(iter(session.title.values()), "")


@bp.get("/sessions")
@requires("sessions")
def sessions() -> Any:
    """Upcoming sessions, soonest first, then past ones, latest first: each with its announcement and replies."""
    rt = runtime()
    rows = []
    for s in infosessions.all_sessions(rt.redis):
        rows.append(
            {
                "session": s,
                "announcement": numbers(rt, s.id, BroadcastKind.ANNOUNCEMENT),
                "reminder": numbers(rt, s.id, BroadcastKind.REMINDER),
                "interested": tally.shown(subscriptions.interested(rt.redis, s.id)),
                "past": s.starts <= time.time(),
            }
        )
    upcoming = [row for row in rows if not row["past"]]
    past = [row for row in reversed(rows) if row["past"]]
    drafts = len(rt.redis.hkeys(redis_keys.CONSOLE_DRAFTS()))
    return render_template(
        "console/sessions.html", rows=rows, upcoming=upcoming, past=past, title_of=title_of, drafts=drafts
    )


def _form(rt: Runtime) -> Form:
    return Form.read(request.form, multi=sessionform.MULTI)


def _render_form(rt: Runtime, form: Form, mode: str, session_id: str = "", draft: str = "", copy: str = "") -> Any:
    session = sessionform.parse(rt, form) if request.method == "POST" else None
    shown = sessionform.previews(rt, session) if session else []
    coming = tally.shown(subscriptions.interested(rt.redis, session_id)) if session_id else 0
    return render_template(
        "console/session_form.html",
        form=form,
        mode=mode,
        session_id=session_id,
        draft=draft,
        copy=copy,
        previews=shown,
        reminder=reminder_note(session) if session is not None and form.ok else None,
        announced=bool(session_id) and changes.announced(rt, session_id),
        coming=coming,
        line_languages=sessionform.line_languages(rt),
        catalogues=rt.content.catalogues,
        regions=sorted(rt.content.regions.items()),
    )


def reminder_note(session: infosessions.InfoSession) -> dict[str, Any] | None:
    """The form's warning when the reminder cannot go the day before at 10:00 (None: it can)."""
    at = reminders.short_notice(session, datetime.now(AMSTERDAM))
    if at is False:
        return None
    return {"at": at.strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else None}


def _store_new(rt: Runtime, session: infosessions.InfoSession) -> infosessions.InfoSession:
    # As `sessions add` does: the session and its reminder job together, or neither.
    pipe = rt.redis.pipeline(transaction=True)
    stored = infosessions.add(rt.redis, session, pipe)
    reminders.schedule(rt, stored, pipe, datetime.now(AMSTERDAM))
    pipe.execute()
    return stored


@bp.route("/sessions/new", methods=["GET", "POST"])
@requires("sessions")
def session_new() -> Any:
    """Create a session (or approve a mediator's draft: `?draft=ID`, or copy one: `?copy=ID`)."""
    rt = runtime()
    draft = request.values.get("draft", "")
    copy = request.values.get("copy", "")
    if request.method == "GET":
        if draft:
            form = _draft_form(rt, draft)
        elif copy:
            form = _copy_form(rt, copy)
        else:
            form = Form(lists={"languages": ["nl", "en"]})
        return _render_form(rt, form, "new", draft=draft, copy=copy)
    form = _form(rt)
    if request.form.get("action") != "save":
        return _render_form(rt, form, "new", draft=draft, copy=copy)
    session = sessionform.check(rt, form)
    if session is None:
        return _render_form(rt, form, "new", draft=draft, copy=copy), 422
    if copy.isdigit() and (original := infosessions.get(rt.redis, copy)) is not None:
        session = dataclasses.replace(session, host_code=original.host_code)
    stored = _store_new(rt, session)
    if draft:
        rt.redis.hdel(redis_keys.CONSOLE_DRAFTS(), draft)
    how = " from a draft" if draft else (f" as a copy of #{copy}" if copy.isdigit() else "")
    audit.record(rt.redis, staff().email, "session created" + how, f"#{stored.id}")
    return redirect(url_for("console.session_page", session_id=stored.id))


def _copy_form(rt: Runtime, session_id: str) -> Form:
    """A session's form to start a new one from: every field but its dates (a copy is another day)."""
    form = sessionform.form_from_session(rt, _session(rt, session_id))
    form.values.pop("starts", None)
    form.values.pop("ends", None)
    return form


def _changeable(rt: Runtime, session: infosessions.InfoSession) -> None:
    if session.cancelled:
        abort(409, gettext("This session is cancelled; it can no longer change."))
    if session.starts <= time.time():
        abort(409, gettext("This session has started; it can no longer change."))


@bp.route("/sessions/<session_id>/edit", methods=["GET", "POST"])
@requires("sessions")
def session_edit(session_id: str) -> Any:
    """Change or move a session until it starts; once announced, a new time or place is told to who is coming."""
    rt = runtime()
    current = _session(rt, session_id)
    _changeable(rt, current)
    if request.method == "GET":
        return _render_form(rt, sessionform.form_from_session(rt, current), "edit", session_id)
    form = _form(rt)
    if request.form.get("action") != "save":
        return _render_form(rt, form, "edit", session_id)
    session = sessionform.check(rt, form)
    if session is None:
        return _render_form(rt, form, "edit", session_id), 422
    told = changes.change(rt, current, session, datetime.now(AMSTERDAM))
    what = "session moved, notice to those coming" if told is changes.Told.NOTICE else "session changed"
    audit.record(rt.redis, staff().email, what, f"#{current.id}")
    return redirect(url_for("console.session_page", session_id=current.id))


@bp.route("/sessions/<session_id>/cancel", methods=["GET", "POST"])
@requires("sessions")
def session_cancel(session_id: str) -> Any:
    """Cancel a session, with a confirm step; who said they would come is told."""
    rt = runtime()
    session = _session(rt, session_id)
    _changeable(rt, session)
    if request.method == "GET":
        return render_template(
            "console/session_cancel.html",
            session=session,
            title_of=title_of,
            announced=changes.announced(rt, session_id),
            coming=tally.shown(subscriptions.interested(rt.redis, session_id)),
        )
    if request.form.get("confirm") != "yes":
        abort(400, gettext("Confirm the cancellation with its button."))
    told = changes.cancel(rt, session)
    what = "session cancelled, notice to those coming" if told is changes.Told.NOTICE else "session cancelled"
    audit.record(rt.redis, staff().email, what, f"#{session.id}")
    return redirect(url_for("console.session_page", session_id=session.id))


@bp.post("/sessions/preview")
@requires("drafts")
def session_preview() -> Any:
    """The preview part of the form, for the page's script (the form works without it)."""
    rt = runtime()
    form = _form(rt)
    session = sessionform.parse(rt, form)
    shown = sessionform.previews(rt, session) if session else []
    return render_template("console/_preview.html", form=form, previews=shown, catalogues=rt.content.catalogues)


@bp.get("/sessions/<session_id>")
@requires("sessions")
def session_page(session_id: str) -> Any:
    """One session: its texts, its announcement's progress, the reminder, how many replied."""
    rt = runtime()
    session = _session(rt, session_id)
    return render_template(
        "console/session.html",
        session=session,
        title_of=title_of,
        announcement=numbers(rt, session_id, BroadcastKind.ANNOUNCEMENT),
        reminder=numbers(rt, session_id, BroadcastKind.REMINDER),
        change=numbers(rt, session_id, BroadcastKind.CHANGE),
        cancellation=numbers(rt, session_id, BroadcastKind.CANCEL),
        interested=tally.shown(subscriptions.interested(rt.redis, session_id)),
        previews=sessionform.previews(rt, session),
        catalogues=rt.content.catalogues,
        past=session.starts <= time.time(),
    )


@bp.get("/sessions/<session_id>/progress.json")
@requires("sessions")
def session_progress(session_id: str) -> Any:
    """Numbers for the progress shown while an announcement goes out."""
    rt = runtime()
    _session(rt, session_id)
    return jsonify(
        announcement=numbers(rt, session_id, BroadcastKind.ANNOUNCEMENT),
        reminder=numbers(rt, session_id, BroadcastKind.REMINDER),
        interested=tally.shown(subscriptions.interested(rt.redis, session_id)),
    )


def audience(rt: Runtime, session: infosessions.InfoSession) -> dict[str, Any]:
    """Who would get the announcement now, per language and way (or skip reason), and the SMS segments."""
    # The dry run's counting (`sessions announce --dry-run`: `routing.route`, as a real send decides).
    counts = progress.audience(rt, session)
    rows: list[dict[str, Any]] = []
    segments_total = 0
    for (locale, way), n in sorted(counts.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        parts = 0
        if way is Via.SMS:
            text = infosessions.render(rt.renderer, session, locale, Channel.SMS, BroadcastKind.ANNOUNCEMENT)
            parts = cost(text).segments
        segments_total += parts * n
        sends = isinstance(way, Via)
        rows.append(
            {"locale": locale, "route": str(way), "sends": sends, "people": n, "segments": parts, "cost": parts * n}
        )
    sending = sum(r["people"] for r in rows if r["sends"])
    return {"rows": rows, "sending": sending, "segments": segments_total}


@bp.route("/sessions/<session_id>/announce", methods=["GET", "POST"])
@requires("sessions")
def session_announce(session_id: str) -> Any:
    """Confirm (how many people, by language and channel, at what cost), then queue the announcement."""
    rt = runtime()
    session = _session(rt, session_id)
    if session.starts <= time.time() or session.cancelled:
        abort(409, gettext("This session has started or is cancelled; nothing is announced."))
    if request.method == "GET":
        found = audience(rt, session)
        return render_template(
            "console/announce.html", session=session, title_of=title_of, catalogues=rt.content.catalogues, **found
        )
    if request.form.get("confirm") != "yes":
        abort(400, _("Confirm the announcement with its button."))
    job = broadcast.enqueue(rt, session.id, BroadcastKind.ANNOUNCEMENT)
    audit.record(rt.redis, staff().email, "session announced", f"#{session.id} (job {job})")
    return redirect(url_for("console.session_page", session_id=session.id))


# Drafts: a mediator describes a session; a coordinator opens it in the form and saves it.
def _draft_form(rt: Runtime, draft_id: str) -> Form:
    raw = rt.redis.hget(redis_keys.CONSOLE_DRAFTS(), draft_id)
    if not raw:
        abort(404, _("No such draft."))
    data = json.loads(raw)
    return Form(dict(data["values"]), dict(data["lists"]))


@bp.route("/drafts", methods=["GET", "POST"])
@requires("drafts")
def drafts() -> Any:
    """Mediators draft a session here; coordinators see every draft and approve or discard it."""
    rt = runtime()
    me = staff()
    form = _form(rt) if request.method == "POST" else Form(lists={"languages": ["nl", "en"]})
    previews: list[sessionform.Preview] = []
    if request.method == "POST" and request.form.get("action") in ("save", "preview"):
        session = sessionform.parse(rt, form)
        previews = sessionform.previews(rt, session) if session else []
        if session is not None and form.ok and request.form.get("action") == "save":
            draft_id = secrets.token_hex(6)
            record = {"by": me.email, "at": int(time.time()), "values": form.values, "lists": form.lists}
            rt.redis.hset(redis_keys.CONSOLE_DRAFTS(), draft_id, json.dumps(record, ensure_ascii=False))
            audit.record(rt.redis, me.email, "session drafted", draft_id)
            return redirect(url_for("console.drafts"))
    if request.method == "POST" and request.form.get("action") == "discard" and me.may("sessions"):
        draft_id = request.form.get("draft", "")
        if rt.redis.hdel(redis_keys.CONSOLE_DRAFTS(), draft_id):
            audit.record(rt.redis, me.email, "draft discarded", draft_id)
        return redirect(url_for("console.drafts"))
    listed = []
    conn: Any = rt.redis
    for draft_id, raw in sorted(conn.hgetall(redis_keys.CONSOLE_DRAFTS()).items()):
        data = json.loads(raw)
        if me.may("sessions") or data["by"] == me.email:
            titles = [v for k, v in data["values"].items() if k.startswith("title_") and v]
            listed.append({"id": draft_id.decode(), "by": data["by"], "at": data["at"], "title": (titles or [""])[0]})
    return render_template(
        "console/drafts.html",
        form=form,
        drafts=listed,
        previews=previews,
        line_languages=sessionform.line_languages(rt),
        catalogues=rt.content.catalogues,
        mode="draft",
        session_id="",
        draft="",
    )
