"""Journeys in a real browser: Debian's chromium driven by Playwright (never a downloaded
browser). Screenshots of the main pages, on a desktop and a phone screen, are written to
``$CAPRA_SCREENSHOTS`` (default ``build/screenshots``) for a person to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from web_data import PASSWORDS, USERS

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SHOTS = Path(os.environ.get("CAPRA_SCREENSHOTS",
                            Path(__file__).resolve().parents[2] / "build" / "screenshots"))

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory, build_records, live_server_for, programme_scenario):
    """A live server on a fresh SQLite database with the test programme and users; its
    plans are of :func:`programme_scenario`."""
    from capra.web.app import create_app

    db = build_records(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'capra.db'}",
                       plan=False)
    with live_server_for(create_app(db, run_plans=True, scenario=programme_scenario)) as srv:
        srv.db = db
        yield srv
    db.dispose()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page_as(browser, server):
    """``page_as(role, viewport=DESKTOP, locale="en")``: a new page signed in as a role."""
    contexts = []

    def make(role, viewport=DESKTOP, locale="en-GB"):
        ctx = browser.new_context(viewport=viewport, locale=locale)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        # script errors and refusals by the Content-Security-Policy (not the 4xx answers
        # that some steps expect)
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error"
                and not m.text.startswith("Failed to load resource") else None)
        # a request the browser cancels because the page moved on (a favicon still
        # loading when a form is sent) is not a failure of the site
        page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "")
                else page.errors.append(f"failed: {r.url} ({r.failure})"))
        page.goto(server.url + "/login")
        page.fill("input[name=name]", USERS[role])
        page.fill("input[name=password]", PASSWORDS[role])
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(server.url + "/")
        return page

    yield make
    for ctx in contexts:
        ctx.close()


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def count(server, sql: str) -> int:
    with server.db.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_farm_user_records_a_kidding(page_as, server):
    page = page_as("farm")
    page.click("nav a[href='/animals']")
    page.fill("input[name=q]", "D2")
    page.click("form.filters button[type=submit]")
    page.click("table a:text-is('D2')")
    assert page.url.endswith("/animals/D2")
    page.click("a.button:text-is('parturition')")
    page.fill("#f-date", "2025-03-01")
    page.fill("#f-litter_size", "9")          # the bad field
    page.fill("#f-live_kids", "2")
    page.click("form.record-form button[type=submit]")
    err = page.locator(".field.has-error")
    assert err.count() == 1 and "litter_size" in err.locator("label").inner_text()
    assert "out of range" in page.locator("#e-litter_size").inner_text()
    assert page.locator("#f-live_kids").input_value() == "2"   # the other values are kept
    shot(page, "form-with-error-desktop")
    assert count(server, "SELECT COUNT(*) FROM events WHERE type = 'parturition' "
                         "AND date = '2025-03-01'") == 0
    page.fill("#f-litter_size", "2")
    page.click("form.record-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/animals/D2\?saved=parturition$"))
    assert page.locator("[role=status]").is_visible()
    row = page.locator("table tr", has_text="parturition")
    assert "2025" in row.inner_text() and "2" in row.inner_text()
    shot(page, "animal-desktop")
    assert count(server, "SELECT COUNT(*) FROM events WHERE type = 'parturition' "
                         "AND date = '2025-03-01'") == 1
    assert not page.errors


def test_manager_starts_a_plan_and_sees_the_dashboard_change(page_as, server):
    page = page_as("manager")
    headline = page.locator("#plan-headline").inner_text()
    assert "No plan" in headline
    page.click("nav a[href='/plans']")
    page.fill("input[name=date]", "2025-09-30")
    page.fill("input[name=replicates]", "2")
    page.fill("input[name=horizon_days]", "90")          # a small plan: the flow is tested
    page.click("#start-plan")
    page.wait_for_url(re.compile(r".*/plans/\d+$"))
    plan_id = page.url.rsplit("/", 1)[1]
    # the page reloads by itself while the plan runs (progress shown), until it is done
    page.locator("#plan-status", has_text="done").wait_for(timeout=120_000)
    assert "children served every operating day" in page.locator("main").inner_text()
    shot(page, "plan-desktop")
    page.click("nav a[href='/']")
    headline = page.locator("#plan-headline").inner_text()
    assert "No plan" not in headline and f"#{plan_id}" in headline
    assert "children served every operating day" in headline
    shot(page, "dashboard-desktop")
    assert not page.errors


MEASUREMENTS = ("child,date,weight_kg,height_cm,measured\n"
                "C1,2025-10-01,13.5,93.0,h\n"
                "C2,2025-10-01,abc,102.0,h\n"      # row 2: not a number
                "C3,2025-10-02,18.9,112.0,h\n"
                "C4,2025-13-02,22.4,125.0,h\n")    # row 4: not a date


def test_nutrition_officer_uploads_measurements(page_as, server, tmp_path):
    page = page_as("nutrition")
    before = count(server, "SELECT COUNT(*) FROM measurements")
    bad = tmp_path / "measurements.csv"
    bad.write_text(MEASUREMENTS)
    page.click("nav a[href='/import']")
    page.select_option("select[name=kind]", "measurements")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[action='/import'] button[type=submit]")
    rows = page.locator("table.rejects tbody tr")
    assert rows.count() == 2
    assert rows.nth(0).locator("td").nth(0).inner_text() == "2"
    assert "weight_kg" in rows.nth(0).inner_text() and "abc" in rows.nth(0).inner_text()
    assert rows.nth(1).locator("td").nth(0).inner_text() == "4"
    assert "nothing was saved" in page.locator("[role=alert]").inner_text()
    shot(page, "upload-rejected-desktop")
    assert count(server, "SELECT COUNT(*) FROM measurements") == before
    good = tmp_path / "measurements-fixed.csv"
    good.write_text(MEASUREMENTS.replace("abc", "16.0").replace("2025-13-02", "2025-10-02"))
    page.select_option("select[name=kind]", "measurements")
    page.set_input_files("input[name=file]", str(good))
    page.click("form[action='/import'] button[type=submit]")
    assert "4 saved" in page.locator("[role=status]").inner_text()
    assert count(server, "SELECT COUNT(*) FROM measurements") == before + 4
    page.click("nav a[href='/prevalence']")
    table = page.locator("table.prevalence")
    assert "2025-H2" in table.inner_text()
    shot(page, "prevalence-desktop")
    assert not page.errors


def test_viewer_cannot_reach_any_form(page_as, server):
    page = page_as("viewer")
    nav = page.locator("nav.nav").inner_text()
    assert "Record" not in nav and "Animals" not in nav
    assert page.locator("form[method=post]").count() == 1   # signing out only
    for path in ("/import", "/records/events/new?type=parturition", "/records/measurements/new",
                 "/records/farms/new", "/users", "/animals/D1"):
        resp = page.goto(server.url + path)
        assert resp.status == 403, path
        assert page.locator("form[method=post]").count() == 1
    page.goto(server.url + "/plans")
    assert page.locator("#start-plan").count() == 0


def test_screenshots_of_the_main_pages(page_as, server):
    """Desktop and phone screenshots, English and Korean; every page free of script
    errors (the Content-Security-Policy would report blocked inline code)."""
    pages = {"dashboard": "/", "animal": "/animals/D1", "animals": "/animals",
             "child": "/children/C2", "prevalence": "/prevalence", "plans": "/plans",
             "form-with-error": None}
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        for lang in ("en", "ko"):
            page = page_as("manager", viewport=viewport, locale=lang)
            for name, path in pages.items():
                if path is None:
                    page.goto(server.url + "/records/test_days/new?animal=D1")
                    page.fill("#f-milk_kg", "25")
                    page.click("form.record-form button[type=submit]")
                    assert page.locator(".has-error").count() == 1
                else:
                    assert page.goto(server.url + path).status == 200
                suffix = "" if lang == "en" else "-ko"
                shot(page, f"{name}-{label}{suffix}")
                if label == "phone":
                    # nothing wider than the screen but the tables' own scrolling boxes
                    wide = page.evaluate(
                        "document.documentElement.scrollWidth > window.innerWidth + 1")
                    assert not wide, f"{name} is wider than a phone screen"
            assert not page.errors, page.errors


def test_figures_show_values_on_hover(page_as, server):
    page = page_as("manager")
    page.goto(server.url + "/animals/D1")
    point = page.locator("svg.chart circle[data-tip]").first
    point.hover()
    tip = page.locator("#tip")
    tip.wait_for(state="visible")
    assert "kg" in tip.inner_text()
