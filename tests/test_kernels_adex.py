"""The compiled AdEx step (kernels/adex.py) against the NumPy step (engine/adex.py).

test_kernels.py runs both AdEx models through its model table (split runs, reset,
Poisson and array input, every kind of current source, sampled v/w/gsyn, threads),
equal within its ADEX_TOLERANCE where NumPy's exp (SIMD) differs from the C
library's. Here:

* the arithmetic, bit for bit: the NumPy step given the C library's exp (the one the
  kernel calls) must give the kernel's bits exactly, in the step loop and in compiled
  stretches; so the tolerance covers the exp's last bits and nothing else;
* the steps the kernel must decline, run by the NumPy step: stiff steps at a coarse
  time step (dopri5), tau_refrac = 0 and stiff parameters (v_spike = 0 mV; the
  spike steps re-integrated in sub-steps), each with a count showing that the kernel
  ran the other steps and declined these;
* the kernel's look for stiff neurons is a superset of the NumPy step's.
"""

import math
import sys
import types
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
from test_kernels import _assert_identical, _network  # noqa: E402
from stiff_edge import assert_declines_where_numpy_is_stiff  # noqa: E402

MODELS = ["EIF_cond_exp_isfa_ista", "EIF_cond_alpha_isfa_ista"]


def _libm_exp(x):
    """exp by the C library (math.exp: what the compiled kernel calls), elementwise."""
    def one(value):
        try:
            return math.exp(value)
        except OverflowError:
            return math.inf
    return np.vectorize(one, otypes=[float])(x)


@pytest.fixture
def libm_exp(monkeypatch):
    """engine/adex.py's NumPy step with the C library's exp (all else NumPy's)."""
    class NumPyWithLibmExp(types.ModuleType):
        def __getattr__(self, name):
            return getattr(np, name)
    proxy = NumPyWithLibmExp("numpy_with_libm_exp")
    proxy.exp = _libm_exp
    monkeypatch.setattr(adex, "np", proxy)


@pytest.fixture
def counts(monkeypatch):
    """Calls of the NumPy step (steps the kernel declined, or every step on NumPy),
    of dopri5 (stiff steps) and of compiled stretches."""
    got = {"numpy_steps": 0, "dopri5": 0, "stretches": 0}
    step, dopri5, run = adex.AdExBase.step, adex.dopri5, CompiledStretch.run

    def counting_step(self, k, inputs):
        got["numpy_steps"] += 1
        return step(self, k, inputs)

    def counting_dopri5(*args, **kw):
        got["dopri5"] += 1
        return dopri5(*args, **kw)

    def counting_run(self, k, k_end):
        got["stretches"] += 1
        return run(self, k, k_end)
    monkeypatch.setattr(adex.AdExBase, "step", counting_step)
    monkeypatch.setattr(adex, "dopri5", counting_dopri5)
    monkeypatch.setattr(CompiledStretch, "run", counting_run)
    return got


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("stretch", [False, True])
def test_kernel_is_the_numpy_step_bit_for_bit_given_the_same_exp(model, stretch, libm_exp,
                                                                 counts, monkeypatch):
    """Poisson, array and recurrent input, DC and step currents (stretches), every
    recordable sampled, a split run and a reset: the same bits, every step compiled."""
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    options = dict(split=True, reset=True)
    if stretch:
        options.update(stretch=True, sampling=0.1, dc_step=True)
    reference, n_spikes = _network(model, "numpy", **options)
    assert n_spikes > 50
    assert counts["numpy_steps"] > 0
    counts["numpy_steps"] = 0
    compiled, _ = _network(model, "numba", **options)
    assert counts["numpy_steps"] == 0       # no step declined: the kernel ran them all
    _assert_identical(reference, compiled)


def _coarse_network(model, engine, dt=1.0, runs=(60.0, 40.0), **params):
    """20 AdEx cells at ``dt`` with Poisson input, kicked by 2-3 uS on a few (stiff
    steps at dt = 1 ms: 2 uS into 0.281 nF makes lambda h ~ 7), everything recorded."""
    sim.setup(timestep=dt, min_delay=dt, max_delay=3.0, rng_seed=7, engine=engine)
    celltype = getattr(sim, model)
    cells = sim.Population(20, celltype(**{**dict(tau_refrac=2.0, i_offset=0.3, a=4.0,
                                                  b=0.02, tau_syn_E=2.0, tau_syn_I=3.0),
                                           **params}))
    cells.initialize(v=np.linspace(-70.0, -52.0, 20))
    kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 11.0, 77.0]))
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0))
    sim.Projection(kicks, cells[:4], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=2.0, delay=1.0))
    sim.Projection(kicks, cells[4:6], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=3.0, delay=2.0), receptor_type="inhibitory")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    cells.record(["spikes", "v", "w", "gsyn_exc", "gsyn_inh"])
    for duration in runs:
        sim.run(duration)
    segment = cells.get_data().segments[0]
    out = {f"spikes {i}": np.asarray(t.magnitude) for i, t in enumerate(segment.spiketrains)}
    out.update({s.name: np.asarray(s.magnitude) for s in segment.analogsignals})
    for name, values in simulator.state.network.groups[celltype.engine_model].state.items():
        out[f"final {name}"] = values.copy()
    n_steps = simulator.state.network.step_count
    sim.end()
    # (no divergence; w grown by repeated spikes may pull v below e_rev_I)
    assert np.isfinite(out["v"]).all() and out["v"].min() > -200.0
    return out, n_steps


def _both_engines(counts, model, **kw):
    reference, n_steps = _coarse_network(model, "numpy", **kw)
    numpy_dopri5 = counts["dopri5"]
    counts.update(numpy_steps=0, dopri5=0, stretches=0)
    compiled, _ = _coarse_network(model, "numba", **kw)
    _assert_identical(reference, compiled)
    assert counts["dopri5"] == numpy_dopri5
    n_spikes = sum(v.size for k, v in reference.items() if k.startswith("spikes"))
    return n_steps, n_spikes, numpy_dopri5


@pytest.mark.parametrize("model", MODELS)
def test_stiff_steps_at_a_coarse_time_step_declined(model, libm_exp, counts):
    """dt = 1 ms: the steps with a stiff cell (dopri5) or a crossing of v_stiff (AdEx's
    default parameters are stiff at 1 ms: v_stiff < v_spike, re-integrated in
    sub-steps) go to the NumPy step, the others run compiled, in stretches."""
    n_steps, n_spikes, n_dopri5 = _both_engines(counts, model)
    assert n_dopri5 > 0, "no stiff step: the test would prove nothing"
    assert n_spikes > 20
    print(f"{model}: {counts['numpy_steps']} of {n_steps} steps declined, "
          f"{counts['stretches']} stretches")
    # (the compiled steps: 25-57 of 100, measured)
    assert 0 < counts["numpy_steps"] < 0.9 * n_steps
    assert counts["stretches"] > 2      # stretches ran, and resumed after declined steps


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("params", [dict(tau_refrac=0.0, i_offset=0.6),
                                    dict(v_spike=0.0, tau_refrac=1.0, i_offset=0.6)],
                         ids=["tau_refrac_0", "v_spike_0"])
def test_spike_steps_reintegrated_in_substeps_declined(model, params, libm_exp, counts):
    """tau_refrac = 0 and stiff parameters (NEST's V_peak = 0 mV) at dt = 0.1 ms: the
    NumPy step re-integrates a crossing step in sub-steps, so the kernel declines
    exactly the steps in which such a cell crosses; the rest runs compiled."""
    n_steps, n_spikes, _ = _both_engines(counts, model, dt=0.1, runs=(25.0, 15.0), **params)
    assert n_spikes > 20
    print(f"{model} {params}: {counts['numpy_steps']} of {n_steps} steps declined")
    assert 0 < counts["numpy_steps"] < n_steps // 2      # (measured: 21-41 %)
    assert counts["stretches"] > 2


@pytest.mark.parametrize("model", MODELS)
def test_tolerance_only_for_the_exp(model):
    """Without the C library's exp in the NumPy step, the engines agree within
    test_kernels.ADEX_TOLERANCE (bit for bit where NumPy's exp is the C library's),
    stiff and declined steps included."""
    import test_kernels
    reference, _ = _coarse_network(model, "numpy")
    compiled, _ = _coarse_network(model, "numba")
    _assert_identical(reference, compiled, test_kernels.ADEX_TOLERANCE)


@pytest.mark.parametrize("model", MODELS)
def test_kernel_declines_whenever_numpy_finds_a_stiff_neuron(model):
    """The kernel's look for stiff neurons is a superset of the NumPy step's, also at the
    edge (lambda h within a few ulps of Z_RK4, refractory or not); a declined step
    leaves the state and the inputs alone."""
    loaded = kernels.load()
    sim.setup(timestep=1.0, engine="numba")
    cells = sim.Population(1, getattr(sim, model)(tau_refrac=3.0))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    k = simulator.state.network.step_count
    # g_L + g_e + g_i = Z_RK4 cm / dt: lambda h on the edge
    edge = group.Z_RK4 * group.params["cm"][0] / 1.0 - group._g_L[0]

    def set_state(s, rng, trial):
        s["v"][:] = rng.uniform(-80.0, -45.0)
        s["w"][:] = rng.uniform(-0.5, 0.5)
        g_e = edge * rng.uniform(0.0, 1.0)
        s["gsyn_exc"][:] = g_e
        s["gsyn_inh"][:] = np.nextafter(edge - g_e, np.inf if trial % 2 else -np.inf)
        for _ in range(int(rng.integers(0, 4))):
            s["gsyn_inh"][:] = np.nextafter(s["gsyn_inh"], 1.0)
        if "dgsyn_exc" in s:
            s["dgsyn_exc"][:] = rng.choice([0.0, -1e-3, 1e-15])
            s["dgsyn_inh"][:] = 0.0

    def numpy_finds_stiff():
        s = group.state
        return group._stiff_neurons(k, s["v"], s["w"], group.params["i_offset"]) is not None

    assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff,
                                         input_value=0.25)
    sim.end()


def test_only_the_standard_classes_have_the_kernel():
    """PointNeuron's AdExp (its own conductances) has its own kernel
    (tests/test_multisynapse_adex_kernel.py)."""
    sim.setup(timestep=0.1, engine="numba")
    sim.Population(2, sim.EIF_cond_exp_isfa_ista())
    sim.Population(2, sim.EIF_cond_alpha_isfa_ista())
    sim.Population(2, sim.PointNeuron(sim.AdExp(), AMPA=sim.AlphaPSR(tau_syn=5.0, e_syn=0.0)))
    sim.run(1.0)
    groups = simulator.state.network.groups.values()
    names = {type(g).__name__: (g.compiled_kernel() or (None,))[0] for g in groups}
    assert names.pop("AdExCondExp") == "adex_cond_exp"
    assert names.pop("AdExCondAlpha") == "adex_cond_alpha"
    assert list(names.values()) == ["adex_cond_multi"]     # PointNeuron's group
    sim.end()
