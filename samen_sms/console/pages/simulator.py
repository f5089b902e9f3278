"""The simulator: staff try the line through the real engine and renderer, without Twilio.

Nothing is counted, nothing reaches a texter's keys: the conversation (what staff typed and the
replies) lives in one key that expires 30 minutes after its last message. Effects such as signing
up for announcements are shown, not carried out.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask import redirect, render_template, request, session, url_for

from samen_sms.console import redis_keys
from samen_sms.console.web import bp, requires, runtime
from samen_sms.content.engine import Message, step
from samen_sms.content.hints import stored_hint
from samen_sms.content.visits import next_visit, read_visit
from samen_sms.core.identity import Channel

TTL = 30 * 60
MAX_TEXT = 1600
MAX_TURNS = 60


def _key() -> str:
    sim = session.get("sim")
    if not isinstance(sim, str) or len(sim) != 24:
        sim = secrets.token_hex(12)
        session["sim"] = sim
    return redis_keys.CONSOLE_SIMULATOR(sim)


def _load(conn: Any, key: str) -> dict[str, Any]:
    raw = conn.get(key)
    return json.loads(raw) if raw else {"visit": {}, "turns": [], "channel": "sms"}


@bp.route("/simulator", methods=["GET", "POST"])
@requires("simulator")
def simulator() -> Any:
    """A phone-like page: type a message, see the line's reply in the chosen channel."""
    rt = runtime()
    conn: Any = rt.redis
    key = _key()
    state = _load(conn, key)
    if request.method == "POST":
        action = request.form.get("action", "send")
        if action == "reset":
            conn.delete(key)
            return redirect(url_for("console.simulator"))
        if action == "language":
            code = request.form.get("locale", "")
            state = {
                "visit": {"locale": code} if code in rt.content.catalogues else {},
                "turns": [],
                "channel": state["channel"],
            }
        else:
            channel = Channel.WHATSAPP if request.form.get("channel") == "whatsapp" else Channel.SMS
            text = request.form.get("text", "")[:MAX_TEXT]
            stored = state["visit"]
            visit = read_visit(stored.get("node"), stored.get("locale"), stored.get("hint"))
            outcome = step(rt.content, visit, Message.of(text, channel))
            # A reply may go as several messages (share; a first sentence's notice, then the language menu).
            parts = rt.renderer.render_messages(outcome.reply_locale, outcome.replies, channel)
            reply = "\n\n".join(parts) if outcome.replies else ""
            notes = [type(effect).__name__ for effect in outcome.effects]
            turns = state["turns"] + [{"me": text}, {"line": reply, "locale": outcome.reply_locale, "notes": notes}]
            after = next_visit(outcome)
            hint = stored_hint(after.hint) if after.hint is not None else None
            state = {
                "visit": {"node": after.node, "locale": after.locale, "hint": hint},
                "turns": turns[-MAX_TURNS:],
                "channel": channel.value,
            }
        conn.set(key, json.dumps(state, ensure_ascii=False), ex=TTL)
        return redirect(url_for("console.simulator") + "#last")
    catalogues = rt.content.catalogues
    return render_template(
        "console/simulator.html",
        turns=state["turns"],
        channel=state["channel"],
        catalogues=catalogues,
        order=list(rt.content.flow.languages),
        current=state["visit"].get("locale"),
    )
