"""The compiled IF_cond_exp_gsfa_grr and GIF_cond_exp steps (kernels/adaptive.py) against
the NumPy steps (engine/adaptive.py's LIFCondExpSfaRr, GIFCondExp), bit for bit.

test_kernels.py runs both models through its model table (split runs, reset, Poisson
and array input, every kind of current source, sampled signals, threads). Here: that
the kernels do run the steps (gsfa_grr: none declined at dt = 0.1 ms; GIF: all but the
first of each block of draws, which the NumPy step draws, so the escape noise is the
same), that the stiff steps at a coarse time step are declined to the NumPy step
(dopri5) while stretches run the others, and that the look for stiff neurons is a
superset of the NumPy step's.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from pyNN.random import NumpyRNG

import pyNN.tinysim as sim
from pynn_tinysim import simulator
from pynn_tinysim.engine import adaptive, conductances, kernels
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_kernels import _assert_identical, _network  # noqa: E402
from stiff_edge import assert_declines_where_numpy_is_stiff  # noqa: E402


@pytest.fixture
def counts(monkeypatch):
    """Calls of the NumPy steps, of dopri5 and of compiled stretches."""
    got = {"numpy_steps": 0, "dopri5": 0, "stretches": 0}
    dopri5, run = conductances.dopri5, CompiledStretch.run

    def counting(step):
        def counting_step(self, k, inputs):
            got["numpy_steps"] += 1
            return step(self, k, inputs)
        return counting_step

    def counting_dopri5(*args, **kw):
        got["dopri5"] += 1
        return dopri5(*args, **kw)

    def counting_run(self, k, k_end):
        got["stretches"] += 1
        return run(self, k, k_end)
    for cls in (adaptive.LIFCondExpSfaRr, adaptive.GIFCondExp):
        monkeypatch.setattr(cls, "step", counting(cls.step))
    monkeypatch.setattr(conductances, "dopri5", counting_dopri5)
    monkeypatch.setattr(CompiledStretch, "run", counting_run)
    return got


@pytest.mark.parametrize("stretch", [False, True])
def test_gsfa_grr_kernel_runs_every_ordinary_step(stretch, counts):
    options = dict(split=True, reset=True, stretch=stretch)
    reference, n_spikes = _network("IF_cond_exp_gsfa_grr", "numpy", **options)
    assert n_spikes > 50
    counts["numpy_steps"] = 0
    compiled, _ = _network("IF_cond_exp_gsfa_grr", "numba", **options)
    assert counts["numpy_steps"] == 0
    _assert_identical(reference, compiled)


COARSE = {
    "IF_cond_exp_gsfa_grr": dict(q_sfa=5.0, tau_sfa=50.0, q_rr=100.0, tau_rr=3.0),
    "GIF_cond_exp": dict(delta_v=0.8, lambda0=5.0, v_t_star=-55.0, tau_eta=[5.0, 50.0],
                         a_eta=[0.05, 0.02], tau_gamma=[3.0, 40.0], a_gamma=[3.0, 1.0]),
}


def _coarse(engine, model="IF_cond_exp_gsfa_grr"):
    sim.setup(timestep=1.0, min_delay=1.0, max_delay=3.0, rng_seed=7, engine=engine)
    cells = sim.Population(20, getattr(sim, model)(
        cm=0.25, tau_m=10.0, tau_refrac=2.0, i_offset=0.3, tau_syn_E=2.0, tau_syn_I=3.0,
        **COARSE[model]))
    cells.initialize(v=np.linspace(-70.0, -52.0, 20))
    kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 11.0, 77.0]))
    noise = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0))
    # 2 uS into 0.25 nF at dt = 1 ms: lambda h ~ 8, where RK4 alone diverges
    sim.Projection(kicks, cells[:4], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=2.0, delay=1.0))
    sim.Projection(kicks, cells[4:6], sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=3.0, delay=2.0), receptor_type="inhibitory")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=0.01, delay=1.0))
    cells.record(["spikes", *cells.celltype.recordable])
    sim.run(60.0)
    sim.run(40.0)
    segment = cells.get_data().segments[0]
    out = {f"spikes {i}": np.asarray(t.magnitude) for i, t in enumerate(segment.spiketrains)}
    out.update({s.name: np.asarray(s.magnitude) for s in segment.analogsignals})
    sim.end()
    assert np.isfinite(out["v"]).all() and out["v"].min() > -100.0
    return out


@pytest.mark.parametrize("model", sorted(COARSE))
def test_stiff_steps_at_a_coarse_time_step_declined(model, counts):
    reference = _coarse("numpy", model)
    n_dopri5 = counts["dopri5"]
    assert n_dopri5 > 0, "no stiff step: the test would prove nothing"
    assert sum(v.size for k, v in reference.items() if k.startswith("spikes")) > 20
    counts.update(numpy_steps=0, dopri5=0, stretches=0)
    compiled = _coarse("numba", model)
    _assert_identical(reference, compiled)
    assert counts["dopri5"] == n_dopri5
    print(f"{counts['numpy_steps']} of 100 steps declined, {counts['stretches']} stretches")
    assert 0 < counts["numpy_steps"] < 90
    assert counts["stretches"] > 2


def test_gsfa_grr_kernel_declines_whenever_numpy_finds_a_stiff_neuron(monkeypatch):
    """At the edge (lambda h within a few ulps of Z_RK4, refractory or not): declined
    wherever the NumPy step would call dopri5, the state and inputs then untouched."""
    loaded = kernels.load()
    sim.setup(timestep=1.0, engine="numba")
    cells = sim.Population(1, sim.IF_cond_exp_gsfa_grr(cm=0.25, tau_m=10.0, tau_refrac=3.0))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    k = simulator.state.network.step_count
    edge = group.Z_RK4 * 0.25 / 1.0 - group._g_L[0]
    found = []
    monkeypatch.setattr(conductances, "dopri5", lambda y, *a, **kw: found.append(1) or y[0])

    def set_state(s, rng, trial):
        s["v"][:] = rng.uniform(-80.0, -45.0)
        g_e = edge * rng.uniform(0.0, 1.0)
        s["g_s"][:] = rng.uniform(0.0, 1.0) * 1e3 * (edge - g_e) * 0.5
        s["g_r"][:] = 0.0
        s["gsyn_exc"][:] = g_e
        rest = edge - g_e - s["g_s"][0] * 1e-3
        s["gsyn_inh"][:] = np.nextafter(rest, np.inf if trial % 2 else -np.inf)

    def numpy_finds_stiff():
        found.clear()
        s = group.state
        v_new = s["v"].copy()
        group._redo_stiff_steps(k, s["v"], v_new, group.params["i_offset"]
                                + group._g_L * group.params["v_rest"])
        return bool(found)

    assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff,
                                         input_value=0.25)
    sim.end()


# --- GIF_cond_exp ----------------------------------------------------------------------

@pytest.fixture
def gif_numpy_steps(monkeypatch):
    """The steps GIF's NumPy step ran."""
    steps = []
    step = adaptive.GIFCondExp.step
    monkeypatch.setattr(adaptive.GIFCondExp, "step",
                        lambda self, k, inputs: steps.append(k) or step(self, k, inputs))
    return steps


@pytest.mark.parametrize("stretch", [False, True])
def test_gif_kernel_uses_the_numpy_steps_draws(stretch, gif_numpy_steps, monkeypatch):
    """Blocks of draws of 40 steps (80 cells), 3 held: the kernel declines the first step
    of every third block, whose draws (and the next two's) the NumPy step makes, and
    runs the others with them: the same spikes (escape noise included) and bits, across
    a split run and a reset."""
    monkeypatch.setattr(adaptive.GIFCondExp, "DRAW_BLOCK", 80 * 40)
    monkeypatch.setattr(adaptive.GIFCondExp, "DRAW_BLOCKS_HELD", 3)
    options = dict(split=True, reset=True, stretch=stretch)
    if stretch:
        options.update(sampling=0.1, dc_step=True)
    reference, n_spikes = _network("GIF_cond_exp", "numpy", **options)
    assert n_spikes > 50
    gif_numpy_steps.clear()
    compiled, _ = _network("GIF_cond_exp", "numba", **options)
    _assert_identical(reference, compiled)
    # 1000 steps, then 500 after the reset (new draws): NumPy ran the first step of
    # every third block
    assert gif_numpy_steps == list(range(0, 1000, 120)) + list(range(0, 500, 120))


def test_gif_without_kernel_beyond_seven_components():
    """NumPy sums rows of 8 or more components pairwise: no kernel offered there."""
    sim.setup(timestep=0.1, engine="numba")
    few = sim.Population(2, sim.GIF_cond_exp(tau_eta=[1.0] * 7, a_eta=[0.1] * 7))
    sim.run(0.2)
    group = simulator.state.network.groups[few.celltype.engine_model]
    assert group.compiled_kernel()[0] == "gif_cond_exp"
    sim.Population(1, sim.GIF_cond_exp(tau_gamma=[1.0] * 8, a_gamma=[0.1] * 8))
    sim.run(0.2)
    assert group.compiled_kernel() is None
    sim.end()
