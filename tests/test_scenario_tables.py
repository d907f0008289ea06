"""Sites and routes read from a table file (``sites_file``, ``transport.routes_file``)."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from capra.errors import ScenarioError
from capra.scenario import bundled_scenario_path, load_scenario, scenario_from_dict

SITE_COLUMNS = ["name", "district", "kind", "latitude", "longitude", "calendar",
                "attendance", "cold_storage_kg", "age_1_2", "age_3_5", "age_6_11"]


def nampo_data() -> dict:
    return tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))


def site_frame(data: dict) -> pd.DataFrame:
    """nampo's sites as one row each (empty cells where a key is left out)."""
    rows = []
    for s in data["sites"]:
        row = {c: s.get(c, s.get("children", {}).get(c)) for c in SITE_COLUMNS}
        rows.append(row)
    return pd.DataFrame(rows, columns=SITE_COLUMNS)


def without_sites(data: dict, **keys) -> dict:
    out = {k: v for k, v in data.items() if k != "sites"}
    out.update(keys)
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_sites_from_a_file_are_the_sites_of_the_tables(tmp_path, suffix):
    data = nampo_data()
    frame = site_frame(data)
    path = tmp_path / f"sites{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path)
    else:
        frame.to_excel(path, index=False)
    from_file = scenario_from_dict(without_sites(data, sites_file=path.name),
                                   base_dir=tmp_path)
    assert from_file.sites == scenario_from_dict(data).sites
    assert len(from_file.sites) == len(data["sites"]) == 12


def test_a_scenario_file_reads_its_sites_file_beside_it(tmp_path):
    data = nampo_data()
    (tmp_path / "in").mkdir()
    site_frame(data).to_csv(tmp_path / "in" / "schools.csv", index=False)
    lines = bundled_scenario_path("nampo").read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line == "[[sites]]")
    after = next(i for i, line in enumerate(lines) if line.startswith("[[plants]]"))
    top = next(i for i, line in enumerate(lines) if line.startswith("["))
    text = "\n".join(lines[:top] + ['sites_file = "schools.csv"'] + lines[top:first]
                     + lines[after:])
    (tmp_path / "in" / "plan.toml").write_text(text, encoding="utf-8")
    sc = load_scenario(tmp_path / "in" / "plan.toml")
    assert sc.sites == load_scenario("nampo").sites


def test_a_bad_cell_names_the_file_row_and_column(tmp_path):
    data = nampo_data()
    frame = site_frame(data).astype(object)
    frame.loc[2, "latitude"] = "north"      # spreadsheet row 4
    frame.loc[5, "age_3_5"] = -3            # row 7, a children column
    frame.loc[7, "calendar"] = "holidays"   # row 9, a calendar the scenario lacks
    frame.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(without_sites(data, sites_file="sites.csv"), base_dir=tmp_path,
                           file="plan.toml")
    text = str(err.value)
    shown = str(tmp_path / "sites.csv")
    assert 'sites[2].latitude = "north"' in text
    assert f"(in {shown}, row 4, column latitude)" in text
    assert f"(in {shown}, row 7, column age_3_5)" in text
    assert f"(in {shown}, row 9, column calendar)" in text
    assert len(err.value.problems) == 3


def test_an_unknown_column_and_a_missing_one_are_named(tmp_path):
    data = nampo_data()
    frame = site_frame(data).rename(columns={"latitude": "lat"})
    frame.to_csv(tmp_path / "sites.csv", index=False)
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(without_sites(data, sites_file="sites.csv"), base_dir=tmp_path)
    text = str(err.value)
    assert "column lat" in text and "row 2" in text
    assert "sites[0].latitude" in text


def test_routes_from_a_file(tmp_path):
    data = nampo_data()
    routes = pd.DataFrame({"origin": ["Nampo dairy", "Nampo dairy"],
                           "destination": [data["sites"][0]["name"], data["sites"][1]["name"]],
                           "distance_km": [12.5, None],
                           "capacity_kg_per_day": [None, 800]})
    routes.to_csv(tmp_path / "routes.csv", index=False)
    transport = {k: v for k, v in data["transport"].items() if k != "routes"}
    transport["routes_file"] = "routes.csv"
    sc = scenario_from_dict({**data, "transport": transport}, base_dir=tmp_path)
    first, second = sc.transport.routes
    assert (first.distance_km, first.capacity_kg_per_day) == (12.5, None)
    assert (second.distance_km, second.capacity_kg_per_day) == (None, 800.0)


def test_file_and_tables_together_missing_files_and_short_rows(tmp_path):
    data = nampo_data()
    with pytest.raises(ScenarioError, match="either as tables or as a file"):
        scenario_from_dict({**data, "sites_file": "sites.csv"}, base_dir=tmp_path)
    with pytest.raises(ScenarioError, match="no such file") as err:
        scenario_from_dict(without_sites(data, sites_file="sites.csv"), base_dir=tmp_path)
    assert err.value.path == "sites_file"
    with pytest.raises(ScenarioError, match="expected the path"):
        scenario_from_dict(without_sites(data, sites_file=3), base_dir=tmp_path)
    (tmp_path / "sites.csv").write_text(
        "name,kind,latitude,longitude,calendar,age_3_5\n"
        "A,kindergarten,38.9,125.5,kindergarten,40\n"
        "B,kindergarten,38.9\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="row 3 has fewer fields"):
        scenario_from_dict(without_sites(data, sites_file="sites.csv"), base_dir=tmp_path)
