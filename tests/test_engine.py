"""The engine's own guarantees: delivery, grouping, propagators, reproducibility.

These use the engine directly (no PyNN), except where the guarantee is about how
PyNN objects map onto it.
"""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pynn_tinysim.engine import Network, propagators
from pynn_tinysim.engine.lif import LIFCurrDelta
from pynn_tinysim.engine.sources import SpikeArraySource, PoissonSource


def _delta_cells(net, n, tau_m=1e9):
    """Delta-synapse cells that never fire and hardly leak: v accumulates input exactly."""
    params = dict(v_rest=0.0, cm=1.0, tau_m=tau_m, tau_refrac=0.0, i_offset=0.0,
                  v_reset=0.0, v_thresh=1e12)
    return net.add_neurons(LIFCurrDelta, n, {k: np.full(n, v) for k, v in params.items()},
                           {"v": 0.0})


@settings(max_examples=25, deadline=None)
@given(n_pre=st.integers(1, 12), n_post=st.integers(1, 12), n_syn=st.integers(0, 120),
       max_delay=st.integers(1, 6), seed=st.integers(0, 2**31 - 1))
def test_delivery_matches_brute_force(n_pre, n_post, n_syn, max_delay, seed):
    """Every spike reaches every target exactly `delay` steps after its stamp, weights summed."""
    rng = np.random.default_rng(seed)
    net = Network(dt=1.0, seed=1)
    spike_times = [np.unique(rng.integers(1, 15, size=rng.integers(0, 5))).astype(float)
                   for _ in range(n_pre)]
    src, _, src_ids = net.add_neurons(SpikeArraySource, n_pre, {"spike_times": spike_times}, {})
    cells, _, cell_ids = _delta_cells(net, n_post)
    pre = rng.integers(0, n_pre, n_syn)
    post = rng.integers(0, n_post, n_syn)
    weights = rng.normal(size=n_syn)
    delays = rng.integers(1, max_delay + 1, n_syn)
    receptor = rng.integers(0, 2, n_syn)
    for r, name in enumerate(("excitatory", "inhibitory")):
        block = net.new_synapse_block(name)
        sel = receptor == r
        block.add(src_ids[pre[sel]], cell_ids[post[sel]], weights[sel], delays[sel])
    net.record_signal(cells, "v", np.arange(n_post), 1)
    n_steps = 25
    net.run(n_steps)
    v = cells.recorders["v"].get(np.arange(n_post), 0, n_steps + 1)
    expected = np.zeros((n_steps + 1, n_post))
    for p, q, w, d in zip(pre, post, weights, delays):
        for t in spike_times[p]:
            arrival = int(t) + d  # spike at t acts from t + d (in steps of 1 ms)
            if arrival <= n_steps:
                expected[arrival:, q] += w
    np.testing.assert_allclose(v, expected, atol=1e-6)  # tau_m = 1e9 ms: leak < 1e-8


def test_populations_of_one_model_share_one_group():
    """Per-step work is per model family: 50 Populations of IF_curr_exp are one group."""
    import pyNN.tinysim as sim
    sim.setup(timestep=0.1)
    pops = [sim.Population(10, sim.IF_curr_exp()) for _ in range(50)]
    sources = [sim.Population(3, sim.SpikeSourcePoisson(rate=10.0)) for _ in range(5)]
    network = sim.simulator.state.network
    assert len(network.groups) == 2
    group = pops[0]._group
    assert all(p._group is group for p in pops) and group.size == 500
    assert pops[7]._group_indices == slice(70, 80)
    assert sources[0]._group is not group
    sim.end()


def test_parameter_change_reaches_only_its_population():
    import pyNN.tinysim as sim
    sim.setup(timestep=0.1)
    a = sim.Population(4, sim.IF_curr_exp())
    b = sim.Population(4, sim.IF_curr_exp())
    b[1:3].set(tau_m=7.0)
    assert a.get("tau_m") == 20.0
    np.testing.assert_array_equal(b.get("tau_m", simplify=False), [20.0, 7.0, 7.0, 20.0])
    sim.end()


@pytest.mark.parametrize("tau_s", [20.0, 20.0 * (1 + 1e-12), 20.0 * (1 + 1e-5), 5.0])
def test_exp_current_gain_is_accurate_near_equal_time_constants(tau_s):
    h, tau_m, cm = 0.1, 20.0, 1.0
    gain = propagators.exp_current_gain(h, tau_m, tau_s, cm)
    # integral_0^h e^{-(h-s)/tau_m} e^{-s/tau_s} ds / cm, by high-order quadrature
    s = np.linspace(0.0, h, 20001)
    integrand = np.exp(-(h - s) / tau_m) * np.exp(-s / tau_s) / cm
    reference = np.trapezoid(integrand, s)
    assert gain == pytest.approx(reference, rel=1e-9)


def test_alpha_derivative_gain_near_equal_time_constants():
    h, tau_m, cm = 0.1, 10.0, 0.5
    for tau_s in (10.0, 10.0 * (1 + 1e-9), 3.0):
        s = np.linspace(0.0, h, 20001)
        integrand = np.exp(-(h - s) / tau_m) * s * np.exp(-s / tau_s) / cm
        reference = np.trapezoid(integrand, s)
        assert propagators.alpha_derivative_gain(h, tau_m, tau_s, cm) == \
            pytest.approx(reference, rel=1e-8)


def _poisson_spikes(seed, chunks):
    net = Network(dt=0.1, seed=seed)
    group, _, _ = net.add_neurons(PoissonSource, 50,
                                  {"rate": np.full(50, 40.0), "start": np.zeros(50),
                                   "duration": np.full(50, 1e9)}, {})
    net.record_spikes(group, np.arange(50))
    for n in chunks:
        net.run(n)
    stamps, neurons = group.spike_recorder.get()
    return stamps, neurons


def test_poisson_spikes_do_not_depend_on_how_the_run_is_split():
    one = _poisson_spikes(7, [25000])
    split = _poisson_spikes(7, [3, 9997, 12000, 3000])
    for a, b in zip(one, split):
        np.testing.assert_array_equal(a, b)
    other_seed = _poisson_spikes(8, [25000])
    assert not np.array_equal(one[0], other_seed[0])


def test_no_python_loop_over_synapses_in_delivery():
    """Delivery of many spikes to many synapses is one vectorized call (smoke: size)."""
    net = Network(dt=0.1, seed=3)
    src, _, src_ids = net.add_neurons(
        SpikeArraySource, 200, {"spike_times": [np.array([1.0])] * 200}, {})
    cells, _, cell_ids = _delta_cells(net, 300)
    block = net.new_synapse_block("excitatory")
    pre = np.repeat(src_ids, 300)
    post = np.tile(cell_ids, 200)
    block.add(pre, post, 0.001, 2)
    net.record_signal(cells, "v", np.arange(300), 1)
    net.run(20)
    v = cells.recorders["v"].get(np.arange(300), 0, 21)
    np.testing.assert_allclose(v[-1], 0.2)       # 200 inputs of 0.001 mV each
    np.testing.assert_allclose(v[11], 0.0)       # spike at 1.0 ms + 0.2 ms delay ...
    np.testing.assert_allclose(v[12], 0.2)       # ... acts from 1.2 ms


def test_fast_poisson_sources_count_right_and_are_split_invariant():
    """Fast sources (2 spikes a step on average; 10 000 a step, drawn in pieces): the
    expected numbers of spikes, the same spikes however the run is split. (Counts are
    drawn step by step: no window of events is held, whatever the rate.)"""
    def spikes(chunks, rate):
        net = Network(dt=0.1, seed=5)
        group, _, _ = net.add_neurons(PoissonSource, 200,
                                      {"rate": np.full(200, rate), "start": np.zeros(200),
                                       "duration": np.full(200, 1e9)}, {})
        net.record_spikes(group, np.arange(200))
        for n in chunks:
            net.run(n)
        return group.spike_recorder.get()

    for rate, n_steps in [(20000.0, 3000), (1e7, 3)]:
        stamps, neurons = spikes([n_steps], rate)
        expected = 200 * rate * 1e-4 * n_steps
        assert abs(stamps.size - expected) < 5 * np.sqrt(expected)
        stamps2, neurons2 = spikes([n_steps // 3, n_steps - n_steps // 3], rate)
        np.testing.assert_array_equal(stamps, stamps2)
        np.testing.assert_array_equal(neurons, neurons2)


def test_keyed_draws_are_uniform_and_a_function_of_their_coordinates():
    from scipy import stats
    from pynn_tinysim.engine import keyed
    key = keyed.new_key(np.random.default_rng(1))
    pre, step = np.arange(20000) % 97, np.arange(20000) // 97
    u = keyed.uniform(key, pre, step)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    # neighbouring coordinates are not correlated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.03
    # the same coordinates give the same number whatever else is drawn with them
    some = np.array([5, 17, 1234, 19999])
    assert np.array_equal(keyed.uniform(key, pre[some], step[some]), u[some])
    assert not np.array_equal(keyed.uniform(key + np.uint64(1), pre, step), u)
    # binomial trials: mean n p and variance n p (1 - p)
    b = keyed.binomial(key, np.full(20000, 5), 0.3, np.arange(20000), 7)
    assert abs(b.mean() - 1.5) < 0.05 and abs(b.var() - 1.05) < 0.06
    assert keyed.binomial(key, np.zeros(3, np.int64), 0.5, np.arange(3)).tolist() == [0, 0, 0]
