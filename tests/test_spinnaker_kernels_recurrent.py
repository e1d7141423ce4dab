"""The sPyNNaker flavour's compiled RecurrentRule (kernels/spinnaker_recurrent.py) against
its NumPy rule (engine/spinnaker/recurrent.py), bit for bit.

Both state machines (pre_stochastic and dual_fsm), with the board's 16-bit weights
(fixed point) and with float64 weights, multiplicative and additive: the same spikes,
weights, accumulators, states, windows, pending post events, and the same random
draws (the generator's state after the run too: the kernel reads draws taken ahead
and the rule winds the generator back to those it used). The network holds the
awkward cases: Poisson input at 300 Hz on 1 ms ticks (a source spiking several times
in one tick), plastic recurrent synapses (a cell's spike a pre and a post event of
the same tick), delays of 1 to 3 ticks (post events arriving in the tick of a pre
spike), array sources that stop early (post events left pending), short windows
(the state machines' every branch), runs split in three, reset() and another run,
the engine switched between runs, and a coarse time step.
"""

import numpy as np
import pytest
from kernel_spy import spy_on_deliveries
from spinnaker_plastic_network import run_plastic_network, spike_arrays

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import recurrent

pytest.importorskip("numba")

DEPENDENCES = {"additive": sim.AdditiveWeightDependence,
               "multiplicative": sim.MultiplicativeWeightDependence}
#: the rule's per-synapse arrays compared besides the weights
INTERNAL = ("_t_last", "_n_pending", "_accumulator", "_fsm", "_window", "_pre_window",
            "_post_arrival", "_post_window")


@pytest.fixture
def kernel_calls(monkeypatch):
    """The compiled deliveries the rule made (they must run, not only exist)."""
    calls = []
    spy_on_deliveries(monkeypatch, recurrent.RecurrentSTDP, "compiled_deliver", lambda args: calls.append(args[1]))
    return calls


def _rule(dual, dependence="multiplicative", window=4.0, delay=None):
    return sim.STDPMechanism(
        timing_dependence=sim.extra_models.RecurrentRule(
            accumulator_depression=-2, accumulator_potentiation=2, mean_pre_window=window,
            mean_post_window=1.5 * window, dual_fsm=dual, A_plus=0.1, A_minus=0.08),
        weight_dependence=DEPENDENCES[dependence](w_min=0.0, w_max=1.2), weight=0.6,
        delay=delay or sim.RandomDistribution("uniform_int", low=1, high=3,
                                              rng=sim.NumpyRNG(4)))


def _run(engine, synapse, fixed_point=True, protocol=(60.0, 60.0, 80.0), reset=True,
         switch_to=None, dt=1.0):
    """[(spikes, the plastic blocks' state, their generators' states)] after the runs
    (and after reset() and one more run); ``switch_to``: the engine from the second run."""
    return run_plastic_network(engine, synapse, _snapshot, protocol, reset, switch_to, dt=dt,
                               fixed_point=fixed_point)


def _pending(block):
    """The pending post events as (synapse, arrival, window, previous) rows in order."""
    syn, terms = block._deferred.take_flat(np.arange(block.size), block.size)
    block._deferred.append(syn, terms)
    return np.stack([syn, *(np.asarray(t) for t in terms)], axis=1) if syn.size else \
        np.zeros((0, 4))


def _snapshot(cells, projections):
    spikes = spike_arrays(cells)
    blocks = []
    for p in projections:
        b = p._block
        state = {name: getattr(b, name).copy() for name in INTERNAL}
        state["weight"] = b.weight.copy()
        state["pending"] = _pending(b)
        state["rng"] = repr(b.rng.bit_generator.state)
        if getattr(b, "_pw_ring", None) is not None:
            state["pw"] = (b._pw_ring.copy(), b._pw_stamp.copy())
        blocks.append(state)
    return spikes, blocks


def _assert_same(a, b):
    for (spikes_a, blocks_a), (spikes_b, blocks_b) in zip(a, b):
        assert len(spikes_a) == len(spikes_b)
        for x, y in zip(spikes_a, spikes_b):
            np.testing.assert_array_equal(x, y)
        for x, y in zip(blocks_a, blocks_b):
            assert x.keys() == y.keys()
            for name in x:
                if name == "pw":
                    for u, v in zip(x[name], y[name]):
                        np.testing.assert_array_equal(u, v)
                elif name == "rng":
                    assert x[name] == y[name]
                else:
                    np.testing.assert_array_equal(x[name], y[name], err_msg=name)


def _moved(result):
    """The runs changed weights and states (the comparison is not of idle synapses)."""
    (_, blocks), *_ = result
    assert any((b["weight"] != 0.6).any() for b in blocks)
    assert any((b["_accumulator"] != 0).any() for b in blocks)


@pytest.mark.parametrize("fixed_point", [True, False])
@pytest.mark.parametrize("dual", [True, False])
def test_compiled_recurrent_rule_is_bit_identical(dual, fixed_point, kernel_calls):
    synapse = lambda: _rule(dual)       # noqa: E731
    reference = _run("numpy", synapse, fixed_point)
    assert not kernel_calls
    compiled = _run("numba", synapse, fixed_point)
    assert kernel_calls
    _moved(reference)
    _assert_same(reference, compiled)


@pytest.mark.parametrize("dual", [True, False])
def test_compiled_recurrent_rule_additive(dual, kernel_calls):
    synapse = lambda: _rule(dual, "additive")       # noqa: E731
    for fixed_point in (True, False):
        reference = _run("numpy", synapse, fixed_point, protocol=(80.0, 70.0), reset=False)
        compiled = _run("numba", synapse, fixed_point, protocol=(80.0, 70.0), reset=False)
        _moved(reference)
        _assert_same(reference, compiled)
    assert kernel_calls


@pytest.mark.parametrize("dual", [True, False])
def test_engine_switched_between_runs(dual, kernel_calls):
    # pending events, post windows and the generator handed between the engines
    synapse = lambda: _rule(dual)       # noqa: E731
    reference = _run("numpy", synapse, reset=False)
    for first, then in (("numpy", "numba"), ("numba", "numpy")):
        _assert_same(reference, _run(first, synapse, reset=False, switch_to=then))
    assert kernel_calls


@pytest.mark.parametrize("dual", [True, False])
def test_coarse_time_step(dual, kernel_calls):
    # dt 2 ms: windows of fewer ticks (the tables are by ticks), delays of one tick
    synapse = lambda: _rule(dual, window=10.0, delay=2.0)       # noqa: E731
    reference = _run("numpy", synapse, protocol=(120.0, 100.0), reset=False, dt=2.0)
    compiled = _run("numba", synapse, protocol=(120.0, 100.0), reset=False, dt=2.0)
    _moved(reference)
    _assert_same(reference, compiled)
    assert kernel_calls


@pytest.mark.parametrize("dual", [True, False])
def test_small_blocks_of_draws_and_log(dual, kernel_calls, monkeypatch):
    # draws taken ahead a few at a time (the generator wound back and forth between
    # blocks), the log of pending post events compacted and grown many times
    monkeypatch.setattr(recurrent.RecurrentSTDP, "DRAW_BLOCK", 3)
    monkeypatch.setattr(recurrent.RecurrentSTDP, "LOG_MIN", 2)
    synapse = lambda: _rule(dual)       # noqa: E731
    reference = _run("numpy", synapse, protocol=(50.0, 40.0), reset=False)
    compiled = _run("numba", synapse, protocol=(50.0, 40.0), reset=False)
    _assert_same(reference, compiled)
    assert kernel_calls
