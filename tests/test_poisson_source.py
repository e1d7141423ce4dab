"""SpikeSourcePoisson drawn step by step (engine/sources.py ``PoissonSource``,
engine/kernels/poisson.py): NEST's poisson_generator semantics (a Poisson count per
cell and step, on the grid), against closed forms, and the same bits from the NumPy
step, the compiled step and the compiled stretches (which stop for a step whose
counts do not fit their buffers: the step loop runs it)."""

import numpy as np
import pytest
from scipy import stats

import pyNN.tinysim as sim
from pynn_tinysim.engine import keyed, sources
from pynn_tinysim.engine import stretch as stretch_module
from pynn_tinysim.engine.kernels import poisson as poisson_kernels
from pynn_tinysim.engine.network import Network

DT = 0.1


@pytest.mark.parametrize("lam", [1e-3, 0.37, 1.6, 8.0])
def test_inversion_is_the_poisson_quantile(lam):
    """invert(u) = the smallest c with P(X <= c) > u: scipy's Poisson ppf, away from
    the (measure-zero) boundaries, where float sums may round either way."""
    u = np.random.default_rng(4).random(20000)
    want = stats.poisson.ppf(u, lam).astype(np.int64)
    got = sources._invert(u, np.full(u.size, lam), np.full(u.size, np.exp(-lam)))
    near = np.abs(stats.poisson.cdf(want - 1, lam) - u) < 1e-12
    np.testing.assert_array_equal(got[~near], want[~near])
    one = [poisson_kernels.invert(x, lam, np.exp(-lam)) for x in u[:200]]
    np.testing.assert_array_equal(one, got[:200])


def test_keyed_uniform_of_the_kernel_is_keyed_uniform():
    """kernels.poisson.step_uniform, compiled and not, is keyed.uniform of (cell, step)
    and, for the pieces after the first, of (cell, step, piece)."""
    pytest.importorskip("numba")
    from pynn_tinysim.engine import kernels
    key = keyed.new_key(np.random.default_rng(9))
    cells, steps = np.arange(50) * 7919, np.arange(50) * 104729 + 3
    hashes = keyed.chain(key, cells)
    compiled = kernels.load().step_uniform
    for piece in (0, 2):
        want = keyed.uniform(key, cells, steps, *([piece] if piece else []))
        for step_uniform in (compiled.py_func, compiled):
            with np.errstate(over="ignore"):    # uint64 scalars wrap, as the hash needs
                got = [step_uniform(h, int(s), piece) for h, s in zip(hashes, steps)]
            np.testing.assert_array_equal(got, want)


def _counts(rate, start, duration, n_cells, n_steps, seed=3):
    """counts[k, j]: spikes of cell j at step k (stamped k + 1)."""
    net = Network(dt=DT, seed=seed, engine="numpy")
    group, _, _ = net.add_neurons(
        sources.PoissonSource, n_cells,
        {"rate": np.full(n_cells, rate), "start": np.full(n_cells, start),
         "duration": np.full(n_cells, duration)}, {})
    net.record_spikes(group, np.arange(n_cells))
    net.run(n_steps)
    stamps, neurons = group.spike_recorder.get()
    counts = np.zeros((n_steps, n_cells), np.int64)
    np.add.at(counts, (stamps - 1, neurons), 1)
    return counts


@pytest.mark.parametrize("rate", [16000.0, 200000.0])    # 1.6 and 20 (2.5 pieces) a step
def test_counts_per_step_are_poisson(rate):
    lam = rate * DT / 1000.0
    counts = _counts(rate, 0.0, 1e9, 400, 50).ravel()
    values = np.arange(int(lam + 6 * np.sqrt(lam)) + 1)
    observed = np.array([np.sum(counts == v) for v in values[:-1]]
                        + [np.sum(counts >= values[-1])])
    expected = counts.size * np.append(stats.poisson.pmf(values[:-1], lam),
                                       stats.poisson.sf(values[-1] - 1, lam))
    keep = expected > 5
    chi2 = np.sum((observed[keep] - expected[keep]) ** 2 / expected[keep])
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3
    # independent steps: counts of consecutive steps are uncorrelated
    per_step = counts.reshape(50, 400)
    assert abs(np.corrcoef(per_step[:-1].ravel(), per_step[1:].ravel())[0, 1]) < 0.03


def test_steps_cut_by_start_and_end_get_their_share():
    """Active on (0.33, 0.33 + 0.52] ms: step 3 holds 0.07 ms of it, steps 4-7 whole,
    step 8 (0.8, 0.9] holds 0.05 ms; no spike outside."""
    rate, n = 20000.0, 4000
    counts = _counts(rate, 0.33, 0.52, n, 12)
    share = np.zeros(12)
    share[3], share[4:8], share[8] = 0.07, 0.1, 0.05
    mean = rate / 1000.0 * share * n
    got = counts.sum(axis=1)
    assert np.all(got[share == 0] == 0)
    assert np.all(np.abs(got - mean)[share > 0] < 5 * np.sqrt(mean[share > 0]))


def _network(engine, rates=(10.0, 200000.0), split=True):
    sim.setup(timestep=DT, engine=engine, progress=False, min_delay=0.1)
    rng = sim.NumpyRNG(1)
    src = sim.Population(30, sim.SpikeSourcePoisson(
        rate=sim.RandomDistribution("uniform", rates, rng=rng), start=0.33, duration=60.07))
    cells = sim.Population(20, sim.IF_curr_exp())
    sim.Projection(src, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.05, delay=0.5))
    src.record("spikes")
    cells.record(["spikes", "v"])
    for t in ([20.0, 30.0] if split else [50.0]):
        sim.run(t)
    src[:10].set(rate=500.0)            # acts from the next step on
    sim.run(25.0)
    sim.reset()
    sim.run(30.0)
    out = {}
    for i, segment in enumerate(src.get_data().segments):
        out[f"src {i}"] = np.concatenate([np.asarray(s) for s in segment.spiketrains])
    for i, segment in enumerate(cells.get_data().segments):
        out[f"v {i}"] = segment.analogsignals[0].magnitude
        out[f"cells {i}"] = np.concatenate([np.asarray(s) for s in segment.spiketrains])
    sim.end()
    return out


@pytest.mark.parametrize("buffers", ["large", "tiny"])
def test_compiled_stretches_draw_the_numpy_counts(buffers, monkeypatch):
    """The step loop (NumPy) and the compiled stretches give the same bits: split runs,
    a rate set between runs, off-grid start and end, a reset. With tiny buffers, many
    steps' counts do not fit even empty buffers: those run in the step loop."""
    pytest.importorskip("numba")
    reference = _network("numpy", split=False)
    if buffers == "tiny":
        monkeypatch.setattr(stretch_module, "RECORD_BUFFER", 0)
        monkeypatch.setattr(stretch_module, "POISSON_MARGIN", 0)
    calls = []
    run = stretch_module.CompiledStretch.run
    monkeypatch.setattr(stretch_module.CompiledStretch, "run",
                        lambda self, k, end: calls.append(k) or run(self, k, end))
    compiled = _network("numba")
    assert len(calls) >= 4 if buffers == "large" else len(calls) > 100, len(calls)
    assert sorted(reference) == sorted(compiled)
    for key in reference:
        np.testing.assert_array_equal(reference[key], compiled[key], err_msg=key)
    assert reference["src 0"].size > 10000 and reference["cells 0"].size > 20
    assert not np.array_equal(reference["src 0"][:100], reference["src 1"][:100])  # reset


def test_no_draws_outside_the_active_steps(monkeypatch):
    """A source active for 4 ms of a 100 ms run draws nothing outside them (the NumPy
    step skips the steps where no cell can spike), and its spikes are those of a run
    that draws every step."""
    original_counts = sources.PoissonSource.counts
    original_propagators = sources.PoissonSource._compute_propagators

    def run(every_step):
        drawn = []
        monkeypatch.setattr(sources.PoissonSource, "counts",
                            lambda self, k: drawn.append(k) or original_counts(self, k))

        def propagators(self, dt):
            original_propagators(self, dt)
            if every_step:
                self._live_steps = (0, 10 ** 9)
        monkeypatch.setattr(sources.PoissonSource, "_compute_propagators", propagators)
        sim.setup(timestep=DT, rng_seed=5, engine="numpy")
        kick = sim.Population(30, sim.SpikeSourcePoisson(rate=400.0, start=1.0, duration=4.0))
        kick.record("spikes")
        sim.run(100.0)
        trains = [np.asarray(t) for t in kick.get_data().segments[0].spiketrains]
        sim.end()
        return drawn, trains

    drawn, trains = run(every_step=False)
    assert drawn and min(drawn) >= 10 and max(drawn) < 50     # (1 ms, 5 ms]: steps 10-49
    assert sum(t.size for t in trains) > 20
    all_drawn, all_trains = run(every_step=True)
    assert max(all_drawn) == 999
    for a, b in zip(trains, all_trains):
        np.testing.assert_array_equal(a, b)


def _inverted_counts(cell_hash, k, lam, pieces):
    """Each cell's count at step k by kernels.poisson.invert itself, piece by piece."""
    invert = getattr(poisson_kernels.invert, "py_func", poisson_kernels.invert)
    uniform = getattr(poisson_kernels.step_uniform, "py_func", poisson_kernels.step_uniform)
    return np.array([sum(invert(uniform(h, k, piece), m, np.exp(-m)) for piece in range(p))
                     for h, m, p in zip(cell_hash, lam, pieces)], np.int64)


@pytest.mark.parametrize("compiled", [True, False])
def test_tabulated_inversion_gives_invert_counts(compiled, monkeypatch):
    """poisson_counts keeps invert's partial sums per mean (runs of cells sharing one):
    the same counts as invert for means that repeat and change from cell to cell, that
    underflow (a term of 0 ends the inversion), reach counts past the table (the pure
    Python function with a table of 3 terms: its extension and invert's fallback) and
    are drawn in pieces."""
    rng = np.random.default_rng(4)
    lam = np.repeat([1e-300, 1e-30, 0.01, 1.64, 2.32, 7.9, 8.0, 800.0], 40)
    lam[::7] = rng.random(lam[::7].size) * 8.0
    n = lam.size
    pieces = np.ones(n, np.int64)
    pieces[::11] = 2
    seg_from = np.zeros((3, n), np.int64)
    seg_to = np.zeros((3, n), np.int64)
    seg_to[1] = 10**6
    seg_lam = np.zeros((3, n))
    seg_lam[1] = lam
    seg_exp = np.ones((3, n))
    seg_exp[1] = np.exp(-lam)
    seg_pieces = np.ones((3, n), np.int64)
    seg_pieces[1] = pieces
    cell_hash = rng.integers(0, 2**63, n).astype(np.uint64)
    if compiled:
        pytest.importorskip("numba")
        from pynn_tinysim.engine import kernels
        counts = kernels.load().poisson_counts
        table = np.zeros(poisson_kernels.TABLE)
    else:
        counts = getattr(poisson_kernels.poisson_counts, "py_func",
                         poisson_kernels.poisson_counts)
        table = np.zeros(3)     # (short: counts past it are inverted one by one)
    beyond = 0
    for k in range(0, 40):
        out = np.zeros(n, np.int64)
        with np.errstate(over="ignore"):    # (the hash's uint64 arithmetic wraps)
            total = counts(cell_hash, k, seg_from, seg_to, seg_lam, seg_exp, seg_pieces,
                           out, np.zeros(n, np.int64), table)
            want = _inverted_counts(cell_hash, k, lam, pieces)
        assert np.array_equal(out, want)
        assert total == want.sum()
        beyond += int(np.count_nonzero(want > 3))
    assert beyond > 100
