"""The compiled stochastic synapses (kernels/plasticity.py) against the NumPy rules, bit for bit.

SimpleStochasticSynapse (NEST bernoulli_synapse), StochasticTsodyksMarkramSynapse and
MultiQuantalSynapse draw keyed uniforms (engine/keyed.py); their kernels hash the
same coordinates in Numba. Each network runs on ``engine="numpy"`` and on
``engine="numba"``: spike trains, membrane potentials, weights and every
per-synapse state array (u, R, t_surv, a, the last spike's stamp) must be equal
exactly. The networks hold the awkward cases: Poisson input at a rate that fires an
id several times in one step at a coarse time step (later spikes draw with the
round as a coordinate), repeated (pre, post) pairs (the rank in the pair is a
coordinate), recurrent synapses, a run split in three, reset() and a second run
(a new key), heterogeneous U and p, both receptors. All three run inside compiled
stretches too (tests/test_stretch_plasticity.py's network, with these rules and
with a mix of every kind), with tau_facil/tau_rec per synapse in classes (a decay
table row each), long silent intervals past capped tables, and a t_surv set by
``initialize``; with more values of tau_facil/tau_rec than a table has rows, the
step loop's kernels take NumPy's exp of listed exponents.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import pyNN.tinysim as sim
from pynn_tinysim.engine import keyed, plasticity
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_stretch_plasticity as in_stretches  # noqa: E402
from kernel_spy import count_stretch_steps  # noqa: E402

RULES = (plasticity.SimpleStochastic, plasticity.StochasticTsodyksMarkram,
         plasticity.MultiQuantal)


def _kernel_used(monkeypatch):
    """Count the calls of the compiled deliveries (they must run, not only exist);
    compiled stretches kept off (these rules decline them anyway)."""
    monkeypatch.setattr(CompiledStretch, "for_run", classmethod(lambda cls, *a, **k: None))
    calls = []
    for cls in RULES:
        original = cls.compiled_deliver

        def counting(self, kernels, original=original):
            deliver = original(self, kernels)
            if deliver is None:
                return None

            def wrapped(*args):
                calls.append(type(self).__name__)
                return deliver(*args)
            return wrapped
        monkeypatch.setattr(cls, "compiled_deliver", counting)
    return calls


def _run(engine, synapse, dt=0.1, rate=40.0, receptor="excitatory", protocol=(40.0, 30.0, 50.0),
         reset=True):
    sim.setup(timestep=dt, min_delay=dt, max_delay=4.0, rng_seed=17, engine=engine)
    poisson = sim.Population(30, sim.SpikeSourcePoisson(rate=rate))
    times = [sorted(np.random.default_rng(i).uniform(1.0, 60.0, 12).round(1)) for i in range(8)]
    array = sim.Population(8, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(12, sim.IF_curr_exp(tau_refrac=1.0, tau_m=10.0, i_offset=0.5))
    delay = sim.RandomDistribution("uniform_int", low=1, high=3, rng=sim.NumpyRNG(4))
    rng = sim.NumpyRNG(3)
    projections = [
        sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.5, rng=rng),
                       synapse(delay), receptor_type=receptor),
        # repeated pairs: the connection's rank in its pair is a coordinate of its draws
        sim.Projection(poisson, cells, sim.FixedNumberPreConnector(
            20, with_replacement=True, rng=rng), synapse(1.0), receptor_type=receptor),
        sim.Projection(array, cells, sim.AllToAllConnector(), synapse(delay),
                       receptor_type=receptor),
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.4, rng=rng),
                       synapse(1.0), receptor_type=receptor)]
    cells.record(["spikes", "v"])
    for T in protocol:
        sim.run(T)
    out = [_snapshot(cells, projections)]
    if reset:
        sim.reset()
        sim.run(protocol[0])
        out.append(_snapshot(cells, projections))
    return out


def _snapshot(cells, projections):
    block = cells.get_data().segments[-1]
    spikes = [np.asarray(st.magnitude) for st in block.spiketrains]
    v = np.asarray(block.filter(name="v")[0].magnitude)
    blocks = []
    for prj in projections:
        b = prj._engine_block
        blocks.append({"weight": b.weight.copy(), "_t_last": b._t_last.copy(),
                       **{f"state.{n}": a.copy() for n, a in b.state.items()}})
    return spikes, v, blocks


def _same(a, b):
    assert len(a) == len(b)
    for (spikes_a, v_a, blocks_a), (spikes_b, v_b, blocks_b) in zip(a, b):
        assert len(spikes_a) == len(spikes_b)
        for x, y in zip(spikes_a, spikes_b):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(v_a, v_b)
        for block_a, block_b in zip(blocks_a, blocks_b):
            assert block_a.keys() == block_b.keys()
            for name in block_a:
                np.testing.assert_array_equal(block_a[name], block_b[name], err_msg=name)


def _heterogeneous(low, high, seed):
    return sim.RandomDistribution("uniform", low=low, high=high, rng=sim.NumpyRNG(seed))


SYNAPSES = {
    "simple": lambda w: lambda d: sim.SimpleStochasticSynapse(
        p=_heterogeneous(0.2, 0.9, 5), weight=w, delay=d),
    "stochastic_tm": lambda w: lambda d: sim.StochasticTsodyksMarkramSynapse(
        U=_heterogeneous(0.3, 0.8, 5), tau_rec=_heterogeneous(20.0, 80.0, 6), tau_facil=30.0,
        weight=w, delay=d),
    "stochastic_tm_no_facilitation": lambda w: lambda d: sim.StochasticTsodyksMarkramSynapse(
        U=0.6, tau_rec=40.0, tau_facil=0.0, weight=w, delay=d),
    "multi_quantal": lambda w: lambda d: sim.MultiQuantalSynapse(
        U=_heterogeneous(0.3, 0.8, 5), n=3, tau_rec=60.0, tau_facil=25.0, weight=w, delay=d),
    "multi_quantal_no_facilitation": lambda w: lambda d: sim.MultiQuantalSynapse(
        U=0.5, n=5, tau_rec=30.0, tau_facil=0.0, weight=w, delay=d),
    # time constants from continuous distributions (more values than a table has rows:
    # the listed decays; in classes: tests/test_stretch_plasticity-like cases below)
    "stochastic_tm_continuous": lambda w: lambda d: sim.StochasticTsodyksMarkramSynapse(
        U=0.5, tau_rec=_heterogeneous(20.0, 80.0, 6), tau_facil=_heterogeneous(0.0, 40.0, 7),
        weight=w, delay=d),
    "multi_quantal_continuous": lambda w: lambda d: sim.MultiQuantalSynapse(
        U=_heterogeneous(0.3, 0.8, 5), n=3, tau_rec=_heterogeneous(30.0, 90.0, 6),
        tau_facil=_heterogeneous(0.0, 40.0, 7), weight=w, delay=d),
}


@pytest.mark.parametrize("name", sorted(SYNAPSES))
def test_stochastic_synapses_identical_on_both_engines(name, monkeypatch):
    calls = _kernel_used(monkeypatch)
    for dt, rate, receptor, weight in ((0.1, 40.0, "excitatory", 0.6),
                                       (1.0, 900.0, "inhibitory", -0.4)):
        synapse = SYNAPSES[name](weight)
        numpy_out = _run("numpy", synapse, dt=dt, rate=rate, receptor=receptor)
        assert not calls
        numba_out = _run("numba", synapse, dt=dt, rate=rate, receptor=receptor)
        assert calls
        _same(numpy_out, numba_out)
        calls.clear()
    # the draws did something: some spikes transmitted, some not; the state moved
    blocks = numba_out[0][2]
    if "state.R" in blocks[0]:
        R = np.concatenate([b["state.R"] for b in blocks])
        assert 0 < np.count_nonzero(R == 0.0) < R.size
    if "state.a" in blocks[0]:
        a = np.concatenate([b["state.a"] for b in blocks])
        assert np.unique(a).size > 1


def test_repeated_ids_draw_afresh_on_both_engines(monkeypatch):
    """dt = 1 ms and 900 Hz: a source spikes several times in a step, each spike its own
    draws (the round a coordinate): some synapses transmit twice in one step."""
    calls = _kernel_used(monkeypatch)
    synapse = lambda d: sim.SimpleStochasticSynapse(p=0.5, weight=0.3, delay=d)  # noqa: E731
    numpy_out = _run("numpy", synapse, dt=1.0, rate=900.0, reset=False)
    numba_out = _run("numba", synapse, dt=1.0, rate=900.0, reset=False)
    assert calls
    _same(numpy_out, numba_out)
    rounds = plasticity.spike_rounds(np.array([3, 1, 3, 3, 2, 1]))
    assert [r.tolist() for r in rounds] == [[3, 1, 2], [3, 1], [3]]


def test_keyed_words_as_keyed_py():
    """The kernels' keyed draws are keyed.uniform/binomial of the same coordinates,
    compiled and not (the hash is pinned here; the networks above pin its use)."""
    from pynn_tinysim.engine import kernels
    k = kernels.load()
    key = keyed.new_key(np.random.default_rng(3))
    rng = np.random.default_rng(4)
    pre, post, rank = (rng.integers(0, 2 ** 40, 50) for _ in range(3))
    stamp = rng.integers(0, 2 ** 31, 50)
    expected = keyed.uniform(key, pre, post, rank, stamp, 2, 1)
    for step, unit in ((k._keyed_step.py_func, k._keyed_unit.py_func),
                       (k._keyed_step, k._keyed_unit)):
        got = []
        with np.errstate(over="ignore"):        # (NumPy's scalars warn where words wrap)
            for s in range(50):
                h = key
                for c in (pre[s], post[s], rank[s], stamp[s], 2, 1):
                    h = np.uint64(step(h, int(c)))
                got.append(unit(h))
        np.testing.assert_array_equal(np.array(got), expected)
    # the binomial's trials
    counts = rng.integers(-1, 6, 50)
    p = rng.uniform(0.0, 1.0, 50)
    expected = keyed.binomial(key, np.maximum(counts, 0), p, pre, post, 1)
    with np.errstate(over="ignore"):
        words = [k._keyed_step.py_func(k._keyed_step.py_func(key, int(a)), int(b))
                 for a, b in zip(pre, post)]
        got = [k._keyed_binomial(np.uint64(w), int(c), q, 1)
               for w, c, q in zip(words, counts, p)]
    np.testing.assert_array_equal(got, expected)
    assert 0 < np.count_nonzero(expected) < np.count_nonzero(counts > 0)


def test_no_kernel_where_the_rule_has_none():
    """More distinct values of tau_facil or tau_rec than a decay table takes rows
    (``MAX_TAU_CLASSES``): the step loop's kernels with listed decays, stretches
    decline; up to that many: a kernel, in stretches too."""
    from pynn_tinysim.engine import kernels
    k = kernels.load()
    sim.setup(timestep=0.1, engine="numba")
    pre = sim.Population(6, sim.SpikeSourceArray(spike_times=[[1.0]] * 6))
    post = sim.Population(4, sim.IF_curr_exp())
    many, few = _heterogeneous(10.0, 20.0, 1), _classes(10, 26, 1)  # 24 values; 16
    hetero = [
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.StochasticTsodyksMarkramSynapse(
            tau_facil=many, weight=0.1)),
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.MultiQuantalSynapse(
            tau_rec=many, weight=0.1)),
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.MultiQuantalSynapse(
            tau_facil=many, weight=0.1))]
    plain = [
        sim.Projection(pre, post, sim.AllToAllConnector(),
                       sim.SimpleStochasticSynapse(p=_heterogeneous(0.1, 0.9, 2), weight=0.1)),
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.StochasticTsodyksMarkramSynapse(
            tau_rec=few, tau_facil=few, weight=0.1)),
        sim.Projection(pre, post, sim.AllToAllConnector(), sim.MultiQuantalSynapse(
            U=_heterogeneous(0.1, 0.9, 1), tau_rec=few, tau_facil=few, weight=0.1))]
    listed = sim.Projection(pre, post, sim.AllToAllConnector(),
                            sim.StochasticTsodyksMarkramSynapse(tau_rec=many, weight=0.1))
    sim.run(2.0)
    assert np.unique(hetero[0]._engine_block.params["tau_facil"]).size == 24
    assert np.unique(plain[1]._engine_block.params["tau_rec"]).size <= 16
    for prj in hetero:
        assert prj._engine_block.compiled_deliver(k) is not None
        assert not prj._engine_block.stretch_ready()
    for prj in plain:
        assert prj._engine_block.compiled_deliver(k) is not None
        assert prj._engine_block.stretch_ready()
    assert listed._engine_block.compiled_deliver(k) is not None
    assert not listed._engine_block.stretch_ready()


def _classes(low, high, seed):
    """Whole values in [low, high): a few classes of a time constant."""
    return sim.RandomDistribution("uniform_int", low=low, high=high, rng=sim.NumpyRNG(seed))


def test_intervals_beyond_the_tables_left_to_numpy(monkeypatch):
    """Tables capped at 1024 entries with a slow facilitation: the steps whose interval
    passes the cap run the NumPy rule on the same state, the others the kernel."""
    monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)
    synapse = lambda d: sim.MultiQuantalSynapse(                  # noqa: E731
        U=0.4, n=4, tau_rec=900.0, tau_facil=800.0, weight=0.5, delay=d)
    reference = _run("numpy", synapse, protocol=(150.0,), reset=False)
    numpy_steps, original = [], plasticity.MultiQuantal.deliver

    def counting(self, *args):
        numpy_steps.append(args[1])
        return original(self, *args)
    monkeypatch.setattr(plasticity.MultiQuantal, "deliver", counting)
    calls = _kernel_used(monkeypatch)
    _same(reference, _run("numba", synapse, protocol=(150.0,), reset=False))
    assert numpy_steps and len(calls) > len(numpy_steps)
    assert min(numpy_steps) >= 1023


@pytest.fixture
def stretched(monkeypatch):
    """The steps run inside compiled stretches (a list, one entry per stretch)."""
    return count_stretch_steps(monkeypatch)


STRETCH_RULES = {
    "stochastic_tm": lambda x: [sim.StochasticTsodyksMarkramSynapse(
        U=_heterogeneous(0.3, 0.8, 5), tau_rec=40.0, tau_facil=30.0, weight=0.6 * x,
        delay=sim.RandomDistribution("uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))],
    # tau_facil and tau_rec per synapse in classes (a decay table row each), and
    # MultiQuantal's too
    "tau_classes": lambda x: [
        sim.StochasticTsodyksMarkramSynapse(
            U=0.5, tau_rec=_classes(20, 36, 7), tau_facil=_classes(0, 3, 8),
            weight=0.6 * x, delay=1.4),
        sim.MultiQuantalSynapse(U=0.4, n=3, tau_rec=_classes(30, 40, 9),
                                tau_facil=_classes(10, 14, 3), weight=0.3 * x, delay=1.0)],
    "simple": lambda x: [sim.SimpleStochasticSynapse(
        p=_heterogeneous(0.2, 0.9, 5), weight=0.6 * x, delay=sim.RandomDistribution(
            "uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))],
    "multi_quantal": lambda x: [sim.MultiQuantalSynapse(
        U=_heterogeneous(0.3, 0.8, 5), n=3, tau_rec=60.0, tau_facil=25.0, weight=0.4 * x,
        delay=1.4)],
    "mixed": lambda x: [sim.MultiQuantalSynapse(U=0.5, n=4, tau_rec=30.0, tau_facil=0.0,
                                                weight=0.3 * x, delay=1.0),
                        in_stretches._stdp("additive", 0.6 * x),
                        sim.SimpleStochasticSynapse(p=0.4, weight=0.5 * x, delay=1.0),
                        in_stretches._tsodyks_markram(0.5 * x),
                        sim.StochasticTsodyksMarkramSynapse(U=0.4, tau_rec=50.0,
                                                            tau_facil=0.0, weight=0.5 * x,
                                                            delay=1.0)],
}


@pytest.mark.parametrize("rule", sorted(STRETCH_RULES))
@pytest.mark.parametrize("dt, rate", [(0.1, 40.0), (1.0, 900.0)])
def test_stochastic_synapses_in_stretches_identical(rule, dt, rate, stretched, monkeypatch):
    monkeypatch.setitem(in_stretches.RULES, rule, STRETCH_RULES[rule])
    reference = in_stretches._network("numpy", rule, dt=dt, rate=rate)
    assert not stretched
    compiled = in_stretches._network("numba", rule, dt=dt, rate=rate)
    in_stretches._assert_stretched(stretched, 1500 if dt == 0.1 else 150)
    in_stretches._assert_same(reference, compiled)
    spikes = sum(v.size for k, v in compiled[0].items() if k.startswith("spikes"))
    assert spikes > 50, "a quiet network proves little"


def test_stochastic_tsodyks_markram_with_many_tau_rec_keeps_the_step_loop(stretched,
                                                                           monkeypatch):
    """tau_rec from a continuous distribution (more values than a table has rows): the
    stretches decline, the step loop's kernel delivers (NumPy's exp of the exponents a
    first kernel lists); the same bits as NumPy."""
    calls = []
    original = plasticity.StochasticTsodyksMarkram.compiled_deliver

    def counting(self, kernels):
        deliver = original(self, kernels)
        calls.append(deliver is not None)
        return deliver
    monkeypatch.setattr(plasticity.StochasticTsodyksMarkram, "compiled_deliver", counting)
    synapse = SYNAPSES["stochastic_tm"](0.6)
    _same(_run("numpy", synapse, reset=False), _run("numba", synapse, reset=False))
    assert not stretched and calls and all(calls)


def test_stochastic_tsodyks_markram_in_stretches_identical(stretched):
    """This file's network (Poisson counts above one at dt = 1 ms, repeated pairs, delays
    of 1-3 steps, recurrent synapses, a run split in three, reset) with tau_rec in
    classes, inside stretches; the same bits as NumPy."""
    synapse = lambda d: sim.StochasticTsodyksMarkramSynapse(    # noqa: E731
        U=_heterogeneous(0.3, 0.8, 5), tau_rec=_classes(20, 36, 6), tau_facil=30.0,
        weight=0.6, delay=d)
    for dt, rate in ((0.1, 40.0), (1.0, 900.0)):
        reference = _run("numpy", synapse, dt=dt, rate=rate)
        stretched.clear()
        compiled = _run("numba", synapse, dt=dt, rate=rate)
        assert sum(stretched) >= 0.9 * 160.0 / dt, sum(stretched)
        _same(reference, compiled)
        R = np.concatenate([b["state.R"] for b in compiled[0][2]])
        assert 0 < np.count_nonzero(R == 0.0) < R.size


def test_silent_intervals_past_the_tables_in_stretches(stretched, monkeypatch):
    """Tables capped at 1024 entries, slow facilitation and recovery (tables that never
    saturate), sources silent for ~240 ms (2400 steps) between bursts: a stretch runs
    as far as its table covers, the step loop (NumPy where an interval passes the cap)
    the rest; the same bits. A t_surv set by ``initialize`` (depleted sites at t = 0,
    some off the grid, some ahead of the run) as well."""
    monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)
    monkeypatch.setattr(plasticity.DecayTables, "ROW_MIN", 512)

    def run(engine):
        sim.setup(timestep=0.1, min_delay=0.1, max_delay=4.0, rng_seed=5, engine=engine)
        bursts = [np.concatenate([b + np.arange(0.0, 8.0, 1.0 + i)
                                  for b in (5.0, 250.0, 500.0)]) for i in range(6)]
        sources = sim.Population(6, sim.SpikeSourceArray(spike_times=bursts))
        cells = sim.Population(4, sim.IF_curr_exp(tau_m=10.0))
        prj = sim.Projection(sources, cells, sim.AllToAllConnector(),
                             sim.StochasticTsodyksMarkramSynapse(
                                 U=0.6, tau_rec=_classes(300, 303, 2), tau_facil=400.0,
                                 weight=2.0, delay=sim.RandomDistribution(
                                     "uniform_int", low=1, high=4, rng=sim.NumpyRNG(1))))
        # (the engine's initialize: PyNN 0.13's Projection.initialize takes no arrays)
        n, block = np.arange(24), prj._engine_block
        block.consolidate()
        block.set_initial_value(slice(None), "R", np.where(n % 3 == 0, 0.0, 1.0))
        block.set_initial_value(slice(None), "t_surv", np.where(
            n % 4 == 0, 0.37, np.where(n % 5 == 0, 60.0, 0.0)))
        cells.record(["spikes", "v"])
        sim.run(300.0)
        sim.run(300.0)
        return [_snapshot(cells, [prj])]
    reference = run("numpy")
    numpy_steps, original = [], plasticity.StochasticTsodyksMarkram.deliver

    def counting(self, *args):
        numpy_steps.append(args[1])
        return original(self, *args)
    monkeypatch.setattr(plasticity.StochasticTsodyksMarkram, "deliver", counting)
    stretched.clear()
    compiled = run("numba")
    _same(reference, compiled)
    assert 0 < sum(stretched) < 6000
    assert numpy_steps and min(numpy_steps) > 2000     # (the second burst's first spikes)
    assert np.concatenate(compiled[0][0]).size > 5
