"""Forms for each kind of record and each event type, and file uploads.

A form is a one-row import: its fields are the columns of the kind's file layout
(:data:`capra.store.io.KINDS`), its values go through the same import and rules as a
file, and a rejected value is shown next to its field with the import's reason; nothing is
saved unless every value passes.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from capra.errors import DataError
from capra.store import schema as S
from capra.store.accounts import VET_EVENT_TYPES, ForbiddenError, Principal, can_write
from capra.store.io import KINDS, template
from capra.web.deps import check_csrf, gettext, page_user, render, settings
from capra.web.imports import (
    FIELD_SOURCES,
    ScopeRejected,
    frame_of,
    import_rows,
    import_upload,
)

router = APIRouter(include_in_schema=False)

#: Fields of each event type's form, after ``animal`` and ``date`` (``note`` last).
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "parturition": ("litter_size", "live_kids"),
    "insemination": ("method", "sire", "expected_parturition_date"),
    "pregnancy_check": ("result", "method", "expected_parturition_date"),
    "abortion": (),
    "dry_off": (),
    "treatment": ("product", "withdrawal_days"),
    "transfer": ("from_farm", "farm"),
    "death": ("reason",),
    "departure": ("reason", "departure_kind"),
}
#: Choices of a field that depend on the event type.
EVENT_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("insemination", "method"): S.INSEMINATION_METHODS,
    ("pregnancy_check", "method"): S.PREGNANCY_METHODS,
    ("death", "reason"): S.DEATH_REASONS,
    ("departure", "reason"): S.DEPARTURE_REASONS,
}
#: Fields required by an event type beyond the layout's own required fields.
EVENT_REQUIRED = {("parturition", "litter_size"), ("pregnancy_check", "result"),
                  ("transfer", "from_farm"), ("transfer", "farm")}


#: What a reference field takes, by the kind it refers to.
REF_EXPECTED = {"farms": "the name of a recorded farm", "sites": "the name of a recorded site",
                "batches": "the name of a recorded batch", "animals": "the tag of a recorded animal",
                "product_batches": "the code of a recorded product batch",
                "children": "the code of a recorded child"}


def expected(request: Request, f, choices: tuple[str, ...]) -> str:
    """What a field takes, in the request's language (the words of
    :meth:`capra.store.io.Field.describe`)."""
    def translated(msg: str, **kw) -> str:
        return gettext(request, msg) % kw if kw else gettext(request, msg)

    if f.type == "choice":
        return translated("one of %(values)s", values=", ".join(choices))
    if f.type == "ref":
        return gettext(request, REF_EXPECTED[f.ref])
    if f.type == "date":
        return translated("a date YYYY-MM-DD")
    if f.type == "bool":
        return translated("true or false")
    if f.type in ("int", "float"):
        lo = None if f.lo is None else f"{f.lo:g}"
        hi = None if f.hi is None else f"{f.hi:g}"
        if f.type == "int":
            if lo is not None and hi is not None:
                return translated("an integer in [%(lo)s, %(hi)s]", lo=lo, hi=hi)
            return translated("an integer ≥ %(lo)s", lo=lo) if lo is not None else translated("an integer")
        if lo is not None and hi is not None:
            return translated("a number in [%(lo)s, %(hi)s]", lo=lo, hi=hi)
        return translated("a number ≥ %(lo)s", lo=lo) if lo is not None else translated("a number")
    return translated("text of at most %(n)s characters", n=f.max_len)


def form_fields(kind: str, event_type: str | None = None) -> list[dict]:
    """The fields of a form: name, type, required, help, choices, reference."""
    k = KINDS[kind]
    if kind == "events":
        names = ("animal", "date", *EVENT_FIELDS[event_type], "note")
    else:
        names = tuple(f.name for f in k.fields)
    out = []
    for name in names:
        f = k.field(name)
        choices = EVENT_CHOICES.get((event_type, name), f.choices) if event_type else f.choices
        out.append({"name": f.name, "type": f.type, "help": f.help, "ref": f.ref,
                    "choices": choices, "field": f,
                    "required": f.required or (event_type, name) in EVENT_REQUIRED,
                    "default": "" if f.default is None else f.default})
    return out


def _writable(user: Principal, kind: str, event_type: str | None) -> None:
    if kind not in KINDS:
        raise DataError(f"unknown kind of record {kind!r}; expected one of {', '.join(KINDS)}")
    if not can_write(user, kind):
        raise ForbiddenError(f"the {user.role} role may not record {kind}")
    if kind == "events":
        if event_type not in EVENT_FIELDS:
            raise DataError(f"event type {event_type!r}: expected one of "
                            f"{', '.join(EVENT_FIELDS)}")
        if user.role == "vet" and event_type not in VET_EVENT_TYPES:
            raise ForbiddenError(f"a vet records {', '.join(VET_EVENT_TYPES)} events")


def _options(request: Request, user: Principal, fields: list[dict]) -> dict:
    """Values to choose from for reference fields: farms, sites, batches, the user's
    animals, children."""
    from capra.store.scope import animal_tags, children

    db = settings(request).db
    refs = {f["ref"] for f in fields if f["ref"]}
    opts: dict[str, list[str]] = {}
    with db.connect() as conn:
        for ref, sql in (("farms", "SELECT name FROM farms ORDER BY name"),
                         ("sites", "SELECT name FROM sites ORDER BY name"),
                         ("batches", "SELECT name FROM batches ORDER BY name"),
                         ("product_batches", "SELECT code FROM product_batches ORDER BY code")):
            if ref in refs:
                opts[ref] = [r[0] for r in conn.exec_driver_sql(sql)]
    if "animals" in refs:
        opts["animals"] = animal_tags(db, user)
    if "children" in refs and user.role in ("admin", "manager", "nutrition"):
        rows, _ = children(db, user, limit=5000)
        opts["children"] = rows["code"].tolist()
    return opts


def _form_page(request, user, kind, event_type, values, errors=None, general=None,
               status_code=200, saved=False):
    fields = form_fields(kind, event_type)
    for f in fields:
        f["describe"] = expected(request, f["field"], f["choices"])
    types = (VET_EVENT_TYPES if user.role == "vet" else S.EVENT_TYPES) if kind == "events" \
        else ()
    return render(request, "form.html", {
        "kind": kind, "event_type": event_type, "fields": fields, "values": values,
        "errors": errors or {}, "general": general or [], "options": _options(request, user, fields),
        "event_types": types, "saved": saved}, status_code=status_code)


@router.get("/records/{kind}/new")
def new_record(request: Request, kind: str, type: str | None = None, animal: str = "",
               child: str = "", saved: str = "", user: Principal = Depends(page_user)):
    _writable(user, kind, type)
    values = {"date": dt.date.today().isoformat(), "animal": animal, "child": child}
    if kind == "events" and type == "transfer" and animal:
        from capra.store.scope import animal_page

        found = animal_page(settings(request).db, user, animal)
        if found:
            values["from_farm"] = found["animal"]["farm"]
    return _form_page(request, user, kind, type, values, saved=bool(saved))


@router.post("/records/{kind}/new")
async def save_record(request: Request, kind: str, type: str | None = None,
                      user: Principal = Depends(page_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    _writable(user, kind, type)
    fields = form_fields(kind, type)
    values = {}
    for f in fields:
        v = form.get(f["name"], "")
        if f["type"] == "bool":
            v = "true" if v in ("true", "on", "1") else "false"
        values[f["name"]] = str(v).strip() if isinstance(v, str) else ""
    row = dict(values)
    if kind == "events":
        row["type"] = type
    db = settings(request).db
    try:
        outcome = await run_in_threadpool(import_rows, db, user, kind, frame_of(row),
                                          file=f"web form ({kind})")
    except ScopeRejected as exc:
        errors = _by_field(exc.rejects)
        return _form_page(request, user, kind, type, values, errors=errors,
                          general=_unplaced(errors, fields), status_code=403)
    if outcome.rejects is not None:
        errors = _by_field(outcome.rejects)
        return _form_page(request, user, kind, type, values, errors=errors,
                          general=_unplaced(errors, fields), status_code=422)
    saved = type or kind
    if kind in ("events", "test_days"):
        return RedirectResponse(f"/animals/{_q(values['animal'])}?saved={saved}", status_code=303)
    if kind == "animals":
        return RedirectResponse(f"/animals/{_q(values['tag'])}?saved=animals", status_code=303)
    if kind == "children":
        return RedirectResponse(f"/children/{_q(values['code'])}", status_code=303)
    if kind == "measurements":
        return RedirectResponse(f"/children/{_q(values['child'])}", status_code=303)
    return RedirectResponse(f"/records/{kind}/new?saved=1", status_code=303)


def _q(v: str) -> str:
    from urllib.parse import quote

    return quote(v, safe="")


def _by_field(rejects: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in rejects.itertuples(index=False):
        out.setdefault(str(r.field), []).append(str(r.reason))
    return out


def _unplaced(errors: dict, fields: list[dict]) -> list[str]:
    names = {f["name"] for f in fields}
    return [f"{k}: {r}" for k, rs in errors.items() if k not in names for r in rs]


# --------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------

def _upload_kinds(user: Principal) -> list[str]:
    return [k for k in KINDS if can_write(user, k)]


@router.get("/import")
def upload_form(request: Request, user: Principal = Depends(page_user)):
    kinds = _upload_kinds(user)
    if not kinds:
        raise ForbiddenError(f"the {user.role} role may not import records")
    return render(request, "import.html", {"kinds": kinds, "sources": FIELD_SOURCES})


@router.post("/import")
async def upload(request: Request, user: Principal = Depends(page_user)):
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    kinds = _upload_kinds(user)
    kind = str(form.get("kind", ""))
    source = str(form.get("source", "capra"))
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return render(request, "import.html", {
            "kinds": kinds, "sources": FIELD_SOURCES, "kind": kind, "source": source,
            "error": gettext(request, "Choose a file to upload.")}, status_code=400)
    content = await file.read()
    db = settings(request).db
    ctx = {"kinds": kinds, "sources": FIELD_SOURCES, "kind": kind, "source": source}
    try:
        outcome = await run_in_threadpool(import_upload, db, user, kind, file.filename,
                                          content, source=source)
    except ScopeRejected as exc:
        return render(request, "import.html", {**ctx, "rejects": exc.rejects,
                                               "scope_error": str(exc)}, status_code=403)
    except DataError as exc:
        return render(request, "import.html", {**ctx, "error": str(exc)}, status_code=400)
    return render(request, "import.html", {**ctx, "outcome": outcome},
                  status_code=outcome.status)


@router.get("/templates/{kind}.{fmt}")
def template_file(request: Request, kind: str, fmt: str, user: Principal = Depends(page_user)):
    import tempfile
    from pathlib import Path

    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise DataError(f"no template {kind}.{fmt}")
    if fmt == "csv":
        return Response(template(kind), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{kind}.csv"'})
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(template(kind, Path(tmp) / f"{kind}.xlsx")).read_bytes()
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{kind}.xlsx"'})
