"""The compiled rules and processes (capra.herd.rule_kernels) against the NumPy rules of
capra.herd.rules (which the mean path applies) and against the processes written as NumPy
expressions over the animals: the same herd to the bit."""

import dataclasses

import numpy as np
import pytest

from capra.herd import rng, rule_kernels, rules
from capra.herd.params import FEMALE, MALE, MAX_AGE_DAYS, compile_params
from capra.herd.rng import replicate_keys
from capra.herd.state import FIELDS, LAST_DAY, NEVER, HerdState
from capra.herd.uncertainty import ParameterDraws

T = 700


@pytest.fixture(scope="module")
def params(nampo):
    return compile_params(nampo)


@pytest.fixture(scope="module")
def batch_params(nampo, params):
    """Each of 4 replicates with its own draws of the uncertain parameters."""
    return ParameterDraws.of(nampo).batch(params, [0, 1, 2, 3], 5)


@pytest.mark.parametrize("extended", [True, False])
@pytest.mark.parametrize("own", [False, True])
def test_dry_off_day_is_the_rule_of_the_mean_path(params, extended, own):
    p = dataclasses.replace(params, extended_lactation=extended, standard_length_days=283,
                            extended_max_days=600)
    g = np.random.default_rng(3)
    n = 4000
    rep = g.integers(0, 3, n)
    low = np.array([[200, 320, 700], [250, 290, 260], [610, 100, 305]])
    if own:
        p = dataclasses.replace(p, varying={**p.varying, "low_yield_dim_days": low})
    kidded = g.integers(-400, 900, n)
    parity = g.integers(1, 7, n)
    due = np.where(g.random(n) < 0.5, kidded + g.integers(0, 700, n), -1)
    due[:5] = [0, 1, 60, 61, 2000]                       # dry-off day before the start
    kidded[:5] = -100
    kidded[5] = NEVER
    rule = rule_kernels.dry_off_rule(p)
    got = np.array([rule_kernels.dry_off_day_of(kidded[i], parity[i], due[i], rep[i], rule)
                    for i in range(n)])
    want = rules.dry_off_day(p, kidded, parity, due,
                             low[rep, np.minimum(parity, 3) - 1] if own else None)
    np.testing.assert_array_equal(got, np.clip(want, -1, LAST_DAY))
    assert (got == -1).any() and (got > 0).any()
    # over rows: the does in milk among them, in place
    lactating = g.random(n) < 0.7
    dry = np.full(n, -5, np.int32)
    rows = np.flatnonzero(g.random(n) < 0.5)
    rule_kernels.set_dry_days(rows, lactating, kidded.astype(np.int32), parity.astype(np.int16),
                              due.astype(np.int32), rep.astype(np.int32), dry, rule)
    done = np.isin(np.arange(n), rows) & lactating
    np.testing.assert_array_equal(dry[done], got[done])
    assert (dry[~done] == -5).all()
    standard = (got - kidded == 283) & (due < 0) & (got >= 0)
    assert standard.any() != extended         # the standard length binds open does


def test_litter_is_the_rule_of_the_mean_path(params):
    cdf = np.cumsum(params.litter_probabilities, axis=1)
    u = np.concatenate([np.random.default_rng(4).random(20000), cdf.ravel(),
                        np.nextafter(cdf.ravel(), 0), [0.0, 1 - 1e-16]])
    for parity in (0, 1, 2, 5):
        got = np.array([rule_kernels.litter_of(x, cdf[min(parity, 1)]) for x in u])
        np.testing.assert_array_equal(got, rules.litter_size(params, np.full(u.size, parity), u))
        assert set(got) == {1, 2, 3}


def test_cull_day_is_a_geometric_wait():
    g = np.random.default_rng(5)
    u = g.random(3000)
    q = np.where(g.random(3000) < 0.2, 0.0, g.random(3000) * 0.01)
    q[:3] = [1e-300, 0.5, 1.0]
    got = np.array([rule_kernels.cull_day_of(T, q[i], u[i]) for i in range(u.size)])
    wait = rng.geometric(u, np.where(q > 0, q, 0.5))
    want = np.where(q > 0, np.minimum(T + wait, LAST_DAY), -1).astype(np.int32)
    np.testing.assert_array_equal(got, want)
    assert got[0] == LAST_DAY and (got == -1).sum() > 300


def _numpy_kiddings(state, t, p, keys, dams):
    """The kidding process as NumPy expressions over the dams (the rules of
    docs/herd-model.md with those of capra.herd.rules and the draws of capra.herd.rng)."""
    k, uid = state.rep[dams], state.uid[dams]
    litter = rules.litter_size(p, state.parity[dams], rng.uniform(keys["kidding"][k], uid, t))
    kid_dam = np.repeat(dams, litter)
    slot = np.concatenate([np.arange(n) for n in litter])
    kk, kuid = state.rep[kid_dam], state.uid[kid_dam]
    still = rng.uniform(keys["kidding"][kk], kuid, t, slot=1 + slot) < p.per_replicate(
        "stillbirth_risk", kk)
    male = rng.uniform(keys["kidding"][kk], kuid, t, slot=10 + slot) >= p.female_fraction
    first = state.parity[dams] == 0
    state.parity[dams] += 1
    state.kidded[dams] = t
    state.lactating[dams] = True
    state.due[dams] = -1
    state.abort_day[dams] = -1
    state.failed[dams] = 0
    rows = p.varying.get("low_yield_dim_days")
    low = None if rows is None else rows[k, np.minimum(state.parity[dams], 3) - 1]
    state.dry_day[dams] = np.clip(rules.dry_off_day(p, t, state.parity[dams], -1, low),
                                  -1, LAST_DAY)
    f = dams[first]
    q = p.per_replicate("cull_daily_probability", state.rep[f])
    wait = rng.geometric(rng.uniform(keys["culling"][state.rep[f]], state.uid[f], t),
                         np.where(q > 0, q, 0.5))
    state.cull_day[f] = np.where(q > 0, np.minimum(t + wait, LAST_DAY), -1)
    state.soon(f[q > 0], state.cull_day[f[q > 0]])
    born = kid_dam[~still]
    idx = state.append(state.rep[born], sex=np.where(male[~still], MALE, FEMALE), birth=t,
                       loc=state.loc[born], quarantine_end=state.quarantine_end[born],
                       batch=state.batch[born])
    z = rng.normal(keys["lactation"][state.rep[idx]], state.uid[idx], 0)
    cum = np.cumsum(p.group_share)
    state.group[idx] = np.minimum(np.searchsorted(
        cum, rng.uniform(keys["grouping"][state.rep[idx]], state.uid[idx], 0), side="right"),
        cum.size - 1)
    state.effect[idx] = [rng.lognormal_of(x, p.effect_sigma) for x in z]
    hazard = p.varying.get("cum_death_hazard", p.cum_death_hazard[None])
    tab = hazard[state.rep[idx] if hazard.shape[0] > 1 else 0, state.sex[idx]]
    clock = tab[:, 0] + rng.exponential(keys["mortality"][state.rep[idx]], state.uid[idx], 0)
    first_age = np.array([np.searchsorted(a, c, side="right") for a, c in zip(tab, clock)])
    state.death_day[idx] = np.minimum(t + first_age, LAST_DAY)
    return litter, kid_dam, still, idx


def _herd(p, R, seed):
    """A herd of R replicates on two locations: does due today at every parity (some in
    quarantine with their batch), other animals, and removed rows (a compacted herd)."""
    g = np.random.default_rng(seed)
    state = HerdState(R, 2, capacity=64, n_groups=p.n_groups)
    n = 3000
    rep = np.sort(g.integers(0, R, n))
    sex = (g.random(n) < 0.2).astype(np.int8)
    parity = np.where(sex == FEMALE, g.integers(0, 8, n), 0)
    state.append(rep, sex=sex, parity=parity, birth=T - g.integers(300, 3000, n),
                 loc=g.integers(0, 2, n),
                 due=np.where((sex == FEMALE) & (g.random(n) < 0.5), T, T + 30),
                 quarantine_end=np.where(g.random(n) < 0.2, T + 10, -1),
                 batch=np.where(g.random(n) < 0.3, g.integers(0, 3, n), -1))
    state.alive[g.random(n) < 0.1] = False
    state.compact()                          # rows past the herd hold their fills again
    state.next_day[:] = LAST_DAY             # nothing on their agenda (rules that set a day
    return state                             # of one make it sooner)


@pytest.mark.parametrize("which", ["point", "batch"])
def test_kidding_is_the_process_as_numpy_expressions(params, batch_params, which):
    p = params if which == "point" else batch_params
    R = 1 if which == "point" else 4
    p = dataclasses.replace(p, stillbirth_risk=0.2)     # stillbirths among every litter size
    keys = replicate_keys(11, np.arange(R))
    a, b = _herd(p, R, 1), _herd(p, R, 1)
    dams = np.flatnonzero((a.due == T) & a.alive)
    n = len(a)
    litter, kid_dam, still, born = rule_kernels.kidding(
        T, dams, a.rows(rule_kernels.kid_room(p, dams)), n, rule_kernels.kidding_rule(p),
        a.n_locations, keys["kidding"], keys["culling"], keys["grouping"], keys["lactation"],
        keys["mortality"], a.next_uid)
    idx = a.take(born)
    want = _numpy_kiddings(b, T, p, keys, dams)
    for got, w in zip((litter, kid_dam, still, idx), want):
        np.testing.assert_array_equal(got, w)
    assert len(a) == len(b) and (a.next_uid == b.next_uid).all()
    for name in a._buf:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        # the rows past the herd still hold their fills (the next births are written there)
        assert (a._buf[name][len(a):] == FIELDS[name][1]).all(), name
    assert set(litter) == {1, 2, 3} and still.any() and (~still).any()
    assert (a.cull_day[dams] >= T).any() and (a.quarantine_end[idx] > 0).any()
    assert (a.batch[idx] >= 0).any() and (a.sex[idx] == MALE).any()
    assert (a.death_day[idx] < LAST_DAY).all() and a.death_day[idx].max() <= T + MAX_AGE_DAYS + 1


def test_random_rank_is_the_rank_in_lexsort_order():
    g = np.random.default_rng(9)
    groups = g.integers(0, 40, 5000)
    u = np.round(g.random(5000), 2)                   # ties: in row order
    order = np.lexsort((u, groups))
    want = np.empty(groups.size, np.int64)
    for k in np.unique(groups):
        rows = order[groups[order] == k]
        want[rows] = np.arange(rows.size)
    np.testing.assert_array_equal(rule_kernels.random_rank(groups, u), want)


def test_gestation_and_abortion_are_the_rules_of_the_mean_path(batch_params):
    p = batch_params
    rule = rule_kernels.pregnancy_rule(p)
    halves = [0.5 / p.gestation_sd_days, 1.5 / p.gestation_sd_days]       # x.5 days: rounding
    z = np.concatenate([np.random.default_rng(2).normal(size=5000), [-1e3], halves])
    got = np.array([rule_kernels.gestation_length_of(x, rule) for x in z])
    np.testing.assert_array_equal(got, rules.gestation_length(p, z))
    assert got.min() == 1
    g = np.random.default_rng(3)
    n = 5000
    conceived = g.integers(-200, 800, n)
    due = conceived + g.integers(1, 160, n)
    t = np.maximum(conceived, 0) + g.integers(0, 5, n)
    u1, u2, risk = g.random(n), g.random(n), g.random(n) * 0.5
    got = np.array([rule_kernels.abortion_day_of(conceived[i], due[i], t[i], risk[i], u1[i],
                                                 u2[i]) for i in range(n)])
    lo, hi = rules.abortion_days(conceived, due, t)
    want = np.where(u1 < risk, lo + np.floor(u2 * (hi - lo + 1)), -1).astype(np.int64)
    np.testing.assert_array_equal(got, want)
    hit = got >= 0
    assert (got[hit] >= t[hit]).all() and (got[hit] >= conceived[hit] + 30).all()


def _numpy_conceive(state, t, p, keys, drawn, by_ai_of_group, room):
    """Which drawn does conceive, and their pregnancies, as NumPy expressions."""
    G = p.n_groups
    g = state.group[drawn]
    by_ai = by_ai_of_group[g]
    service = ~by_ai
    if room.size == 0:
        service[:] = False                  # none served today
    else:
        key = state.cell[drawn].astype(np.int64) * G + g
        sidx = np.flatnonzero(service)
        if (np.bincount(key[sidx], minlength=room.size) > room).any():
            rows = drawn[sidx]
            u = rng.uniform(keys["bucks"][state.rep[rows]], state.uid[rows], t, slot=1)
            order = np.lexsort((u, key[sidx]))
            rank = np.empty(sidx.size, np.int64)
            for k in np.unique(key[sidx]):
                at = order[key[sidx][order] == k]
                rank[at] = np.arange(at.size)
            service[sidx[rank >= room[key[sidx]]]] = False
        np.add.at(state.mated.reshape(-1), key[service], 1)
    done = by_ai | service
    c = drawn[done]
    k, uid = state.rep[c], state.uid[c]
    state.due[c] = t + rules.gestation_length(p, rng.normal(keys["gestation"][k], uid, t))
    aborts = rng.uniform(keys["gestation"][k], uid, t, slot=1) < p.per_replicate(
        "abortion_risk", k)
    lo, hi = rules.abortion_days(t, state.due[c], t)
    day = lo + np.floor(rng.uniform(keys["gestation"][k], uid, t, slot=2) * (hi - lo + 1))
    state.abort_day[c] = np.where(aborts, day, -1)
    state.soon(c, np.where(aborts, day, state.due[c]))
    milk = c[state.lactating[c]]
    rows = p.varying.get("low_yield_dim_days")
    low = None if rows is None else rows[state.rep[milk], np.minimum(state.parity[milk], 3) - 1]
    state.dry_day[milk] = np.clip(rules.dry_off_day(
        p, state.kidded[milk], state.parity[milk], state.due[milk], low), -1, LAST_DAY)
    return c, by_ai[done]


@pytest.mark.parametrize("service", ["ample", "short", "none"])
def test_conceive_is_the_process_as_numpy_expressions(batch_params, service):
    p = dataclasses.replace(batch_params, abortion_risk=0.3)
    p = dataclasses.replace(p, varying={k: v for k, v in p.varying.items()
                                        if k != "abortion_risk"})
    keys = replicate_keys(12, np.arange(4))
    a, b = _herd(p, 4, 2), _herd(p, 4, 2)
    for s in (a, b):
        s.due[:] = -1
        s.lactating[:] = s.parity > 0
        s.kidded[:] = np.where(s.parity > 0, T - 100, NEVER)
        s.group[:] = s.uid % p.n_groups
    drawn = np.flatnonzero(a.alive & (a.sex == FEMALE) & (np.arange(len(a)) % 3 == 0))
    by_ai_of_group = np.array([True] + [False] * (p.n_groups - 1))
    cells = a.n_replicates * a.n_locations * p.n_groups
    room = {"ample": np.full(cells, 1e6), "short": np.random.default_rng(1).integers(
        0, 40, cells).astype(float), "none": np.zeros(0)}[service]
    got = rule_kernels.conceive(T, drawn, a.rows(0), by_ai_of_group, room,
                                a.mated.reshape(-1), p.n_groups, rule_kernels.pregnancy_rule(p),
                                keys["bucks"], keys["gestation"])
    want = _numpy_conceive(b, T, p, keys, drawn, by_ai_of_group, room)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.mated, b.mated)
    for name in a._buf:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    c, ai = got
    assert ai.any() and (~ai).any() == (service != "none")
    assert (c.size < drawn.size) == (service != "ample")
    assert (a.abort_day[c] >= 0).any() and (a.abort_day[c] == -1).any()
    assert (a.dry_day[c] < a.due[c]).any()


def test_abortions_of_arrivals_are_those_of_conceptions(batch_params):
    """Pregnant arrivals get their abortion day with the rule of the conceptions."""
    p = batch_params
    keys = replicate_keys(13, np.arange(4))
    a = _herd(p, 4, 3)
    rows = np.flatnonzero(a.sex == FEMALE)
    a.due[rows] = T + 40 + rows % 100
    conceived = a.due[rows].astype(np.int64) - p.gestation_days
    rule_kernels.schedule_abortions(T, rows, conceived, a.rep, a.uid, a.due, a.abort_day,
                                    keys["gestation"], rule_kernels.pregnancy_rule(p))
    risk = p.per_replicate("abortion_risk", a.rep[rows])
    k, uid = a.rep[rows], a.uid[rows]
    lo, hi = rules.abortion_days(conceived, a.due[rows], T)
    want = np.where(rng.uniform(keys["gestation"][k], uid, T, slot=1) < risk,
                    lo + np.floor(rng.uniform(keys["gestation"][k], uid, T, slot=2)
                                  * (hi - lo + 1)), -1)
    np.testing.assert_array_equal(a.abort_day[rows], want)
    assert (a.abort_day[rows] >= T).any()


def test_spans_hold_every_row_of_their_replicates():
    g = np.random.default_rng(14)
    state = HerdState(6, 2, capacity=16)
    reps = np.array([1, 4, 5])
    for day in range(6):                 # appends and compactions, rows of every replicate
        rep = g.integers(0, 6, 200)
        state.append(rep, sex=np.zeros(200, np.int8), loc=g.integers(0, 2, 200))
        state.alive[g.random(len(state)) < 0.2] = False
        if day % 2:
            state.compact()
        spans = state.spans(reps)
        inside = np.zeros(len(state), bool)
        for a, b in spans:
            inside[a:b] = True
        assert (np.diff(spans.ravel()) >= 0).all()                  # in row order
        assert inside[np.isin(state.rep, reps)].all()
        if day % 2:                  # just compacted: only the rows of those replicates
            assert not inside[~np.isin(state.rep, reps)].any()
        else:
            assert inside.sum() < len(state) or day == 0


def _numpy_replace(state, t, p, keys, females, males, doelings_breed):
    """The keep-or-sell decisions as NumPy expressions (docs/herd-model.md, replacement)."""
    R, L = state.n_replicates, p.n_locations
    cell_count = R * L

    def head_now():
        age = t - state.birth
        alive = state.alive
        older = np.bincount(state.cell[alive & (age > p.decision_age_days)],
                            minlength=cell_count)
        breeding = np.bincount(state.cell[alive & (state.sex == FEMALE)
                                          & (age >= p.min_breeding_age_days)],
                               minlength=cell_count)
        bucks = np.bincount(state.cell[alive & (state.sex == MALE) & state.kept],
                            minlength=cell_count)
        return np.stack([older, breeding, bucks])

    def rank_in(groups, u):
        order = np.lexsort((u, groups))
        rank = np.empty(groups.size, np.int64)
        for g in np.unique(groups):
            at = order[groups[order] == g]
            rank[at] = np.arange(at.size)
        return rank

    empty = np.empty(0, np.int64)
    moved, moved_from, sold_f, head = empty, empty, empty, None
    in_q = ~p.is_farm[state.loc[females]]
    state.kept[females[in_q]] = True
    f = females[~in_q]
    if f.size:
        head = head_now()
        room = np.where(p.is_farm[np.arange(cell_count) % L],
                        np.maximum(rules.target_head(p)[np.arange(cell_count) % L] - head[0],
                                   0), 0)
        u = rng.uniform(keys["replacement"][state.rep[f]], state.uid[f], t)
        cells = state.cell[f].astype(np.int64)
        keep = rank_in(cells, u) < room[cells]
        state.kept[f[keep]] = True
        free = np.maximum(room - np.bincount(cells[keep], minlength=cell_count), 0)
        surplus, su = f[~keep], u[~keep]
        srank = rank_in(state.rep[surplus], su)
        cum = np.cumsum(free.reshape(R, L), axis=1)[state.rep[surplus]]
        slot = np.where(srank < cum[:, -1], (cum <= srank[:, None]).sum(axis=1), -1)
        if doelings_breed:
            head = None
        moved, moved_from = surplus[slot >= 0], state.loc[surplus[slot >= 0]].astype(np.int64)
        state.move(moved, slot[slot >= 0])
        state.kept[moved] = True
        sold_f = surplus[slot < 0]
        state.alive[sold_f] = False
    on = p.is_farm[state.loc[males]]
    m_on, sell = males[on], males[~on]
    if m_on.size:
        _, breeding, bucks = head_now() if head is None else head
        need = np.maximum(np.ceil(breeding / p.does_per_buck) - bucks, 0)
        if p.bucks is not None and not p.bucks.keep_male_kids:
            need[:] = 0
        u = rng.uniform(keys["bucks"][state.rep[m_on]], state.uid[m_on], t, slot=2)
        cells = state.cell[m_on].astype(np.int64)
        keep = rank_in(cells, u) < need[cells]
        state.kept[m_on[keep]] = True
        state.soon(m_on[keep], state.birth[m_on[keep]] + p.buck_max_age_days)
        sell = np.concatenate([sell, m_on[~keep]])
    state.alive[sell] = False
    return moved, moved_from, sold_f, sell


@pytest.mark.parametrize("breed_young", [False, True])
@pytest.mark.parametrize("target", [30, 300])
@pytest.mark.parametrize("bought", [False, True])
def test_replace_is_the_process_as_numpy_expressions(nampo, breed_young, target, bought):
    p = compile_params(nampo)        # a quarantine station and farms
    p = dataclasses.replace(p, capacity_head=np.where(p.is_farm, target, 0),
                            bucks=dataclasses.replace(p.bucks, bought=bought),
                            min_breeding_age_days=(p.decision_age_days - 5 if breed_young
                                                   else p.decision_age_days + 60))
    L = p.n_locations
    R, n = 3, 6000
    keys = replicate_keys(16, np.arange(R))
    states = []
    for _ in range(2):
        s = HerdState(R, L, capacity=64, n_groups=p.n_groups)
        gg = np.random.default_rng(17)
        rep = np.sort(gg.integers(0, R, n))
        sex = (gg.random(n) < 0.4).astype(np.int8)
        age = np.where(gg.random(n) < 0.3, np.where(sex == FEMALE, p.decision_age_days,
                                                     p.male_sale_age_days),
                       gg.integers(1, 3000, n))
        s.append(rep, sex=sex, birth=T - age, loc=gg.integers(0, L, n),
                 kept=(age > 400) & (gg.random(n) < np.where(sex == FEMALE, 0.7, 0.01)))
        s.next_day[:] = LAST_DAY
        states.append(s)
    a, b = states
    age = T - a.birth
    females = np.flatnonzero((age == p.decision_age_days) & (a.sex == FEMALE) & ~a.kept)
    males = np.flatnonzero((age == p.male_sale_age_days) & (a.sex == MALE) & ~a.kept)
    got = rule_kernels.replace(T, females, males, a.rows(0), len(a), R, L,
                               rule_kernels.replacement_rule(p), keys["replacement"],
                               keys["bucks"])
    want = _numpy_replace(b, T, p, keys, females, males, rule_kernels.doelings_breed(p))
    assert rule_kernels.doelings_breed(p) == breed_young
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x, y)
    for name in a._buf:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    moved, _, sold_f, sold_m = got
    assert (moved.size > 0 if target == 300 else sold_f.size > 0)  # room on farms, or none
    kept_bucks = a.kept[males] & (a.next_day[males] < LAST_DAY)
    assert sold_m.size and kept_bucks.any() != bought
    assert (~p.is_farm[a.loc[females]] & a.kept[females]).any()


def _culled_by_rule(state, t, p, idx):
    """The does of ``idx`` open, dry, alive and under a culling rule (NumPy)."""
    resting = ~state.lactating[idx] & (state.due[idx] < 0) & state.alive[idx]
    rule = rules.culled_when_open_and_dry(p, state.parity[idx], state.failed[idx],
                                          t - state.birth[idx])
    return idx[resting & rule & (state.sex[idx] == FEMALE)]


def test_culls_dry_offs_and_failed_windows_are_the_rules_as_numpy_expressions(params):
    p = dataclasses.replace(params, max_parity=5, max_failed_windows=2)
    rule = rule_kernels.cull_rule(p)
    a, b = _herd(p, 2, 4), _herd(p, 2, 4)
    n = len(a)
    for s in (a, b):           # in milk, pregnant, failed windows, culling days, old age
        g = np.random.default_rng(18)
        s.lactating[:] = (s.parity > 0) & (g.random(n) < 0.5)
        s.kidded[:] = np.where(s.parity > 0, T - g.integers(0, 500, n), NEVER)
        s.due[:] = np.where(g.random(n) < 0.3, T + g.integers(1, 150, n), -1)
        s.failed[:] = g.integers(0, 4, n)
        s.cull_day[:] = np.where(g.random(n) < 0.2, T, -1)
        s.birth[np.arange(0, n, 7)] = T - p.max_age_days
        s.birth[np.arange(3, n, 11)] = T - p.buck_max_age_days
        s.kept[:] = g.random(n) < 0.5
        s.dry_day[:] = T + g.integers(-3, 4, n)
        s.conceptus_short_mj[:] = g.random(n).astype(np.float32)
    rows = a.rows(0)
    idx = np.flatnonzero(a.alive & (np.arange(n) % 2 == 0))
    # culls of the day's agenda
    got = rule_kernels.cull_today(T, idx, rows, rule)
    age, sex, cull_day = T - b.birth[idx], b.sex[idx], b.cull_day[idx]
    cull = (cull_day == T) | (age == p.max_age_days)
    cull |= rules.buck_retired(p, age) & (sex == MALE) & b.kept[idx]
    cull &= ~((sex == FEMALE) & (b.lactating[idx] | (b.due[idx] >= 0)) & (cull_day != T))
    want = idx[cull]
    b.alive[want] = False
    np.testing.assert_array_equal(got, want)
    assert (age[cull] == p.max_age_days).any()
    assert ((sex[cull] == MALE) & (age[cull] == p.buck_max_age_days)).any()
    # pregnancies that end without kids
    ending = np.flatnonzero(a.alive & (a.due >= 0))[::3]
    got = rule_kernels.end_pregnancies(T, ending, rows, rule)
    b.due[ending], b.abort_day[ending], b.conceptus_short_mj[ending] = -1, -1, 0.0
    milk = ending[b.lactating[ending]]
    b.dry_day[milk] = np.clip(rules.dry_off_day(p, b.kidded[milk], b.parity[milk], -1), -1,
                              LAST_DAY)
    want = _culled_by_rule(b, T, p, ending)
    b.alive[want] = False
    np.testing.assert_array_equal(got, want)
    assert want.size > 0
    # dry-offs
    dried, got = rule_kernels.dry_off_today(T, rows, n, rule)
    want_dried = np.flatnonzero(b.lactating & (b.dry_day <= T) & b.alive)
    b.lactating[want_dried] = False
    want = _culled_by_rule(b, T, p, want_dried)
    b.alive[want] = False
    np.testing.assert_array_equal(dried, want_dried)
    np.testing.assert_array_equal(got, want)
    assert want.size > 0 and want.size < dried.size
    # the last day of a window
    window_ends = np.array([True] + [False] * (p.n_groups - 1))
    eligible = np.flatnonzero(a.alive & (a.sex == FEMALE))
    got = rule_kernels.count_failed_windows(T, eligible, window_ends, rows, rule)
    hit = eligible[(b.due[eligible] < 0) & window_ends[b.group[eligible]]]
    b.failed[hit] = np.minimum(b.failed[hit].astype(np.int16) + 1, 127)
    want = _culled_by_rule(b, T, p, hit)
    b.alive[want] = False
    np.testing.assert_array_equal(got, want)
    assert want.size > 0 and (b.failed[hit] == 2).any()
    for name in a._buf:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
