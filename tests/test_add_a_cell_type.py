"""Adding a cell type takes two files: an engine group and a standard model.

tests/example_cell_type/engine_pif.py (what would be pynn_tinysim/engine/pif.py) and
tests/example_cell_type/cells_pif.py (a class for pynn_tinysim/standardmodels/cells.py)
are all there is to a new model: with them, a Population of it builds, connects,
runs, records v and spikes into neo, and resets, through pyNN.tinysim's unchanged
front. The spike times are checked against the closed form.
"""

import pathlib
import sys

import numpy as np
import pytest

import pyNN.tinysim as sim

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "example_cell_type"))
from cells_pif import PIF_delta  # noqa: E402


@pytest.fixture
def network():
    sim.setup(timestep=0.125, min_delay=0.125, max_delay=2.0)
    yield
    sim.end()


def _expected(t_stop):
    """v(t) = t until the input at 6 ms adds 2 mV; thresholds 10 mV apart after that."""
    return np.arange(8.0, t_stop + 1e-9, 10.0)


def test_new_cell_type_runs_records_and_resets(network):
    cells = sim.Population(3, PIF_delta(i_offset=1.0, cm=1.0, v_thresh=10.0, v_reset=0.0))
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    sim.Projection(source, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=2.0, delay=1.0), receptor_type="excitatory")
    cells.record(["spikes", "v"])
    sim.run(55.0)
    segment = cells.get_data().segments[-1]
    for train in segment.spiketrains:
        np.testing.assert_array_equal(train.magnitude, _expected(55.0))
    v = segment.filter(name="v")[0]
    assert str(v.units.dimensionality) == "mV"
    np.testing.assert_allclose(v.magnitude[8, 0], 1.0)     # t = 1 ms: v = t
    np.testing.assert_allclose(v.magnitude[48, 0], 8.0)    # t = 6 ms: 6 + 2 mV of input
    group = cells._group
    assert list(group.n_spikes) == [5, 5, 5]               # declared internal state grew
    sim.reset()
    assert list(group.n_spikes) == [0, 0, 0]               # ... and was reset by the base
    sim.run(30.0)
    trains = cells.get_data().segments[-1].spiketrains
    np.testing.assert_array_equal(trains[0].magnitude, _expected(30.0))


def test_new_cell_type_parameters_and_growth(network):
    a = sim.Population(2, PIF_delta(i_offset=2.0))
    b = sim.Population(2, PIF_delta(i_offset=[1.0, 0.5]))   # same group, grown
    assert a._group is b._group and a._group.size == 4
    assert list(a._group.n_spikes) == [0, 0, 0, 0]
    np.testing.assert_array_equal(b.get("i_offset"), [1.0, 0.5])
    b[1:].set(v_thresh=20.0)
    np.testing.assert_array_equal(b.get("v_thresh"), [10.0, 20.0])
    with pytest.raises(sim.errors.InvalidParameterValueError):
        a.set(cm=float("nan"))
    a.record("spikes")
    sim.run(10.0)
    # i_offset 2 nA into 1 nF: 2 mV/ms, threshold 10 mV -> spikes at 5 and 10 ms
    np.testing.assert_array_equal(a.get_data().segments[-1].spiketrains[0].magnitude,
                                  [5.0, 10.0])
