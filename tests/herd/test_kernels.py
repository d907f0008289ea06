"""The compiled passes of the herd (capra.herd.kernels, capra.herd.feed_kernels, the draws
of capra.herd.rng) against the NumPy expressions they stand for, on random herds that
reach every branch: integers equal, floats equal to the bit where the sums run in the same
order, else within summation error."""


import numpy as np
import pytest

from capra.feed.budget import feed_amount
from capra.herd import feed_kernels, feeding, kernels, rng, rules
from capra.herd.params import MALE, MAX_AGE_DAYS, compile_params
from capra.herd.processes import _CLASS_LUT
from capra.herd.state import LAST_DAY

T = 900                    # the day of the checks
R, L = 3, 4                # replicates and locations of the random herds
N = 5000                   # rows


@pytest.fixture(scope="module")
def herd():
    """A random herd: every class, removed rows, pregnancies at every stage, does in milk
    from the first day of their lactation, bucks past their retirement age."""
    g = np.random.default_rng(7)
    rep = g.integers(0, R, N).astype(np.int32)
    loc = g.integers(0, L, N).astype(np.int16)
    sex = (g.random(N) < 0.3).astype(np.int8)
    parity = np.where(sex == 0, g.integers(0, 6, N), 0).astype(np.int16)
    birth = (T - g.integers(0, 4000, N)).astype(np.int32)
    due = np.where((sex == 0) & (g.random(N) < 0.4), T + g.integers(0, 151, N), -1)
    lactating = (parity > 0) & (g.random(N) < 0.6)
    kidded = np.where(parity > 0, T - g.integers(0, 600, N), -100_000_000)
    return {
        "rep": rep, "loc": loc, "cell": rep.astype(np.int64) * L + loc, "sex": sex,
        "parity": parity, "birth": birth, "due": due.astype(np.int32),
        "lactating": lactating, "kidded": kidded.astype(np.int32),
        "alive": g.random(N) < 0.9, "effect": g.lognormal(0, 0.2, N).astype(np.float32),
        "kept": g.random(N) < 0.5, "group": g.integers(0, 2, N).astype(np.int8),
        "cull_day": np.where(g.random(N) < 0.01, T, -1).astype(np.int32),
        "lag": (g.random(N) * 40).astype(np.float32),
        "lost_kg": (g.random(N) * 3).astype(np.float32),
    }


@pytest.fixture(scope="module")
def params(nampo):
    return compile_params(nampo)


def test_census_counts_and_milk_are_those_of_the_class_table(herd, params):
    h, p = herd, params
    table = np.random.default_rng(1).random((R, 3, 700))
    heat = np.random.default_rng(2).random((R, T + 5)) + 0.5      # each replicate's own
    outbreak = np.random.default_rng(4).random(R * L) + 0.5
    factor = np.repeat(heat[:, T], L) * outbreak
    is_farm = np.array([True, True, True, False])
    c16, stocks, rows, kg, kind, by_kind, milk, _ = kernels.census(
        T, h["sex"], h["parity"], h["lactating"], h["birth"], h["alive"], h["due"],
        h["cell"], h["kidded"], h["effect"], h["rep"], h["loc"], p.weaning_age_days,
        p.buck_min_breeding_age_days, p.colostrum_days, _CLASS_LUT, table, heat, outbreak,
        True, is_farm, feeding.feed_tables(p), h["lag"], h["lost_kg"][:0], R * L)
    age = T - h["birth"]
    bits = (h["sex"].astype(np.int64) | (h["parity"] > 0) << 1 | h["lactating"] << 2
            | (age >= p.weaning_age_days) << 3 | (age >= p.buck_min_breeding_age_days) << 4
            | (~h["alive"]) << 5 | (h["due"] >= 0) << 6 | (age < p.colostrum_days) << 7)
    expected = _CLASS_LUT[bits]
    np.testing.assert_array_equal(c16, expected)
    cls, preg = expected // 2, expected % 2
    for col, want in enumerate([(cls == 0) | (cls == 7), cls == 1, cls == 2, cls == 3,
                                cls == 4, cls == 5, (cls != 6) & (preg == 1), cls != 6,
                                cls == 0]):
        np.testing.assert_array_equal(
            stocks[col], np.bincount(h["cell"][want], minlength=R * L), err_msg=str(col))
    assert stocks[4].sum() > 0 and stocks[3].sum() > 0 and stocks[6].sum() > 0
    li = np.flatnonzero(h["lactating"] & h["alive"])
    np.testing.assert_array_equal(rows, li)
    dim = T - h["kidded"][li]
    want_kg = table[h["rep"][li], np.minimum(h["parity"][li], 3) - 1, dim]
    want_kg *= h["effect"][li]
    want_kg *= factor[h["cell"][li]]
    np.testing.assert_array_equal(kg, want_kg)        # the same operations: to the bit
    # the kinds and the milk by kind: those of milk_by_kind
    want_by, want_kind = kernels.milk_by_kind(T, li, kg, h["cell"], h["kidded"], h["loc"],
                                              p.colostrum_days, True, is_farm, R * L)
    np.testing.assert_array_equal(kind, want_kind)
    np.testing.assert_array_equal(by_kind, want_by)
    assert (by_kind > 0).any(axis=0).all() and set(kind) == {0, 1, 2}
    # the milk and ADG/FCM of the does for the feeding: the NumPy rule of the feeding
    fp = p.feeding
    fk = feeding._table_index(fp, T - h["birth"][li], c16[li], h["lag"][li])
    np.testing.assert_array_equal(milk[0], np.bincount(h["cell"][li], kg, R * L))
    np.testing.assert_array_equal(
        milk[1], np.bincount(h["cell"][li], feeding._adg_per_fcm(fp, fk, kg), R * L))
    # without the feeding: no sums for it, the rest the same
    again = kernels.census(
        T, h["sex"], h["parity"], h["lactating"], h["birth"], h["alive"], h["due"],
        h["cell"], h["kidded"], h["effect"], h["rep"], h["loc"], p.weaning_age_days,
        p.buck_min_breeding_age_days, p.colostrum_days, _CLASS_LUT, table, heat, outbreak,
        True, is_farm, feeding._no_feed()[0], h["lag"][:0], h["lost_kg"][:0], R * L)
    assert again[6].shape == (2, 0) and again[7].shape == (0, 3)
    for x, y in zip(again[:6], (c16, stocks, rows, kg, kind, by_kind)):
        np.testing.assert_array_equal(x, y)


def test_milk_by_kind_is_the_weighted_count_and_the_deliverable_milk(herd):
    h = herd
    li = np.flatnonzero(h["lactating"] & h["alive"])
    kg = np.random.default_rng(3).random(li.size) * 3
    is_farm = np.array([True, True, True, False])
    drinking = np.random.default_rng(5).integers(0, 40, R * L)
    kid_milk = np.random.default_rng(6).random(R) * 1.5
    for lost, tank in ((False, np.ones(L, bool)), (True, np.array([True, False] * 2))):
        by_kind, kind = kernels.milk_by_kind(T, li, kg, h["cell"], h["kidded"], h["loc"], 3,
                                             lost, is_farm, R * L)
        want_kind = (T - h["kidded"][li] < 3).astype(np.int8)
        if lost:
            want_kind = np.where((want_kind == 0) & ~is_farm[h["loc"][li]], 2, want_kind)
        np.testing.assert_array_equal(kind, want_kind)
        by = np.bincount(h["cell"][li] * 3 + want_kind, kg, R * L * 3).reshape(R * L, 3)
        np.testing.assert_array_equal(by_kind, by)
        out = np.full((5, R, L), np.nan, np.float32)
        kernels.milk_outputs(by_kind, drinking, kid_milk, tank, out)
        by = by.reshape(R, L, 3)
        gross = by.sum(axis=2).astype(np.float32)
        np.testing.assert_array_equal(out[0], gross)
        np.testing.assert_array_equal(out[1], by[:, :, 1].astype(np.float32))
        np.testing.assert_array_equal(out[3], by[:, :, 2].astype(np.float32))
        assert (out[3] > 0).any() == lost
        # the kids' milk and the milk delivered: the NumPy rule of the mean path
        demand = (drinking.reshape(R, L) * kid_milk[:, None]).astype(np.float32) * tank
        fed, delivered = rules.deliverable_milk(gross, out[1], out[3], demand)
        np.testing.assert_array_equal(out[2], fed)
        np.testing.assert_array_equal(out[4], delivered)
        assert (out[2] > 0).any() and (out[4] > 0).any()
        assert ((out[2] < demand) == (demand > 0) & (gross - out[1] - out[3] < demand)).all()


def _census(h, p, tables, lag, lost_kg):
    """The census of the herd ``h`` on day T with the feeding's ``tables``."""
    return kernels.census(
        T, h["sex"], h["parity"], h["lactating"], h["birth"], h["alive"], h["due"],
        h["cell"], h["kidded"], h["effect"], h["rep"], h["loc"], p.weaning_age_days,
        p.buck_min_breeding_age_days, p.colostrum_days, _CLASS_LUT, p.milk_table[None],
        np.ones((1, T + 1)), np.zeros(0), False, np.ones(L, bool), tables, lag, lost_kg,
        R * L)


@pytest.mark.parametrize("lagging", [False, True])
def test_census_sums_the_requirements_of_the_rows(herd, params, lagging):
    h, p = herd, params
    fp = p.feeding
    graze = np.array([True, False, True, False])
    none = np.zeros(0, np.float32)
    lost = h["lost_kg"].copy()
    lost[::7] = 0.0
    lost[::11] = -4e-9                 # a loss regained to a rounding below nil: counted
    lag, lost = (h["lag"], lost) if lagging else (none, none)
    age = T - h["birth"]
    tables = feeding.feed_tables(p)._replace(
        grazing=np.repeat(graze[:, None], T + 1, axis=1))
    c16, *_, sums = _census(h, p, tables, lag, lost)
    # the NumPy expressions of capra.herd.feeding, row by row, then summed by bincount
    fk = feeding._table_index(fp, age, c16, h["lag"] if lagging else None)
    me, dmi, cp = (np.where(graze[h["loc"]], tab[1][fk], tab[0][fk])
                   for tab in (fp.me, fp.dmi, fp.cp))
    due = h["due"] - T
    late = np.flatnonzero(due.view(np.uint32) <= p.gestation_days - fp.preg_first_day)
    assert late.size > 100
    for total, part in zip((me, dmi, cp), feeding._pregnancy_parts(
            fp, p.gestation_days - due[late], h["parity"][late], fp.mature[fk[late]])):
        total[late] += part
    if lagging:
        regain = (np.minimum(lost, fp.max_regain_kg_per_day)
                  * fp.tissue_me_mj_per_kg)
        me += regain
        dmi += regain / fp.ration_me
    fed = (c16 >= 2) & (c16 < 12)                  # kids and removed animals: not fed
    code = h["cell"] * 16 + c16
    for q, values in enumerate((me, dmi, cp)):
        want = np.bincount(code[fed], values[fed], R * L * 16)
        np.testing.assert_array_equal(sums[:, q], want)


def test_selections_are_those_of_the_masks(herd, params):
    h, p = herd, params
    in_window = np.array([True, False])
    is_farm = np.array([True, True, False, True])
    g = np.random.default_rng(6)
    uid = np.arange(N, dtype=np.int64)
    key = g.integers(0, 2**63, R).astype(np.uint64)
    intake = g.random(N).astype(np.float32)
    f0 = 0.4
    for lag, prob in ((np.zeros(N, np.float32), np.array([[0.3, 0.6]])),
                      (h["lag"], g.random((R, 2)))):         # one table, or each replicate's
        for fed in (np.zeros(0, np.float32), intake):
            got, conceives = kernels.breeding_draws(
                T, h["due"], h["sex"], h["alive"], h["group"], in_window, h["loc"],
                is_farm, h["birth"], lag, h["kidded"], p.min_breeding_age_days,
                p.postpartum_interval_days, h["rep"], uid, key, prob, fed, f0)
            age = (T - h["birth"]) - lag.astype(np.int64)
            want = np.flatnonzero((h["due"] < 0) & (h["sex"] == 0) & h["alive"]
                                  & in_window[h["group"]] & is_farm[h["loc"]]
                                  & rules.can_breed(p, age, T - h["kidded"]))
            assert want.size > 50
            np.testing.assert_array_equal(got, want)
            # the rule of docs/herd-model.md (the share fed yesterday, float32 as the
            # intake), and the draw
            k = h["rep"][want]
            q = prob[k if prob.shape[0] > 1 else 0, h["group"][want]]
            if fed.size:
                q = q * (1.0 - (1.0 - f0) * (1.0 - fed[want]))
            u = rng.uniform(key[k], uid[want], T)
            np.testing.assert_array_equal(conceives, u < q)
            assert 0 < conceives.sum() < want.size
    # the day's agenda: each bit the mask of its process
    g = np.random.default_rng(9)
    qend = np.where(g.random(N) < 0.02, T, np.where(g.random(N) < 0.5, T + 5, -1))
    death = np.where(g.random(N) < 0.02, T, T + g.integers(1, 900, N))
    abort = np.where(g.random(N) < 0.02, T, -1)
    age = T - h["birth"]
    oldest, dec, sale = (int(a) for a in age[np.flatnonzero(h["alive"])[:3]])   # present ages
    bucks_retire = int(np.median(age[(h["sex"] == MALE) & h["kept"]]))
    fields = (h["alive"], qend.astype(np.int32), death.astype(np.int32), h["cull_day"],
              h["birth"], h["sex"], h["kept"], abort.astype(np.int32), h["due"])
    ages = (oldest, dec, sale, bucks_retire)
    next_day = np.full(N, -1, np.int32)                  # every row looked at
    rows, what = kernels.agenda(T, next_day, *fields, *ages)
    assert (next_day[h["alive"]] > T).all() and (next_day[~h["alive"]] == LAST_DAY).all()
    # day after day, the rows looked at by their next day are those of every row
    for t in range(T + 1, T + 400):
        got = kernels.agenda(t, next_day, *fields, *ages)
        want = kernels.agenda(t, np.full(N, -1, np.int32), *fields, *ages)
        for x, y in zip(got, want):
            np.testing.assert_array_equal(x, y, err_msg=str(t))
    assert (next_day[h["alive"]] > t).all()
    retiring = (h["sex"] == MALE) & h["kept"] & (age >= bucks_retire)
    assert 0 < (h["alive"] & retiring).sum() < (h["alive"] & (h["sex"] == MALE) & h["kept"]).sum()
    masks = [qend == T, death == T, (h["cull_day"] == T) | (age == oldest) | retiring,
             abort == T, h["due"] == T, age == dec, age == sale]
    for bit, mask in zip((kernels.AGENDA_RELEASE, kernels.AGENDA_DEATH, kernels.AGENDA_CULL,
                          kernels.AGENDA_ABORTION, kernels.AGENDA_KIDDING,
                          kernels.AGENDA_DOELING, kernels.AGENDA_MALE_KID), masks):
        want = np.flatnonzero(h["alive"] & mask)
        assert want.size > 0, bit
        np.testing.assert_array_equal(rows[(what & bit) != 0], want, err_msg=str(bit))
    np.testing.assert_array_equal(rows, np.flatnonzero(h["alive"] & np.any(masks, axis=0)))
    # a process's rows of the agenda: its bit, still alive, its day field still today
    alive_now = h["alive"] & (g.random(N) < 0.8)            # some removed since the agenda
    day_now = (T + g.integers(-1, 2, N)).astype(np.int32)    # the day field changed since
    for bit, day in ((kernels.AGENDA_DEATH, day_now), (kernels.AGENDA_CULL, day_now[:0])):
        on_day = day == T if day.size else np.ones(N, bool)
        marked = rows[((what & bit) != 0) & alive_now[rows]]
        want = marked[on_day[marked]]
        assert 0 < want.size and marked.size < ((what & bit) != 0).sum()
        assert (want.size < marked.size) == (day.size > 0)
        np.testing.assert_array_equal(
            kernels.on_agenda(rows, what, bit, alive_now, day.astype(np.int32), T), want)
    head = kernels.head_for_replacement(T, h["birth"], h["sex"], h["kept"], h["alive"],
                                        h["cell"], 120, 240, R * L)
    age = T - h["birth"]
    for row, mask in enumerate([age > 120, (h["sex"] == 0) & (age >= 240),
                                (h["sex"] == MALE) & h["kept"]]):
        np.testing.assert_array_equal(
            head[row], np.bincount(h["cell"][h["alive"] & mask], minlength=R * L))
    # the does to dry off, the kept males
    dry_day = np.where(h["lactating"], T + g.integers(-3, 4, N), -1).astype(np.int32)
    np.testing.assert_array_equal(
        kernels.rows_to_dry(T, h["lactating"], dry_day, h["alive"]),
        np.flatnonzero(h["lactating"] & (dry_day <= T) & h["alive"]))
    np.testing.assert_array_equal(kernels.kept_males(h["sex"], h["kept"], h["alive"]),
                                  np.flatnonzero(h["kept"] & (h["sex"] == MALE) & h["alive"]))
    # the ages summed by cell: of the does that kidded today, of the males old enough
    kidded = np.where(g.random(N) < 0.05, T, h["kidded"])
    edge = int(age[(h["sex"] == MALE) & h["alive"]][7])           # a male's age today
    for today in (True, False):
        ages = kernels.ages_by_cell(T, kidded, h["sex"], h["alive"], h["birth"], today, edge,
                                    h["cell"], R * L)
        dams = h["alive"] & (kidded == T) & today
        old = h["alive"] & (h["sex"] == MALE) & (age >= edge)
        assert old.sum() > 0 and (dams.sum() > 0) == today
        for row, mask in enumerate((dams, old)):
            np.testing.assert_array_equal(
                ages[row], np.bincount(h["cell"][mask], weights=age[mask], minlength=R * L))
    # the bucks that may serve, by cell
    males = h["kept"] & (h["sex"] == MALE) & h["alive"]
    oldest_buck = int(np.sort(age[males & is_farm[h["loc"]]])[5])      # one buck's age
    bucks = males & is_farm[h["loc"]] & (age >= oldest_buck)
    assert 0 < bucks.sum() < males.sum()
    np.testing.assert_array_equal(
        kernels.breeding_bucks(T, h["sex"], h["kept"], h["alive"], h["loc"], is_farm,
                               h["birth"], oldest_buck, h["cell"], R * L),
        np.bincount(h["cell"][bucks], minlength=R * L))


def test_outbreak_draws_are_the_rules_of_the_health_module(herd):
    """Deaths and abortions in the cells with an outbreak: the NumPy expressions of
    capra.herd.health, draw for draw."""
    h = herd
    g = np.random.default_rng(11)
    active = g.random(R * L) < 0.5
    survive, keep = 1.0 - 0.3 * g.random(R * L), 0.2 + 0.2 * g.random(R * L)
    key = g.integers(0, 2**63, R).astype(np.uint64)
    uid = g.permutation(N).astype(np.int64)
    gestation, from_day, slot_death, slot_abort = 150, 30, 33, 34
    # the rows looked at in spans (all of them here, in two spans)
    spans = np.array([[0, N // 3], [N // 3, N]])
    dead, hit = kernels.outbreak_draws(T, spans, active, survive, keep, h["cell"],
                                       h["alive"], h["rep"], uid, h["due"], key, gestation,
                                       from_day, slot_death, slot_abort)
    idx = np.flatnonzero(active[h["cell"]] & h["alive"])
    c, k = h["cell"][idx], h["rep"][idx]
    dies = rng.uniform(key[k], uid[idx], T, slot_death) < 1.0 - survive[c]
    np.testing.assert_array_equal(dead, idx[dies])
    left, c, k = idx[~dies], c[~dies], k[~dies]
    due = h["due"][left].astype(np.int64)
    pregnant = (due > T) & (T - (due - gestation) >= from_day)
    aborts = pregnant & (rng.uniform(key[k], uid[left], T, slot_abort) < 1.0 - keep[c])
    np.testing.assert_array_equal(hit, left[aborts])
    assert dead.size > 20 and hit.size > 20
    assert (T - (h["due"][hit] - gestation) == from_day).any()   # the first day counts
    # rows outside the spans are not looked at
    part, _ = kernels.outbreak_draws(T, spans[1:], active, survive, keep, h["cell"],
                                     h["alive"], h["rep"], uid, h["due"], key, gestation,
                                     from_day, slot_death, slot_abort)
    np.testing.assert_array_equal(part, dead[dead >= N // 3])


def test_lifelong_draws_and_death_days_are_their_numpy_expressions(herd, params):
    h, p = herd, params
    g = np.random.default_rng(8)
    rows = np.sort(g.choice(N, 700, replace=False))
    keys = {name: g.integers(0, 2**63, R).astype(np.uint64)
            for name in ("grouping", "lactation", "mortality")}
    uid = g.permutation(N).astype(np.int64)
    group, effect = np.full(N, -1, np.int8), np.zeros(N, np.float32)
    share = np.array([0.2, 0.5, 0.3])
    kernels.lifelong_draws(rows, h["rep"], uid, group, effect, keys["grouping"],
                           keys["lactation"], np.cumsum(share), 0.25)
    k = h["rep"][rows]
    u = rng.uniform(keys["grouping"][k], uid[rows], 0)
    np.testing.assert_array_equal(group[rows], np.minimum(
        np.searchsorted(np.cumsum(share), u, side="right"), 2))
    assert set(np.unique(group[rows])) == {0, 1, 2}
    z = rng.normal(keys["lactation"][k], uid[rows], 0)
    want = np.array([rng.lognormal_of(x, 0.25) for x in z], np.float32)
    np.testing.assert_array_equal(effect[rows], want)
    np.testing.assert_allclose(want, np.exp(0.25 * z - 0.25 ** 2 / 2), rtol=1e-7)
    assert (np.delete(effect, rows) == 0).all() and (np.delete(group, rows) == -1).all()
    # death clocks, one table or each replicate's own
    age = T - h["birth"][rows].astype(np.int64)
    for tables in (p.cum_death_hazard[None], p.cum_death_hazard[None] * (1 + g.random((R, 1, 1)))):
        death = np.full(N, -7, np.int32)
        kernels.death_days(rows, age, h["rep"], uid, h["sex"], h["birth"], keys["mortality"],
                           tables, MAX_AGE_DAYS, death)
        tab = tables[k if tables.shape[0] > 1 else 0, h["sex"][rows]]        # (rows, ages)
        clock = (tab[np.arange(rows.size), np.clip(age - 1, 0, MAX_AGE_DAYS)]
                 + rng.exponential(keys["mortality"][k], uid[rows], 0))
        first = np.array([np.searchsorted(t_, c, side="right") for t_, c in zip(tab, clock)])
        want = np.minimum(h["birth"][rows] + np.maximum(first, age), np.iinfo(np.int32).max)
        np.testing.assert_array_equal(death[rows], want)
        assert (death[rows] >= T).all() and (np.delete(death, rows) == -7).all()


def _feed_numpy(need_me, need_dm, kind, me_s, conc, conc_share, dense_bought, all_bought,
                supply, tiny):
    """The feeding of the priority groups as array operations over all cells at once (the
    rule of capra.herd.feeding._feed, with capra.feed.budget.feed_amount)."""
    R_, L_, G = need_me.shape
    S = kind.shape[1]
    fed = np.zeros((R_, L_, S))
    need, room = need_me.copy(), need_dm.copy()
    conc_room = conc_share * need_dm.sum(axis=2, keepdims=True) if conc.any() else None
    for top_up in (False, True):
        if top_up and not (need > tiny).any():
            break
        for s in range(S):
            if (kind[:, s] == 0).all():
                continue
            if top_up:
                dense = 0.0
            elif all_bought:
                dense = dense_bought[None, :, s, None]
            else:
                later = np.where(supply[:, :, s + 1:] > 0, me_s[None, :, s + 1:], 0.0)
                dense = later.max(axis=2)[:, :, None] if later.shape[2] else 0.0
            x = feed_amount(need, np.inf, me_s[None, :, s, None], room, dense)
            c = conc_room is not None and conc[:, s].any()
            if c:
                before = np.cumsum(x, axis=2) - x
                x = np.where(conc[None, :, s, None],
                             np.minimum(x, np.maximum(conc_room - before, 0.0)), x)
            if not all_bought:
                before = np.cumsum(x, axis=2) - x
                x = np.minimum(x, np.maximum(supply[:, :, s, None] - before, 0.0))
                supply[:, :, s] -= x.sum(axis=2)
            x *= (kind[:, s] != 0)[None, :, None]
            if c:
                conc_room = conc_room - (x * conc[None, :, s, None]).sum(axis=2, keepdims=True)
            fed[:, :, s] += x.sum(axis=2)
            need -= x * me_s[None, :, s, None]
            np.maximum(need, 0.0, out=need)
            room -= x
    return fed, need


@pytest.mark.parametrize("all_bought", [False, True])
def test_feed_groups_is_the_feeding_rule_on_arrays(all_bought):
    g = np.random.default_rng(6 + all_bought)
    G, S = 4, 4
    need_me = g.random((R, L, G)) * 400
    need_dm = need_me / 10.0 * g.uniform(0.9, 1.4, (R, L, G))
    kind = g.integers(1, 4, (L, S)).astype(np.int8)                 # pasture, stock, bought
    kind[0, 3] = 0                                                  # a feed a farm lacks
    if all_bought:
        kind[kind != 0] = 3
    me_s = g.uniform(7.0, 13.0, (L, S))
    conc = g.random((L, S)) < 0.4
    dense = feeding._dense_bought(kind, me_s)
    supply = np.where(kind == 3, np.inf, g.random((R, L, S)) * 200 * (g.random((R, L, S)) < 0.8))
    want_supply = supply.copy()
    fed, need = feed_kernels.feed_groups(need_me, need_dm, kind, me_s, conc, 0.3, dense,
                                    all_bought, supply, 1e-6)
    want_fed, want_need = _feed_numpy(need_me, need_dm, kind, me_s, conc, 0.3, dense,
                                      all_bought, want_supply, 1e-6)
    np.testing.assert_array_equal(fed, want_fed)
    np.testing.assert_array_equal(need, want_need)
    if not all_bought:
        np.testing.assert_array_equal(supply, want_supply)
        assert (need > 1e-6).any()          # some groups went short: the top-up ran
    assert (fed[:, 0, 3] == 0).all()


def test_feed_needs_are_the_requirement_milk_and_group_sums(herd, params):
    h, p = herd, params
    fp = p.feeding
    c16 = np.random.default_rng(13).integers(0, 16, N).astype(np.int8)
    li = np.flatnonzero(h["lactating"] & h["alive"])
    kg = np.random.default_rng(14).random(li.size) * 3
    tables = feeding.feed_tables(p)
    fk = feeding._table_index(p.feeding, T - h["birth"][li], c16[li], h["lag"][li])
    milk = np.bincount(h["cell"][li], kg, R * L)
    ratio = np.bincount(h["cell"][li], feeding._adg_per_fcm(p.feeding, fk, kg), R * L)
    need = np.random.default_rng(15).random((R * L * 16, 3)) * 50     # the rows' sums
    want = need.reshape(R, L, 16, 3).copy()
    sums, by_group = feed_kernels.feed_needs(need, np.stack([milk, ratio]), tables, 4, R * L)
    milk, ratio = milk.reshape(R, L), ratio.reshape(R, L)
    for q, part in enumerate(feeding._milk_parts(fp, milk, ratio)):     # the NumPy rule
        want[:, :, 8, q] += part
    assert (milk > 0).any()
    np.testing.assert_array_equal(sums.reshape(R, L, 16, 3), want)
    np.testing.assert_array_equal(by_group.reshape(R, L, 3, 4),
                                  feed_kernels.group_sums(want, feeding._GROUP_OF_CODE, 4))


@pytest.mark.parametrize("case", ["stores", "all bought", "all bought, responding"])
def test_feed_farms_is_the_day_of_feeding_on_arrays(case):
    """The stocks and pasture of the day, the feeding, the budget, the share fed and the
    ME by class, against the NumPy expressions of the feeding (``_feed_numpy``,
    ``_budget_numpy``)."""
    g = np.random.default_rng(15 + len(case))
    G, S, D, t = 4, 4, 40, 17
    all_bought, responding = case.startswith("all bought"), case.endswith("responding")
    by_group = g.random((R, L, 3, G)) * 400
    if not all_bought:
        by_group[:, 0, 0] *= 50.0                 # more than the first farm's feeds
    by_group[:, :, 1] = by_group[:, :, 0] / 7.0 * g.uniform(1.0, 1.4, (R, L, G))
    sums = g.random((R, L, 16, 3)) * 100
    kind = g.integers(1, 4, (L, S)).astype(np.int8)
    kind[0] = (1, 2, 2, 0)               # a farm that buys nothing: it can run short
    if all_bought:
        kind[kind != 0] = 3
    me_s = g.uniform(7.0, 13.0, (L, S))
    conc = g.random((L, S)) < 0.4
    farms = feed_kernels.FeedFarms(
        kind, me_s, conc, 0.3, feeding._dense_bought(kind, me_s), all_bought,
        g.random((L, D)) * 300, g.random((L, S, D)) * 50 * (g.random((L, S, D)) < 0.3),
        g.random((L, S)) * 200, g.random(L) * 0.01, g.random(L) * 400,
        g.uniform(0.2, 0.95, (L, S)), g.random((L, S)) * 300, g.random(L),
        g.random((L, D)) * 100, feeding._GROUP_OF_CODE)
    stock = g.random((R, L, S)) * 300
    pasture = g.random((R, L, S)) * 100
    n_q = len(feeding.MONTHLY)
    day = np.zeros((R, L, n_q))
    source_dm, closing = np.ones((R, L, S)), np.full((R, L, S), -1.0)
    monthly = np.ones((R, L, n_q))
    want_stock, want_pasture = stock.copy(), pasture.copy()
    short, share = feed_kernels.feed_farms(t, by_group, sums, stock, pasture, farms, True,
                                           1e-6, day, source_dm, closing, monthly,
                                           responding)
    # the NumPy expressions
    need_me, need_dm, need_cp = (np.ascontiguousarray(by_group[:, :, q]) for q in range(3))
    if not all_bought:
        want_pasture[:] = 0.0                                     # a new month
        want_pasture += farms.pasture_kg[None, :, t, None] * (kind == 1)
        want_stock += farms.deliveries_kg[:, :, t]
    supply = np.where(kind == 1, want_pasture, np.where(kind == 2, want_stock,
                                                        np.where(kind == 3, np.inf, 0.0)))
    fed, need = _feed_numpy(need_me, need_dm, kind, me_s, conc, 0.3, farms.dense_bought,
                            all_bought, np.zeros((R, L, S)) if all_bought else supply, 1e-6)
    if not all_bought:
        want_pasture = np.where(kind == 1, supply, want_pasture)
        want_stock = np.where(kind == 2, supply, want_stock)
        np.testing.assert_array_equal(closing, np.where(kind == 2, want_stock, 0.0) / 1000.0)
    np.testing.assert_array_equal(stock, want_stock)
    np.testing.assert_array_equal(pasture, want_pasture)
    np.testing.assert_array_equal(source_dm, 1.0 + fed / 1000.0)
    budget = _budget_numpy(fed, need, need_me, need_cp, kind, farms.source_cp,
                           farms.supplement_per_cp, farms.supplement_cp,
                           farms.source_dm_fraction, conc, farms.source_price_per_t,
                           farms.supplement_cost_per_kg_dm, farms.delivery_cost[:, t])
    if all_bought:
        budget[:, :, 3:5] = 0.0
    np.testing.assert_array_equal(day[:, :, :10], budget)
    assert short == (need > 1e-6).any()
    want_share = np.where(need_me > 1e-6, 1.0 - need / np.where(need_me > 1e-6, need_me, 1.0),
                          1.0) if short else np.ones((R, L, G))
    np.testing.assert_array_equal(share, want_share)
    me = np.ascontiguousarray(sums[:, :, :, 0])
    k = len(feeding.CLASSES)
    np.testing.assert_array_equal(day[:, :, -2 * k:-k],
                                  feed_kernels.class_sums(me, np.ones((R, L, G)),
                                                          feeding._GROUP_OF_CODE))
    np.testing.assert_array_equal(day[:, :, -k:],
                                  feed_kernels.class_sums(me, want_share, feeding._GROUP_OF_CODE))
    # the day is added to the month unless the animals respond to a shortage first
    np.testing.assert_array_equal(monthly, 1.0 if short or responding else 1.0 + day)
    assert short != all_bought         # the first farm's stores run short; bought feeds do not


def test_compiled_draws_are_the_hash_of_the_module_docstring():
    """The draws, written again as NumPy operations on uint64 (two rounds of the MurmurHash3
    finaliser): the same numbers to the bit, for scalar and per-element days and slots."""
    def fmix(x):
        x ^= x >> np.uint64(33)
        x *= np.uint64(0xFF51AFD7ED558CCD)
        x ^= x >> np.uint64(33)
        x *= np.uint64(0xC4CEB9FE1A85EC53)
        x ^= x >> np.uint64(33)
        return x

    g = np.random.default_rng(8)
    key = g.integers(0, 2**63, 1000, dtype=np.uint64)
    uid = g.integers(0, 10**6, 1000)
    day = g.integers(0, 5000, 1000)
    slot = g.integers(0, 20, 1000)
    with np.errstate(over="ignore"):
        x = fmix(uid.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + key)
        x = fmix(x + day.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
                 + slot.astype(np.uint64) * np.uint64(0x8CB92BA72F3D8DD7))
    want = (x >> np.uint64(11)).astype(np.float64) / 2.0**53
    np.testing.assert_array_equal(rng.uniform(key, uid, day, slot), want)
    np.testing.assert_array_equal(rng.uniform(key, uid, day[0], slot[0])[:5],
                                  rng.uniform(key[:5], uid[:5], np.full(5, day[0]),
                                              np.full(5, slot[0])))
    assert rng.uniform(key[:6].reshape(2, 3), uid[:3], 4).shape == (2, 3)


def test_group_and_class_sums_are_the_sums_over_the_codes():
    g = np.random.default_rng(9)
    sums = g.random((R, L, 16, 3)) * 10.0 ** g.integers(-3, 4, (R, L, 16, 3))
    group_of = feeding._GROUP_OF_CODE
    by_group = feed_kernels.group_sums(sums, group_of, 4)
    for grp in range(4):
        codes = np.flatnonzero(group_of[2:12] == grp) + 2
        np.testing.assert_array_equal(by_group[:, :, :, grp], sums[:, :, codes].sum(axis=2))
    share = g.random((R, L, 4))
    me = np.ascontiguousarray(sums[:, :, :, 0])
    want = (me[:, :, 2:12] * share[:, :, group_of[2:12]]).reshape(R, L, 5, 2).sum(axis=3)
    np.testing.assert_array_equal(feed_kernels.class_sums(me, share, group_of), want)


def test_np_sum_is_numpys_sum_to_the_bit():
    """Values of many magnitudes, so that a different order of the additions shows."""
    g = np.random.default_rng(10)
    for n in (0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 128, 129, 300, 1001):
        a = g.random(n) * 10.0 ** g.integers(-9, 9, n) * np.where(g.random(n) < 0.3, -1, 1)
        assert feed_kernels._np_sum(a, n) == np.sum(a), n


def _budget_numpy(fed, need, need_me, need_cp, kind, source_cp, supplement_per_cp,
                  supplement_cp, dm_fraction, concentrate, price, supplement_cost, delivery):
    """The day's feed budget as NumPy expressions over the arrays (the rule of
    capra.herd.feeding._feed), columns feed_kernels.BUDGET."""
    cp_need = need_cp.sum(axis=2)
    cp_fed = (fed * source_cp).sum(axis=2)
    supp = np.maximum(cp_need - cp_fed, 0.0) * supplement_per_cp
    cp_fed += supp * supplement_cp
    buy = kind == 3
    as_fed = fed / dm_fraction
    return np.stack([
        need_me.sum(axis=2), cp_need / 1000.0, (fed.sum(axis=2) + supp) / 1000.0,
        (fed * (kind == 1)).sum(axis=2) / 1000.0, (fed * (kind == 2)).sum(axis=2) / 1000.0,
        ((fed * buy).sum(axis=2) + supp) / 1000.0, (as_fed * concentrate).sum(axis=2) / 1000.0,
        need.sum(axis=2), (cp_fed - cp_need) / 1000.0,
        (as_fed * price * buy).sum(axis=2) / 1000.0 + supp * supplement_cost + delivery],
        axis=2)


@pytest.mark.parametrize("n_feeds", [1, 4, 9, 20])
def test_feed_budget_is_the_budget_on_arrays(n_feeds):
    g = np.random.default_rng(11 + n_feeds)
    G, S = 4, n_feeds
    fed = g.random((R, L, S)) * 10.0 ** g.integers(-2, 4, (R, L, S))
    need = g.random((R, L, G)) * 50 * (g.random((R, L, G)) < 0.5)
    by_group = g.random((R, L, 3, G)) * 500          # strided views, as the simulator's
    by_group[:, :, 2] *= g.uniform(0.1, 10.0 * S, (R, L, 1))   # protein short in some cells
    need_me, need_cp = by_group[:, :, 0], by_group[:, :, 2]
    kind = g.integers(0, 4, (L, S)).astype(np.int8)
    args = (kind, g.random((L, S)) * 200, g.random(L) * 0.01 * (g.random(L) < 0.7),
            g.random(L) * 400, g.uniform(0.2, 0.95, (L, S)), g.random((L, S)) < 0.4,
            g.random((L, S)) * 300, g.random(L), g.random(L) * 100)
    day = np.full((R, L, 12), -1.0)
    feed_kernels.feed_budget(fed, need, need_me, need_cp, *args, False, day)
    want = _budget_numpy(fed, need, need_me, need_cp, *args)
    np.testing.assert_array_equal(day[:, :, :10], want)
    assert (day[:, :, 10:] == -1.0).all()
    assert np.isfinite(want).all() and (want[:, :, 8] < 0).any() and (want[:, :, 8] > 0).any()
    kept = np.full((R, L, 12), -1.0)
    feed_kernels.feed_budget(fed, need, need_me, need_cp, *args, True, kept)   # all bought:
    np.testing.assert_array_equal(kept[:, :, 3:5], -1.0)                  # pasture, stores
    np.testing.assert_array_equal(np.delete(kept, [3, 4], axis=2)[:, :, :8],
                                  np.delete(want, [3, 4], axis=2))


def test_add_counts_is_a_bincount():
    g = np.random.default_rng(12)
    cells = g.integers(0, R * L, 500).astype(np.int32)
    out = g.integers(0, 9, (40, R, L)).astype(np.int32).transpose(1, 0, 2)   # day by day
    want = out.copy()
    want[:, 5, :] += np.bincount(cells, minlength=R * L).reshape(R, L).astype(np.int32)
    kernels.add_counts(cells, out[:, 5, :])
    np.testing.assert_array_equal(out, want)


def test_first_above_is_searchsorted_right(params):
    """The search of the death clocks: np.searchsorted(h, c, side="right") on cumulative
    hazards of both sexes, and on tables with flat stretches, single values and none."""
    g = np.random.default_rng(19)
    tables = [params.cum_death_hazard[0], params.cum_death_hazard[1],
              np.array([0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 5.0]), np.zeros(10),
              np.array([1.0]), np.array([0.0, 1e-300, 1.0, 1.0 + 2e-16]), np.zeros(0)]
    for tab in tables:
        top = tab[-1] if tab.size else 1.0
        c = np.concatenate([g.random(5000) * (top * 1.2 + 1) - 0.5, tab,
                            np.nextafter(tab, -np.inf), np.nextafter(tab, np.inf),
                            [-np.inf, np.inf]])
        got = np.array([kernels.first_above(tab, x) for x in c])
        np.testing.assert_array_equal(got, np.searchsorted(tab, c, side="right"))
