"""sPyNNaker API that scripts use, as pyNN.tinysim.spinnaker provides it (as sPyNNaker 7.4).

Each test states what sPyNNaker does (its Python sources) and checks the flavour
does the same.
"""

import numpy as np
import pytest

from pyNN import errors
import pyNN.tinysim.spinnaker as sim


@pytest.fixture(autouse=True)
def _setup():
    sim.setup(timestep=1.0)
    yield
    sim.end()


def test_spike_sources_take_positional_arguments():
    a = sim.Population(1, sim.SpikeSourceArray([1, 2, 3]))
    assert list(a.get("spike_times")) == [1.0, 2.0, 3.0]
    b = sim.Population(2, sim.SpikeSourcePoisson(20.0, 5, 100.0))
    assert b.get(["rate", "start", "duration"]) == [20.0, 5.0, 100.0]
    with pytest.raises(TypeError, match="keywords only"):
        sim.IF_curr_exp(20.0)              # sPyNNaker's neuron models take **kwargs only
    with pytest.raises(TypeError, match="multiple values"):
        sim.SpikeSourcePoisson(20.0, rate=3.0)


def test_spinnaker_get_data_layout():
    pop = sim.Population(2, sim.IF_curr_exp(i_offset=[1.0, 2.0]))
    pop.record(["v", "spikes"])
    sim.run(40)
    v = pop.spinnaker_get_data("v")
    assert v.shape == (80, 3)
    assert list(v[:3, 0]) == [0, 0, 0] and list(v[:3, 1]) == [0.0, 1.0, 2.0]
    assert v[40, 0] == 1 and v[40, 1] == 0.0
    matrix = pop.spinnaker_get_data(["v"], as_matrix=True)
    assert matrix.shape == (40, 2) and np.array_equal(matrix[:, 1], v[40:, 2])
    spikes = pop.spinnaker_get_data("spikes")
    assert spikes.shape[1] == 2 and len(spikes) > 0
    assert np.all(np.diff(spikes[:, 1]) >= 0)                    # time order
    assert set(spikes[:, 0]) <= {0.0, 1.0}
    only = pop.spinnaker_get_data("v", view_indexes=[1])
    assert np.array_equal(only, v[40:])
    assert np.array_equal(pop[1:2].spinnaker_get_data("v")[:, 2], v[40:, 2])
    with pytest.raises(Exception, match="one type"):
        pop.spinnaker_get_data(["v", "spikes"])


def test_sampling_interval_per_variable():
    pop = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    pop.record("v", sampling_interval=2.0)
    pop.record(["gsyn_exc", "spikes"])
    sim.run(10)
    signals = {s.name: s for s in pop.get_data().segments[0].analogsignals}
    assert float(signals["v"].sampling_period) == 2.0 and signals["v"].shape == (5, 2)
    assert float(signals["gsyn_exc"].sampling_period) == 1.0
    assert signals["gsyn_exc"].shape == (10, 2)
    every = pop.spinnaker_get_data("v")
    assert list(every[:3, 1]) == [0.0, 2.0, 4.0]


def test_projection_space_none():
    a = sim.Population(2, sim.SpikeSourceArray([1.0]))
    b = sim.Population(3, sim.IF_curr_exp())
    assert len(sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0),
                              space=None)) == 6


def test_one_to_one_between_different_sizes_connects_the_first_min():
    a = sim.Population(3, sim.SpikeSourceArray([1.0]))
    b = sim.Population(5, sim.IF_curr_exp())
    prj = sim.Projection(a, b, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0))
    assert sorted((i, j) for i, j, _ in prj.get("weight", "list")) == [(0, 0), (1, 1), (2, 2)]
    c = sim.Population(2, sim.IF_curr_exp())
    back = sim.Projection(b, c, sim.OneToOneConnector(), sim.StaticSynapse(weight=1.0))
    assert sorted((i, j) for i, j, _ in back.get("weight", "list")) == [(0, 0), (1, 1)]


@pytest.mark.parametrize("array", [np.array([[1, 0, 2, 1, 0]] * 3),
                                   np.array([[1.0, 0.5, 0.0, 1.0, 0.0]] * 3),
                                   np.array([[True, False, False, True, False]] * 3)])
def test_array_connector_entries_equal_to_one(array):
    a = sim.Population(3, sim.SpikeSourceArray([1.0]))
    b = sim.Population(5, sim.IF_curr_exp())
    prj = sim.Projection(a, b, sim.ArrayConnector(array), sim.StaticSynapse(weight=1.0))
    assert sorted((i, j) for i, j, _ in prj.get("weight", "list")) == \
        [(i, j) for i in range(3) for j in (0, 3)]


def test_negative_a_minus_is_accepted_and_potentiates():
    pre = sim.Population(1, sim.SpikeSourceArray([10, 40]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0))
    teacher = sim.Population(1, sim.SpikeSourceArray([20]))
    sim.Projection(teacher, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=10.0))
    prj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(A_plus=0.0, A_minus=-0.1, tau_minus=20.0),
        weight_dependence=sim.AdditiveWeightDependence(0, 1), weight=0.5, delay=1))
    post.record("spikes")
    sim.run(60)
    (t_post,) = post.get_data().segments[0].spiketrains[0].magnitude
    w = prj.get("weight", "list")[0][2]
    # the pre spike at 40 "depresses" by -A_minus K_post: the weight grows
    # (the post event reaches the synapse at its tick plus the 1 ms delay; the decay is
    # the board's look-up table value, floor(exp(-ticks/tau) 2**11) / 2**11)
    ticks = 40 - (t_post + 1)
    decay = np.floor(np.exp(-ticks / 20.0) * 2048) / 2048
    assert w == pytest.approx(0.5 + 0.1 * decay, abs=2 ** -11)
    # exactly, the board's 16-bit weight (ring-buffer bound 10 + w_max 1: left shift 4, so
    # W = w 2**11) moved in s16.15: w -= mul_accum_fixed(round(-0.1 2**15), o) = (-3277 o) >> 11
    acc = (1024 << 4) - ((-3277 * int(decay * 2048)) >> 11)
    assert w == (acc >> 4) / 2048


def test_if_trunc_delta():
    cell = sim.Population(1, sim.extra_models.IFTruncDelta(v_thresh=10.0, tau_refrac=1.0))
    exc = sim.Population(1, sim.SpikeSourceArray([[2, 3, 4, 5, 20]]))
    inh = sim.Population(1, sim.SpikeSourceArray([[22]]))
    sim.Projection(exc, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=3.0))
    sim.Projection(inh, cell, sim.AllToAllConnector(), sim.StaticSynapse(weight=100.0),
                   receptor_type="inhibitory")
    cell.record(["v", "spikes"])
    sim.run(30)
    seg = cell.get_data().segments[0]
    v = seg.filter(name="v")[0].magnitude[:, 0]
    # no leak: +3 mV per input (R = tau_m / cm = 1), spike at >= 10, one refractory tick,
    # and a large inhibitory input stops at v_reset = 0
    assert list(v[3:8]) == [0.0, 3.0, 6.0, 9.0, 0.0]
    assert list(seg.spiketrains[0].magnitude) == [6.0]
    assert v[22] == 3.0 and v[23] == 3.0 and v[24] == 0.0 and v.min() == 0.0


def test_if_curr_delta_fixed_prob_fires_with_p_thresh():
    n, p_thresh, ticks = 400, 0.3, 50
    cells = sim.Population(n, sim.extra_models.IFCurrDeltaFixedProb(
        v_thresh=-1.0, p_thresh=p_thresh, tau_refrac=0.0, seed=3))
    cells.record("spikes")
    sim.run(ticks)
    counts = np.array([len(s) for s in cells.get_data().segments[0].spiketrains])
    # v = 0 >= v_thresh every tick: a spike with probability p_thresh each tick
    total, expected = counts.sum(), n * ticks * p_thresh
    assert abs(total - expected) < 5 * np.sqrt(n * ticks * p_thresh * (1 - p_thresh))


def test_set_state_and_current_values():
    pop = sim.Population(3, sim.IF_curr_exp())
    pop.initialize(v=-64.0)
    sim.run(2)
    pop.set_state(v=-62.0)
    assert list(pop.current_values["v"]) == [-62.0] * 3
    assert list(pop.initial_values["v"]) == [-64.0] * 3
    pop[1].set_state(v=-55.0)
    assert list(pop.current_values["v"]) == [-62.0, -55.0, -62.0]
    with pytest.raises(errors.NonExistentParameterError):
        pop.set_state(w=1.0)
