"""Records, users and helpers shared by the web tests: a small programme on three farms,
two sites, a user of every role."""

from __future__ import annotations

import io
import re

import pandas as pd

PASSWORDS = {"admin": "admin-pass-1", "manager": "manager-pass-1", "farm": "farm-pass-1",
             "vet": "vet-pass-12", "nutrition": "nutrition-pass-1", "viewer": "viewer-pass-1"}
#: The user of each role (farm and vet keep Kangso only).
USERS = {role: f"{role}1" for role in PASSWORDS}
ROLES = tuple(PASSWORDS)

FARMS = ("name,kind,district,capacity_head\nKangso,farm,Kangso-guyok,300\n"
         "Chollima,farm,Chollima-guyok,250\nRason,quarantine,,\n")
SITES = ("name,kind,district\nKangso kindergarten 1,kindergarten,Kangso-guyok\n"
         "Chollima school 1,school,Chollima-guyok\n")
BATCHES = ("name,origin,certificate,certificate_date,arrival_date,arrival_farm,quarantine_days\n"
           "L-2024,Leningrad region,RU-LO-2024-0447,2024-08-01,2024-08-20,Rason,30\n")
ANIMALS = ("tag,sex,birth_date,batch,parity,last_parturition_date,lactating\n"
           "D1,female,2022-03-01,L-2024,1,2024-03-01,false\n"
           "D2,female,2022-04-01,L-2024,1,2024-02-10,false\n"
           "D3,female,2022-03-05,L-2024,1,2024-03-05,false\n"
           "G1,female,2024-02-01,L-2024,0,,false\n"
           "B1,male,2023-01-15,L-2024,0,,false\n")
EVENTS = ("animal,date,type,farm,from_farm,litter_size,live_kids\n"
          "D1,2024-09-20,transfer,Kangso,Rason,,\n"
          "D2,2024-09-20,transfer,Kangso,Rason,,\n"
          "B1,2024-09-20,transfer,Kangso,Rason,,\n"
          "D3,2024-09-20,transfer,Chollima,Rason,,\n"
          "G1,2024-09-20,transfer,Chollima,Rason,,\n"
          "D1,2025-02-10,parturition,,,2,2\n"
          "D3,2025-01-15,parturition,,,1,1\n")
TEST_DAYS = "animal,date,milk_kg\n" + "".join(
    f"D1,2025-{m:02d}-10,{3.4 - 0.25 * (m - 3):.2f}\n" for m in range(3, 10)) + "".join(
    f"D3,2025-{m:02d}-20,{2.6 - 0.2 * (m - 2):.2f}\n" for m in range(2, 8))
CHILDREN = ("code,sex,birth_date,site\n"
            "C1,female,2021-05-01,Kangso kindergarten 1\n"
            "C2,male,2020-03-01,Kangso kindergarten 1\n"
            "C3,female,2019-07-15,Chollima school 1\n"
            "C4,male,2018-01-20,Chollima school 1\n")
MEASUREMENTS = ("child,date,weight_kg,height_cm,measured\n"
                "C1,2024-10-01,12.1,88.0,h\nC2,2024-10-01,15.0,98.5,h\n"
                "C3,2024-10-02,17.5,108.0,h\nC4,2024-10-02,21.0,120.0,h\n"
                "C1,2025-04-01,13.0,92.0,h\nC2,2025-04-01,15.8,101.0,h\n"
                "C3,2025-04-02,18.2,111.0,h\nC4,2025-04-02,22.0,123.5,h\n")

RECORDS = (("farms", FARMS), ("sites", SITES), ("batches", BATCHES), ("animals", ANIMALS),
           ("events", EVENTS), ("test_days", TEST_DAYS), ("children", CHILDREN),
           ("measurements", MEASUREMENTS))


def csv(text_: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text_), dtype=str, keep_default_na=False, na_filter=False)


def load_records(db) -> None:
    from capra.store.io import import_frame

    for kind, data in RECORDS:
        import_frame(db, kind, csv(data), user="loader")


def add_users(db) -> None:
    from capra.store.accounts import create_user

    for role, password in PASSWORDS.items():
        farms = ("Kangso",) if role in ("farm", "vet") else ()
        create_user(db, USERS[role], role, password, farms=farms, by="loader")


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    m = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


def login(client, role: str | None = None, *, name: str | None = None,
          password: str | None = None, expect: int = 303):
    """Sign a test client in; returns the answer of the sign-in."""
    name = name or USERS[role]
    password = password if password is not None else PASSWORDS[role]
    page = client.get("/login")
    r = client.post("/login", data={"name": name, "password": password,
                                    "csrf_token": csrf_of(page.text), "next": "/"},
                    follow_redirects=False)
    assert r.status_code == expect, (r.status_code, r.text[:300])
    return r
