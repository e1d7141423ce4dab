"""pyNN.tinysim.spinnaker against values recorded on SpiNNaker boards.

Each test rebuilds the network of one of sPyNNaker's integration tests (the
upstream path is in the comment above it) and asserts what the board recorded,
with the tolerance the upstream test uses (exact where it is exact). The values
are facts carried over from those tests or their data files
(tests/data/spinnaker_board/, see its README); the code is ours.
"""

import math
from pathlib import Path

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as p

DATA = Path(__file__).resolve().parent / "data" / "spinnaker_board"
LIF_SYNFIRE = {"cm": 0.25, "i_offset": 0.0, "tau_m": 20.0, "tau_refrac": 2.0,
               "tau_syn_E": 5.0, "tau_syn_I": 5.0, "v_reset": -70.0, "v_rest": -65.0,
               "v_thresh": -50.0}
IZK = {"a": 0.02, "b": 0.2, "c": -65, "d": 8, "v": -75, "u": 0, "tau_syn_E": 2,
       "tau_syn_I": 2, "i_offset": 0}


def _spike_pairs(segment):
    """(neuron, time) rows sorted by neuron then time, as sPyNNaker's convert_spikes."""
    rows = [(i, float(t)) for i, st in enumerate(segment.spiketrains) for t in st.magnitude]
    return np.array(sorted(rows)).reshape(-1, 2)


def _synfire_order(spikes, n):
    """sPyNNaker's synfire check: in time order, each spike is the next neuron's."""
    order = spikes[np.lexsort((spikes[:, 0], spikes[:, 1]))]
    neurons = order[:, 0].astype(int)
    assert np.all((np.diff(neurons) % n) == 1), neurons[:20]


# p8_integration_tests/quick_test/test_param_vertex_retrieval_from_board_after_1_run/
# test_synfire_20n_20pc_no_delays_all_recording.py (delay 1, 100 ms, 33 spikes),
# test_synfire_20n_20pc_delays_no_delay_extension_all_recording.py (delay 7, 200 ms, 22),
# test_synfire_20n_20pc_delays_delay_extensions_all_recording.py (delay 17, 500 ms, 27):
# spikes exact, gsyn rtol 1e-4, v rtol 1e-3 against the board's CSV recordings.
@pytest.mark.parametrize("delay, runtime, n_spikes", [(1, 100, 33), (7, 200, 22),
                                                      (17, 500, 27)])
def test_synfire_recorded_v_gsyn_and_spikes(delay, runtime, n_spikes):
    n = 20
    board = np.load(DATA / f"synfire_20_{delay}.npz")
    p.setup(timestep=1, min_delay=1.0)
    pop = p.Population(n, p.IF_curr_exp(**LIF_SYNFIRE), label="pop_1")
    inp = p.Population(1, p.SpikeSourceArray(spike_times=[[0]]), label="inputSSA_1")
    p.Projection(pop, pop, p.FromListConnector([(i, (i + 1) % n, 2.0, delay) for i in range(n)]),
                 p.StaticSynapse(weight=2.0, delay=delay))
    p.Projection(inp, pop, p.FromListConnector([(0, 0, 2.0, 1)]),
                 p.StaticSynapse(weight=2.0, delay=1))
    pop.record(["spikes", "v", "gsyn_exc"])
    p.run(runtime)
    seg = pop.get_data().segments[0]
    v = seg.filter(name="v")[0].magnitude
    gsyn = seg.filter(name="gsyn_exc")[0].magnitude
    spikes = _spike_pairs(seg)
    p.end()
    assert v.shape == gsyn.shape == (runtime, n)
    assert len(spikes) == n_spikes
    _synfire_order(spikes, n)
    np.testing.assert_array_equal(spikes, board["spikes"])
    board_v = board["v_bits"] / 32768.0
    board_g = board["gsyn_exc_bits"] / 32768.0
    print(f"\nsynfire delay {delay}: v max |diff| {np.abs(v - board_v).max():.2e} mV "
          f"({np.mean(v == board_v):.0%} bit-exact), gsyn max |diff| "
          f"{np.abs(gsyn - board_g).max():.2e}")
    assert np.allclose(board_g, gsyn, rtol=1e-04)
    assert np.allclose(board_v, v, rtol=1e-03)


# spynnaker_integration_tests/test_change_neuron_parameters_between_runs/
# test_set_toffset_izk.py (and its p8 twin): i_offset set between runs; exact.
def test_izhikevich_i_offset_set_between_runs():
    n_neurons = 32
    p.setup(timestep=1.0, min_delay=1.0)
    p.set_number_of_neurons_per_core(p.Izhikevich, n_neurons)
    pop = p.Population(n_neurons, p.Izhikevich, IZK, label="pop_1")
    pop.record("spikes")
    p.run(1000)
    pop.set(i_offset=2)
    p.run(1000)
    pop.set(i_offset=4)
    p.run(1000)
    trains = pop.get_data().segments[0].spiketrains
    p.end()
    expected = [2011., 2148., 2288., 2427., 2565., 2703., 2844., 2982.]
    for train in trains:
        assert np.array_equal(train.magnitude, expected), train.magnitude


# spynnaker_integration_tests/test_various/test_synfire_izhikevich.py: 200 Izhikevich
# cells in a ring, weight 40, delay 1, one input spike at 50 ms; 215 spikes in 500 ms.
def test_synfire_izhikevich_spike_count():
    n = 200
    p.setup(timestep=1.0, min_delay=1.0)
    p.set_number_of_neurons_per_core(p.Izhikevich, 100)
    pop = p.Population(n, p.Izhikevich, IZK, label="pop_1")
    inp = p.Population(1, p.SpikeSourceArray, {"spike_times": [[50]]}, label="inputSpikes_1")
    p.Projection(pop, pop, p.FromListConnector([(i, (i + 1) % n, 40, 1) for i in range(n)]))
    p.Projection(inp, pop, p.FromListConnector([(0, 0, 40, 1)]))
    pop.record(["v", "gsyn_exc", "spikes"])
    p.run(500)
    spikes = _spike_pairs(pop.get_data().segments[0])
    p.end()
    _synfire_order(spikes, n)
    assert len(spikes) == 215


# spynnaker_integration_tests/test_various/test_one_pop_lif_example.py: 5 cells with
# different initial v, i_offset 3 nA; spike times exact.
def test_one_pop_lif_example():
    p.setup(timestep=1.0, min_delay=1.0)
    params = {"tau_m": 333.33, "cm": 208.33,
              "v": [0.0, 0.0146789550781, 0.029296875, 0.0438842773438, 0.0584106445312],
              "v_rest": 0.1, "v_reset": 0.0, "v_thresh": 1.0, "tau_syn_E": 1,
              "tau_syn_I": 2, "tau_refrac": 2.5, "i_offset": 3.0}
    pop = p.Population(5, p.IF_curr_exp, params, label="pop_0")
    pop.record("v")
    pop.record("gsyn_exc")
    pop.record("spikes")
    p.run(100)
    spikes = _spike_pairs(pop.get_data(["v", "spikes", "gsyn_exc"]).segments[0])
    p.end()
    assert spikes.tolist() == [[0, 76], [1, 75], [2, 74], [3, 73], [4, 72]]


# spynnaker_integration_tests/test_various/test_max_weight.py: a Population's
# max_expected_summed_weight fixes its ring-buffer scaling, so the same weight
# reads back the same whatever the in-degree; without it the scaling follows it.
def test_max_expected_summed_weight():
    p.setup(timestep=1.0)
    weight = math.sqrt(2.0)
    delays = p.RandomDistribution("uniform", low=1, high=16)
    weights = []
    for n_input in (10000, 1000):
        source = p.Population(n_input, p.IF_curr_exp())
        auto = p.Population(256, p.IF_curr_exp())
        fixed = p.Population(256, p.IF_curr_exp(), max_expected_summed_weight=[2.0, 0.0])
        projections = [p.Projection(source, target, p.FixedProbabilityConnector(0.5),
                                    p.StaticSynapse(weight=weight, delay=delays))
                       for target in (auto, fixed)]
        weights.append(projections)
    p.run(0)
    (auto_1, fixed_1), (auto_2, fixed_2) = [[prj.get("weight", "list", with_address=False)[0]
                                             for prj in pair] for pair in weights]
    p.end()
    assert auto_1 != auto_2
    assert fixed_1 == fixed_2
    assert auto_1 != fixed_1
    assert auto_2 != fixed_2
    with pytest.raises(ValueError, match="expected summed weights"):
        p.setup(timestep=1.0)
        p.Population(2, p.IF_curr_exp(), max_expected_summed_weight=[2.0])


# spynnaker_integration_tests/test_change_neuron_parameters_between_runs/test_set_toffset.py:
# IF_curr_exp, i_offset 0 -> 1 -> 2 nA over three 100 ms runs; exact spike times.
def test_lif_i_offset_set_between_runs():
    p.setup(timestep=1.0, min_delay=1.0)
    p.set_number_of_neurons_per_core(p.IF_curr_exp, 2)
    pop = p.Population(6, p.IF_curr_exp, LIF_SYNFIRE, label="pop_1")
    pop.record("spikes")
    p.run(100)
    pop.set(i_offset=1)
    p.run(100)
    pop.set(i_offset=2)
    p.run(100)
    trains = pop.get_data().segments[0].spiketrains
    p.end()
    expected = [104., 112., 120., 128., 136., 144., 152., 160., 168., 176., 184., 192., 200.,
                205., 210., 215., 220., 225., 230., 235., 240., 245., 250., 255., 260., 265.,
                270., 275., 280., 285., 290., 295.]
    for train in trains:
        assert np.array_equal(train.magnitude, expected), train.magnitude


# spynnaker_integration_tests/test_change_neuron_parameters_between_runs/test_set_and_reset.py:
# board v of an IF_curr_exp (defaults, i_offset 1 nA, tau_syn_E 1) over 5 ticks, from -65
# and from -60 mV, through set/reset/initialize sequences; exact (==).
FROM_65 = [-65.0, -64.024658203125, -63.09686279296875, -62.214324951171875,
           -61.37481689453125]
FROM_60 = [-60.0, -59.26849365234375, -58.5726318359375, -57.91070556640625,
           -57.28106689453125]


def _set_and_reset_pop(with_input=False, v_init=None):
    p.setup(1.0)
    pop = p.Population(1, p.IF_curr_exp, {}, label="pop")
    inp = None
    if with_input:
        inp = p.Population(1, p.SpikeSourceArray(spike_times=[0]), label="input")
        p.Projection(inp, pop, p.OneToOneConnector(), synapse_type=p.StaticSynapse(weight=5))
    pop.set(i_offset=1.0)
    pop.set(tau_syn_E=1)
    if v_init is not None:
        pop.initialize(v=v_init)
    pop.record(["v"])
    return pop, inp


def _check(v, expected):
    v = np.asarray(v)
    for i in range(0, len(v), 5):
        assert [float(x) for x in v[i:i + 5, 2]] == expected


@pytest.mark.parametrize("sequence", ["nothing", "set_before_reset", "set_mid_run",
                                      "set_mid_run_and_after_reset", "set_after_reset"])
def test_set_and_reset_v_from_65(sequence):
    pop, _ = _set_and_reset_pop()
    if sequence in ("set_mid_run", "set_mid_run_and_after_reset"):
        p.run(2)
        pop.set(tau_syn_E=1)
        p.run(3)
    else:
        p.run(5)
    _check(pop.spinnaker_get_data("v"), FROM_65)
    if sequence == "set_before_reset":
        pop.set(tau_syn_E=1)
    p.reset()
    if sequence in ("set_after_reset", "set_mid_run_and_after_reset"):
        pop.set(tau_syn_E=1)
    p.run(5)
    _check(pop.spinnaker_get_data("v"), FROM_65)
    p.end()


@pytest.mark.parametrize("v_init, initialize_after_reset, set_before_reset, expected", [
    (None, False, False, FROM_65), (None, True, False, FROM_65),
    (-60, False, False, FROM_60), (-60, False, True, FROM_60)])
def test_set_and_reset_with_input_moved_away(v_init, initialize_after_reset,
                                             set_before_reset, expected):
    pop, inp = _set_and_reset_pop(with_input=True, v_init=v_init)
    p.run(5)
    if set_before_reset:
        pop.set(tau_syn_E=1)
    p.reset()
    if initialize_after_reset:
        pop.initialize(v=-65)
    inp.set(spike_times=[100])
    p.run(5)
    _check(pop.spinnaker_get_data("v"), expected)
    p.end()


def test_set_and_reset_multi_core():
    p.setup(1.0)
    p.set_number_of_neurons_per_core(p.IF_curr_exp, 2)
    pop = p.Population(6, p.IF_curr_exp(i_offset=1, tau_syn_E=1), label="pop")
    pop.record("v")
    p.run(3)
    pop.set(tau_syn_E=1)
    p.run(2)
    v = pop.spinnaker_get_data("v")
    p.end()
    _check(v, FROM_65)


# spynnaker_integration_tests/test_change_neuron_parameters_between_runs/test_initialize.py
def test_initialize_and_set_state_between_runs():
    runtime1 = runtime2 = 5
    p.setup(timestep=1.0)
    pop = p.Population(3, p.IF_curr_exp())
    pop.record(["v"])
    assert list(pop.initial_values["v"]) == [-65, -65, -65]
    pop.initialize(v=-64)
    assert list(pop.initial_values["v"]) == [-64, -64, -64]
    p.run(runtime1)
    assert list(pop.initial_values["v"]) == [-64, -64, -64]
    pop.set_state(v=-62)
    assert list(pop.current_values["v"]) == [-62, -62, -62]
    p.run(runtime2)
    assert list(pop.initial_values["v"]) == [-64, -64, -64]
    pop[1].initialize(v=-60)
    assert list(pop.initial_values["v"]) == [-64, -60, -64]
    p.run(1)
    p.reset()
    assert list(pop.initial_values["v"]) == [-64, -60, -64]
    assert list(pop.current_values["v"]) == [-64, -60, -64]
    pop.initialize(isyn_exc=-0.1)
    assert list(pop.initial_values["v"]) == [-64, -60, -64]
    assert list(pop.current_values["v"]) == [-64, -60, -64]
    p.run(runtime1)
    assert list(pop.initial_values["v"]) == [-64, -60, -64]
    pop[0:2].set_state(v=-63)
    assert pop.current_values["v"][0] == -63 and pop.current_values["v"][1] == -63
    assert pop.initial_values["v"][2] == -64
    p.run(runtime2)
    # get_data() with every variable: PyNN 0.13's filter_by_variables drops the signals
    # of segments before a reset when asked for "v" (it compares names with Variable
    # tuples), in pyNN.nest too
    neo = pop.get_data()
    p.end()
    v0 = neo.segments[0].filter(name="v")[0]
    assert list(v0[0].magnitude) == [-64, -64, -64]
    assert list(v0[runtime1].magnitude) == [-62.0, -62, -62]
    v1 = neo.segments[1].filter(name="v")[0]
    assert list(v1[0].magnitude) == [-64.0, -60, -64]
    assert v1[runtime1][0] == -63.0 and v1[runtime1][1] == -63.0


# --- multi-run and reset scripts ---------------------------------------------------------
# p8_integration_tests/quick_test/test_multi_call_examples/: 20 IF_curr_exp (defaults)
# driven by one SpikeSourceArray every 10 ms (weight 5 nA, delay 1), recorded across
# run/reset sequences. Upstream checks each neuron with scripts/checker.py: the expected
# spike count, v = -65 for 2 ms after each spike, and v[t] between v[t-1] + gsyn[t-1] - 1
# and v[t-1] + gsyn[t-1] (gsyn[t-1]: the input that drove tick t-1); and segments of
# the same protocol equal each other.

def _check_neuron_data(spikes, v, exc, expected_spikes, simtime):
    """scripts/checker.py's check_neuron_data (its rules, our code)."""
    assert len(spikes) == expected_spikes
    spikes = [int(t) for t in spikes]
    last_spike, upcoming = spikes[0] - 8, iter(spikes[1:] + [simtime])
    next_spike = spikes[0]
    for t in range(simtime):
        if t > next_spike:
            last_spike, next_spike = next_spike, next(upcoming)
        if t - last_spike <= 2:
            assert v[t] == -65, (t, v[t])
        else:
            target = v[t - 1] + exc[t - 1]
            assert target - 1 <= v[t] <= target, (t, v[t], target)


def _multi_call_network(simtime, input_spikes):
    p.setup(timestep=1.0)
    p.set_number_of_neurons_per_core(p.IF_curr_exp, 10)
    source = p.Population(1, p.SpikeSourceArray(spike_times=input_spikes), label="input")
    pop = p.Population(20, p.IF_curr_exp(), label="pop_1")
    p.Projection(source, pop, p.AllToAllConnector(),
                 synapse_type=p.StaticSynapse(weight=5, delay=1))
    pop.record(["spikes", "v", "gsyn_exc"])
    return source, pop


def _check_segment(segment, expected_spikes, simtime):
    v = segment.filter(name="v")[0].magnitude
    exc = segment.filter(name="gsyn_exc")[0].magnitude
    for i, train in enumerate(segment.spiketrains):
        _check_neuron_data(train.magnitude, v[:, i], exc[:, i], expected_spikes, simtime)


def _same_segments(a, b, same_length=True):
    for name in ("v", "gsyn_exc"):
        x, y = a.filter(name=name)[0].magnitude, b.filter(name=name)[0].magnitude
        n = min(len(x), len(y))
        assert (len(x) == len(y)) or not same_length
        assert np.array_equal(x[:n], y[:n])
    for s, t in zip(a.spiketrains, b.spiketrains):
        limit = min(float(a.t_stop), float(b.t_stop))
        assert np.array_equal(s.magnitude[s.magnitude < limit], t.magnitude[t.magnitude < limit])


@pytest.mark.parametrize("runs, simtime", [
    ([250, 250, 250, 250, 1000], 1000),     # test_multi_run.py (segment 0, first 1000 ms)
    ([750, 250], 1000),                     # test_smaller_run.py
    ([250, 750], 1000),                     # test_larger_run.py
])
def test_multi_run_scripts(runs, simtime):
    _, pop = _multi_call_network(simtime, list(range(0, simtime - 100, 10)))
    for t in runs:
        p.run(t)
    segment = pop.get_data("all").segments[0]
    p.end()
    _check_segment(segment, len(range(0, simtime - 100, 10)), simtime)


@pytest.mark.parametrize("after_reset, same_length", [
    ([200], True),                          # test_reset_run.py
    ([100, 100], True),                     # test_reset_different.py
    ([400], False),                         # test_reset_higher.py (checks segment 1)
])
def test_reset_scripts(after_reset, same_length):
    simtime = 200
    _, pop = _multi_call_network(simtime, list(range(0, simtime - 100, 10)))
    p.run(simtime)
    p.reset()
    for t in after_reset:
        p.run(t)
    segments = pop.get_data("all").segments
    p.end()
    _check_segment(segments[1 if not same_length else 0], 10, simtime)
    _same_segments(segments[0], segments[1], same_length)


def test_reset_new_input():
    # test_reset_new_input.py: input every 10 ms, then after reset every 11 ms
    simtime = 200
    source, pop = _multi_call_network(simtime, list(range(0, simtime - 50, 10)))
    p.run(simtime)
    p.reset()
    source.set(spike_times=list(range(0, simtime - 50, 11)))
    p.run(simtime)
    segments = pop.get_data("all").segments
    p.end()
    _check_segment(segments[0], len(range(0, simtime - 50, 10)), simtime)
    _check_segment(segments[1], len(range(0, simtime - 50, 11)), simtime)


def test_reset_initialize():
    # test_reset_initialize.py: initialize between resets sets the first sample of the
    # next segment; initialize after a run (no reset) does not change the running cell
    p.setup(1.0)
    pop = p.Population(1, p.IF_curr_exp, {}, label="pop")
    pop.set(i_offset=1.0)
    pop.record(["v"])
    runtime = 10
    pop.initialize(v=-64.0)
    p.run(runtime)
    p.reset()
    pop.initialize(v=-62.0)
    p.run(runtime)
    p.reset()
    pop.initialize(v=-63.0)
    pop.set(i_offset=2.0)
    p.run(runtime)
    pop.initialize(v=-61.0)
    pop.set(i_offset=2.5)
    p.run(runtime)
    segments = pop.get_data().segments
    p.end()
    v = [s.filter(name="v")[0].magnitude[:, 0] for s in segments]
    assert v[0][0] == -64.0 and v[1][0] == -62.0 and v[2][0] == -63.0
    assert v[2][runtime] != -61.0
    assert len(v[0]) == len(v[1]) == runtime and len(v[2]) == 2 * runtime


# p8_integration_tests/quick_test/test_views/test_views.py: parameters and initial
# values set through views; the board's v of each cell over 5 ticks (upstream prints
# them to 8 decimals and compares with numpy.allclose's defaults).
def test_set_with_views():
    p.setup(1.0)
    pop = p.Population(5, p.IF_curr_exp, {}, label="pop")
    pop.set(i_offset=1.0)
    pop[2:4].set(i_offset=2.0)
    pop[1, 3].initialize(v=-60)
    pop.set(tau_syn_E=1)
    pop.record(["v"])
    p.run(5)
    v = pop.spinnaker_get_data("v")
    p.end()
    expected = [
        -65., -64.02465820, -63.09686279, -62.21432495, -61.37481689,
        -60., -59.26849365, -58.57263184, -57.91070557, -57.28106689,
        -65., -63.04931641, -61.19375610, -59.42868042, -57.74966431,
        -60., -58.29315186, -56.66952515, -55.12509155, -53.65597534,
        -65., -64.02465820, -63.09686279, -62.21432495, -61.37481689]
    assert np.allclose(v[:, 2], expected)
    assert np.all(np.abs(v[:, 2] - expected) < 5e-9)      # to the printed digits


# p8_integration_tests/quick_test/test_array_connector/test_array_connector.py: two
# 200-cell chains built with ArrayConnector (float arrays of 0/1), 263 spikes in 5 s.
def test_array_connector_synfire():
    n, weight, delay = 200, 2.0, 17
    p.setup(timestep=1.0)
    p.set_number_of_neurons_per_core(p.IF_curr_exp, n / 2)
    pop = p.Population(n, p.IF_curr_exp(**LIF_SYNFIRE), label="pop_1")
    pop2 = p.Population(n, p.IF_curr_exp(**LIF_SYNFIRE), label="pop_2")
    loop = np.zeros((n, n))
    loop[np.arange(n), (np.arange(n) + 1) % n] = True
    loop2 = np.zeros((n, n))
    for i in range(0, n, 2):
        loop2[i, (i + 2) % n] = True
    injection = np.zeros((1, n))
    injection[0, 0] = True
    inj = p.Population(1, p.SpikeSourceArray(spike_times=[[0]]), label="inputSpikes_1")
    p.Projection(inj, pop, p.ArrayConnector(injection), p.StaticSynapse(weight=weight, delay=1))
    p.Projection(inj, pop2, p.ArrayConnector(injection), p.StaticSynapse(weight=weight, delay=1))
    p.Projection(pop, pop, p.ArrayConnector(loop), p.StaticSynapse(weight=weight, delay=delay))
    p.Projection(pop2, pop2, p.ArrayConnector(loop2),
                 p.StaticSynapse(weight=weight, delay=delay))
    pop.record(["v", "spikes"])
    pop2.record(["v", "spikes"])
    p.run(5000)
    spikes = _spike_pairs(pop.get_data("spikes").segments[0])
    spikes2 = _spike_pairs(pop2.get_data("spikes").segments[0])
    p.end()
    assert len(spikes) == 263
    assert set(spikes2[:, 0].astype(int).tolist()) <= set(range(0, n, 2))


# p8_integration_tests/quick_test/test_various/test_alltoone_with_large_weight.py:
# 700 x 50 nA into one cell: the weights read back sum to exactly 700 x 50.
def test_all_to_one_with_large_weight():
    p.setup(timestep=1.0, min_delay=1.0)
    p1 = p.Population(700, p.IF_curr_exp, {}, label="pop1")
    p2 = p.Population(1, p.IF_curr_exp, {}, label="pop2")
    prj = p.Projection(p1, p2, p.AllToAllConnector(),
                       synapse_type=p.StaticSynapse(weight=50.0, delay=1))
    p.run(10)
    weights = prj.get(["weight"], "list")
    p.end()
    assert sum(w[2] for w in weights) == 700 * 50.0


# p8_integration_tests/quick_test/test_various/test_reset_clears_delayed_spike.py: a spike
# still in flight (sent at 25 ms, delay 7) when the run ends is gone after reset().
def test_reset_clears_delayed_spike():
    p.setup(timestep=1, min_delay=1)
    spiker = p.Population(1, p.SpikeSourceArray(spike_times=[[5, 25]]), label="inputSSA")
    cell = p.Population(1, p.IF_cond_exp(), label="pop")
    cell.record(["spikes", "v"])
    p.Projection(spiker, cell, p.OneToOneConnector(),
                 synapse_type=p.StaticSynapse(weight=5.0, delay=7),
                 receptor_type="excitatory", source=None, space=None)
    p.run(30)
    p.reset()
    p.run(30)
    segments = cell.get_data().segments
    p.end()
    v1, v2 = (s.filter(name="v")[0].magnitude for s in segments)
    assert np.array_equal(v1, v2)
    assert np.array_equal(segments[0].spiketrains[0].magnitude,
                          segments[1].spiketrains[0].magnitude)
    assert segments[0].spiketrains[0].magnitude[0] == 12.0   # sent on tick 5, drives tick 12
