"""pyNN.tinysim.spinnaker: each semantic difference from PyNN-standard backends.

Update rules are checked in float64 mode (``setup(fixed_point=False)``) against
values computed here by hand from sPyNNaker's published equations; the
fixed-point arithmetic has its own test module (test_spinnaker_fixed_point.py).
"""

import logging
import math

import numpy as np
import pytest

from pyNN import errors
import pyNN.tinysim as core
import pyNN.tinysim.spinnaker as sim

MAGIC = 0.040008544921875


def _single(celltype, t_stop, dt=1.0, spikes=None, weight=1.0, delay=1.0,
            receptor="excitatory", fixed=False, variables=("v", "spikes")):
    sim.setup(timestep=dt, fixed_point=fixed)
    cell = sim.Population(1, celltype, label="cell")
    if spikes is not None:
        source = sim.Population(1, sim.SpikeSourceArray(spike_times=spikes), label="src")
        sim.Projection(source, cell, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=weight, delay=delay), receptor_type=receptor)
    cell.record(list(variables))
    sim.run(t_stop)
    segment = cell.get_data().segments[0]
    signals = {s.name: np.asarray(s)[:, 0] for s in segment.analogsignals}
    spikes = segment.spiketrains[0] if len(segment.spiketrains) else []
    return signals, np.asarray(spikes)


# --- LIF ---------------------------------------------------------------------------------

def test_lif_closed_form_with_input_held_over_the_step():
    signals, spikes = _single(sim.IF_curr_exp(i_offset=0.6, tau_m=20.0, cm=1.0), 30)
    v = signals["v"]
    alpha = 0.6 * 20.0 - 65.0
    k = np.arange(v.size)
    assert np.allclose(v, alpha - np.exp(-k / 20.0) * (alpha + 65.0), atol=1e-12)
    assert v.size == 30                     # samples at 0 .. 29 ms, none at 30 ms


def test_spike_reported_at_the_start_of_its_tick():
    # v after tick k is alpha - e^{-(k+1)/20} 20: reaches -50 after tick 27
    _, spikes = _single(sim.IF_curr_exp(i_offset=1.0), 60)
    assert list(spikes[:2]) == [27.0, 56.0]  # refractory 1 tick, then 28 ticks to threshold


@pytest.mark.parametrize("tau_refrac, frozen", [(0.1, 1), (2.0, 2), (2.5, 3)])
def test_refractory_period_is_whole_ticks(tau_refrac, frozen):
    signals, spikes = _single(sim.IF_curr_exp(i_offset=2.0, tau_refrac=tau_refrac,
                                              v_reset=-70.0), 60)
    v = signals["v"]
    first = int(spikes[0])
    # the spike's tick leaves v at v_reset, then `frozen` ticks keep it there
    assert np.all(v[first + 1:first + 2 + frozen] == -70.0)
    assert v[first + 2 + frozen] > -70.0


def test_exponential_synapse_decay_and_init_factors():
    tau_syn, tau_m, w = 5.0, 20.0, 0.5
    signals, _ = _single(sim.IF_curr_exp(tau_syn_E=tau_syn), 20, spikes=[10.0], weight=w,
                         variables=("v", "gsyn_exc"))
    v, g = signals["v"], signals["gsyn_exc"]
    decay, init = math.exp(-1 / tau_syn), tau_syn * (1 - math.exp(-1 / tau_syn))
    # sent on tick 10, delay 1: enters the synapse on tick 11, first moves v after it
    assert np.all(v[:12] == -65.0)
    expected_v, vk = [], -65.0
    for k in range(11, 19):
        current = w * init * decay ** (k - 11)
        alpha = current * (tau_m / 1.0) - 65.0
        vk = alpha - math.exp(-1 / tau_m) * (alpha - vk)
        expected_v.append(vk)
    assert np.allclose(v[12:20], expected_v, atol=1e-12)
    # gsyn at t is the synaptic input that drives tick t, recorded with v before that
    # tick's update (neuron_impl_standard.h; board recording 20_1_gsyn.csv of
    # p8_integration_tests, see test_spinnaker_board_recordings.py)
    assert np.allclose(g[11:14], [w * init, w * init * decay, w * init * decay ** 2])
    assert np.all(g[:11] == 0.0)


def test_inhibitory_weights_are_magnitudes():
    base, _ = _single(sim.IF_curr_exp(), 20, spikes=[5.0], weight=1.0, receptor="inhibitory")
    signed, _ = _single(sim.IF_curr_exp(), 20, spikes=[5.0], weight=-1.0,
                        receptor="inhibitory")
    assert base["v"][10] < -65.0
    assert np.array_equal(base["v"], signed["v"])


def test_projection_stores_magnitudes_and_refuses_mixed_signs():
    sim.setup(timestep=1.0)
    a = sim.Population(3, sim.IF_curr_exp())
    b = sim.Population(3, sim.IF_curr_exp())
    p = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=-0.5),
                       receptor_type="inhibitory")
    assert np.allclose(p.get("weight", format="list", with_address=False), 0.5)
    with pytest.raises(errors.ConnectionError, match="all positive or all negative"):
        sim.Projection(a, b, sim.FromListConnector([(0, 0, 0.5, 1.0), (1, 1, -0.5, 1.0)]),
                       receptor_type="inhibitory")
    p.set(weight=-2.0)
    assert np.allclose(p.get("weight", format="list", with_address=False), 2.0)


def test_positive_inhibitory_weight_is_an_error_only_in_the_standard_flavour():
    core.setup(timestep=1.0)
    a = core.Population(1, core.IF_curr_exp())
    with pytest.raises(errors.ConnectionError, match="pyNN.tinysim.spinnaker"):
        core.Projection(a, a, core.OneToOneConnector(), core.StaticSynapse(weight=1.0),
                        receptor_type="inhibitory")


def test_conductance_input_held_over_the_step():
    w, tau_m = 0.01, 20.0
    signals, _ = _single(sim.IF_cond_exp(), 15, spikes=[4.0], weight=w)
    v = signals["v"]
    init = 5.0 * (1 - math.exp(-1 / 5.0))
    g = w * init                                       # uS, on tick 5
    current = g * (0.0 - (-65.0))                      # g (E_rev_E - v), v at the tick start
    alpha = current * tau_m - 65.0
    assert v[5] == -65.0
    assert v[6] == pytest.approx(alpha - math.exp(-1 / tau_m) * (alpha + 65.0), abs=1e-12)


def test_delta_synapse_is_a_one_tick_current():
    w, dt, tau_m = 2.0, 1.0, 20.0
    signals, _ = _single(sim.IF_curr_delta(), 12, spikes=[3.0], weight=w)
    v = signals["v"]
    jump = (w / dt) * tau_m * (1 - math.exp(-dt / tau_m))   # current w/dt for one tick
    # sent on tick 3, delay 1: the current flows during tick 4
    assert np.all(v[:5] == -65.0) and v[5] == pytest.approx(-65.0 + jump, abs=1e-12)
    assert v[6] == pytest.approx(-65.0 + jump * math.exp(-dt / tau_m), abs=1e-12)


def test_alpha_synapse_follows_spynnakers_buffers():
    tau, w, dt = 2.0, 1.0, 1.0
    signals, _ = _single(sim.IF_curr_alpha(tau_syn_E=tau), 12, spikes=[2.0], weight=w,
                         variables=("v", "gsyn_exc"))
    g = signals["gsyn_exc"]
    # enters on tick 3: exp_buff = 1, lin = w dt/tau^2 (1 - 1/1) = 0, q = w
    # each later tick: lin += q dt/tau^2, exp_buff *= exp(-dt/tau); response = lin exp_buff
    expected, lin, expb = [], 0.0, 1.0
    for _ in range(6):
        expected.append(lin * expb)
        lin += w * dt / tau ** 2
        expb *= math.exp(-dt / tau)
    # (gsyn at t: the input driving tick t, as the board records it)
    assert np.allclose(g[3:9], expected, atol=1e-12)


def test_dual_exponential_has_a_second_excitatory_receptor():
    sim.setup(timestep=1.0, fixed_point=False)
    cell = sim.Population(1, sim.extra_models.IF_curr_dual_exp(tau_syn_E=5.0, tau_syn_E2=1.0))
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    sim.Projection(src, cell, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0),
                   receptor_type="excitatory2")
    cell.record(["v", "gsyn_exc"])
    sim.run(10)
    g = np.asarray(cell.get_data().segments[0].filter(name="gsyn_exc")[0])[:, 0]
    init = 1.0 * (1 - math.exp(-1.0))
    # sent on tick 1, delay 1: drives tick 2, recorded at 2 ms (board alignment)
    assert g[2] == pytest.approx(init) and g[3] == pytest.approx(init * math.exp(-1.0))


# --- Izhikevich --------------------------------------------------------------------------

def _izhikevich_reference(a, b, c, d, current, v, u, n_steps, dt=1.0):
    """sPyNNaker's Izhikevich: RK2 midpoint, 0.040008544921875, 1.85 dt after a spike."""
    h, vs, spikes = dt, [], []
    for k in range(n_steps):
        pre_alpha = 140.0 + current - u
        alpha = pre_alpha + (5.0 + MAGIC * v) * v
        eta = v + 0.5 * (h * alpha)
        beta = 0.5 * (h * (b * v - u) * a)
        v_new = v + h * (pre_alpha - beta + (5.0 + MAGIC * eta) * eta)
        u = u + a * h * (-u - beta + b * eta)
        v, h = v_new, dt
        if v >= 30.0:
            spikes.append(float(k))
            v, u, h = c, u + d, dt * 1.85
        vs.append(v)
    return np.array(vs), spikes


def test_izhikevich_rk2_midpoint_with_i_offset_as_current():
    signals, spikes = _single(sim.Izhikevich(i_offset=5.0), 200)
    v_ref, spikes_ref = _izhikevich_reference(0.02, 0.2, -65.0, 2.0, 5.0, -70.0, -14.0, 200)
    assert np.allclose(signals["v"][1:], v_ref[:-1], atol=1e-9)
    assert list(spikes) == spikes_ref and len(spikes_ref) >= 4


def test_izhikevich_i_offset_5_fires_normally_here_but_every_step_in_pynn_standard():
    _, spikes = _single(sim.Izhikevich(i_offset=5.0), 1000)
    assert 10 < len(spikes) < 100
    core.setup(timestep=1.0)
    cell = core.Population(1, core.Izhikevich(i_offset=5.0))
    cell.record("spikes")
    core.run(1000)
    standard = cell.get_data().segments[0].spiketrains[0]
    assert len(standard) >= 990           # I = 1000 * i_offset: every 1 ms step


def test_izhikevich_synapses_are_exponential_currents():
    signals, _ = _single(sim.Izhikevich(tau_syn_E=5.0), 30, spikes=[5.0], weight=5.0,
                         variables=("v", "gsyn_exc"))
    init = 5.0 * (1 - math.exp(-0.2))
    # sent on tick 5, delay 1: drives tick 6, recorded at 6 ms (board alignment)
    assert signals["gsyn_exc"][6] == pytest.approx(5.0 * init)
    assert signals["gsyn_exc"][7] == pytest.approx(5.0 * init * math.exp(-0.2))


# --- time, delays, sources ---------------------------------------------------------------

def test_spike_source_array_sends_on_spynnakers_tick():
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0, 10.5, 20.0004, 20.0015, 30.0]))
    src.record("spikes")
    sim.run(40)
    # ceil(floor(t * 1000 us) / 1000 us): 10.5 -> 11; 20.0004 is cut to 20000 us -> 20;
    # 20.0015 -> 20001 us -> 21; whole ms stay put
    assert list(src.get_data().segments[0].spiketrains[0]) == [0.0, 11.0, 20.0, 21.0, 30.0]


def test_unsorted_spike_times_are_accepted():
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[30.0, 10.0]))
    src.record("spikes")
    sim.run(40)
    assert list(src.get_data().segments[0].spiketrains[0]) == [10.0, 30.0]


def test_population_of_a_cell_class_without_parameters_gets_the_defaults():
    # sPyNNaker's balanced_random example: Population(n, p.IF_curr_exp, seed=1)
    sim.setup(timestep=1.0)
    bare = sim.Population(3, sim.IF_curr_exp, label="bare", seed=1)
    given = sim.Population(3, sim.IF_curr_exp, {"tau_m": 10.0})
    assert bare.get("tau_m") == sim.IF_curr_exp.default_parameters["tau_m"]
    assert bare.get("v_thresh") == sim.IF_curr_exp.default_parameters["v_thresh"]
    assert given.get("tau_m") == 10.0


def test_delays_are_whole_steps_rounded_half_to_even(caplog):
    sim.setup(timestep=1.0)
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(1, sim.IF_curr_exp())
    with caplog.at_level(logging.WARNING, logger="pyNN.tinysim.spinnaker"):
        got = [sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(delay=d))
               .get("delay", format="list", with_address=False)[0] for d in (2.5, 3.5, 2.4)]
    assert got == [2.0, 4.0, 2.0]
    assert "Rounding delay" in caplog.text


def test_delays_below_one_step_are_clipped_up(caplog):
    sim.setup(timestep=1.0)
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(2, sim.IF_curr_exp())
    with caplog.at_level(logging.WARNING, logger="pyNN.tinysim.spinnaker"):
        p = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(delay=0.4))
    assert p.get("delay", format="list", with_address=False) == [1.0, 1.0]
    assert "clipped to 1.0 a total of 2 times" in caplog.text


def test_default_delay_is_the_minimum_delay():
    sim.setup(timestep=1.0, min_delay=2.0)
    a = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    b = sim.Population(1, sim.IF_curr_exp())
    p = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.1))
    assert p.get("delay", format="list", with_address=False) == [2.0]


def test_delay_limit_is_the_boards():
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    big = sim.Population(300, sim.IF_cond_exp(), label="big")
    # 256 neurons per core: 8 + 1 bits of the 14 -> 32 delay slots, x9 with an extension
    sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=288.0))
    with pytest.raises(errors.ConnectionError, match="288 time steps"):
        sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=289.0))
    small = sim.Population(10, sim.IF_curr_exp(), label="small")      # 4 + 1 bits: 512 x 9
    sim.Projection(src, small, sim.AllToAllConnector(), sim.StaticSynapse(delay=4608.0))
    dual = sim.Population(10, sim.extra_models.IF_curr_dual_exp(), label="dual")  # 3 types
    with pytest.raises(errors.ConnectionError, match="2304 time steps"):
        sim.Projection(src, dual, sim.AllToAllConnector(), sim.StaticSynapse(delay=2305.0))


def test_neurons_per_core_and_delay_extensions_bound_the_delay():
    sim.setup(timestep=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_cond_exp, 100)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    big = sim.Population(300, sim.IF_cond_exp(), label="big")         # 7 + 1 bits: 64 x 9
    sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=576.0))
    with pytest.raises(errors.ConnectionError, match="576 time steps"):
        sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=577.0))
    sim.setup(timestep=1.0)                       # setup() forgets the model settings
    sim.set_allow_delay_extensions(sim.IF_cond_exp, False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    big = sim.Population(300, sim.IF_cond_exp(), label="big")
    with pytest.raises(errors.ConnectionError, match="32 time steps"):
        sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=33.0))
    sim.setup(timestep=1.0)
    big = sim.Population(300, sim.IF_cond_exp(), label="big")
    assert big.max_atoms_per_core() == 256


def test_one_delay_extension_per_source_as_in_spynnaker():
    from pynn_tinysim.spinnaker.simulator import SpinnakerException
    sim.setup(timestep=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_cond_exp, 100)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]), label="src")
    big = sim.Population(300, sim.IF_cond_exp(), label="big")        # 64 slots per core
    dual = sim.Population(10, sim.extra_models.IF_curr_dual_exp(), label="dual")  # 256
    sim.Projection(src, big, sim.AllToAllConnector(), sim.StaticSynapse(delay=576.0))
    sim.Projection(src, dual, sim.AllToAllConnector(), sim.StaticSynapse(delay=2304.0))
    # sPyNNaker 7.4.1 (virtual board): "The delay per stage is already set to 64, and
    # therefore 256 is not yet feasible."
    with pytest.raises(SpinnakerException, match="already set to 64.*256 is not"):
        sim.run(5)


def test_model_settings_after_a_population_fail_as_in_spynnaker():
    from pynn_tinysim.spinnaker.simulator import SpinnakerException
    sim.setup(timestep=1.0)
    with pytest.raises(SpinnakerException, match="absolute maximum"):
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 1000)
    sim.Population(3, sim.IF_curr_exp())
    with pytest.raises(SpinnakerException, match="Global set is not supported"):
        sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)


def test_synaptic_delay_timing_matches_spynnakers_ticks():
    # spike on tick 10, delay 3: enters the synapse on tick 13, v moves after it
    signals, _ = _single(sim.IF_curr_exp(), 20, spikes=[10.0], delay=3.0)
    v = signals["v"]
    assert np.all(v[:14] == -65.0) and v[14] > -65.0


def test_poisson_fast_sources_draw_a_count_per_tick():
    sim.setup(timestep=1.0, rng_seed=1)
    fast = sim.Population(200, sim.SpikeSourcePoisson(rate=2000.0))   # 2 spikes per tick
    fast.record("spikes")
    sim.run(200)
    trains = fast.get_data().segments[0].spiketrains
    counts = np.array([len(t) for t in trains])
    assert abs(counts.mean() - 400) < 4 * math.sqrt(400 / 200)
    times = np.asarray(trains[0])
    assert np.all(times == np.round(times)) and len(np.unique(times)) < len(times)


def test_poisson_slow_sources_use_intervals_and_respect_start_and_duration():
    sim.setup(timestep=1.0, rng_seed=2)
    slow = sim.Population(500, sim.SpikeSourcePoisson(rate=5.0, start=100.0, duration=1000.0))
    slow.record("spikes")
    sim.run(1500)
    trains = slow.get_data().segments[0].spiketrains
    all_times = np.concatenate([np.asarray(t) for t in trains])
    assert all_times.min() >= 100.0 and all_times.max() < 1100.0
    assert abs(all_times.size / 500 - 5.0) < 4 * math.sqrt(5.0 / 500)


def test_poisson_defaults_to_zero_rate_and_no_end():
    sim.setup(timestep=1.0)
    p = sim.Population(3, sim.SpikeSourcePoisson())
    p.record("spikes")
    sim.run(100)
    assert sum(len(t) for t in p.get_data().segments[0].spiketrains) == 0
    assert np.all(np.isinf(p.get("duration")))


def test_poisson_variable_follows_its_rate_schedule():
    sim.setup(timestep=1.0, rng_seed=3)
    p = sim.Population(300, sim.extra_models.SpikeSourcePoissonVariable(
        rates=[0.0, 50.0, 0.0], starts=[0.0, 200.0, 400.0]))
    p.record("spikes")
    sim.run(600)
    times = np.concatenate([np.asarray(t) for t in p.get_data().segments[0].spiketrains])
    assert times.min() >= 200.0 and times.max() < 400.0
    assert abs(times.size / 300 - 10.0) < 4 * math.sqrt(10.0 / 300)


def test_dc_current_source_acts_from_its_start_tick():
    sim.setup(timestep=1.0, fixed_point=False)
    cell = sim.Population(1, sim.IF_curr_exp(tau_m=10.0))
    cell.inject(sim.DCSource(amplitude=0.5, start=5.0, stop=50.0))
    cell.record("v")
    sim.run(10)
    v = np.asarray(cell.get_data().segments[0].analogsignals[0])[:, 0]
    alpha = 0.5 * 10.0 - 65.0
    assert np.all(v[:6] == -65.0)
    assert v[6] == pytest.approx(alpha - math.exp(-0.1) * (alpha + 65.0))


def test_runs_split_in_pieces_give_the_same_result():
    def go(pieces):
        sim.setup(timestep=1.0, rng_seed=7)
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        cells = sim.Population(10, sim.Izhikevich(i_offset=3.0))
        sim.Projection(src, cells, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(1)),
                       sim.StaticSynapse(weight=2.0, delay=2.0))
        cells.record(["v", "spikes"])
        for t in pieces:
            sim.run(t)
        seg = cells.get_data().segments[0]
        return np.asarray(seg.analogsignals[0]), [list(s) for s in seg.spiketrains]
    v1, s1 = go([300])
    v2, s2 = go([100, 150, 50])
    assert np.array_equal(v1, v2) and s1 == s2
