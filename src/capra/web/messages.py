"""Every message of the interface, extracted from the templates and the web package, plus
the codes shown through the translation layer (kinds of record, column names and their
descriptions, event types, ICAR codes, roles, statuses, indicators).

``scripts/update_web_messages.py`` writes them to ``locale/capra.pot`` and merges them
into each language's ``.po``; the tests check that the catalogs are up to date and that
every message has its Korean translation.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir

__all__ = ["codes", "extract"]

#: Names, units and fixed items of the levers in a plan's ``binding`` table
#: (:mod:`capra.planning.binding`, :func:`capra.planning.model.build_model`); others show
#: as they are.
PLAN_CONSTRAINTS = ("milk supply", "plant capacity", "milk collection route",
                    "plant milk intake", "plant storage", "delivery route", "site cold storage",
                    "farm capacity", "herd size", "kid rearing",
                    "kids reared on milk replacer instead of goat milk",
                    "+1 kg milk/day", "+1 kg product/day", "+1 kg stored", "+1 kg/day",
                    "+1 head", "+1 head of capacity", "share of the kids' milk",
                    "repeatable", "from_stock", "any farm")
#: Python calls that take a message: ``gettext(request, "...")`` and the forms'
#: ``translated("...", **values)``.
PY_KEYWORDS = {"gettext": (2,), "translated": (1,)}
#: Jinja2 calls: ``_("...")`` and ``gettext("...")``.
JINJA_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}


def codes() -> list[str]:
    """Codes and descriptions shown through ``tr()`` in the templates."""
    from capra.growth.monitoring import INDICATORS
    from capra.store import schema as S
    from capra.store.accounts import AREAS
    from capra.store.io import KINDS
    from capra.web.pages import GROUPS, PERIODS

    out: list[str] = []
    out += list(KINDS)
    for k in KINDS.values():
        for f in k.fields:
            out += [f.name, f.help]
            out += list(f.choices)
    out += list(S.SEXES + S.FARM_KINDS + S.SITE_KINDS + S.EVENT_TYPES + S.DEATH_REASONS
                + S.DEPARTURE_REASONS + S.DEPARTURE_KINDS + S.INSEMINATION_METHODS
                + S.PREGNANCY_RESULTS + S.PREGNANCY_METHODS + S.ROLES + S.PLAN_STATUSES)
    out += list(AREAS) + list(GROUPS) + list(PERIODS) + list(INDICATORS)
    from capra.store.plans import PROGRESS_MESSAGES
    from capra.web.forms import REF_EXPECTED

    out += list(REF_EXPECTED.values()) + list(PROGRESS_MESSAGES) + list(PLAN_CONSTRAINTS)
    out += ["alive", "dead", "left", "all", "plans", "test day",
            "Not found", "Method not allowed", "Too large", "Too many requests", "Error"]
    return [m for m in dict.fromkeys(out) if m]


def extract() -> Catalog:
    """A catalog of every message (no translations), sorted."""
    root = Path(str(resources.files("capra.web")))
    cat = Catalog(project="capra", domain="capra", charset="utf-8")
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "false"}}
    for method_map, keywords in (([("templates/**.html", "jinja2")], JINJA_KEYWORDS),
                                 ([("**.py", "python")], PY_KEYWORDS)):
        for filename, lineno, message, comments, _context in extract_from_dir(
                str(root), method_map=method_map, options_map=options, keywords=keywords,
                comment_tags=("Translators:",), strip_comment_tags=True):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                cat.add(message, locations=[(filename, lineno)], auto_comments=comments)
    for code in codes():
        if code not in cat:
            cat.add(code, auto_comments=["a code or column description"])
    return cat
