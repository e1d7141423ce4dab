"""extra_models.Neuromodulation and neuromodulated STDP (sPyNNaker 7.4's update rules).

Ground truth: sPyNNaker's own integration test
(spynnaker_integration_tests/test_stdp/test_stdp_neuromodulation.py): pre spikes
at 1500 and 2400 ms, post neuron driven to fire at 1503 ms, one reward spike
at 1600 ms (concentration 0.1, tau_c 1000, tau_d 200), SpikePairRule(tau_plus
10, A_plus 1), additive [0, 20]. Its hand calculation from Izhikevich (2007)
gives 10.0552710...; it accepts the board within 0.02 (the board's LUTs and
11-bit traces). Further cases computed by hand from the same equations
(punishment, a dopamine trace already present, the 16-entry history, the LUTs).
"""

import math

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pyNN import errors
from pynn_tinysim.engine.spinnaker import neuromodulation as nm

CELL = {"cm": 0.3, "i_offset": 0.0, "tau_m": 10.0, "tau_refrac": 4.0, "tau_syn_E": 1.0,
        "tau_syn_I": 1.0, "v_reset": -70.0, "v_rest": -65.0, "v_thresh": -55.4}


def _izhikevich_2007(fixed_point, t_dopamine=(1600,), receptor="reward", weight=0.0,
                     concentration=0.1, w_max=20.0, duration=3000):
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1500, 2400]})
    reward = sim.Population(1, sim.SpikeSourceArray, {"spike_times": list(t_dopamine)},
                            label="reward")
    stim = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1502]})
    post = sim.Population(1, sim.IF_curr_exp, CELL, label="post1")
    post.record("spikes")
    sim.Projection(stim, post, sim.AllToAllConnector(), synapse_type=sim.StaticSynapse(weight=6),
                   receptor_type="excitatory")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=10, tau_minus=12, A_plus=1, A_minus=1),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=20), weight=weight)
    plastic = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=stdp,
                             receptor_type="excitatory")
    modulation = sim.Projection(reward, post, sim.AllToAllConnector(),
                                synapse_type=sim.extra_models.Neuromodulation(
                                    weight=concentration, tau_c=1000, tau_d=200, w_max=w_max),
                                receptor_type=receptor)
    sim.run(duration)
    w = plastic.get("weight", "list", with_address=False)[0]
    spikes = np.asarray(post.get_data("spikes").segments[0].spiketrains[0])
    assert modulation.receptor_type == receptor
    sim.end()
    return w, spikes


def _exact(concentration=0.1, t_post=1503.0):
    # the integration test's own calculation (post processed at t_post + 1 = 1504,
    # dopamine at 1601, pre at 2400)
    el = math.exp(-(t_post + 1 - 1500) / 10) * math.exp(-(1601 - t_post - 1) / 1000)
    const = 1.0 / -(1.0 / 1000 + 1.0 / 200)
    return el * concentration * const * (math.exp(-799 / 200) * math.exp(-799 / 1000) - 1)


def test_spynnaker_integration_test_float():
    w, spikes = _izhikevich_2007(fixed_point=False)
    assert spikes[0] == 1503.0 and spikes[1] > 2400      # (the learned weight fires it)
    assert w == pytest.approx(10.0552710, abs=1e-7)
    assert w == pytest.approx(_exact(), rel=1e-12)


def test_spynnaker_integration_test_board_arithmetic():
    """The board's integers by hand (``synapse_dynamics_stdp_izhikevich_neuromodulation.c``):
    LUT decays and traces in 11-bit fixed point, weight and eligibility as s16.15 accums
    entering and leaving as the 16-bit ``bits >> shift``; within sPyNNaker's own 0.02
    of exact. (Its docstring's board value, 10.0087890625, was recorded in 2017 by an
    older C code; sPyNNaker 7.4's arithmetic, followed here, gives 10.0654296875.)"""
    w, _ = _izhikevich_2007(fixed_point=True)

    def lut(ticks, tau, shift):                           # get_exp_lut_array's entry
        return math.floor(math.exp(-((ticks >> shift) << shift) / tau) * 2048)

    def mul_accum_fixed(accum, stdp):                     # accum * (stdp << 4), >> 15
        return (accum * (stdp << 4)) >> 15
    r = (2048 * lut(4, 10, 0)) >> 11                      # k_pre = 1 decayed over 4 ticks
    c = mul_accum_fixed(1 << 15, r)                       # A_plus = 1.0 (s16.15) times r
    c = mul_accum_fixed(c, lut(97, 1000, 4))              # eligibility decay, tau_c table
    dopamine = round(0.1 * 2048)                          # 205
    both = ((lut(799, 1000, 4) * lut(799, 200, 2)) >> 11) - 2048
    constant = round(1.0 / -(1.0 / 1000 + 1.0 / 200) * 2 ** 15)
    accum = (mul_accum_fixed(mul_accum_fixed(c, dopamine), both) * constant) >> 15
    assert (r, c, both, accum) == (1372, 19936, -2031, 329833)
    shift = 5                                             # this target's ring-buffer shift
    assert w == (accum >> shift) / 2.0 ** (15 - shift) == 10.0654296875
    assert abs(w - 10.0552710) < 0.02


def test_punishment_depresses_by_the_same_amount():
    w, spikes = _izhikevich_2007(fixed_point=False, receptor="punishment", weight=2.0,
                                 concentration=0.01)
    assert spikes[0] < 1600 and 2.0 - _exact(0.01, spikes[0]) > 0.5
    assert w == pytest.approx(2.0 - _exact(0.01, spikes[0]), rel=1e-12)
    w, _ = _izhikevich_2007(fixed_point=False, receptor="punishment", weight=5.0)
    assert w == 0.0                                        # clipped at the w_min of 0


def test_weight_bounded_by_neuromodulation_w_max():
    w, _ = _izhikevich_2007(fixed_point=False, w_max=3.0)
    assert w == 3.0


def test_dopamine_before_the_eligibility_then_gated_by_it():
    """Dopamine at 1400 (before the pairing): D decays from 1401 on; the pairing's
    eligibility (post at 1504) then meets D until the pre spike at 2401."""
    w, spikes = _izhikevich_2007(fixed_point=False, t_dopamine=(1400,))
    assert spikes[0] == 1503.0
    D0 = 0.1
    # window of the pre spike at stamp 2401: events (post 1504 -> 1505, nothing else);
    # D before the window: the dopamine entry (stamp 1401) decayed to t_last (1501)
    D = D0 * math.exp(-(1501 - 1401) / 200)
    const = 1.0 / -(1.0 / 1000 + 1.0 / 200)
    # 1501 -> 1505: c = 0, no gain; then potentiation c = exp(-4/10), D = the post entry's
    # dopamine trace (D0 decayed from 1401 to 1504 stamp)
    c = math.exp(-4 / 10)
    D = D0 * math.exp(-(1504 - 1401) / 200)
    span = 2401 - 1505
    expected = c * D * (math.exp(-span / 1000) * math.exp(-span / 200) - 1) * const
    assert w == pytest.approx(expected, rel=1e-12)


def test_history_keeps_sixteen_entries_and_the_placeholder():
    class Net:
        pass
    history = nm.PostHistory(Net())
    rows = history.rows([7])
    history.set_params(rows, tau_minus=20.0, tau_c=100.0, tau_d=5.0, w_min=0.0, w_max=1.0)
    for stamp in range(1, 21):
        history.add_post_spikes(rows, stamp, 1.0, board=False)
    history.add_post_spikes(rows, 20, 1.0, board=False)           # same stamp: once only
    assert history.count[0] == nm.MAX_POST_SYNAPTIC_EVENTS
    assert history.times[0, 0] == 0 and list(history.times[0, 1:]) == list(range(6, 21))
    trace = history.post[0, -1]
    assert trace == pytest.approx(sum(math.exp(-k / 20) for k in range(20)), rel=1e-12)
    history.add_dopamine(np.array([0, 0]), 21, np.array([0.5, -0.2]), 1.0, board=False)
    assert list(history.is_dopamine[0, -2:]) == [True, True]
    assert history.dopamine[0, -1] == pytest.approx(0.5 - 0.2, rel=1e-12)
    assert history.post[0, -1] == pytest.approx(trace * math.exp(-1 / 20), rel=1e-12)


def test_lut_decay_is_spynnakers_table():
    # get_exp_lut_array(1.0, 200, shift=2): entry i = floor(exp(-4 i / 200) 2048)
    assert nm.lut_decay(13, 200.0, 1.0, 2, True) == math.floor(math.exp(-12 / 200) * 2048) / 2048
    # past the table's end (size: ln(2048) 200 / 4 rounded up to even = 382 entries): 0
    assert nm.lut_decay(382 * 4, 200.0, 1.0, 2, True) == 0.0
    assert nm.lut_decay(381 * 4, 200.0, 1.0, 2, True) > 0.0
    assert nm.lut_decay(13, 200.0, 1.0, 2, False) == math.exp(-13 / 200)


def test_neuromodulation_errors_are_spynnakers():
    with pytest.raises(errors.InvalidParameterValueError, match=">= 0"):
        sim.extra_models.Neuromodulation(w_min=-1.0)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_c"):
        sim.extra_models.Neuromodulation(tau_c=0.0)
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1]))
    post = sim.Population(1, sim.IF_curr_exp(), label="post")
    neuromod = sim.extra_models.Neuromodulation(weight=0.1)
    with pytest.raises(errors.ConnectionError, match="existing projection"):
        sim.Projection(src, post, sim.AllToAllConnector(), neuromod, receptor_type="reward")
    sim.Projection(src, post, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence()))
    with pytest.raises(errors.ConnectionError, match="'reward' or 'punishment'"):
        sim.Projection(src, post, sim.AllToAllConnector(), neuromod,
                       receptor_type="excitatory")
    with pytest.raises(errors.ConnectionError, match="receptor_type"):
        sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0),
                       receptor_type="reward")
    sim.Projection(src, post, sim.AllToAllConnector(), neuromod, receptor_type="reward")
    sim.Projection(src, post, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.extra_models.SpikeNearestPairRule(),
        weight_dependence=sim.AdditiveWeightDependence()))
    with pytest.raises(NotImplementedError, match="SpikeNearestPairRule"):
        sim.run(10)
    sim.end()


# --- StructuralMechanismSTDP onto a neuromodulated Population (sPyNNaker merges them) ------


def _structural_stdp(w_max=20.0, initial_weight=0.0, p_form=0.0):
    # no rewiring unless p_form > 0: formation table all zero, elimination probabilities 0
    return sim.StructuralMechanismSTDP(
        sim.RandomSelection(),
        sim.DistanceDependentFormation(grid=[1, 1], p_form_forward=p_form),
        sim.RandomByWeightElimination(threshold=0.5, prob_elim_depressed=0.0,
                                      prob_elim_potentiated=0.0),
        timing_dependence=sim.SpikePairRule(tau_plus=10, tau_minus=12, A_plus=1, A_minus=1),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=w_max),
        initial_weight=initial_weight, s_max=4, f_rew=1000.0)


@pytest.mark.parametrize("fixed_point", [False, True])
def test_structural_stdp_onto_a_neuromodulated_population_is_neuromodulated(fixed_point):
    """The integration test's network with the STDP as a StructuralMechanismSTDP (no
    rewiring): the same weight as the plain neuromodulated STDP, not the pair rule's."""
    plain, _ = _izhikevich_2007(fixed_point=fixed_point)
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1500, 2400]})
    reward = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1600]})
    stim = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1502]})
    post = sim.Population(1, sim.IF_curr_exp, CELL, label="post1")
    sim.Projection(stim, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=6))
    plastic = sim.Projection(pre, post, sim.AllToAllConnector(), _structural_stdp())
    sim.Projection(reward, post, sim.AllToAllConnector(),
                   sim.extra_models.Neuromodulation(weight=0.1, tau_c=1000, tau_d=200,
                                                    w_max=20.0), receptor_type="reward")
    sim.run(3000)
    block = plastic._block
    assert isinstance(block.inner, nm.NeuromodulatedSTDP)
    assert isinstance(block.inner, nm.NeuromodulatedSlots)
    w = plastic.get("weight", "list", with_address=False)
    sim.end()
    assert list(w) == [plain]
    if not fixed_point:
        assert plain == pytest.approx(10.0552710, abs=1e-7)


def test_formed_neuromodulated_synapse_starts_with_no_eligibility():
    """synapse_dynamics_add_neuron (neuromodulated): the formation's weight, eligibility 0,
    the row's presynaptic trace."""
    sim.setup(timestep=1.0, fixed_point=False)
    pre = sim.Population(2, sim.SpikeSourceArray, {"spike_times": [5.0]})
    reward = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1.0]})
    post = sim.Population(1, sim.IF_curr_exp, CELL)
    plastic = sim.Projection(pre, post, sim.FromListConnector([(0, 0, 1.0, 1.0)]),
                             _structural_stdp(initial_weight=0.25))
    sim.Projection(reward, post, sim.AllToAllConnector(),
                   sim.extra_models.Neuromodulation(weight=0.1), receptor_type="reward")
    sim.run(10.0)
    block = plastic._block
    inner = block.inner
    empty = int(np.flatnonzero(inner.pre < 0)[0])
    inner.eligibility[empty] = 0.7                      # (left from an eliminated synapse)
    block.form(empty, 1, 1)
    assert inner.eligibility[empty] == 0.0
    assert inner.weight[empty] == 0.25 and inner.pre[empty] == int(pre[1])
    # the row of pre[1] spiked once, at 5 ms (stamp 6): its trace, decayed since then, +1 next
    assert inner._t_last[empty] == block._row_t[1] and inner._k_pre[empty] == 1.0
    sim.end()


def test_structural_stdp_elsewhere_keeps_the_pair_rule():
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [1.0]})
    modulated = sim.Population(1, sim.IF_curr_exp, CELL)
    plain = sim.Population(1, sim.IF_curr_exp, CELL)
    a = sim.Projection(src, modulated, sim.AllToAllConnector(), _structural_stdp())
    b = sim.Projection(src, plain, sim.AllToAllConnector(), _structural_stdp())
    sim.Projection(src, modulated, sim.AllToAllConnector(),
                   sim.extra_models.Neuromodulation(weight=0.1), receptor_type="reward")
    sim.run(5.0)
    assert isinstance(a._block.inner, nm.NeuromodulatedSTDP)
    assert not isinstance(b._block.inner, nm.NeuromodulatedSTDP)
    sim.end()


# --- a neuron of the neuromodulated Population that no dopamine reaches ----------------


def _unrewarded_neighbour(fixed_point, weight=0.5, engine="numpy"):
    """Two post neurons, one STDP projection onto both, a reward onto neuron 0 only."""
    sim.setup(timestep=1.0, fixed_point=fixed_point, engine=engine)
    pre = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [10, 50, 90]})
    reward = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [30]})
    stim = sim.Population(1, sim.SpikeSourceArray, {"spike_times": [12, 60]})
    post = sim.Population(2, sim.IF_curr_exp, CELL)
    sim.Projection(stim, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=6))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=10, tau_minus=12, A_plus=1, A_minus=1),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0, w_max=20), weight=weight)
    plastic = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    sim.Projection(reward, post, sim.FromListConnector([(0, 0, 0.1, 1.0)]),
                   sim.extra_models.Neuromodulation(weight=0.1, w_max=2.0),
                   receptor_type="reward")
    sim.run(100)
    w = np.asarray(plastic.get("weight", "list", with_address=False))
    eligibility = plastic._block.eligibility.copy()
    sim.end()
    return w, eligibility


@pytest.mark.parametrize("fixed_point", [False, True])
def test_neuron_no_dopamine_reaches_keeps_its_weight(fixed_point):
    """sPyNNaker's neuromodulation parameters are the Population's (its synapse dynamics),
    so the unrewarded neuron decays no NaN dopamine trace (float mode gave a NaN weight,
    tau_d being unknown there): its dopamine stays 0, its weight unchanged, its
    eligibility moved by the pair rule; the rewarded one learns."""
    w, eligibility = _unrewarded_neighbour(fixed_point)
    assert np.isfinite(w).all()
    assert w[1] == 0.5 and eligibility[1] > 0.0
    assert w[0] > 0.5


@pytest.mark.parametrize("fixed_point", [False, True])
def test_neuron_no_dopamine_reaches_is_bounded_by_the_neuromodulation(fixed_point):
    """get_nm_final_state clips every updated weight to the Neuromodulation's [w_min,
    w_max], the unrewarded neuron's too (its Population's parameters)."""
    w, _ = _unrewarded_neighbour(fixed_point, weight=3.0)
    assert w[1] == 2.0
