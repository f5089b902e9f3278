"""Mediators and organisations: forward texts per language, a QR code for the WhatsApp link, a poster.

Reach per week and per-code links need the referral codes of the reach figures; until they exist
this page shows what every mediator can forward today.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import render_template, request

from samen_sms.console.auth import qr_data_uri
from samen_sms.console.web import bp, requires, runtime, staff
from samen_sms.core.identity import Channel
from samen_sms.line.runtime import Runtime


def _hello_link(rt: Runtime, code: str) -> str:
    # The line's WhatsApp link holding a hello in this language, as the forward text's link does.
    link = rt.renderer.params.get("whatsapp_link", "")
    hello = rt.content.catalogues[code].keywords.get("menu", ("hi",))[0]
    return f"{link}?text={quote(hello, safe='')}" if link else ""


def _texts(rt: Runtime, codes: list[str]) -> list[dict[str, Any]]:
    out = []
    for code in codes:
        cat = rt.content.catalogues[code]
        link = _hello_link(rt, code)
        out.append(
            {
                "code": code,
                "name": cat.name,
                "rtl": cat.rtl,
                "sms": rt.renderer.message(code, "share.forward_text", Channel.SMS),
                "whatsapp": rt.renderer.message(code, "share.forward_text", Channel.WHATSAPP),
                "link": link,
                "qr": qr_data_uri(link, scale=4) if link else "",
            }
        )
    return out


def _chosen(rt: Runtime) -> list[str]:
    wanted = [c for c in request.args.getlist("l") if c in rt.content.catalogues]
    return wanted or list(rt.content.flow.languages)


@bp.get("/mediators")
@requires("mediators")
def mediators() -> Any:
    """Forward texts and QR codes per language."""
    rt = runtime()
    return render_template(
        "console/mediators.html",
        texts=_texts(rt, _chosen(rt)),
        order=list(rt.content.flow.languages),
        catalogues=rt.content.catalogues,
        chosen=_chosen(rt),
        code=staff().mediator,
        sms_number=rt.renderer.params.get("sms_number", ""),
    )


@bp.get("/mediators/poster")
@requires("mediators")
def poster() -> Any:
    """A print-ready poster: the line's number and a QR code, in the chosen languages."""
    rt = runtime()
    return render_template(
        "console/poster.html",
        texts=_texts(rt, _chosen(rt)),
        sms_number=rt.renderer.params.get("sms_number", ""),
        whatsapp_number=rt.renderer.params.get("whatsapp_number", ""),
        qr=qr_data_uri(rt.renderer.params.get("whatsapp_link", "") or "https://wa.me/", scale=8),
    )
