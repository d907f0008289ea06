#!/usr/bin/env python3
"""Extract the web interface's messages and merge them into its catalogs.

Usage::

    python scripts/update_web_messages.py           # write capra.pot, update en and ko .po
    python scripts/update_web_messages.py --check   # exit 1 if a catalog is out of date
                                                    # or a Korean translation is missing

Writes ``src/capra/web/locale/capra.pot`` (every message of the templates, the web package
and the codes shown through the translation layer, see :mod:`capra.web.messages`) and
merges it into ``locale/<lang>/LC_MESSAGES/capra.po``: translations already there are
kept, messages no longer used are dropped, new ones are added empty. English is the
source language; its catalog only gives readable labels to codes (``dry_off`` ->
``dry off``). New Korean messages must be translated by hand (and reviewed by a native
speaker: the catalog's header says so).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "src" / "capra" / "web" / "locale"
HEADERS = {
    "en": "English labels of the codes of the Capra web interface (messages are written in "
          "English).",
    "ko": "Korean translation of the Capra web interface.\n"
          "REVIEW: awaiting review by a native Korean speaker; corrections welcome.",
}

HEADERS_TEAM = {"en": "English", "ko": "Korean (awaiting review by a native speaker)"}


def _po(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=False,
             include_previous=False)
    return buf.getvalue()


def merged(template: Catalog, lang: str) -> Catalog:
    """The catalog of ``lang``: ``template``'s messages with the translations of its
    current ``.po``."""
    path = LOCALE / lang / "LC_MESSAGES" / "capra.po"
    old = read_po(path.open("rb"), locale=lang) if path.exists() else Catalog(locale=lang)
    cat = Catalog(locale=lang, domain="capra", project="capra", version="",
                  header_comment="# " + HEADERS[lang].replace("\n", "\n# "),
                  copyright_holder="Capra developers", charset="utf-8", fuzzy=False,
                  last_translator="Capra developers", language_team=HEADERS_TEAM[lang])
    for m in template:
        if not m.id:
            continue
        string = old[m.id].string if m.id in old and old[m.id].string else ""
        if lang == "en" and not string and "_" in m.id and " " not in m.id:
            string = m.id.replace("_", " ")
        cat.add(m.id, string=string, locations=m.locations, auto_comments=m.auto_comments)
    return cat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "src"))
    from capra.web.messages import extract

    template = extract()
    out = {LOCALE / "capra.pot": _po(template)}
    for lang in HEADERS:
        out[LOCALE / lang / "LC_MESSAGES" / "capra.po"] = _po(merged(template, lang))
    if args.check:
        stale = [str(p) for p, data in out.items()
                 if _body(data) != _body(p.read_bytes() if p.exists() else b"")]
        missing = [m.id for m in merged(template, "ko") if m.id and not m.string]
        for p in stale:
            print(f"out of date: {p}")
        for m in missing:
            print(f"no Korean translation: {m!r}")
        return 1 if stale or missing else 0
    for p, data in out.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        print(f"wrote {p.relative_to(REPO)}")
    return 0


def _body(data: bytes) -> bytes:
    """A catalog without its header's dates (they change on every run)."""
    return b"\n".join(line for line in data.splitlines()
                      if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date')))


if __name__ == "__main__":
    sys.exit(main())
