"""Handed-over conversations (#21): the helper's inbox and a conversation's page; an admin reassigns.

A helper (an account with the helper permission) sees the conversations waiting in their languages
(and regions), takes one (of two at once, one wins; the other is told plainly), reads it, writes,
inserts a directory entry, a screen or a place's services in the person's language, and closes it. The person is shown
by a neutral label, never their number. The audit log records who opened, took, read, wrote,
inserted, closed and reassigned which conversation (its random id), never what was written.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from samen_sms.announce.sessions import TWILIO_MAX_BODY
from samen_sms.console import audit
from samen_sms.console.accounts import Role, helper_accounts
from samen_sms.console.dates import when
from samen_sms.console.i18n import gettext
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.content.replies import Entry, Menu, Ref, Services
from samen_sms.core.identity import Channel
from samen_sms.handover import conversations
from samen_sms.handover.conversations import Conversation, Delivery, Helper, NotYours, State


def _me() -> Helper | None:
    grant = staff().helper
    return conversations.helper(runtime().redis, grant.id) if grant else None


def _label(conv: Conversation) -> str:
    """How the console names the person: the conversation's language and channel, never a number."""
    names = {code: cat.name for code, cat in runtime().content.catalogues.items()}
    return gettext(
        "Person %(id)s (%(language)s, %(channel)s)",
        id=conv.id[:6],
        language=names.get(conv.locale, conv.locale),
        channel=conv.channel.value,
    )


def _visible(conv_id: str) -> tuple[Conversation, Helper]:
    """The conversation, if this helper may see it: 410 when it is gone, 403 when not theirs."""
    found = conversations.get(runtime().redis, conv_id)
    me = _me()
    if found is None:
        abort(410, gettext("This conversation is closed or gone: nothing of it is kept."))
    if me is None or not conversations.may_see(me, found):
        abort(403, gettext("This conversation is in a language or region you do not take."))
    if found.state is State.HELD and found.helper != me.account:
        abort(403, gettext("Another helper holds this conversation."))
    return found, me


def _mine(conv_id: str) -> tuple[Conversation, Helper]:
    found, me = _visible(conv_id)
    if found.helper != me.account:
        abort(409, gettext("Take the conversation first."))
    return found, me


@bp.get("/conversations", endpoint="conversations")
@requires("conversations")
def inbox() -> Any:
    """What waits for this helper, what they hold; for an admin, every open conversation to reassign."""
    conn = runtime().redis
    me = _me()
    waiting = conversations.waiting(conn, me) if me else []
    mine = conversations.held_by(conn, me.account) if me else []
    everything: list[Conversation] = []
    names: dict[str, str] = {}
    if staff().role is Role.ADMIN:
        everything = conversations.every_open(conn)
        names = {hid: account.email for hid, account in helper_accounts(conn).items()}
    return render_template(
        "console/conversations.html",
        waiting=waiting,
        mine=mine,
        everything=everything,
        helper_names=names,
        label=_label,
        ago=_ago,
        now=time.time(),
    )


@bp.get("/conversations/<conv_id>", endpoint="conversation")
@requires("conversations")
def conversation(conv_id: str) -> Any:
    """One conversation: take it when it waits; read, write, insert and close when it is yours."""
    rt = runtime()
    found, me = _visible(conv_id)
    texts: list[conversations.Text] = []
    if found.helper == me.account:
        texts = conversations.read(rt, conv_id)
        audit.record(rt.redis, staff().email, "conversation read", conv_id)
    else:
        audit.record(rt.redis, staff().email, "conversation opened", conv_id)
    nodes = rt.content.flow.nodes
    screens = [
        (name, _screen_title(name)) for name, node in nodes.items() if node.effect is None and node.input is None
    ]
    places = sorted(((p.name, code) for code, p in rt.content.places.by_code.items()), key=lambda p: p[0])
    return render_template(
        "console/conversation.html",
        conv=found,
        label=_label(found),
        texts=texts,
        mine=found.helper == me.account,
        whatsapp_closed=not found.window_open(time.time()),
        times_allow=found.times_allow(time.time()),
        screens=screens,
        places=places,
        entries=sorted(((s.name, s.id) for s in rt.content.directory.services), key=lambda e: e[0].lower()),
        said=request.args.get("said", ""),
        rtl=rt.content.catalogues[found.locale].rtl if found.locale in rt.content.catalogues else False,
        when=_when,
        max_text=TWILIO_MAX_BODY,
    )


@bp.post("/conversations/<conv_id>/take", endpoint="conversation_take")
@requires("conversations")
def take(conv_id: str) -> Any:
    """Take a waiting conversation; a helper who was a moment too late is told so plainly (409)."""
    rt = runtime()
    found = conversations.get(rt.redis, conv_id)
    me = _me()
    if found is None:
        abort(410, gettext("This conversation is closed or gone: nothing of it is kept."))
    if me is None or not conversations.may_see(me, found):
        abort(403, gettext("This conversation is in a language or region you do not take."))
    if found.helper != me.account and not conversations.take(rt.redis, conv_id, me.account):
        abort(409, gettext("Another helper took this conversation a moment ago."))
    audit.record(rt.redis, staff().email, "conversation taken", conv_id)
    return redirect(url_for("console.conversation", conv_id=conv_id))


@bp.post("/conversations/<conv_id>/write", endpoint="conversation_write")
@requires("conversations")
def write(conv_id: str) -> Any:
    """Send the helper's text to the person, through the line's outbox (112 under it)."""
    rt = runtime()
    found, _me_ = _mine(conv_id)
    text = request.form.get("text", "").strip()
    if not text:
        abort(400, gettext("text: write a message first."))
    # As sent: the footer with 112 goes under it, and Twilio refuses a longer body (21617).
    over = len(rt.renderer.written(found.locale, text, found.channel)) - TWILIO_MAX_BODY
    if over > 0:
        abort(400, gettext("text: too long for one message: shorten it by %(n)s characters.", n=over))
    delivery = _sent(lambda: conversations.write(rt, conv_id, staff().helper.id, text))  # type: ignore[union-attr]
    audit.record(rt.redis, staff().email, "conversation wrote", conv_id)
    return redirect(url_for("console.conversation", conv_id=conv_id, said=delivery.value) + "#write")


@bp.post("/conversations/<conv_id>/insert", endpoint="conversation_insert")
@requires("conversations")
def insert(conv_id: str) -> Any:
    """Send a directory entry, a screen of the line, or the services of a place, in the person's language."""
    rt = runtime()
    _mine(conv_id)
    screen, place, entry = (request.form.get(name, "") for name in ("screen", "place", "entry"))
    refs: tuple[Ref, ...]
    if entry:
        if entry not in {s.id for s in rt.content.directory.services}:
            abort(400, gettext("entry: no such directory entry."))
        refs = (Entry(entry),)
    elif screen:
        if screen not in rt.content.flow.nodes:
            abort(400, gettext("screen: no such screen."))
        refs = (Menu(screen),)
    elif place:
        if place not in rt.content.places.by_code:
            abort(400, gettext("place: no such place."))
        refs = (Services(place),)
    else:
        abort(400, gettext("Choose a screen or a place first."))
    delivery = _sent(lambda: conversations.insert(rt, conv_id, staff().helper.id, refs))  # type: ignore[union-attr]
    audit.record(rt.redis, staff().email, "conversation inserted", f"{conv_id} {refs[0].kind}")
    return redirect(url_for("console.conversation", conv_id=conv_id, said=delivery.value) + "#write")


@bp.post("/conversations/<conv_id>/close", endpoint="conversation_close")
@requires("conversations")
def close(conv_id: str) -> Any:
    """Close the conversation: the person is told, and what was written is erased."""
    rt = runtime()
    _mine(conv_id)
    conversations.close(rt, conv_id)
    audit.record(rt.redis, staff().email, "conversation closed", conv_id)
    return redirect(url_for("console.conversations"))


@bp.post("/conversations/<conv_id>/reassign", endpoint="conversation_reassign")
@requires("conversations")
def reassign(conv_id: str) -> Any:
    """An admin gives a held conversation to another helper who takes its language."""
    rt = runtime()
    if staff().role is not Role.ADMIN:
        abort(403, gettext("Only an admin may reassign a conversation."))
    found = conversations.get(rt.redis, conv_id)
    if found is None:
        abort(410, gettext("This conversation is closed or gone: nothing of it is kept."))
    target = helper_accounts(rt.redis).get(request.form.get("helper", ""))
    taker = conversations.helper(rt.redis, target.helper.id) if target and target.helper else None
    if taker is None or not conversations.may_see(taker, found):
        abort(400, gettext("helper: choose a helper who takes this conversation's language."))
    if not conversations.reassign(rt.redis, conv_id, taker.account):
        abort(409, gettext("Only a conversation a helper holds can be reassigned."))
    audit.record(rt.redis, staff().email, "conversation reassigned", f"{conv_id} to {target.email}")  # type: ignore[union-attr]
    return redirect(url_for("console.conversations"))


def _sent(act: Any) -> Delivery:
    try:
        delivery: Delivery = act()
    except NotYours:
        abort(410, gettext("This conversation is closed or gone: nothing of it is kept."))
    except ValueError as exc:
        abort(400, str(exc))
    return delivery


def _screen_title(name: str) -> str:
    node = runtime().content.flow.nodes[name]
    if node.title:
        try:
            return runtime().renderer.message("en", node.title, Channel.SMS)
        except KeyError:
            pass
    return name


def _when(at: float) -> str:
    return when(at)  # Amsterdam time, as the person's "daytime" is


def _ago(at: float) -> str:
    minutes = int((time.time() - at) // 60)
    if minutes < 60:
        return gettext("%(n)s min", n=minutes)
    if minutes < 48 * 60:
        return gettext("%(n)s h", n=minutes // 60)
    return gettext("%(n)s days", n=minutes // (24 * 60))
