"""PointNeuron LIF with several receptors: the compiled kernels against the NumPy engine.

``kernels/multisynapse.py`` does the NumPy step of ``engine/multisynapse.py``
(``_LIFCurrMulti``: iaf_psc_exp_multisynapse's exact propagators; ``_LIFCondMulti``:
RK4 with exact conductances, exponential and alpha receptors mixed) operation for
operation, so spikes, every recorded sample and the final state must be equal bit for
bit: with 1, 2 and 4 receptors, Poisson, recurrent and array input on every receptor,
DC and step currents on some cells, a split run and a reset, in the step loop (the
group's kernel) and in compiled stretches, on one thread and in parallel chunks. For
conductance receptors at a coarse step with large weights, the kernel declines the
steps NumPy integrates adaptively (dopri5), and the results are still the same bits;
its look for stiff neurons is a superset of the NumPy step's, also at the edge.
"""

import functools

import numpy as np
import pytest
from pyNN.random import NumpyRNG

import pyNN.tinysim as sim
from pynn_tinysim import simulator
from pynn_tinysim.engine import conductances, kernels, sources
from pynn_tinysim.engine import stretch as stretch_module
from pynn_tinysim.engine.stretch import CompiledStretch
from stiff_edge import assert_declines_where_numpy_is_stiff

pytest.importorskip("numba")

#: receptor kinds per case: (PyNN receptor class, its parameters, a weight)
CURR = [(dict(tau_syn=2.0), 0.45), (dict(tau_syn=7.0), -0.12), (dict(tau_syn=0.7), 0.9),
        (dict(tau_syn=15.0), -0.03)]
COND = [("exp", dict(tau_syn=2.0, e_syn=0.0), 0.012),
        ("alpha", dict(tau_syn=5.0, e_syn=-75.0), 0.002),
        ("alpha", dict(tau_syn=1.3, e_syn=0.0), 0.006),
        ("exp", dict(tau_syn=9.0, e_syn=-85.0), 0.003)]
CASES = {
    "curr1": ("curr", 1), "curr2": ("curr", 2), "curr4": ("curr", 4),
    "cond_exp1": ("cond", 1), "cond_mixed2": ("cond", 2), "cond_mixed4": ("cond", 4),
}


def _receptors(case):
    family, n = CASES[case]
    if family == "curr":
        return {f"R{i}": sim.CurrExpPostSynapticResponse(**p) for i, (p, _) in
                enumerate(CURR[:n])}, [w for _, w in CURR[:n]], "isyn"
    kinds = {"exp": sim.CondExpPostSynapticResponse, "alpha": sim.CondAlphaPostSynapticResponse}
    return ({f"R{i}": kinds[kind](**p) for i, (kind, p, _) in enumerate(COND[:n])},
            [w for _, _, w in COND[:n]], "gsyn")


def _network(case, engine, stretch, threads=None):
    """A recurrent network of the case's PointNeurons, run 37.3 + 62.7 ms, reset, 50 ms;
    every recorded array and the final state."""
    receptors, weights, variable = _receptors(case)
    extra = {} if threads is None else {"threads": threads}
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=2.0, rng_seed=5, engine=engine, **extra)
    n = 60
    cells = sim.Population(n, sim.PointNeuron(
        sim.LIF(tau_m=12.0, tau_refrac=2.0, i_offset=1.1, cm=0.9), **receptors), label="cells")
    cells.initialize(v=np.linspace(-70.0, -52.0, n))
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=90.0))
    rng = NumpyRNG(seed=4)
    names = sorted(receptors)
    for i, (name, w) in enumerate(zip(names, weights)):
        # noise and recurrent input to the same receptor with the same delay: sums
        # whose order matters
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                       sim.StaticSynapse(weight=w * 1.03, delay=0.5 + 0.2 * i),
                       receptor_type=name)
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                       sim.StaticSynapse(weight=abs(w) * 0.37, delay=0.5 + 0.2 * i),
                       receptor_type=name)
    array = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 5.05, 71.3], [40.0]]))
    sim.Projection(array, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=abs(weights[-1]), delay=2.0), receptor_type=names[-1])
    # currents on some cells only, changing inside runs (one window across the split)
    sim.DCSource(start=20.0, stop=60.0, amplitude=0.35).inject_into(cells[:20])
    sim.StepCurrentSource(times=[10.0, 45.0, 80.05], amplitudes=[0.3, -0.25, 0.1]).inject_into(
        cells[15:40])
    cells[5:50].record("spikes")
    cells[10:30].record(["v"] + [f"{name}.{variable}" for name in names])
    stretches = []
    original, original_for_run = CompiledStretch.run, CompiledStretch.__dict__["for_run"]
    if engine == "numba":
        CompiledStretch.run = lambda self, k, k_end: stretches.append(k) or original(
            self, k, k_end)
        if not stretch:
            CompiledStretch.for_run = classmethod(lambda cls, *args, **kw: None)
    try:
        sim.run(37.3)
        sim.run(62.7)
        first = cells.get_data().segments[0]
        sim.reset()
        sim.run(50.0)
    finally:
        CompiledStretch.run = original
        CompiledStretch.for_run = original_for_run
    if engine == "numba":
        assert bool(stretches) == stretch
    out = {}
    for label, segment in (("first", first), ("second", cells.get_data().segments[-1])):
        for i, train in enumerate(segment.spiketrains):
            out[f"{label} spikes {i}"] = np.asarray(train.magnitude)
        for signal in segment.analogsignals:
            out[f"{label} {signal.name}"] = np.asarray(signal.magnitude)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    assert (group.compiled_kernel() is not None)
    for name, values in group.state.items():
        out[f"final {name}"] = values.copy()
    n_spikes = sum(v.size for k, v in out.items() if "spikes" in k)
    sim.end()
    return out, n_spikes


def _assert_identical(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].shape == b[key].shape, key
        differ = np.flatnonzero(~((a[key] == b[key]) | (np.isnan(a[key]) & np.isnan(b[key]))))
        assert differ.size == 0, f"{key}: {differ.size} values differ"


@pytest.mark.parametrize("stretch", [False, True])
@pytest.mark.parametrize("case", sorted(CASES))
def test_point_neuron_lif_identical_on_both_engines(case, stretch, monkeypatch):
    # small Poisson windows and record buffers: stretches end at windows and flushes
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    reference, n_spikes = _network(case, "numpy", stretch)
    assert n_spikes > 100, "an inactive network would prove little"
    # every receptor's state moves
    for key, values in reference.items():
        if key.startswith("first R"):
            assert np.ptp(values) > 0, key
    compiled, _ = _network(case, "numba", stretch)
    _assert_identical(reference, compiled)


@pytest.mark.slow       # the threaded variants compile (~10 s)
@pytest.mark.parametrize("case", ["curr4", "cond_mixed4"])
def test_parallel_chunks_give_the_same_bits(case, monkeypatch):
    from pynn_tinysim.engine.kernels import delivery
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(delivery, "PARALLEL_MIN_EVENTS", 1)
    reference, _ = _network(case, "numpy", False)
    compiled, _ = _network(case, "numba", True, threads=2)
    _assert_identical(reference, compiled)


def test_kernel_reproduces_only_the_numpy_step():
    """A subclass with its own step (or stiffness test) has no kernel: the step loop
    must run its code."""
    for case, name in (("curr2", "lif_curr_multi"), ("cond_mixed2", "lif_cond_multi")):
        receptors, _, _ = _receptors(case)
        sim.setup(timestep=0.1, engine="numba")
        cells = sim.Population(3, sim.PointNeuron(sim.LIF(), **receptors))
        sim.run(0.2)
        group = simulator.state.network.groups[cells.celltype.engine_model]
        cls = type(group)
        assert group.compiled_kernel()[0] == name
        group.__class__ = type("Own", (cls,), {"step": lambda self, k, i: cls.step(self, k, i)})
        assert group.compiled_kernel() is None
        if case.startswith("cond"):
            group.__class__ = type("Stiff", (cls,), {"_redo_stiff_steps": lambda *a: None})
            assert group.compiled_kernel() is None
        sim.end()


def _stiff_network(engine, monkeypatch, stretch):
    """Mixed conductance receptors at dt = 1 ms, large weights on some cells (lambda h
    ~ 8, where RK4 alone diverges): NumPy redoes those steps by dopri5."""
    receptors, _, _ = _receptors("cond_mixed2")
    sim.setup(timestep=1.0, min_delay=1.0, max_delay=3.0, rng_seed=7, engine=engine)
    cells = sim.Population(20, sim.PointNeuron(
        sim.LIF(cm=0.25, tau_m=10.0, tau_refrac=2.0, i_offset=0.3), **receptors))
    cells.initialize(v=np.linspace(-70.0, -52.0, 20))
    kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 11.0, 40.0, 77.0]))
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0))
    sim.Projection(kicks, cells[:4], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=2.0, delay=1.0), receptor_type="R0")
    sim.Projection(kicks, cells[4:6], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=3.0, delay=2.0), receptor_type="R1")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=0.01, delay=1.0), receptor_type="R0")
    cells.record(["spikes", "v", "R0.gsyn", "R1.gsyn"])
    sim.run(100.0)
    segment = cells.get_data().segments[0]
    out = {f"spikes {i}": np.asarray(t.magnitude) for i, t in enumerate(segment.spiketrains)}
    out.update({s.name: np.asarray(s.magnitude) for s in segment.analogsignals})
    assert np.isfinite(out["v"]).all() and out["v"].min() > -100.0
    sim.end()
    return out


@pytest.mark.parametrize("stretch", [False, True])
def test_stiff_steps_declined_to_the_numpy_step(stretch, monkeypatch):
    """The kernel declines the steps NumPy integrates adaptively, runs the others (both
    counted), and the results are the same bits; in stretches, which stop before a
    declined step and resume after it."""
    adaptive = []
    original = conductances.dopri5
    monkeypatch.setattr(conductances, "dopri5",
                        lambda *a, **kw: adaptive.append(1) or original(*a, **kw))
    reference = _stiff_network("numpy", monkeypatch, stretch)
    n_adaptive = len(adaptive)
    assert n_adaptive > 0, "no stiff step: the test would prove nothing"
    adaptive.clear()
    outcomes = []
    stretches = []
    loaded = kernels.load()
    kernel = loaded.lif_cond_multi
    monkeypatch.setattr(loaded, "lif_cond_multi", functools.partial(_counted, kernel, outcomes))
    run = CompiledStretch.run
    monkeypatch.setattr(CompiledStretch, "run", lambda self, k, k_end: stretches.append(k)
                        or run(self, k, k_end))
    if not stretch:
        monkeypatch.setattr(CompiledStretch, "for_run",
                            classmethod(lambda cls, *args, **kw: None))
    compiled = _stiff_network("numba", monkeypatch, stretch)
    assert len(adaptive) == n_adaptive
    if stretch:
        assert len(stretches) > 1   # stretches ran, and resumed after the declined steps
    else:
        assert outcomes.count(True) > 0 and outcomes.count(False) > 0
        assert outcomes.count(True) <= n_adaptive
    _assert_identical(reference, compiled)


def _counted(kernel, outcomes, *args):
    spiked = kernel(*args)
    outcomes.append(kernels.neurons.declined(spiked))
    return spiked


def test_kernel_declines_whenever_numpy_finds_a_stiff_neuron(monkeypatch):
    """The kernel's look for stiff neurons is a superset of StiffMembrane's, at the edge
    too: lambda h within a few ulps of Z_RK4, alpha and exponential receptors, refractory
    or not; a declined step leaves the state and the inputs alone."""
    loaded = kernels.load()
    receptors, _, _ = _receptors("cond_mixed2")
    sim.setup(timestep=1.0, engine="numba")
    cells = sim.Population(1, sim.PointNeuron(sim.LIF(cm=0.25, tau_m=10.0, tau_refrac=3.0),
                                              **receptors))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    k = simulator.state.network.step_count
    found = []
    monkeypatch.setattr(conductances, "dopri5", lambda y, *a, **kw: found.append(1) or y)
    edge = group.Z_RK4 * 0.25 / 1.0 - group._g_leak[0]

    def set_state(s, rng, trial):
        s["v"][:] = rng.uniform(-80.0, -45.0)
        g0 = edge * rng.uniform(0.0, 1.0)
        s["R0.gsyn"][:] = g0
        s["R1.gsyn"][:] = np.nextafter(edge - g0, np.inf if trial % 2 else -np.inf)
        for _ in range(int(rng.integers(0, 4))):
            s["R1.gsyn"][:] = np.nextafter(s["R1.gsyn"], 1.0)
        s["R1.dgsyn"][:] = rng.choice([0.0, -1e-3, 1e-15])

    def numpy_finds_stiff():
        found.clear()
        v = group.state["v"].copy()
        group._redo_stiff_steps(k, v, v.copy(), group._leak_drive)
        return bool(found)

    assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff)
    sim.end()
