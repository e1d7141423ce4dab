"""Regression tests for front-end bugs found by PyNN's system-test scenarios.

Each test names the scenario of ``test/system/scenarios`` (PyNN's sdist, run by
tests/test_pynn_scenarios.py) that first showed the bug.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import pyNN.tinysim as sim
from pyNN import common, errors


def test_projection_connections_yields_connection_objects():
    # scenarios test_connections_attribute, test_connection_access_weight_and_delay
    sim.setup(timestep=0.1)
    p1 = sim.Population(4, sim.SpikeSourceArray())
    p2 = sim.Population(3, sim.IF_cond_exp())
    prj = sim.Projection(p1, p2, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.05, delay=0.5))
    connections = list(prj.connections)
    assert len(connections) == len(prj) == 12
    assert all(isinstance(c, common.Connection) for c in connections)
    connections[2].weight = 0.0123
    connections[2].delay = 1.0
    weights, delays = np.array(prj.get(("weight", "delay"), format="list",
                                       with_address=False)).T
    assert weights[2] == 0.0123 and delays[2] == 1.0
    assert np.count_nonzero(weights == 0.05) == 11
    sim.end()


def test_function_of_distance_returning_a_scalar_is_broadcast():
    # scenario test_issue672: StaticSynapse(weight=lambda d: 1) raised IndexError
    sim.setup(timestep=0.1)
    p1 = sim.Population(4, sim.IF_curr_exp())
    p2 = sim.Population(6, sim.IF_curr_exp())
    prj1 = sim.Projection(p1, p2, sim.AllToAllConnector(), sim.StaticSynapse(weight=lambda d: d))
    before = prj1.get("weight", format="array")
    prj2 = sim.Projection(p1, p2, sim.AllToAllConnector(), sim.StaticSynapse(weight=lambda d: 1))
    assert_array_equal(prj2.get("weight", format="array"), np.ones((4, 6)))
    assert_array_equal(prj1.get("weight", format="array"), before)
    prj2.set(weight=lambda d: 2.0)
    assert_array_equal(prj2.get("weight", format="array"), np.full((4, 6), 2.0))
    sim.end()


def test_unordered_spike_times_are_an_error():
    # scenario test_issue511 (pyNN.nest, neuron and brian2 all refuse them)
    sim.setup(timestep=0.1)
    celltype = sim.SpikeSourceArray(spike_times=[[2.4, 4.8, 6.6, 9.4], [3.5, 6.8, 9.6, 8.3]])
    with pytest.raises(errors.InvalidParameterValueError, match="increasing order"):
        sim.Population(2, celltype)
    p = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0, 2.0, 2.0, 3.0]))  # ties are fine
    with pytest.raises(errors.InvalidParameterValueError, match="increasing order"):
        p.set(spike_times=[5.0, 4.0])
    assert_array_equal(p.get("spike_times").value, [1.0, 2.0, 2.0, 3.0])
    sim.end()


def test_auto_min_delay_is_the_shortest_connection_delay():
    # scenario test_issue231; the values are those pyNN.nest gives
    sim.setup(timestep=0.1, min_delay="auto")
    assert sim.get_min_delay() == 0.1
    p1 = sim.Population(3, sim.IF_cond_exp())
    p2 = sim.Population(3, sim.IF_cond_exp())
    sim.Projection(p1, p2, sim.AllToAllConnector(), sim.StaticSynapse(delay=2.0))
    assert sim.get_min_delay() == 2.0
    sim.Projection(p1, p2, sim.AllToAllConnector(), sim.StaticSynapse(delay=0.5))
    sim.run(10.0)
    assert sim.get_min_delay() == 0.5
    sim.setup(timestep=0.1, min_delay=0.2)
    p1 = sim.Population(3, sim.IF_cond_exp())
    sim.Projection(p1, p1, sim.AllToAllConnector(), sim.StaticSynapse(delay=2.0))
    assert sim.get_min_delay() == 0.2      # an explicit min_delay stays what it was set to
    sim.end()


def test_populations_of_one_cell_type_record_at_their_own_intervals():
    # scenario test_sampling_interval: the second Population raised ValueError
    sim.setup(timestep=0.1)
    pops = [sim.Population(n, sim.IF_cond_exp(i_offset=0.5)) for n in (3, 4, 2)]
    pops[0].record("v", sampling_interval=1.0)
    pops[1].record("v", sampling_interval=0.5)
    pops[2].record("v")
    sim.run(10.0)
    v1, v2, v_all = (p.get_data().segments[0].analogsignals[0] for p in pops)
    assert (v1.shape, v2.shape, v_all.shape) == ((11, 3), (21, 4), (101, 2))
    assert float(v1.sampling_period) == 1.0 and float(v2.sampling_period) == 0.5
    # identical cells: each sampling shows the same trajectory
    assert_allclose(v1.magnitude[:, 0], v_all.magnitude[::10, 0])
    assert_allclose(v2.magnitude[:, 0], v_all.magnitude[::5, 0])
    sim.end()


def test_one_cell_spike_source_array():
    """A one-cell SpikeSourceArray given [Sequence([5.0])] or [[5.0, 8.0]] (was IndexError)."""
    from pyNN.parameters import Sequence
    sim.setup(timestep=0.1)
    single = sim.Population(1, sim.SpikeSourceArray(spike_times=[Sequence([5.0])]))
    nested = sim.Population(1, sim.SpikeSourceArray(spike_times=[[5.0, 8.0]]))
    single.record("spikes")
    nested.record("spikes")
    sim.run(10.0)
    assert list(single.get_data().segments[0].spiketrains[0].magnitude) == [5.0]
    assert list(nested.get_data().segments[0].spiketrains[0].magnitude) == [5.0, 8.0]
    sim.end()


def test_projection_too_big_for_memory_raises_before_building(monkeypatch):
    """A projection that cannot fit gives a PyNN error up front, and nothing is lost."""
    from pynn_tinysim import memory
    sim.setup(timestep=0.1)
    cells = sim.Population(200, sim.IF_curr_exp(i_offset=1.0))
    cells.record("spikes")
    sim.run(50.0)
    n_spikes = sum(len(st) for st in cells.get_data().segments[0].spiketrains)
    monkeypatch.setattr(memory, "available_memory", lambda: 300_000)   # 300 kB "available"
    with pytest.raises(memory.InsufficientMemoryError) as excinfo:
        sim.Projection(cells, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    assert isinstance(excinfo.value, errors.ConnectionError)
    assert isinstance(excinfo.value, MemoryError)
    assert "40,000 connections" in str(excinfo.value)
    assert len(sim.simulator.state.network.blocks) == 0
    sim.run(10.0)   # the simulation goes on
    assert sum(len(st) for st in cells.get_data().segments[0].spiketrains) >= n_spikes
    # small projections still build with the real estimate
    monkeypatch.undo()
    prj = sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1),
                         sim.StaticSynapse(weight=0.1))
    assert len(prj) > 0
    sim.end()
