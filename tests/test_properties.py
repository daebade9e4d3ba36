"Property tests (hypothesis) for the pure functions: pseudo-groups, balanced sampling, group accuracy, Whac-A-Mole metrics, eigengap."
import importlib
import numpy as np
import pytest
from hypothesis import given, settings, assume, strategies as st
from hypothesis.extra import numpy as hnp
import exmap
from exmap.cluster import make_pseudo_groups, pseudo_group_classes, eigengap
from exmap.dfr import balanced_indices
from exmap.metrics import group_accuracy, worst_group_accuracy

def _whacamole():
    "The Whac-A-Mole module under whichever name exists (`exmap.whacamole`, formerly `exmap.wam`)."
    for name in ("exmap.whacamole", "exmap.wam"):
        try: return importlib.import_module(name)
        except ImportError: pass
    pytest.skip("no Whac-A-Mole module (exmap.whacamole / exmap.wam)")

FAST = settings(max_examples=40, deadline=None)
labels = lambda n, k: hnp.arrays(np.int64, n, elements=st.integers(0, k - 1))

@st.composite
def labels_and_clusters(draw):
    n = draw(st.integers(1, 60))
    return draw(labels(n, 4)), draw(labels(n, 6))

@FAST
@given(labels_and_clusters(), st.permutations(list(range(6))), st.permutations(list(range(4))))
def test_pseudo_groups_invariant_to_relabelling(yc, cperm, yperm):
    "Relabelling the clusters (any bijection) gives the same partition; a monotone relabelling gives the same ids."
    y, c = yc
    pg = make_pseudo_groups(y, c)
    pg2 = make_pseudo_groups(y, np.asarray(cperm)[c])
    same = lambda a: a[:, None] == a[None, :]
    assert (same(pg) == same(pg2)).all()
    np.testing.assert_array_equal(make_pseudo_groups(y, 10 * c + 7), pg)     # monotone: identical ids
    np.testing.assert_array_equal(make_pseudo_groups(np.asarray(yperm)[y], c)[:, None] == make_pseudo_groups(np.asarray(yperm)[y], c)[None, :],
                                  same(pg))                                  # relabelled classes: same partition

@FAST
@given(labels_and_clusters())
def test_pseudo_groups_dense_and_ordered_by_class(yc):
    "Ids are 0..G-1, all used, one per (class, cluster) pair, and sorted by class."
    y, c = yc
    pg = make_pseudo_groups(y, c)
    G = len({(a, b) for a, b in zip(y.tolist(), c.tolist())})
    assert pg.dtype == np.int64 and sorted(set(pg.tolist())) == list(range(G))
    cls = pseudo_group_classes(y, pg)
    assert len(cls) == G and (np.diff(cls) >= 0).all()                      # ordered by class
    np.testing.assert_array_equal(cls[pg], y)                               # every sample's group has its class
    for g in range(G): assert len(set(c[pg == g].tolist())) == 1            # one cluster per pseudo-group

@FAST
@given(st.lists(st.integers(1, 40), min_size=1, max_size=6), st.integers(1, 10), st.sampled_from(["keep", "drop"]),
       st.integers(0, 2**31 - 1))
def test_balanced_indices_sizes_and_tiny_group_rule(sizes, min_group_size, rule, seed):
    "Groups with >= min_group_size members get the smallest such size; smaller ones are kept whole or dropped."
    groups = np.repeat(np.arange(len(sizes)), sizes)
    np.random.default_rng(seed).shuffle(groups)
    idx = balanced_indices(groups, seed, min_group_size, rule)
    assert (np.diff(idx) > 0).all() and idx.min() >= 0 and idx.max() < len(groups)   # sorted, unique, in range
    counts = np.bincount(groups[idx], minlength=len(sizes))
    big = [s for s in sizes if s >= min_group_size]
    for g, s in enumerate(sizes):
        if not big: expected = min(sizes)              # no group is big enough: plain balancing
        elif s >= min_group_size: expected = min(big)
        else: expected = s if rule == "keep" else 0
        assert counts[g] == expected, (sizes, min_group_size, rule, counts)
    np.testing.assert_array_equal(balanced_indices(groups, seed, min_group_size, rule), idx)  # same seed, same sample

@st.composite
def predictions(draw):
    n = draw(st.integers(1, 80))
    return draw(labels(n, 3)), draw(labels(n, 3)), draw(labels(n, 5))

@FAST
@given(predictions(), st.integers(0, 3))
def test_group_accuracy_bounds_and_direct_computation(data, extra_groups):
    "Each group's accuracy is in [0, 1] (NaN when empty) and equals the direct count; WGA is the lowest."
    y, p, g = data
    n_groups = int(g.max()) + 1 + extra_groups
    acc = group_accuracy(y, p, g, n_groups)
    assert acc.shape == (n_groups,)
    for k in range(n_groups):
        m = g == k
        if m.any(): assert 0 <= acc[k] <= 1 and acc[k] == pytest.approx((y[m] == p[m]).mean())
        else: assert np.isnan(acc[k])
    direct = min((y[g == k] == p[g == k]).mean() for k in np.unique(g))
    assert worst_group_accuracy(y, p, g, n_groups) == pytest.approx(direct)
    assert worst_group_accuracy(y, p, g) <= (y == p).mean() + 1e-12       # the worst group is at most the mean

@st.composite
def wam_data(draw):
    "Labels, predictions and the two attributes; every (class, bg, coobj) combination occurs at least once."
    n = draw(st.integers(0, 60))
    base = np.array(np.meshgrid([0, 1], [0, 1], [0, 1], indexing="ij")).reshape(3, -1)   # all 8 combinations
    rest = np.stack([draw(labels(n, 2)) for _ in range(3)])
    y, bg, co = np.concatenate([base, rest], 1)
    return y, draw(labels(len(y), 2)), bg, co

@FAST
@given(wam_data(), st.floats(0.5, 1.0), st.floats(0.5, 1.0))
def test_wam_metrics_bounds_and_direct_computation(data, b, c):
    "I.D. accuracy is the weighted class-averaged state accuracy; gaps are state accuracy minus it; all in range."
    wam = _whacamole()
    y, p, bg, co = data
    w = wam.nominal_state_weights(b, c)
    m = wam.wam_metrics(y, p, bg, co, weights=w)
    state = (bg != y).astype(int) + 2 * (co != y)
    acc = [100 * np.mean([(p[(state == s) & (y == k)] == k).mean() for k in (0, 1)]) for s in range(4)]
    assert m["id_acc"] == pytest.approx(float(np.dot(w, acc)))
    for key, s in (("bg_gap", 1), ("coobj_gap", 2), ("both_gap", 3)):
        assert m[key] == pytest.approx(acc[s] - m["id_acc"])
        assert -100 - 1e-9 <= m[key] <= 100 + 1e-9
    assert 0 <= m["id_acc"] <= 100 + 1e-9 and 0 <= m["wga"] <= m["mean_acc"] + 1e-9 <= 100 + 1e-9
    perfect = wam.wam_metrics(y, y, bg, co, weights=w)
    assert perfect["id_acc"] == pytest.approx(100) and perfect["wga"] == pytest.approx(100)
    assert perfect["bg_gap"] == perfect["coobj_gap"] == perfect["both_gap"] == pytest.approx(0)

@FAST
@given(st.integers(1, 8), st.integers(1, 3), st.lists(st.floats(0, 0.05), min_size=14, max_size=14))
def test_eigengap_picks_the_planted_gap(k, k_min, noise):
    "Eigenvalues with one big jump after the k-th: the eigengap returns k whenever k is allowed, and stays in range."
    lam = np.r_[np.cumsum(noise[:k]) * 0.1, 1.0 + np.cumsum(noise[k:])]   # small steps, a jump of about 1, small steps
    k_max = 10
    got = eigengap(lam, k_min, k_max)
    assert k_min <= got <= min(k_max, len(lam) - 1)
    if k_min <= k <= min(k_max, len(lam) - 1): assert got == k
    rng = np.random.default_rng(k)
    assert eigengap(rng.permutation(lam), k_min, k_max) == got          # order of the input does not matter

@FAST
@given(st.lists(st.floats(0, 2, allow_nan=False), min_size=3, max_size=20), st.integers(1, 5), st.integers(1, 25))
def test_eigengap_always_in_range(lam, k_min, k_max):
    "Whatever the spectrum, the answer is in k_min..min(k_max, len-1), or a ValueError says the range is empty."
    hi = min(k_max, len(lam) - 1)
    if hi < k_min:
        with pytest.raises(ValueError, match="Compute more eigenvalues or lower k_min"): eigengap(lam, k_min, k_max)
    else: assert k_min <= eigengap(lam, k_min, k_max) <= hi
