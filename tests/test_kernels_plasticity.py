"""The compiled plastic delivery (kernels/plasticity.py) against the NumPy rules, bit for bit.

Each rule with a kernel (STDP's pair rule with additive, multiplicative and
additive-potentiation/multiplicative-depression weight dependence; Vogels2011Rule;
the Tsodyks-Markram synapse) runs the same network on ``engine="numpy"`` and on
``engine="numba"``: spike trains, final weights and every per-synapse state
array (traces, event stamps, pending potentiations, u/x/y, the queue of post
events) must be equal exactly. The network holds the awkward cases: plastic
recurrent synapses (a cell's spike is a pre and a post event of the same step),
several delays (post events queued per delay, arriving at the same instant as
pre spikes), Poisson input at a rate that fires an id twice in one step at the
coarse time step, input that stops before the end (post events after the last
pre spike), a run split in three, reset() and a second run, weights driven to
w_min and w_max, and decay tables too short for an interval (the step is left to
the NumPy rule). The sPyNNaker flavour's rules have their own (fixed-point) kernel,
tested in tests/test_spinnaker_kernels_plasticity.py.

Also per-synapse trace time constants in classes (one decay table row each, bit for
bit) and the Gutig weight dependence (its pending post events in a compiled log that
grows, moving between the engines at a switch between runs; its powers the C
library's pow: weights within ``GUTIG_ATOL``, all else equal).
"""

import numpy as np
import pytest

import pyNN.tinysim as sim
from pynn_tinysim.engine import plasticity
from pynn_tinysim.engine.stretch import CompiledStretch

pytest.importorskip("numba")

STDP_RULES = {
    "additive": (sim.AdditiveWeightDependence, {}),
    "multiplicative": (sim.MultiplicativeWeightDependence, {}),
    "add_pot_mult_dep": (sim.AdditivePotentiationMultiplicativeDepression, {}),
}

#: per-synapse arrays the rules keep besides ``weight`` and ``state``
INTERNAL = ("_t_last", "_k_pre", "_k_post", "_t_post", "_n_pending", "_pend_acc")


def _stdp(dependence, A_plus=0.05, A_minus=0.06, w_max=1.2, tau_plus=16.0, tau_minus=22.0,
          weight=0.6, delay=None):
    cls, extra = STDP_RULES[dependence]
    return sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                            A_plus=A_plus, A_minus=A_minus),
        weight_dependence=cls(w_min=0.0, w_max=w_max, **extra),
        weight=weight, delay=delay if delay is not None else sim.RandomDistribution(
            "uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))


def _run(engine, synapse, dt=0.1, protocol=(60.0, 60.0, 80.0), reset=False, recurrent=True,
         receptor="excitatory", rate=40.0, tau_syn_E=3.0, between=None):
    """Run the test network; return spikes, weights and the plastic blocks' state."""
    sim.setup(timestep=dt, min_delay=dt, max_delay=4.0, rng_seed=21, engine=engine)
    poisson = sim.Population(30, sim.SpikeSourcePoisson(rate=rate))
    # a source that stops early: post events keep arriving after its last spike
    times = [sorted(np.random.default_rng(i).uniform(1.0, 90.0, 12).round(1)) for i in range(10)]
    array = sim.Population(10, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(16, sim.IF_curr_exp(tau_refrac=1.0, tau_m=10.0, i_offset=0.4,
                                               tau_syn_E=tau_syn_E))
    sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.5, delay=dt))
    rng = sim.NumpyRNG(3)
    projections = [
        sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.5, rng=rng), synapse(),
                       receptor_type=receptor),
        sim.Projection(array, cells, sim.AllToAllConnector(), synapse(),
                       receptor_type=receptor)]
    if recurrent:
        projections.append(sim.Projection(
            cells, cells, sim.FixedProbabilityConnector(0.4, rng=rng), synapse(),
            receptor_type=receptor))
    cells.record("spikes")
    out = []
    for i, T in enumerate(protocol):
        if i and between is not None:
            between(cells, projections)
        sim.run(T)
    if reset:
        out.append(_snapshot(cells, projections))
        sim.reset()
        sim.run(protocol[0])
    out.append(_snapshot(cells, projections))
    return out


def _snapshot(cells, projections):
    spikes = [np.asarray(st.magnitude) for seg in cells.get_data().segments
              for st in seg.spiketrains]
    blocks = []
    for prj in projections:
        b = prj._engine_block
        arrays = {"weight": b.weight.copy(),
                  **{f"state.{n}": a.copy() for n, a in b.state.items()},
                  **{n: getattr(b, n).copy() for n in INTERNAL if hasattr(b, n)}}
        if hasattr(b, "_heap"):
            arrays["queue"] = [(e[0], e[1], e[2], list(e[3])) for e in sorted(b._heap,
                                                                               key=lambda e: e[:2])]
            arrays["done_until"] = b._done_until
        blocks.append(arrays)
    return spikes, blocks


def _same(a, b):
    for (spikes_a, blocks_a), (spikes_b, blocks_b) in zip(a, b):
        assert len(spikes_a) == len(spikes_b)
        for x, y in zip(spikes_a, spikes_b):
            np.testing.assert_array_equal(x, y)
        for block_a, block_b in zip(blocks_a, blocks_b):
            assert block_a.keys() == block_b.keys()
            for name in block_a:
                if isinstance(block_a[name], np.ndarray):
                    np.testing.assert_array_equal(block_a[name], block_b[name], err_msg=name)
                else:
                    assert block_a[name] == block_b[name], name


def _kernel_used(monkeypatch):
    """Count the calls of the compiled deliveries (they must run, not only exist).

    The step loop's compiled deliveries are tested here: compiled stretches, which
    deliver to these rules themselves, are kept off (they run where a network is one
    neuron family with sources; tests/test_stretch_plasticity.py tests them)."""
    monkeypatch.setattr(CompiledStretch, "for_run", classmethod(lambda cls, *a, **k: None))
    calls = []
    for cls in (plasticity.STDP, plasticity.VogelsSprekeler, plasticity.TsodyksMarkram):
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


@pytest.mark.parametrize("dependence", sorted(STDP_RULES))
def test_stdp_identical_on_both_engines(dependence, monkeypatch):
    calls = _kernel_used(monkeypatch)
    synapse = lambda: _stdp(dependence)          # noqa: E731
    numpy_out = _run("numpy", synapse, reset=True)
    assert not calls
    numba_out = _run("numba", synapse, reset=True)
    assert calls
    _same(numpy_out, numba_out)
    weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
    assert np.unique(weights).size > 100        # the rule did something


@pytest.mark.parametrize("dependence", sorted(STDP_RULES))
def test_stdp_weights_reaching_w_min_and_w_max(dependence):
    """Potentiation alone drives weights to w_max (clipped: exactly w_max), depression
    alone to w_min (exactly 0), on both engines alike."""
    for A_plus, A_minus, bound in ((0.8, 0.0, 1.2), (0.0, 0.8, 0.0)):
        synapse = lambda: _stdp(dependence, A_plus=A_plus, A_minus=A_minus)  # noqa: E731
        numpy_out = _run("numpy", synapse, protocol=(100.0,))
        numba_out = _run("numba", synapse, protocol=(100.0,))
        _same(numpy_out, numba_out)
        weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
        assert np.count_nonzero(weights == bound) > 10


@pytest.mark.parametrize("dependence", ["additive", "multiplicative"])
def test_stdp_coarse_time_step_and_repeated_source_spikes(dependence, monkeypatch):
    """dt = 1 ms and 400 Hz Poisson input: ids spike twice in one step; the post events
    of several delays arrive with pre spikes of the same step."""
    calls = _kernel_used(monkeypatch)
    synapse = lambda: _stdp(dependence, delay=sim.RandomDistribution(   # noqa: E731
        "uniform_int", low=1, high=4, rng=sim.NumpyRNG(5)))
    numpy_out = _run("numpy", synapse, dt=1.0, rate=400.0, protocol=(70.0, 130.0))
    numba_out = _run("numba", synapse, dt=1.0, rate=400.0, protocol=(70.0, 130.0))
    assert calls
    _same(numpy_out, numba_out)


def test_stdp_on_inhibitory_current_synapses_negative_w_max():
    synapse = lambda: sim.STDPMechanism(                     # noqa: E731
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.1,
                                            A_minus=0.12),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=-1.0),
        weight=-0.4, delay=1.0)
    _same(_run("numpy", synapse, receptor="inhibitory", recurrent=False),
          _run("numba", synapse, receptor="inhibitory", recurrent=False))


@pytest.mark.parametrize("w_max, weight, receptor", [(1.0, 0.4, "excitatory"),
                                                     (-1.0, -0.4, "inhibitory")])
def test_vogels_sprekeler_identical_on_both_engines(w_max, weight, receptor, monkeypatch):
    """Vogels2011Rule (potentiation by coincidence, depression by alpha at each pre spike),
    both signs of w_max (a negative one on current-based inhibitory synapses)."""
    calls = _kernel_used(monkeypatch)
    synapse = lambda: sim.STDPMechanism(                 # noqa: E731
        timing_dependence=sim.Vogels2011Rule(tau=15.0, eta=0.2, rho=8.0),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=w_max),
        weight=weight, delay=sim.RandomDistribution("uniform_int", low=1, high=3,
                                                    rng=sim.NumpyRNG(6)))
    for dt, rate in ((0.1, 40.0), (1.0, 400.0)):
        numpy_out = _run("numpy", synapse, dt=dt, rate=rate, reset=True, receptor=receptor)
        numba_out = _run("numba", synapse, dt=dt, rate=rate, reset=True, receptor=receptor)
        _same(numpy_out, numba_out)
    assert "VogelsSprekeler" in calls
    weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
    assert np.all(weights * np.sign(w_max) >= 0.0)
    if w_max > 0:
        # weights clipped at w_max by potentiation, then depressed by alpha eta at a pre spike
        alpha = 2e-3 * 8.0 * 15.0
        assert np.count_nonzero(weights == 1.0 - alpha * 0.2) > 10
    else:
        assert np.unique(weights).size > 100


@pytest.mark.parametrize("case", ["facilitating", "no_facilitation", "tau_rec_is_tau_psc",
                                  "inhibitory"])
def test_tsodyks_markram_identical_on_both_engines(case, monkeypatch):
    calls = _kernel_used(monkeypatch)
    params = {"facilitating": dict(U=0.2, tau_rec=120.0, tau_facil=400.0),
              "no_facilitation": dict(U=0.6, tau_rec=80.0, tau_facil=0.0),
              "tau_rec_is_tau_psc": dict(U=0.4, tau_rec=3.0, tau_facil=30.0),
              "inhibitory": dict(U=0.5, tau_rec=50.0, tau_facil=10.0)}[case]
    weight = -0.8 if case == "inhibitory" else 0.8
    receptor = "inhibitory" if case == "inhibitory" else "excitatory"
    synapse = lambda: sim.TsodyksMarkramSynapse(weight=weight, delay=1.0, **params)  # noqa
    for dt, rate in ((0.1, 40.0), (1.0, 400.0)):
        numpy_out = _run("numpy", synapse, dt=dt, rate=rate, reset=True, receptor=receptor)
        numba_out = _run("numba", synapse, dt=dt, rate=rate, reset=True, receptor=receptor)
        _same(numpy_out, numba_out)
    assert calls


def test_intervals_beyond_the_tables_left_to_numpy(monkeypatch):
    """Tables capped at 1024 entries (the first spikes come later than that): those steps
    run the NumPy rule on the same state, the others the kernel; the same bits."""
    monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)
    for cls, synapse in (
            (plasticity.STDP, lambda: _stdp("additive", tau_plus=400.0, tau_minus=500.0)),
            (plasticity.TsodyksMarkram, lambda: sim.TsodyksMarkramSynapse(
                U=0.3, tau_rec=800.0, tau_facil=900.0, weight=0.8, delay=1.0))):
        reference = _run("numpy", synapse, protocol=(300.0,))
        numpy_steps, original = [], cls.deliver

        def counting(self, *args, original=original):
            numpy_steps.append(args[1])
            return original(self, *args)
        monkeypatch.setattr(cls, "deliver", counting)
        calls = _kernel_used(monkeypatch)
        _same(reference, _run("numba", synapse, protocol=(300.0,)))
        assert numpy_steps and len(calls) > len(numpy_steps)
        assert min(numpy_steps) >= 1023         # only where an interval passes the cap
        monkeypatch.undo()
        monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)


def test_engine_switched_between_runs_continues_the_same(monkeypatch):
    """The kernel takes over the NumPy rule's state (queued post events included) mid-way,
    as engine="auto" does once the kernels are worth loading."""
    synapse = lambda: _stdp("multiplicative")          # noqa: E731
    reference = _run("numpy", synapse, protocol=(70.0, 70.0))
    calls = _kernel_used(monkeypatch)
    original = sim.run

    def switching_run(T):
        from pynn_tinysim import simulator
        result = original(T)
        simulator.state.network.engine = "numba"
        return result
    monkeypatch.setattr(sim, "run", switching_run)
    _same(reference, _run("numpy", synapse, protocol=(70.0, 70.0)))
    assert calls


def test_no_kernel_where_the_rule_has_none(monkeypatch):
    """More distinct trace time constants than the kernels take a table for
    (``PairTraceRule.MAX_TAU_CLASSES``) keep the step loop (its kernels with listed
    decays; stretches decline them); a few classes of time constants and Gutig's
    exponents have a kernel, in stretches too; the sPyNNaker flavour's STDP has a
    kernel of its own (fixed point, not the NEST rule's)."""
    from pynn_tinysim.engine import kernels
    k = kernels.load()
    sim.setup(timestep=0.1, engine="numba")
    n_pre = plasticity.PairTraceRule.MAX_TAU_CLASSES
    pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=[[1.0]] * n_pre))
    post = sim.Population(2, sim.IF_curr_exp())
    hetero = sim.Projection(pre, post, sim.AllToAllConnector(), _stdp(
        "additive", tau_plus=sim.RandomDistribution("uniform", low=10.0, high=20.0,
                                                    rng=sim.NumpyRNG(1))))
    classes = sim.Projection(pre, post, sim.AllToAllConnector(), _stdp(
        "additive", tau_minus=sim.RandomDistribution("uniform_int", low=10, high=13,
                                                     rng=sim.NumpyRNG(1))))
    gutig = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.GutigWeightDependence(),
        weight=0.1))
    plain = sim.Projection(pre, post, sim.AllToAllConnector(), _stdp("additive", delay=1.0))
    tm = sim.Projection(pre, post, sim.AllToAllConnector(),
                        sim.TsodyksMarkramSynapse(weight=0.1, delay=1.0))
    sim.run(2.0)
    assert hetero._engine_block.compiled_deliver(k) is not None
    assert not hetero._engine_block.stretch_ready()
    assert classes._engine_block.compiled_deliver(k) is not None
    assert classes._engine_block.stretch_ready()
    assert gutig._engine_block.compiled_deliver(k) is not None
    assert plain._engine_block.compiled_deliver(k) is not None
    assert tm._engine_block.compiled_deliver(k) is not None

    import pyNN.tinysim.spinnaker as ssim
    ssim.setup(timestep=1.0)
    pre = ssim.Population(3, ssim.SpikeSourceArray(spike_times=[[1.0]] * 3))
    post = ssim.Population(2, ssim.IF_curr_exp())
    prj = ssim.Projection(pre, post, ssim.AllToAllConnector(), ssim.STDPMechanism(
        timing_dependence=ssim.SpikePairRule(), weight_dependence=ssim.AdditiveWeightDependence(),
        weight=0.1))
    ssim.run(2.0)
    block = prj._engine_block
    assert isinstance(block, plasticity.STDP) and type(block) is not plasticity.STDP
    # (its own kernel, in fixed point: tests/test_spinnaker_kernels_plasticity.py)
    assert block.compiled_deliver(k) is not None
    assert block.kernel_rule() is None


def test_decay_tables_hold_numpy_exponentials():
    c = 0.1 / 17.0
    table = plasticity.DecayTables((lambda d: -d * c,), (c,))
    assert table.values[0].size == 1024 and not table.saturated
    assert table.grow(5000) and table.values[0].size == 8192
    d = np.random.default_rng(0).integers(0, 8192, 300)
    np.testing.assert_array_equal(table.values[0][d], np.exp(-d * c))
    assert table.grow(10**6) and table.saturated           # exp underflows to 0 first
    assert table.values[0][-1] == 0.0 and table.values[0].size < 150000
    slow = plasticity.DecayTables((lambda d: -d * 1e-7,), (1e-7,))
    assert not slow.grow(plasticity.DecayTables.CAP + 1)    # past the cap: NumPy's job


def test_network_grown_between_runs_identical():
    """A population and a plastic projection added after a run: the network is laid out
    again and the rules' queued post events are queued again for the new layout."""
    def run(engine):
        def before_second_run(cells, projections):
            extra = sim.Population(5, sim.IF_curr_exp(i_offset=1.0))
            projections.append(sim.Projection(cells, extra, sim.AllToAllConnector(),
                                              _stdp("additive")))
            projections.append(sim.Projection(extra, cells, sim.AllToAllConnector(),
                                              sim.TsodyksMarkramSynapse(weight=0.5, delay=1.0)))
        return _run(engine, lambda: _stdp("multiplicative"), protocol=(50.0, 60.0),
                    between=before_second_run)
    _same(run("numpy"), run("numba"))


# --- the Gutig weight dependence and per-synapse trace time constants --------------------

#: Gutig's exponents: the kernels' pow is the C library's, NumPy's np.power its own SIMD
#: code where the CPU has AVX-512 (~6 % of np.power's results differ in the last bit from
#: the C library's there): weights may differ in their last bits (measured: at most
#: 2.2e-16 absolute, weights ~1, after 200 ms of these networks); spikes, traces, stamps
#: and queues must still be equal.
GUTIG_ATOL = 1e-12


def _gutig(mu_plus=0.4, mu_minus=0.6, tau_plus=16.0, delay=None):
    return sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=22.0, A_plus=0.05,
                                            A_minus=0.06),
        weight_dependence=sim.GutigWeightDependence(w_min=0.0, w_max=1.2, mu_plus=mu_plus,
                                                    mu_minus=mu_minus),
        weight=0.6, delay=delay if delay is not None else sim.RandomDistribution(
            "uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))


def _close(a, b, atol=GUTIG_ATOL):
    """:func:`_same`, the weights within ``atol``."""
    for (spikes_a, blocks_a), (spikes_b, blocks_b) in zip(a, b):
        assert len(spikes_a) == len(spikes_b)
        for x, y in zip(spikes_a, spikes_b):
            np.testing.assert_array_equal(x, y)
        for block_a, block_b in zip(blocks_a, blocks_b):
            assert block_a.keys() == block_b.keys()
            for name in block_a:
                if name == "weight":
                    np.testing.assert_allclose(block_a[name], block_b[name], rtol=0,
                                               atol=atol)
                elif isinstance(block_a[name], np.ndarray):
                    np.testing.assert_array_equal(block_a[name], block_b[name], err_msg=name)
                else:
                    assert block_a[name] == block_b[name], name


@pytest.mark.parametrize("dt, rate", [(0.1, 40.0), (1.0, 400.0)])
def test_gutig_close_on_both_engines(dt, rate, monkeypatch):
    """Gutig (pending post events logged, replayed at the next pre spike) on a split run,
    a reset, ids spiking twice in one step at dt = 1 ms; the log starts with one entry
    and grows."""
    grown = []
    original_grow = plasticity.PairTraceRule._log_grow
    monkeypatch.setattr(plasticity.PairTraceRule, "_log_grow",
                        lambda self, n: grown.append(n) or original_grow(self, n))
    monkeypatch.setattr(plasticity.PairTraceRule, "LOG_MIN", 1)
    calls = _kernel_used(monkeypatch)
    numpy_out = _run("numpy", _gutig, dt=dt, rate=rate, reset=True)
    numba_out = _run("numba", _gutig, dt=dt, rate=rate, reset=True)
    assert calls
    _close(numpy_out, numba_out)
    assert grown, "the log never had to grow"
    weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
    assert np.unique(weights).size > 100


def test_gutig_engines_alternating_between_runs(monkeypatch):
    """Pending post events move between the NumPy rule's lists and the compiled log at
    each change of engine (numba, numpy, numba), in their order."""
    calls = _kernel_used(monkeypatch)
    reference = _run("numpy", _gutig, protocol=(60.0, 60.0, 80.0))
    from pynn_tinysim import simulator
    engines = iter(["numpy", "numba"])

    def switch(cells, projections):
        simulator.state.network.engine = next(engines)
        assert any(p._engine_block._n_pending.any() for p in projections)
    alternating = _run("numba", _gutig, protocol=(60.0, 60.0, 80.0), between=switch)
    assert calls
    _close(reference, alternating)


@pytest.mark.parametrize("case", ["additive", "multiplicative", "gutig", "vogels"])
def test_trace_time_constants_per_synapse(case, monkeypatch):
    """tau_plus and tau_minus (Vogels: tau) differing between synapses, in a few classes:
    one decay table per class, the same bits as NumPy (Gutig: weights within its
    tolerance)."""
    calls = _kernel_used(monkeypatch)

    def classes(low, high, seed):
        return sim.RandomDistribution("uniform_int", low=low, high=high, rng=sim.NumpyRNG(seed))
    if case == "vogels":
        def synapse():
            return sim.STDPMechanism(
                timing_dependence=sim.Vogels2011Rule(tau=classes(12, 16, 7), eta=0.01, rho=8.0),
                weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
                weight=0.4, delay=1.0)
    elif case == "gutig":
        def synapse():
            return _gutig(tau_plus=classes(12, 20, 7))
    else:
        def synapse():
            return _stdp(case, tau_plus=classes(12, 20, 7), tau_minus=classes(18, 24, 8))
    numpy_out = _run("numpy", synapse, reset=True)
    numba_out = _run("numba", synapse, reset=True)
    assert calls
    (_close if case == "gutig" else _same)(numpy_out, numba_out)
    weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
    assert np.unique(weights).size > 100


@pytest.mark.parametrize("case, dt, rate", [("additive", 0.1, 40.0),
                                            ("multiplicative", 1.0, 400.0),
                                            ("gutig", 0.1, 40.0), ("vogels", 1.0, 400.0)])
def test_trace_time_constants_from_a_continuous_distribution(case, dt, rate, monkeypatch):
    """tau_plus and tau_minus (Vogels: tau) drawn per synapse from a continuous
    distribution (more values than a table has rows): the step loop's kernels read
    NumPy's exp of the exponents a first kernel lists (pair_exponents), the same bits
    as NumPy (Gutig: weights within its tolerance; its log starting with one entry, so
    that it grows between the two kernels), with Poisson counts above one at dt = 1 ms,
    split runs and a reset; a stretch declines the rule."""
    from pynn_tinysim.engine import kernels
    calls = _kernel_used(monkeypatch)
    monkeypatch.setattr(plasticity.PairTraceRule, "LOG_MIN", 1)

    def uniform(low, high, seed):
        return sim.RandomDistribution("uniform", low=low, high=high, rng=sim.NumpyRNG(seed))
    if case == "vogels":
        def synapse():
            return sim.STDPMechanism(
                timing_dependence=sim.Vogels2011Rule(tau=uniform(12.0, 16.0, 7), eta=0.01,
                                                     rho=8.0),
                weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
                weight=0.4, delay=sim.RandomDistribution("uniform_int", low=1, high=3,
                                                         rng=sim.NumpyRNG(4)))
    elif case == "gutig":
        def synapse():
            return _gutig(tau_plus=uniform(12.0, 20.0, 7))
    else:
        def synapse():
            return _stdp(case, tau_plus=uniform(12.0, 20.0, 7), tau_minus=22.0)
    numpy_out = _run("numpy", synapse, dt=dt, rate=rate, reset=True)
    numba_out = _run("numba", synapse, dt=dt, rate=rate, reset=True)
    assert calls
    (_close if case == "gutig" else _same)(numpy_out, numba_out)
    weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
    assert np.unique(weights).size > 100
    block = sim.simulator.state.network.deliveries[-1]
    assert block._kernel_setup() is None, "the tables were enough: the case proves nothing"
    assert block.compiled_deliver(kernels.load()) is not None
    assert not block.stretch_ready()


def test_trace_classes_past_the_tables_left_to_numpy(monkeypatch):
    """Two classes of slow time constants, tables capped at 1024 entries a class: the
    steps whose intervals pass them run the NumPy rule, the same bits."""
    monkeypatch.setattr(plasticity.DecayTables, "CAP", 1024)
    monkeypatch.setattr(plasticity.DecayTables, "ROW_MIN", 1024)
    synapse = lambda: _stdp("additive", tau_plus=sim.RandomDistribution(   # noqa: E731
        "uniform_int", low=400, high=402, rng=sim.NumpyRNG(2)), tau_minus=500.0)
    reference = _run("numpy", synapse, protocol=(300.0,))
    numpy_steps, original = [], plasticity.STDP.deliver

    def counting(self, *args):
        numpy_steps.append(args[1])
        return original(self, *args)
    monkeypatch.setattr(plasticity.STDP, "deliver", counting)
    calls = _kernel_used(monkeypatch)
    _same(reference, _run("numba", synapse, protocol=(300.0,)))
    assert numpy_steps and len(calls) > len(numpy_steps)
    assert min(numpy_steps) >= 1023


@pytest.mark.parametrize("dt, rate", [(0.1, 40.0), (1.0, 400.0)])
def test_tsodyks_markram_time_constants_per_synapse(dt, rate, monkeypatch):
    """tau_rec, tau_facil (0 among them: no facilitation) and the targets' tau_syn_E
    (tau_psc) in a few classes each, some synapses with tau_rec = tau_psc (the limit):
    one decay table row per value, the same bits as NumPy; split runs and a reset."""
    calls = _kernel_used(monkeypatch)

    def classes(low, high, seed):
        return sim.RandomDistribution("uniform_int", low=low, high=high, rng=sim.NumpyRNG(seed))

    def synapse():
        return sim.TsodyksMarkramSynapse(U=0.3, tau_rec=classes(2, 6, 5),
                                         tau_facil=classes(0, 4, 6), weight=0.8, delay=1.0)
    numpy_out = _run("numpy", synapse, dt=dt, rate=rate, reset=True,
                     tau_syn_E=classes(2, 5, 9))
    numba_out = _run("numba", synapse, dt=dt, rate=rate, reset=True,
                     tau_syn_E=classes(2, 5, 9))
    assert "TsodyksMarkram" in calls
    _same(numpy_out, numba_out)
    x = np.concatenate([b["state.x"] for b in numba_out[0][1]])
    assert np.unique(x).size > 100


@pytest.mark.parametrize("dt, rate", [(0.1, 40.0), (1.0, 400.0)])
def test_tsodyks_markram_many_time_constants(dt, rate, monkeypatch):
    """tau_rec and the targets' tau_syn_E drawn from continuous distributions (more
    values than a table has rows; tau_facil 0 to 3 ms, 0: none): the step loop's
    kernels, NumPy's exp of the exponents a first kernel lists (repeated spikes in a
    step at dt = 1 ms: the later rounds' decays over no time), the same bits as NumPy;
    split runs and a reset. A stretch declines the rule."""
    from pynn_tinysim.engine import kernels
    calls = _kernel_used(monkeypatch)

    def uniform(low, high, seed):
        return sim.RandomDistribution("uniform", low=low, high=high, rng=sim.NumpyRNG(seed))

    def synapse():
        return sim.TsodyksMarkramSynapse(
            U=0.3, tau_rec=uniform(2.0, 6.0, 5),
            tau_facil=sim.RandomDistribution("uniform_int", low=0, high=4,
                                             rng=sim.NumpyRNG(6)),
            weight=0.8, delay=1.0)
    numpy_out = _run("numpy", synapse, dt=dt, rate=rate, reset=True,
                     tau_syn_E=uniform(2.0, 5.0, 9))
    numba_out = _run("numba", synapse, dt=dt, rate=rate, reset=True,
                     tau_syn_E=uniform(2.0, 5.0, 9))
    assert "TsodyksMarkram" in calls
    _same(numpy_out, numba_out)
    x = np.concatenate([b["state.x"] for b in numba_out[0][1]])
    assert np.unique(x).size > 100
    block = sim.simulator.state.network.deliveries[-1]
    assert isinstance(block, plasticity.TsodyksMarkram)
    assert np.unique(block.params["tau_rec"]).size > block.MAX_TAU_CLASSES
    assert block.compiled_deliver(kernels.load()) is not None
    assert not block.stretch_ready()