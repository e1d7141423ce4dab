"""The static synapse store (engine/synapses.py, engine/ring.py): 12 bytes a synapse,
correct delivery whatever the order in which neurons, projections and runs come."""

import numpy as np
import pytest
from pyNN.random import NumpyRNG

import pyNN.tinysim as sim
from pynn_tinysim.engine import ring, synapses

DT = 0.1


def _store():
    return sim.simulator.state.network.static


def test_a_static_synapse_costs_12_bytes():
    sim.setup(timestep=DT, progress=False)
    exc = sim.Population(300, sim.IF_curr_exp())
    inh = sim.Population(100, sim.IF_curr_exp())
    rng = NumpyRNG(seed=3)
    for pre, post, receptor, w in [(exc, exc, "excitatory", 0.1), (exc, inh, "excitatory", 0.1),
                                   (inh, exc, "inhibitory", -0.4), (inh, inh, "inhibitory", -0.4)]:
        sim.Projection(pre, post, sim.FixedProbabilityConnector(0.1, rng=rng),
                       sim.StaticSynapse(weight=w, delay=RandomDistribution_delay(rng)),
                       receptor_type=receptor)
    sim.run(1.0)
    store = _store()
    n = store.size
    assert n > 10_000
    assert store.keys.dtype == np.int32
    assert (store.keys.nbytes + store.weights.nbytes) / n == 12
    assert all(not b._pending and not b._small for b in store.blocks)   # queue freed
    sim.end()


def RandomDistribution_delay(rng):
    return sim.RandomDistribution("uniform", (0.1, 3.0), rng=rng)


def test_key_type_widens_only_when_a_key_would_not_fit():
    limit = np.iinfo(np.int32).max
    assert ring.key_dtype(99, 1000) == np.int32
    assert ring.key_dtype(99, limit // 100 - 1) == np.int32
    assert ring.key_dtype(99, limit // 100 + 1) == np.int64


def _drive_and_record(build):
    """Run ``build`` (which returns the target Population), record v, run 30 ms."""
    sim.setup(timestep=DT, min_delay=DT, max_delay=10.0, progress=False)
    target = build()
    target.record("v")
    sim.run(30.0)
    v = target.get_data().segments[0].analogsignals[0].magnitude.copy()
    sim.end()
    return v


SPIKES = [[1.0, 7.3], [2.0, 4.4, 11.0], [3.5], [5.0, 5.1]]


def _reference():
    def build():
        source = sim.Population(4, sim.SpikeSourceArray(spike_times=SPIKES))
        target = sim.Population(3, sim.IF_curr_exp())
        extra = sim.Population(2, sim.IF_curr_exp())
        sim.Projection(source, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.8, delay=1.3))
        sim.Projection(source, target,
                       sim.FromListConnector([(0, 2, -0.5, 4.0), (3, 0, -0.7, 0.2)]),
                       receptor_type="inhibitory")
        return target, extra
    return build


def test_cells_added_after_projections_keep_their_keys():
    """A Population created after a Projection changes the ring layout: the stored
    keys are rewritten, and the traces equal those of the network built in one go."""
    def in_one_go():
        return _reference()()[0]

    def interleaved():
        source = sim.Population(4, sim.SpikeSourceArray(spike_times=SPIKES))
        target = sim.Population(3, sim.IF_curr_exp())
        sim.Projection(source, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.8, delay=1.3))
        sim.Population(2, sim.IF_curr_exp())       # grows the group: new layout
        sim.Population(2, sim.IF_cond_exp())       # a new model family: new layout
        sim.Projection(source, target,
                       sim.FromListConnector([(0, 2, -0.5, 4.0), (3, 0, -0.7, 0.2)]),
                       receptor_type="inhibitory")
        return target

    np.testing.assert_array_equal(_drive_and_record(in_one_go), _drive_and_record(interleaved))


def test_projection_and_cells_added_between_runs():
    sim.setup(timestep=DT, progress=False)
    source = sim.Population(4, sim.SpikeSourceArray(spike_times=SPIKES))
    target = sim.Population(3, sim.IF_curr_exp())
    first = sim.Projection(source, target, sim.AllToAllConnector(),
                           sim.StaticSynapse(weight=0.8, delay=1.3))
    before = first.get(["weight", "delay"], format="list")
    target.record("v")
    sim.run(3.0)
    late = sim.Population(2, sim.IF_curr_exp())          # new layout while input is in flight
    second = sim.Projection(source, late, sim.AllToAllConnector(),
                            sim.StaticSynapse(weight=0.3, delay=2.0))
    sim.run(27.0)
    assert first.get(["weight", "delay"], format="list") == before
    assert len(second) == 8
    v_split = target.get_data().segments[0].analogsignals[0].magnitude
    sim.end()

    def one_go():
        source = sim.Population(4, sim.SpikeSourceArray(spike_times=SPIKES))
        target = sim.Population(3, sim.IF_curr_exp())
        sim.Projection(source, target, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.8, delay=1.3))
        return target
    np.testing.assert_array_equal(v_split, _drive_and_record(one_go))


def test_connections_read_sorted_by_presynaptic_cell_then_in_creation_order():
    sim.setup(timestep=DT, progress=False)
    a = sim.Population(4, sim.IF_curr_exp())
    b = sim.Population(4, sim.IF_curr_exp())
    conns = [(3, 0, 0.1, 1.0), (1, 2, 0.2, 1.1), (3, 1, 0.3, 1.2), (0, 3, 0.4, 1.3),
             (1, 0, 0.5, 1.4), (3, 0, 0.6, 1.5)]
    prj = sim.Projection(a, b, sim.FromListConnector(conns, column_names=["weight", "delay"]))
    got = prj.get(["weight", "delay"], format="list")
    # FromListConnector makes the connections target cell by target cell, each
    # target's in list order; reading sorts them by source, keeping that order
    expected = sorted(conns, key=lambda c: (c[0], c[1]))   # stable: (3, 0) twice, in order
    assert [(i, j) for i, j, _, _ in got] == [(i, j) for i, j, _, _ in expected]
    np.testing.assert_allclose([c[2:] for c in got], [c[2:] for c in expected])
    # one connection, read and written through Projection.connections / indexing
    assert prj[4].weight == pytest.approx(0.6) and prj[4].delay == pytest.approx(1.5)
    prj[4].weight = 0.9
    prj[4].delay = 2.5
    assert prj.get("weight", format="list")[4][2] == pytest.approx(0.9)
    assert prj.get("delay", format="list")[4][2] == pytest.approx(2.5)
    assert prj.get("weight", format="list")[5][2] == pytest.approx(0.3)    # others untouched
    assert prj.get("weight", format="list")[3][2] == pytest.approx(0.1)
    sim.end()


def test_longer_delay_set_after_a_run_is_delivered_late():
    sim.setup(timestep=DT, min_delay=DT, max_delay=20.0, progress=False)
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[12.0]))
    target = sim.Population(1, sim.IF_curr_exp(tau_syn_E=1.0))
    prj = sim.Projection(source, target, sim.OneToOneConnector(),
                         sim.StaticSynapse(weight=1.0, delay=0.5))
    target.record("v")
    sim.run(5.0)
    prj.set(delay=15.0)                  # longer than any delay so far: the ring grows
    sim.run(35.0)
    v = target.get_data().segments[0].analogsignals[0].magnitude.ravel()
    sim.end()
    times = np.arange(v.size) * DT
    first_change = times[np.flatnonzero(np.abs(v - v[0]) > 1e-12)[0]]
    assert first_change == pytest.approx(12.0 + 15.0 + DT, abs=1e-9)


def test_int64_keys_give_the_same_dynamics(monkeypatch):
    def build():
        return _reference()()[0]
    v32 = _drive_and_record(build)
    monkeypatch.setattr(synapses, "key_dtype", lambda *args: np.int64)
    v64 = _drive_and_record(build)
    np.testing.assert_array_equal(v32, v64)


def test_per_cell_connectors_coalesce_their_chunks(monkeypatch):
    """Many one-cell chunks (PyNN's generic connectors) are merged into few."""
    monkeypatch.setattr(synapses, "_COALESCE", 50)
    sim.setup(timestep=DT, progress=False)
    a = sim.Population(30, sim.IF_curr_exp())
    b = sim.Population(30, sim.IF_curr_exp())
    conns = [((3 * j + k) % 30, j, 0.1 + 0.01 * k, 1.0) for j in range(30) for k in range(7)]
    prj = sim.Projection(a, b, sim.FromListConnector(conns))   # one chunk per target cell
    block = prj._block
    assert len(block) == 210
    assert len(block._pending) + bool(block._small) <= 210 // 50 + 1
    got = np.array(sorted(prj.get("weight", format="list")))
    np.testing.assert_allclose(got, sorted((i, j, w) for i, j, w, _ in conns))
    sim.end()


@pytest.mark.parametrize("span", [1_000, 200_000])
def test_placing_queued_synapses_keeps_their_order_within_a_row(span):
    """_place sorts by presynaptic id (16-bit radix sort when ids span < 65536, else
    int32 sort): every row gets its synapses in queued order, after what was there."""
    rng = np.random.default_rng(7)
    n_ids, n = span + 1, 5_000
    pre = rng.integers(0, span, n).astype(np.int32) + 1
    keys = np.arange(n, dtype=np.int32)            # the queued order, as a key
    weights = rng.random(n)
    counts = np.bincount(pre, minlength=n_ids) + 2            # 2 places taken in every row
    indptr = np.concatenate([[0], np.cumsum(counts)])
    fill = indptr[:-1] + 2
    out_keys = np.full(indptr[-1], -1, np.int32)
    out_weights = np.zeros(indptr[-1])
    synapses._place(pre, keys, weights, fill, out_keys, out_weights)
    np.testing.assert_array_equal(fill, indptr[1:])
    for row in np.unique(pre)[:50]:
        got = out_keys[indptr[row] + 2:indptr[row + 1]]
        np.testing.assert_array_equal(got, np.flatnonzero(pre == row))
        np.testing.assert_array_equal(out_weights[indptr[row] + 2:indptr[row + 1]], weights[got])


@pytest.mark.parametrize("span,id_dtype,key_dtype", [(1_000, np.int32, np.int32),
                                                     (200_000, np.int64, np.int64)])
def test_compiled_placing_gives_the_numpy_arrays(span, id_dtype, key_dtype):
    """kernels.csr.place (the compiled merge) puts every synapse where _place does."""
    pytest.importorskip("numba")
    from pynn_tinysim.engine import kernels
    place = kernels.load().place
    rng = np.random.default_rng(11)
    n_ids, n = span + 1, 20_000
    pre = (rng.integers(0, span, n) + 1).astype(id_dtype)
    keys = rng.integers(0, 2**31 - 1, n).astype(key_dtype)
    weights = rng.normal(size=n)
    counts = np.bincount(pre, minlength=n_ids) + 3
    indptr = np.concatenate([[0], np.cumsum(counts)])
    out = []
    for function in (synapses._place, place):
        fill = indptr[:-1] + 3
        out_keys = np.full(indptr[-1], -1, key_dtype)
        out_weights = np.full(indptr[-1], np.nan)
        function(pre, keys, weights, fill, out_keys, out_weights)
        out.append((fill, out_keys, out_weights))
    for a, b in zip(*out):
        np.testing.assert_array_equal(a, b)


def _store_arrays(engine):
    """The store's arrays after a network whose synapses are merged in two runs
    (a Projection and cells added between them: stored synapses move, keys recode)."""
    sim.setup(timestep=DT, min_delay=DT, max_delay=10.0, progress=False, engine=engine)
    rng = NumpyRNG(seed=5)
    a = sim.Population(200, sim.IF_curr_exp())
    b = sim.Population(150, sim.IF_curr_exp())
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=sim.RandomDistribution("normal", (0.5, 0.1), rng=rng),
                                     delay=RandomDistribution_delay(rng)))
    sim.Projection(b, a, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=-0.3, delay=0.5), receptor_type="inhibitory")
    sim.run(1.0)
    first = [x.copy() for x in (_store().indptr, _store().keys, _store().weights)]
    c = sim.Population(50, sim.IF_curr_exp())
    sim.Projection(c, a, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.7, delay=1.2))
    sim.Projection(a[:150], b, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.2, delay=0.3))
    sim.run(1.0)
    second = [x.copy() for x in (_store().indptr, _store().keys, _store().weights)]
    sim.end()
    return first + second


def test_compiled_merge_gives_the_numpy_store():
    """engine="numba" merges with the compiled kernel: the same indptr, keys and
    weights, bit for bit, as the NumPy merge, at the first merge and after more
    synapses and cells are added."""
    pytest.importorskip("numba")
    from pynn_tinysim.engine import kernels
    reference = _store_arrays("numpy")
    calls = []
    kernels.load()
    original = kernels.csr.place
    try:
        kernels.csr.place = lambda *args: calls.append(1) or original(*args)
        kernels._kernels.place = kernels.csr.place
        compiled = _store_arrays("numba")
    finally:
        kernels.csr.place = kernels._kernels.place = original
    assert calls        # the compiled merge ran
    for x, y in zip(reference, compiled):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
