"""Recording, neo output, state handling and reproducibility through the public PyNN API.

The backend under test is ``pyNN.<TINYSIM_TEST_BACKEND>`` (default ``tinysim``);
everything here passes against ``pyNN.nest``, the reference.  The neo layout asserted
is exactly what pyNN.nest produces:

* ``get_data()`` -> ``neo.Block`` named after the population label, annotated with
  size, first_index, last_index, first_id, last_id, label, simulator, dt, mpi_processes;
  one Segment per run between resets, named ``segment000``, ``segment001``...;
* one SpikeTrain per recorded cell, annotated ``source_population`` (label),
  ``source_index`` (index in the population) and ``channel_id`` (the cell ID);
  t_start = start of the segment, t_stop = current time;
* one AnalogSignal per variable, name = variable, channels = recorded cells in index
  order; ``annotations["channel_ids"]`` = cell IDs, ``array_annotations["channel_index"]``
  = population indices; the samples include t=0 *and* t=t_stop, so a run of T ms at
  sampling interval s has T/s + 1 samples (also after reset()).

Note: pyNN.nest needs ``setup(t_flush=...)`` to allow reset(); t_flush=100 gives the
sample counts above (a larger t_flush, e.g. 200, makes NEST drop the final sample of
the post-reset segment through float rounding -- a NEST quirk, not the contract).
"""

import importlib
import os

import neo
import numpy as np
import pytest
import quantities as pq

SIM = os.environ.get("TINYSIM_TEST_BACKEND", "tinysim")
sim = importlib.import_module("pyNN." + SIM)

from pyNN import errors  # noqa: E402
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: E402
from pyNN.space import Grid2D, Line, RandomStructure, Cuboid  # noqa: E402

DT = 0.1
RESET_KW = {"t_flush": 100.0} if SIM == "nest" else {}
BLOCK_ANNOTATIONS = {"size", "first_index", "last_index", "first_id", "last_id",
                     "label", "simulator", "dt", "mpi_processes"}
SPIKETRAIN_ANNOTATIONS = {"source_population", "source_index", "channel_id"}


def setup(**extra):
    kw = dict(timestep=DT, min_delay=DT, max_delay=10.0)
    kw.update(extra)
    sim.setup(**kw)


def signal(segment, name):
    matches = [s for s in segment.analogsignals if s.name == name]
    assert len(matches) == 1, [s.name for s in segment.analogsignals]
    return matches[0]


def spike_arrays(segment):
    return [np.asarray(st.rescale(pq.ms).magnitude) for st in segment.spiketrains]


# --------------------------------------------------------------------------- block / segment

def test_block_structure_and_annotations():
    setup()
    p = sim.Population(4, sim.IF_curr_exp(i_offset=1.0), label="driven")
    p.record(["spikes", "v"])
    sim.run(50.0)
    block = p.get_data()
    assert isinstance(block, neo.Block)
    assert block.name == "driven"
    assert BLOCK_ANNOTATIONS <= set(block.annotations)
    ann = block.annotations
    assert ann["size"] == 4
    assert ann["first_index"] == 0 and ann["last_index"] == 4
    assert ann["first_id"] == int(p.first_id) and ann["last_id"] == int(p.last_id)
    assert ann["label"] == "driven"
    assert ann["dt"] == pytest.approx(DT)
    assert ann["mpi_processes"] == 1
    assert isinstance(ann["simulator"], str)
    assert len(block.segments) == 1
    seg = block.segments[0]
    assert seg.name == "segment000"
    sim.end()


def test_spiketrains_annotations_and_times():
    setup()
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="P")
    p.record("spikes")
    sim.run(100.0)
    seg = p.get_data().segments[0]
    trains = list(seg.spiketrains)
    assert len(trains) == 3
    assert len(seg.analogsignals) == 0
    for index, st in enumerate(trains):
        assert SPIKETRAIN_ANNOTATIONS <= set(st.annotations)
        assert st.annotations["source_population"] == "P"
        assert int(st.annotations["source_index"]) == index
        assert int(st.annotations["channel_id"]) == int(p[index])
        assert st.t_start == 0.0 * pq.ms
        assert st.t_stop == 100.0 * pq.ms
        assert st.units == pq.ms
        times = st.magnitude
        assert len(times) >= 2  # i_offset=1 nA drives regular firing (first spike ~27.7 ms)
        assert np.all(np.diff(times) > 0)
        assert np.all((times > 0) & (times <= 100.0))
    sim.end()


def test_analog_signals_if_cond_exp():
    setup()
    n = 5
    p = sim.Population(n, sim.IF_cond_exp(), label="C", initial_values={"v": -70.0})
    src = sim.Population(n, sim.SpikeSourcePoisson(rate=200.0))
    sim.Projection(src, p, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=1.0))
    sim.Projection(src, p, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.01, delay=1.0),
                   receptor_type="inhibitory")
    p.record(["v", "gsyn_exc", "gsyn_inh", "spikes"])
    sim.run(50.0)
    seg = p.get_data().segments[0]
    assert sorted(s.name for s in seg.analogsignals) == ["gsyn_exc", "gsyn_inh", "v"]
    expected_units = {"v": pq.mV, "gsyn_exc": pq.uS, "gsyn_inh": pq.uS}
    for name, units in expected_units.items():
        sig = signal(seg, name)
        assert isinstance(sig, neo.AnalogSignal)
        assert sig.units == units
        assert sig.sampling_period == 0.1 * pq.ms
        assert sig.t_start == 0.0 * pq.ms
        assert sig.shape == (501, n)  # t = 0, 0.1, ..., 50.0 inclusive
        assert sig.times[-1].rescale(pq.ms).magnitude == pytest.approx(50.0)
        np.testing.assert_array_equal(np.asarray(sig.annotations["channel_ids"]),
                                      [int(i) for i in p])
        np.testing.assert_array_equal(np.asarray(sig.array_annotations["channel_index"]),
                                      np.arange(n))
        assert sig.annotations["source_population"] == "C"
    v = signal(seg, "v").magnitude
    np.testing.assert_allclose(v[0], -70.0)
    gsyn_exc = signal(seg, "gsyn_exc").magnitude
    np.testing.assert_allclose(gsyn_exc[0], 0.0)
    assert gsyn_exc.max() > 0.0  # inputs arrived
    assert signal(seg, "gsyn_inh").magnitude.max() > 0.0
    sim.end()


def test_izhikevich_u():
    setup()
    p = sim.Population(3, sim.Izhikevich(i_offset=0.01))
    p.record(["v", "u", "spikes"])
    sim.run(20.0)
    seg = p.get_data().segments[0]
    u = signal(seg, "u")
    assert u.units == pq.mV / pq.ms
    assert u.shape == (201, 3)
    np.testing.assert_allclose(u.magnitude[0], -14.0)  # default u = b * v = 0.2 * -70
    v = signal(seg, "v")
    assert v.units == pq.mV
    np.testing.assert_allclose(v.magnitude[0], -70.0)
    sim.end()


def test_sampling_interval():
    setup()
    p = sim.Population(3, sim.IF_curr_exp())
    p.record("v", sampling_interval=1.0)
    sim.run(50.0)
    sig = signal(p.get_data().segments[0], "v")
    assert sig.sampling_period == 1.0 * pq.ms
    assert sig.shape == (51, 3)
    assert sig.t_start == 0.0 * pq.ms
    sim.end()


def test_record_subset_and_view_get_data():
    setup()
    p = sim.Population(6, sim.IF_curr_exp(i_offset=1.0), label="S",
                       initial_values={"v": -70.0})
    p[0:3].record("v")
    p[2:5].record("spikes")
    sim.run(40.0)
    seg = p.get_data().segments[0]
    v = signal(seg, "v")
    assert v.shape == (401, 3)
    np.testing.assert_array_equal(v.array_annotations["channel_index"], [0, 1, 2])
    np.testing.assert_array_equal(v.annotations["channel_ids"], [int(i) for i in p[0:3]])
    assert sorted(int(st.annotations["source_index"]) for st in seg.spiketrains) == [2, 3, 4]

    view = p[1:4]
    vseg = view.get_data().segments[0]
    vv = signal(vseg, "v")
    # only the recorded cells of the view; channel_index stays the *population* index
    np.testing.assert_array_equal(vv.array_annotations["channel_index"], [1, 2])
    np.testing.assert_array_equal(vv.annotations["channel_ids"], [int(p[1]), int(p[2])])
    np.testing.assert_allclose(vv.magnitude, v.magnitude[:, 1:3])
    assert sorted(int(st.annotations["source_index"]) for st in vseg.spiketrains) == [2, 3]
    sim.end()


def test_get_data_variable_filter():
    setup()
    p = sim.Population(2, sim.IF_cond_exp(i_offset=1.0))
    p.record(["spikes", "v", "gsyn_exc"])
    sim.run(10.0)
    seg = p.get_data("v").segments[0]
    assert [s.name for s in seg.analogsignals] == ["v"]
    assert len(seg.spiketrains) == 0
    seg = p.get_data("spikes").segments[0]
    assert len(seg.analogsignals) == 0 and len(seg.spiketrains) == 2
    sim.end()


def test_assembly_get_data():
    setup()
    a = sim.Population(2, sim.IF_curr_exp(i_offset=1.0), label="A")
    b = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="B")
    asm = a + b
    asm.record(["spikes", "v"])
    sim.run(40.0)
    seg = asm.get_data().segments[0]
    v = signal(seg, "v")
    assert v.shape == (401, 5)
    np.testing.assert_array_equal(v.annotations["channel_ids"], [int(i) for i in asm])
    assert len(seg.spiketrains) == 5
    assert sorted(st.annotations["source_population"] for st in seg.spiketrains) == \
        ["A", "A", "B", "B", "B"]
    sim.end()


def test_spike_counts():
    setup()
    p = sim.Population(4, sim.IF_curr_exp(), label="cnt")
    p.set(i_offset=[0.0, 1.0, 1.5, 2.0])
    p.record("spikes")
    sim.run(100.0)
    counts = p.get_spike_counts()
    trains = p.get_data().segments[0].spiketrains
    assert set(counts) == {int(i) for i in p}
    for st in trains:
        assert counts[int(st.annotations["channel_id"])] == len(st)
    assert counts[int(p[0])] == 0
    assert counts[int(p[1])] < counts[int(p[2])] < counts[int(p[3])]
    assert p.mean_spike_count() == pytest.approx(np.mean([len(st) for st in trains]))
    view_counts = p[1:3].get_spike_counts()
    assert set(view_counts) == {int(p[1]), int(p[2])}
    sim.end()


def test_write_data_pickle(tmp_path):
    setup()
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="W")
    p.record(["spikes", "v"])
    sim.run(50.0)
    fn = str(tmp_path / "out.pkl")
    p.write_data(fn)
    block = neo.io.PickleIO(fn).read_block()
    original = p.get_data()
    assert len(block.segments) == 1
    np.testing.assert_allclose(signal(block.segments[0], "v").magnitude,
                               signal(original.segments[0], "v").magnitude)
    for a, b in zip(spike_arrays(block.segments[0]), spike_arrays(original.segments[0])):
        np.testing.assert_array_equal(a, b)
    sim.end()


def test_write_data_nix(tmp_path):
    pytest.importorskip("nixio")
    setup()
    p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    p.record(["spikes", "v"])
    sim.run(20.0)
    fn = str(tmp_path / "out.nix")
    p.write_data(fn)
    io = neo.io.NixIO(fn, mode="ro")
    block = io.read_block()
    io.close()
    assert len(block.segments) == 1
    sim.end()


# --------------------------------------------------------------------------- reset / clear

def test_reset_gives_new_segment_and_restores_state():
    setup(**RESET_KW)
    p = sim.Population(3, sim.IF_curr_exp(i_offset=1.0), label="R",
                       initial_values={"v": -70.0})
    p.record(["spikes", "v"])
    sim.run(50.0)
    first = p.get_data()
    assert sim.get_current_time() == pytest.approx(50.0)
    sim.reset()
    assert sim.get_current_time() == pytest.approx(0.0)
    assert p.get("i_offset") == pytest.approx(1.0)  # parameters survive reset
    sim.run(30.0)
    block = p.get_data()
    assert [s.name for s in block.segments] == ["segment000", "segment001"]
    seg0, seg1 = block.segments
    # earlier segment kept unchanged
    v0 = signal(seg0, "v")
    assert v0.shape == (501, 3)
    np.testing.assert_allclose(v0.magnitude, signal(first.segments[0], "v").magnitude)
    for a, b in zip(spike_arrays(seg0), spike_arrays(first.segments[0])):
        np.testing.assert_array_equal(a, b)
    # new segment starts at t=0 from the initial state
    v1 = signal(seg1, "v")
    assert v1.t_start == 0.0 * pq.ms
    assert v1.shape == (301, 3)
    np.testing.assert_allclose(v1.magnitude[0], -70.0)
    # identical dynamics: the first 30 ms repeat
    np.testing.assert_allclose(v1.magnitude, v0.magnitude[:301], atol=1e-9)
    for st in seg1.spiketrains:
        assert st.t_start == 0.0 * pq.ms
        assert st.t_stop == 30.0 * pq.ms
    sim.end()


def test_consecutive_runs_extend_one_segment():
    setup()
    p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    p.record(["spikes", "v"])
    sim.run(50.0)
    sim.run(20.0)
    assert sim.get_current_time() == pytest.approx(70.0)
    block = p.get_data()
    assert len(block.segments) == 1
    seg = block.segments[0]
    assert signal(seg, "v").shape == (701, 2)
    for st in seg.spiketrains:
        assert st.t_stop == 70.0 * pq.ms
    sim.end()


def test_several_resets_and_spike_source_array():
    """SpikeSourceArray spikes come back exactly as given (a spike at t_stop included),
    and every segment after reset replays them from t=0."""
    setup(**RESET_KW)
    times = [[1.0, 5.0, 10.3], [2.0, 49.9, 50.0]]
    ssa = sim.Population(2, sim.SpikeSourceArray(spike_times=times), label="ssa")
    ssa.record("spikes")
    sim.run(50.0)
    sim.reset()
    sim.run(10.0)
    sim.reset()
    sim.run(5.0)
    block = ssa.get_data()
    assert [s.name for s in block.segments] == ["segment000", "segment001", "segment002"]
    expected = [times, [[1.0, 5.0], [2.0]], [[1.0, 5.0], [2.0]]]
    for seg, exp, t_stop in zip(block.segments, expected, [50.0, 10.0, 5.0]):
        got = spike_arrays(seg)
        assert len(got) == 2
        for g, e in zip(got, exp):
            np.testing.assert_allclose(g, e)
        for st in seg.spiketrains:
            assert st.t_start == 0.0 * pq.ms and st.t_stop == t_stop * pq.ms
            assert st.annotations["source_population"] == "ssa"
    sim.end()


def test_get_data_clear():
    setup()
    p = sim.Population(2, sim.IF_curr_exp(i_offset=1.0))
    p.record(["spikes", "v"])
    sim.run(50.0)
    cleared = p.get_data(clear=True)
    assert signal(cleared.segments[0], "v").shape == (501, 2)
    n_spikes_first = sum(len(st) for st in cleared.segments[0].spiketrains)
    assert n_spikes_first > 0
    sim.run(50.0)
    block = p.get_data()
    assert len(block.segments) == 1
    seg = block.segments[0]
    v = signal(seg, "v")
    assert v.t_start == 50.0 * pq.ms
    assert v.shape[0] in (500, 501)
    for st in seg.spiketrains:
        assert st.t_start == 50.0 * pq.ms
        assert np.all(st.magnitude > 50.0)
    sim.end()


# --------------------------------------------------------------------------- recording errors

def test_record_v_on_poisson_raises():
    setup()
    s = sim.Population(2, sim.SpikeSourcePoisson(rate=10.0))
    with pytest.raises(errors.RecordingError):
        s.record("v")
    s.record("spikes")  # this is fine
    sim.end()


# --------------------------------------------------------------------------- initialize / set / get

def test_initialize_variants():
    setup()
    n = 6
    p_rand = sim.Population(n, sim.IF_curr_exp())
    p_arr = sim.Population(n, sim.IF_curr_exp())
    p_fun = sim.Population(n, sim.IF_curr_exp())
    p_rand.initialize(v=RandomDistribution("uniform", (-70.0, -60.0), rng=NumpyRNG(seed=1)))
    values = np.linspace(-75.0, -60.0, n)
    p_arr.initialize(v=values)
    p_fun.initialize(v=lambda i: -70.0 + i)
    for p in (p_rand, p_arr, p_fun):
        p.record("v")
    sim.run(1.0)
    v_rand = signal(p_rand.get_data().segments[0], "v").magnitude[0]
    assert np.all((v_rand >= -70.0) & (v_rand <= -60.0))
    assert len(np.unique(v_rand)) == n
    np.testing.assert_allclose(signal(p_arr.get_data().segments[0], "v").magnitude[0], values)
    np.testing.assert_allclose(signal(p_fun.get_data().segments[0], "v").magnitude[0],
                               -70.0 + np.arange(n))
    sim.end()


def test_set_and_get_parameters():
    setup()
    p = sim.Population(5, sim.IF_curr_exp(tau_m=15.0))
    assert p.get("tau_m") == pytest.approx(15.0)  # homogeneous -> scalar
    p.set(tau_m=12.0)
    assert p.get("tau_m") == pytest.approx(12.0)
    arr = np.array([10.0, 11.0, 12.0, 13.0, 14.0])
    p.set(tau_m=arr)
    np.testing.assert_allclose(p.get("tau_m"), arr)
    p.set(cm=RandomDistribution("uniform", (0.5, 1.5), rng=NumpyRNG(seed=2)))
    cm = p.get("cm")
    assert np.all((cm >= 0.5) & (cm <= 1.5)) and len(np.unique(cm)) == 5
    p.set(i_offset=lambda i: 0.1 * i)
    np.testing.assert_allclose(p.get("i_offset"), 0.1 * np.arange(5))
    tau_m, i_offset = p.get(["tau_m", "i_offset"])
    np.testing.assert_allclose(tau_m, arr)
    np.testing.assert_allclose(p[1:3].get("tau_m"), arr[1:3])
    assert p[2].tau_m == pytest.approx(12.0)
    p[0:2].set(v_thresh=-45.0)
    np.testing.assert_allclose(p.get("v_thresh"), [-45.0, -45.0, -50.0, -50.0, -50.0])
    sim.end()


def test_set_affects_dynamics():
    setup()
    p = sim.Population(2, sim.IF_curr_exp())
    p.record("spikes")
    p.set(i_offset=[0.0, 1.0])
    sim.run(100.0)
    counts = p.get_spike_counts()
    assert counts[int(p[0])] == 0 and counts[int(p[1])] > 0
    sim.end()


# --------------------------------------------------------------------------- space

def test_positions_and_structures():
    setup()
    g = sim.Population(9, sim.IF_curr_exp(), structure=Grid2D(aspect_ratio=1.0, dx=1.0, dy=1.0))
    assert g.positions.shape == (3, 9)
    np.testing.assert_allclose(g.positions[0], [0, 0, 0, 1, 1, 1, 2, 2, 2])
    np.testing.assert_allclose(g.positions[1], [0, 1, 2, 0, 1, 2, 0, 1, 2])
    np.testing.assert_allclose(g.positions[2], 0.0)
    line = sim.Population(4, sim.IF_curr_exp(), structure=Line(dx=2.5, x0=1.0))
    np.testing.assert_allclose(line.positions[0], [1.0, 3.5, 6.0, 8.5])
    default = sim.Population(3, sim.IF_curr_exp())
    assert default.positions.shape == (3, 3)
    rnd = sim.Population(20, sim.IF_curr_exp(),
                         structure=RandomStructure(Cuboid(10, 10, 10), rng=NumpyRNG(seed=1)))
    assert rnd.positions.shape == (3, 20)
    assert np.all(np.abs(rnd.positions) <= 5.0)
    np.testing.assert_allclose(g[4].position, [1.0, 1.0, 0.0])
    sim.end()


# --------------------------------------------------------------------------- procedural API

def test_procedural_api(tmp_path):
    setup()
    cells = sim.create(sim.IF_curr_exp, {"i_offset": 1.0}, n=3)
    assert isinstance(cells, sim.Population) and len(cells) == 3
    targets = sim.create(sim.IF_curr_exp(), n=2)
    prj = sim.connect(cells, targets, weight=0.5, delay=1.0, receptor_type="excitatory", p=1.0)
    assert isinstance(prj, sim.Projection) and len(prj) == 6
    fn = str(tmp_path / "proc.pkl")
    sim.record(["spikes", "v"], cells, fn)
    sim.run(50.0)
    seg = cells.get_data().segments[0]
    assert len(seg.spiketrains) == 3
    sim.end()  # writes the file
    assert os.path.exists(fn)
    block = neo.io.PickleIO(fn).read_block()
    assert len(block.segments[0].spiketrains) == 3


# --------------------------------------------------------------------------- reproducibility

def _random_network(seed):
    setup(rng_seed=seed)
    src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
    tgt = sim.Population(10, sim.IF_curr_exp())
    rng = NumpyRNG(seed=seed)
    sim.Projection(src, tgt, sim.FixedProbabilityConnector(0.5, rng=rng),
                   sim.StaticSynapse(weight=RandomDistribution("uniform", (0.5, 1.5), rng=rng),
                                     delay=1.0))
    src.record("spikes")
    tgt.record("spikes")
    sim.run(200.0)
    spikes = (spike_arrays(src.get_data().segments[0]) +
              spike_arrays(tgt.get_data().segments[0]))
    sim.end()
    return spikes


def test_same_seed_identical_spikes():
    a = _random_network(42)
    b = _random_network(42)
    c = _random_network(43)
    assert sum(len(x) for x in a) > 100
    assert all(np.array_equal(x, y) for x, y in zip(a, b))  # bit for bit
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@pytest.mark.parametrize("precision", ["off_grid", "on_grid"])
def test_spike_source_array_recorded_times_and_spike_precision(precision):
    """off_grid (pyNN.nest's default): SpikeSourceArray spikes are recorded at exactly the
    requested times; on_grid: at the end of the step they are emitted in. Either way a
    get_data(clear=True) window holds the spikes emitted by its steps (PyNN issue 259)."""
    setup(timestep=0.05, min_delay=0.05, spike_precision=precision)
    p = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.075, 10.0, 10.025, 12.34,
                                                            1000.025]))
    p.record("spikes")
    got = []
    for _ in range(3):
        sim.run(10.0)
        got.append(spike_arrays(p.get_data("spikes", clear=True).segments[0])[0])
    sim.end()
    if precision == "off_grid":
        expected = [[0.075, 10.0], [10.025, 12.34], []]
    else:
        expected = [[0.1, 10.0], [10.05, 12.35], []]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=0, atol=1e-9)


def test_spike_precision_checked():
    with pytest.raises((errors.InvalidParameterValueError, ValueError)):
        setup(spike_precision="exact")
