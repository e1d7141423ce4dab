"""The sPyNNaker flavour's STDP rules in float mode (``setup(fixed_point=False)``) compiled
(kernels/spinnaker_plasticity.py with ``w_acc`` None) against their NumPy rules, bit for bit.

Float mode is the rules' float64 arithmetic with exact exponentials: the kernel reads
NumPy's exp by interval in ticks (``DecayTables``) and keeps each operation of the
reference in its order, so both engines must leave the same spikes, weights, traces,
stamps and pending sums (or products). SpinnakerSTDP and NearestSTDP with the additive
and multiplicative dependences, SpinnakerVogels and PfisterTriplet, in a network with
the awkward cases: Poisson sources at 300 Hz (several spikes of a source in one tick),
plastic recurrent synapses (a cell's spike a pre and a post event of the same tick),
delays of 1 to 3 ticks (post events arriving in the tick of a pre spike), array sources
that stop early (many post events per pre interval: float mode has no 15-event post
history, so every one counts), runs split in three, reset() and a second run, on 1 ms
ticks and on coarse ones.
"""

import numpy as np
import pytest
from kernel_spy import count_stretch_steps, spy_on_deliveries, spy_on_stretch_takes
from spinnaker_plastic_network import (assert_rules_in_stretches, assert_same_runs,
                                       run_plastic_network, spike_arrays)

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine import plasticity as engine_plasticity
from pynn_tinysim.engine.spinnaker import plasticity as splast

pytest.importorskip("numba")

DEPENDENCES = {"additive": sim.AdditiveWeightDependence,
               "multiplicative": sim.MultiplicativeWeightDependence}
#: per-synapse arrays of the rule besides the weights
INTERNAL = ("_t_last", "_k_pre", "_k_post", "_t_post", "_n_pending", "_pend_acc")


@pytest.fixture
def kernel_calls(monkeypatch):
    """The compiled float deliveries the rules made (they must run): the step loop's
    calls (their step) and the compiled stretches that took a rule ("stretch")."""
    calls = []
    spy_on_deliveries(monkeypatch, splast.BoardTraces, "_float_deliver",
                      lambda args: calls.append(args[1]))
    spy_on_stretch_takes(monkeypatch, splast.BoardTraces, lambda: calls.append("stretch"))
    return calls


@pytest.fixture
def stretched(monkeypatch):
    """The steps run inside compiled stretches (a list, one entry per stretch)."""
    return count_stretch_steps(monkeypatch)


def _synapse(timing, dependence="additive", dt=1.0, A_plus=0.05, A_minus=0.06, tau_plus=16.0,
             tau_minus=22.0):
    # 1 to 3 ticks (the flavour rounds a delay between ticks to a whole tick, warning)
    delay = sim.RandomDistribution("uniform_int", low=int(dt), high=int(3 * dt),
                                   rng=sim.NumpyRNG(4))
    if timing == "triplet":
        return sim.STDPMechanism(
            timing_dependence=sim.extra_models.PfisterSpikeTriplet(
                tau_plus=tau_plus, tau_minus=tau_minus, tau_x=60.0, tau_y=45.0,
                A_plus=A_plus, A_minus=A_minus),
            weight_dependence=sim.extra_models.WeightDependenceAdditiveTriplet(
                w_min=0.0, w_max=1.2, A3_plus=0.3 * A_plus, A3_minus=0.2 * A_minus),
            weight=0.6, delay=delay)
    if timing == "vogels":
        # (alpha large enough that o - alpha takes both signs here)
        rule = sim.extra_models.Vogels2011Rule(alpha=3.0, tau=tau_plus, A_plus=A_plus / 5)
    elif timing == "nearest":
        rule = sim.extra_models.SpikeNearestPairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                                     A_plus=A_plus, A_minus=A_minus)
    else:
        rule = sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus,
                                 A_minus=A_minus)
    return sim.STDPMechanism(timing_dependence=rule,
                             weight_dependence=DEPENDENCES[dependence](w_min=0.0, w_max=1.2),
                             weight=0.6, delay=delay)


def _run(engine, synapse, dt=1.0, protocol=(60.0, 60.0, 80.0), reset=True, switch_to=None,
         rate=300.0, offset=0.4):
    """Run the test network in float mode; [(spikes, the plastic blocks' state)] after the
    runs (and after reset() and one more run); ``switch_to``: the engine from the second
    run on. Times in steps (many post events after the arrays' last spikes)."""
    return run_plastic_network(engine, synapse, _snapshot, protocol, reset, switch_to, dt=dt,
                               rate=rate, offset=offset, fixed_point=False,
                               array_spikes=(8, 50.0), time_unit=dt)


def _snapshot(cells, projections):
    spikes = spike_arrays(cells)
    blocks = []
    for prj in projections:
        b = prj._engine_block
        assert type(b) in (splast.SpinnakerSTDP, splast.NearestSTDP, splast.SpinnakerVogels,
                           splast.PfisterTriplet)
        assert not b._board and not b._board_w         # float mode
        names = INTERNAL + (("_k_pre2", "_k_post2") if hasattr(b, "_k_pre2") else ())
        blocks.append({"weight": b.weight.copy(), **{n: getattr(b, n).copy() for n in names},
                       "queue": [(e[0], e[1], e[2], list(e[3])) for e in sorted(b._heap)],
                       "done_until": b._done_until})
    return spikes, blocks


CASES = ([(t, d) for t in ("pair", "nearest") for d in sorted(DEPENDENCES)]
         + [("vogels", "additive"), ("triplet", "additive")])


@pytest.mark.parametrize("timing, dependence", CASES)
@pytest.mark.parametrize("dt", [1.0, 2.0])
def test_identical_on_both_engines(timing, dependence, dt, kernel_calls):
    synapse = lambda: _synapse(timing, dependence, dt=dt)      # noqa: E731
    numpy_out = _run("numpy", synapse, dt=dt)
    assert not kernel_calls
    numba_out = _run("numba", synapse, dt=dt)
    assert kernel_calls
    assert_same_runs(numpy_out, numba_out)
    spikes, blocks = numba_out[0]
    weights = np.concatenate([b["weight"] for b in blocks])
    assert np.unique(weights).size > 20              # the rule did something
    # many post events pending at once (more than the board's 15-event history)
    assert max(b["_n_pending"].max() for b in blocks) > 15
    assert sum(map(len, spikes)) > 100


@pytest.mark.parametrize("dependence", sorted(DEPENDENCES))
def test_weights_reaching_w_max_and_w_min(dependence, kernel_calls):
    """Potentiation alone drives weights to w_max, depression alone to w_min."""
    for A_plus, A_minus, bound in ((0.9, 0.0, 1.2), (0.0, 0.9, 0.0)):
        synapse = lambda: _synapse("pair", dependence, A_plus=A_plus,   # noqa: E731
                                   A_minus=A_minus)
        numpy_out = _run("numpy", synapse, protocol=(100.0,), reset=False)
        numba_out = _run("numba", synapse, protocol=(100.0,), reset=False)
        assert_same_runs(numpy_out, numba_out)
        weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
        assert np.count_nonzero(np.abs(weights - bound) < 0.01) > 10, (A_plus, bound)
    assert kernel_calls


@pytest.mark.parametrize("timing", ["pair", "nearest", "triplet"])
@pytest.mark.parametrize("switch_to", ["numba", "numpy"])
def test_engine_switched_between_runs(switch_to, timing, kernel_calls):
    """The pending sums and products are the same arrays on both engines."""
    first = "numpy" if switch_to == "numba" else "numba"
    dependence = "additive" if timing == "triplet" else "multiplicative"
    synapse = lambda: _synapse(timing, dependence)     # noqa: E731
    reference = _run("numpy", synapse, reset=False)
    assert_same_runs(reference, _run(first, synapse, reset=False, switch_to=switch_to))
    assert kernel_calls


def test_steps_past_the_tables_cap_run_on_numpy(monkeypatch, kernel_calls):
    """A time constant so long that its decay table cannot cover the run (capped here at
    1024 ticks): the later steps run on NumPy, on the same state, still bit for bit."""
    monkeypatch.setattr(engine_plasticity.DecayTables, "CAP", 1024)
    monkeypatch.setattr(engine_plasticity.DecayTables, "ROW_MIN", 1024)
    synapse = lambda: _synapse("pair", "multiplicative", tau_plus=3000.0,  # noqa: E731
                               tau_minus=2500.0, A_plus=0.002, A_minus=0.002)
    numpy_out = _run("numpy", synapse, protocol=(600.0, 900.0), reset=False, rate=30.0)
    on_numpy = []
    original = splast.BoardTraces.deliver

    def numpy_deliver(self, spiking_ids, k, ring_flat):
        on_numpy.append(k + 1)
        return original(self, spiking_ids, k, ring_flat)
    monkeypatch.setattr(splast.BoardTraces, "deliver", numpy_deliver)
    numba_out = _run("numba", synapse, protocol=(600.0, 900.0), reset=False, rate=30.0)
    assert_same_runs(numpy_out, numba_out)
    assert kernel_calls and on_numpy and min(on_numpy) > 1023


@pytest.mark.parametrize("timing, dependence", [("pair", "multiplicative"),
                                                ("nearest", "additive"),
                                                ("vogels", "additive"),
                                                ("triplet", "additive")])
def test_rules_inside_compiled_stretches(timing, dependence, stretched, monkeypatch):
    """Float mode inside compiled stretches (kernels/spinnaker_plasticity.py's
    ``spinnaker_float_deliver_queued``): the same bits as NumPy, most ticks in
    stretches, the queue of post events starting small so that it grows mid-run and
    handed back between stretches, runs and a reset; the decay tables grown by the
    stretch as the step loop grows them (they start at 1024 ticks: the 200-tick runs
    stay inside, the test below passes them)."""
    assert_rules_in_stretches(monkeypatch, stretched, _run,
                              lambda: _synapse(timing, dependence), 260)


def test_tables_grown_by_stretches_past_their_first_size(stretched):
    """A run of 3000 ticks with a time constant of 1000 ticks: the decay tables (1024
    entries at first) must grow within the run, in the stretch's set-up as in the step
    loop's; the same bits, most ticks in stretches."""
    synapse = lambda: _synapse("pair", "multiplicative", tau_plus=1000.0,  # noqa: E731
                               tau_minus=800.0, A_plus=0.002, A_minus=0.002)
    numpy_out = _run("numpy", synapse, protocol=(1500.0, 1500.0), reset=False, rate=30.0)
    numba_out = _run("numba", synapse, protocol=(1500.0, 1500.0), reset=False, rate=30.0)
    assert_same_runs(numpy_out, numba_out)
    assert sum(stretched) >= 0.9 * 3000, sum(stretched)


def test_no_float_kernel_where_the_rule_has_none():
    """Per-synapse time constants, or the traces in fixed point without the board's
    weights, keep NumPy; a float-mode rule with shared time constants compiles."""
    from pynn_tinysim.engine import kernels
    k = kernels.load()
    spread = sim.RandomDistribution("uniform", low=10.0, high=20.0, rng=sim.NumpyRNG(1))
    for tau_plus, compiled in ((20.0, True), (spread, False)):
        sim.setup(timestep=1.0, fixed_point=False, engine="numba")
        pre = sim.Population(3, sim.SpikeSourceArray(spike_times=[[1.0]] * 3))
        post = sim.Population(2, sim.IF_curr_exp())
        prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=tau_plus),
            weight_dependence=sim.AdditiveWeightDependence(), weight=0.1))
        sim.run(2.0)
        block = prj._engine_block
        assert (block.compiled_deliver(k) is not None) == compiled
        block._board = True         # (fixed-point traces, float64 weights)
        assert block.compiled_deliver(k) is None
        sim.end()
