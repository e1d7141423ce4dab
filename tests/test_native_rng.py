"""pyNN.tinysim.NativeRNG: usable wherever a NumpyRNG is, seeded as documented.

The native generator is NumPy's Mersenne Twister, so a seeded NativeRNG must
build exactly what a NumpyRNG with the same seed builds (connections, weights,
delays, parameters); an unseeded one follows setup()'s rng_seed.
"""

import copy

import numpy as np
import pytest
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN import random as pynn_random

import pyNN.tinysim as sim


def _network(rng_factory, connector_name, **kw):
    sim.setup(timestep=0.1, min_delay=0.1)
    pre = sim.Population(30, sim.SpikeSourcePoisson(rate=10.0))
    post = sim.Population(20, sim.IF_cond_exp(
        tau_m=RandomDistribution("normal", (15.0, 2.0), rng=rng_factory(3))),
        initial_values={"v": RandomDistribution("uniform", (-65.0, -50.0),
                                                rng=rng_factory(4))})
    connector = getattr(sim, connector_name)(rng=rng_factory(1), **kw)
    syn = sim.StaticSynapse(weight=RandomDistribution("normal", mu=0.5, sigma=0.01,
                                                      rng=rng_factory(2)),
                            delay=RandomDistribution("uniform", (0.2, 2.0), rng=rng_factory(5)))
    prj = sim.Projection(pre, post, connector, syn)
    out = (prj.get(["weight", "delay"], format="list"), post.get("tau_m"),
           post.initial_values["v"].evaluate())
    sim.end()
    return out


@pytest.mark.parametrize("connector, kw", [
    ("FixedProbabilityConnector", {"p_connect": 0.3}),
    ("FixedNumberPreConnector", {"n": 4}),
    ("FixedNumberPostConnector", {"n": 5}),
    ("FixedTotalNumberConnector", {"n": 100}),
])
def test_seeded_native_rng_builds_what_numpy_rng_builds(connector, kw):
    native = _network(lambda s: sim.NativeRNG(seed=s), connector, **kw)
    numpy_ = _network(lambda s: NumpyRNG(seed=s), connector, **kw)
    assert len(native[0]) > 0
    assert native[0] == numpy_[0]
    np.testing.assert_array_equal(native[1], numpy_[1])
    np.testing.assert_array_equal(native[2], numpy_[2])


def test_unseeded_native_rng_follows_setup_rng_seed():
    def draws(seed):
        sim.setup(rng_seed=seed)
        a, b = sim.NativeRNG(), sim.NativeRNG()
        out = a.next(5), b.next(5)
        sim.end()
        return out
    a1, b1 = draws(7)
    a2, b2 = draws(7)
    a3, _ = draws(8)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(a1, b1)      # two NativeRNGs: two streams
    assert not np.array_equal(a1, a3)      # another rng_seed: other numbers
    # documented: the k-th unseeded NativeRNG is seeded from SeedSequence([rng_seed, k])
    seed = int(np.random.SeedSequence([7, 1]).generate_state(1, np.uint32)[0])
    np.testing.assert_array_equal(b1, NumpyRNG(seed=seed).next(5))


def test_native_rng_is_a_pynn_native_rng_and_survives_copies():
    sim.setup()
    rng = sim.NativeRNG(seed=11)
    assert isinstance(rng, pynn_random.NativeRNG) and isinstance(rng, NumpyRNG)
    clone = copy.deepcopy(rng)
    assert type(clone) is sim.NativeRNG
    np.testing.assert_array_equal(clone.next(4), rng.next(4))
    assert str(rng) == "NativeRNG(seed=11)"
    # every distribution PyNN names
    for name, params in [("normal_clipped", (0.0, 1.0, -0.5, 0.5)), ("uniform_int", (0, 5)),
                         ("gamma", (2.0, 1.0)), ("poisson", (3.0,)),
                         ("exponential", (2.0,)), ("binomial", (5, 0.3))]:
        values = RandomDistribution(name, params, rng=rng).next(50)
        assert np.asarray(values).shape == (50,)
    sim.end()
