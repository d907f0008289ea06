"""Counter-based random streams of the herd simulator."""

import numpy as np
from scipy import stats

from capra.herd import rng


def test_uniform_is_uniform_and_independent_of_neighbours():
    keys = rng.replicate_keys(123, 2)
    uid = np.arange(200_000)
    u = rng.uniform(np.full(uid.size, keys["breeding"][0]), uid, 17)
    assert 0 <= u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # consecutive ids and consecutive days are uncorrelated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01
    v = rng.uniform(np.full(uid.size, keys["breeding"][0]), uid, 18)
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.01
    counts = np.histogram(u, bins=50, range=(0, 1))[0]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_streams_differ_by_process_replicate_and_slot():
    keys = rng.replicate_keys(1, 2)
    uid = np.arange(1000)
    a = rng.uniform(np.full(1000, keys["breeding"][0]), uid, 5)
    assert not np.allclose(a, rng.uniform(np.full(1000, keys["kidding"][0]), uid, 5))
    assert not np.allclose(a, rng.uniform(np.full(1000, keys["breeding"][1]), uid, 5))
    assert not np.allclose(a, rng.uniform(np.full(1000, keys["breeding"][0]), uid, 5, slot=1))


def test_replicate_keys_do_not_depend_on_the_others_asked_for():
    all_keys = rng.replicate_keys(99, 10)
    some = rng.replicate_keys(99, np.array([3, 7]))
    for name in rng.PROCESSES:
        assert all_keys[name][3] == some[name][0]
        assert all_keys[name][7] == some[name][1]
    assert rng.replicate_keys(98, 1)["mortality"][0] != all_keys["mortality"][0]


def test_normal_and_exponential_moments():
    keys = rng.replicate_keys(5, 1)
    uid = np.arange(100_000)
    z = rng.normal(np.full(uid.size, keys["gestation"][0]), uid, 0)
    e = rng.exponential(np.full(uid.size, keys["mortality"][0]), uid, 0)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02
    assert abs(e.mean() - 1) < 0.02
