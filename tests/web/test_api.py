"""The JSON API: imports (200, 422 with located errors and nothing saved, 403), field
exports from ODK Collect and KoboToolbox, the OpenAPI document, concurrent writes."""

from __future__ import annotations

import concurrent.futures as cf
import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from capra.store.accounts import new_token
from web_data import USERS


@pytest.fixture
def api(fresh_db):
    from capra.web.app import create_app

    app = create_app(fresh_db, run_plans=False)
    tokens = {role: new_token(fresh_db, name) for role, name in USERS.items()}
    with TestClient(app) as c:
        def post(role, kind, body: bytes, name="f.csv", **params):
            return c.post(f"/api/v1/import/{kind}", params=params,
                          headers={"Authorization": f"Bearer {tokens[role]}"},
                          files={"file": (name, body, "text/csv")})
        c.post_file = post
        c.tokens = tokens
        yield c


def count(db, table: str) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


MEASUREMENTS_BAD = (b"child,date,weight_kg,height_cm,measured\n"
                    b"C1,2025-10-01,13.5,93.0,h\n"
                    b"C2,2025-10-01,-4,102.0,h\n"        # row 2: weight out of range
                    b"C3,2025-10-02,18.9,112.0,h\n"
                    b"C9,2025-10-02,22.4,125.0,h\n")     # row 4: unknown child


def test_import_returns_counts_and_is_idempotent(api, fresh_db):
    body = MEASUREMENTS_BAD.replace(b"-4", b"15.9").replace(b"C9", b"C4")
    r = api.post_file("nutrition", "measurements", body)
    assert r.status_code == 200
    assert r.json() == {"kind": "measurements", "file": "f.csv", "rows": 4, "inserted": 4,
                        "unchanged": 0, "rejected": 0}
    again = api.post_file("nutrition", "measurements", body).json()
    assert (again["inserted"], again["unchanged"]) == (0, 4)


def test_import_with_bad_rows_saves_nothing_and_locates_every_error(api, fresh_db):
    before = count(fresh_db, "measurements")
    r = api.post_file("nutrition", "measurements", MEASUREMENTS_BAD)
    assert r.status_code == 422
    body = r.json()
    assert body["inserted"] == 0 and body["rejected"] == 2
    assert [(e["row"], e["field"], e["value"]) for e in body["errors"]] == [
        (2, "weight_kg", "-4"), (4, "child", "C9")]
    assert "out of range" in body["errors"][0]["reason"]
    assert "unknown child 'C9'" in body["errors"][1]["reason"]
    assert count(fresh_db, "measurements") == before


def test_import_refused_for_roles_and_farms_beyond_the_user(api, fresh_db):
    before = count(fresh_db, "events")
    event = b"animal,date,type,product\nD1,2025-06-02,treatment,x\n"
    assert api.post_file("viewer", "events", event).status_code == 403
    assert api.post_file("nutrition", "events", event).status_code == 403
    assert api.post_file("farm", "measurements", b"child,date,weight_kg\nC1,2025-01-01,12\n"
                         ).status_code == 403
    # D3 is on Chollima: one row beyond the farm user's farms refuses the whole file
    mixed = b"animal,date,type,product\nD1,2025-06-02,treatment,x\nD3,2025-06-02,treatment,x\n"
    r = api.post_file("farm", "events", mixed)
    assert r.status_code == 403
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "animal")]
    # a vet records health events, not kiddings
    r = api.post_file("vet", "events", b"animal,date,type,litter_size\nD1,2025-09-01,"
                                       b"parturition,1\n")
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "type"
    # moving an animal onto another farm is allowed from the user's farm, not into theirs
    move = b"animal,date,type,from_farm,farm\nD2,2025-06-03,transfer,Kangso,Chollima\n"
    steal = b"animal,date,type,from_farm,farm\nD3,2025-06-03,transfer,Chollima,Kangso\n"
    assert api.post_file("farm", "events", steal).status_code == 403
    assert count(fresh_db, "events") == before
    assert api.post_file("farm", "events", move).status_code == 200
    assert api.post_file("farm", "events", mixed.replace(b"D3", b"D1").replace(
        b"2025-06-02,treatment,x\nD1", b"2025-06-04,treatment,x\nD1")).status_code == 200


def test_import_rejects_bad_files_clearly(api):
    r = api.post_file("manager", "events", b"animal,date,typo\nD1,2025-01-01,death\n")
    assert r.status_code == 422 and "did you mean 'type'" in r.json()["detail"]
    r = api.post_file("manager", "events", b"\x00\x01", name="x.pdf")
    assert r.status_code == 422 and ".pdf" in r.json()["detail"]
    r = api.post_file("manager", "planets", b"a\n1\n")
    assert r.status_code == 422 and "unknown kind" in r.json()["detail"]
    r = api.post_file("manager", "events", b"")
    assert r.status_code == 422 and "empty" in r.json()["detail"]


def test_xlsx_uploads(api, fresh_db):
    buf = io.BytesIO()
    pd.DataFrame({"child": ["C1"], "date": ["2025-11-01"], "weight_kg": [13.6]}).to_excel(
        buf, index=False)
    r = api.post_file("nutrition", "measurements", buf.getvalue(), name="m.xlsx")
    assert r.status_code == 200 and r.json()["inserted"] == 1


# ODK Central's CSV export of a form with a group "visit" (questions named as the
# measurements layout), and KoboToolbox's export of the same form.
ODK = ("SubmissionDate,visit-child,visit-date,visit-weight_kg,visit-height_cm,"
       "visit-measured,visit-oedema,meta-instanceID,KEY,SubmitterID,SubmitterName,"
       "AttachmentsPresent,AttachmentsExpected,Status,ReviewState,DeviceID,Edits,FormVersion\n"
       "2025-10-03T08:15:00.000Z,C1,2025-10-02T09:30:00.000+09:00,13.7,93.5,h,no,"
       "uuid:1,uuid:1,5,nurse,0,0,,,collect:x,0,2025100101\n"
       "2025-10-03T08:16:00.000Z,C2,2025-10-02,16.1,102.5,h,no,uuid:2,uuid:2,5,nurse,0,0,,,"
       "collect:x,0,2025100101\n")
KOBO = ("start,end,today,deviceid,visit/child,visit/date,visit/weight_kg,visit/height_cm,"
        "visit/measured,visit/oedema,_id,_uuid,_submission_time,_validation_status,_notes,"
        "_status,_submitted_by,__version__,_tags,_index\n"
        "2025-10-04T08:00:00.000+09:00,2025-10-04T08:05:00.000+09:00,2025-10-04,ee:1,C3,"
        "2025-10-04,19.0,112.5,h,no,11,u1,2025-10-04T00:06:00,,,submitted_via_web,nurse,v1,,1\n")


def test_odk_collect_and_kobotoolbox_exports_import(api, fresh_db):
    r = api.post_file("nutrition", "measurements", ODK.encode(), source="odk")
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == 2
    r = api.post_file("nutrition", "measurements", KOBO.encode(), source="kobo")
    assert r.status_code == 200, r.text
    with fresh_db.connect() as conn:
        got = conn.execute(text(
            "SELECT c.code, m.date, m.weight_kg FROM measurements m JOIN children c "
            "ON c.id = m.child_id WHERE m.date >= '2025-10-01' ORDER BY c.code")).all()
    assert [(c, str(d)[:10], w) for c, d, w in got] == [
        ("C1", "2025-10-02", 13.7), ("C2", "2025-10-02", 16.1), ("C3", "2025-10-04", 19.0)]
    # without source=odk the group prefixes are unknown columns, named in the error
    r = api.post_file("nutrition", "measurements", ODK.encode())
    assert r.status_code == 422 and "SubmissionDate" in r.json()["detail"]


def test_field_export_mapping():
    from capra.web.imports import field_export

    raw = pd.DataFrame({"grp-child": ["C1"], "grp/sub/date": ["2025-01-02T10:00:00Z"],
                        "_uuid": ["x"], "meta-instanceID": ["u"], "weight_kg": ["12"]})
    out = field_export(raw, "measurements")
    assert list(out.columns) == ["child", "date", "weight_kg"]
    assert out.iloc[0].tolist() == ["C1", "2025-01-02", "12"]
    with pytest.raises(Exception, match="both map to 'child'"):
        field_export(pd.DataFrame({"a-child": ["1"], "b-child": ["2"]}), "measurements")


def test_plans_and_prevalence(api):
    auth = {"Authorization": f"Bearer {api.tokens['viewer']}"}
    assert api.get("/api/v1/plans/latest", headers=auth).status_code == 404
    r = api.get("/api/v1/prevalence?by=all&period=year", headers=auth)
    assert r.status_code == 200
    rows = r.json()["rows"]
    assert {r_["indicator"] for r_ in rows} >= {"stunting", "underweight"}
    assert all(0 <= r_["prevalence_pct"] <= 100 for r_ in rows)


def test_openapi_document(api):
    spec = api.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/farms", "/api/v1/animals", "/api/v1/import/{kind}",
              "/api/v1/plans/latest"):
        assert p in paths
    assert not any(p.startswith(("/login", "/animals", "/records")) for p in paths)
    imp = paths["/api/v1/import/{kind}"]["post"]
    assert {"200", "401", "403", "413", "422"} <= set(imp["responses"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    # the page that describes it
    assert api.get("/docs").status_code == 404  # no page that loads scripts from a CDN


def test_concurrent_imports_lose_and_duplicate_nothing(fresh_db, live_server_for):
    """Writers in threads through a real server: every acknowledged row is there once."""
    import httpx2 as httpx

    from capra.web.app import create_app

    token = new_token(fresh_db, USERS["manager"])
    app = create_app(fresh_db, run_plans=False)
    n_threads, per_thread = 4, 6

    def writer(k: int) -> list[str]:
        done = []
        with httpx.Client(base_url=server.url, timeout=60) as c:
            for i in range(per_thread):
                note = f"w{k}-{i}"
                day = f"2025-{1 + i:02d}-{1 + k:02d}"
                body = f"animal,date,type,product,note\nD1,{day},treatment,x,{note}\n"
                r = c.post("/api/v1/import/events",
                           headers={"Authorization": f"Bearer {token}"},
                           files={"file": ("e.csv", body.encode(), "text/csv")})
                assert r.status_code == 200, r.text
                done.append(note)
        return done

    with live_server_for(app) as server, cf.ThreadPoolExecutor(n_threads) as pool:
        acked = sum(pool.map(writer, range(n_threads)), [])
    with fresh_db.connect() as conn:
        notes = [r[0] for r in conn.execute(text(
            "SELECT note FROM events WHERE type = 'treatment'"))]
    assert sorted(notes) == sorted(acked) and len(acked) == n_threads * per_thread
