"""Every route's permissions for every role: a table of role x route -> expected status.

Farm and vet users keep Kangso; D1 is on Kangso, D3 on Chollima. Anonymous page requests
are redirected to /login (303); anonymous API requests get 401.
"""

from __future__ import annotations

import pytest

from web_data import ROLES, csrf_of

A, M, F, V, N, W = ROLES  # admin, manager, farm, vet, nutrition, viewer


def expect(ok: tuple, other: int = 403, **special) -> dict:
    """Status per role: 200 for ``ok``, ``other`` for the rest, ``special`` overrides."""
    out = {r: (200 if r in ok else other) for r in ROLES}
    out.update(special)
    return out


ALL = ROLES
RECORDS = (A, M, F, V)
CHILDREN = (A, M, N)

#: GET pages: path -> status per role.
PAGES = {
    "/": expect(ALL),
    "/animals": expect(RECORDS),
    "/animals?farm=Chollima": expect(RECORDS),   # an empty list for farm and vet users
    "/animals/D1": expect(RECORDS),
    "/animals/D3": expect((A, M), farm=404, vet=404),
    "/children": expect(CHILDREN),
    "/children/C1": expect(CHILDREN),
    "/prevalence": expect((A, M, N, W)),
    "/plans": expect(ALL),
    "/plans/1": expect(ALL),
    "/plans/compare?a=1&b=1": expect(ALL),
    "/import": expect((A, M, F, V, N)),
    "/records/events/new?type=parturition": expect((A, M, F)),
    "/records/events/new?type=treatment": expect((A, M, F, V)),
    "/records/test_days/new": expect((A, M, F)),
    "/records/animals/new": expect((A, M, F)),
    "/records/batches/new": expect((A, M, V)),
    "/records/measurements/new": expect(CHILDREN),
    "/records/children/new": expect(CHILDREN),
    "/records/sites/new": expect(CHILDREN),
    "/records/farms/new": expect((A, M)),
    "/records/deliveries/new": expect((A, M)),
    "/templates/events.csv": expect(ALL),
    "/exports": expect((A, M, F, V, N)),
    "/exports/animals.csv": expect(RECORDS),
    "/exports/events.xlsx": expect(RECORDS),
    "/exports/children.csv": expect(CHILDREN),
    "/exports/farms.csv": expect((A, M)),
    "/users": expect((A,)),
    "/api": expect(ALL),
}

#: GET API routes with a token: path -> status per role.
API = {
    "/api/v1/farms": expect(ALL),
    "/api/v1/animals": expect(RECORDS),
    "/api/v1/animals?farm=Kangso": expect(RECORDS),
    "/api/v1/animals/D1": expect(RECORDS),
    "/api/v1/animals/D3": expect((A, M), farm=404, vet=404),
    "/api/v1/plans/latest": expect(ALL),
    "/api/v1/plans/1": expect(ALL),
    "/api/v1/prevalence": expect((A, M, N, W)),
}


@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
def test_page_permissions(clients, role, path):
    r = clients[role].get(path, follow_redirects=False)
    assert r.status_code == PAGES[path][role], r.text[:300]


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_redirect_to_login_without_a_session(clients, path):
    r = clients[None].get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("path", list(API))
@pytest.mark.parametrize("role", ROLES)
def test_api_permissions(clients, tokens, role, path):
    r = clients[None].get(path, headers={"Authorization": f"Bearer {tokens[role]}"})
    assert r.status_code == API[path][role], r.text[:300]


@pytest.mark.parametrize("path", list(API) + ["/api/v1/import/events"])
@pytest.mark.parametrize("header", [None, "Bearer capra_not-a-token", "Bearer ", "Basic eDp5"])
def test_api_refuses_missing_or_bad_tokens(clients, path, header):
    headers = {"Authorization": header} if header else {}
    method = clients[None].post if path.endswith("import/events") else clients[None].get
    r = method(path, headers=headers)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_page_session_is_not_an_api_token(clients):
    assert clients[M].get("/api/v1/farms").status_code == 401


def test_farm_users_see_only_their_farms(clients, tokens):
    kim = clients[None].get("/api/v1/animals?status=all",
                            headers={"Authorization": f"Bearer {tokens[F]}"}).json()
    assert {a["farm"] for a in kim["animals"]} == {"Kangso"}
    assert {a["tag"] for a in kim["animals"]} >= {"D1", "D2", "B1"}
    boss = clients[None].get("/api/v1/animals?status=all",
                             headers={"Authorization": f"Bearer {tokens[M]}"}).json()
    assert {a["farm"] for a in boss["animals"]} == {"Kangso", "Chollima"}
    other = clients[None].get("/api/v1/animals?farm=Chollima",
                              headers={"Authorization": f"Bearer {tokens[F]}"}).json()
    assert other == {"total": 0, "animals": []}
    page = clients[F].get("/animals?status=all").text
    assert "D1" in page and "D3" not in page
    farms = clients[None].get("/api/v1/farms", headers={"Authorization": f"Bearer {tokens[V]}"})
    assert [f["name"] for f in farms.json()] == ["Kangso"]


def test_exports_of_a_farm_user_hold_only_their_animals(clients):
    body = clients[F].get("/exports/events.csv").text
    assert "D1" in body and "D3" not in body
    assert "D3" in clients[M].get("/exports/events.csv").text


def test_navigation_shows_only_what_the_role_may_use(clients):
    viewer = clients[W].get("/").text
    assert 'href="/import"' not in viewer and 'href="/animals"' not in viewer
    assert 'href="/prevalence"' in viewer
    farm = clients[F].get("/").text
    assert 'href="/import"' in farm and 'href="/children"' not in farm
    assert 'href="/users"' in clients[A].get("/").text
    assert 'href="/users"' not in clients[M].get("/").text


#: POST forms: (path, form values) -> status per role (403 refusals save nothing).
TREATMENT = {"animal": "D1", "date": "2025-05-05", "product": "oxytetracycline",
             "withdrawal_days": "7", "note": ""}


@pytest.mark.parametrize("role", ROLES)
def test_form_post_permissions(clients, web_db, role):
    from sqlalchemy import text

    want = {A: 303, M: 303, F: 303, V: 303, N: 403, W: 403}[role]
    c = clients[role]
    page = c.get("/records/events/new?type=parturition")
    token = csrf_of(page.text) if page.status_code == 200 else csrf_of(c.get("/").text)
    day = f"2025-05-{ROLES.index(role) + 10:02d}"
    r = c.post("/records/events/new?type=treatment", data={**TREATMENT, "date": day,
                                                            "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == want, r.text[:300]
    with web_db.connect() as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM events e JOIN animals a ON a.id = "
                              "e.animal_id WHERE a.tag = 'D1' AND e.date = :d AND "
                              "e.type = 'treatment'"), {"d": day}).scalar_one()
    assert n == (1 if want == 303 else 0)


@pytest.mark.parametrize("role", ROLES)
def test_starting_a_plan(clients, web_db, role):
    want = {A: 303, M: 303}.get(role, 403)
    c = clients[role]
    r = c.post("/plans", data={"date": "2025-09-30", "replicates": "2", "seed": "3",
                               "csrf_token": csrf_of(c.get("/").text)}, follow_redirects=False)
    assert r.status_code == want
    if want == 303:
        assert r.headers["location"].startswith("/plans/")
