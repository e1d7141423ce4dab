"""The compiled engine (Numba kernels) against the NumPy reference engine, bit for bit.

Every model with a kernel runs the same small network twice, once with
``engine="numpy"`` and once with ``engine="numba"``: the spike trains, every
recorded sample of every recordable variable and the final state must be equal
exactly (the kernels do the reference's operations in the reference's order, see
``pynn_tinysim/engine/kernels``). The networks hold the awkward cases: refractory
periods, input arriving during refractoriness, step/AC/noisy current sources on
some cells only, recurrent and Poisson input on both receptors, a run split in
two, a reset, and delivery volumes on both sides of the synapse store's bincount
threshold; for the conductance-based models, stiff steps at a coarse time step
(declined by the kernel to the NumPy step). The benchmark networks (VA CUBA/COBA,
seed-004, the plastic and the spinnaker-flavour networks of
``tests/test_bit_identity.py``) are run on the compiled engine and compared with the
NumPy engine's stored output. HH_cond_exp: bit for bit too, or within TOLERANCE
where NumPy's expm1 differs from the C library's; AdEx (EIF_cond_*_isfa_ista) the
same with exp (tests/test_kernels_adex.py: bit for bit given the same exp, and its
declined steps); several threads: the same bits.
"""

import math
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from pyNN import errors
from pyNN.random import NumpyRNG

import pyNN.tinysim as sim
from pynn_tinysim import simulator
from pynn_tinysim.engine import kernels, sources
from pynn_tinysim.engine import stretch as stretch_module
from pynn_tinysim.engine.stretch import CompiledStretch
from slow import fast_few
from stiff_edge import assert_declines_where_numpy_is_stiff

pytest.importorskip("numba")

MODELS = {
    "IF_curr_exp": (sim.IF_curr_exp, dict(tau_m=12.0, tau_refrac=2.0, i_offset=1.25,
                                          tau_syn_E=2.0, tau_syn_I=4.0), 0.5, -1.0),
    "IF_curr_alpha": (sim.IF_curr_alpha, dict(tau_m=12.0, tau_refrac=2.0, i_offset=1.25,
                                              tau_syn_E=12.0, tau_syn_I=4.0), 0.4, -0.8),
    "IF_curr_delta": (sim.IF_curr_delta, dict(tau_m=12.0, tau_refrac=2.0, i_offset=1.25),
                      2.0, -3.0),
    "Izhikevich": (sim.Izhikevich, dict(a=0.02, b=0.2, c=-65.0, d=6.0, i_offset=0.008),
                   4.0, -6.0),
    # conductances in uS (both weights positive); tau_refrac off the grid (rounded up)
    "IF_cond_exp": (sim.IF_cond_exp, dict(tau_m=12.0, tau_refrac=2.05, i_offset=1.5,
                                          tau_syn_E=2.0, tau_syn_I=4.0), 0.05, 0.08),
    "IF_cond_alpha": (sim.IF_cond_alpha, dict(tau_m=12.0, tau_refrac=2.0, i_offset=1.5,
                                              tau_syn_E=3.0, tau_syn_I=2.0), 0.03, 0.05),
    "HH_cond_exp": (sim.HH_cond_exp, dict(i_offset=0.6, tau_syn_E=0.5, tau_syn_I=3.0),
                    0.02, 0.05),
    # adaptation quanta (nS) and time constants that act within 100 ms
    "IF_cond_exp_gsfa_grr": (sim.IF_cond_exp_gsfa_grr,
                             dict(tau_m=12.0, tau_refrac=2.05, i_offset=1.5, tau_syn_E=2.0,
                                  tau_syn_I=4.0, q_sfa=8.0, tau_sfa=40.0, q_rr=200.0,
                                  tau_rr=3.0), 0.05, 0.08),
    # escape noise sharp enough to fire regularly; two eta and gamma components
    "GIF_cond_exp": (sim.GIF_cond_exp,
                     dict(tau_m=12.0, tau_refrac=2.05, i_offset=0.6, tau_syn_E=2.0, tau_syn_I=4.0,
                          delta_v=0.8, lambda0=5.0, v_t_star=-52.0,
                          tau_eta=[5.0, 50.0], a_eta=[0.05, 0.02],
                          tau_gamma=[3.0, 40.0], a_gamma=[3.0, 1.0]), 0.05, 0.08),
    # adaptation strong enough to matter within 100 ms (a in nS, b in nA); tau_refrac
    # off the grid; at dt = 0.1 ms no step is stiff (kernels/adex.py declines those)
    "EIF_cond_exp_isfa_ista": (sim.EIF_cond_exp_isfa_ista,
                               dict(tau_refrac=2.05, i_offset=0.45, a=4.0, b=0.03, tau_w=60.0,
                                    tau_syn_E=2.0, tau_syn_I=4.0), 0.02, 0.04),
    "EIF_cond_alpha_isfa_ista": (sim.EIF_cond_alpha_isfa_ista,
                                 dict(tau_refrac=2.0, i_offset=0.45, a=4.0, b=0.03,
                                      tau_w=60.0, tau_syn_E=3.0, tau_syn_I=2.0), 0.012, 0.03),
}


def _same_expm1():
    """Whether NumPy's expm1 gives the C library's bits (Python's math.expm1, which the
    compiled HH kernel calls too) on a dense sample of the rates' arguments."""
    x = np.linspace(-30.0, 30.0, 200001)
    return np.array_equal(np.expm1(x), np.array([math.expm1(v) for v in x]))


def _same_exp():
    """Whether NumPy's exp gives the C library's bits (math.exp, which the compiled AdEx
    kernel calls too) on a dense sample of the exponential term's arguments."""
    x = np.linspace(-40.0, 40.0, 200001)
    return np.array_equal(np.exp(x), np.array([math.exp(v) for v in x]))


#: per model, the largest difference allowed between the engines' analog values; the
#: models not named are compared bit for bit. HH: the kernel's expm1 is the C library's,
#: NumPy's may be its own SIMD one: bit for bit where they agree (as on the machines
#: measured so far), else within 1e-6 (mV, uS, gates) with the same spikes.
#: AdEx: the same with exp, for which NumPy has SIMD code (AVX512F: ~5 % of arguments
#: differ from the C library's in the last bit): bit for bit where they agree, else
#: within ADEX_TOLERANCE (mV, nA) with the same spikes.
TOLERANCE = {"HH_cond_exp": None if _same_expm1() else 1e-6}
#: measured on an AVX512 machine (NumPy 2.3): at most 5e-11 (v, mV; w, nA) in these
#: tests' networks and in 80 cells over 200 ms, 1.5e-11 mV / 9e-16 nA in a 1000-cell
#: network with Poisson input over 1 s (the same 51670 spikes); the conductances are
#: exact (no exp), so the spikes stay the same unless v ends a step within ~1e-11 mV of
#: v_spike
ADEX_TOLERANCE = None if _same_exp() else 1e-8
TOLERANCE.update({"EIF_cond_exp_isfa_ista": ADEX_TOLERANCE,
                  "EIF_cond_alpha_isfa_ista": ADEX_TOLERANCE})


def _network(model, engine, split=False, reset=False, dt=0.1, stretch=False, sampling=None,
             expect_stretch=True, dc_step=False, threads=None, duration=100.0,
             heterogeneous=False, ac_noise=False, renewal=False):
    """Run a small recurrent network of ``model``; return every recorded array.

    ``stretch``: the compiled engine runs whole stretches of steps (engine/stretch.py;
    without it, the compiled engine runs the step loop with each group's kernel);
    ``sampling`` (ms): there, every recordable variable of some cells is also sampled
    at this interval (the stretch samples them); ``dc_step``: there, DC and step
    current sources on some cells; ``ac_noise``: there, AC and noise sources too (the
    stretch applies every change of current itself); ``renewal``: gamma, Poisson with
    dead time and inhomogeneous gamma sources too (their events emitted by the
    stretch, their windows drawn between stretches); ``heterogeneous``: the cells'
    time constants and threshold differ (the kernels' per-neuron parameter arrays,
    not the scalars of kernels.uniform_parameters).
    """
    celltype, params, w_exc, w_inh = MODELS[model]
    extra = {} if threads is None else {"threads": threads}
    sim.setup(timestep=dt, min_delay=dt, max_delay=2.0, rng_seed=11, engine=engine, **extra)
    assert simulator.state.network.engine == engine
    cells = sim.Population(80, celltype(**params), label="cells")
    if model == "Izhikevich":
        cells.initialize(v=-65.0, u=-13.0)
    else:
        cells.initialize(v=np.linspace(-70.0, -52.0, 80))
    if heterogeneous:
        cells.set(tau_m=np.linspace(10.0, 14.0, 80), v_thresh=np.linspace(-51.0, -49.0, 80))
    noise = sim.Population(40, sim.SpikeSourcePoisson(rate=80.0), label="noise")
    # weights that are not short binary fractions, and noise and recurrent input to the
    # same receptor with the same delay: sums whose order matters
    rng = NumpyRNG(seed=3)
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=w_exc * 1.03, delay=0.5), receptor_type="excitatory")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=w_inh, delay=1.3), receptor_type="inhibitory")
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
                   sim.StaticSynapse(weight=w_exc * 0.37, delay=max(dt, 0.5)),
                   receptor_type="excitatory")
    array = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0, 5.05, 71.3], [], [40.0]]))
    sim.Projection(array, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc, delay=2.0))
    if stretch:
        # a busy drive sharing the recurrent input's receptor and delay: several terms per
        # ring entry and step, from both groups, so the order of delivery shows in the bits
        busy = sim.Population(20, sim.SpikeSourcePoisson(rate=2000.0))
        sim.Projection(busy, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=w_exc * 0.011, delay=max(dt, 0.5)))
        cells[5:70].record("spikes")        # some cells only: the recorders' masks
        if sampling is not None:
            cells[10:40].record(cells.celltype.recordable, sampling_interval=sampling)
        if dc_step:
            # windows opening and closing inside runs, one across the split at 37.3 ms
            # and one starting at t = 0; overlapping targets; a current recorded
            sim.DCSource(start=20.0, stop=60.0, amplitude=0.35).inject_into(cells[:30])
            sim.DCSource(amplitude=-0.1).inject_into(cells[70:])
            step = sim.StepCurrentSource(times=[10.0, 45.0, 80.05], amplitudes=[0.3, -0.25, 0.1])
            step.inject_into(cells[25:50])
            step.record()
        if ac_noise:
            # switched on and off inside stretches and runs; a noise source redrawn every
            # 0.3 ms (not a multiple of the Poisson windows), targets overlapping the
            # DC/step ones and each other; both recorded
            ac = sim.ACSource(start=12.35, stop=83.0, amplitude=0.25, offset=0.05,
                              frequency=35.0, phase=30.0)
            ac.inject_into(cells[15:45])
            ac.record()
            noisy = sim.NoisyCurrentSource(mean=0.04, stdev=0.3, dt=0.3, start=3.0,
                                           stop=91.7)
            noisy.inject_into(cells[40:75])
            noisy.record()
            sim.NoisyCurrentSource(mean=-0.02, stdev=0.1, dt=dt).inject_into(cells[::9])
    else:
        # current sources on parts of the population only: i_inj present, not everywhere
        sim.StepCurrentSource(times=[20.0, 60.0], amplitudes=[0.4, -0.2]).inject_into(cells[:30])
        sim.ACSource(start=10.0, stop=90.0, amplitude=0.2, frequency=40.0).inject_into(
            cells[20:50])
        sim.NoisyCurrentSource(mean=0.05, stdev=0.2, dt=1.0).inject_into(cells[60:])
        cells.record(cells.celltype.recordable)
    renewal_pops = []
    if renewal:
        # starting and stopping inside runs and stretches, one across the split; fast
        # enough that every Poisson-size window holds events of each
        renewal_pops = [
            sim.Population(6, sim.SpikeSourceGamma(alpha=4.0, beta=600.0, start=3.35,
                                                   duration=70.0), label="gamma"),
            sim.Population(5, sim.SpikeSourcePoissonRefractory(rate=120.0, tau_refrac=2.5,
                                                               start=21.0), label="dead"),
            sim.Population(4, sim.SpikeSourceInhGamma(
                a=[np.array([2.0, 4.0, 1.5])] * 4, b=[np.array([0.004, 0.002, 0.006])] * 4,
                tbins=[np.array([0.0, 30.0, 64.3])] * 4, start=1.0, duration=88.0),
                label="inhgamma")]
        for pop, weight in zip(renewal_pops, (1.1, 0.9, 1.4)):
            sim.Projection(pop, cells, sim.FixedProbabilityConnector(0.4, rng=rng),
                           sim.StaticSynapse(weight=w_exc * weight, delay=max(dt, 0.6)))
            pop.record("spikes")
    noise.record("spikes")
    stretches = []
    original, original_for_run = CompiledStretch.run, CompiledStretch.__dict__["for_run"]
    if engine == "numba":       # note whether the run goes through compiled stretches
        CompiledStretch.run = lambda self, k, k_end: stretches.append(k) or original(
            self, k, k_end)
        if not stretch:         # the step loop with the groups' kernels
            CompiledStretch.for_run = classmethod(lambda cls, *args, **kw: None)
    try:
        if split:
            first = 37.3 if dt < 1.0 else 37.0     # durations are whole steps (NEST's rule)
            sim.run(first)
            sim.run(100.0 - first)
        else:
            sim.run(duration)
        if reset:
            sim.reset()
            sim.run(50.0)
    finally:
        CompiledStretch.run = original
        CompiledStretch.for_run = original_for_run
    if engine == "numba":
        assert bool(stretches) == (stretch and expect_stretch)
    out = {}
    for pop in (cells, noise, *renewal_pops):
        segment = pop.get_data().segments[-1]
        for i, train in enumerate(segment.spiketrains):
            out[f"{pop.label} spikes {i}"] = np.asarray(train.magnitude)
        for signal in segment.analogsignals:
            out[f"{pop.label} {signal.name}"] = np.asarray(signal.magnitude)
    group = cells.celltype.engine_model
    net_group = simulator.state.network.groups[group]
    for name, values in net_group.state.items():
        out[f"final {name}"] = values.copy()
    # the recorded injected currents (their means over the targets at every step)
    for i, source in enumerate(simulator.state.network.currents.sources):
        if source.recording:
            out[f"current {i}"] = source.recorded(simulator.state.network.step_count,
                                                  simulator.state.dt)
    n_spikes = sum(v.size for k, v in out.items() if k.startswith("cells spikes"))
    sim.end()
    return out, n_spikes


def _assert_identical(a, b, tolerance=None):
    """Equal bit for bit, or, with ``tolerance``, analog values within it (spikes equal)."""
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].shape == b[key].shape, key
        if tolerance is not None and "spikes" not in key:
            np.testing.assert_allclose(a[key], b[key], rtol=0.0, atol=tolerance, err_msg=key)
            continue
        differ = np.flatnonzero(~((a[key] == b[key]) | (np.isnan(a[key]) & np.isnan(b[key]))))
        assert differ.size == 0, f"{key}: {differ.size} values differ"


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_identical_on_both_engines(model):
    reference, n_spikes = _network(model, "numpy")
    assert n_spikes > 100, "an inactive network would prove little"
    compiled, _ = _network(model, "numba")
    _assert_identical(reference, compiled, TOLERANCE.get(model))


@pytest.mark.parametrize("stretch", [False, True])
def test_heterogeneous_parameters_identical(stretch, monkeypatch):
    """Cells whose parameters differ take the kernel's per-neuron arrays, in the step
    loop and in stretches; the uniform networks above take its scalars."""
    calls = []
    original = kernels.uniform_parameters
    monkeypatch.setattr(kernels, "uniform_parameters",
                        lambda *a: calls.append(original(*a)) or calls[-1])
    reference, n_spikes = _network("IF_curr_exp", "numpy", stretch=stretch,
                                   heterogeneous=True)
    assert n_spikes > 100
    compiled, _ = _network("IF_curr_exp", "numba", stretch=stretch, heterogeneous=True)
    _assert_identical(reference, compiled)
    assert calls and all(a[0].size == 80 for a in calls)


def test_uniform_parameters_bit_for_bit():
    """Cut to one element only where every element of every array has the same bits."""
    same = (np.full(5, 0.25), np.full(5, -3.0))
    assert [a.size for a in kernels.uniform_parameters(*same)] == [1, 1]
    mixed = (np.full(5, 0.25), np.array([0.0, 0.0, -0.0, 0.0, 0.0]))
    assert [a.size for a in kernels.uniform_parameters(*mixed)] == [5, 5]
    assert [a.size for a in kernels.uniform_parameters(np.zeros(0))] == [0]


@pytest.mark.parametrize("model", ["IF_curr_exp", "Izhikevich"])
def test_split_run_and_reset_identical(model):
    reference, _ = _network(model, "numpy", split=True, reset=True)
    compiled, _ = _network(model, "numba", split=True, reset=True)
    _assert_identical(reference, compiled)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_compiled_stretches_identical(model, monkeypatch):
    """Whole stretches of steps in one compiled call give the step loop's bits; small
    Poisson windows and record buffers make stretches end at windows and flushes."""
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    reference, n_spikes = _network(model, "numpy", stretch=True, split=True, reset=True)
    assert n_spikes > 50        # after the reset: 50 ms, 65 cells recorded
    compiled, _ = _network(model, "numba", stretch=True, split=True, reset=True)
    _assert_identical(reference, compiled, TOLERANCE.get(model))


@pytest.mark.parametrize("model", sorted(MODELS))
@pytest.mark.parametrize("sampling", [0.1, 0.7])
def test_compiled_stretches_sample_signals_identically(model, sampling, monkeypatch):
    """Signals sampled inside compiled stretches (every step, and at an interval that
    neither the run lengths nor the Poisson windows are multiples of) equal the step
    loop's samples, across a split run, stretch ends and a reset."""
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    reference, _ = _network(model, "numpy", stretch=True, split=True, reset=True,
                            sampling=sampling)
    compiled, _ = _network(model, "numba", stretch=True, split=True, reset=True,
                           sampling=sampling)
    signals = [key for key in reference if key.startswith("cells ") and "spikes" not in key]
    assert sorted(signals) == sorted(f"cells {v}" for v in MODELS[model][0].recordable
                                     if v != "spikes")
    # 50 ms after the reset, samples at 0 .. 50 ms: the end of the run is sampled too
    n_samples = int(round(50.0 / sampling)) + 1
    assert reference["cells v"].shape == (n_samples, 30)
    assert np.isfinite(reference["cells v"]).all()
    _assert_identical(reference, compiled, TOLERANCE.get(model))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_compiled_stretches_with_dc_and_step_currents_identical(model, monkeypatch):
    """DC and step currents: stretches run between the steps where a current changes,
    with the same bits as the step loop (split run, reset, sampled signals)."""
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    reference, _ = _network(model, "numpy", stretch=True, split=True, reset=True,
                            sampling=0.1, dc_step=True)
    compiled, _ = _network(model, "numba", stretch=True, split=True, reset=True,
                           sampling=0.1, dc_step=True)
    _assert_identical(reference, compiled, TOLERANCE.get(model))
    # the currents act: v of a cell under the DC window differs from the run without
    plain, _ = _network(model, "numba", stretch=True, split=True, reset=True, sampling=0.1)
    assert not np.array_equal(plain["cells v"], compiled["cells v"])


@pytest.mark.parametrize("model", sorted(MODELS))
def test_compiled_stretches_with_ac_and_noise_currents_identical(model, monkeypatch):
    """Every kind of current source inside compiled stretches (AC, noise, DC, step:
    starting and stopping mid-stretch, overlapping targets) gives the step loop's
    bits, across a split run, stretch ends at Poisson windows and record flushes,
    current windows of a few steps (many targets changing every step), and a reset;
    the recorded currents are equal too."""
    from pynn_tinysim.engine import currents as currents_module
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    # current windows of ~45 steps (the change events of one window bounded): stretches
    # end there and the next window is evaluated between them
    monkeypatch.setattr(currents_module, "_MAX_WINDOW_ENTRIES", 4000)
    reference, n_spikes = _network(model, "numpy", stretch=True, split=True, reset=True,
                                   sampling=0.1, dc_step=True, ac_noise=True)
    assert n_spikes > 50
    compiled, _ = _network(model, "numba", stretch=True, split=True, reset=True,
                           sampling=0.1, dc_step=True, ac_noise=True)
    assert sorted(k for k in reference if k.startswith("current")) == [
        "current 2", "current 3", "current 4"]
    _assert_identical(reference, compiled, TOLERANCE.get(model))
    # the AC and noise currents act: v differs from the run with DC and step only
    plain, _ = _network(model, "numba", stretch=True, split=True, reset=True, sampling=0.1,
                        dc_step=True)
    assert not np.array_equal(plain["cells v"], compiled["cells v"])


@pytest.mark.parametrize("model", ["IF_curr_exp", "IF_cond_alpha"])
@pytest.mark.parametrize("dt", [0.1, 1.0])
def test_compiled_stretches_with_renewal_sources_identical(model, dt, monkeypatch):
    """Gamma, Poisson-with-dead-time and inhomogeneous gamma sources in compiled
    stretches: the same spikes and state as the step loop, across their window draws,
    starts and stops inside stretches, a split run, a reset and a coarse time step."""
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
    reference, _ = _network(model, "numpy", dt=dt, stretch=True, split=True, reset=True,
                            sampling=3.0 if dt == 1.0 else 0.1, renewal=True)
    for label, n in (("gamma", 6), ("dead", 5), ("inhgamma", 4)):
        trains = [reference[f"{label} spikes {i}"] for i in range(n)]
        # (after the reset: 50 ms) every source fires, and only while it is on
        assert all(t.size >= 2 for t in trains), label
        first = {"gamma": 3.35, "dead": 21.0, "inhgamma": 1.0}[label]
        assert min(t.min() for t in trains) > first
    compiled, _ = _network(model, "numba", dt=dt, stretch=True, split=True, reset=True,
                           sampling=3.0 if dt == 1.0 else 0.1, renewal=True)
    _assert_identical(reference, compiled, TOLERANCE.get(model))


def test_stretch_samples_at_coarse_time_step():
    reference, _ = _network("IF_curr_alpha", "numpy", dt=1.0, stretch=True, split=True,
                            sampling=3.0)
    compiled, _ = _network("IF_curr_alpha", "numba", dt=1.0, stretch=True, split=True,
                           sampling=3.0)
    assert reference["cells v"].shape[0] == 34      # 0, 3, ..., 99 ms
    _assert_identical(reference, compiled)


def test_stretch_leaves_more_recorders_than_it_carries_to_the_step_loop(monkeypatch):
    """More sampled signals than a stretch carries: the step loop runs, same bits."""
    reference, _ = _network("IF_curr_exp", "numpy", stretch=True, sampling=0.5)
    monkeypatch.setattr(stretch_module, "MAX_SIGNALS", 0)
    compiled, _ = _network("IF_curr_exp", "numba", stretch=True, sampling=0.5,
                           expect_stretch=False)
    _assert_identical(reference, compiled)


def test_coarse_time_step_identical():
    reference, _ = _network("IF_curr_alpha", "numpy", dt=1.0)
    compiled, _ = _network("IF_curr_alpha", "numba", dt=1.0)
    _assert_identical(reference, compiled)


def test_kernels_run_where_they_exist():
    """The compiled engine really calls the kernels (or the tests above compare NumPy twice)."""
    net = _run_small_network("numba")
    loaded = kernels.load()
    assert loaded is not None
    for group in net.groups.values():
        group.prepare(net.dt)
        has_kernel = type(group).__name__ in ("LIFCurrExp", "Izhikevich")
        assert (group.compiled_kernel() is not None) == has_kernel
    assert net.static.compiled_deliver(loaded) is not None
    numpy_net = _run_small_network("numpy")
    assert numpy_net.kernels_for_run(10**9) is None


def _run_small_network(engine):
    sim.setup(timestep=0.1, engine=engine)
    a = sim.Population(5, sim.IF_curr_exp())
    b = sim.Population(5, sim.Izhikevich())
    s = sim.Population(5, sim.SpikeSourcePoisson(rate=10.0))
    sim.Projection(s, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    sim.Projection(a, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    sim.run(5.0)
    return simulator.state.network


def test_dense_delivery_path_identical():
    """Spike volumes above the store's bincount threshold (sum first, then add) match too.

    All-to-all among 30 cells, excitatory and inhibitory: one spike's 60 events exceed
    a quarter of the ring (30 cells x 2 receptors x 3 rows = 180 entries), so the NumPy
    engine sums every step's weights by bincount before adding them to the ring.
    """
    results = []
    for engine in ("numpy", "numba"):
        sim.setup(timestep=0.1, min_delay=0.1, max_delay=0.2, engine=engine, rng_seed=5)
        cells = sim.Population(30, sim.IF_curr_exp(i_offset=2.0, tau_refrac=1.0, tau_syn_E=1.0))
        cells.initialize(v=np.linspace(-70.0, -51.0, 30))
        sim.Projection(cells, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.013, delay=0.2))
        sim.Projection(cells, cells, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=-0.011, delay=0.1), receptor_type="inhibitory")
        cells.record(["spikes", "v"])
        store = simulator.state.network.static
        sim.run(60.0)
        assert 60 > store._BINCOUNT_FRACTION * store.ring_size   # the dense path
        segment = cells.get_data().segments[0]
        results.append((np.concatenate([np.asarray(t) for t in segment.spiketrains]),
                        np.asarray(segment.analogsignals[0].magnitude)))
        sim.end()
    assert results[0][0].size > 100
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])


def _fixtures():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent / "data" / "make_regression_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_regression_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path.parent


@pytest.mark.parametrize("name", ["va_cuba", "va_coba", "seed004", "plastic",
                                  "spinnaker_seed004"])
def test_benchmark_networks_identical_on_compiled_engine(name, monkeypatch):
    """The stored NumPy-engine output of test_bit_identity's networks, on engine="numba"."""
    from pynn_tinysim.engine import network
    original = network.Network.__init__
    monkeypatch.setattr(network.Network, "__init__",
                        lambda self, dt=0.1, seed=None, engine=None, **kw:
                        original(self, dt, seed, "numba", **kw))
    fixtures, data = _fixtures()
    expected = dict(np.load(fixtures.fixture_path(name)))
    got = fixtures.run_network(name)
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        assert np.array_equal(np.asarray(got[key]), want), f"{name}: {key} differs"


def test_auto_engine_loads_kernels_when_worth_it(monkeypatch):
    """"auto" (the default) runs short simulations on NumPy (Numba's start-up would
    cost more than it saves) and switches once the runs add up."""
    monkeypatch.delenv("PYNN_TINYSIM_ENGINE", raising=False)
    sim.setup(timestep=0.1)
    net = simulator.state.network
    assert net.engine == "auto"
    sim.Population(10, sim.IF_curr_exp())
    assert kernels.worth_loading(10**7, 10)
    assert not kernels.worth_loading(10, 10)
    # VA CUBA's 4000 cells at dt 0.1 (benchmarks/RESULTS.md, stop 31: its whole
    # process breaks even at ~0.6 s of biology): 1 s stays on NumPy, 1.5 s compiles
    assert not kernels.worth_loading(10000, 4000)
    assert kernels.worth_loading(15000, 4000)
    # (the kernels may be loaded already by an earlier test: then "auto" uses them)
    expected = kernels.loaded()
    assert net.kernels_for_run(10) is expected
    assert net.kernels_for_run(10**7) is kernels.load()
    sim.end()


def test_auto_engine_weighs_a_poisson_groups_fixed_step_cost(monkeypatch):
    """A small network with Poisson input: its NumPy step costs ~45 us, most of it the
    Poisson group's fixed part, and the compiled engine is faster from ~0.5 s of biology
    (benchmarks/RESULTS.md, stop 32). "auto" compiles it from ~1.1 s at dt 0.1 (the
    start counted twice) and keeps 0.5 s on NumPy; counted per cell only, as before,
    it stayed on NumPy up to ~2.3 s."""
    monkeypatch.delenv("PYNN_TINYSIM_ENGINE", raising=False)
    compiled = object()
    monkeypatch.setattr(kernels, "loaded", lambda: None)
    monkeypatch.setattr(kernels, "load", lambda: compiled)
    for steps, expected in ((5000, None), (15000, compiled)):
        sim.setup(timestep=0.1)
        sim.Population(20, sim.SpikeSourcePoisson(rate=20.0))
        sim.Population(10, sim.IF_curr_exp())
        assert simulator.state.network.kernels_for_run(steps) is expected
        sim.end()


def test_bad_engine_is_a_pynn_error():
    with pytest.raises(errors.InvalidParameterValueError, match="engine.*'fortran'"):
        sim.setup(timestep=0.1, engine="fortran")


def test_fallback_without_numba_warns_once():
    """Where Numba cannot be imported, the NumPy engine runs, with one warning."""
    code = textwrap.dedent("""
        import sys, warnings
        sys.modules["numba"] = None          # import numba -> ImportError
        import pyNN.tinysim as sim
        from pynn_tinysim import simulator
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sim.setup(timestep=0.1)
            cells = sim.Population(3, sim.IF_curr_exp(i_offset=1.0))
            cells.record("spikes")
            sim.run(50.0)
            n = sum(len(t) for t in cells.get_data().segments[0].spiketrains)
            sim.setup(timestep=0.1, engine="numba")
            sim.run(10000.0)
        print(simulator.state.network.engine, n,
              sum("Numba cannot be imported" in str(w.message) for w in caught))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "numpy"
    assert int(out[1]) > 0
    assert out[2] == "1"


def test_kernel_without_cache_directory_still_compiles():
    """A function Numba cannot cache (here: no source file) is compiled uncached."""
    namespace = {}
    exec("def twice(x):\n    return 2.0 * x\n", namespace)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = kernels.jit(namespace["twice"])
    assert compiled(1.5) == 3.0


def test_engine_from_environment(monkeypatch):
    """PYNN_TINYSIM_ENGINE chooses the engine of a setup() that names none."""
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", "numpy")
    sim.setup(timestep=0.1)
    assert simulator.state.network.engine == "numpy"
    sim.setup(timestep=0.1, engine="numba")          # setup()'s own argument wins
    assert simulator.state.network.engine == "numba"
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", "gpu")
    with pytest.raises(errors.InvalidParameterValueError, match="PYNN_TINYSIM_ENGINE.*'gpu'"):
        sim.setup(timestep=0.1)
    monkeypatch.delenv("PYNN_TINYSIM_ENGINE")
    sim.setup(timestep=0.1)
    assert simulator.state.network.engine == "auto"
    sim.end()


@pytest.mark.parametrize("model", ["IF_cond_exp", "IF_cond_alpha"])
def test_stiff_steps_declined_to_the_numpy_step(model, monkeypatch):
    """Conductance models at a coarse step with huge conductances on some cells: the
    kernel declines the steps the NumPy code integrates adaptively (dopri5), the step
    loop runs those in NumPy, compiled stretches run the others: the same bits."""
    from pynn_tinysim.engine import lif
    calls = []
    original = lif.dopri5
    monkeypatch.setattr(lif, "dopri5", lambda *a, **kw: calls.append(1) or original(*a, **kw))
    stretches = []
    run = CompiledStretch.run
    monkeypatch.setattr(CompiledStretch, "run", lambda self, k, k_end: stretches.append(k)
                        or run(self, k, k_end))
    results = []
    for engine in ("numpy", "numba"):
        calls.clear()
        stretches.clear()
        celltype = MODELS[model][0]
        sim.setup(timestep=1.0, min_delay=1.0, max_delay=3.0, rng_seed=7, engine=engine)
        cells = sim.Population(20, celltype(cm=0.25, tau_m=10.0, tau_refrac=2.0, i_offset=0.3,
                                            tau_syn_E=5.0, tau_syn_I=8.0))
        cells.initialize(v=np.linspace(-70.0, -52.0, 20))
        kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 11.0, 40.0, 77.0]))
        noise = sim.Population(10, sim.SpikeSourcePoisson(rate=50.0))
        # 2 uS into 0.25 nF at dt = 1 ms: lambda h ~ 8, where RK4 alone diverges
        sim.Projection(kicks, cells[:4], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=2.0, delay=1.0))
        sim.Projection(kicks, cells[4:6], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=3.0, delay=2.0), receptor_type="inhibitory")
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=2)),
                       sim.StaticSynapse(weight=0.01, delay=1.0))
        cells.record(["spikes", "v", "gsyn_exc", "gsyn_inh"])
        sim.run(100.0)
        segment = cells.get_data().segments[0]
        out = {f"spikes {i}": np.asarray(t.magnitude) for i, t in enumerate(segment.spiketrains)}
        out.update({s.name: np.asarray(s.magnitude) for s in segment.analogsignals})
        assert np.isfinite(out["v"]).all() and out["v"].min() > -100.0
        results.append((out, len(calls), len(stretches)))
        sim.end()
    (reference, n_adaptive, _), (compiled, n_adaptive_compiled, n_stretches) = results
    assert n_adaptive > 0, "no stiff step: the test would prove nothing"
    assert n_adaptive_compiled == n_adaptive
    assert n_stretches > 1      # stretches ran, and resumed after the declined steps
    _assert_identical(reference, compiled)


@pytest.mark.parametrize("model", ["IF_cond_exp", "IF_cond_alpha"])
def test_kernel_declines_whenever_numpy_finds_a_stiff_neuron(model):
    """The kernel's look for stiff neurons is a superset of the NumPy step's, also at
    the edge: lambda h within a few ulps of Z_RK4, refractory or not; a declined step
    leaves the state and the inputs alone."""
    loaded = kernels.load()
    sim.setup(timestep=1.0, engine="numba")
    cells = sim.Population(1, MODELS[model][0](cm=0.25, tau_m=10.0, tau_refrac=3.0))
    sim.run(1.0)
    group = simulator.state.network.groups[cells.celltype.engine_model]
    # g_L + g_e + g_i = Z_RK4 cm / dt: lambda h on the edge
    edge = group.Z_RK4 * 0.25 / 1.0 - group._g_leak[0]
    k = simulator.state.network.step_count

    def set_state(s, rng, trial):
        s["v"][:] = rng.uniform(-80.0, -45.0)
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
        total = group._g_leak + s["gsyn_exc"]
        total += s["gsyn_inh"]
        return group._stiff_neurons(k, s["v"], group._drive(), total) is not None

    assert_declines_where_numpy_is_stiff(loaded, group, k, set_state, numpy_finds_stiff)
    sim.end()


# --- threads ---------------------------------------------------------------------------

def _force_threads(monkeypatch):
    """Parallel chunks and parallel delivery even for the small test networks."""
    from pynn_tinysim.engine.kernels import delivery
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1)
    monkeypatch.setattr(delivery, "PARALLEL_MIN_EVENTS", 1)


@pytest.mark.parametrize("model", fast_few(sorted(MODELS), ["IF_curr_exp"]))
def test_threads_give_the_same_bits(model, monkeypatch):
    """Neuron updates in parallel chunks and delivery split by ring column: the NumPy
    engine's bits, in stretches (delivery too) and in the step loop (AC/noisy currents)."""
    _force_threads(monkeypatch)
    monkeypatch.setattr(sources.WindowedSource, "WINDOW_STEPS", 170)
    # short runs: on a loaded machine every step of 2 threads can wait for a core
    reference, n_spikes = _network(model, "numpy", stretch=True, sampling=0.1, duration=40.0)
    assert n_spikes > 20
    compiled, _ = _network(model, "numba", stretch=True, sampling=0.1, threads=2,
                           duration=40.0)
    _assert_identical(reference, compiled, TOLERANCE.get(model))
    reference, _ = _network(model, "numpy", duration=25.0)
    compiled, _ = _network(model, "numba", threads=2, duration=25.0)
    _assert_identical(reference, compiled, TOLERANCE.get(model))


_THREADS_SCRIPT = textwrap.dedent("""
    import hashlib, sys
    import numpy as np
    import numba
    import pyNN.tinysim as sim
    from pynn_tinysim.engine import kernels
    from pynn_tinysim.engine.kernels import delivery
    kernels.PARALLEL_MIN_NEURONS = 1
    delivery.PARALLEL_MIN_EVENTS = 1
    model = getattr(sim, sys.argv[1])
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=3, engine="numba")
    cells = sim.Population(301, model())
    cells.initialize(v=np.linspace(-70.0, -50.5, 301))
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=1000.0))
    w = 0.01 if "cond" in sys.argv[1] else 0.4
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.5), sim.StaticSynapse(weight=w))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=w * 0.3, delay=0.3))
    cells.record(["spikes", "v"])
    sim.run(40.0)
    segment = cells.get_data().segments[0]
    digest = hashlib.sha1()
    for train in segment.spiketrains:
        digest.update(np.asarray(train.magnitude).tobytes())
    digest.update(np.asarray(segment.analogsignals[0].magnitude).tobytes())
    n = sum(t.size for t in segment.spiketrains)
    print(numba.get_num_threads(), n, digest.hexdigest())
""")


@pytest.mark.slow     # three processes importing Numba each
@pytest.mark.parametrize("model", ["IF_curr_exp", "IF_cond_exp"])
def test_numba_num_threads_does_not_change_the_bits(model):
    """NUMBA_NUM_THREADS=1, 2 and 3 (one chunk per thread; 3 splits 301 cells and the
    ring's columns unevenly) give the same spikes and v, bit for bit."""
    import os
    results = []
    for n in (1, 2, 3):
        env = dict(os.environ, NUMBA_NUM_THREADS=str(n))
        out = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT, model], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        assert out[0] == str(n)
        results.append(out[1:])
    assert int(results[0][0]) > 100
    assert results[0] == results[1] == results[2]


def test_threads_setup_option(monkeypatch):
    """setup(threads=N) sets the kernels' thread count (at most NUMBA_NUM_THREADS);
    without it, one thread unless NUMBA_NUM_THREADS is set; bad values are PyNN errors."""
    import numba
    kernels.load()
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    assert kernels.threads(None) == 1
    monkeypatch.setenv("NUMBA_NUM_THREADS", "2")
    assert kernels.threads(None) == numba.get_num_threads()
    sim.setup(timestep=0.1, engine="numba", threads=1)
    sim.Population(10, sim.IF_curr_exp(i_offset=1.0))
    sim.run(10.0)
    assert numba.get_num_threads() == 1
    assert simulator.state.network.threads == 1
    sim.setup(timestep=0.1, engine="numba", threads=10**6)
    sim.Population(10, sim.IF_curr_exp(i_offset=1.0))
    sim.run(10.0)
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    for bad in (0, -2, 1.5, "two", True):
        with pytest.raises(errors.InvalidParameterValueError, match="threads"):
            sim.setup(timestep=0.1, threads=bad)
    sim.end()
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


def test_kernel_source_stamp_changes_with_any_kernel_source_and_numba(tmp_path):
    """Numba keys a cached kernel by its own file only: a stretch (stretch.py) cached
    with an older neurons.py would keep the older neuron code. load() caches the
    kernels in a directory named by the stamp of all the kernel sources and Numba's
    version (tests/test_kernel_loading.py checks the directories)."""
    import types as pytypes
    sources = [tmp_path / "a.py", tmp_path / "b.py"]
    for source in sources:
        source.write_text("x = 1\n")
    modules = [pytypes.SimpleNamespace(__file__=str(s)) for s in sources]
    stamp = kernels.source_stamp(modules, "0.68")
    assert stamp == kernels.source_stamp(modules, "0.68")       # same sources: same
    sources[1].write_text("x = 2\n")
    assert kernels.source_stamp(modules, "0.68") not in (stamp, None)   # a source changed
    sources[1].write_text("x = 1\n")
    assert kernels.source_stamp(modules, "0.69") != stamp       # another Numba
    assert kernels.source_stamp([pytypes.SimpleNamespace(__file__=None)], "0.68") is None


def test_kernel_stamp_covers_the_package_module():
    """The package module's INLINED set and jit options shape every compiled kernel, so
    load() stamps it with the kernel sources (a fresh process: load() runs once)."""
    import subprocess
    import sys
    script = (
        "import pynn_tinysim.engine.kernels as k\n"
        "seen = []\n"
        "original = k.source_stamp\n"
        "k.source_stamp = lambda modules, v: seen.extend(modules) or original(modules, v)\n"
        "assert k.load() is not None\n"
        "files = [m.__file__ for m in seen]\n"
        "assert k.__file__ in files, files\n"
        "assert any(f.endswith('stretch.py') for f in files), files\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_other_stamps_cache_directories_pruned_once_unused(tmp_path, monkeypatch):
    """load()'s pruning removes another stamp's directory unused for PRUNE_AFTER_S (a
    process of older sources may still write to a recent one), keeps the present
    one, other files and other directories, and removes the kernel files of the
    earlier, unstamped layout."""
    import os
    import time
    import types as pytypes
    current = tmp_path / (kernels.STAMP_PREFIX + "new")
    old = tmp_path / (kernels.STAMP_PREFIX + "old")
    recent = tmp_path / (kernels.STAMP_PREFIX + "recent")
    for d in (current, old, recent, tmp_path / "other"):
        d.mkdir()
        (d / "f.nbi").write_text("")
    for name in ("stretch.stretch_x-1.py311.nbi", "neurons.x-2.py311.1.nbc",
                 "pynn_tinysim_kernels.stamp", "user.f-3.py311.nbi", "neurons.cpython-311.pyc"):
        (tmp_path / name).write_text("")
    long_ago = time.time() - kernels.PRUNE_AFTER_S - 10
    os.utime(old, (long_ago, long_ago))
    os.utime(current, (long_ago, long_ago))
    dispatcher = pytypes.SimpleNamespace(_cache=pytypes.SimpleNamespace(cache_path=str(current)))
    kernels._prune([dispatcher], "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [current.name, recent.name, "other", "user.f-3.py311.nbi", "neurons.cpython-311.pyc"])


def test_hh_stiff_steps_declined_to_the_numpy_step(monkeypatch):
    """HH cells hit by huge conductances (50 uS): the kernel declines those steps (the
    NumPy step integrates them with dopri5), the rest runs compiled."""
    from pynn_tinysim.engine import hh
    calls = []
    original = hh.dopri5
    monkeypatch.setattr(hh, "dopri5", lambda *a, **kw: calls.append(1) or original(*a, **kw))
    results = []
    for engine in ("numpy", "numba"):
        calls.clear()
        sim.setup(timestep=0.1, min_delay=0.1, rng_seed=7, engine=engine)
        cells = sim.Population(6, sim.HH_cond_exp(i_offset=0.3))
        kicks = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0, 12.0, 30.0]))
        sim.Projection(kicks, cells[:2], sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=50.0, delay=0.5))
        cells.record(["spikes", "v", "m", "h", "n"])
        sim.run(40.0)
        segment = cells.get_data().segments[0]
        out = {f"spikes {i}": np.asarray(t.magnitude) for i, t in enumerate(segment.spiketrains)}
        out.update({s.name: np.asarray(s.magnitude) for s in segment.analogsignals})
        assert np.isfinite(out["v"]).all()
        results.append((out, len(calls)))
        sim.end()
    (reference, n_adaptive), (compiled, n_adaptive_compiled) = results
    assert n_adaptive > 0 and n_adaptive_compiled == n_adaptive
    _assert_identical(reference, compiled, TOLERANCE.get("HH_cond_exp"))
