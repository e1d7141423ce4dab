"""Compiled static delivery (engine/kernels/delivery.py) against the NumPy engine, bit for bit,
on delays of every length the ring holds.

The compiled delivery computes each event's ring position from its key and the
stamp's row (unsigned indices, a wrap at the ring's end); the NumPy store does the
same with arrays. A network whose synapses have every delay from one step to the
longest (so every event lands in every row, the wrap at the ring's end included),
on both receptors, with multapses of equal delay (several terms of one spike into
one ring entry, whose order shows in the bits) and one step dense enough for the
store's bincount path (sum first, then add), runs on both engines: in compiled
stretches, in the step loop with the compiled delivery, and on two threads
(delivery split among them). Spikes and membrane potentials must be equal exactly.
"""

import numpy as np
import pytest

import pyNN.tinysim as sim
from pynn_tinysim import simulator
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")

DT = 0.1
MAX_DELAY = 2.5     # ms: 25 steps


def _connections(rng, n_pre, n_post, n, weight, spread):
    """``n`` connections (pre, post, weight, delay) with every delay from one step to
    MAX_DELAY, and the first ten again with other weights (multapses of equal delay)."""
    pre = rng.integers(0, n_pre, n)
    post = rng.integers(0, n_post, n)
    steps = np.concatenate([np.arange(1, 26), rng.integers(1, 26, n - 25)])
    weights = weight * (1.0 + spread * rng.random(n))
    rows = [(int(a), int(b), float(w), float(s) * DT)
            for a, b, w, s in zip(pre, post, weights, steps)]
    # the multapses: the same pair and delay, another weight (their order shows)
    return rows + [(a, b, w * 1.37, d) for a, b, w, d in rows[:10]]


def _run(engine, stretch=True, threads=None, duration=80.0):
    extra = {} if threads is None else {"threads": threads}
    sim.setup(timestep=DT, min_delay=DT, max_delay=MAX_DELAY, rng_seed=7, engine=engine,
              **extra)
    rng = np.random.default_rng(12)
    cells = sim.Population(50, sim.IF_curr_exp(tau_m=11.0, tau_refrac=1.5, i_offset=1.7,
                                               tau_syn_E=1.7, tau_syn_I=3.1))
    cells.initialize(v=np.linspace(-70.0, -51.0, 50))
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=150.0))
    # every one of 40 sources fires at 30.0 ms onto every cell, both receptors: 4000
    # events in one step, above a quarter of the ring (26 rows x 100 inputs): the
    # store's bincount path on that step, the sparse path on the others
    burst = sim.Population(40, sim.SpikeSourceArray(spike_times=[30.0, 61.7]))
    for source, n, weight, receptor in (
            (noise, 600, 0.31, "excitatory"), (noise, 300, -0.47, "inhibitory"),
            (cells, 400, 0.23, "excitatory"), (cells, 200, -0.41, "inhibitory")):
        sim.Projection(source, cells, sim.FromListConnector(
            _connections(rng, source.size, cells.size, n, weight, 0.37)),
            receptor_type=receptor)
    sim.Projection(burst, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.0133, delay=1.3), receptor_type="excitatory")
    sim.Projection(burst, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=-0.0171, delay=MAX_DELAY),
                   receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    stretches = []
    original, original_for_run = CompiledStretch.run, CompiledStretch.__dict__["for_run"]
    if engine == "numba":
        CompiledStretch.run = lambda self, k, k_end: stretches.append(k) or original(
            self, k, k_end)
        if not stretch:
            CompiledStretch.for_run = classmethod(lambda cls, *args, **kw: None)
    try:
        sim.run(duration)
    finally:
        CompiledStretch.run = original
        CompiledStretch.for_run = original_for_run
    store = simulator.state.network.static
    assert store.max_delay_steps == 25
    assert 4000 > store._BINCOUNT_FRACTION * store.ring_size
    if engine == "numba":
        assert bool(stretches) == stretch
    segment = cells.get_data().segments[0]
    spikes = [np.asarray(t.magnitude) for t in segment.spiketrains]
    v = np.asarray(segment.filter(name="v")[0].magnitude)
    sim.end()
    return spikes, v


def _assert_same(a, b):
    assert len(a[0]) == len(b[0])
    for x, y in zip(a[0], b[0]):
        assert np.array_equal(x, y)
    assert np.array_equal(a[1].view(np.uint64), b[1].view(np.uint64))


@pytest.fixture(scope="module")
def reference():
    result = _run("numpy")
    assert sum(t.size for t in result[0]) > 100      # busy enough to test anything
    return result


def test_mixed_delays_in_compiled_stretches(reference):
    _assert_same(reference, _run("numba"))


def test_mixed_delays_in_the_step_loop_with_compiled_delivery(reference):
    _assert_same(reference, _run("numba", stretch=False))


def test_mixed_delays_on_two_threads(monkeypatch):
    """Delivery split among two threads (forced even for this small network)."""
    from pynn_tinysim.engine import kernels
    from pynn_tinysim.engine.kernels import delivery
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(delivery, "PARALLEL_MIN_EVENTS", 1)
    # short: on a loaded machine each step of two threads may wait for a core
    _assert_same(_run("numpy", duration=35.0), _run("numba", threads=2, duration=35.0))
