"""Plastic projections inside compiled stretches (engine/stretch.py), against the NumPy rules.

A network of one compiled neuron family, spike sources and static and plastic
synapses runs its steps in compiled stretches, which deliver to the plastic
projections themselves (kernels/plasticity.py's ``pair_deliver_queued`` and
``tsodyks_markram_deliver``, the pair rules' queue of post events as arrays).
Each case runs on ``engine="numpy"`` and ``engine="numba"`` and requires the same
spikes, membrane potentials, final weights (read with ``Projection.get``) and
per-synapse state, bit for bit; and it counts the steps the stretches ran, so a
case cannot pass by the stretch declining (the step loop would give the same bits).
The networks hold: delays of several steps, several plastic projections (pair
rules and Tsodyks-Markram in one network), plastic and static synapses onto the
same cells with the same delay, recurrent plastic synapses, a split run, reset(),
a coarse time step, conductance-based targets. The rules' queue of post events
(heap, history, serials) must come back from a stretch as the step loop leaves
it (``tests/test_kernels_plasticity.py``'s snapshot, here with stretches on), also
where the stretch's queue has to grow, and where the decay tables cannot cover a
whole run. One closed form: a single pairing with additive STDP inside a stretch
moves the weight by w_max A_plus exp(-dt/tau_plus) (NEST's stdp_synapse).
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import pyNN.tinysim as sim
from pynn_tinysim.engine import plasticity

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _plasticity_protocols as PP  # noqa: E402
import test_kernels_plasticity as per_step  # noqa: E402
from kernel_spy import count_stretch_steps  # noqa: E402

pytest.importorskip("numba")


@pytest.fixture
def stretched(monkeypatch):
    """The steps run inside compiled stretches (a list, one entry per stretch)."""
    return count_stretch_steps(monkeypatch)


def _stdp(dependence, weight=0.6, **timing):
    weight_dependence = {"additive": sim.AdditiveWeightDependence,
                         "multiplicative": sim.MultiplicativeWeightDependence,
                         "add_pot_mult_dep": sim.AdditivePotentiationMultiplicativeDepression,
                         }[dependence]
    return sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(**{**dict(tau_plus=16.0, tau_minus=22.0,
                                                      A_plus=0.05, A_minus=0.06), **timing}),
        weight_dependence=weight_dependence(w_min=0.0, w_max=2 * weight), weight=weight,
        delay=sim.RandomDistribution("uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))


def _vogels(weight=0.4):
    return sim.STDPMechanism(
        timing_dependence=sim.Vogels2011Rule(tau=15.0, eta=0.2 * weight, rho=8.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.5 * weight),
        weight=weight, delay=sim.RandomDistribution("uniform_int", low=1, high=3,
                                                    rng=sim.NumpyRNG(6)))


def _tsodyks_markram(weight=0.8):
    return sim.TsodyksMarkramSynapse(U=0.3, tau_rec=120.0, tau_facil=200.0, weight=weight,
                                     delay=1.4)


#: the rules with a compiled version, and a network holding several of them (their
#: weights times a scale: the targets' units)
RULES = {
    "additive": lambda x: [_stdp("additive", 0.6 * x)],
    "multiplicative": lambda x: [_stdp("multiplicative", 0.6 * x)],
    "add_pot_mult_dep": lambda x: [_stdp("add_pot_mult_dep", 0.6 * x)],
    "vogels": lambda x: [_vogels(0.4 * x)],
    "tsodyks_markram": lambda x: [_tsodyks_markram(0.8 * x)],
    "mixed": lambda x: [_stdp("additive", 0.6 * x), _tsodyks_markram(0.5 * x),
                        _vogels(0.4 * x)],
    # tau_rec and tau_facil in a few classes per synapse (a decay table row each)
    "tm_classes": lambda x: [sim.TsodyksMarkramSynapse(
        U=0.3, tau_rec=_classes(100, 104, 5), tau_facil=_classes(0, 3, 6), weight=0.8 * x,
        delay=1.4)],
    # tau_plus and tau_minus in a few classes per synapse (a decay table each)
    "tau_classes": lambda x: [_stdp("multiplicative", 0.6 * x, tau_plus=_classes(12, 20, 7),
                                    tau_minus=_classes(18, 24, 8))],
}


def _classes(low, high, seed):
    return sim.RandomDistribution("uniform_int", low=low, high=high, rng=sim.NumpyRNG(seed))


def _gutig(weight=0.6, tau_plus=16.0):
    return sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=22.0, A_plus=0.05,
                                            A_minus=0.06),
        weight_dependence=sim.GutigWeightDependence(w_min=0.0, w_max=2 * weight, mu_plus=0.4,
                                                    mu_minus=0.6),
        weight=weight, delay=sim.RandomDistribution("uniform_int", low=1, high=3,
                                                    rng=sim.NumpyRNG(4)))

CELLS = {
    "IF_curr_exp": (sim.IF_curr_exp, dict(tau_refrac=1.0, tau_m=10.0, i_offset=0.4,
                                          tau_syn_E=3.0), 1.0),
    # conductances in uS: weights scaled down (a stiff step is declined by the kernel,
    # stopping the stretch before it; none expected at these weights)
    "IF_cond_exp": (sim.IF_cond_exp, dict(tau_refrac=1.0, tau_m=10.0, i_offset=0.45,
                                          tau_syn_E=3.0), 0.02),
}


def _network(engine, rule, cells_model="IF_curr_exp", dt=0.1, split=True, reset=True,
             rate=40.0):
    """Run Poisson and array sources onto one population through the rule's plastic
    projections (and a recurrent one), besides static synapses onto the same cells
    with the same delay; return spikes, v, weights and state of every segment's end."""
    celltype, params, scale = CELLS[cells_model]
    sim.setup(timestep=dt, min_delay=dt, max_delay=4.0, rng_seed=21, engine=engine)
    poisson = sim.Population(30, sim.SpikeSourcePoisson(rate=rate))
    times = [sorted(np.random.default_rng(i).uniform(1.0, 90.0, 12).round(1))
             for i in range(10)]
    array = sim.Population(10, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(16, celltype(**params))
    cells.initialize(v=np.linspace(-70.0, -55.0, 16))
    # static synapses sharing the plastic ones' receptor and a delay (1 or 2 steps):
    # several terms per ring entry and step, from both kinds, so the order shows
    sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.5 * scale, delay=2 * dt))
    rng = sim.NumpyRNG(3)
    projections = []
    for synapse in RULES[rule](scale):
        projections.append(sim.Projection(
            poisson, cells, sim.FixedProbabilityConnector(0.5, rng=rng), synapse))
        projections.append(sim.Projection(array, cells, sim.AllToAllConnector(), synapse))
    # recurrent: a cell's spike is a pre and a post event of the same step
    projections.append(sim.Projection(cells, cells, sim.FixedProbabilityConnector(
        0.4, rng=rng), RULES[rule](scale)[0]))
    cells.record(["spikes", "v"])
    out = []
    if split:
        sim.run(50.0)
        sim.run(50.0)
    else:
        sim.run(100.0)
    out.append(_state(cells, projections))
    if reset:
        sim.reset()
        sim.run(50.0)
        out.append(_state(cells, projections))
    sim.end()
    return out


def _state(cells, projections):
    block = cells.get_data()
    segment = block.segments[-1]
    found = {f"spikes {i}": np.asarray(st.magnitude) for i, st in
             enumerate(segment.spiketrains)}
    found["v"] = np.asarray(segment.filter(name="v")[0].magnitude)
    for i, prj in enumerate(projections):
        found[f"weight {i}"] = np.asarray(prj.get("weight", format="list", with_address=False))
        b = prj._engine_block
        for name, values in b.state.items():
            found[f"{i} {name}"] = values.copy()
        for name in per_step.INTERNAL:
            if hasattr(b, name):
                found[f"{i} {name}"] = getattr(b, name).copy()
    return found


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert x.keys() == y.keys()
        for key in x:
            assert np.array_equal(x[key], y[key]), key


def _assert_stretched(steps, total):
    """Most steps ran in stretches (the rest: where a stretch must stop, e.g. a source's
    window; the step loop runs those)."""
    assert sum(steps) >= 0.9 * total, (sum(steps), total)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_plastic_network_in_stretches_identical(rule, stretched):
    reference = _network("numpy", rule)
    assert not stretched
    compiled = _network("numba", rule)
    _assert_stretched(stretched, 1500)
    _assert_same(reference, compiled)
    spikes = sum(v.size for k, v in compiled[0].items() if k.startswith("spikes"))
    assert spikes > 50, "a quiet network proves little"
    # (Tsodyks-Markram moves its resources x, not the weights)
    moved = [np.unique(v).size for k, v in compiled[0].items()
             if k.startswith("weight") or k.endswith(" x")]
    assert max(moved) > 20, "the rule did nothing"


def test_every_kind_in_one_stretch_identical_and_typed(stretched, monkeypatch):
    """A pair rule, Tsodyks-Markram, SimpleStochastic, MultiQuantal and
    StochasticTsodyksMarkram projections in one network: the same bits as NumPy inside
    stretches (the dispatch and the rounds' scratch they share, kernels/stretch_plastic.py),
    and each field laid into an arena of its own dtype (engine/stretch_plastic.py's
    ``_FLOATS``: a field read as the other type would be cast on the way in and back)."""
    from pynn_tinysim.engine import stretch_plastic
    monkeypatch.setitem(RULES, "every_kind", lambda x: [
        _stdp("additive", 0.6 * x), _tsodyks_markram(0.5 * x),
        sim.SimpleStochasticSynapse(p=0.5, weight=0.4 * x, delay=1.0),
        sim.MultiQuantalSynapse(U=0.5, n=3, tau_rec=100.0, tau_facil=50.0, weight=0.2 * x,
                                delay=1.0),
        sim.StochasticTsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=50.0,
                                            weight=0.4 * x, delay=1.0)])
    kinds = set()
    original = stretch_plastic.PlasticArenas.take

    def take(self, k_stop, spikes):
        plastic, k_stop = original(self, k_stop, spikes)
        for arrays, kind in zip(self._taken, self._kinds):
            assert len(arrays) == stretch_plastic.KINDS[kind][1], kind
            for f, array in enumerate(arrays):
                expected = np.float64 if f in stretch_plastic._FLOATS[kind] else np.int64
                assert array.dtype == expected and array.ndim == 1, (kind, f, array.dtype)
            kinds.add(kind)
        return plastic, k_stop
    reference = _network("numpy", "every_kind")
    monkeypatch.setattr(stretch_plastic.PlasticArenas, "take", take)
    compiled = _network("numba", "every_kind")
    _assert_stretched(stretched, 1500)
    _assert_same(reference, compiled)
    assert kinds == {"pair", "tm", "simple", "mq", "stm"}


@pytest.mark.parametrize("rule", ["additive", "vogels", "mixed"])
def test_conductance_targets_in_stretches_identical(rule, stretched):
    reference = _network("numpy", rule, "IF_cond_exp")
    compiled = _network("numba", rule, "IF_cond_exp")
    _assert_stretched(stretched, 1500)
    _assert_same(reference, compiled)


@pytest.mark.parametrize("rule", ["multiplicative", "mixed"])
def test_coarse_time_step_in_stretches_identical(rule, stretched):
    """dt = 1 ms: delays of 1 and 2 steps, post events arriving with pre spikes."""
    reference = _network("numpy", rule, dt=1.0)
    compiled = _network("numba", rule, dt=1.0)
    _assert_stretched(stretched, 150)
    _assert_same(reference, compiled)


@pytest.mark.parametrize("rule", ["additive", "mixed"])
def test_repeated_source_spikes_in_stretches_identical(rule, stretched):
    """dt = 1 ms and 400 Hz Poisson input: a Poisson count of 2 or more in ~6 % of the
    cells' steps (~280 repeats over the run), each a plastic update of its own, in the
    reference's rounds (plasticity.spike_rounds; the kernels' _deferred)."""
    reference = _network("numpy", rule, dt=1.0, rate=400.0)
    compiled = _network("numba", rule, dt=1.0, rate=400.0)
    _assert_stretched(stretched, 150)
    _assert_same(reference, compiled)


@pytest.mark.parametrize("dependence", sorted(per_step.STDP_RULES))
def test_queue_of_post_events_comes_back_as_the_step_loop_leaves_it(dependence, stretched,
                                                                    monkeypatch):
    """test_kernels_plasticity's network and snapshot (heap entries with their serials,
    done_until, traces, pending potentiations), stretches on, the stretch's queue
    starting small so that it grows mid-run; a run split in three and a reset."""
    monkeypatch.setattr(plasticity, "STRETCH_QUEUE_MIN", 0)
    synapse = lambda: per_step._stdp(dependence)            # noqa: E731
    reference = per_step._run("numpy", synapse, reset=True)
    grown = []
    original = plasticity.PairTraceRule.stretch_finish

    def finish(self, arrays):
        held, full = original(self, arrays)
        grown.append((held, full))
        return held, full
    monkeypatch.setattr(plasticity.PairTraceRule, "stretch_finish", finish)
    compiled = per_step._run("numba", synapse, reset=True)
    per_step._same(reference, compiled)
    _assert_stretched(stretched, 2600)
    assert any(full for _, full in grown), "the queue never had to grow"
    assert any(held for held, _ in grown), "no post spike in a queue: the round trip untested"


def test_tables_that_cannot_cover_a_run_stop_the_stretch(stretched, monkeypatch):
    """Decay tables capped at 1024 entries, slow time constants: a stretch runs only as
    far as its tables cover (then the step loop, then the next stretch); the same bits."""
    monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)
    for synapse in (lambda: per_step._stdp("additive", tau_plus=400.0, tau_minus=500.0),
                    lambda: sim.TsodyksMarkramSynapse(U=0.3, tau_rec=800.0, tau_facil=900.0,
                                                      weight=0.8, delay=1.0)):
        reference = per_step._run("numpy", synapse, protocol=(300.0,))
        stretched.clear()
        per_step._same(reference, per_step._run("numba", synapse, protocol=(300.0,)))
        assert 0 < sum(stretched) < 3000


def test_rules_without_a_kernel_keep_the_step_loop(stretched):
    """More distinct values of tau_plus than the kernels take a decay table for
    (``PairTraceRule.MAX_TAU_CLASSES``): the stretch declines (no stretch runs), the
    step loop's kernels deliver (listed decays), and the results are the NumPy
    engine's (Gutig's weights within its tolerance)."""
    synapse = lambda: sim.STDPMechanism(                     # noqa: E731
        timing_dependence=sim.SpikePairRule(
            tau_plus=sim.RandomDistribution("uniform", low=10.0, high=20.0,
                                            rng=sim.NumpyRNG(8)),
            tau_minus=22.0, A_plus=0.05, A_minus=0.06),
        weight_dependence=sim.GutigWeightDependence(w_min=0.0, w_max=1.2, mu_plus=0.4,
                                                    mu_minus=0.6),
        weight=0.6, delay=1.0)
    reference = per_step._run("numpy", synapse, protocol=(50.0,))
    per_step._close(reference, per_step._run("numba", synapse, protocol=(50.0,)))
    assert not stretched


@pytest.mark.parametrize("dt_eff", [4.0, 12.5])
def test_single_pairing_in_a_stretch_matches_the_closed_form(dt_eff, stretched):
    """One pre spike at 50 ms, the post spike reaching the synapse dt_eff later, then a
    pre spike at 120 ms: potentiation w_max A_plus exp(-dt_eff/tau_plus) (NEST's
    stdp_synapse, additive), then depression by the post trace, all inside stretches."""
    A, w_max, w0, delay, flush = PP.TIMING, 0.1, 0.05, 1.0, 120.0
    sim.setup(timestep=0.1, min_delay=0.1, engine="numba")
    t_pre = 50.0
    t_post = t_pre + dt_eff - delay
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[t_pre, flush]))
    post = PP._teacher_cells(sim, [[round(t_post - PP.TEACHER_LATENCY, 6)]])
    stdp = sim.STDPMechanism(sim.SpikePairRule(**A),
                             sim.AdditiveWeightDependence(w_min=0.0, w_max=w_max),
                             weight=w0, delay=delay)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    post.record("spikes")
    sim.run(150.0)
    np.testing.assert_allclose(post.get_data().segments[0].spiketrains[0].magnitude,
                               [t_post])
    weight = prj.get("weight", format="array")[0, 0]
    sim.end()
    _assert_stretched(stretched, 1500)
    k_flush = np.exp(-(flush - (t_post + delay)) / A["tau_minus"])
    expected = w0 + w_max * A["A_plus"] * np.exp(-dt_eff / A["tau_plus"]) \
        - w_max * A["A_minus"] * k_flush
    assert weight == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dt, rate", [(0.1, 40.0), (1.0, 400.0)])
def test_gutig_in_stretches_close(dt, rate, stretched, monkeypatch):
    """Gutig's weight dependence inside stretches (its log of pending post events as
    fields of the arena, starting with one entry: the stretch stops, the log grows, on),
    tau_plus in classes, with a split run and a reset: spikes, v and state as the NumPy
    engine's, weights within per_step.GUTIG_ATOL (the C library's pow, see there), v
    within 1e-9 mV."""
    grown = []
    original_grow = plasticity.PairTraceRule._log_grow
    monkeypatch.setattr(plasticity.PairTraceRule, "_log_grow",
                        lambda self, n: grown.append(n) or original_grow(self, n))
    monkeypatch.setattr(plasticity.PairTraceRule, "LOG_MIN", 1)
    monkeypatch.setitem(RULES, "gutig", lambda x: [_gutig(0.6 * x), _gutig(
        0.5 * x, tau_plus=_classes(12, 20, 7))])
    reference = _network("numpy", "gutig", dt=dt, rate=rate)
    compiled = _network("numba", "gutig", dt=dt, rate=rate)
    _assert_stretched(stretched, 1500 if dt == 0.1 else 150)
    assert grown, "the log never had to grow"
    for x, y in zip(reference, compiled):
        assert x.keys() == y.keys()
        for key in x:
            if key.startswith("weight"):
                np.testing.assert_allclose(x[key], y[key], rtol=0, atol=per_step.GUTIG_ATOL)
            elif key == "v":        # (the weights transmitted: their last bits)
                np.testing.assert_allclose(x[key], y[key], rtol=0, atol=1e-9)
            else:
                assert np.array_equal(x[key], y[key]), key
    moved = [np.unique(v).size for k, v in compiled[0].items() if k.startswith("weight")]
    assert max(moved) > 20, "the rule did nothing"
