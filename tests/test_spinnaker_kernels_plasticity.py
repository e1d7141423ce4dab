"""The sPyNNaker flavour's compiled STDP (kernels/spinnaker_plasticity.py) against its NumPy
rules, bit for bit, and the board's values on the compiled engine.

SpinnakerSTDP (SpikePairRule) and NearestSTDP (SpikeNearestPairRule), with Additive- or
MultiplicativeWeightDependence, SpinnakerVogels (Vogels2011Rule) and PfisterTriplet
(PfisterSpikeTriplet with WeightDependenceAdditiveTriplet), with board weights is integer arithmetic (16-bit weights moved in s16.15, traces in
2**-11 from look-up tables), so both engines must leave exactly the same spikes,
weights, traces, stamps, post histories and pending post events. The network holds
the awkward cases: Poisson input at 300 Hz on 1 ms ticks (a source spikes several
times in one tick: each spike updates the synapses in turn), plastic recurrent
synapses (a cell's spike is a pre and a post event of the same tick), delays of 1
to 3 ticks (post events arriving in the tick of a pre spike), array sources that
stop early (post events after the last pre spike, more than the 15 a neuron's
history keeps, so some are pushed out before they count), runs split in three,
reset() and a second run, the engine switched between runs (pending events moved
into the kernel's rings and back), weights driven to w_max and w_min, and time
constants short enough that intervals pass the look-up tables' end.

Then sPyNNaker's board-recorded STDP tests (tests/test_spinnaker_board_stdp.py) and
the board's integer-step checks (tests/test_spinnaker_plasticity.py) run again here
with ``engine="numba"``, the kernel required to have run.
"""

import os
import sys

import numpy as np
import pytest
from kernel_spy import count_stretch_steps, spy_on_deliveries, spy_on_stretch_takes
from spinnaker_plastic_network import (assert_rules_in_stretches, assert_same_runs,
                                       run_plastic_network, spike_arrays)

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import plasticity as splast

pytest.importorskip("numba")

sys.path.insert(0, os.path.dirname(__file__))
import test_spinnaker_board_stdp as board_stdp  # noqa: E402
import test_spinnaker_plasticity as board_steps  # noqa: E402

TIMINGS = {"pair": sim.SpikePairRule, "nearest": sim.extra_models.SpikeNearestPairRule}
DEPENDENCES = {"additive": sim.AdditiveWeightDependence,
               "multiplicative": sim.MultiplicativeWeightDependence}
#: per-synapse arrays of the rule besides the weights
INTERNAL = ("_t_last", "_k_pre", "_k_post", "_t_post", "_n_pending", "_w_acc")


@pytest.fixture
def kernel_calls(monkeypatch):
    """The compiled deliveries the flavour's rules made (they must run, not only exist):
    the step loop's calls (their step) and the compiled stretches that took a rule
    ("stretch")."""
    calls = []
    spy_on_deliveries(monkeypatch, splast.BoardTraces, "compiled_deliver",
                      lambda args: calls.append(args[1]))
    spy_on_stretch_takes(monkeypatch, splast.BoardTraces, lambda: calls.append("stretch"))
    return calls


def _stdp(dependence, A_plus=0.05, A_minus=0.06, tau_plus=16.0, tau_minus=22.0, w_max=1.2,
          timing="pair"):
    if timing == "triplet":     # (tau_x, tau_y: tables in steps of 4 ticks)
        return sim.STDPMechanism(
            timing_dependence=sim.extra_models.PfisterSpikeTriplet(
                tau_plus=tau_plus, tau_minus=tau_minus, tau_x=60.0, tau_y=45.0,
                A_plus=A_plus, A_minus=A_minus),
            weight_dependence=sim.extra_models.WeightDependenceAdditiveTriplet(
                w_min=0.0, w_max=w_max, A3_plus=0.3 * A_plus, A3_minus=0.2 * A_minus),
            weight=0.6, delay=sim.RandomDistribution("uniform_int", low=1, high=3,
                                                     rng=sim.NumpyRNG(4)))
    if timing == "vogels":
        # (alpha 16: o - alpha of both signs here; some weights driven below zero wrap
        # around, as the board's 16-bit weights do: see SpinnakerVogels)
        rule = sim.extra_models.Vogels2011Rule(alpha=16.0, tau=tau_plus, A_plus=A_plus)
    else:
        rule = TIMINGS[timing](tau_plus=tau_plus, tau_minus=tau_minus, A_plus=A_plus,
                               A_minus=A_minus)
    return sim.STDPMechanism(
        timing_dependence=rule,
        weight_dependence=DEPENDENCES[dependence](w_min=0.0, w_max=w_max), weight=0.6,
        delay=sim.RandomDistribution("uniform_int", low=1, high=3, rng=sim.NumpyRNG(4)))


def _run(engine, synapse, protocol=(60.0, 60.0, 80.0), reset=True, switch_to=None,
         offset=0.4, rate=300.0):
    """Run the test network; [(spikes, the plastic blocks' state)] after the runs (and
    after reset() and one more run); ``switch_to``: the engine from the second run on."""
    return run_plastic_network(engine, synapse, _snapshot, protocol, reset, switch_to,
                               rate=rate, offset=offset)


def _pending(block):
    """The pending post events of each synapse (the last 15: older ones no longer count),
    as sorted (synapse, K_pre, [first,] stamp) rows."""
    syn, terms = block._deferred.take_flat(np.arange(block.size), block.size)
    block._deferred.append(syn, terms)
    if syn.size == 0:
        return np.zeros((0, 1 + len(terms)))
    rank = splast._rank_within(syn)
    count = np.bincount(syn, minlength=block.size)
    last = rank >= count[syn] - splast.EVENTS_KEPT
    rows = np.stack([syn[last], *(np.asarray(t)[last] for t in terms)], axis=1).astype(float)
    return rows[np.lexsort(rows.T[::-1])]


def _snapshot(cells, projections):
    spikes = spike_arrays(cells)
    blocks = []
    for prj in projections:
        b = prj._engine_block
        assert type(b) in (splast.SpinnakerSTDP, splast.NearestSTDP, splast.SpinnakerVogels,
                           splast.PfisterTriplet)
        assert b._board_w
        arrays = {"weight": b.weight.copy(), "pending": _pending(b),
                  "recent": b._post_history().copy(), "recent_next": b._recent_next.copy(),
                  **{n: getattr(b, n).copy() for n in INTERNAL},
                  "queue": [(e[0], e[1], e[2], list(e[3])) for e in sorted(b._heap)],
                  "done_until": b._done_until}
        blocks.append(arrays)
    return spikes, blocks


@pytest.mark.parametrize("dependence, timing", [(d, t) for t in sorted(TIMINGS)
                                                 for d in sorted(DEPENDENCES)]
                         + [("additive", "vogels"), ("additive", "triplet")])
def test_identical_on_both_engines(dependence, timing, kernel_calls):
    synapse = lambda: _stdp(dependence, timing=timing)          # noqa: E731
    numpy_out = _run("numpy", synapse)
    assert not kernel_calls
    numba_out = _run("numba", synapse)
    assert kernel_calls
    assert_same_runs(numpy_out, numba_out)
    spikes, blocks = numba_out[0]
    weights = np.concatenate([b["weight"] for b in blocks])
    assert np.unique(weights).size > 20              # the rule did something
    # the awkward cases happened: pushed-out post events, events pending at the end
    assert max(b["_n_pending"].max() for b in blocks) > 15
    assert any(b["pending"].size for b in blocks)


def test_repeated_source_spikes_in_one_tick(kernel_calls):
    """At 300 Hz on 1 ms ticks sPyNNaker's Poisson sources send several spikes per cell and
    tick: the kernel updates a synapse once per spike, as the NumPy rule's rounds do."""
    from pynn_tinysim.engine import plasticity
    repeated = []
    original = plasticity.spike_rounds

    def rounds(ids):
        out = original(ids)
        repeated.append(len(out) > 1)
        return out
    try:
        plasticity.spike_rounds = rounds
        numpy_out = _run("numpy", lambda: _stdp("additive"), protocol=(60.0,), reset=False)
    finally:
        plasticity.spike_rounds = original
    assert any(repeated)
    assert_same_runs(numpy_out, _run("numba", lambda: _stdp("additive"), protocol=(60.0,),
                                     reset=False))
    assert kernel_calls


@pytest.mark.parametrize("dependence", sorted(DEPENDENCES))
def test_weights_reaching_w_max_and_w_min(dependence):
    """Potentiation alone drives weights to w_max, depression alone to w_min (additive:
    clipped there, in s16.15, so the 16-bit weight just below w_max and exactly 0;
    multiplicative: within a few LSBs, its steps shrink below one)."""
    # (multiplicative depression by A_minus K_post > 1 would take the weight below zero,
    # where the board's 16-bit weight wraps around: kept below 1 here)
    depression = 0.9 if dependence == "additive" else 0.2
    for A_plus, A_minus, bound in ((0.9, 0.0, 1.2), (0.0, depression, 0.0)):
        synapse = lambda: _stdp(dependence, A_plus=A_plus, A_minus=A_minus)  # noqa: E731
        numpy_out = _run("numpy", synapse, protocol=(100.0,), reset=False)
        numba_out = _run("numba", synapse, protocol=(100.0,), reset=False)
        assert_same_runs(numpy_out, numba_out)
        weights = np.concatenate([b["weight"] for b in numba_out[0][1]])
        assert np.count_nonzero(np.abs(weights - bound) < 0.01) > 10, (A_plus, bound)
        if dependence == "additive":
            clipped = weights == (weights.max() if bound else 0.0)
            assert np.count_nonzero(clipped) > 10, (A_plus, bound)
            assert np.all(np.abs(weights[clipped] - bound) < 2 ** -10)


def test_intervals_past_the_look_up_tables(kernel_calls):
    """tau 2 ms: the tables end after 16 ticks (decay 0 beyond), shorter than most
    intervals between spikes here."""
    synapse = lambda: _stdp("additive", A_plus=0.3, A_minus=0.3, tau_plus=2.0,  # noqa: E731
                            tau_minus=3.0)
    numpy_out = _run("numpy", synapse, rate=20.0, offset=0.2)
    numba_out = _run("numba", synapse, rate=20.0, offset=0.2)
    assert_same_runs(numpy_out, numba_out)
    assert kernel_calls


@pytest.mark.parametrize("timing", sorted(TIMINGS) + ["vogels", "triplet"])
@pytest.mark.parametrize("switch_to", ["numba", "numpy"])
def test_engine_switched_between_runs(switch_to, timing, kernel_calls):
    """The kernel takes the NumPy rule's pending events (and gives them back) between runs:
    in order, more than 15 of them on some synapses (the nearest rule: knowing that the
    one before the oldest kept has gone)."""
    first = "numpy" if switch_to == "numba" else "numba"
    dependence = "additive" if timing in ("vogels", "triplet") else "multiplicative"
    synapse = lambda: _stdp(dependence, timing=timing)    # noqa: E731
    reference = _run("numpy", synapse, reset=False)
    assert_same_runs(reference, _run(first, synapse, reset=False, switch_to=switch_to))
    assert kernel_calls


@pytest.fixture
def stretched(monkeypatch):
    """The steps run inside compiled stretches (a list, one entry per stretch)."""
    return count_stretch_steps(monkeypatch)


@pytest.mark.parametrize("dependence, timing", [("multiplicative", "pair"),
                                                ("additive", "nearest"),
                                                ("additive", "vogels"),
                                                ("additive", "triplet")])
def test_rules_inside_compiled_stretches(dependence, timing, stretched, monkeypatch):
    """With board weights the rules run inside compiled stretches
    (kernels/spinnaker_plasticity.py's ``spinnaker_pair_deliver_queued``: the queue of
    post events as arrays): the same bits as NumPy, most ticks in stretches, the queue
    starting small so that it has to grow mid-run, and handed back (heap, history)
    between stretches and runs, across a split run and a reset (60 + 60 + 80 ticks, then
    60: the step loop runs only the ticks where a stretch must stop, the sources'
    windows, a queue grown)."""
    assert_rules_in_stretches(monkeypatch, stretched, _run,
                              lambda: _stdp(dependence, timing=timing), 260)


@pytest.mark.parametrize("fixed_point", [True, False])
def test_arena_fields_keep_their_types(fixed_point, monkeypatch):
    """Each field a stretch takes from a rule (board weights, or float mode) is laid into
    an arena of its own dtype (engine/stretch_plastic.py's ``_FLOATS``): a field read as
    the other type would be cast on the way in and back, silently where the values
    happen to survive it."""
    from pynn_tinysim.engine import stretch_plastic
    seen = []
    original = stretch_plastic.PlasticArenas.take

    def take(self, k_stop, spikes):
        plastic, k_stop = original(self, k_stop, spikes)
        for arrays, kind in zip(self._taken, self._kinds):
            _, n_fields, _, _ = stretch_plastic.KINDS[kind]
            assert len(arrays) == n_fields, kind
            floats = stretch_plastic._FLOATS[kind]
            for f, array in enumerate(arrays):
                expected = np.float64 if f in floats else np.int64
                assert array.dtype == expected and array.ndim == 1, (kind, f, array.dtype)
            seen.append(kind)
        return plastic, k_stop
    monkeypatch.setattr(stretch_plastic.PlasticArenas, "take", take)
    timings = ["pair", "nearest", "vogels", "triplet"]
    for timing in timings:
        run_plastic_network("numba", lambda: _stdp("additive", timing=timing),
                            lambda cells, prjs: None, protocol=(20.0,), reset=False,
                            fixed_point=fixed_point)
    assert set(seen) == {"board" if fixed_point else "float"}


def test_no_kernel_where_the_rule_has_none():
    """Per-synapse time constants (in fixed point and in float mode, see
    tests/test_spinnaker_kernels_float_plasticity.py) and the rules without a kernel
    keep NumPy."""
    from pynn_tinysim.engine import kernels
    k = kernels.load()
    for fixed_point in (True, False):
        tau_plus = sim.RandomDistribution("uniform", low=10.0, high=20.0, rng=sim.NumpyRNG(1))
        sim.setup(timestep=1.0, fixed_point=fixed_point, engine="numba")
        pre = sim.Population(3, sim.SpikeSourceArray(spike_times=[[1.0]] * 3))
        post = sim.Population(2, sim.IF_curr_exp())
        prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=tau_plus),
            weight_dependence=sim.AdditiveWeightDependence(), weight=0.1))
        sim.run(2.0)
        assert prj._engine_block.compiled_deliver(k) is None
        sim.end()
    sim.setup(timestep=1.0, engine="numba")
    pre = sim.Population(3, sim.SpikeSourceArray(spike_times=[[1.0]] * 3))
    post = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(),
        weight=0.1))
    sim.run(2.0)
    assert prj._engine_block.compiled_deliver(k) is not None
    sim.end()


# --- sPyNNaker's board values on the compiled engine -------------------------------------

BOARD_TESTS = [
    (board_stdp.test_pair_potentiation_and_depression,
     [(sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)]),
    (board_stdp.test_nearest_pair_potentiation_and_depression,
     [(sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)]),
    (board_stdp.test_post_spike_same_time,
     [(sim.AdditiveWeightDependence, False), (sim.MultiplicativeWeightDependence, True)]),
    (board_stdp.test_if_cond_exp_pair_additive, [()]),
    (board_stdp.test_triplet_additive, [(-10, 0.324), (10, 0.549)]),
    (board_steps.test_board_trace_arithmetic, [()]),
    (board_steps.test_board_multiplicative_pair_in_integer_steps, [()]),
    (board_steps.test_board_post_event_in_the_tick_of_the_pre_spike_depresses_fully, [()]),
    (board_steps.test_board_post_history_keeps_15_events, [()]),
    (board_steps.test_plastic_weights_back_to_their_initial_values_after_reset, [()]),
    (board_steps.test_board_nearest_pair_after_the_history_overflows, [()]),
    (board_steps.test_board_triplet_in_integer_steps, [()]),
    (board_steps.test_board_post_spike_in_the_tick_of_a_pre_spike_waits_for_the_next_one,
     [()]),
]


@pytest.mark.parametrize("test, args", [(t, a) for t, cases in BOARD_TESTS for a in cases],
                         ids=lambda x: getattr(x, "__name__", None) or "-")
def test_board_values_on_the_compiled_engine(test, args, kernel_calls, monkeypatch):
    """The values sPyNNaker's integration tests recorded on boards, and the board's
    integer steps, from the compiled rules inside compiled stretches (each of these
    scripts is one neuron family with array sources: a stretch takes the rule)."""
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", "numba")
    test(*args)
    assert "stretch" in kernel_calls
