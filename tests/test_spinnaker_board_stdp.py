"""STDP on pyNN.tinysim.spinnaker against sPyNNaker's own board tests.

Ported from sPyNNaker's integration suite (SpiNNakerManchester/sPyNNaker,
``spynnaker_integration_tests/test_stdp/``), which runs on SpiNNaker boards: the
post spike times are what the board recorded (asserted exactly, as upstream);
the final weights are checked against upstream's closed form of sPyNNaker 7.4's
rule, with upstream's tolerance. The closed forms are written here from the
rules (sPyNNaker's C sources: deferred updates at presynaptic spikes, so post
spikes after the last presynaptic spike minus the delay are not in the weight;
additive A_plus/A_minus in weight units; multiplicative steps proportional to
w_max - w and w - w_min).
"""

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim

A_PLUS = A_MINUS = 0.01
TAU_PLUS = TAU_MINUS = 20.0
W_MIN, W_MAX = 0.0, 5.0


def _pair_terms(pre, post, delay):
    """All-to-all pairs the board applies: (potentiation dts, depression dts), both <= 0.

    Post spikes count only if they reach the synapse before the last pre spike;
    a post pairs for potentiation with the earlier pre spikes (not the last).
    """
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    post = post[post < pre[-1] - delay] + delay
    if post.size == 0:
        return np.zeros(0), np.zeros(0)
    diff = np.subtract.outer(post, pre[:-1]).ravel()
    potentiation = -diff[diff > 0]
    diff = np.subtract.outer(post, pre).ravel()
    depression = diff[diff < 0]
    return potentiation, depression


def _nearest_terms(pre, post, delay):
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    post = post[post < pre[-1]] + delay
    potentiation, depression = [], []
    for t in pre:
        after, before = post[post > t], post[post < t]
        if after.size:
            potentiation.append(t - after[0])
        if before.size:
            depression.append(before[-1] - t)
    return np.array(potentiation), np.array(depression)


def _expected(terms, w0, multiplicative):
    potentiation, depression = terms
    up = A_PLUS * np.exp(potentiation / TAU_PLUS).sum()
    down = A_MINUS * np.exp(depression / TAU_MINUS).sum()
    if multiplicative:
        return w0 + (W_MAX - w0) * up - (w0 - W_MIN) * down
    return w0 + up - down


def _potentiation_and_depression(timing, dependence, cell=sim.IF_curr_exp):
    """Upstream's potentiation_and_depression(): pre at 1010, 1050; extra input at 1030."""
    sim.setup(1)
    pre_spikes, extra_spikes, delay, w0 = [1010, 1050], [1030], 3, 2.5
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": pre_spikes}, label="pre")
    extra = sim.Population(1, sim.SpikeSourceArray, {"spike_times": extra_spikes},
                           label="extra")
    post = sim.Population(1, cell(), label="post")
    weight = 5.0 if cell is sim.IF_curr_exp else 0.1
    sim.Projection(pre, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=weight, delay=1), receptor_type="excitatory")
    sim.Projection(extra, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=weight, delay=1), receptor_type="excitatory")
    stdp = sim.STDPMechanism(
        timing_dependence=timing(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS,
                                 A_plus=A_PLUS, A_minus=A_MINUS),
        weight_dependence=dependence(w_min=W_MIN, w_max=W_MAX),
        weight=w0 if cell is sim.IF_curr_exp else 0.0, delay=delay)
    plastic = sim.Projection(pre, post, sim.OneToOneConnector(), synapse_type=stdp,
                             receptor_type="excitatory")
    post.record("spikes")
    sim.run(1100)
    weights = plastic.get("weight", "list", with_address=False)
    post_spikes = post.get_data("spikes").segments[0].spiketrains[0].magnitude
    sim.end()
    return pre_spikes, np.asarray(post_spikes), delay, w0, float(weights[0])


# spynnaker_integration_tests/test_stdp/test_stdp_pair_additive.py and
# test_stdp_pair_multiplicative.py, potentiation_and_depression (rtol 0.001)
@pytest.mark.parametrize("dependence, multiplicative", [
    (sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)])
def test_pair_potentiation_and_depression(dependence, multiplicative):
    pre, post, delay, w0, w = _potentiation_and_depression(sim.SpikePairRule, dependence)
    assert list(post) == [1014, 1032, 1053]                     # board-recorded
    expected = _expected(_pair_terms(pre, post, delay), w0, multiplicative)
    print(f"\npair {dependence.__name__}: {w!r} vs closed form {expected!r}")
    assert np.allclose(w, expected, rtol=0.001)
    # the board's 16-bit weight: the post population's ring-buffer bound is 5 + 5 (static)
    # + w_max 5 (plastic) = 15, left shift 4, so the weight counts 2**-11
    assert (w * 2 ** 11).is_integer()
    if not multiplicative:
        # the value the issue quotes for this board test (2.5033), not the old 2.5584:
        # within one weight LSB (the board cannot hold 2.5033 itself)
        assert abs(w - 2.5033) < 2 ** -11


# spynnaker_integration_tests/test_stdp/test_stdp_nearest_pair_additive.py and
# test_stdp_nearest_pair_multiplicative.py (atol 0.001)
@pytest.mark.parametrize("dependence, multiplicative", [
    (sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)])
def test_nearest_pair_potentiation_and_depression(dependence, multiplicative):
    pre, post, delay, w0, w = _potentiation_and_depression(
        sim.extra_models.SpikeNearestPairRule, dependence)
    assert list(post) == [1014, 1032, 1053]                     # board-recorded
    expected = _expected(_nearest_terms(pre, post, delay), w0, multiplicative)
    print(f"\nnearest {dependence.__name__}: {w!r} vs closed form {expected!r}")
    assert np.allclose(w, expected, atol=0.001)


# test_stdp_pair_additive.py / test_stdp_pair_multiplicative.py, post_spike_same_time
# (rtol 0.001; both projections must learn the same weight). The post cells are driven by
# the plastic synapses alone, so the ring-buffer scale of their receptor comes from the
# plastic projection (w_max 5: left shift 3); the 4.0 weights reach the cells whole and
# they fire at 4 and 8 ms. The event of 4 ms reaches the synapse at 5 and is paired with
# the pre spikes before and after it; the one of 8 ms reaches it at 9, after the last pre
# spike (8), so it never reaches the weight read back (synapse_dynamics_stdp_mad_impl.c).
@pytest.mark.parametrize("dependence, multiplicative", [
    (sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)])
def test_post_spike_same_time(dependence, multiplicative):
    pre_spikes, delay, w0 = list(range(0, 10, 2)), 1, 4.0
    sim.setup(1)
    pre_1 = sim.Population(1, sim.SpikeSourceArray(pre_spikes), label="pre_1")
    pre_2 = sim.Population(1, sim.SpikeSourceArray(pre_spikes), label="pre_2")
    post_1 = sim.Population(1, sim.IF_curr_exp(), label="post_1")
    post_2 = sim.Population(1, sim.IF_curr_exp(), label="post_2")
    post_1.record("spikes")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=TAU_PLUS, tau_minus=TAU_MINUS,
                                            A_plus=A_PLUS, A_minus=A_MINUS),
        weight_dependence=dependence(w_min=W_MIN, w_max=W_MAX), weight=w0, delay=delay)
    conn = sim.OneToOneConnector()
    proj_1 = sim.Projection(pre_1, post_1, conn, stdp)
    proj_2 = sim.Projection(pre_2, post_2, conn, stdp)
    sim.run(12)
    w1 = list(proj_1.get("weight", "list", with_address=False))
    w2 = list(proj_2.get("weight", "list", with_address=False))
    post = post_1.get_data("spikes").segments[0].spiketrains[0].magnitude
    sim.end()
    assert len(post) > 0
    expected = _expected(_pair_terms(pre_spikes, post, delay), w0, multiplicative)
    assert len(w1) == len(w2) == 1 and w1[0] == w2[0]
    assert w1[0] != w0
    assert np.allclose(w1, expected, rtol=0.001)


# spynnaker_integration_tests/test_stdp/test_IF_cond_exp_stdp_mad_pair_additive.py:
# conductance-based cells; board post spikes [1013, 1032, 1051, 1055]; weight against
# the closed form with rtol 0.001.
def test_if_cond_exp_pair_additive():
    sim.setup(1)
    a_plus, a_minus, tau_plus, tau_minus, delay, w0 = 0.1, 0.0375, 20, 64, 1, 0.05
    pre_spikes, extra_spikes = [1010, 1050], [1030]
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": pre_spikes}, label="pre")
    extra = sim.Population(1, sim.SpikeSourceArray, {"spike_times": extra_spikes},
                           label="extra")
    post = sim.Population(1, sim.IF_cond_exp(), label="post")
    sim.Projection(pre, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.1, delay=1), receptor_type="excitatory")
    sim.Projection(extra, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.1, delay=1), receptor_type="excitatory")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                            A_plus=a_plus, A_minus=a_minus),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=0.5),
        weight=w0, delay=delay)
    plastic = sim.Projection(pre, post, sim.OneToOneConnector(), synapse_type=stdp,
                             receptor_type="excitatory")
    post.record("spikes")
    sim.run(1100)
    w = plastic.get("weight", "list", with_address=False)
    post_spikes = post.get_data("spikes").segments[0].spiketrains[0].magnitude
    sim.end()
    assert list(post_spikes) == [1013, 1032, 1051, 1055]           # board-recorded
    potentiation, depression = _pair_terms(pre_spikes, post_spikes, delay)
    expected = (w0 + a_plus * np.exp(potentiation / tau_plus).sum()
                - a_minus * np.exp(depression / tau_minus).sum())
    assert np.allclose(w, expected, rtol=0.001)


# spynnaker_integration_tests/test_stdp/test_STDP_triplet_additive.py: PfisterSpikeTriplet
# with WeightDependenceAdditiveTriplet, 60 pairings at 10 Hz, post 10 ms before or after
# pre; the board's final weights [0.324] and [0.549], rtol 0.001. Needs the board's 16-bit
# weights (left shift 2 here: static 2 + plastic w_max 1) and s16.15 updates: with float64
# weights the -10 case gives 0.32356 (rel 1.4e-3).
TRIPLET_CELL = {"cm": 0.25, "i_offset": 0.0, "tau_m": 10.0, "tau_refrac": 2.0,
                "tau_syn_E": 2.5, "tau_syn_I": 2.5, "v_reset": -70.0, "v_rest": -65.0,
                "v_thresh": -55.4}


@pytest.mark.parametrize("delta_t, board_weight", [
    (-10, 0.324), (10, 0.549)])
def test_triplet_additive(delta_t, board_weight):
    sim.setup(timestep=1.0, min_delay=1.0)
    pre_pop = sim.Population(1, sim.IF_curr_exp(**TRIPLET_CELL))
    post_pop = sim.Population(1, sim.IF_curr_exp(**TRIPLET_CELL))
    pre_times = [99 + s * 100 for s in range(61)]
    post_times = [100 + delta_t + s * 100 for s in range(60)]
    pre_stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[pre_times]))
    post_stim = sim.Population(1, sim.SpikeSourceArray(spike_times=[post_times]))
    for stim, pop in ((pre_stim, pre_pop), (post_stim, post_pop)):
        sim.Projection(stim, pop, sim.OneToOneConnector(), receptor_type="excitatory",
                       synapse_type=sim.StaticSynapse(weight=2))
    scale = 0.5
    stdp = sim.STDPMechanism(
        timing_dependence=sim.extra_models.PfisterSpikeTriplet(
            tau_plus=16.8, tau_minus=33.7, tau_x=101, tau_y=114,
            A_plus=scale * 0.0, A_minus=scale * 7.1e-3),
        weight_dependence=sim.extra_models.WeightDependenceAdditiveTriplet(
            w_min=0.0, w_max=1.0, A3_plus=scale * 6.5e-3, A3_minus=scale * 0.0),
        weight=0.5, delay=1)
    prj = sim.Projection(pre_pop, post_pop, sim.OneToOneConnector(), synapse_type=stdp)
    sim.run(max(max(pre_times), max(post_times)) + 100)
    w = prj.get("weight", "list", with_address=False)
    sim.end()
    print(f"\ntriplet delta_t {delta_t}: {w[0]!r} vs board {board_weight}")
    assert np.allclose(w, [board_weight], rtol=0.001)
