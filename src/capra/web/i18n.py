"""The one translation layer of the interface: gettext catalogs read with Babel, and dates
and numbers formatted per locale.

Catalogs are the ``.po`` files in ``capra/web/locale/<lang>/LC_MESSAGES/capra.po``
(compiled in memory when first used, so the ``.po`` is the only source); the template of
every message is ``capra/web/locale/capra.pot``, made by ``scripts/update_web_messages.py``
from the templates, the web package and the import layouts' column descriptions.
English is the source language; the Korean catalog awaits review by a native speaker
(its header says so).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from functools import lru_cache
from importlib import resources

import pandas as pd
from babel import Locale
from babel import dates as bdates
from babel import numbers as bnumbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "Formatter", "negotiate", "translations"]

#: Languages of the interface: code -> name in that language.
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT_LANGUAGE = "en"
DOMAIN = "capra"


def catalog_path(lang: str):
    """The ``.po`` file of a language."""
    return resources.files("capra.web") / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> Translations:
    """The gettext translations of a language (compiled from its ``.po`` once)."""
    path = catalog_path(lang)
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the ``lang`` cookie, else the browser's preference
    (``Accept-Language``), else English."""
    if cookie in LANGUAGES:
        return cookie
    if accept_language:
        prefs = []
        for part in accept_language.split(","):
            code, _, q = part.strip().partition(";q=")
            try:
                prefs.append((float(q) if q else 1.0, code.strip().lower()))
            except ValueError:
                continue
        for _q, code in sorted(prefs, key=lambda p: -p[0]):
            base = code.split("-")[0]
            if base in LANGUAGES:
                return base
    return DEFAULT_LANGUAGE


def _missing(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


@lru_cache(maxsize=20_000)
def _format_date(iso: str, format: str, lang: str) -> str:
    """A ``YYYY-MM-DD`` date in a locale's format (each date formatted once)."""
    try:
        d = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    return bdates.format_date(d, format=format, locale=lang)


class Formatter:
    """Dates and numbers of one locale, for the templates (empty text for missing)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.locale = Locale.parse(lang)

    def date(self, value, format: str = "medium") -> str:
        """A date (``date``, ``datetime``, ``Timestamp`` or ``YYYY-MM-DD`` text)."""
        if _missing(value) or value == "":
            return ""
        if isinstance(value, str):
            key = value[:10]
        elif isinstance(value, (dt.date, pd.Timestamp)):
            key = value.strftime("%Y-%m-%d")
        else:
            return str(value)
        return _format_date(key, format, self.lang)

    def datetime(self, value) -> str:
        """A UTC time, shown to the minute (UTC)."""
        if _missing(value) or value == "":
            return ""
        t = pd.Timestamp(value).to_pydatetime()
        return bdates.format_datetime(t, format="short", locale=self.locale) + " UTC"

    def month(self, value) -> str:
        if _missing(value):
            return ""
        return bdates.format_date(pd.Timestamp(value).date(), format="yyyy-MM",
                                  locale=self.locale)

    def num(self, value, digits: int = 0) -> str:
        """A number with ``digits`` decimals and the locale's grouping."""
        if _missing(value) or value == "":
            return ""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return bnumbers.format_decimal(x, format=fmt, locale=self.locale)

    def pct(self, value, digits: int = 1) -> str:
        """A share in [0, 1] as a percentage."""
        if _missing(value):
            return ""
        fmt = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
        return bnumbers.format_percent(float(value), format=fmt, locale=self.locale)

    def text(self, value) -> str:
        """A value as text; empty for missing values (None, NaN)."""
        return "" if _missing(value) else str(value)
