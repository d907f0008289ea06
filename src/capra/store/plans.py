"""Projections and plans made from the records, kept in the database.

:func:`queue_plan` records what is asked (scenario, date of the recorded herd, replicates,
seed, quantile) with the records it starts from (counts and the latest import), and
:func:`run_plan` does the work: the recorded herd on that date becomes a scenario
(:func:`capra.store.snapshot.scenario_from_records`), the herd is simulated, the milk is
planned (:func:`capra.planning.plan_from_herd`), and the plan
(:meth:`~capra.planning.Plan.to_dict`) is stored with the projected herd and milk per farm
and month, the seed and the version of Capra. Progress is written as it goes, so another
process (a page polling it) sees it. A plan that fails is stored with its message.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import traceback
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, func, insert, select, update

from capra.errors import CapraError, DataError
from capra.store.accounts import utc_naive
from capra.store.audit import log_change
from capra.store.db import transaction
from capra.store.schema import Import, StoredPlan

__all__ = ["DEFAULT_REPLICATES", "get_plan", "list_plans", "latest_plan",
           "mark_interrupted", "milk_against_projection", "projection", "queue_plan", "run_plan"]

#: Replicates of a plan started from the web: 20 futures give the P10 of the supply with a
#: usable spread and finish in seconds on a laptop (``capra run`` uses 100). [-]
DEFAULT_REPLICATES = 20
#: Progress is written at most this often. [s]
PROGRESS_INTERVAL_S = 0.5
#: Share of the progress bar given to the simulation; the planning steps share the rest. [-]
SIMULATION_SHARE = 0.6
#: The steps of :func:`capra.planning.plan_from_herd` (its ``progress`` callback) and what
#: a running plan says during each (the pages translate the messages).
PLAN_STEPS = {"futures": "planning: the children served in each simulated future",
              "enrolment": "planning: the children served, what binds",
              "dispatch": "planning: the daily dispatch",
              "programme years": "planning: the programme's years"}
PROGRESS_MESSAGES = ("simulating the herd", *PLAN_STEPS.values())


def _records_state(conn) -> dict:
    counts = {t: int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar_one())
              for t in ("farms", "animals", "events", "test_days", "sites", "children",
                        "measurements")}
    last = conn.execute(select(func.max(Import.id))).scalar()
    return {"counts": counts, "last_import_id": last}


def queue_plan(db: Engine, *, user: str, scenario: str = "nampo",
               date: dt.date | str | None = None, replicates: int = DEFAULT_REPLICATES,
               seed: int = 0, quantile: float | None = None,
               horizon_days: int | None = None) -> int:
    """Record a plan to make; returns its id (status ``queued``). Checks the inputs."""
    from capra import __version__
    from capra.scenario import load_scenario
    from capra.store.snapshot import last_record_date

    if not 1 <= int(replicates) <= 1000:
        raise DataError(f"replicates {replicates}: expected 1 to 1000")
    if quantile is not None and not 0.0 <= float(quantile) < 1.0:
        raise DataError(f"quantile {quantile}: expected a share in [0, 1)")
    if horizon_days is not None and not 30 <= int(horizon_days) <= 3650:
        raise DataError(f"horizon_days {horizon_days}: expected 30 to 3650 days")
    load_scenario(scenario)  # an unknown scenario is an error now, not in the background
    if date in (None, ""):
        day = last_record_date(db)
        if day is None:
            raise DataError("the records database is empty: import records first")
    else:
        try:
            day = pd.Timestamp(date).date()
        except (ValueError, TypeError):
            raise DataError(f"date {date!r}: not a date; expected YYYY-MM-DD") from None
    inputs = {"scenario": scenario, "date": day.isoformat(), "replicates": int(replicates),
              "quantile": quantile, "horizon_days": horizon_days}
    with transaction(db) as conn:
        inputs["records"] = _records_state(conn)
        pid = conn.execute(insert(StoredPlan).values(
            created_at=utc_naive(), user_name=user, status="queued", progress=0.0,
            seed=int(seed), capra_version=__version__, inputs=json.dumps(inputs))
            .returning(StoredPlan.id)).scalar_one()
        log_change(conn, "plans", {"id": int(pid)}, "insert", new=inputs, user=user,
                   record_id=pid)
    return int(pid)


def _set(db: Engine, plan_id: int, **values) -> None:
    with transaction(db) as conn:
        conn.execute(update(StoredPlan).where(StoredPlan.id == plan_id).values(**values))


def projection(result, scenario) -> dict:
    """Projected herd and milk per farm and month: ``{"months": [...], "farms": {farm:
    {"milk_kg_per_day": {"p10", "p50", "p90"}, "head": {...}}}}``; milk is the mean daily
    gross milk of the month [kg/day] (what test days measure), head the mean head count
    [head], each quantile across the replicates."""
    ds = result.data
    farms = [f for f in ds["farm"].values.tolist() if f in set(scenario.farm_names)]
    out: dict = {"farms": {}}
    months = None
    for name, var in (("milk_kg_per_day", "milk_gross_kg"), ("head", "head")):
        da = ds[var].sel(farm=farms).resample(date="MS").mean()
        q = da.quantile([0.1, 0.5, 0.9], dim="replicate")
        months = [pd.Timestamp(t).date().isoformat() for t in da["date"].values]
        for f in farms:
            sub = q.sel(farm=f)
            out["farms"].setdefault(f, {})[name] = {
                p: [round(float(v), 3) for v in sub.sel(quantile=qq).values]
                for p, qq in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9))}
    out["months"] = months or []
    return out


def run_plan(db: Engine, plan_id: int,
             progress: Callable[[float], None] | None = None) -> dict | None:
    """Make a queued plan and store it; returns the plan's dict (``None`` if it failed:
    the message is stored)."""
    from capra.herd.simulate import simulate
    from capra.planning import plan_from_herd
    from capra.scenario import load_scenario
    from capra.store.snapshot import scenario_from_records

    row = get_plan(db, plan_id)
    if row is None:
        raise DataError(f"no plan {plan_id}")
    inputs = row["inputs"]
    _set(db, plan_id, status="running", progress=0.0, message=PROGRESS_MESSAGES[0])
    last = [0.0]

    def report(share: float, message: str | None = None) -> None:
        now = time.monotonic()
        if progress:
            progress(share)
        if message is not None or now - last[0] >= PROGRESS_INTERVAL_S:
            last[0] = now
            values = {"progress": round(share, 4)}
            if message is not None:
                values["message"] = message
            _set(db, plan_id, **values)

    try:
        base = load_scenario(inputs["scenario"])
        sc = scenario_from_records(db, inputs["date"], base, inputs.get("horizon_days"))
        reps = int(inputs["replicates"])
        total = reps * sc.horizon_days
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            report(SIMULATION_SHARE * done[0] / total)

        result = simulate(sc, replicates=reps, seed=int(row["seed"]), progress=step)
        steps = list(PLAN_STEPS)
        width = (1 - SIMULATION_SHARE) / len(steps)

        def planning(name: str, done: int, total: int) -> None:
            k = steps.index(name) if name in steps else len(steps) - 1
            share = SIMULATION_SHARE + width * (k + min(done / max(total, 1), 1.0))
            report(min(share, 0.99), PLAN_STEPS.get(name) if done == 0 else None)

        plan = plan_from_herd(sc, result, quantile=inputs.get("quantile"), progress=planning)
        data = plan.to_dict()
        data["headline"] = plan.headline()
        proj = projection(result, sc)
        _set(db, plan_id, status="done", progress=1.0, finished_at=utc_naive(),
             message=plan.headline(), result=json.dumps(data), projection=json.dumps(proj))
        return data
    except CapraError as exc:
        _set(db, plan_id, status="failed", finished_at=utc_naive(), message=str(exc))
    except Exception as exc:  # noqa: BLE001 - a background job must record any failure
        _set(db, plan_id, status="failed", finished_at=utc_naive(),
             message=f"{type(exc).__name__}: {exc}\n" + traceback.format_exc(limit=3))
    return None


def mark_interrupted(db: Engine) -> int:
    """Mark the plans left queued or running by a server that stopped as failed (a
    server starting calls this once, before it runs any plan); returns how many."""
    with transaction(db) as conn:
        res = conn.execute(update(StoredPlan).where(
            StoredPlan.status.in_(("queued", "running"))).values(
            status="failed", finished_at=utc_naive(),
            message="interrupted: the server stopped before the plan finished; start it again"))
        return int(res.rowcount or 0)


def _row(r) -> dict:
    d = dict(r._mapping)
    for k in ("inputs", "result", "projection"):
        d[k] = json.loads(d[k]) if d.get(k) else None
    return d


def get_plan(db: Engine, plan_id: int) -> dict | None:
    """One stored plan: its columns, with ``inputs``, ``result`` and ``projection``
    decoded (``None`` if there is no such plan)."""
    with db.connect() as conn:
        r = conn.execute(select(StoredPlan.__table__).where(StoredPlan.id == int(plan_id))).first()
    return _row(r) if r else None


def list_plans(db: Engine, limit: int = 100) -> list[dict]:
    """Stored plans, newest first, without their results and projections but with
    ``children`` (the children served every operating day of a finished plan)."""
    t = StoredPlan.__table__
    cols = [c for c in t.c if c.name != "projection"]
    with db.connect() as conn:
        rows = conn.execute(select(*cols).order_by(t.c.id.desc()).limit(limit)).all()
    out = []
    for r in rows:
        d = _row(r)
        result = d.pop("result") or {}
        d["children"] = result.get("children_served_every_day")
        out.append(d)
    return out


def latest_plan(db: Engine) -> dict | None:
    """The newest plan that finished, or ``None``."""
    with db.connect() as conn:
        pid = conn.execute(select(func.max(StoredPlan.id)).where(
            StoredPlan.status == "done")).scalar()
    return get_plan(db, pid) if pid else None


def milk_against_projection(recorded: pd.DataFrame, projection: dict | None) -> pd.DataFrame:
    """Recorded milk per farm and month beside a stored plan's projection.

    Parameters
    ----------
    recorded
        :func:`capra.store.scope.recorded_milk`: ``farm, month, milk_kg_per_day``
        [kg/day], ``does``.
    projection
        A stored plan's ``projection`` (:func:`projection`), or ``None``.

    Returns
    -------
    One row per farm and month of the records: ``farm, month, recorded`` [kg/day],
    ``p10, p50, p90`` [kg/day] (NaN for months the projection does not cover) and
    ``flag``: ``"below"`` when the recorded milk is under the projection's P10, ``"above"``
    over its P90, else empty. Under P10 means fewer than one in ten simulated futures
    gave so little milk: the farm is off its projection.
    """
    out = recorded.rename(columns={"milk_kg_per_day": "recorded"}).copy()
    out["month"] = pd.to_datetime(out["month"])
    for p in ("p10", "p50", "p90"):
        out[p] = float("nan")
    if projection and projection.get("months"):
        months = pd.to_datetime(pd.Series(projection["months"]))
        rows = []
        for farm, v in projection.get("farms", {}).items():
            milk = v.get("milk_kg_per_day", {})
            rows.append(pd.DataFrame({"farm": farm, "month": months,
                                      **{p: milk.get(p, [float("nan")] * len(months))
                                         for p in ("p10", "p50", "p90")}}))
        if rows:
            proj = pd.concat(rows, ignore_index=True)
            out = out.drop(columns=["p10", "p50", "p90"]).merge(
                proj, on=["farm", "month"], how="left")
    out["flag"] = ""
    out.loc[out["recorded"] < out["p10"], "flag"] = "below"
    out.loc[out["recorded"] > out["p90"], "flag"] = "above"
    return out.sort_values(["farm", "month"], kind="stable").reset_index(drop=True)
