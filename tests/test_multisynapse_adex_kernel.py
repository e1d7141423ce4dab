"""PointNeuron(AdExp, ...) with conductance receptors: the compiled kernel
(kernels/multisynapse.py's adex_cond_multi) against the NumPy step (engine/adex.py's
AdExBase.step with engine/multisynapse.py's receptors).

As for the standard AdEx models (tests/test_kernels_adex.py):

* the arithmetic, bit for bit: the NumPy step given the C library's exp (the one the
  kernel calls) must give the kernel's bits exactly, with 1, 2 and 4 receptors
  (exponential and alpha mixed), Poisson, recurrent and array input on every receptor,
  DC and step currents, every recordable sampled, a split run and a reset, in the step
  loop and in compiled stretches, on one thread and in parallel chunks, with no step
  declined;
* with NumPy's own exp, the same spikes and the analog values within
  test_kernels.ADEX_TOLERANCE;
* the steps the kernel must decline (stiff steps at a coarse dt, integrated by dopri5;
  tau_refrac = 0, re-integrated in sub-steps) run in NumPy, and the results are still
  the same bits; the kernel's look for stiff neurons is a superset of the NumPy step's.

The comparison with NEST (aeif_cond_alpha_multisynapse) on both engines is in
tests/test_point_neuron.py.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from pyNN.random import NumpyRNG

import pyNN.tinysim as sim
from pynn_tinysim import simulator
from pynn_tinysim.engine import adex, kernels, sources
from pynn_tinysim.engine import stretch as stretch_module
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_kernels import _assert_identical  # noqa: E402
from stiff_edge import assert_declines_where_numpy_is_stiff  # noqa: E402
from test_kernels_adex import counts, libm_exp  # noqa: E402,F401  (fixtures)

#: (kind, parameters, weight) of the receptors, in order
RECEPTORS = [("alpha", dict(tau_syn=2.0, e_syn=0.0), 0.010),
             ("exp", dict(tau_syn=6.0, e_syn=-75.0), 0.004),
             ("exp", dict(tau_syn=1.2, e_syn=0.0), 0.014),
             ("alpha", dict(tau_syn=9.0, e_syn=-85.0), 0.002)]


def _celltype(n_receptors, **params):
    kinds = {"exp": sim.CondExpPostSynapticResponse, "alpha": sim.CondAlphaPostSynapticResponse}
    receptors = {f"R{i}": kinds[kind](**p) for i, (kind, p, _) in
                 enumerate(RECEPTORS[:n_receptors])}
    neuron = dict(tau_m=12.0, tau_refrac=2.0, i_offset=0.35, a=4.0, b=0.03, cm=0.3)
    return sim.PointNeuron(sim.AdExp(**{**neuron, **params}), **receptors)


def _network(n_receptors, engine, stretch=True, threads=None, dt=0.1, runs=(37.3, 62.7),
             reset_run=30.0, kick=None, **params):
    """60 cells with Poisson, recurrent and array input on every receptor, currents on
    some; run ``runs``, reset, ``reset_run``; every recorded array and the final state."""
    extra = {} if threads is None else {"threads": threads}
    sim.setup(timestep=dt, min_delay=dt, max_delay=3.0, rng_seed=5, engine=engine, **extra)
    n = 60
    cells = sim.Population(n, _celltype(n_receptors, **params), label="cells")
    cells.initialize(v=np.linspace(-70.0, -52.0, n))
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=80.0))
    rng = NumpyRNG(seed=4)
    names = [f"R{i}" for i in range(n_receptors)]
    for i, (name, (_, _, w)) in enumerate(zip(names, RECEPTORS)):
        delay = max(dt, round((0.5 + 0.2 * i) / dt) * dt)
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                       sim.StaticSynapse(weight=w, delay=delay), receptor_type=name)
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                       sim.StaticSynapse(weight=w * 0.4, delay=delay), receptor_type=name)
    array = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 5.1, 71.3], [40.0]]))
    sim.Projection(array, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=RECEPTORS[0][2] if kick is None else kick, delay=2.0),
                   receptor_type="R0")
    sim.DCSource(start=20.0, stop=60.0, amplitude=0.2).inject_into(cells[:20])
    sim.StepCurrentSource(times=[10.0, 45.0, 80.0], amplitudes=[0.15, -0.1, 0.05]).inject_into(
        cells[15:40])
    cells[5:50].record("spikes")
    cells[10:30].record(["v", "w"] + [f"{name}.gsyn" for name in names])
    original_for_run = CompiledStretch.__dict__["for_run"]
    if not stretch:
        CompiledStretch.for_run = classmethod(lambda cls, *args, **kw: None)
    try:
        for duration in runs:
            sim.run(duration)
        first = cells.get_data().segments[0]
        sim.reset()
        sim.run(reset_run)
    finally:
        CompiledStretch.for_run = original_for_run
    out = {}
    for label, segment in (("first", first), ("second", cells.get_data().segments[-1])):
        for i, train in enumerate(segment.spiketrains):
            out[f"{label} spikes {i}"] = np.asarray(train.magnitude)
        for signal in segment.analogsignals:
            out[f"{label} {signal.name}"] = np.asarray(signal.magnitude)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    assert group.compiled_kernel()[0] == "adex_cond_multi"
    for name, values in group.state.items():
        out[f"final {name}"] = values.copy()
    n_spikes = sum(v.size for k, v in out.items() if "spikes" in k)
    n_steps = simulator.state.network.step_count
    sim.end()
    assert all(np.isfinite(v).all() for k, v in out.items() if "spikes" not in k)
    return out, n_spikes, n_steps


@pytest.mark.parametrize("n_receptors", [1, 2, 4])
@pytest.mark.parametrize("stretch", [False, True])
def test_kernel_is_the_numpy_step_bit_for_bit_given_the_same_exp(n_receptors, stretch,
                                                                 libm_exp, counts,
                                                                 monkeypatch):
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    reference, n_spikes, _ = _network(n_receptors, "numpy")
    assert n_spikes > 50, "an inactive network would prove little"
    for key, values in reference.items():       # every receptor's conductance moves
        if key.startswith("first R"):
            assert np.ptp(values) > 0, key
    assert counts["numpy_steps"] > 0
    counts.update(numpy_steps=0, stretches=0)
    compiled, _, _ = _network(n_receptors, "numba", stretch)
    assert counts["numpy_steps"] == 0       # no step declined: the kernel ran them all
    assert (counts["stretches"] > 2) == stretch
    _assert_identical(reference, compiled)


@pytest.mark.slow      # the threaded variants load (or compile) in ~15 s
def test_parallel_chunks_give_the_same_bits(libm_exp, monkeypatch):
    from pynn_tinysim.engine.kernels import delivery
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(delivery, "PARALLEL_MIN_EVENTS", 1)
    reference, _, _ = _network(4, "numpy")
    compiled, _, _ = _network(4, "numba", threads=2)
    _assert_identical(reference, compiled)


def test_tolerance_only_for_the_exp():
    """With NumPy's own exp in the NumPy step: the same spikes, analog values within
    ADEX_TOLERANCE (bit for bit where NumPy's exp is the C library's)."""
    import test_kernels
    reference, _, _ = _network(4, "numpy")
    compiled, _, _ = _network(4, "numba")
    _assert_identical(reference, compiled, test_kernels.ADEX_TOLERANCE)


@pytest.mark.parametrize("case", ["coarse_dt_stiff", "tau_refrac_0"])
def test_declined_steps_run_in_numpy(case, libm_exp, counts, monkeypatch):
    """dt = 1 ms with strong input (stiff steps: dopri5; AdEx's defaults also cross
    v_stiff there) and tau_refrac = 0 (spike steps re-integrated in sub-steps): those
    steps run in NumPy, the others compiled, in stretches; the same bits."""
    if case == "coarse_dt_stiff":
        kw = dict(dt=1.0, runs=(60.0, 40.0), reset_run=30.0)
        # 1 uS kicks from the array on R0 (cm = 0.3 nF: lambda h ~ 3 at 1 ms)
        kw["kick"] = 1.0
    else:
        kw = dict(tau_refrac=0.0, i_offset=0.6, runs=(25.0, 15.0), reset_run=10.0)
    reference, n_spikes, _ = _network(2, "numpy", **kw)
    n_steps = round((sum(kw["runs"]) + kw["reset_run"]) / kw.get("dt", 0.1))
    assert n_spikes > 20
    numpy_dopri5 = counts["dopri5"]
    if case == "coarse_dt_stiff":
        assert numpy_dopri5 > 0, "no stiff step: the test would prove nothing"
    counts.update(numpy_steps=0, dopri5=0, stretches=0)
    compiled, _, _ = _network(2, "numba", **kw)
    _assert_identical(reference, compiled)
    assert counts["dopri5"] == numpy_dopri5
    print(f"{case}: {counts['numpy_steps']} of {n_steps} steps declined, "
          f"{counts['stretches']} stretches")
    assert 0 < counts["numpy_steps"] < 0.9 * n_steps
    assert counts["stretches"] > 2


def test_kernel_declines_whenever_numpy_finds_a_stiff_neuron():
    """At the edge of lambda h = Z_RK4 (refractory or not), with alpha slopes of both
    signs: a kernel that runs the step saw no stiff neuron where the NumPy step would;
    a declined step leaves the state and the inputs alone."""
    loaded = kernels.load()
    sim.setup(timestep=1.0, engine="numba")
    cells = sim.Population(1, _celltype(2, tau_refrac=3.0))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    k = simulator.state.network.step_count
    edge = group.Z_RK4 * group.params["cm"][0] / 1.0 - group._g_L[0]

    def set_state(s, rng, trial):
        s["v"][:] = rng.uniform(-80.0, -45.0)
        s["w"][:] = rng.uniform(-0.5, 0.5)
        g0 = edge * rng.uniform(0.0, 1.0)
        s["R0.gsyn"][:] = g0
        s["R1.gsyn"][:] = np.nextafter(edge - g0, np.inf if trial % 2 else -np.inf)
        for _ in range(int(rng.integers(0, 4))):
            s["R1.gsyn"][:] = np.nextafter(s["R1.gsyn"], 1.0)
        s["R0.dgsyn"][:] = rng.choice([0.0, -1e-3, 1e-15])

    def numpy_finds_stiff():
        s = group.state
        return group._stiff_neurons(k, s["v"], s["w"], group.params["i_offset"]) is not None

    assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff,
                                         input_value=0.25)
    sim.end()


def test_a_subclass_with_its_own_step_keeps_numpy():
    sim.setup(timestep=0.1, engine="numba")
    cells = sim.Population(2, _celltype(2))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    assert group.compiled_kernel()[0] == "adex_cond_multi"
    assert group.numpy_step_cost_s > 0

    class Own(type(group)):
        def step(self, k, inputs):
            return adex.AdExBase.step(self, k, inputs)
    group.__class__ = Own
    assert group.compiled_kernel() is None and group.numpy_step_cost_s == 0.0
    sim.end()
