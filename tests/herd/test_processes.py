"""Helpers of the daily processes, checked against straightforward loops."""

import numpy as np

from capra.herd.processes import _split_by_quota


def test_split_by_quota_fills_slots_in_order_per_replicate():
    rng = np.random.default_rng(0)
    rep = rng.integers(0, 4, 200)
    u = rng.random(200)
    quota = rng.integers(0, 30, (4, 3))
    slot = _split_by_quota(rep, u, quota)
    for r in range(4):
        mine = np.flatnonzero(rep == r)
        ordered = mine[np.argsort(u[mine])]
        expected = np.repeat(np.arange(3), quota[r])[: ordered.size]
        expected = np.concatenate([expected, -np.ones(ordered.size - expected.size, int)])
        np.testing.assert_array_equal(slot[ordered], expected)


def test_a_window_starts_a_new_season_for_the_bucks_even_with_no_doe_to_breed():
    # the bucks' count of does made pregnant in a window is reset on the window's first
    # day, also when no doe may be bred that day (it carried over to the window before)
    from herd_scenarios import build, one_farm_dict

    from capra.herd import processes as pr
    from capra.herd.params import compile_params
    from capra.herd.rng import replicate_keys
    from capra.herd.state import HerdState

    does = {"count": 5, "sex": "female", "age_months_min": 20, "age_months_max": 30,
            "parity": 1}
    p = compile_params(build(one_farm_dict(horizon_days=400, animals=[does])))
    t = int(np.flatnonzero(p.window_first_day[0])[0])
    state = HerdState(1, p.n_locations, n_groups=p.n_groups)
    state.append(np.zeros(5, np.int32), sex=0, birth=t - 700, parity=1, due=t + 30,
                 kidded=t - 200)                            # all pregnant: none to breed
    state.mated[:] = 30                                    # the last window's season
    rec = pr.Recorder(1, p.n_days, p.n_locations)
    pr.breeding(state, t, p, replicate_keys(0, 1), rec)
    assert rec.counts[t].sum() == 0                                  # no conception
    assert state.mated[0, :, 0].sum() == 0


def test_a_recorder_writes_into_the_runs_arrays_and_refuses_others():
    """A recorder of some replicates writes into their part of a run's arrays (the day's
    views and the outputs by name are of that memory); arrays that are not C-ordered,
    whose flat memory would be a copy, are refused."""
    import pytest

    from capra.herd import processes as pr

    counts, floats = pr.Recorder.blocks(5, 4, 2)
    rec = pr.Recorder(2, 4, 2, blocks=(counts[:, 3:5], floats[:, 3:5]))
    flat, shape, strides = rec.counts_at
    view = np.lib.stride_tricks.as_strided(flat, shape, strides)
    view[2, pr.Recorder.COUNTS.index("deaths"), 1, 0] = 7
    assert counts[pr.Recorder.COUNTS.index("deaths"), 4, 2, 0] == 7
    assert rec.data["deaths"][1, 2, 0] == 7 and counts.sum() == 7
    with pytest.raises(ValueError, match="C-ordered"):
        pr.Recorder(5, 4, 2, blocks=(np.asfortranarray(counts), floats))
