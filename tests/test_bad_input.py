"""Silent garbage and raw tracebacks of issue 14 (items 7 and 8), one test each.

Each bad input gives a PyNN error naming the parameter and the value, or what
NEST does where NEST accepts it (checked with pyNN.nest where noted); nothing hangs.
"""

import numpy as np
import pytest
from pyNN import errors

import pyNN.tinysim as sim
from pynn_tinysim.engine.sources import MAX_RATE_HZ


@pytest.fixture
def net():
    sim.setup(timestep=0.1)
    yield
    sim.end()


# --- setup and run ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["timestep", "max_delay", "min_delay"])
@pytest.mark.parametrize("value", [float("inf"), "abc", float("nan"), -1.0, 0.0, None])
def test_setup_times(name, value):
    kwargs = {"timestep": 0.1, name: value}
    with pytest.raises(errors.InvalidParameterValueError, match=name):
        sim.setup(**kwargs)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), "a", None, [1.0]])
def test_run_time_not_a_finite_number(net, value):
    with pytest.raises(errors.InvalidParameterValueError, match="simtime"):
        sim.run(value)
    with pytest.raises(errors.InvalidParameterValueError, match="time_point"):
        sim.run_until(value)
    assert sim.get_current_time() == 0.0


def test_negative_run_time(net):
    with pytest.raises(errors.InvalidParameterValueError, match="simtime.*-1.0"):
        sim.run(-1.0)


def test_duration_off_the_grid_is_refused_as_nest_does():
    """pyNN.nest: 'The simulation time must be a multiple of the simulation resolution.'"""
    sim.setup(timestep=0.3)
    with pytest.raises(errors.InvalidParameterValueError,
                       match="multiple of the time step.*1.0 ms is 3.33333 steps of 0.3 ms"):
        sim.run(1.0)
    assert sim.get_current_time() == 0.0
    sim.run(1.2)
    assert sim.get_current_time() == pytest.approx(1.2)
    sim.setup(timestep=0.1)
    with pytest.raises(errors.InvalidParameterValueError, match="multiple"):
        sim.run(0.04)
    sim.run(0.3)        # 0.30000000000000004 / 0.1: within floating-point error
    sim.end()


def test_run_zero_gives_no_nan_row(net):
    cells = sim.Population(2, sim.IF_curr_exp())
    cells.record(["v", "spikes"])
    sim.run(0)
    seg = cells.get_data().segments[0]
    assert len(seg.analogsignals) == 0 or all(np.isfinite(np.asarray(a)).all()
                                          for a in seg.analogsignals)
    sim.run(1.0)
    v = np.asarray(cells.get_data().segments[0].filter(name="v")[0])
    assert v.shape == (11, 2) and np.isfinite(v).all()


# --- recording ----------------------------------------------------------------------


def test_record_signal_after_run_is_refused_not_nan(net):
    cells = sim.Population(2, sim.IF_curr_exp())
    sim.run(5.0)
    with pytest.raises(errors.RecordingError, match=r"'v' .*t=5.0 ms.*reset\(\)"):
        cells.record("v")
    cells.record("spikes")                   # spikes can start any time
    sim.run(5.0)
    assert len(cells.get_data().segments[0].analogsignals) == 0
    sim.reset()
    cells.record("v")                       # a new segment: from its start
    sim.run(5.0)
    v = np.asarray(cells.get_data().segments[-1].filter(name="v")[0])
    assert v.shape == (51, 2) and np.isfinite(v).all()


@pytest.mark.parametrize("value", [0, 0.0, float("nan"), -1.0, float("inf"), "x"])
def test_bad_sampling_interval(net, value):
    cells = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="sampling_interval"):
        cells.record("v", sampling_interval=value)
    cells.record("v", sampling_interval=0.5)  # nothing half-registered by the refusal
    sim.run(2.0)
    assert np.asarray(cells.get_data().segments[0].filter(name="v")[0]).shape == (5, 2)


# --- connectors ------------------------------------------------------------------------


@pytest.mark.parametrize("row,side,shown", [
    ((-1, 0), "source", "-1"), ((0, 7), "target", "7"), ((np.nan, 0), "source", "nan"),
    ((1.5, 0), "source", "1.5"), ((2, 0), "source", "2"), ((0, -3), "target", "-3")])
def test_from_list_indices(net, row, side, shown):
    """pyNN.nest refuses -1, NaN and out-of-range indices too."""
    pre = sim.Population(2, sim.IF_curr_exp(), label="pre")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    with pytest.raises(errors.ConnectionError, match=rf"{side} index {shown} .*has "):
        sim.Projection(pre, post, sim.FromListConnector([(row[0], row[1], 0.1, 1.0)]))


@pytest.mark.parametrize("row,side,shown", [
    ((-1, 0), "source", "-1"), ((0, 7), "target", "7"), ((np.nan, 0), "source", "nan"),
    ((1.5, 0), "source", "1.5"), ((2, 0), "source", "2"), ((0, -3), "target", "-3")])
def test_from_file_indices(net, tmp_path, row, side, shown):
    """FromFileConnector's file is checked as FromListConnector's list: the bad row is
    the second of the file (a first, valid one must not hide it)."""
    pre = sim.Population(2, sim.IF_curr_exp(), label="pre")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    path = tmp_path / "connections.txt"
    np.savetxt(path, [(0, 0, 0.1, 1.0), (row[0], row[1], 0.1, 1.0)])
    size = 2 if side == "source" else 3
    label = "pre" if side == "source" else "post"
    with pytest.raises(errors.ConnectionError,
                       match=rf"FromFileConnector: {side} index {shown} \(connection 1\) is "
                             rf"not a valid index into '{label}', which has {size} cells"):
        sim.Projection(pre, post, sim.FromFileConnector(str(path)))


def test_from_file_single_connection(net, tmp_path):
    """A file of one line (numpy reads it as 1-d) still connects, as a list of one."""
    pre = sim.Population(2, sim.IF_curr_exp())
    post = sim.Population(3, sim.IF_curr_exp())
    path = tmp_path / "one.txt"
    np.savetxt(path, [(1, 2, 0.25, 1.5)])
    prj = sim.Projection(pre, post, sim.FromFileConnector(str(path)))
    assert prj.get(["weight", "delay"], format="list") == [(1, 2, 0.25, 1.5)]


# --- current sources ----------------------------------------------------------------


@pytest.mark.parametrize("source", [
    lambda: sim.DCSource(amplitude=1.0, start=20.0, stop=5.0),
    lambda: sim.ACSource(amplitude=1.0, frequency=10.0, start=20.0, stop=5.0),
    lambda: sim.NoisyCurrentSource(mean=1.0, stdev=0.1, start=20.0, stop=5.0)])
def test_current_source_stop_before_start(net, source):
    """NEST: 'stop >= start required.'"""
    with pytest.raises(errors.InvalidParameterValueError, match="stop=5.0 ms is before start"):
        source()
    dc = sim.DCSource(amplitude=1.0, start=5.0, stop=20.0)
    with pytest.raises(errors.InvalidParameterValueError, match="stop >= start"):
        dc.set_parameters(stop=1.0)


# --- populations ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, -1, 2.5, "3", None, (2, 0), True])
def test_population_size(net, size):
    with pytest.raises(errors.InvalidParameterValueError, match="Population size"):
        sim.Population(size, sim.IF_curr_exp())


def test_population_too_large_for_memory(net):
    with pytest.raises(MemoryError, match=r"1,000,000,000,000 IF_curr_exp cells would need"):
        sim.Population(10 ** 12, sim.IF_curr_exp())


@pytest.mark.parametrize("route", ["set", "initialize", "view_set", "view_initialize"])
def test_none_values(net, route):
    cells = sim.Population(3, sim.IF_curr_exp())
    target = cells[0:2] if route.startswith("view") else cells
    name = "v" if route.endswith("initialize") else "tau_m"
    with pytest.raises(errors.InvalidParameterValueError, match=f"{name} must be a number"):
        if route.endswith("initialize"):
            target.initialize(**{name: None})
        else:
            target.set(**{name: None})


# --- spike sources ------------------------------------------------------------------


def test_gamma_alpha_as_float_array(net):
    cells = sim.Population(2, sim.SpikeSourceGamma(alpha=np.array([2.5, 3.0]), beta=100.0))
    cells.record("spikes")
    sim.run(200.0)
    assert list(cells.get("alpha")) == [2.5, 3.0]
    assert sum(len(st) for st in cells.get_data().segments[0].spiketrains) > 0


@pytest.mark.parametrize("celltype,kwargs,name", [
    ("SpikeSourcePoisson", {"rate": 1.7e308}, "rate"),
    ("SpikeSourcePoisson", {"rate": 1e12}, "rate"),
    ("SpikeSourcePoissonRefractory", {"rate": 1e300}, "rate"),
    ("SpikeSourceGamma", {"alpha": 2.0, "beta": 1e100}, "beta"),
    ("SpikeSourceGamma", {"alpha": 1e-300, "beta": 10.0}, "alpha")])
def test_absurd_rates_refused_up_front(net, celltype, kwargs, name):
    with pytest.raises(errors.InvalidParameterValueError, match=name):
        sim.Population(2, getattr(sim, celltype)(**kwargs))


@pytest.mark.parametrize("celltype,kwargs", [
    ("SpikeSourceGamma", {"alpha": 1.0, "beta": MAX_RATE_HZ}),
    ("SpikeSourcePoissonRefractory", {"rate": 0.9 * MAX_RATE_HZ, "tau_refrac": 0.0}),
    ("SpikeSourcePoisson", {"rate": MAX_RATE_HZ})])
def test_fastest_accepted_sources_do_not_crawl(net, celltype, kwargs):
    """At the highest accepted rate one ms of simulation draws ~1e4 spikes per cell
    (it used to take minutes for the renewal sources: 16 intervals per loop)."""
    cells = sim.Population(2, getattr(sim, celltype)(**kwargs))
    cells.record("spikes")
    sim.run(1.0)
    counts = [len(st) for st in cells.get_data().segments[0].spiketrains]
    rate = kwargs.get("rate", kwargs.get("beta"))
    for n in counts:
        assert n == pytest.approx(rate / 1000.0, rel=0.1)
