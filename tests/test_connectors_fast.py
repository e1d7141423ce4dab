"""The vectorized FixedTotalNumber/FixedNumberPre/FixedNumberPost paths (pynn_tinysim.connectors).

They draw exactly PyNN's random numbers in PyNN's order, so each is compared with
PyNN's generic per-cell code (forced by making ``fast_connect`` decline), and the
connector's RNG must end in the same state. Known differences, tested as such:
self-exclusion by cell id for overlapping views (PyNN excludes only when
pre == post), and a cell with no allowed partner raises ConnectionError.
"""

import collections

import numpy as np
import pytest

import pyNN.tinysim as sim
from pyNN import errors
from pyNN.random import NumpyRNG, RandomDistribution

import pynn_tinysim.connectors as fast
import pynn_tinysim.projections as projections


def _build(monkeypatch, make_connector, topology="distinct", n_pre=30, n_post=25,
           generic=False, synapse=None):
    """(connections as an (n, 3) array of pre, post, weight, pre ids, post ids, next RNG draw)."""
    sim.setup(timestep=0.1)
    try:
        if topology == "distinct":
            pre = sim.Population(n_pre, sim.IF_curr_exp())
            post = sim.Population(n_post, sim.IF_curr_exp())
        elif topology == "same":
            pre = post = sim.Population(n_pre, sim.IF_curr_exp())
        elif topology == "same_view":
            pop = sim.Population(n_pre + 5, sim.IF_curr_exp())
            pre, post = pop[2:n_pre + 2], pop[2:n_pre + 2]
        elif topology == "overlapping_views":
            pop = sim.Population(n_pre + n_post, sim.IF_curr_exp())
            pre, post = pop[:n_pre], pop[n_pre // 2:n_pre // 2 + n_post]
        else:
            raise ValueError(topology)
        connector = make_connector()
        with monkeypatch.context() as patch:
            if generic:
                patch.setattr(projections, "fast_connect", lambda c, p: False)
            prj = sim.Projection(pre, post, connector,
                                 synapse or sim.StaticSynapse(weight=0.1))
        conns = np.array(prj.get("weight", format="list"), dtype=float).reshape(-1, 3)
        next_draw = connector.rng.rng.randint(0, 2**31)
        return (conns, np.asarray(prj.pre.all_cells, dtype=int),
                np.asarray(prj.post.all_cells, dtype=int), next_draw)
    finally:
        sim.end()


def _sorted_pairs(conns):
    pairs = conns[:, :2].astype(int)
    return pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]


def _assert_same_as_generic(monkeypatch, make_connector, **kw):
    conns, pre_ids, post_ids, draw = _build(monkeypatch, make_connector, **kw)
    g_conns, _, _, g_draw = _build(monkeypatch, make_connector, generic=True, **kw)
    assert np.array_equal(_sorted_pairs(conns), _sorted_pairs(g_conns))
    assert draw == g_draw  # the connector's RNG is advanced exactly as by PyNN
    return conns, pre_ids, post_ids


def _no_self(conns, pre_ids, post_ids):
    pairs = conns[:, :2].astype(int)
    return not np.any(pre_ids[pairs[:, 0]] == post_ids[pairs[:, 1]])


def _no_multapses(conns):
    pairs = [tuple(p) for p in conns[:, :2].astype(int)]
    return len(set(pairs)) == len(pairs)


# --------------------------------------------------------------------- FixedTotalNumber

@pytest.mark.parametrize("n_pre,n_post,n,topology", [
    (30, 25, 700, "distinct"), (20000, 333, 5000, "distinct"), (1, 9, 40, "distinct"),
    (9, 1, 40, "distinct"), (1, 1, 3, "distinct"), (8, 8, 0, "distinct"),
    (30, 30, 700, "same"), (1, 1, 3, "same"), (8, 8, 0, "same")])
def test_fixed_total_number_same_as_generic(monkeypatch, n_pre, n_post, n, topology):

    def make():
        return sim.FixedTotalNumberConnector(n, rng=NumpyRNG(seed=n_pre + n_post))
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, topology=topology,
                                          n_pre=n_pre, n_post=n_post)
    assert len(conns) == n


@pytest.mark.parametrize("allow_self,with_replacement", [(False, False), (False, True),
                                                         (True, False)])
def test_fixed_total_number_ignores_flags_like_pynn(monkeypatch, allow_self, with_replacement):
    # PyNN's generic FixedTotalNumberConnector (so pyNN.nest too) ignores both flags
    def make():
        return sim.FixedTotalNumberConnector(
            400, allow_self_connections=allow_self, with_replacement=with_replacement,
            rng=NumpyRNG(seed=5))
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, topology="same", n_pre=20)
    assert len(conns) == 400


def test_fixed_total_number_view(monkeypatch):
    def make():
        return sim.FixedTotalNumberConnector(300, rng=NumpyRNG(seed=8))
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, topology="overlapping_views",
                                          n_pre=12, n_post=17)
    assert len(conns) == 300
    assert conns[:, 0].max() < 12 and conns[:, 1].max() < 17


def test_fixed_total_number_uniform(monkeypatch):
    """Chi-square on both marginals: a correct sampler passes, an off-by-one/biased one fails."""
    from scipy import stats
    conns, _, _, _ = _build(monkeypatch, lambda: sim.FixedTotalNumberConnector(
        60000, rng=NumpyRNG(seed=1)), n_pre=100, n_post=37)
    for column, size in ((0, 100), (1, 37)):
        counts = np.bincount(conns[:, column].astype(int), minlength=size)
        assert counts.size == size
        assert stats.chisquare(counts).pvalue > 1e-4


# --------------------------------------------------------------------- FixedNumberPre/Post

CONNECTORS = ["FixedNumberPreConnector", "FixedNumberPostConnector"]


def _degrees(conns, kind, n_pre, n_post):
    if kind == "FixedNumberPreConnector":
        return np.bincount(conns[:, 1].astype(int), minlength=n_post)
    return np.bincount(conns[:, 0].astype(int), minlength=n_pre)


@pytest.mark.parametrize("kind", CONNECTORS)
@pytest.mark.parametrize("with_replacement", [True, False])
@pytest.mark.parametrize("allow_self", [True, False])
@pytest.mark.parametrize("topology", ["distinct", "same", "same_view"])
def test_fixed_number_same_as_generic(monkeypatch, kind, with_replacement, allow_self, topology):
    # a large enough population that PyNN's generic redraw loop does not hit its bug
    # (it fails with IndexError when a redrawn value is the excluded one again)
    n_pre = 300 if topology != "distinct" else 260
    n_post = n_pre if topology != "distinct" else 170
    n = 20

    def make():
        return getattr(sim, kind)(n, allow_self_connections=allow_self,
                                  with_replacement=with_replacement, rng=NumpyRNG(seed=12))
    conns, pre_ids, post_ids = _assert_same_as_generic(monkeypatch, make, topology=topology,
                                                       n_pre=n_pre, n_post=n_post)
    assert np.all(_degrees(conns, kind, n_pre, n_post) == n)
    if not allow_self:
        assert _no_self(conns, pre_ids, post_ids)
    if not with_replacement:
        assert _no_multapses(conns)


@pytest.mark.parametrize("kind", CONNECTORS)
@pytest.mark.parametrize("with_replacement", [True, False])
def test_fixed_number_no_self_overlapping_views(monkeypatch, kind, with_replacement):
    # exclusion compares cell ids (PyNN's generic code only excludes when pre == post)
    n_pre, n_post, n = 12, 10, 9

    def make():
        return getattr(sim, kind)(n, allow_self_connections=False,
                                  with_replacement=with_replacement, rng=NumpyRNG(seed=3))
    conns, pre_ids, post_ids, _ = _build(monkeypatch, make, topology="overlapping_views",
                                         n_pre=n_pre, n_post=n_post)
    assert len(set(pre_ids) & set(post_ids)) > 0
    assert np.all(_degrees(conns, kind, n_pre, n_post) == n)
    assert _no_self(conns, pre_ids, post_ids)
    if not with_replacement:
        assert _no_multapses(conns)


@pytest.mark.parametrize("kind", CONNECTORS)
@pytest.mark.parametrize("allow_self", [True, False])
def test_fixed_number_more_than_available(monkeypatch, kind, allow_self):
    # without replacement, n > available: every allowed partner n // available
    # times, then n % available of them once more (as PyNN)
    size, n = 7, 17

    def make():
        return getattr(sim, kind)(n, allow_self_connections=allow_self, rng=NumpyRNG(seed=2))
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, topology="same", n_pre=size)
    available = size - (not allow_self)
    uses = collections.Counter(tuple(p) for p in conns[:, :2].astype(int))
    assert all(n // available <= u <= -(-n // available) for u in uses.values())
    assert len(uses) == size * available
    assert np.all(_degrees(conns, kind, size, size) == n)


def test_fixed_number_pre_small_self_excluding_with_replacement(monkeypatch):
    # small population: redraws often hit the excluded cell again, where PyNN's
    # generic code breaks; check the properties only
    def make():
        return sim.FixedNumberPreConnector(40, allow_self_connections=False,
                                           with_replacement=True, rng=NumpyRNG(seed=4))
    conns, pre_ids, post_ids, _ = _build(monkeypatch, make, topology="same", n_pre=3)
    assert np.all(_degrees(conns, "FixedNumberPreConnector", 3, 3) == 40)
    assert _no_self(conns, pre_ids, post_ids)
    counts = collections.Counter(tuple(p) for p in conns[:, :2].astype(int))
    assert len(counts) == 6  # both other cells used by every cell


@pytest.mark.parametrize("with_replacement", [True, False])
@pytest.mark.parametrize("same_rng", [False, True])
def test_fixed_number_pre_random_n(monkeypatch, with_replacement, same_rng):
    n_pre, n_post = 40, 30

    def make():
        rng = NumpyRNG(seed=21)
        n_rng = rng if same_rng else NumpyRNG(seed=9)
        return sim.FixedNumberPreConnector(
            RandomDistribution("uniform_int", low=2, high=9, rng=n_rng),
            with_replacement=with_replacement, rng=rng)
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, n_pre=n_pre, n_post=n_post)
    if not same_rng:
        expected = RandomDistribution("uniform_int", low=2, high=9, rng=NumpyRNG(seed=9))
        expected.next(100)  # the connector's own sanity check draws these
        assert np.array_equal(_degrees(conns, "FixedNumberPreConnector", n_pre, n_post),
                              expected.next(n_post))
    if not with_replacement:
        assert _no_multapses(conns)


def test_fixed_number_post_random_n(monkeypatch):
    n_pre, n_post = 30, 40

    def make():
        return sim.FixedNumberPostConnector(
            RandomDistribution("binomial", (12, 0.5), rng=NumpyRNG(seed=9)),
            rng=NumpyRNG(seed=21))
    conns, _, _ = _assert_same_as_generic(monkeypatch, make, n_pre=n_pre, n_post=n_post)
    expected = RandomDistribution("binomial", (12, 0.5), rng=NumpyRNG(seed=9))
    expected.next(100)
    assert np.array_equal(_degrees(conns, "FixedNumberPostConnector", n_pre, n_post),
                          [expected.next() for _ in range(n_pre)])
    assert _no_multapses(conns)


def test_fixed_number_post_random_n_shared_rng_falls_back(monkeypatch):
    rng = NumpyRNG(seed=1)
    connector = sim.FixedNumberPostConnector(
        RandomDistribution("uniform_int", low=1, high=4, rng=rng), rng=rng)
    assert not fast._fixed_number_supported(connector)


def test_no_allowed_partner_raises():
    sim.setup(timestep=0.1)
    pop = sim.Population(1, sim.IF_curr_exp())
    with pytest.raises(errors.ConnectionError):
        sim.Projection(pop, pop, sim.FixedNumberPreConnector(
            2, allow_self_connections=False, rng=NumpyRNG(seed=1)),
            sim.StaticSynapse(weight=0.1))
    sim.end()


# --------------------------------------------------------------------- chunking

@pytest.mark.parametrize("make", [
    lambda: sim.FixedTotalNumberConnector(3000, rng=NumpyRNG(seed=1)),
    lambda: sim.FixedNumberPreConnector(11, rng=NumpyRNG(seed=1)),
    lambda: sim.FixedNumberPreConnector(11, with_replacement=True, allow_self_connections=False,
                                        rng=NumpyRNG(seed=1)),
    lambda: sim.FixedNumberPostConnector(11, allow_self_connections=False, rng=NumpyRNG(seed=1)),
    lambda: sim.FixedNumberPostConnector(11, with_replacement=True, rng=NumpyRNG(seed=1)),
], ids=["total", "pre", "pre_rep_noself", "post_noself", "post_rep"])
def test_chunked_same_as_unchunked(monkeypatch, make):
    synapse = sim.StaticSynapse(weight=RandomDistribution("uniform", (0.1, 0.2),
                                                          rng=NumpyRNG(seed=5)))
    whole, _, _, draw = _build(monkeypatch, make, topology="same", n_pre=60, synapse=synapse)
    monkeypatch.setattr(fast, "_PAIRS_PER_CHUNK", 7)
    synapse = sim.StaticSynapse(weight=RandomDistribution("uniform", (0.1, 0.2),
                                                          rng=NumpyRNG(seed=5)))
    chunked, _, _, chunked_draw = _build(monkeypatch, make, topology="same", n_pre=60,
                                         synapse=synapse)
    assert np.array_equal(whole, chunked)  # same order, so the same weights too
    assert draw == chunked_draw


def test_fixed_number_pre_weights_same_as_generic(monkeypatch):
    # FixedNumberPre adds connections in PyNN's order: random weights match too
    monkeypatch.setattr(fast, "_PAIRS_PER_CHUNK", 50)

    def synapse():
        return sim.StaticSynapse(weight=RandomDistribution("uniform", (0.1, 0.2),
                                                           rng=NumpyRNG(seed=5)))
    make = lambda: sim.FixedNumberPreConnector(9, rng=NumpyRNG(seed=3))  # noqa: E731
    conns, _, _, _ = _build(monkeypatch, make, synapse=synapse())
    g_conns, _, _, _ = _build(monkeypatch, make, synapse=synapse(), generic=True)
    order = np.lexsort((conns[:, 2], conns[:, 0], conns[:, 1]))
    g_order = np.lexsort((g_conns[:, 2], g_conns[:, 0], g_conns[:, 1]))
    assert np.allclose(conns[order], g_conns[g_order])
