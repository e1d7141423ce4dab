"""The sPyNNaker flavour's compiled tick (kernels/spinnaker.py) against its NumPy tick, bit for bit.

Each flavour model with a kernel runs the same small network on ``engine="numpy"``
and on ``engine="numba"``, in fixed point (the default) and in float64
(``fixed_point=False``): spike trains, every recorded v/gsyn sample and the final
state must be equal exactly (integer arithmetic in fixed point; the same float
operations in the same order otherwise). The networks hold the awkward cases:
refractoriness (whole ticks, input arriving during it), a run split in two, a
reset, state set between runs, ring-buffer entries clipped at the saturation level
(weights far above what 16 bits hold), inputs and offsets that push the membrane
out of the s16.15 range, current sources on some cells, and recording at every
tick (sampled inside compiled stretches) and at a longer interval (the step loop);
a Poisson source sending several spikes per cell and tick (which compiled stretches
leave to the step loop). The board-recorded values of
tests/test_spinnaker_board_recordings.py are checked on the compiled engine too.
"""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pyNN.tinysim.spinnaker import extra_models
from pynn_tinysim import simulator
from pynn_tinysim.engine import kernels
from pynn_tinysim.engine.spinnaker import groups
from pynn_tinysim.engine.stretch import CompiledStretch
from slow import fast_few

pytest.importorskip("numba")

#: model -> (cell type, parameters, excitatory weight, inhibitory weight, initial values)
MODELS = {
    "IF_curr_exp": (sim.IF_curr_exp, dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9,
                                          v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0,
                                          tau_syn_E=2.0, tau_syn_I=4.0), 0.6, 0.9, {}),
    "IF_cond_exp": (sim.IF_cond_exp, dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9,
                                          v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0,
                                          tau_syn_E=2.0, tau_syn_I=4.0), 0.03, 0.06, {}),
    "Izhikevich": (sim.Izhikevich, dict(a=0.02, b=0.2, c=-65.0, d=6.0, i_offset=4.5,
                                        tau_syn_E=3.0, tau_syn_I=5.0), 3.0, 4.0,
                   {"u": -13.0}),
    "Izhikevich_cond": (extra_models.Izhikevich_cond,
                        dict(a=0.02, b=0.2, c=-65.0, d=6.0, i_offset=4.5, tau_syn_E=3.0,
                             tau_syn_I=5.0), 0.05, 0.08, {"u": -13.0}),
    "IF_curr_alpha": (sim.IF_curr_alpha, dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9,
                                              v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0,
                                              tau_syn_E=2.0, tau_syn_I=4.0), 0.6, 0.9, {}),
    "IF_curr_delta": (sim.IF_curr_delta, dict(tau_m=12.0, cm=0.5, tau_refrac=2.0,
                                              i_offset=0.9, v_rest=-65.0, v_thresh=-52.0,
                                              v_reset=-70.0), 2.0, 3.0, {}),
    "IF_curr_dual_exp": (extra_models.IF_curr_dual_exp,
                         dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9, v_rest=-65.0,
                              v_thresh=-52.0, v_reset=-70.0, tau_syn_E=2.0, tau_syn_E2=7.0,
                              tau_syn_I=4.0), 0.6, 0.9, {}),
    "IFCurrExpCa2Adaptive": (extra_models.IFCurrExpCa2Adaptive,
                             dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=1.6,
                                  v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0, tau_syn_E=2.0,
                                  tau_syn_I=4.0, tau_ca2=40.0, i_alpha=0.15), 0.6, 0.9,
                             {"i_ca2": 0.05}),
    "IFCurrDeltaFixedProb": (extra_models.IFCurrDeltaFixedProb,
                             dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9,
                                  v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0, p_thresh=0.3),
                             2.0, 3.0, {}),
    "IF_curr_exp_sEMD": (extra_models.IF_curr_exp_sEMD,
                         dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.9, v_rest=-65.0,
                              v_thresh=-52.0, v_reset=-70.0, tau_syn_E=2.0, tau_syn_E2=7.0,
                              tau_syn_I=4.0, scaling_factor=3.0), 0.6, 0.9, {}),
    # the Maass stochastic threshold: v held a few mV under v_thresh by the offset, where
    # the draws decide (du_th, tau_th differ between cells: each its own onset)
    "IFCondExpStoc": (extra_models.IFCondExpStoc,
                      dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.45, v_rest=-65.0,
                           v_thresh=-52.0, v_reset=-70.0, tau_syn_E=2.0, tau_syn_I=4.0,
                           du_th=np.linspace(0.3, 1.5, 60), tau_th=np.linspace(5.0, 40.0, 60)),
                      0.03, 0.06, {}),
    "IFTruncDelta": (extra_models.IFTruncDelta,
                     dict(tau_m=12.0, cm=0.5, tau_refrac=2.0, i_offset=0.05, v_thresh=-52.0,
                          v_reset=-70.0), 1.5, 1.0, {}),
}


def _network(model, engine, fixed_point=True, dt=1.0, split=True, reset=True, sampling=None,
             currents="dc", extreme=False, expect_stretch=True):
    """Run a small recurrent network of ``model`` on the flavour; return what it recorded.

    ``currents``: "dc" (DC/step sources: compiled stretches run between their changes),
    "ac" (an AC source: no stretch, the group's kernel runs in the step loop), None;
    ``extreme``: weights far above the ring buffer's saturation level and a few cells
    driven by huge offsets (out of the s16.15 range).
    """
    celltype, params, w_exc, w_inh, initial = MODELS[model]
    sim.setup(timestep=dt, min_delay=dt, rng_seed=7, fixed_point=fixed_point, engine=engine)
    n = 60
    params = dict(params)
    if extreme:
        offsets = np.full(n, params["i_offset"])
        offsets[-3:] = [300.0, -5000.0, 5000.0]   # v far outside +-65536 mV
        params["i_offset"] = offsets
    extra = {}
    if extreme:     # a small ring-buffer scale: entries saturate (fixed point)
        extra["max_expected_summed_weight"] = [w_exc] * len(celltype.receptor_types)
    cells = sim.Population(n, celltype(**params), label="cells", **extra)
    cells.initialize(v=np.linspace(-72.0, -50.0, n), **initial)
    noise = sim.Population(30, sim.SpikeSourcePoisson(rate=60.0), label="noise")
    receptors = cells.celltype.receptor_types
    scale = 50.0 if extreme else 1.0
    # the same receptor and delay from two projections: sums whose order matters
    for i, receptor in enumerate(receptors):
        w = w_inh if receptor == "inhibitory" else w_exc
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.25, rng=sim.NumpyRNG(i)),
                       sim.StaticSynapse(weight=w * 1.03 * scale, delay=2 * dt),
                       receptor_type=receptor)
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.15, rng=sim.NumpyRNG(9)),
                   sim.StaticSynapse(weight=w_exc * 0.37 * scale, delay=2 * dt),
                   receptor_type="excitatory")
    array = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 6.0, 71.0], [40.0]]))
    sim.Projection(array, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=w_exc * 4 * scale, delay=dt))
    if currents == "dc":
        sim.DCSource(start=20.0, stop=60.0, amplitude=0.35).inject_into(cells[:20])
        sim.StepCurrentSource(times=[10.0, 45.0], amplitudes=[0.3, -0.25]).inject_into(
            cells[15:40])
    elif currents == "ac":
        sim.ACSource(start=10.0, stop=90.0, amplitude=0.3, frequency=40.0).inject_into(
            cells[20:50])
    cells[3:55].record("spikes")            # some cells only: the recorders' masks
    if sampling is None:
        cells.record(["v", "gsyn_exc", "gsyn_inh"])
    else:
        cells[10:40].record(["v", "gsyn_exc", "gsyn_inh"], sampling_interval=sampling)
    noise.record("spikes")
    stretches = []
    original = CompiledStretch.run
    if engine == "numba":       # note whether the run goes through compiled stretches
        CompiledStretch.run = lambda self, k, k_end: stretches.append(k) or original(
            self, k, k_end)
    try:
        if split:
            sim.run(37.0)
            cells[:10].set(i_offset=1.7 if "Izhikevich" not in model else 6.0)
            cells[50:].initialize(v=-51.0)
            sim.run(63.0)
        else:
            sim.run(100.0)
        if reset:
            sim.reset()
            sim.run(50.0)
    finally:
        CompiledStretch.run = original
    if engine == "numba":
        assert bool(stretches) == expect_stretch
    out = {}
    for pop in (cells, noise):
        for s, segment in enumerate(pop.get_data().segments):
            for i, train in enumerate(segment.spiketrains):
                out[f"{pop.label} {s} spikes {i}"] = np.asarray(train.magnitude)
            for signal in segment.analogsignals:
                out[f"{pop.label} {s} {signal.name}"] = np.asarray(signal.magnitude)
    net_group = simulator.state.network.groups[cells.celltype.engine_model]
    for name, values in net_group.state.items():
        out[f"final {name}"] = values.copy()
    n_spikes = sum(v.size for k, v in out.items() if k.startswith("cells") and "spikes" in k)
    sim.end()
    return out, n_spikes


def _assert_identical(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        assert a[key].shape == b[key].shape, key
        same = (a[key] == b[key]) | (np.isnan(a[key]) & np.isnan(b[key]))
        assert same.all(), f"{key}: {np.count_nonzero(~same)} values differ"


def _compare(model, **kwargs):
    reference, n_spikes = _network(model, "numpy", **kwargs)
    compiled, _ = _network(model, "numba", **kwargs)
    assert n_spikes > 50        # the networks are active: spikes and resets are compared
    _assert_identical(reference, compiled)
    return reference


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
@pytest.mark.parametrize("model", fast_few(sorted(MODELS), ["IF_curr_exp", "Izhikevich",
                                                              "IF_cond_exp"]))
def test_flavour_model_identical_on_both_engines(model, fixed_point):
    """Compiled stretches (DC/step currents, v and gsyn sampled every tick), a split run
    with parameters and state set in between, a reset."""
    reference = _compare(model, fixed_point=fixed_point)
    if "final i_ca2" in reference:      # the Ca2+ adaptation current is exercised
        assert np.ptp(reference["final i_ca2"]) > 0
    if "final multiplicator" in reference:  # the sEMD's multiplicator too
        assert np.ptp(reference["final multiplicator"]) > 0
        assert np.ptp(reference["cells 0 gsyn_exc"]) > 0


@pytest.mark.parametrize("model", ["IF_curr_exp", "Izhikevich", "IF_cond_exp", "IFCondExpStoc"])
def test_kernel_in_the_step_loop_identical(model, monkeypatch):
    """Stretches turned off: the kernel runs in the step loop; an AC source, sampling
    every 3 ticks."""
    monkeypatch.setattr(CompiledStretch, "for_run", classmethod(lambda cls, *a, **kw: None))
    _compare(model, currents="ac", sampling=3.0, expect_stretch=False)


@pytest.mark.parametrize("sampling", [2.0, 3.0, 7.0])
@pytest.mark.parametrize("model", ["IF_curr_exp", "Izhikevich", "IF_cond_exp"])
def test_gsyn_sampled_at_longer_intervals_in_stretches(model, sampling):
    """v and gsyn every 2, 3, 7 ticks (gsyn labelled t is taken after step t, a step
    after the grid: LeadingSignalRecorder) sampled inside compiled stretches, with an
    AC source, a split run (at 37 ticks: off every grid), a reset."""
    reference = _compare(model, currents="ac", sampling=sampling, expect_stretch=True)
    assert any("gsyn_exc" in key for key in reference)


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
@pytest.mark.parametrize("model", ["IF_curr_exp", "Izhikevich", "IF_cond_exp", "IFTruncDelta",
                                   "IF_curr_alpha", "IFCurrExpCa2Adaptive",
                                   "IF_curr_exp_sEMD", "IFCondExpStoc"])
def test_saturation_and_overflow_identical(model, fixed_point):
    """Weights 50x larger with a small ring-buffer scale (entries clipped at the
    saturation level in fixed point) and huge offsets on a few cells (v out of the
    s16.15 range: IF_curr_exp to -120000 mV, IF_cond_exp to -31600 mV; Izhikevich and
    IFTruncDelta cells spiking every tick): the kernels follow the NumPy code there too."""
    clipped = []
    step = groups.SpiNNakerNeuronGroup.step

    def counting_step(self, k, inputs):     # the NumPy run: how many entries saturate
        clipped.append(np.count_nonzero(inputs > self._saturation))
        return step(self, k, inputs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(groups.SpiNNakerNeuronGroup, "step", counting_step)
        reference, _ = _network(model, "numpy", fixed_point=fixed_point, extreme=True,
                                currents=None)
    compiled, _ = _network(model, "numba", fixed_point=fixed_point, extreme=True,
                           currents=None)
    _assert_identical(reference, compiled)
    if fixed_point:
        assert sum(clipped) > 20            # the case is reached: entries were clipped
    if model == "IF_curr_exp":
        assert np.abs(reference["final v"]).max() > 65536   # out of the accum range


@pytest.mark.parametrize("model", ["IF_curr_exp", "Izhikevich"])
def test_fine_time_step_identical(model):
    _compare(model, dt=0.1, split=False, reset=False, currents=None)


def test_kernels_cover_the_models_and_decline_the_others():
    """The kernel serves exactly the groups whose four components it computes."""
    with_kernel = {groups.LIFCurrExp, groups.LIFCondExp, groups.LIFCurrDelta,
                   groups.IFTruncDelta, groups.LIFCurrDualExp, groups.IzhikevichCurrExp,
                   groups.IzhikevichCondExp, groups.LIFCurrAlpha}
    from pynn_tinysim.engine.network import Network
    from pynn_tinysim.engine.spinnaker import extra_neurons, settings
    with_kernel |= {extra_neurons.LIFCurrExpCa2Adaptive, groups.LIFCurrDeltaFixedProb,
                    extra_neurons.LIFCurrExpSEMD, extra_neurons.LIFCondExpStoc}
    candidates = [c for module in (groups, extra_neurons) for c in vars(module).values()
                  if isinstance(c, type) and issubclass(c, groups.SpiNNakerNeuronGroup)
                  and c.neuron_model is not None]

    class Declined(groups.LIFCurrExp):      # a tick of its own: the kernel would not run it
        def step(self, k, inputs):
            return super().step(k, inputs)
    candidates.append(Declined)
    assert with_kernel < set(candidates)
    for fixed in (True, False):
        net = Network(dt=1.0, engine="numpy")
        settings.configure(net, settings.FlavourSettings(fixed_point=fixed))
        for cls in candidates:
            params = {name: np.full(3, 2.0) for name in cls.parameter_names}
            params.update(p_thresh=np.full(3, 0.5), tau_refrac=np.full(3, 1.0))
            group, _, _ = net.add_neurons(cls, 3, params,
                                          {name: np.zeros(3) for name in cls.state_names})
            group.prepare(1.0)
            group.start_run(0, 1, 1.0)
            kernel = group.compiled_kernel()
            if cls in with_kernel:
                assert kernel is not None, cls.__name__
                assert kernel[0] == ("spinnaker_fixed" if fixed else "spinnaker_float")
            else:
                assert kernel is None, cls.__name__


def _crowded(engine):
    """A Poisson source at 20 spikes per tick for 30 ms (several events per cell and
    tick), then a slow one: compiled stretches must not take the crowded ticks."""
    sim.setup(timestep=1.0, rng_seed=5, engine=engine)
    fast = sim.Population(2, sim.SpikeSourcePoisson(rate=20000.0, duration=30.0), label="fast")
    slow = sim.Population(3, sim.SpikeSourcePoisson(rate=200.0), label="slow")
    cells = sim.Population(4, sim.IF_curr_exp(v_thresh=-60.0, tau_refrac=3.0), label="cells")
    sim.Projection(fast, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.05))
    sim.Projection(slow, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.4))
    for pop in (fast, slow, cells):
        pop.record("spikes")
    cells.record(["v", "gsyn_exc"])
    stretches = []
    original = CompiledStretch.run

    def noting(self, k, k_end):
        stretches.append((k, original(self, k, k_end)))
        return stretches[-1][1]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CompiledStretch, "run", noting)
        sim.run(80.0)
    out = {}
    for pop in (fast, slow, cells):
        segment = pop.get_data().segments[0]
        for i, train in enumerate(segment.spiketrains):
            out[f"{pop.label} spikes {i}"] = np.asarray(train.magnitude)
        for signal in segment.analogsignals:
            out[f"{signal.name}"] = np.asarray(signal.magnitude)
    sim.end()
    return out, stretches


def test_several_events_per_cell_and_tick_leave_the_stretch():
    reference, _ = _crowded("numpy")
    compiled, stretches = _crowded("numba")
    _assert_identical(reference, compiled)
    assert sum(v.size for k, v in reference.items() if k.startswith("cells")) > 20
    # the crowded ticks (0 .. 29) ran in the step loop, the rest in stretches
    assert all(start == end for start, end in stretches if start < 29)
    assert any(end - start > 10 for start, end in stretches)


@pytest.mark.slow
def test_board_recordings_on_the_compiled_engine():
    """The board's recorded values (tests/test_spinnaker_board_recordings.py, which
    runs on the default engine) reproduced by the compiled kernels too."""
    path = pathlib.Path(__file__).resolve().parent / "test_spinnaker_board_recordings.py"
    env = dict(os.environ, PYNN_TINYSIM_ENGINE="numba")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(path)], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def _threaded(threads, fixed_point):
    """4000 cells (over kernels.PARALLEL_MIN_NEURONS, lowered by the test): updated in
    chunks on ``threads`` threads."""
    sim.setup(timestep=1.0, rng_seed=3, engine="numba", threads=threads,
              fixed_point=fixed_point)
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=50.0))
    cells = sim.Population(4000, sim.IF_curr_exp(i_offset=0.7, tau_refrac=2.0,
                                                 v_thresh=-55.0))
    cells.initialize(v=np.linspace(-70.0, -56.0, 4000))
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=1.5, delay=1.0))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.002, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.4, delay=2.0), receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    sim.run(60.0)
    segment = cells.get_data().segments[0]
    out = (np.concatenate([np.asarray(t.magnitude) for t in segment.spiketrains]),
           np.asarray(segment.filter(name="v")[0].magnitude))
    sim.end()
    return out


@pytest.mark.slow       # the threaded variants of the flavour's kernels compile (~10 s)
@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
def test_threads_give_the_same_bits(fixed_point, monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1000)
    one = _threaded(1, fixed_point)
    two = _threaded(2, fixed_point)
    assert one[0].size > 100
    assert np.array_equal(one[0], two[0]) and np.array_equal(one[1], two[1])
