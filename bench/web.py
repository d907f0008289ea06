"""Benchmark: the web application under 50 concurrent clients, on SQLite and PostgreSQL.

Run ``python bench/web.py [--clients 50] [--seconds 60] [--quick] [--json]``.

The server is ``capra serve --workers 2`` (uvicorn, one process per core, access log off) on a
database holding the ``nampo`` example records (two years: about 2,100 animals, 5,200
events, 5,200 test days, 720 children, 2,600 measurements) and one finished plan. Every
client signs in (half as the manager, half as the farm user of one of the five farms) and
then, until the time is up, picks at random: the dashboard (20 %), the animal list of a
farm (25 %), one animal's page (25 %), the prevalence page (10 %, managers) or posting a
treatment event through the web form (20 %, each with a note unique to the client and the
attempt, on an animal the client's user keeps, on a date of its own).

Reported per database: requests per second; p50 and p95 latency of the pages and of the
writes [ms]; errors; and the count check of the writes: every form post that was
acknowledged (303) must be in the database exactly once (lost = acknowledged and absent,
duplicated = present more than once) and nothing unacknowledged may be there. The goal of
the issue: 0 lost writes, p95 < 200 ms for pages on a 2-core machine. The clients run in
this process (asyncio, ``httpx2``) on the same two cores as the server, so the figures
include their share of the CPU.

SQLite always; PostgreSQL too when ``CAPRA_TEST_POSTGRES_URL`` is set (a fresh schema is
created and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import numpy as np

PG_ENV = "CAPRA_TEST_POSTGRES_URL"
#: Goal of the issue for pages on a 2-core machine. [ms]
GOAL_P95_MS = 200
#: Share of each action in a client's loop.
MIX = (("dashboard", 0.20), ("animals", 0.25), ("animal", 0.25), ("prevalence", 0.10),
       ("write", 0.20))
PASSWORD = "bench-password-1"
#: Most clients (each write's date is unique to its client and attempt). [-]
MAX_CLIENTS = 200
#: uvicorn's default keep-alive timeout. [s]
UVICORN_KEEPALIVE_S = 5
FARMS = ("Kangso", "Chollima", "Onchon", "Ryonggang", "Taean")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, folder: Path) -> dict[str, list[str]]:
    """The example records, users and one finished plan; returns the live animals of
    each farm (the animals a client may write on)."""
    from capra.store.accounts import create_user
    from capra.store.db import open_db
    from capra.examples.records import import_records, write_example_records
    from capra.store.plans import queue_plan, run_plan
    from capra.store.scope import animals
    from capra.store.accounts import Principal

    db = open_db(url)
    write_example_records(folder, seed=20240820)
    import_records(db, folder)
    create_user(db, "manager", "manager", PASSWORD)
    for farm in FARMS:
        create_user(db, f"farm-{farm}", "farm", PASSWORD, farms=[farm])
    pid = queue_plan(db, user="manager", date="2025-07-31", replicates=4, horizon_days=730)
    run_plan(db, pid)
    everyone = Principal(0, "bench", "manager")
    rows, _ = animals(db, everyone, status="alive", limit=10**6)
    pools = {f: rows.loc[rows["farm"] == f, "tag"].tolist() for f in FARMS}
    db.dispose()
    return pools


class Server:
    """``capra serve`` in a subprocess."""

    def __init__(self, url: str, workers: int):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "capra.cli", "serve", "--db", url, "--port", str(self.port),
             "--no-access-log", "--workers", str(workers)], stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)

    def __enter__(self):
        import httpx2 as httpx

        for _ in range(300):
            try:
                if httpx.get(self.url + "/login", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("capra serve stopped: " + self.proc.stderr.read().decode())
            time.sleep(0.1)
        raise RuntimeError("capra serve did not start")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


async def _act(c, what: str, k: int, i: int, run_id: str, pool: list, farm: str, token: str,
               rng: random.Random):
    """One request of a client: a page, or the ``i``-th write of client ``k``."""
    if what == "write":
        day = np.datetime64("2026-08-01") + (i * MAX_CLIENTS + k)  # a date of its own
        return await c.post("/records/events/new?type=treatment", data={
            "animal": pool[(k + i) % len(pool)], "date": str(day), "product": "bench",
            "withdrawal_days": "0", "note": f"bench-{run_id}-{k}-{i}", "csrf_token": token})
    if what == "dashboard":
        return await c.get("/")
    if what == "animals":
        return await c.get(f"/animals?farm={quote(farm)}")
    if what == "animal":
        return await c.get(f"/animals/{quote(rng.choice(pool))}")
    return await c.get("/prevalence")


async def client(k: int, base: str, pools: dict, run_id: str, until: list, log: list,
                 acked: list, seed: int, think_s: float, start: asyncio.Event,
                 ready: list) -> None:
    import httpx2 as httpx

    rng = random.Random(seed * 1000 + k)
    farm = FARMS[k % len(FARMS)]
    user = "manager" if k % 2 == 0 else f"farm-{farm}"
    pool = pools[farm]
    # idle connections are dropped before uvicorn's keep-alive timeout (5 s) closes them
    limits = httpx.Limits(keepalive_expiry=UVICORN_KEEPALIVE_S - 1)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:
        page = await c.get("/login")
        await c.post("/login", data={"name": user, "password": PASSWORD,
                                     "csrf_token": _csrf(page.text), "next": "/"})
        token = _csrf((await c.get("/records/events/new?type=treatment")).text)
        # each page once before the clock starts (imports and caches of the workers)
        for path in ("/", f"/animals?farm={quote(farm)}", f"/animals/{quote(pool[0])}",
                     "/prevalence"):
            await c.get(path)
        ready.append(k)
        await start.wait()
        names = [n for n, _ in MIX]
        weights = [w for _, w in MIX]
        i = 0
        while time.perf_counter() < until[0]:
            if think_s > 0:  # a person reads the page before the next click
                await asyncio.sleep(min(rng.expovariate(1 / think_s),
                                        max(until[0] - time.perf_counter(), 0)))
                if time.perf_counter() >= until[0]:
                    break
            what = rng.choices(names, weights)[0]
            if what == "prevalence" and user != "manager":
                what = "dashboard"
            i += what == "write"
            t0 = time.perf_counter()
            try:
                r = await _act(c, what, k, i, run_id, pool, farm, token, rng)
            except httpx.TransportError:  # no answer: an error, never an acknowledged write
                log.append((what, (time.perf_counter() - t0) * 1000, False, 0))
                continue
            if what == "write" and r.status_code == 303:
                acked.append(f"bench-{run_id}-{k}-{i}")
            ok = r.status_code in ((303,) if what == "write" else (200,))
            log.append((what, (time.perf_counter() - t0) * 1000, ok, r.status_code))


def run(url: str, label: str, n_clients: int, seconds: float, folder: Path, *,
        workers: int, think_s: float) -> dict:
    from sqlalchemy import create_engine, text

    t0 = time.perf_counter()
    pools = prepare(url, folder)
    setup = time.perf_counter() - t0
    run_id = uuid.uuid4().hex[:8]
    log: list = []
    acked: list = []
    with Server(url, workers) as srv:
        until = [0.0]
        began = [0.0]

        async def main():
            start, ready = asyncio.Event(), []
            tasks = [asyncio.create_task(client(k, srv.url, pools, run_id, until, log, acked,
                                                1, think_s, start, ready))
                     for k in range(n_clients)]
            while len(ready) < n_clients:  # every client signed in and warmed up
                if any(t.done() for t in tasks):
                    await asyncio.gather(*tasks)  # a client failed: raise its error
                await asyncio.sleep(0.05)
            began[0] = time.perf_counter()
            until[0] = began[0] + seconds
            start.set()
            await asyncio.gather(*tasks)
        asyncio.run(main())
        wall = time.perf_counter() - began[0]
    db = create_engine(url)
    with db.connect() as conn:
        notes = [r[0] for r in conn.execute(text(
            "SELECT note FROM events WHERE note LIKE :p"), {"p": f"bench-{run_id}-%"})]
    db.dispose()
    saved = set(notes)
    lat = np.array([row[1] for row in log])
    kinds = np.array([row[0] for row in log])
    ok = np.array([row[2] for row in log])
    page = kinds != "write"

    def q(mask, p):
        return float(np.percentile(lat[mask], p)) if mask.any() else float("nan")

    per_page = {name: {"n": int((kinds == name).sum()), "p50_ms": q(kinds == name, 50),
                       "p95_ms": q(kinds == name, 95)}
                for name, _ in MIX}
    return {
        "database": label, "clients": n_clients, "seconds": wall, "setup_s": setup,
        "workers": workers, "think_s": think_s,
        "requests": len(log), "requests_per_s": len(log) / wall,
        "pages_p50_ms": q(page, 50), "pages_p95_ms": q(page, 95),
        "writes_p50_ms": q(~page, 50), "writes_p95_ms": q(~page, 95),
        "errors": int((~ok).sum()),
        "error_statuses": sorted({int(r[3]) for r in log if not r[2]}),
        "writes_acknowledged": len(acked), "writes_saved": len(saved),
        "lost": len(set(acked) - saved), "duplicated": len(notes) - len(saved),
        "saved_unacknowledged": len(saved - set(acked)), "per_page": per_page,
    }


def _pg_schema_url(base: str):
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}", drop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2,
                    help="server processes (capra serve --workers; one per core)")
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean pause of a client between its requests [s] (exponential); "
                         "0: back to back, the server's saturation")
    ap.add_argument("--quick", action="store_true", help="10 clients for 10 seconds")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.seconds = 10, 10.0
    if not 1 <= args.clients <= MAX_CLIENTS:
        ap.error(f"--clients: 1 to {MAX_CLIENTS}")
    results = []
    with tempfile.TemporaryDirectory(prefix="capra-bench-web-") as tmp:
        tmp = Path(tmp)
        kw = {"workers": args.workers, "think_s": args.think}
        results.append(run(f"sqlite:///{tmp / 'capra.db'}", "SQLite", args.clients,
                           args.seconds, tmp / "records-sqlite", **kw))
        base = os.environ.get(PG_ENV)
        if base:
            url, drop = _pg_schema_url(base)
            try:
                results.append(run(url, "PostgreSQL", args.clients, args.seconds,
                                   tmp / "records-pg", **kw))
            finally:
                drop()
        else:
            print(f"PostgreSQL skipped: {PG_ENV} is not set", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.clients} clients for {args.seconds:g} s, {args.think:g} s mean pause between "
          f"a client's requests, against capra serve --workers {args.workers}")
    head = f"{'':28}" + "".join(f"{r['database']:>14}" for r in results)
    print(head)
    rows = [("requests per second", "requests_per_s", "{:,.0f}"),
            ("pages p50 [ms]", "pages_p50_ms", "{:,.0f}"),
            ("pages p95 [ms]", "pages_p95_ms", "{:,.0f}"),
            ("writes p50 [ms]", "writes_p50_ms", "{:,.0f}"),
            ("writes p95 [ms]", "writes_p95_ms", "{:,.0f}"),
            ("errors", "errors", "{}"),
            ("writes acknowledged", "writes_acknowledged", "{:,}"),
            ("writes in the database", "writes_saved", "{:,}"),
            ("lost", "lost", "{}"), ("duplicated", "duplicated", "{}"),
            ("saved, not acknowledged", "saved_unacknowledged", "{}")]
    for label, key, fmt in rows:
        print(f"{label:28}" + "".join(f"{fmt.format(r[key]):>14}" for r in results))
    print(f"{'error statuses (0: no answer)':28}" + "".join(
        f"{','.join(map(str, r['error_statuses'])) or '-':>14}" for r in results))
    print("per page p95 [ms]:")
    for name, _ in MIX:
        print(f"  {name:26}" + "".join(f"{r['per_page'][name]['p95_ms']:>14,.0f}"
                                        for r in results))
    for r in results:
        verdict = "met" if r["pages_p95_ms"] < GOAL_P95_MS and r["lost"] == 0 \
            and r["duplicated"] == 0 else "NOT met"
        print(f"{r['database']}: goal (0 lost writes, pages p95 < {GOAL_P95_MS} ms) {verdict}; "
              f"pages p95 / goal = {r['pages_p95_ms'] / GOAL_P95_MS:.2f}")


if __name__ == "__main__":
    main()
