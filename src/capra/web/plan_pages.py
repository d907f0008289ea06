"""Plans: start a projection and plan from today's records in the background, watch it
run, read it, compare two side by side."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from capra.errors import DataError
from capra.store.accounts import Principal
from capra.store.plans import DEFAULT_REPLICATES, get_plan, list_plans, queue_plan
from capra.web import charts
from capra.web.deps import check_csrf, gettext, render, require, settings, with_retries
from capra.web.pages import _plan_figures

router = APIRouter(include_in_schema=False)

#: Seconds between reloads of a running plan's page (a meta refresh: no script needed).
REFRESH_S = 2


@router.get("/plans")
def plans(request: Request, user: Principal = Depends(require("plans"))):
    from capra.store.snapshot import last_record_date

    db = settings(request).db
    return render(request, "plans.html", {
        "plans": list_plans(db), "last_date": last_record_date(db),
        "replicates": DEFAULT_REPLICATES, "scenario": settings(request).scenario})


@router.post("/plans")
def start_plan(request: Request, date: str = Form(""), replicates: int = Form(DEFAULT_REPLICATES),
               seed: int = Form(0), quantile: str = Form(""), horizon_days: str = Form(""),
               csrf_token: str = Form(""), user: Principal = Depends(require("plan_run"))):
    check_csrf(request, csrf_token)
    s = settings(request)
    try:
        q = float(quantile) if quantile.strip() else None
        h = int(horizon_days) if horizon_days.strip() else None
    except ValueError:
        raise DataError("quantile and horizon_days: expected numbers") from None
    pid = with_retries(queue_plan, s.db, user=user.name, scenario=s.scenario, date=date or None,
                       replicates=replicates, seed=seed, quantile=q, horizon_days=h)
    if s.plan_runner is not None:
        s.plan_runner(pid)
    return RedirectResponse(f"/plans/{pid}", status_code=303)


def _projection_chart(request: Request, plan: dict):
    proj = plan.get("projection") or {}
    months = proj.get("months") or []
    farms = proj.get("farms") or {}
    if not months or not farms:
        return None
    tot = {p: [sum(f["milk_kg_per_day"][p][i] for f in farms.values()) for i in range(len(months))]
           for p in ("p10", "p50", "p90")}
    return charts.line_chart([charts.Series(
        gettext(request, "all farms, median (P10–P90)"), months, tot["p50"], lo=tot["p10"],
        hi=tot["p90"], cls=1)], y_label="kg/day", label="projected milk")


@router.get("/plans/compare")
def compare(request: Request, a: int, b: int, user: Principal = Depends(require("plans"))):
    db = settings(request).db
    pa, pb = get_plan(db, a), get_plan(db, b)
    if pa is None or pb is None:
        return render(request, "error.html", {
            "status": 404, "title": gettext(request, "Not found"),
            "detail": gettext(request, "No such plan.")}, status_code=404)
    fa, fb = _plan_figures(pa), _plan_figures(pb)
    sites = sorted({s["site"] for f in (fa, fb) if f for s in f["sites"]})
    per_site = []
    for site in sites:
        row = {"site": site}
        for key, f in (("a", fa), ("b", fb)):
            hit = next((s for s in (f["sites"] if f else []) if s["site"] == site), None)
            row[key] = hit["interruption_days"] if hit else None
        per_site.append(row)
    return render(request, "compare.html", {"a": pa, "b": pb, "fa": fa, "fb": fb,
                                            "per_site": per_site})


@router.get("/plans/{plan_id}")
def plan(request: Request, plan_id: int, user: Principal = Depends(require("plans"))):
    p = get_plan(settings(request).db, plan_id)
    if p is None:
        return render(request, "error.html", {
            "status": 404, "title": gettext(request, "Not found"),
            "detail": gettext(request, "No such plan.")}, status_code=404)
    return render(request, "plan.html", {
        "plan": p, "f": _plan_figures(p), "running": p["status"] in ("queued", "running"),
        "refresh": REFRESH_S, "chart": _projection_chart(request, p)})
