"""Pages: sign-in, the dashboard, farms and animals, children, prevalence, exports, users,
the API description. Each handler asks the library and renders; no domain logic here."""

from __future__ import annotations

import io
import math
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select, text

from capra.errors import DataError
from capra.rates import DAYS_PER_MONTH
from capra.store.accounts import (
    AREAS,
    ROLES,
    WRITE_KINDS,
    AuthError,
    LoginLimitedError,
    Principal,
    authenticate,
    can,
    can_write,
    disable_user,
    end_session,
    list_users,
    start_session,
)
from capra.store.schema import Audit, StoredPlan
from capra.web import charts
from capra.web.deps import (
    COOKIE,
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    check_csrf,
    cookie_secure,
    gettext,
    page_user,
    random_token,
    render,
    require,
    session_key,
    settings,
    with_retries,
)
from capra.web.i18n import LANGUAGES

router = APIRouter(include_in_schema=False)

#: Growth indicators on the dashboard and the prevalence page.
DASHBOARD_INDICATORS = ("stunting", "wasting", "underweight")
#: Cached page data kept per application (entries for older data versions are dropped).
CACHE_ENTRIES = 64


def _safe_next(target: str | None) -> str:
    """A redirect target on this site only (no scheme, no host, one leading slash)."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return "/"
    return target


#: What each cached part of the pages is made from: tables (whose writes the audit log
#: counts), ``"moves"`` (the events that change where an animal is or whether it is in the
#: herd: transfers, deaths, departures) and ``"plan"`` (the latest finished plan).
HERD = ("farms", "animals", "moves")
MILK = ("farms", "animals", "test_days", "moves", "plan")
GROWTH = ("sites", "children", "measurements")
PLAN = ("plan",)


def data_version(db, sources: tuple[str, ...]) -> tuple:
    """Changes exactly when what ``sources`` name changes (see :data:`HERD`), so that cached
    page data is recomputed then and only then."""
    tables = [t for t in sources if t not in ("moves", "plan")]
    out = []
    with db.connect() as conn:
        if tables:
            out.append(conn.execute(select(func.max(Audit.id))
                                    .where(Audit.table_name.in_(tables))).scalar())
        if "moves" in sources:
            out.append(conn.execute(text(
                "SELECT MAX(id) FROM events WHERE type IN ('transfer', 'death', 'departure')"))
                .scalar())
        if "plan" in sources:
            out.append(conn.execute(select(func.max(StoredPlan.id)).where(
                StoredPlan.status == "done")).scalar())
    return tuple(out)


def cached(request: Request, key: tuple, compute, sources: tuple[str, ...]):
    """``compute()`` once per version of its ``sources`` and key."""
    s = settings(request)
    full = (data_version(s.db, sources),) + key
    if full not in s.cache:
        if len(s.cache) >= CACHE_ENTRIES:
            s.cache.clear()
        s.cache[full] = compute()
    return s.cache[full]


# --------------------------------------------------------------------------------------
# Sign-in
# --------------------------------------------------------------------------------------

@router.get("/login")
def login_form(request: Request, next: str = "/"):
    token = random_token()
    resp = render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                    secure=cookie_secure(request), max_age=3600)
    return resp


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""),
          csrf_token: str = Form(""), next: str = Form("/")):
    s = settings(request)
    want = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not want or csrf_token != want:
        return render(request, "login.html", {
            "next": _safe_next(next), "login_csrf": want or "", "name": name,
            "error": gettext(request, "The sign-in form expired; please try again.")},
            status_code=403)
    address = request.client.host if request.client else ""
    try:
        user = with_retries(authenticate, s.db, name, password, address)
    except LoginLimitedError as exc:
        return render(request, "login.html", {
            "next": _safe_next(next), "login_csrf": want, "name": name,
            "error": gettext(request, "Too many failed sign-ins. Try again in %(minutes)d "
                                      "minutes.") % {"minutes": exc.retry_after_s // 60 + 1}},
            status_code=429, headers={"Retry-After": str(exc.retry_after_s)})
    except AuthError:
        return render(request, "login.html", {
            "next": _safe_next(next), "login_csrf": want, "name": name,
            "error": gettext(request, "Wrong user name or password, or the account is "
                                      "disabled.")}, status_code=401)
    key, _csrf = with_retries(start_session, s.db, user)
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(COOKIE, s.signer.sign(key).decode("ascii"), httponly=True, samesite="lax",
                    secure=cookie_secure(request), path="/")
    resp.delete_cookie(LOGIN_CSRF_COOKIE)
    return resp


@router.post("/logout")
def logout(request: Request, user: Principal = Depends(page_user),
           csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    with_retries(end_session, settings(request).db, session_key(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/lang/{code}")
def set_language(request: Request, code: str, next: str = "/"):
    if code not in LANGUAGES:
        raise DataError(f"language {code!r}: expected one of {', '.join(LANGUAGES)}")
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax",
                    httponly=True, secure=cookie_secure(request))
    return resp


# --------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------

def _plan_figures(plan: dict | None) -> dict | None:
    """The figures of a stored plan's result that the pages show, read defensively (the
    plan's keys grow over versions)."""
    if not plan or not plan.get("result"):
        return None
    r = plan["result"]
    rng = r.get("children_served_every_day_range") or {}
    full = r.get("full_enrolment") if isinstance(r.get("full_enrolment"), dict) else {}
    # interruptions with all the enrolled children (at the headline enrolment there are
    # none by construction); plans made before the full-enrolment dispatch have only these
    inter = full.get("interruption_days") or r.get("interruption_days") or {}
    gaps = full.get("longest_gap_days") or r.get("longest_gap_days") or {}
    sites = [{"site": site, "interruption_days": inter.get(site),
              "longest_gap_days": gaps.get(site)} for site in sorted(set(inter) | set(gaps))]
    years = [y for y in (r.get("programme_years") or []) if isinstance(y, dict)]
    return {
        "id": plan["id"], "status": r.get("status"), "year": r.get("year"),
        "children": r.get("children_served_every_day"),
        "milk_can_serve": r.get("children_the_milk_can_serve"),
        "range": {k: rng.get(k) for k in ("p10", "p50", "p90")} if rng else None,
        "confidence": r.get("confidence"), "futures": r.get("futures_used", r.get("futures")),
        "enrolled": full.get("children") or r.get("enrolled_children"),
        "coverage": full.get("coverage", r.get("coverage")),
        "waste_kg": r.get("waste_kg"), "first_date": r.get("first_date"),
        "last_date": r.get("last_date"), "quantile": r.get("quantile"), "sites": sites,
        "binding": [b for b in (r.get("binding") or []) if isinstance(b, dict)][:10],
        "programme_years": years, "inputs": plan.get("inputs") or {}, "seed": plan.get("seed"),
        "version": plan.get("capra_version"), "created_at": plan.get("created_at"),
        "user_name": plan.get("user_name"),
    }


def _milk_charts(table: pd.DataFrame, request: Request) -> list[dict]:
    out = []
    for farm, g in table.groupby("farm", sort=True):
        series = [charts.Series(gettext(request, "recorded (test days)"),
                                list(g["month"]), g["recorded"].tolist(), cls=0)]
        if g["p50"].notna().any():
            series.insert(0, charts.Series(gettext(request, "projected (P10–P90)"),
                                           list(g["month"]), g["p50"].tolist(),
                                           lo=g["p10"].tolist(), hi=g["p90"].tolist(),
                                           dashed=True, cls=1))
        last = g[g["p10"].notna()].tail(1)
        flag = last["flag"].iloc[0] if len(last) else ""
        out.append({"farm": farm, "flag": flag,
                    "last": last.iloc[0].to_dict() if len(last) else None,
                    "chart": charts.line_chart(series, y_label="kg/day",
                                               label=f"{farm}: milk", width=400,
                                               height=240)})
    return out


def _growth_over_time(db, request: Request):
    from capra.growth.monitoring import growth_prevalence, growth_records

    rec = growth_records(db)
    if rec.empty:
        return None, None
    table = growth_prevalence(rec, by=(), period="half-year",
                              indicators=DASHBOARD_INDICATORS)
    series = []
    for k, ind in enumerate(DASHBOARD_INDICATORS):
        t = table[table["indicator"] == ind].sort_values("period")
        if t.empty:
            continue
        x = [pd.Timestamp(int(p[:4]), 1 if p.endswith("H1") else 7, 1) for p in t["period"]]
        tips = [f"{gettext(request, ind)} {p}: {v:.1f}% ({lo:.1f}–{hi:.1f}), "
                f"n={n}" for p, v, lo, hi, n in zip(t["period"], t["prevalence_pct"],
                                                    t["ci95_low"], t["ci95_high"], t["n"])]
        series.append(charts.Series(gettext(request, ind), x,
                                    t["prevalence_pct"].tolist(), lo=t["ci95_low"].tolist(),
                                    hi=t["ci95_high"].tolist(), tips=tips, cls=k + 2))
    chart = charts.line_chart(series, y_label="%", label="prevalence") if series else None
    return chart, table


@router.get("/")
def dashboard(request: Request, user: Principal = Depends(require("dashboard"))):
    from capra.store.plans import latest_plan, milk_against_projection
    from capra.store.scope import farms, recorded_milk

    db = settings(request).db
    lang = request.state.lang
    scope = (user.role, tuple(sorted(user.farm_ids)))
    plan = cached(request, ("plan",), lambda: latest_plan(db), PLAN)
    data = {
        "plan": _plan_figures(plan),
        "farms": cached(request, ("farms",) + scope, lambda: farms(db, user), HERD),
        "milk": cached(request, ("milk", lang) + scope, lambda: _milk_charts(
            milk_against_projection(recorded_milk(db, user),
                                    plan.get("projection") if plan else None), request), MILK),
    }
    growth_chart = growth_table = None
    if can(user, "prevalence"):
        growth_chart, growth_table = cached(request, ("growth", lang),
                                            lambda: _growth_over_time(db, request), GROWTH)
    return render(request, "dashboard.html", {**data, "growth_chart": growth_chart,
                                              "growth_table": growth_table})


# --------------------------------------------------------------------------------------
# Farms and animals
# --------------------------------------------------------------------------------------

@router.get("/animals")
def animals_page(request: Request, farm: str = "", status: str = "alive", sex: str = "",
                 q: str = "", page: int = 1, user: Principal = Depends(require("animals"))):
    from capra.store.scope import PAGE_ROWS, animals, farms

    db = settings(request).db
    page = max(int(page), 1)
    rows, total = animals(db, user, farm=farm or None, status=status, sex=sex or None,
                          q=q or None, limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS)
    return render(request, "animals.html", {
        "rows": rows, "total": total, "page": page, "pages": max(math.ceil(total / PAGE_ROWS), 1),
        "farms": farms(db, user), "filters": {"farm": farm, "status": status, "sex": sex,
                                                  "q": q}})


def _lactation_chart(request: Request, lac: dict):
    pts = charts.Series(gettext(request, "test days"), lac["dim"].tolist(),
                        lac["milk_kg"].tolist(), line=False, cls=0,
                        tips=[f"{d}: {gettext(request, 'day in milk')} {t}, {y:g} kg"
                              for d, t, y in zip(lac["dates"], lac["dim"], lac["milk_kg"])])
    series = [pts]
    fit = lac.get("fit")
    if fit is not None:
        t = np.arange(1, max(int(lac["dim"].max()), 305) + 1)
        series.append(charts.Series(gettext(request, "Wood curve fitted"), t.tolist(),
                                    fit.predict(t).tolist(), points=False, cls=1))
    return charts.line_chart(series, x_label=gettext(request, "days in milk"),
                             y_label="kg/day", label="lactation")


@router.get("/animals/{tag}")
def animal(request: Request, tag: str, saved: str = "",
           user: Principal = Depends(require("animals"))):
    from capra.lactation.records import doe_lactations
    from capra.store.scope import animal_page

    found = animal_page(settings(request).db, user, tag)
    if found is None:
        # not recorded, or not on the user's farms: the same answer
        return render(request, "error.html", {
            "status": 404, "title": gettext(request, "Not found"),
            "detail": gettext(request, "No animal %(tag)s on your farms.") % {"tag": tag}},
            status_code=404)
    lacs = [{**lac, "chart": _lactation_chart(request, lac)}
            for lac in doe_lactations(found["lactation_records"])]
    return render(request, "animal.html", {**found, "lactations": lacs, "saved": saved,
                                           "event_kinds": _event_types_for(user)})


def _event_types_for(user: Principal) -> tuple[str, ...]:
    from capra.store.accounts import VET_EVENT_TYPES
    from capra.store.schema import EVENT_TYPES

    if not can_write(user, "events"):
        return ()
    return VET_EVENT_TYPES if user.role == "vet" else EVENT_TYPES


# --------------------------------------------------------------------------------------
# Children and growth
# --------------------------------------------------------------------------------------

@router.get("/children")
def children_page(request: Request, site: str = "", q: str = "", page: int = 1,
                  user: Principal = Depends(require("children"))):
    from capra.store.scope import PAGE_ROWS, children, sites

    db = settings(request).db
    page = max(int(page), 1)
    rows, total = children(db, user, site=site or None, q=q or None, limit=PAGE_ROWS,
                           offset=(page - 1) * PAGE_ROWS)
    return render(request, "children.html", {
        "rows": rows, "total": total, "page": page,
        "pages": max(math.ceil(total / PAGE_ROWS), 1), "sites": sites(db, user),
        "filters": {"site": site, "q": q}})


#: WHO reference lines drawn on a child's chart. [z]
CHART_Z = (-3.0, -2.0, 0.0, 2.0, 3.0)
#: Last day of the WHO Child Growth Standards' age tables (60 months). [days]
STANDARDS_MAX_DAY = 1856


def _growth_chart(request: Request, child: dict, m: pd.DataFrame, what: str):
    """A child's length/height (``what="height"``) or weight for age, over the WHO
    reference lines (Standards to 5 years, Reference 2007 after)."""
    from capra.growth.lms import measurement_at_z

    col = "height_cm" if what == "height" else "weight_kg"
    obs = m[m[col].notna()]
    if obs.empty:
        return None
    sex = 1 if child["sex"] == "male" else 2
    top_days = int(obs["age_days"].max()) + 120
    days = np.arange(0, top_days + 1, 7, dtype=float)
    std = days <= STANDARDS_MAX_DAY
    lines = []
    for k, z in enumerate(CHART_Z):
        y = np.full(days.shape, np.nan)
        y[std] = measurement_at_z("lhfa" if what == "height" else "wfa", sex, days[std], z)
        if (~std).any():
            months = days[~std] / DAYS_PER_MONTH
            ref = "hfa2007" if what == "height" else "wfa2007"
            y[~std] = measurement_at_z(ref, sex, months, z)
        name = gettext(request, "WHO median") if z == 0 else (f"{z:+.0f} SD" if abs(z) == 2
                                                             else "")
        lines.append(charts.Series(name, (days / DAYS_PER_MONTH).tolist(), y.tolist(),
                                   points=False, dashed=abs(z) == 3, cls=4 if z == 0 else 6))
    unit = "cm" if what == "height" else "kg"
    zc = {"height": ("zlen", "zhfa"), "weight": ("zwei", "zwfa")}[what]
    tips = []
    for _, r in obs.iterrows():
        zval = next((r[c] for c in zc if c in r and pd.notna(r[c])), np.nan)
        tips.append(f"{r['date']}: {r[col]:g} {unit}" + (f", z = {zval:.2f}"
                                                          if pd.notna(zval) else ""))
    lines.append(charts.Series(child["code"], (obs["age_days"] / DAYS_PER_MONTH).tolist(),
                               obs[col].tolist(), tips=tips, cls=0))
    label = gettext(request, "Length/height for age") if what == "height" else \
        gettext(request, "Weight for age")
    return charts.line_chart(lines, x_label=gettext(request, "age [months]"), y_label=unit,
                             y_zero=False, label=label)


@router.get("/children/{code}")
def child(request: Request, code: str, user: Principal = Depends(require("children"))):
    from capra.growth.monitoring import child_growth
    from capra.store.scope import child_page

    found = child_page(settings(request).db, user, code)
    if found is None:
        return render(request, "error.html", {
            "status": 404, "title": gettext(request, "Not found"),
            "detail": gettext(request, "No child %(code)s.") % {"code": code}}, status_code=404)
    m = found["measurements"] = child_growth(found["child"], found["measurements"])
    charts_ = [c for c in (_growth_chart(request, found["child"], m, "height"),
                           _growth_chart(request, found["child"], m, "weight")) if c] \
        if len(m) else []
    return render(request, "child.html", {**found, "charts": charts_})


PERIODS = ("half-year", "year", "quarter")
#: Most groups drawn in the prevalence figure, and most drawn with their intervals.
CHART_GROUPS, CHART_BANDS = 8, 3


def _prevalence_chart(request: Request, table: pd.DataFrame, indicator: str,
                      keys: tuple[str, ...]):
    """One line per group over the periods, with 95 % intervals when few groups."""
    sub = table[table["indicator"] == indicator]
    periods = sorted(table["period"].unique())
    group = (sub[list(keys)].astype(str).agg(" / ".join, axis=1) if keys
             else pd.Series(gettext(request, "all children"), index=sub.index))
    names = sorted(group.unique())[:CHART_GROUPS]
    bands = len(names) <= CHART_BANDS
    series = []
    for k, g in enumerate(names):
        t = sub[group == g].set_index("period").reindex(periods)
        tips = [f"{g}, {p}: {v:.1f}% ({lo:.1f}–{hi:.1f}), n={n:.0f}" if pd.notna(v) else ""
                for p, v, lo, hi, n in zip(periods, t["prevalence_pct"], t["ci95_low"],
                                           t["ci95_high"], t["n"])]
        series.append(charts.Series(
            g, list(range(len(periods))), t["prevalence_pct"].tolist(),
            lo=t["ci95_low"].tolist() if bands else None,
            hi=t["ci95_high"].tolist() if bands else None, tips=tips, cls=k))
    return charts.line_chart(series, y_label="%", label=indicator, x_labels=periods)
GROUPS = {"all": (), "district": ("district",), "site": ("district", "site"),
          "site_kind": ("site_kind",)}


@router.get("/prevalence")
def prevalence(request: Request, by: str = "district", period: str = "half-year",
               indicator: str = "stunting", user: Principal = Depends(require("prevalence"))):
    from capra.growth.monitoring import INDICATORS, growth_prevalence, growth_records

    if by not in GROUPS:
        raise DataError(f"by={by!r}: expected one of {', '.join(GROUPS)}")
    if period not in PERIODS:
        raise DataError(f"period={period!r}: expected one of {', '.join(PERIODS)}")
    if indicator not in INDICATORS:
        raise DataError(f"indicator={indicator!r}: expected one of {', '.join(INDICATORS)}")
    db = settings(request).db

    def compute():
        rec = growth_records(db, period=period)
        if rec.empty:
            return None, {}
        table = growth_prevalence(rec, by=GROUPS[by], period=period)
        return table, {"measurements": len(rec), "children": rec["child"].nunique(),
                       "sites": rec["site"].nunique(), "first": rec["date"].min(),
                       "last": rec["date"].max()}

    table, about = cached(request, ("prevalence", by, period), compute, GROWTH)
    chart = None
    if table is not None and len(table):
        chart = _prevalence_chart(request, table, indicator, GROUPS[by])
        table = table.sort_values(list(GROUPS[by]) + ["period", "indicator"])
    return render(request, "prevalence.html", {
        "table": table, "about": about, "chart": chart, "by": by, "period": period,
        "indicator": indicator, "indicators": INDICATORS, "groups": list(GROUPS),
        "periods": PERIODS, "keys": list(GROUPS[by])})


# --------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------

#: Kinds each area lets a user export.
EXPORT_AREAS = {"animals": ("batches", "animals", "events", "test_days"),
                "children": ("sites", "children", "measurements")}
MANAGER_EXPORTS = ("farms", "sites", "batches", "animals", "events", "test_days",
                   "product_batches", "deliveries", "children", "measurements")


def export_kinds(user: Principal) -> tuple[str, ...]:
    """Kinds of record a user may export (farm and vet users: their animals only)."""
    if user.role in ("admin", "manager"):
        return MANAGER_EXPORTS
    kinds: list[str] = []
    for area, ks in EXPORT_AREAS.items():
        if can(user, area):
            kinds += [k for k in ks if not (user.scoped and k == "batches")]
    return tuple(kinds)


@router.get("/exports")
def exports(request: Request, user: Principal = Depends(require("exports"))):
    return render(request, "exports.html", {"kinds": export_kinds(user)})


@router.get("/exports/{kind}.{fmt}")
def export_file(request: Request, kind: str, fmt: str,
                user: Principal = Depends(require("exports"))):
    from capra.store.accounts import ForbiddenError
    from capra.store.io import export_frame
    from capra.store.scope import animals

    if kind not in export_kinds(user):
        raise ForbiddenError(f"the {user.role} role may not export {kind}")
    if fmt not in ("csv", "xlsx"):
        raise DataError(f"format {fmt!r}: expected csv or xlsx")
    db = settings(request).db
    df = export_frame(db, kind)
    if user.scoped:
        # the user's animals, from the scoped query
        mine, _ = animals(db, user, status="all", limit=10**9)
        col = "tag" if kind == "animals" else "animal"
        df = df[df[col].isin(set(mine["tag"]))]
    buf = io.BytesIO()
    if fmt == "csv":
        out = df.copy()
        for c in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[c]):
                out[c] = out[c].dt.strftime("%Y-%m-%d")
        buf.write(out.to_csv(index=False).encode("utf-8"))
        media = "text/csv; charset=utf-8"
    else:
        df.to_excel(buf, index=False, engine="openpyxl")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(buf.getvalue(), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})


# --------------------------------------------------------------------------------------
# Users and the API description
# --------------------------------------------------------------------------------------

@router.get("/users")
def users(request: Request, user: Principal = Depends(require("users"))):
    return render(request, "users.html", {"users": list_users(settings(request).db),
                                          "roles": ROLES, "areas": AREAS,
                                          "write_kinds": WRITE_KINDS})


@router.post("/users/{name}/disable")
def users_disable(request: Request, name: str, csrf_token: str = Form(""),
                  user: Principal = Depends(require("users"))):
    check_csrf(request, csrf_token)
    with_retries(disable_user, settings(request).db, name, by=user.name)
    return RedirectResponse("/users", status_code=303)


@router.get("/api")
def api_docs(request: Request, user: Principal = Depends(page_user)):
    spec = request.app.openapi()
    ops = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "parameters": op.get("parameters", []),
                        "body": "requestBody" in op,
                        "responses": {k: v.get("description", "")
                                      for k, v in op.get("responses", {}).items()}})
    return render(request, "api.html", {"ops": ops, "spec": spec})


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request):
    with settings(request).db.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}
