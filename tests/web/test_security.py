"""Sessions, CSRF, login limits, tokens, the audit log, upload limits, headers, error
pages, escaping and SQL metacharacters."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from capra.store.accounts import new_token, revoke_tokens, utc_naive
from capra.store.history import read_audit
from web_data import PASSWORDS, USERS, csrf_of, login


@pytest.fixture
def app(fresh_db):
    from capra.web.app import create_app

    return create_app(fresh_db, run_plans=False, max_upload_mb=0.05)


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


def _count(db, sql, **params) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


# --------------------------------------------------------------------------------------
# Sessions and CSRF
# --------------------------------------------------------------------------------------

def test_session_cookie_is_signed_httponly_and_samesite(client):
    r = login(client, "farm")
    cookie = r.headers["set-cookie"]
    assert "capra_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    value = client.cookies.get("capra_session")
    client.cookies.clear()
    client.cookies.set("capra_session", value[:-3] + "abc")  # forged signature
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_without_the_session_csrf_token_are_refused(client, fresh_db):
    login(client, "farm")
    before = _count(fresh_db, "SELECT COUNT(*) FROM events")
    form = {"animal": "D1", "date": "2025-06-01", "product": "x", "withdrawal_days": "1"}
    for token in (None, "", "forged-token"):
        data = dict(form, **({"csrf_token": token} if token is not None else {}))
        r = client.post("/records/events/new?type=treatment", data=data, follow_redirects=False)
        assert r.status_code == 403
    assert _count(fresh_db, "SELECT COUNT(*) FROM events") == before
    # the same form with the token is saved
    token = csrf_of(client.get("/records/events/new?type=treatment").text)
    r = client.post("/records/events/new?type=treatment", data={**form, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _count(fresh_db, "SELECT COUNT(*) FROM events") == before + 1


def test_login_form_needs_its_csrf_token(client):
    client.get("/login")
    r = client.post("/login", data={"name": USERS["farm"], "password": PASSWORDS["farm"],
                                    "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "capra_session" not in r.headers.get("set-cookie", "")


def test_sessions_expire_when_idle_and_at_their_end(client, fresh_db):
    login(client, "manager")
    assert client.get("/", follow_redirects=False).status_code == 200
    with fresh_db.begin() as conn:
        conn.execute(text("UPDATE web_sessions SET last_seen_at = :t"),
                     {"t": utc_naive() - dt.timedelta(minutes=31)})
    r = client.get("/animals", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fanimals"
    login(client, "manager")
    with fresh_db.begin() as conn:
        conn.execute(text("UPDATE web_sessions SET expires_at = :t"),
                     {"t": utc_naive() - dt.timedelta(seconds=1)})
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(client, fresh_db):
    login(client, "viewer")
    stolen = client.cookies.get("capra_session")
    r = client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)},
                    follow_redirects=False)
    assert r.status_code == 303
    client.cookies.clear()
    client.cookies.set("capra_session", stolen)
    assert client.get("/", follow_redirects=False).status_code == 303
    assert _count(fresh_db, "SELECT COUNT(*) FROM web_sessions") == 0


def test_login_redirects_only_within_the_site(client):
    page = client.get("/login")
    for target, where in (("/animals", "/animals"), ("https://evil.example/", "/"),
                          ("//evil.example", "/"), ("/\\evil", "/")):
        client.cookies.clear()
        page = client.get("/login")
        r = client.post("/login", data={"name": USERS["farm"], "password": PASSWORDS["farm"],
                                        "csrf_token": csrf_of(page.text), "next": target},
                        follow_redirects=False)
        assert r.headers["location"] == where


def test_login_attempts_are_limited(client, fresh_db):
    for _ in range(5):
        login(client, "nutrition", password="wrong password", expect=401)
    # the right password is refused too while the limit holds, and says when to retry
    r = login(client, "nutrition", expect=429)
    assert int(r.headers["retry-after"]) > 0
    # another user from another address is not affected
    with fresh_db.begin() as conn:
        conn.execute(text("UPDATE login_attempts SET at = :t"),
                     {"t": utc_naive() - dt.timedelta(minutes=16)})
    login(client, "nutrition")
    assert _count(fresh_db, "SELECT COUNT(*) FROM login_attempts WHERE success") == 1


def test_wrong_name_and_wrong_password_read_the_same(client):
    import re

    def page(r, name):
        return re.sub(r'name="csrf_token" value="[^"]*"', "", r.text).replace(name, "X")

    a = login(client, name="nobody", password="whatever-1", expect=401)
    b = login(client, "farm", password="whatever-1", expect=401)
    assert page(a, "nobody") == page(b, USERS["farm"])


def test_disabled_users_cannot_sign_in_and_lose_sessions_and_tokens(client, fresh_db):
    from capra.store.accounts import disable_user

    token = new_token(fresh_db, USERS["farm"])
    login(client, "farm")
    disable_user(fresh_db, USERS["farm"], by="test")
    assert client.get("/", follow_redirects=False).status_code == 303
    login(client, "farm", expect=401)
    r = client.get("/api/v1/farms", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_admin_disables_a_user_from_the_users_page(client, fresh_db):
    login(client, "admin")
    r = client.post(f"/users/{USERS['viewer']}/disable",
                    data={"csrf_token": csrf_of(client.get("/users").text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert _count(fresh_db, "SELECT COUNT(*) FROM users WHERE NOT active") == 1
    audit = read_audit(fresh_db, "users")
    assert audit.iloc[-1]["user_name"] == USERS["admin"]


# --------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------

def test_tokens_are_stored_hashed_and_can_be_revoked(client, fresh_db):
    token = new_token(fresh_db, USERS["manager"])
    assert token.startswith("capra_") and len(token) > 40
    with fresh_db.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_sha256 FROM api_tokens"))]
    assert token not in stored and all(len(s) == 64 for s in stored)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/farms", headers=auth).status_code == 200
    assert revoke_tokens(fresh_db, USERS["manager"], by="test") == 1
    assert client.get("/api/v1/farms", headers=auth).status_code == 401


# --------------------------------------------------------------------------------------
# The audit log
# --------------------------------------------------------------------------------------

def test_every_write_is_in_the_audit_log_with_its_user(client, fresh_db):
    login(client, "farm")
    token = csrf_of(client.get("/records/test_days/new").text)
    r = client.post("/records/test_days/new", data={
        "animal": "D1", "date": "2025-10-10", "milk_kg": "1.9", "csrf_token": token},
        follow_redirects=False)
    assert r.status_code == 303
    api_token = new_token(fresh_db, USERS["nutrition"])
    r = client.post("/api/v1/import/measurements", headers={
        "Authorization": f"Bearer {api_token}"}, files={"file": (
            "m.csv", b"child,date,weight_kg\nC1,2025-10-01,13.4\n", "text/csv")})
    assert r.status_code == 200, r.text
    td = read_audit(fresh_db, "test_days", expand=True)
    row = td[td["row_key"].str.contains("2025-10-10")]
    assert list(row["user_name"]) == [USERS["farm"]]
    m = read_audit(fresh_db, "measurements", expand=True)
    assert list(m[m["row_key"].str.contains("2025-10-01")]["user_name"]) == [USERS["nutrition"]]
    with fresh_db.connect() as conn:
        files = [r[0] for r in conn.execute(text("SELECT file FROM imports ORDER BY id"))]
    assert files[-2:] == ["web form (test_days)", "m.csv"]
    users = read_audit(fresh_db, "users")
    assert set(users["user_name"]) == {"loader"}


# --------------------------------------------------------------------------------------
# Limits, headers, error pages
# --------------------------------------------------------------------------------------

def test_uploads_over_the_limit_are_refused(client, fresh_db):
    token = new_token(fresh_db, USERS["manager"])
    big = b"child,date,weight_kg\n" + b"C1,2025-10-01,13.4\n" * 4000  # about 76 kB > 50 kB
    r = client.post("/api/v1/import/measurements", headers={"Authorization": f"Bearer {token}"},
                    files={"file": ("m.csv", big, "text/csv")})
    assert r.status_code == 413 and "upload limit" in r.json()["detail"]


def test_security_headers_on_pages_api_and_errors(client):
    for path in ("/login", "/api/v1/farms", "/nowhere", "/static/capra.css"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style(client):
    login(client, "manager")
    for path in ("/", "/animals", "/animals/D1", "/children/C1", "/prevalence", "/plans",
                 "/records/events/new?type=parturition", "/import", "/api"):
        html = client.get(path).text
        assert "<script>" not in html and " style=" not in html and "<style" not in html
        assert "http://" not in html.replace("http://HOST", "").replace(
            'xmlns="http://www.w3.org/2000/svg"', "")


def test_clear_error_pages(client):
    login(client, "viewer")
    r = client.get("/nowhere")
    assert r.status_code == 404 and "404" in r.text and "<html" in r.text
    r = client.get("/records/events/new?type=parturition")
    assert r.status_code == 403 and "viewer" in r.text
    r = client.get("/prevalence?by=planet")
    assert r.status_code == 400 and "by=&#39;planet&#39;" in r.text
    r = client.get("/plans/not-a-number")
    assert r.status_code == 400
    assert client.get("/api/v1/nowhere").headers["content-type"].startswith("application/json")


def test_no_passwords_or_tokens_in_the_logs(app, fresh_db, caplog):
    token = new_token(fresh_db, USERS["manager"])
    with caplog.at_level(logging.DEBUG), TestClient(app) as c:
        login(c, "manager")
        login(c, "farm", password="a-wrong-password-99", expect=401)
        c.get("/api/v1/farms", headers={"Authorization": f"Bearer {token}"})
        c.get("/api/v1/farms", headers={"Authorization": "Bearer capra_bad-token-77"})
    text_ = caplog.text
    for secret in (PASSWORDS["manager"], "a-wrong-password-99", token, "capra_bad-token-77"):
        assert secret not in text_


# --------------------------------------------------------------------------------------
# Escaping and SQL metacharacters
# --------------------------------------------------------------------------------------

NASTY_FARM = "<script>alert('farm')</script>"
NASTY_TAG = "O'Brien\"; DROP TABLE animals;--"
NASTY_SITE = "Site <img src=x onerror=alert(1)> & \"quotes\""
NASTY_CHILD = "C-'1' OR '1'='1"


def test_names_render_escaped_and_sql_metacharacters_are_data(client, fresh_db):
    from capra.store.io import import_frame
    from web_data import csv

    import_frame(fresh_db, "farms", csv(f'name,kind\n"{NASTY_FARM}",farm\n'), user="t")
    tag = NASTY_TAG.replace('"', '""')
    import_frame(fresh_db, "animals", csv(
        f'tag,sex,birth_date,farm,origin\n"{tag}",female,2023-01-01,"{NASTY_FARM}",birth\n'
        'W%_1,male,2023-01-01,Kangso,birth\n'), user="t")
    site = NASTY_SITE.replace('"', '""')
    import_frame(fresh_db, "sites", csv(f'name,kind\n"{site}",school\n'), user="t")
    import_frame(fresh_db, "children", csv(
        f'code,sex,birth_date,site\n"{NASTY_CHILD}",male,2020-01-01,"{site}"\n'), user="t")
    login(client, "manager")
    pages = [client.get(p).text for p in (
        "/", "/animals?status=all", "/children", "/exports")]
    from urllib.parse import quote
    animal = client.get("/animals/" + quote(NASTY_TAG, safe=""))
    assert animal.status_code == 200
    child = client.get("/children/" + quote(NASTY_CHILD, safe=""))
    assert child.status_code == 200
    for html in pages + [animal.text, child.text]:
        assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;farm&#39;)&lt;/script&gt;" in pages[0]
    assert "O&#39;Brien&#34;; DROP TABLE animals;--" in animal.text
    assert "Site &lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;" in child.text
    # the tables are all there; searches treat quotes and wildcards as text
    assert _count(fresh_db, "SELECT COUNT(*) FROM animals") == 7
    r = client.get("/animals", params={"q": "O'Brien\"", "status": "all"})
    assert "DROP TABLE" in r.text and ">D1<" not in r.text
    r = client.get("/animals", params={"q": "%", "status": "all"})
    assert ">D1<" not in r.text  # '%' is a character, not a wildcard
    r = client.get("/animals", params={"q": "W%_", "status": "all"})
    assert "W%_1" in r.text
    r = client.get("/children", params={"q": "C-'1' OR"})
    assert "C1<" not in r.text and "C-&#39;1&#39; OR" in r.text


def test_form_values_are_escaped_when_shown_again(client):
    login(client, "farm")
    token = csrf_of(client.get("/records/events/new?type=treatment").text)
    r = client.post("/records/events/new?type=treatment", data={
        "animal": '"><script>alert(1)</script>', "date": "2025-06-01", "product": "x",
        "csrf_token": token})
    assert r.status_code == 422
    assert "<script>alert(1)</script>" not in r.text
    assert "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
