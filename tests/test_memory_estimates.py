"""Memory estimates (issue 14, item 4): every connector, Population sizes and
recordings are estimated within 25 % of the measured peak (tracemalloc), and what
cannot fit is refused with a PyNN error naming the size and the memory available,
before any large allocation."""

import tempfile
import tracemalloc
from pathlib import Path

import csa
import numpy as np
import pytest
from pyNN import errors
from pyNN.connectors import IndexBasedExpression
from pyNN.parameters import Sequence
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.space import Grid2D

import pyNN.tinysim as sim
from pynn_tinysim import memory
from pynn_tinysim.engine import recorders
from pynn_tinysim.memory import population_bytes, projection_bytes

N = 1600    # a 40 x 40 grid


class Band(IndexBasedExpression):
    """p = 0.5 within 60 indices of the diagonal (an index-based expression)."""

    def __call__(self, i, j):
        return np.where(np.abs(i - j) < 60, 0.5, 0.0)


def _connection_list():
    rng = np.random.default_rng(0)
    n = 100_000
    # targets among the first 200 cells: PyNN's per-target loop is slow under tracemalloc
    return np.column_stack([rng.integers(0, N, n), rng.integers(0, 200, n),
                            np.full(n, 0.1), np.full(n, 1.0)]).astype(float)


def _connection_file():
    path = Path(tempfile.mkdtemp()) / "connections.txt"
    np.savetxt(path, _connection_list())
    return sim.FromFileConnector(str(path))


CONNECTORS = {
    "AllToAll": lambda: sim.AllToAllConnector(),
    "FixedProbability": lambda: sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(1)),
    "DistanceDependentProbability": lambda: sim.DistanceDependentProbabilityConnector(
        "exp(-d/10)", rng=NumpyRNG(1)),
    "SmallWorld": lambda: sim.SmallWorldConnector(degree=8.0, rewiring=0.1, rng=NumpyRNG(1)),
    "FixedNumberPre": lambda: sim.FixedNumberPreConnector(300, rng=NumpyRNG(1)),
    "FixedNumberPre_random_n": lambda: sim.FixedNumberPreConnector(
        RandomDistribution("binomial", (600, 0.5), rng=NumpyRNG(2)), rng=NumpyRNG(1)),
    "FixedNumberPost": lambda: sim.FixedNumberPostConnector(300, rng=NumpyRNG(1)),
    "FixedTotalNumber": lambda: sim.FixedTotalNumberConnector(400000, rng=NumpyRNG(1)),
    "OneToOne": lambda: sim.OneToOneConnector(),
    # built by PyNN's own code (estimate-only entries of the registry)
    "IndexBasedProbability": lambda: sim.IndexBasedProbabilityConnector(Band(), rng=NumpyRNG(1)),
    "DisplacementDependentProbability": lambda: sim.DisplacementDependentProbabilityConnector(
        lambda d: np.exp(-np.hypot(d[0], d[1]) / 10.0), rng=NumpyRNG(1)),
    "Array": lambda: sim.ArrayConnector(np.random.default_rng(1).random((N, N)) < 0.1),
    "FromList": lambda: sim.FromListConnector(_connection_list()),
    "FromFile": _connection_file,
    "CSA": lambda: sim.CSAConnector(csa.random(0.1)),
}


def _populations():
    sim.setup(timestep=0.1)
    space = Grid2D(aspect_ratio=1.0, dx=1.0, dy=1.0)
    return (sim.Population(N, sim.IF_curr_exp(), structure=space),
            sim.Population(N, sim.IF_curr_exp(), structure=space))


@pytest.mark.parametrize("name", sorted(CONNECTORS))
def test_projection_estimate_within_25_percent_of_measured_peak(name):
    pre, post = _populations()
    connector = CONNECTORS[name]()
    tracemalloc.start()
    prj = sim.Projection(pre, post, connector, sim.StaticSynapse(weight=0.1, delay=1.0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n, estimate = projection_bytes(connector, prj)
    print(f"\n{name}: {len(prj)} connections (estimated {n:.0f}); peak {peak / 2**20:.1f} MiB,"
          f" estimate {estimate / 2**20:.1f} MiB")
    assert n == pytest.approx(len(prj), rel=0.1)
    assert 0.75 <= estimate / peak <= 1.25
    sim.end()


PLASTIC = {
    "STDP": lambda: sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                      weight_dependence=sim.AdditiveWeightDependence(),
                                      weight=0.01, delay=1.0),
    "TsodyksMarkram": lambda: sim.TsodyksMarkramSynapse(weight=0.01, delay=1.0),
    "SimpleStochastic": lambda: sim.SimpleStochasticSynapse(weight=0.01, delay=1.0),
    "StochasticTsodyksMarkram": lambda: sim.StochasticTsodyksMarkramSynapse(weight=0.01,
                                                                           delay=1.0),
    "MultiQuantal": lambda: sim.MultiQuantalSynapse(weight=0.01, delay=1.0),
}


@pytest.mark.parametrize("synapse,connector", [(name, "FixedProbability") for name in
                                               sorted(PLASTIC)] + [("STDP", "FromList")])
def test_plastic_projection_estimate_within_25_percent(synapse, connector):
    """A plastic synapse keeps its rule's parameters and state per synapse (3-5 times a
    static one's bytes), twice that while it is built."""
    sim.setup(timestep=0.1)
    pre, post = sim.Population(800, sim.IF_curr_exp()), sim.Population(800, sim.IF_curr_exp())
    if connector == "FromList":     # (PyNN's per-target loop: slow under tracemalloc)
        rng = np.random.default_rng(0)
        c = sim.FromListConnector(np.column_stack([rng.integers(0, 800, 40_000),
                                                   rng.integers(0, 100, 40_000)]).astype(float))
    else:
        c = sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(1))
    synapse_type = PLASTIC[synapse]()
    tracemalloc.start()
    prj = sim.Projection(pre, post, c, synapse_type)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n, estimate = projection_bytes(c, prj)
    print(f"\n{synapse}, {connector}: {len(prj)} connections, {peak / len(prj):.0f} B each "
          f"at the peak, estimated {estimate / len(prj):.0f}")
    assert 0.75 <= estimate / peak <= 1.25
    sim.end()


@pytest.mark.parametrize("p", [0.01, 0.3])
def test_clone_connector_estimate_within_25_percent(monkeypatch, p):
    pre, post = _populations()
    reference = sim.Projection(pre, post, sim.FixedProbabilityConnector(p, rng=NumpyRNG(1)),
                               sim.StaticSynapse(weight=0.1, delay=1.0))
    connector = sim.CloneConnector(reference)
    tracemalloc.start()
    prj = sim.Projection(pre, post, connector, sim.StaticSynapse(weight=0.2, delay=1.0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n, estimate = projection_bytes(connector, prj)
    print(f"\nClone of p={p}: {len(prj)} connections; peak {peak / 2**20:.1f} MiB, "
          f"estimate {estimate / 2**20:.1f} MiB")
    assert n == len(prj) == len(reference)
    assert 0.75 <= estimate / peak <= 1.25
    monkeypatch.setattr(memory, "available_memory", lambda: 1_000_000)
    with pytest.raises(memory.InsufficientMemoryError, match=r"CloneConnector, 1600 x 1600"):
        sim.Projection(pre, post, connector, sim.StaticSynapse(weight=0.1))
    sim.end()


@pytest.mark.parametrize("name", ["DistanceDependentProbability", "SmallWorld",
                                  "FixedNumberPre_random_n", "FixedTotalNumber",
                                  "IndexBasedProbability", "DisplacementDependentProbability",
                                  "Array", "FromList", "FromFile", "CSA"])
def test_projection_refused_before_building(monkeypatch, name):
    pre, post = _populations()
    monkeypatch.setattr(memory, "available_memory", lambda: 1_000_000)
    with pytest.raises(memory.InsufficientMemoryError,
                       match=r"connections, needing ~.* GiB .* but only 0.0 GiB"):
        sim.Projection(pre, post, CONNECTORS[name](), sim.StaticSynapse(weight=0.1))
    assert len(sim.simulator.state.network.blocks) == 0
    sim.end()


@pytest.mark.parametrize("celltype", ["IF_curr_exp", "IF_cond_exp", "HH_cond_exp",
                                      "SpikeSourcePoisson", "EIF_cond_exp_isfa_ista"])
def test_population_estimate_within_25_percent(celltype):
    sim.setup(timestep=0.1)
    model = getattr(sim, celltype)()
    tracemalloc.start()
    sim.Population(100_000, model)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert 0.75 <= population_bytes(model, 100_000) / peak <= 1.25
    sim.end()


def test_population_refused_naming_size_and_memory(monkeypatch):
    sim.setup(timestep=0.1)
    monkeypatch.setattr(memory, "available_memory", lambda: 10 * 2**20)
    with pytest.raises(errors.InvalidParameterValueError,
                       match=r"of 1,000,000 IF_curr_exp cells would need ~0.4 GiB, but only "
                             r"0.0 GiB"):
        sim.Population(1_000_000, sim.IF_curr_exp())
    sim.Population(1000, sim.IF_curr_exp())
    sim.end()


def test_recording_refused_at_run_before_allocation(monkeypatch):
    sim.setup(timestep=0.1)
    cells = sim.Population(1000, sim.IF_curr_exp(i_offset=1.0))
    cells.record(["v", "spikes"])
    sim.run(10.0)
    monkeypatch.setattr(recorders, "available_memory", lambda: 50 * 2**20)
    with pytest.raises(MemoryError, match=r"recording 'v' of 1000 .* for 100,000 samples "
                                          r"needs 0.745 GiB, but 0.0488 GiB"):
        sim.run(10_000.0)
    assert sim.get_current_time() == pytest.approx(10.0)     # nothing ran, nothing lost
    v = np.asarray(cells.get_data().segments[0].filter(name="v")[0])
    assert v.shape == (101, 1000)
    sim.run(10.0)      # a run that fits still goes on
    sim.end()


def test_several_recordings_refused_together_when_each_alone_would_fit(monkeypatch):
    """Buffers are allocated one by one and filled during the run: the available
    memory at each allocation does not show the others, so their sum is checked."""
    sim.setup(timestep=0.1)
    cells = sim.Population(1000, sim.IF_cond_exp(i_offset=1.0))
    cells.record(["v", "gsyn_exc", "gsyn_inh"])
    sim.run(1.0)
    # one variable for 10 s: 100 001 samples x 1000 cells x 8 B = 0.75 GiB; three: 2.2
    monkeypatch.setattr(recorders, "available_memory", lambda: 2**30)
    with pytest.raises(MemoryError, match=r"recording 3 signals for 100,000 steps "
                                          r"\('v' of 1000 .*'gsyn_inh' .*\) needs 2.24 GiB in all, "
                                          r"but 1 GiB"):
        sim.run(10_000.0)
    assert sim.get_current_time() == pytest.approx(1.0)
    sim.run(10.0)           # a shorter piece fits: the run goes on
    v = cells.get_data().segments[0].filter(name="v")[0]
    assert v.shape == (111, 1000)
    sim.end()


def test_spike_recording_costs_at_most_twice_the_spike_data():
    """neo keeps 8 bytes a spike; the recorder at most 16 (measured with tracemalloc)."""
    sim.setup(timestep=0.1)
    rng = NumpyRNG(seed=3)
    cells = sim.Population(2000, sim.IF_curr_exp(
        i_offset=RandomDistribution("uniform", (0.6, 1.5), rng=rng)))
    cells.record("spikes")
    sim.run(1.0)
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    sim.run(500.0)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n_spikes = sum(len(st) for st in cells.get_data().segments[0].spiketrains)
    recorder = cells._group.spike_recorder
    print(f"\n{n_spikes} spikes: {recorder.nbytes() / n_spikes:.1f} B a spike in the buffers, "
          f"{(after - before) / n_spikes:.1f} B a spike retained by the run")
    assert n_spikes > 30_000
    assert recorder.nbytes() <= 16 * n_spikes
    assert after - before <= 16 * n_spikes
    sim.end()


def _source_times(n_sources, per_source, seed=3):
    """Sorted spike times in (1, 500) ms for ``n_sources`` SpikeSourceArrays, most of
    them off the 0.1 ms grid (rounded to 1 us)."""
    rng = np.random.default_rng(seed)
    return [Sequence(np.unique(np.round(rng.uniform(1.0, 500.0, rng.integers(*per_source)), 3)))
            for _ in range(n_sources)]


def _source_recording_run(times, record, spike_precision="off_grid"):
    """(bytes retained by run(500), spike trains, recorder) of one SpikeSourceArray a list."""
    sim.setup(timestep=0.1, spike_precision=spike_precision)
    sources = sim.Population(len(times), sim.SpikeSourceArray(spike_times=times))
    if record:
        sources.record("spikes")
    sim.run(0.5)
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    sim.run(500.0)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    trains = sources.get_data().segments[0].spiketrains if record else None
    recorder = sources._group.spike_recorder
    sim.end()
    return after - before, trains, recorder


# (sources, spikes per source): dense (2000 sources, ~50 000 spikes over 5000 steps,
# ~10 a step), sparse (20 sources, ~2000 spikes, ~1.2 a step that has any: most have
# one), very sparse (one source, a spike every ~4 steps)
SOURCE_CASES = {"dense": (2000, (10, 40)), "sparse": (20, (90, 110)),
                "very sparse": (1, (1200, 1300))}


@pytest.mark.parametrize("case", sorted(SOURCE_CASES))
def test_exact_spike_time_recording_costs_at_most_twice_the_spike_data(case):
    """SpikeSourceArray spikes off the grid are recorded at their exact times (the
    default spike_precision "off_grid"): the recorder keeps, per spike, an int32 id,
    an int32 stamp and a float64 time, nothing per step, so at most 24 bytes a spike
    (twice the 12 bytes of id and time), buffers' room included, however sparse the
    spikes are in time (measured ~17 to ~21). The same run without recording
    measures what the source itself retains (its event arrays)."""
    n_sources, per_source = SOURCE_CASES[case]
    times = _source_times(n_sources, per_source)
    retained, trains, recorder = _source_recording_run(times, record=True)
    baseline, *_ = _source_recording_run(times, record=False)
    n_spikes = sum(len(st) for st in trains)
    assert n_spikes == sum(t.value.size for t in times) > 1000
    steps_with_spikes = np.unique(np.ceil(np.concatenate([t.value for t in times]) / 0.1
                                          - 1e-9)).size
    for i in (0, n_sources - 1):
        np.testing.assert_array_equal(trains[i].magnitude, times[i].value)  # exact, off grid
    assert (np.asarray(times[0].value) % 0.1 > 1e-6).any()
    print(f"\n{case}: {n_spikes} spikes, {n_spikes / steps_with_spikes:.2f} a step with "
          f"spikes: {recorder.nbytes() / n_spikes:.1f} B a spike in the buffers, "
          f"{(retained - baseline) / n_spikes:.1f} B a spike retained by recording")
    if case != "dense":
        assert n_spikes / steps_with_spikes < 1.3      # the case the per-step cost hurt
    assert recorder.nbytes() <= 24 * n_spikes
    assert retained - baseline <= 24 * n_spikes


@pytest.mark.parametrize("case", ["sparse", "very sparse"])
def test_on_grid_sparse_spike_recording_costs_at_most_twice_the_spike_data(case):
    """On the grid (spike_precision "on_grid") a spike costs an int32 id and an int32
    stamp: at most 12 bytes a spike with the buffers' room, however sparse."""
    n_sources, per_source = SOURCE_CASES[case]
    times = _source_times(n_sources, per_source)
    retained, trains, recorder = _source_recording_run(times, record=True,
                                                       spike_precision="on_grid")
    baseline, *_ = _source_recording_run(times, record=False, spike_precision="on_grid")
    n_spikes = sum(len(st) for st in trains)
    assert n_spikes == sum(t.value.size for t in times) > 1000
    on_grid = np.ceil(np.asarray(times[0].value) / 0.1 - 1e-9) * 0.1
    np.testing.assert_allclose(trains[0].magnitude, on_grid, rtol=0, atol=1e-9)
    print(f"\n{case} on the grid: {recorder.nbytes() / n_spikes:.1f} B a spike in the "
          f"buffers, {(retained - baseline) / n_spikes:.1f} B a spike retained by recording")
    assert recorder.nbytes() <= 12 * n_spikes
    assert retained - baseline <= 16 * n_spikes


def test_spike_buffers_that_cannot_grow_give_a_clear_error(monkeypatch):
    """Spikes are not known before the run: a buffer that cannot grow says so."""
    from pynn_tinysim.engine.recorders import SpikeRecorder

    class Group:
        size = 5

    rec = SpikeRecorder(Group())
    rec.add_indices(np.arange(5))
    rec.record(1, np.arange(5))
    real_empty = np.empty

    def no_memory(shape, dtype=float):
        if np.prod(shape) >= 7:
            raise MemoryError("Unable to allocate")
        return real_empty(shape, dtype)
    monkeypatch.setattr(recorders.np, "empty", no_memory)
    with pytest.raises(MemoryError, match=r"recording the spikes of Group cells: 5 spikes "
                                          r"are kept and room for 10 \(.* GiB\) cannot be "
                                          r"allocated; record fewer cells"):
        rec.record(2, np.arange(5))
    monkeypatch.undo()
    assert rec.get()[0].tolist() == [1] * 5          # what was kept is still there


def test_spike_recorder_buffers_never_exceed_one_and_a_half_times_their_use():
    """The bound holds at every moment, not only at the end of a run: after each
    record, the buffers hold at most 1.5 times the spikes kept (plus nothing per step),
    and truncate/get agree with what was recorded, stamps beyond int32 included."""
    from pynn_tinysim.engine.recorders import SpikeRecorder

    class Group:
        size = 5

    rec = SpikeRecorder(Group())
    rec.add_indices(np.arange(5))
    rng = np.random.default_rng(1)
    expected = []
    stamp = 0
    for _ in range(3000):
        stamp += int(rng.integers(1, 4))
        spiked = np.flatnonzero(rng.random(5) < 0.3)
        times = stamp * 0.1 - rng.random(spiked.size) * 0.1
        rec.record(stamp, spiked, times)
        expected += [(stamp, int(i), t) for i, t in zip(spiked, times)]
        assert rec.nbytes() <= 1.5 * 16 * len(expected)
    big = 2**31 + 5                       # a stamp beyond int32: the stamps become int64
    rec.record(big, np.array([2]), np.array([big * 0.1]))
    expected.append((big, 2, big * 0.1))
    stamps, local = rec.get()
    assert stamps.tolist() == [e[0] for e in expected]
    assert local.tolist() == [e[1] for e in expected]
    np.testing.assert_array_equal(rec.get_times(0.1), [e[2] for e in expected])
    rec.truncate(stamp - 1)
    kept = [e for e in expected if e[0] <= stamp - 1]
    assert rec.get()[0].tolist() == [e[0] for e in kept]


def _spinnaker_connectors():
    import pyNN.tinysim.spinnaker as spin
    from pyNN.tinysim.spinnaker import extra_models
    dense = np.random.default_rng(1).random((N, N))
    return spin, {
        # (connector, n_pre, n_post)
        "AllButMe": (lambda: extra_models.AllButMeConnector(n_neurons_per_group=400), N, N),
        "AllButMe_weights": (lambda: extra_models.AllButMeConnector(
            n_neurons_per_group=400, weights=np.full(400 * 399, 0.5)), N, N),
        "OneToOneOffset": (lambda: extra_models.OneToOneOffsetConnector(
            offset=3, wrap=False, n_neurons_per_group=40), 100_000, 100_000),
        "OneToOneOffset_wrap": (lambda: extra_models.OneToOneOffsetConnector(
            offset=-5, wrap=True), 100_000, 100_000),
        "OneToOne": (lambda: spin.OneToOneConnector(), 100_000, 80_000),
        "Array": (lambda: spin.ArrayConnector((dense < 0.1).astype(int)), N, N),
        "Array_sparse": (lambda: spin.ArrayConnector((dense < 0.01).astype(int)), N, N),
    }


SPINNAKER_CONNECTORS = sorted(_spinnaker_connectors()[1])


@pytest.mark.parametrize("name", SPINNAKER_CONNECTORS)
def test_spinnaker_connector_estimate_within_25_percent_of_measured_peak(name):
    """The sPyNNaker flavour's own connectors (AllButMe, OneToOneOffset) and its
    OneToOne/Array (sPyNNaker's meaning of them) are estimated as PyNN's are."""
    spin, cases = _spinnaker_connectors()
    make, n_pre, n_post = cases[name]
    spin.setup(timestep=1.0)
    pre, post = spin.Population(n_pre, spin.IF_curr_exp()), spin.Population(n_post,
                                                                           spin.IF_curr_exp())
    connector = make()
    tracemalloc.start()
    prj = spin.Projection(pre, post, connector, spin.StaticSynapse(weight=0.1, delay=1.0))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n, estimate = projection_bytes(connector, prj)
    print(f"\n{name}: {len(prj)} connections (estimated {n:.0f}); peak {peak / 2**20:.1f} "
          f"MiB, estimate {estimate / 2**20:.1f} MiB")
    assert n == len(prj)            # these counts are exact
    assert 0.75 <= estimate / peak <= 1.25
    spin.end()


@pytest.mark.parametrize("name", SPINNAKER_CONNECTORS)
def test_spinnaker_connector_refused_before_building(monkeypatch, name):
    spin, cases = _spinnaker_connectors()
    make, n_pre, n_post = cases[name]
    spin.setup(timestep=1.0)
    pre, post = spin.Population(n_pre, spin.IF_curr_exp()), spin.Population(n_post,
                                                                           spin.IF_curr_exp())
    monkeypatch.setattr(memory, "available_memory", lambda: 1_000_000)
    with pytest.raises(memory.InsufficientMemoryError,
                       match=rf"\({type(make()).__name__}, {n_pre} x {n_post} cells\) would "
                             r"make about .* connections, needing ~.* GiB .* but only 0.0 GiB"):
        spin.Projection(pre, post, make(), spin.StaticSynapse(weight=0.1, delay=1.0))
    assert len(sim.simulator.state.network.blocks) == 0   # (the one shared state)
    spin.end()


def test_spinnaker_connector_with_a_bad_group_is_refused_by_the_connector_not_the_estimate():
    """An invalid n_neurons_per_group gives no estimate; the connector names the value."""
    import pyNN.tinysim.spinnaker as spin
    from pyNN.tinysim.spinnaker import extra_models
    spin.setup(timestep=1.0)
    pre, post = spin.Population(10, spin.IF_curr_exp()), spin.Population(10, spin.IF_curr_exp())
    with pytest.raises(errors.InvalidParameterValueError, match="n_neurons_per_group must be a positive integer, not 0"):
        spin.Projection(pre, post, extra_models.AllButMeConnector(n_neurons_per_group=0),
                        spin.StaticSynapse(weight=0.1))
    spin.end()
