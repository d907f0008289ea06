"""Helpers of the daily processes, checked against straightforward loops."""

import numpy as np

from capra.herd.processes import _random_rank, _split_by_quota


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


def test_random_rank_is_the_rank_within_each_group():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 5, 300)
    u = rng.random(300)
    rank = _random_rank(groups, u)
    for g in range(5):
        mine = np.flatnonzero(groups == g)
        np.testing.assert_array_equal(rank[mine[np.argsort(u[mine])]], np.arange(mine.size))
