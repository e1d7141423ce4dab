"""The flavour's Maass stochastic threshold (IFCondExpStoc) compiled, against its NumPy tick.

The kernels (kernels/spinnaker.py's ``_maass_draws``, ``_maass_fixed``,
``_maass_float``) draw each tick's 16-bit numbers from the group's NumPy Generator
inside Numba and decide by per-cell onsets the NumPy code found; the NumPy tick
(``MaassStochasticThreshold.crossed``) draws the same numbers with NumPy and
computes the board's rule with NumPy's exp. Spikes, every v and gsyn sample, the
final state and the generator's state after the run must be equal exactly, in fixed
point and in float64: several seeds, Poisson input, a second run(), a reset, a
coarse time step, cells whose v crosses the onset and the cap, the step loop (mixed
with another flavour model) and compiled stretches. The compiled runs are checked to
have made no NumPy decision (``crossed`` never called). Two threads: the same bits.
"""

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pyNN.tinysim.spinnaker import extra_models
from pynn_tinysim import simulator
from pynn_tinysim.engine import kernels
from pynn_tinysim.engine.spinnaker import extra_neurons
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")

N = 40


def _network(engine, fixed_point, seed, dt=1.0, mixed=False):
    """IFCondExpStoc cells (du_th, tau_th, offsets per cell: v from well below the onset
    to above the cap) with Poisson input and recurrence, run 60 ms + 46 ms, reset, 30 ms;
    ``mixed``: an IF_curr_exp population in the same network (no stretch: both groups'
    kernels run in the step loop). Returns what was recorded, the final state and the
    generator's state, and how many NumPy decisions and stretches there were."""
    sim.setup(timestep=dt, min_delay=dt, rng_seed=seed, fixed_point=fixed_point, engine=engine)
    cells = sim.Population(N, extra_models.IFCondExpStoc(
        tau_m=15.0, cm=0.5, tau_refrac=2.0, v_rest=-65.0, v_thresh=-52.0, v_reset=-70.0,
        tau_syn_E=3.0, tau_syn_I=5.0, du_th=np.linspace(0.3, 2.0, N),
        tau_th=np.linspace(4.0, 60.0, N)[::-1],
        # resting v from -60 mV (silent but for draws of 0) to -45 mV (past the cap)
        i_offset=np.linspace(0.17, 0.67, N)), label="stoc")
    cells.initialize(v=np.linspace(-70.0, -48.0, N))
    noise = sim.Population(25, sim.SpikeSourcePoisson(rate=80.0), label="noise")
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(seed)),
                   sim.StaticSynapse(weight=0.02, delay=dt))
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(seed + 1)),
                   sim.StaticSynapse(weight=0.03, delay=2 * dt), receptor_type="inhibitory")
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(seed + 2)),
                   sim.StaticSynapse(weight=0.01, delay=2 * dt))
    pops = [cells, noise]
    if mixed:
        other = sim.Population(15, sim.IF_curr_exp(i_offset=0.8, tau_refrac=2.0,
                                                   v_thresh=-55.0), label="lif")
        sim.Projection(cells, other, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(4)),
                       sim.StaticSynapse(weight=0.5, delay=dt))
        sim.Projection(other, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(5)),
                       sim.StaticSynapse(weight=0.02, delay=dt))
        other.record(["spikes", "v"])
        pops.append(other)
    cells.record(["spikes", "v", "gsyn_exc", "gsyn_inh"])
    noise.record("spikes")
    decisions, stretches = [], []
    crossed, run = extra_neurons.MaassStochasticThreshold.crossed, CompiledStretch.run
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extra_neurons.MaassStochasticThreshold, "crossed",
                      lambda self, v: decisions.append(1) or crossed(self, v))
        patch.setattr(CompiledStretch, "run",
                      lambda self, k, k_end: stretches.append(k) or run(self, k, k_end))
        sim.run(60.0)
        # between runs: a new offset, and new onsets (tau_th, du_th) for some cells
        cells[:5].set(i_offset=0.6, tau_th=2.0)
        cells[-5:].set(du_th=3.0)
        sim.run(46.0)
        group = simulator.state.network.groups[cells.celltype.engine_model]
        out = {"state before reset": str(group.random().bit_generator.state)}
        sim.reset()
        sim.run(30.0)
    for pop in pops:
        for s, segment in enumerate(pop.get_data().segments):
            for i, train in enumerate(segment.spiketrains):
                out[f"{pop.label} {s} spikes {i}"] = np.asarray(train.magnitude)
            for signal in segment.analogsignals:
                out[f"{pop.label} {s} {signal.name}"] = np.asarray(signal.magnitude)
    for name, values in group.state.items():
        out[f"final {name}"] = values.copy()
    out["state"] = str(group.random().bit_generator.state)
    n_spikes = sum(len(v) for k, v in out.items() if k.startswith("stoc") and "spikes" in k)
    sim.end()
    return out, n_spikes, len(decisions), len(stretches)


def _compare(fixed_point, seed, **kwargs):
    reference, n_spikes, numpy_decisions, _ = _network("numpy", fixed_point, seed, **kwargs)
    compiled, _, compiled_decisions, stretches = _network("numba", fixed_point, seed, **kwargs)
    assert n_spikes > 100 and numpy_decisions > 0       # active, and the NumPy tick ran
    assert compiled_decisions == 0                      # every decision compiled
    assert sorted(reference) == sorted(compiled)
    for key in reference:
        if isinstance(reference[key], str):
            assert reference[key] == compiled[key], key
            continue
        assert reference[key].shape == compiled[key].shape, key
        same = reference[key] == compiled[key]
        assert same.all(), f"{key}: {np.count_nonzero(~same)} values differ"
    return reference, stretches


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
@pytest.mark.parametrize("seed", [1, 22, 333])
def test_maass_identical_in_stretches(fixed_point, seed):
    reference, stretches = _compare(fixed_point, seed)
    assert stretches        # compiled stretches ran
    # the cells fire at all levels: below the onset (draws of 0), stochastic, capped
    counts = np.array([reference[f"stoc 0 spikes {i}"].size for i in range(N)])
    assert counts[:5].sum() < counts[-5:].sum() and counts[-1] > 10


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
def test_maass_identical_mixed_in_the_step_loop(fixed_point):
    _, stretches = _compare(fixed_point, 5, mixed=True)
    assert not stretches    # two neuron groups: both kernels run in the step loop


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
@pytest.mark.parametrize("dt", [0.5, 2.0])
def test_maass_identical_at_other_time_steps(fixed_point, dt):
    _compare(fixed_point, 9, dt=dt)


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
def test_onsets_are_where_the_numpy_rule_becomes_sure(fixed_point):
    """Each cell's onset: the NumPy rule is a draw of 0 only just below it, any draw
    from it (fixed point: one s16.15 step either side; float64: adjacent values)."""
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    cells = sim.Population(7, extra_models.IFCondExpStoc(
        du_th=[0.1, 0.5, 0.5, 1.0, 2.0, 0.5, 5.0], tau_th=[20.0, 20.0, 3.0, 50.0, 7.0, 1e6, 1.0]))
    sim.run(1.0)
    threshold = cells._group.threshold
    onset = threshold.kernel_arguments(np.random.default_rng(0))[2]
    below = onset - 1 if fixed_point else np.nextafter(onset, -np.inf)
    # tau_th = 1e6 (a tiny hazard): no sure spike below the cap (the onset is the cap)
    cap = 5 * 32768 if fixed_point else 5.0
    sure = np.arange(7) != 5
    assert np.all(onset[sure] < cap) and onset[5] == cap
    assert np.all(threshold._sure(onset)[sure]) and not np.any(threshold._sure(below))
    assert np.all(threshold.level(below) == 0)
    if fixed_point:     # from the onset every draw fires (the wrapped result, u16.16)
        assert np.all(threshold.level(onset)[sure] > 65535)
    else:
        assert np.all(threshold.level(onset)[sure] < 0)
    sim.end()


def test_negative_tau_th_keeps_the_numpy_tick():
    """tau_th < 0 (exp below 1: a probability, not a wrapped result): no onsets, so
    the group has no kernel."""
    sim.setup(timestep=1.0)
    cells = sim.Population(3, extra_models.IFCondExpStoc(tau_th=[-20.0, 20.0, 20.0]))
    sim.run(1.0)
    assert cells._group.compiled_kernel() is None
    sim.end()


def _at_the_boundaries(engine, fixed_point, tau_th):
    """Cells whose exponent is, every tick, exactly a boundary of the rule: one step (an
    s16.15 bit, or the adjacent float64) below and at the onset and at the cap (no
    input, v_thresh 0, du_th 1: the exponent is v_rest, where v stays); spike counts."""
    sim.setup(timestep=1.0, fixed_point=fixed_point, engine="numpy")
    probe = sim.Population(1, extra_models.IFCondExpStoc(du_th=1.0, tau_th=tau_th))
    sim.run(1.0)
    onset = probe._group.threshold.kernel_arguments(np.random.default_rng(0))[2][0]
    sim.end()
    step = (lambda x, d: x + d / 32768.0) if fixed_point else (
        lambda x, d: np.nextafter(x, d * np.inf))
    onset = onset / 32768.0 if fixed_point else onset
    v = np.array([step(onset, -1), onset, step(onset, 1), step(5.0, -1), 5.0, step(5.0, 1)])
    sim.setup(timestep=1.0, fixed_point=fixed_point, engine=engine, rng_seed=11)
    cells = sim.Population(v.size, extra_models.IFCondExpStoc(
        du_th=1.0, tau_th=tau_th, v_thresh=0.0, v_rest=v, v_reset=v, i_offset=0.0))
    cells.initialize(v=v)
    cells.record("spikes")
    sim.run(300.0)
    counts = [len(t) for t in cells.get_data().segments[0].spiketrains]
    sim.end()
    return counts


@pytest.mark.parametrize("fixed_point", [True, False], ids=["fixed", "float"])
def test_decisions_at_the_onset_and_the_cap(fixed_point):
    for tau_th in (20.0, 3.0):
        counts = _at_the_boundaries("numpy", fixed_point, tau_th)
        assert counts == _at_the_boundaries("numba", fixed_point, tau_th)
        # below the onset only a draw of 0; from it every tick; from the cap 80 %
        assert counts[0] <= 1 and counts[1:4] == [300] * 3
        assert 200 < counts[4] < 280 and 200 < counts[5] < 280


def _threaded(engine, threads):
    """4000 cells (over kernels.PARALLEL_MIN_NEURONS, lowered by the test): on two
    threads the kernel updates the cells in chunks, after drawing every cell's number in
    order."""
    sim.setup(timestep=1.0, rng_seed=3, engine=engine, threads=threads)
    noise = sim.Population(50, sim.SpikeSourcePoisson(rate=50.0))
    cells = sim.Population(4000, extra_models.IFCondExpStoc(
        i_offset=np.linspace(0.5, 0.8, 4000), tau_refrac=2.0, v_reset=-70.0))
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.02, delay=1.0))
    cells.record(["spikes", "v"])
    sim.run(40.0)
    segment = cells.get_data().segments[0]
    out = (np.concatenate([np.asarray(t.magnitude) for t in segment.spiketrains]),
           np.asarray(segment.filter(name="v")[0].magnitude))
    sim.end()
    return out


@pytest.mark.slow       # the threaded variant compiles (~5 s)
def test_maass_on_two_threads_identical(monkeypatch):
    monkeypatch.setattr(kernels, "PARALLEL_MIN_NEURONS", 1000)
    reference = _threaded("numpy", 1)
    compiled = _threaded("numba", 2)
    assert reference[0].size > 1000
    assert np.array_equal(reference[0], compiled[0]) and np.array_equal(reference[1], compiled[1])
