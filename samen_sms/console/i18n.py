"""The console in Dutch and English, with Babel: `translations/<lang>.po` read at start, no build step.

English is the source language; a page picks the language the person chose (`?lang=nl`, kept in
the session), else the browser's preference.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, request, session

LANGUAGES = ("en", "nl")
NAMES = {"en": "English", "nl": "Nederlands"}
TRANSLATIONS = Path(__file__).with_name("translations")


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalogue of one language (English: none needed)."""
    path = TRANSLATIONS / f"{lang}.po"
    if lang == "en" or not path.exists():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def current_language() -> str:
    """The language of this request's page."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "en"


def gettext(text: str, **values: object) -> str:
    """Translate (and fill `%(name)s` values)."""
    out = translations(current_language()).gettext(text)
    return out % values if values else out


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Translate with a number."""
    out = translations(current_language()).ngettext(singular, plural, n)
    return out % {"num": n, **values}


def init_app(app: Flask) -> None:
    """Give the templates `_`, `gettext` and `ngettext`."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
