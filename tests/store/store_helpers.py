"""Helpers of the records-store tests: CSV literals and a small hand-made herd."""

from __future__ import annotations

import io

import pandas as pd


def csv(text_: str) -> pd.DataFrame:
    """A CSV literal as the all-text DataFrame an import reads."""
    return pd.read_csv(io.StringIO(text_), dtype=str, keep_default_na=False, na_filter=False)


FARMS = "name,kind,capacity_head\nKangso,farm,300\nChollima,farm,250\nRason,quarantine,\n"
BATCHES = ("name,origin,certificate,certificate_date,arrival_date,arrival_farm,quarantine_days\n"
           "L-2024,Leningrad region,RU-LO-2024-0447,2024-08-01,2024-08-20,Rason,30\n")
ANIMALS = ("tag,sex,birth_date,age_months,batch,farm,parity,last_parturition_date,lactating,"
           "expected_parturition_date\n"
           "D1,female,2022-03-01,,L-2024,,1,2024-03-01,false,\n"
           "D2,female,,24,L-2024,,1,2024-02-10,true,\n"
           "D3,female,2023-03-05,,L-2024,,0,,false,2025-01-10\n"
           "G1,female,2024-02-01,,L-2024,,0,,false,\n"
           "B1,male,2023-01-15,,L-2024,,0,,false,\n")


def load_base(db, user="tester"):
    """Three farms, one batch, four does and a buck (the hand-made herd)."""
    from capra.store.io import import_frame

    for kind, data in (("farms", FARMS), ("batches", BATCHES), ("animals", ANIMALS)):
        import_frame(db, kind, csv(data), user=user)
