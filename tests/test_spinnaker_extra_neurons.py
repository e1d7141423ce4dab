"""sPyNNaker's IFCondExpStoc, IFCurrExpCa2Adaptive and IF_curr_exp_sEMD against their C formulas.

Expected values are worked by hand from the C headers
(threshold_type_maass_stochastic.h, additional_input_ca2_adaptive_impl.h with
neuron_model_lif_impl.h, synapse_types_semd_impl.h with exp_synapse_utils.h).
"""

import importlib.util
import math

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import fixed_point as fx


def _signal(population, name):
    return population.get_data().segments[0].filter(name=name)[0].magnitude.ravel()


def test_names_and_defaults_are_spynnakers():
    stoc = sim.extra_models.IFCondExpStoc
    assert stoc.default_parameters["du_th"] == 0.5 and stoc.default_parameters["tau_th"] == 20.0
    assert stoc.default_parameters["tau_refrac"] == 0.1 and stoc.conductance_based
    ca2 = sim.extra_models.IFCurrExpCa2Adaptive
    assert ca2.default_parameters["tau_ca2"] == 50.0 and ca2.default_parameters["i_alpha"] == 0.1
    assert ca2.default_initial_values["i_ca2"] == 0.0
    semd = sim.extra_models.IF_curr_exp_sEMD
    assert semd.default_parameters["scaling_factor"] == 1.0
    assert semd.receptor_types == ("excitatory", "excitatory2", "inhibitory")
    assert set(semd.default_initial_values) == {"v", "isyn_exc", "isyn_exc2", "isyn_inh",
                                                "exc2_old", "multiplicator"}
    assert "IFCondExpStoc" not in sim.extra_models.NOT_IMPLEMENTED


def _stochastic_threshold(fixed_point):
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    cell = sim.Population(1, sim.extra_models.IFCondExpStoc(v_thresh=-50.0))
    sim.run(1.0)
    return cell._group.threshold


def test_stochastic_threshold_as_the_board_computes_it():
    threshold = _stochastic_threshold(True)

    def fires(v, r):
        return bool(threshold.fires(fx.to_s1615(np.array([v])), np.array([r]))[0])

    # v = -51: exponent = -1/0.5 = -2 (bits -65536); expk(-2) = rint(0.135335 * 32768)
    # = 4435; tau_th_inv = kdivk(1, 20) = 1638; hazard = 4435 * 1638 >> 15 = 221;
    # dt/10 = kdivk(1, 10) = 3276; x = 221 * 3276 >> 15 = 22; expk(x) = 32790 > 1.0:
    # 1 - expk = -22, times 0.8k (26214) >> 15 = -18: negative, wrapped as UREAL -> fires
    assert fires(-51.0, 65535)
    # v = -53: exponent -6; expk = 81; hazard = 81 * 1638 >> 15 = 4; x = 4 * 3276 >> 15 = 0;
    # expk(0) = 1.0: result 0 -> fires only for r = 0
    assert fires(-53.0, 0) and not fires(-53.0, 1)
    # v = -47: exponent 6 >= 5: result = 0.8k = 26214 (u16.16: 52428) -> fires iff r <= 52428
    assert fires(-47.0, 52428) and not fires(-47.0, 52429)
    sim.end()


def test_stochastic_threshold_float_mode_same_decisions():
    threshold = _stochastic_threshold(False)
    decide = lambda v, r: bool(threshold.fires(np.array([v]), np.array([r]))[0])  # noqa: E731
    assert decide(-51.0, 65535)
    assert decide(-53.0, 0) and not decide(-53.0, 1)
    assert decide(-47.0, 52428) and not decide(-47.0, 52429)
    sim.end()


def test_stochastic_cell_fires_near_threshold_only():
    # i_offset drives v towards v_rest + i_offset R: at -53.0 (3 mV below v_thresh) the
    # board's rule gives (almost) no spike; towards -50.5 it fires
    for i_offset, expect_spikes in ((0.6, False), (0.73, True)):
        sim.setup(timestep=1.0)
        cell = sim.Population(1, sim.extra_models.IFCondExpStoc(
            i_offset=i_offset, v_thresh=-50.0, v_reset=-70.0, tau_refrac=2.0))
        cell.record("spikes")
        sim.run(300.0)
        n = len(cell.get_data().segments[0].spiketrains[0])
        assert (n > 5) if expect_spikes else (n <= 1), (i_offset, n)
        sim.end()


#: the engines the Ca2 closed forms run on (the compiled tick computes Ca2AdaptiveLIF)
ENGINES = ["numpy"] + (["numba"] if importlib.util.find_spec("numba") else [])


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fixed_point", [False, True])
def test_ca2_current_decays_and_is_subtracted(fixed_point, engine):
    # no input, i_ca2 = 1 nA at the start: each tick i_ca2 *= exp(-dt/tau_ca2), then the
    # LIF closed form with I = -i_ca2: v' = alpha - exp(-dt/tau_m) (alpha - v),
    # alpha = -i_ca2 R + v_rest, R = tau_m / cm
    sim.setup(timestep=1.0, fixed_point=fixed_point, engine=engine)
    cell = sim.Population(1, sim.extra_models.IFCurrExpCa2Adaptive(v_thresh=100.0))
    cell.initialize(i_ca2=1.0)
    cell.record("v")
    sim.run(10.0)
    v = _signal(cell, "v")
    expected, v_k, i_ca2 = [-65.0], -65.0, 1.0
    for _ in range(9):
        i_ca2 *= math.exp(-1.0 / 50.0)
        alpha = -i_ca2 * 20.0 - 65.0
        v_k = alpha - math.exp(-1.0 / 20.0) * (alpha - v_k)
        expected.append(v_k)
    tolerance = 2e-3 if fixed_point else 1e-9       # s16.15 rounding over 9 ticks
    assert v[:10] == pytest.approx(expected, abs=tolerance)
    sim.end()


@pytest.mark.parametrize("engine", ENGINES)
def test_ca2_grows_by_i_alpha_at_each_spike(engine):
    sim.setup(timestep=1.0, fixed_point=False, engine=engine)
    cell = sim.Population(1, sim.extra_models.IFCurrExpCa2Adaptive(
        i_offset=1.5, i_alpha=0.2, tau_ca2=30.0, tau_refrac=2.0))
    free = sim.Population(1, sim.extra_models.IFCurrExpCa2Adaptive(
        i_offset=1.5, i_alpha=0.0, tau_ca2=30.0, tau_refrac=2.0))
    cell.record("spikes")
    free.record("spikes")
    sim.run(200.0)
    spikes = cell.get_data().segments[0].spiketrains[0].magnitude
    n_free = len(free.get_data().segments[0].spiketrains[0])
    assert 3 < spikes.size < n_free              # adaptation slows it down
    # i_ca2 at the end: each spike's i_alpha decayed over the ticks since it (the spike
    # of tick t is stamped t; i_ca2 is decayed at the start of each of ticks t+1 .. 199)
    expected = sum(0.2 * math.exp(-(199.0 - t) / 30.0) for t in spikes)
    assert cell._group.state["i_ca2"][0] == pytest.approx(expected, rel=1e-9)
    sim.end()


@pytest.mark.parametrize("engine", ENGINES)
def test_semd_response_is_trigger_times_facilitation(engine):
    # facilitation (excitatory, w1 = 2 at t = 4) and trigger (excitatory2, w2 = 0.5 at
    # t = 20), delay 1 ms: isyn = w init, init = tau/dt (1 - exp(-dt/tau)), decaying by
    # exp(-dt/tau) per tick. When the trigger arrives (tick 21) the multiplicator takes
    # isyn_exc of that tick; gsyn_exc = isyn_exc2 * multiplicator * scaling_factor, until
    # isyn_exc2 falls below 0.001 (then 0)
    sim.setup(timestep=1.0, fixed_point=False, engine=engine)
    cell = sim.Population(1, sim.extra_models.IF_curr_exp_sEMD(
        tau_syn_E=20.0, tau_syn_E2=10.0, scaling_factor=3.0, v_thresh=100.0))
    facilitation = sim.Population(1, sim.SpikeSourceArray(spike_times=[4.0]))
    trigger = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    sim.Projection(facilitation, cell, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=2.0, delay=1.0), receptor_type="excitatory")
    sim.Projection(trigger, cell, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.5, delay=1.0), receptor_type="excitatory2")
    cell.record("gsyn_exc")
    sim.run(120.0)
    g = _signal(cell, "gsyn_exc")
    d1, d2 = math.exp(-1 / 20.0), math.exp(-1 / 10.0)
    init1, init2 = 20.0 * (1 - d1), 10.0 * (1 - d2)
    multiplicator = 2.0 * init1 * d1 ** (21 - 5)
    expected = np.zeros(120)
    for tick in range(21, 120):
        exc2 = 0.5 * init2 * d2 ** (tick - 21)
        expected[tick] = exc2 * multiplicator * 3.0 if exc2 >= 0.001 else 0.0
    assert g[:120] == pytest.approx(expected, abs=1e-12)
    # (exc2 < 0.001 from 62 ticks after the trigger: the response stops there)
    assert expected[21 + 61] > 0.0 and not expected[21 + 62:].any()
    sim.end()


@pytest.mark.parametrize("engine", ENGINES)
def test_semd_fixed_point_close_to_float(engine):
    traces = []
    for fixed_point in (False, True):
        sim.setup(timestep=1.0, fixed_point=fixed_point, engine=engine)
        cell = sim.Population(1, sim.extra_models.IF_curr_exp_sEMD(
            cm=0.25, tau_m=10.0, tau_refrac=1.0, tau_syn_E=20.0, tau_syn_I=20.0,
            v_reset=-85.0, v_rest=-60.0, v_thresh=-50.0, scaling_factor=100.0))
        for t, receptor in ((4.0, "excitatory"), (20.0, "excitatory2")):
            source = sim.Population(1, sim.SpikeSourceArray(spike_times=[t]))
            sim.Projection(source, cell, sim.OneToOneConnector(),
                           sim.StaticSynapse(weight=1.0, delay=1.0), receptor_type=receptor)
        cell.initialize(v=-60.0)
        cell.record(["spikes", "gsyn_exc"])
        sim.run(100.0)
        segment = cell.get_data().segments[0]
        traces.append((segment.spiketrains[0].magnitude, _signal(cell, "gsyn_exc")))
        sim.end()
    (s_float, g_float), (s_fixed, g_fixed) = traces
    assert s_float.size > 3 and np.array_equal(s_float, s_fixed)
    assert g_fixed == pytest.approx(g_float, abs=0.05)
