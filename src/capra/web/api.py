"""The JSON API under ``/api/v1``: the same permissions as the pages, a token per user
(``Authorization: Bearer <token>``), described by ``/openapi.json``."""

from __future__ import annotations

import math

import pandas as pd
from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from capra.errors import DataError
from capra.store.accounts import ForbiddenError, Principal, can
from capra.store.io import KINDS
from capra.web.deps import api_user, settings
from capra.web.imports import FIELD_SOURCES, ScopeRejected, import_upload

router = APIRouter(prefix="/api/v1", tags=["records"])

ERRORS = {401: {"description": "No valid API token."},
          403: {"description": "The token's role may not do this (or not on this farm)."}}


class FarmOut(BaseModel):
    name: str
    kind: str
    district: str | None = None
    capacity_head: int | None = Field(None, description="Places for adult goats. [head]")
    head: int = Field(description="Animals on the farm now (alive, present). [head]")


class AnimalOut(BaseModel):
    tag: str
    sex: str
    breed: str | None = None
    birth_date: str | None = None
    farm: str = Field(description="Where the animal is now.")
    status: str = Field(description="alive, dead or left.")
    parity: int = Field(description="Kiddings, those before entry included.")
    last_test_date: str | None = None
    last_milk_kg: float | None = Field(None, description="Milk on the last test day. [kg/day]")


class AnimalsOut(BaseModel):
    total: int
    animals: list[AnimalOut]


class ImportError_(BaseModel):
    row: int = Field(description="Row of the file; 1 is the first data row.")
    field: str
    reason: str
    value: str


class ImportOut(BaseModel):
    kind: str
    file: str
    rows: int
    inserted: int
    unchanged: int
    rejected: int
    errors: list[ImportError_] = []


class PlanOut(BaseModel):
    id: int
    status: str
    created_at: str
    finished_at: str | None = None
    user_name: str
    seed: int
    capra_version: str
    inputs: dict
    message: str | None = None
    result: dict | None = Field(None, description="The plan: children served every "
                                "operating day, confidence, interruption days per site, "
                                "coverage, waste, what binds, ...")
    projection: dict | None = Field(None, description="Projected milk and head per farm "
                                    "and month (P10, P50, P90).")


def _clean(v):
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT or v is pd.NA:
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return v


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


@router.get("/farms", response_model=list[FarmOut], responses=ERRORS,
            summary="Farms the token's user may see")
def api_farms(request: Request, user: Principal = Depends(api_user)):
    """Every farm and quarantine station (farm and vet users: their own), with the
    animals on each now."""
    from capra.store.scope import farms

    if not can(user, "dashboard"):  # the farms are on the dashboard
        raise ForbiddenError(f"the {user.role} role may not read farms")
    return _records(farms(settings(request).db, user))


@router.get("/animals", response_model=AnimalsOut, responses={**ERRORS, 422: {
            "description": "A bad filter."}}, summary="Animals, filtered")
def api_animals(request: Request, user: Principal = Depends(api_user),
                farm: str | None = Query(None, description="Farm name."),
                status: str = Query("alive", description="alive, dead, left or all."),
                sex: str | None = Query(None, description="female or male."),
                limit: int = Query(1000, ge=1, le=100_000), offset: int = Query(0, ge=0)):
    """Animals the token's user may see (farm and vet users: on their farms only; another
    farm's name gives an empty list)."""
    from capra.store.scope import animals

    if not can(user, "animals"):
        raise ForbiddenError(f"the {user.role} role may not read animals")
    rows, total = animals(settings(request).db, user, farm=farm, status=status, sex=sex,
                          limit=limit, offset=offset)
    return {"total": total, "animals": _records(rows)}


@router.get("/animals/{tag}", responses={**ERRORS, 404: {"description": "No such animal "
            "on the user's farms."}}, summary="One animal: record, events, test days")
def api_animal(request: Request, tag: str, user: Principal = Depends(api_user)):
    from capra.store.scope import animal_page

    if not can(user, "animals"):
        raise ForbiddenError(f"the {user.role} role may not read animals")
    found = animal_page(settings(request).db, user, tag)
    if found is None:
        return JSONResponse({"detail": f"no animal {tag!r} on your farms"}, status_code=404)
    return {"animal": {k: _clean(v) for k, v in found["animal"].items()},
            "events": _records(found["events"]), "test_days": _records(found["test_days"])}


@router.post("/import/{kind}", response_model=ImportOut, responses={
    **ERRORS, 413: {"description": "The file is over the upload limit."},
    422: {"description": "Rows rejected (every one located: row, field, reason, value); "
                         "nothing saved.", "model": ImportOut}},
    summary="Import a file, all-or-nothing")
async def api_import(request: Request, kind: str, file: UploadFile = File(
        ..., description="CSV or XLSX in the kind's layout (capra db template KIND), or an "
                         "ODK Collect / KoboToolbox export."),
        source: str = Query("capra", description="capra (the import layout), odk or kobo."),
        user: Principal = Depends(api_user)):
    """Import records of one kind (farms, sites, batches, animals, events, test_days,
    product_batches, deliveries, children, measurements) with the rules of
    ``capra db import``: every row validated, rows identical to a record are unchanged,
    and one bad row rejects the file. The audit log names the token's user."""
    if kind not in KINDS:
        raise DataError(f"unknown kind of record {kind!r}; expected one of {', '.join(KINDS)}")
    if source not in FIELD_SOURCES:
        raise DataError(f"source {source!r}: expected one of {', '.join(FIELD_SOURCES)}")
    content = await file.read()
    try:
        outcome = await run_in_threadpool(import_upload, settings(request).db, user, kind,
                                          file.filename or "upload.csv", content, source=source)
    except ScopeRejected as exc:
        body = {"detail": str(exc), "errors": [
            {"row": int(r.row), "field": r.field, "reason": r.reason, "value": str(r.value)}
            for r in exc.rejects.itertuples(index=False)]}
        return JSONResponse(body, status_code=403)
    return JSONResponse(outcome.to_dict(), status_code=outcome.status)


def _plan_json(p: dict) -> dict:
    return {**p, "created_at": str(p["created_at"]), "finished_at":
            str(p["finished_at"]) if p.get("finished_at") else None}


@router.get("/plans/latest", response_model=PlanOut, responses={
    **ERRORS, 404: {"description": "No plan has finished yet."}},
    summary="The newest finished plan")
def api_latest_plan(request: Request, user: Principal = Depends(api_user)):
    from capra.store.plans import latest_plan

    p = latest_plan(settings(request).db)
    if p is None:
        return JSONResponse({"detail": "no plan has finished yet"}, status_code=404)
    return _plan_json(p)


@router.get("/plans/{plan_id}", response_model=PlanOut, responses={
    **ERRORS, 404: {"description": "No such plan."}}, summary="One plan, any status")
def api_plan(request: Request, plan_id: int, user: Principal = Depends(api_user)):
    from capra.store.plans import get_plan

    p = get_plan(settings(request).db, plan_id)
    if p is None:
        return JSONResponse({"detail": f"no plan {plan_id}"}, status_code=404)
    return _plan_json(p)


@router.get("/prevalence", responses=ERRORS, summary="Growth prevalence by group and period")
def api_prevalence(request: Request, user: Principal = Depends(api_user),
                   by: str = Query("district", description="all, district, site or site_kind."),
                   period: str = Query("half-year", description="half-year, year or quarter.")):
    """Stunting, wasting, thinness and underweight in percent with 95 % intervals (WHO
    cut-offs; one child one sampling unit, logit intervals)."""
    from capra.growth.monitoring import growth_prevalence
    from capra.web.pages import GROUPS, PERIODS

    if not can(user, "prevalence"):
        raise ForbiddenError(f"the {user.role} role may not read prevalence")
    if by not in GROUPS or period not in PERIODS:
        raise DataError(f"by: one of {', '.join(GROUPS)}; period: one of {', '.join(PERIODS)}")
    table = growth_prevalence(settings(request).db, by=GROUPS[by], period=period)
    return {"by": by, "period": period, "rows": _records(table)}
