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
    """The board's LUTs and 11-bit traces, by hand: within sPyNNaker's own 0.02 of exact."""
    w, _ = _izhikevich_2007(fixed_point=True)
    one = 2048.0

    def lut(ticks, tau, shift):
        return math.floor(math.exp(-((ticks >> shift) << shift) / tau) * one) / one
    pot = lut(4, 10, 0)                                   # k_pre = 1 decayed over 4 ticks
    el = pot * lut(97, 1000, 4)                           # tau_c table, 16-tick steps
    dopamine = round(0.1 * one) / one                     # 205 / 2048
    both = math.floor(lut(799, 1000, 4) * one * lut(799, 200, 2) * one / one) / one - 1.0
    expected = el * dopamine * both * (1.0 / -(1.0 / 1000 + 1.0 / 200))
    assert w == pytest.approx(expected, rel=1e-9)
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
