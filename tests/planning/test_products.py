"""Product data: the bundled values, overrides, and located errors in bad data."""

from __future__ import annotations

import numpy as np
import pytest
from plan_checks import tiny

from capra.errors import DataError
from capra.planning.products import bundled_products_path, product_table
from capra.scenario import PRODUCTS, scenario_from_dict


def test_bundled_values_with_their_sources():
    t = product_table()
    assert t.names == PRODUCTS
    # supply.md §3.2: whole milk powder 7.55 kg milk per kg; §3.3: shelf lives
    assert t.milk_kg_per_kg[t.index("milk_powder")] == 7.55
    assert t.shelf_life_days[t.index("fresh_milk")] == 5
    assert t.shelf_life_days[t.index("milk_powder")] == 365
    assert t.storage[t.index("frozen_milk")] == "frozen"
    # supply.md §3.4: a 200 ml ration of goat milk gives about 7.3 g protein, 142 kcal
    fresh = t.index("fresh_milk")
    assert t.nutrients_per_serving[fresh, 2] == pytest.approx([7.33, 142.1, 276.0], abs=0.1)
    # every product's serving for 6-11 y carries about the same protein
    np.testing.assert_allclose(t.nutrients_per_serving[:, 2, 0], 7.3, atol=0.15)
    # no hard cheese for children under 3
    assert t.serving_kg[t.index("hard_cheese"), 0] == 0


def test_scenario_overrides_replace_single_values():
    data = tiny()
    data["products"] = {"milk_powder": {"shelf_life_days": 180,
                                        "serving_g": {"age_1_2": 15.0}}}
    sc = scenario_from_dict(data)
    t = product_table(sc.products)
    p = t.index("milk_powder")
    assert t.shelf_life_days[p] == 180
    assert t.serving_kg[p].tolist() == [0.015, 0.0277, 0.0277]
    assert t.milk_kg_per_kg[p] == 7.55


def test_bad_product_data_gives_the_file_and_key(tmp_path):
    text = bundled_products_path().read_text(encoding="utf-8")
    bad = tmp_path / "products.toml"
    bad.write_text(text.replace("shelf_life_days = 14             # 7-14",
                                "shelf_life_days = -3             # 7-14"), encoding="utf-8")
    with pytest.raises(DataError, match=r"products\.yogurt\.shelf_life_days") as err:
        product_table(path=bad)
    assert err.value.file == str(bad)
    bad.write_text(text.replace("[products.uht_milk]", "[products.uht_milks]"),
                   encoding="utf-8")
    with pytest.raises(DataError, match=r"missing table \[products\.uht_milk\]"):
        product_table(path=bad)
    bad.write_text(text.replace("calcium_mg = 600.0", "calcium_mg = 0"), encoding="utf-8")
    with pytest.raises(DataError, match=r"needs\.age_3_5\.calcium_mg"):
        product_table(path=bad)


def test_table_as_frame():
    frame = product_table().to_frame()
    assert len(frame) == len(PRODUCTS) * 3
    assert set(frame.columns) >= {"product", "age_group", "serving_g", "protein_g"}
