"""Counter-based random streams of the herd simulator."""

import numpy as np
from scipy import special, stats

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


def test_normal_quantile_is_scipys_ndtri_to_the_last_bits():
    u = np.concatenate([np.random.default_rng(1).random(200_000),
                        np.geomspace(1e-16, 0.5, 20_000), 1 - np.geomspace(1e-16, 0.5, 20_000),
                        [0.5, 1e-16, 1 - 1e-16]])
    u = np.clip(u, 1e-16, 1 - 1e-16)
    want = special.ndtri(u)
    got = np.array([rng.normal_quantile(x) for x in u[::50]])
    np.testing.assert_allclose(got, want[::50], rtol=2e-15, atol=4e-15)
    keys = np.random.default_rng(2).integers(0, 2**63, u.size).astype(np.uint64)
    uid = np.arange(u.size)
    z = rng.normal(keys, uid, 3, slot=1)
    np.testing.assert_allclose(z, special.ndtri(np.clip(rng.uniform(keys, uid, 3, slot=1),
                                                        1e-16, 1 - 1e-16)),
                               rtol=2e-15, atol=4e-15)
    for x in (0.25, 2.0 ** -40, 3 * 2.0 ** -53):       # 1 - x exact: symmetric
        assert rng.normal_quantile(x) == -rng.normal_quantile(1 - x)
    # the array function is the scalar one, element by element (what compiled passes use)
    assert [rng.normal_draw(keys[i], uid[i], 3, 1) for i in range(5)] == list(z[:5])


def test_exponential_geometric_and_lognormal_are_their_formulas():
    keys = rng.replicate_keys(5, 1)
    uid = np.arange(100_000)
    u = rng.uniform(np.full(uid.size, keys["mortality"][0]), uid, 0)
    e = rng.exponential(np.full(uid.size, keys["mortality"][0]), uid, 0)
    np.testing.assert_allclose(e, -np.log1p(-u), rtol=3e-16, atol=0)      # within a bit
    assert rng.exponential_draw(keys["mortality"][0], 7, 0, 0) == e[7]
    q = np.full(u.size, 0.01)
    wait = rng.geometric(u, q)
    assert wait.min() >= 1
    np.testing.assert_array_equal(wait, np.floor(np.log1p(-u) / np.log1p(-q)) + 1)
    assert abs(wait.mean() - 1 / 0.01) < 2                       # geometric mean 1/q
    z = rng.normal(np.full(uid.size, keys["mortality"][0]), uid, 0)
    m = np.array([rng.lognormal_of(x, 0.3) for x in z[:20_000]])
    np.testing.assert_allclose(m, np.exp(0.3 * z[:20_000] - 0.045), rtol=3e-16)
    assert abs(m.mean() - 1) < 0.01 and abs(np.log(m).std() - 0.3) < 0.01
