"""Fixtures of the web tests: a records database with a user of every role and one small
finished plan; the application on it; test clients signed in as each role; a live server
for the browser tests."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import pytest

from web_data import ROLES, add_users, load_records, login

@pytest.fixture(scope="module", autouse=True)
def fast_password_hashes():
    """Cheap Argon2 parameters for the web tests (the hash's cost is not what they test;
    ``test_accounts`` checks the parameters of the real one)."""
    from argon2 import PasswordHasher

    from capra.store import accounts

    real = accounts._HASHER
    accounts._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts._DUMMY.clear()
    yield
    accounts._HASHER = real
    accounts._DUMMY.clear()


#: The sites of the bundled scenario like the test programme's (``web_data``): the
#: kindergartens of Kangso and the schools of Chollima. [-]
SITES = ("Kangso kindergartens", "Chollima schools")


@pytest.fixture(scope="session")
def programme_scenario(tmp_path_factory) -> str:
    """The file of the bundled scenario with only the sites :data:`SITES` (2 of its 12):
    the scenario of the plans made in the web tests, a sixth of the size of the bundled
    one's, with every part of a plan (programme years, what binds) still there."""
    import tomllib

    from capra.scenario import bundled_scenario_path, save_scenario, scenario_from_dict

    data = tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))
    data["sites"] = [s for s in data["sites"] if s["name"] in SITES]
    names = {s["name"] for s in data["sites"]}
    data["transport"]["routes"] = [r for r in data["transport"]["routes"]
                                   if r["destination"] in names]
    path = tmp_path_factory.mktemp("scenario") / "nampo-test-sites.toml"
    return str(save_scenario(scenario_from_dict(data), path))


def _programme(db) -> None:
    """The test programme's records and a user of every role."""
    load_records(db)
    add_users(db)


def _build(url: str, *, plan: bool, scenario: str = "nampo"):
    from capra.store.db import open_db
    from capra.store.plans import queue_plan, run_plan

    db = open_db(url)
    _programme(db)
    if plan:
        pid = queue_plan(db, user="manager1", scenario=scenario, date="2025-09-30",
                         replicates=2, seed=1, horizon_days=365)
        assert run_plan(db, pid) is not None
    return db


@pytest.fixture(scope="session")
def web_db(tmp_path_factory, programme_scenario):
    """A SQLite records database with the test programme, users and one finished plan
    (of :func:`programme_scenario`). Tests that write must use keys of their own."""
    db = _build(f"sqlite:///{tmp_path_factory.mktemp('web') / 'capra.db'}", plan=True,
                scenario=programme_scenario)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def web_app(web_db):
    from capra.web.app import create_app

    return create_app(web_db, run_plans=False, max_upload_mb=1)


@pytest.fixture(scope="session")
def clients(web_app):
    """A signed-in test client per role (and ``None``: not signed in)."""
    from fastapi.testclient import TestClient

    out = {}
    for role in ROLES:
        c = TestClient(web_app)
        login(c, role)
        out[role] = c
    out[None] = TestClient(web_app)
    yield out
    for c in out.values():
        c.close()


@pytest.fixture(scope="session")
def tokens(web_db):
    """An API token per role."""
    from capra.store.accounts import new_token
    from web_data import USERS

    return {role: new_token(web_db, USERS[role]) for role in ROLES}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file with the test programme and users, built once and copied by tests."""
    path = tmp_path_factory.mktemp("template") / "capra.db"
    _build(f"sqlite:///{path}", plan=False).dispose()
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_db(request, tmp_path, sqlite_template):
    """A fresh database with the test programme and users (no plan): a copy of a template
    built once per test process (a SQLite file, or a PostgreSQL database of its own,
    ``pg_databases``)."""
    from capra.store.db import open_db

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'capra.db'}"
        shutil.copyfile(sqlite_template, url.removeprefix("sqlite:///"))
        db = open_db(url)
        yield db
        db.dispose()
        return
    pg = request.getfixturevalue("pg_databases")
    name = pg.new_name()
    pg.create(name, template=pg.template("web programme", _programme))
    db = open_db(pg.url(name))
    try:
        yield db
    finally:
        db.dispose()
        pg.drop(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The application served by uvicorn in a thread, on a free local port."""

    def __init__(self, app):
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return self
            time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server_for():
    """``live_server_for(app)``: a context manager serving ``app`` on a free port."""
    return LiveServer


@pytest.fixture(scope="session")
def build_records():
    """``build_records(url, plan=False)``: a database with the test programme and users."""
    return _build
