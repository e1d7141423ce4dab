"""Synapse dynamics: STDP, Vogels-Sprekeler, Tsodyks-Markram, stochastic release.

Three kinds of checks:

* agreement with pyNN.nest (NEST in a subprocess running the same protocols,
  tests/_plasticity_protocols.py; skipped without NEST): weight changes of STDP
  pairings for the four weight dependences, STDP with random trains and several
  delays, the Vogels-Sprekeler rule, and the membrane potential under a
  Tsodyks-Markram PSP train. The rules are NEST's own equations in the same
  order, so agreement is to rounding (asserted to 1e-6 relative, far inside the
  1 % the issue asks for);
* closed forms and PyNN semantics without NEST: one pairing, get/set of
  parameters and state, reset() restoring weights, split runs;
* statistics of stochastic release (against the exact expectation of each
  model's Markov chain) and reproducibility with rng_seed.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pyNN.parameters import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _protocols as P  # noqa: E402
import _plasticity_protocols as PP  # noqa: E402

from pyNN import errors  # noqa: E402

import pyNN.tinysim as sim  # noqa: E402

NEST_RTOL = 1e-6


# --- agreement with NEST ----------------------------------------------------------------

@pytest.fixture(scope="module")
def nest_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("nest_plasticity") / "result.json"
    proc = subprocess.run(
        [sys.executable, str(Path(PP.__file__).resolve()), str(out), *PP.PROTOCOLS],
        cwd=str(out.parent), capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != P.BACKEND_ENV})
    if proc.returncode == 3:
        pytest.skip("NEST reference unavailable: " + proc.stderr.strip().splitlines()[-1])
    assert proc.returncode == 0, f"NEST reference run failed:\n{proc.stderr[-4000:]}"
    with open(out) as f:
        return json.load(f)["protocols"]


def _same_spikes(ref, got):
    assert len(ref) == len(got)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6)


def _relative_error(got, ref, reference_change):
    return np.max(np.abs(np.asarray(got) - np.asarray(ref))) / np.max(np.abs(reference_change))


@pytest.fixture(scope="module")
def pairing():
    return PP.stdp_pairing(sim, "tinysim")


@pytest.mark.parametrize("dependence", PP.WEIGHT_DEPENDENCES + ["AdditiveClipped"])
def test_stdp_pairing_weight_change_matches_nest(dependence, pairing, nest_results):
    ref = nest_results["stdp_pairing"]
    # the protocol imposed the same spikes on both simulators
    _same_spikes(ref["post_spikes"], pairing["post_spikes"])
    _same_spikes(ref["pre_spikes"], pairing["pre_spikes"])
    dw_nest = np.asarray(ref["weights"][dependence]) - PP.W0
    dw = np.asarray(pairing["weights"][dependence]) - PP.W0
    assert np.abs(dw_nest).max() > 0.1 * PP.W0  # the protocol really changes the weights
    assert np.sign(dw_nest[-3]) > 0 and np.sign(dw_nest[2]) < 0  # causal LTP, acausal LTD
    assert _relative_error(dw, dw_nest, dw_nest) < NEST_RTOL, (dw, dw_nest)
    # and per synapse, the 1 % the issue asks for
    big = np.abs(dw_nest) > 1e-9
    print(f"\n{dependence}: weight change vs NEST, largest relative difference per synapse "
          f"{np.max(np.abs(dw[big] - dw_nest[big]) / np.abs(dw_nest[big])):.2e}")
    np.testing.assert_allclose(dw[big], dw_nest[big], rtol=0.01)


def test_stdp_clipping_reaches_both_bounds(pairing):
    w = np.asarray(pairing["weights"]["AdditiveClipped"])
    # (the flushing presynaptic spike, 500 ms later, still depresses by ~1e-8)
    assert w.min() == 0.0 and w.max() == pytest.approx(PP.W_MAX, rel=1e-6)


def test_stdp_random_trains_with_several_delays_match_nest(nest_results):
    ref = nest_results["stdp_random"]
    got = PP.stdp_random(sim, "tinysim")
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    w0 = np.asarray(ref["initial"])
    for name, w_nest in ref["weights"].items():
        assert _relative_error(got["weights"][name], w_nest, np.asarray(w_nest) - w0) < NEST_RTOL
    # the membrane potential shows every weight transmitted, spike by spike
    np.testing.assert_allclose(got["v"], ref["v"], rtol=0, atol=1e-6)


def test_vogels_sprekeler_matches_nest(nest_results):
    ref = nest_results["vogels"]
    got = PP.vogels(sim, "tinysim")
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    dw_nest = np.asarray(ref["weights"]) - PP.VOGELS_W0
    assert np.abs(dw_nest).max() > 0.05 * PP.VOGELS_W0
    assert _relative_error(got["weights"], ref["weights"], dw_nest) < NEST_RTOL


# --- post spikes after the last presynaptic spike: weights as NEST reports them ----------
# NEST changes a weight only when a presynaptic spike crosses the synapse
# (stdp_synapse.h / vogels_sprekeler_synapse.h, send()); these protocols end with
# post spikes that no presynaptic spike follows, so a simulator that applied
# potentiation at the post spike would report larger weights.

TRAILING_RTOL = 1e-9


def _assert_trailing_posts(pre_spikes, post_spikes, delay_max):
    last_pre = max(max(t) for t in pre_spikes if len(t))
    assert max(max(t) for t in post_spikes if len(t)) + delay_max > last_pre + 1.0


@pytest.mark.parametrize("dependence", PP.WEIGHT_DEPENDENCES + ["AdditiveClipped"])
def test_stdp_pairing_trailing_posts_match_nest(dependence, nest_results):
    ref = nest_results["stdp_pairing_trailing"]
    got = _trailing_pairing()
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    _same_spikes(ref["pre_spikes"], got["pre_spikes"])
    _assert_trailing_posts(got["pre_spikes"], got["post_spikes"], PP.PLASTIC_DELAY)
    np.testing.assert_allclose(got["weights"][dependence], ref["weights"][dependence],
                               rtol=TRAILING_RTOL, atol=0)
    # the last causal pairing of each cell is not in the weight (it is in the flushed run)
    flushed = nest_results["stdp_pairing"]["weights"][dependence]
    assert not np.allclose(ref["weights"][dependence], flushed, rtol=1e-6, atol=0)


_TRAILING_PAIRING = {}


def _trailing_pairing():
    if not _TRAILING_PAIRING:
        _TRAILING_PAIRING.update(PP.stdp_pairing(sim, "tinysim", flush=False))
    return _TRAILING_PAIRING


def test_stdp_random_trailing_posts_match_nest(nest_results):
    ref = nest_results["stdp_random_trailing"]
    got = PP.stdp_random(sim, "tinysim", flush=False)
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    assert set(ref["weights"]) == set(PP.WEIGHT_DEPENDENCES)
    for name, w_nest in ref["weights"].items():
        assert not np.allclose(w_nest, ref["initial"])
        np.testing.assert_allclose(got["weights"][name], w_nest, rtol=TRAILING_RTOL, atol=0,
                                   err_msg=name)
    np.testing.assert_allclose(got["v"], ref["v"], rtol=0, atol=1e-6)


def test_vogels_sprekeler_trailing_posts_match_nest(nest_results):
    ref = nest_results["vogels_trailing"]
    got = PP.vogels(sim, "tinysim", flush=False)
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    assert np.abs(np.asarray(ref["weights"]) - PP.VOGELS_W0).max() > 0.05 * PP.VOGELS_W0
    np.testing.assert_allclose(got["weights"], ref["weights"], rtol=TRAILING_RTOL, atol=0)


@pytest.mark.parametrize("case", list(PP.TM_CASES))
def test_tsodyks_markram_psp_train_matches_nest(case, nest_results):
    i = list(PP.TM_CASES).index(case)
    v_nest = np.asarray(nest_results["tsodyks_markram"]["v"][i])
    v = np.asarray(PP.tsodyks_markram(sim, "tinysim")["v"][i])
    amplitude = np.abs(v_nest - v_nest[0]).max()
    assert amplitude > 1.0
    assert np.abs(v - v_nest).max() / amplitude < NEST_RTOL


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_repeated_presynaptic_spikes_match_nest(engine, nest_results, monkeypatch):
    """A source spiking two and three times at one instant (one step): NEST unrolls the
    parrot's multiplicity, so each spike updates the plastic synapse in turn and
    transmits what its own update left (STDP weights after pairings; the v of cells
    driven only by STDP and Tsodyks-Markram synapses, the latter's amounts changing
    from spike to spike). Both engines (the compiled rules run their rounds too)."""
    if engine == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", engine)
    ref = nest_results["repeated_pre"]
    got = PP.repeated_pre(sim, "tinysim")
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    for name, w_nest in ref["weights"].items():
        change = abs(w_nest - PP.W0)
        if name != "listener_additive":
            assert change > 1e-4           # the pairings really move the weights
        assert abs(got["weights"][name] - w_nest) <= NEST_RTOL * max(change, PP.W0), name
    v_nest, v = np.asarray(ref["v"]), np.asarray(got["v"])
    for i in range(v_nest.shape[0]):
        amplitude = np.abs(v_nest[i] - v_nest[i][0]).max()
        assert amplitude > 1.0
        assert np.abs(v[i] - v_nest[i]).max() / amplitude < NEST_RTOL


def _compiled_stdp_counted(monkeypatch):
    """The STDP blocks for which a kernel was set up (the compiled path really ran)."""
    from pynn_tinysim.engine import plasticity
    used = []
    original = plasticity.PairTraceRule._kernel_setup

    def counting(self):
        setup = original(self)
        if setup is not None:
            used.append(setup[0])
        return setup
    monkeypatch.setattr(plasticity.PairTraceRule, "_kernel_setup", counting)
    return used


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_stdp_tau_plus_per_synapse_matches_nest(engine, nest_results, monkeypatch):
    """tau_plus per connection in three classes (NEST's stdp_synapse holds it per
    connection), random trains, several delays, the four weight dependences (Gutig's
    included): the weights NEST reports, on both engines (the compiled one with one
    decay table per class)."""
    if engine == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", engine)
    used = _compiled_stdp_counted(monkeypatch)
    ref = nest_results["stdp_tau_classes"]
    got = PP.stdp_tau_classes(sim, "tinysim")
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    w0 = np.asarray(ref["initial"])
    for name, w_nest in ref["weights"].items():
        change = np.asarray(w_nest) - w0
        assert np.abs(change).max() > 0.05 * PP.W_MAX, name
        assert _relative_error(got["weights"][name], w_nest, change) < NEST_RTOL, name
    if engine == "numba":
        from pynn_tinysim.engine.kernels import plasticity as rules
        assert rules.STDP_LOG in used and rules.STDP_SUM in used


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_tsodyks_markram_parameters_per_connection_match_nest(engine, nest_results,
                                                               monkeypatch):
    """U, tau_rec, tau_facil per connection in one projection, targets with different
    tau_syn_E (tau_psc): v as NEST's, on both engines (the compiled one with a decay
    table row per value)."""
    if engine == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", engine)
    from pynn_tinysim.engine import plasticity
    used = []
    original = plasticity.TsodyksMarkram._tm_table
    monkeypatch.setattr(plasticity.TsodyksMarkram, "_tm_table",
                        lambda self: used.append(1) or original(self))
    v_nest = np.asarray(nest_results["tm_classes"]["v"])
    v = np.asarray(PP.tm_classes(sim, "tinysim")["v"])
    for i in range(v_nest.shape[0]):
        amplitude = np.abs(v_nest[i] - v_nest[i][0]).max()
        assert amplitude > 1.0
        assert np.abs(v[i] - v_nest[i]).max() / amplitude < NEST_RTOL
    assert bool(used) == (engine == "numba")


def test_compiled_stdp_random_trains_match_nest(nest_results, monkeypatch):
    """stdp_random (Gutig's weight dependence among the four) on the compiled engine."""
    pytest.importorskip("numba")
    monkeypatch.setenv("PYNN_TINYSIM_ENGINE", "numba")
    used = _compiled_stdp_counted(monkeypatch)
    ref = nest_results["stdp_random"]
    got = PP.stdp_random(sim, "tinysim")
    _same_spikes(ref["post_spikes"], got["post_spikes"])
    w0 = np.asarray(ref["initial"])
    for name, w_nest in ref["weights"].items():
        assert _relative_error(got["weights"][name], w_nest, np.asarray(w_nest) - w0) < NEST_RTOL
    np.testing.assert_allclose(got["v"], ref["v"], rtol=0, atol=1e-6)
    from pynn_tinysim.engine.kernels import plasticity as rules
    assert rules.STDP_LOG in used



def test_spike_rounds_split_repeated_ids_in_order():
    from pynn_tinysim.engine.plasticity import spike_rounds
    ids = np.array([7, 3, 7, 9, 3, 7, 1])
    rounds = spike_rounds(ids)
    assert [r.tolist() for r in rounds] == [[7, 3, 9, 1], [7, 3], [7]]
    ascending = np.array([1, 4, 9])
    assert spike_rounds(ascending)[0] is ascending and len(spike_rounds(ascending)) == 1
    assert [r.tolist() for r in spike_rounds(np.array([5, 2, 8]))] == [[5, 2, 8]]


def test_stochastic_release_draws_afresh_for_a_repeated_spike():
    """SimpleStochasticSynapse (p = 0.5) from a source spiking twice at every instant:
    the second spike's draw is its own (NEST draws once per unrolled spike), so both
    spikes transmit in about a quarter of the instants, not a half."""
    sim.setup(timestep=1.0, min_delay=1.0, rng_seed=5)
    times = [float(t) for t in range(10, 2010, 10) for _ in range(2)]
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
    cell = sim.Population(1, sim.IF_curr_delta(v_thresh=1e9, tau_m=1e9, v_rest=0.0,
                                               v_reset=0.0, tau_refrac=0.0))
    cell.initialize(v=0.0)
    sim.Projection(source, cell, sim.AllToAllConnector(),
                   sim.SimpleStochasticSynapse(p=0.5, weight=1.0, delay=1.0))
    cell.record("v")
    sim.run(2015.0)
    v = P.signal(cell.get_data().segments[0], "v").magnitude.ravel()
    jumps = np.round(np.diff(v)).astype(int)
    jumps = jumps[jumps != 0]
    arrivals = len(times) // 2
    both = np.count_nonzero(jumps == 2)
    # Binomial(200, 1/4): 50 expected; a shared draw would give ~100
    assert 25 <= both <= 75, both
    assert np.sum(jumps) == pytest.approx(arrivals, rel=0.2)
    sim.end()


# --- closed forms and PyNN semantics -------------------------------------------------------

FLUSH_PRE = 120.0    # a second presynaptic spike, 70 ms after the pair


def _one_pairing(dt_eff, dependence="AdditiveWeightDependence", delay=1.0, w0=0.05,
                 flush=False):
    """Weight after one pre/post pair with t_post + delay - t_pre = dt_eff.

    With ``flush``, the presynaptic source fires once more at FLUSH_PRE.
    """
    sim.setup(timestep=0.1, min_delay=0.1)
    t_pre = 50.0
    t_post = t_pre + dt_eff - delay
    pre = sim.Population(1, sim.SpikeSourceArray(
        spike_times=[t_pre, FLUSH_PRE] if flush else [t_pre]))
    post = PP._teacher_cells(sim, [[round(t_post - PP.TEACHER_LATENCY, 6)]])
    stdp = sim.STDPMechanism(sim.SpikePairRule(**PP.TIMING),
                             getattr(sim, dependence)(w_min=0.0, w_max=0.1),
                             weight=w0, delay=delay)
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
    post.record("spikes")
    sim.run(150.0)
    assert np.allclose(post.get_data().segments[0].spiketrains[0].magnitude, [t_post])
    return prj.get("weight", format="array")[0, 0]


@pytest.mark.parametrize("dt_eff", [-15.0, -3.0, 4.0, 12.5])
def test_single_pairing_closed_form(dt_eff):
    """One pair, then (flush) one more presynaptic spike; NEST's stdp_synapse in closed form.

    The weight changes only when a presynaptic spike crosses the synapse
    (nest-simulator stdp_synapse.h, send()): a post spike that follows the last
    pre spike has not reached the weight read after the run.
    """
    A, w_max, w0 = PP.TIMING, 0.1, 0.05
    t_arrival = 50.0 + dt_eff                  # t_post + delay
    # the flush spike is depressed by the post trace left by the pair
    k_flush = np.exp(-(FLUSH_PRE - t_arrival) / A["tau_minus"])
    if dt_eff > 0:
        paired = w0 + w_max * A["A_plus"] * np.exp(-dt_eff / A["tau_plus"])
        assert _one_pairing(dt_eff) == w0       # potentiation waits for a pre spike
    else:
        paired = w0 - w_max * A["A_minus"] * np.exp(dt_eff / A["tau_minus"])
        assert _one_pairing(dt_eff) == pytest.approx(paired, rel=1e-12)
    expected = paired - w_max * A["A_minus"] * k_flush
    assert _one_pairing(dt_eff, flush=True) == pytest.approx(expected, rel=1e-12)
    # multiplicative: steps proportional to (w_max - w) and w
    x0 = w0 / w_max
    if dt_eff > 0:
        x = x0 + A["A_plus"] * (1 - x0) * np.exp(-dt_eff / A["tau_plus"])
    else:
        x = x0 - A["A_minus"] * x0 * np.exp(dt_eff / A["tau_minus"])
    x -= A["A_minus"] * x * k_flush
    assert _one_pairing(dt_eff, "MultiplicativeWeightDependence", flush=True) == \
        pytest.approx(w_max * x, rel=1e-12)


def test_simultaneous_arrival_is_no_pairing():
    """t_post + delay == t_pre: neither trace sees the other spike (NEST's convention)."""
    assert _one_pairing(0.0) == 0.05


def test_plastic_delivery_equals_static_when_rule_is_off():
    """STDP with A_plus = A_minus = 0 transmits exactly what a StaticSynapse does."""
    rng = np.random.default_rng(3)
    conn = [(i, j, float(rng.uniform(0.1, 1.0)), float(rng.choice([0.1, 0.7, 2.3])))
            for i in range(6) for j in range(5) if rng.random() < 0.7]
    trains = [sorted(rng.choice(np.arange(1, 400), 12, replace=False) * 0.5) for _ in range(6)]
    traces = []
    for plastic in (False, True):
        sim.setup(timestep=0.1, min_delay=0.1)
        pre = sim.Population(6, sim.SpikeSourceArray(spike_times=trains))
        post = sim.Population(5, sim.IF_curr_exp(v_thresh=-55.0))
        syn = (sim.STDPMechanism(sim.SpikePairRule(A_plus=0.0, A_minus=0.0),
                                 sim.AdditiveWeightDependence(w_max=1.0))
               if plastic else sim.StaticSynapse())
        sim.Projection(pre, post, sim.FromListConnector(conn, column_names=["weight", "delay"]),
                       syn)
        post.record(["v", "spikes"])
        sim.run(250.0)
        traces.append(P.signal(post.get_data().segments[0], "v").magnitude)
    assert sum(len(s) for s in post.get_data().segments[0].spiketrains) > 0
    np.testing.assert_array_equal(traces[0], traces[1])


def _stdp_network(seed=1):
    """Poisson-driven recurrent STDP network (several delays) for determinism checks."""
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=seed)
    noise = sim.Population(20, sim.SpikeSourcePoisson(rate=40.0))
    cells = sim.Population(10, sim.IF_curr_exp(tau_refrac=2.0))
    sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.5, rng=sim.NumpyRNG(5)),
                   sim.StaticSynapse(weight=0.9, delay=0.5))
    stdp = sim.STDPMechanism(sim.SpikePairRule(A_plus=0.02, A_minus=0.021),
                             sim.MultiplicativeWeightDependence(w_max=0.5),
                             weight=0.25, delay=sim.RandomDistribution(
                                 "uniform", (0.2, 3.0), rng=sim.NumpyRNG(9)))
    prj = sim.Projection(cells, cells, sim.AllToAllConnector(allow_self_connections=False), stdp)
    cells.record("spikes")
    return prj, cells


def test_split_run_equals_one_run_and_reset_restores_weights():
    prj, cells = _stdp_network()
    w_initial = prj.get("weight", format="array")
    sim.run(300.0)
    w_one = prj.get("weight", format="array")
    assert np.nanmax(np.abs(w_one - w_initial)) > 1e-3
    sim.reset()
    np.testing.assert_array_equal(prj.get("weight", format="array"), w_initial)

    prj, cells = _stdp_network()
    for _ in range(3):   # post spikes still travelling at each boundary must not be lost
        sim.run(100.0)
    np.testing.assert_array_equal(prj.get("weight", format="array"), w_one)

    # a recompile between runs (any projection changed) re-queues them: same result
    prj, cells = _stdp_network()
    sim.run(150.0)
    prj.set(delay=prj.get("delay", format="array"))
    sim.run(150.0)
    np.testing.assert_array_equal(prj.get("weight", format="array"), w_one)


def test_set_weights_after_a_run_become_initial_weights():
    prj, cells = _stdp_network()
    sim.run(100.0)
    prj.set(weight=0.3)
    sim.run(100.0)
    assert np.nanstd(prj.get("weight", format="array")) > 0
    sim.reset()
    w = prj.get("weight", format="array")
    assert np.all(w[~np.isnan(w)] == 0.3)


def test_parameters_readable_and_settable():
    sim.setup(timestep=0.1)
    p1 = sim.Population(3, sim.IF_cond_exp())
    p2 = sim.Population(2, sim.IF_cond_exp())
    stdp = sim.STDPMechanism(sim.SpikePairRule(tau_plus=15.0, A_minus=0.02),
                             sim.GutigWeightDependence(w_max=0.3, mu_plus=0.2, mu_minus=0.9),
                             weight=0.1, delay=0.5)
    prj = sim.Projection(p1, p2, sim.AllToAllConnector(), stdp)
    names = ["weight", "delay", "tau_plus", "tau_minus", "A_plus", "A_minus",
             "w_min", "w_max", "mu_plus", "mu_minus", "dendritic_delay_fraction"]
    values = prj.get(names, format="list", with_address=False)
    assert values[0] == (0.1, 0.5, 15.0, 20.0, 0.01, 0.02, 0.0, 0.3, 0.2, 0.9, 1.0)
    prj.set(A_plus=np.arange(6.0).reshape(3, 2) / 100)
    np.testing.assert_allclose(prj.get("A_plus", format="array"),
                               np.arange(6.0).reshape(3, 2) / 100)
    assert prj[5].A_plus == pytest.approx(0.05)
    with pytest.raises(errors.InvalidParameterValueError, match="tau_minus"):
        prj.set(tau_minus=-1.0)
    with pytest.raises(errors.NonExistentParameterError):
        prj.set(U=0.3)

    tm = sim.Projection(p1, p2, sim.AllToAllConnector(),
                        sim.TsodyksMarkramSynapse(U=0.4, tau_facil=50.0, weight=0.01))
    np.testing.assert_array_equal(tm.get("tau_facil", format="array"), np.full((3, 2), 50.0))
    tm.initialize(u=0.25)
    np.testing.assert_array_equal(tm.get("u", format="array"), np.full((3, 2), 0.25))


def test_tsodyks_markram_state_after_run_and_reset():
    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 20.0, 30.0]))
    cell = sim.Population(1, sim.IF_curr_exp())
    prj = sim.Projection(src, cell, sim.AllToAllConnector(),
                         sim.TsodyksMarkramSynapse(U=0.3, tau_facil=100.0, weight=1.0))
    sim.run(50.0)
    # u after three spikes 10 ms apart: u_k = U + u_{k-1} e^(-10/100) (1 - U)
    u = 0.0
    for _ in range(3):
        u = 0.3 + u * np.exp(-0.1) * 0.7
    assert prj.get("u", format="array")[0, 0] == pytest.approx(u, rel=1e-12)
    sim.reset()
    assert prj.get("u", format="array")[0, 0] == 0.0


def test_unsupported_combinations_raise():
    sim.setup(timestep=0.1)
    with pytest.raises(ValueError, match="dendritic_delay_fraction"):
        sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence(),
                          dendritic_delay_fraction=0.0)
    p = sim.Population(2, sim.IF_curr_exp())
    with pytest.raises(errors.NoModelAvailableError):
        sim.Projection(p, p, sim.AllToAllConnector(),
                       sim.STDPMechanism(sim.Vogels2011Rule(),
                                         sim.MultiplicativeWeightDependence()))
    with pytest.raises(errors.InvalidParameterValueError, match="U=1.5"):
        sim.Projection(p, p, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(U=1.5))


# --- stochastic release -------------------------------------------------------------------

N_TARGETS = 300
ISI = 20.0
N_SPIKES = 20


def _release_counts(synapse, seed=11, split=False, engine=None):
    """Releases per (spike, target), from v jumps of non-leaky delta-synapse cells
    (``engine``: setup's, else its default)."""
    sim.setup(timestep=0.1, min_delay=0.1, rng_seed=seed,
              **({} if engine is None else {"engine": engine}))
    spikes = [10.0 + ISI * k for k in range(N_SPIKES)]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=spikes))
    cells = sim.Population(N_TARGETS, sim.IF_curr_delta(
        tau_m=1e9, v_rest=0.0, v_reset=0.0, v_thresh=1e9, tau_refrac=0.0))
    cells.initialize(v=0.0)
    sim.Projection(src, cells, sim.AllToAllConnector(), synapse)
    cells.record("v")
    t_stop = spikes[-1] + 5.0
    if split:
        sim.run(t_stop / 2)
        sim.run(t_stop / 2)
    else:
        sim.run(t_stop)
    v = P.signal(cells.get_data().segments[0], "v").magnitude
    arrivals = [int(round((t + 1.0) / 0.1)) + 1 for t in spikes]   # delay 1 ms
    # v jumps by weight x releases (1 mV each); the cells leak ~1e-7 mV per step
    return np.round(np.diff(np.vstack([np.zeros(N_TARGETS), v[arrivals]]), axis=0), 3)


def _markov_expectation(U, tau_rec, tau_facil, n_spikes=N_SPIKES, isi=ISI, first=None):
    """Expected releases per site and spike: recovery check, then release with prob u.

    ``first``: (u, fraction of sites available) at the first spike, used without
    the facilitation and recovery update (NEST's quantal_stp_synapse); default:
    u jumps to U from 0, every site available.
    """
    r, u, out = 1.0, 0.0, []
    q = 1.0 - np.exp(-isi / tau_rec)
    decay = np.exp(-isi / tau_facil) if tau_facil > 0 else 0.0
    for k in range(n_spikes):
        if k == 0 and first is not None:
            u, available = first
        else:
            u = U + u * (decay if k else 0.0) * (1.0 - U)
            available = r + (1.0 - r) * q if k else 1.0
        out.append(u * available)
        r = available * (1.0 - u)
    return np.array(out)


def _check_counts(counts, expected_per_synapse, n_sites=1):
    """Per spike: the mean over targets within 5 sigma of the expectation; total within 4."""
    mean = counts.mean(axis=1)
    p = expected_per_synapse
    sigma = np.sqrt(n_sites * p * (1 - p) / N_TARGETS) + 1e-12
    assert np.all(np.abs(mean - n_sites * p) < 5 * sigma + 1e-9), (mean, n_sites * p)
    total_sigma = np.sqrt(np.sum(n_sites * p * (1 - p)) * N_TARGETS) * 2  # slack: correlated
    assert abs(counts.sum() - N_TARGETS * n_sites * p.sum()) < 4 * total_sigma


def test_simple_stochastic_release_probability():
    p = np.tile([0.0, 0.3, 1.0], N_TARGETS // 3)
    counts = _release_counts(sim.SimpleStochasticSynapse(
        weight=1.0, delay=1.0, p=p[np.newaxis, :]))
    assert set(np.unique(np.round(counts, 9))) <= {0.0, 1.0}
    assert counts[:, p == 0.0].sum() == 0
    assert np.all(counts[:, p == 1.0] == 1.0)
    frac = counts[:, p == 0.3].mean()
    n = counts[:, p == 0.3].size
    assert abs(frac - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


def test_stochastic_tsodyks_markram_release_statistics():
    params = dict(U=0.4, tau_rec=60.0, tau_facil=50.0)
    counts = _release_counts(sim.StochasticTsodyksMarkramSynapse(weight=1.0, delay=1.0,
                                                                 **params))
    assert set(np.unique(np.round(counts, 9))) <= {0.0, 1.0}
    _check_counts(counts, _markov_expectation(**params))


def test_multi_quantal_release_statistics():
    params = dict(U=0.3, tau_rec=80.0, tau_facil=0.0)
    counts = _release_counts(sim.MultiQuantalSynapse(weight=1.0, delay=1.0, n=5, **params))
    assert np.allclose(counts, np.round(counts)) and counts.max() <= 5
    assert counts.max() >= 3
    # first spike as NEST: u = 0.5 and one of the five sites available (pyNN.nest's
    # initial state), so on average 0.5 releases, not 5 U = 1.5
    expected = _markov_expectation(**params, first=(0.5, 1 / 5))
    assert expected[0] * 5 == pytest.approx(0.5)
    _check_counts(counts, expected, n_sites=5)
    assert counts[0].max() <= 1


@pytest.mark.parametrize("make, n_sites, expected", [
    (lambda: sim.StochasticTsodyksMarkramSynapse(weight=1.0, delay=1.0, U=0.4, tau_rec=60.0,
                                                 tau_facil=50.0),
     1, lambda: _markov_expectation(U=0.4, tau_rec=60.0, tau_facil=50.0)),
    (lambda: sim.MultiQuantalSynapse(weight=1.0, delay=1.0, n=5, U=0.3, tau_rec=80.0,
                                     tau_facil=0.0),
     5, lambda: _markov_expectation(U=0.3, tau_rec=80.0, tau_facil=0.0, first=(0.5, 1 / 5)))])
def test_stochastic_release_statistics_in_compiled_stretches(make, n_sites, expected,
                                                             monkeypatch):
    """The release statistics above with engine="numba": the network runs in compiled
    stretches (the synapses' kernels inside them) and releases what the NumPy engine
    releases, draw for draw."""
    pytest.importorskip("numba")
    from pynn_tinysim.engine.stretch import CompiledStretch
    steps, original = [], CompiledStretch.run

    def counting(self, k, k_end):
        reached = original(self, k, k_end)
        steps.append(reached - k)
        return reached
    monkeypatch.setattr(CompiledStretch, "run", counting)
    reference = _release_counts(make(), engine="numpy")
    counts = _release_counts(make(), engine="numba")
    assert sum(steps) > 0.9 * (10.0 + ISI * N_SPIKES) / 0.1
    np.testing.assert_array_equal(counts, reference)
    _check_counts(counts, expected(), n_sites=n_sites)


@pytest.mark.parametrize("synapse_type", ["SimpleStochasticSynapse",
                                          "StochasticTsodyksMarkramSynapse",
                                          "MultiQuantalSynapse"])
def test_stochastic_synapses_reproducible_with_rng_seed(synapse_type):
    def make():
        return getattr(sim, synapse_type)(weight=1.0, delay=1.0)
    a = _release_counts(make(), seed=5)
    b = _release_counts(make(), seed=5, split=True)
    c = _release_counts(make(), seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("synapse_type", [
    lambda: sim.STDPMechanism(sim.SpikePairRule(), sim.AdditiveWeightDependence()),
    lambda: sim.STDPMechanism(sim.Vogels2011Rule(), sim.AdditiveWeightDependence()),
    lambda: sim.TsodyksMarkramSynapse(), lambda: sim.SimpleStochasticSynapse(),
    lambda: sim.StochasticTsodyksMarkramSynapse(), lambda: sim.MultiQuantalSynapse()])
def test_empty_plastic_projection_runs_and_resets(synapse_type):
    sim.setup(timestep=0.1)
    src = sim.Population(2, sim.SpikeSourcePoisson(rate=100.0))
    cells = sim.Population(2, sim.IF_curr_exp())
    prj = sim.Projection(src, cells, sim.FixedProbabilityConnector(0.0), synapse_type())
    sim.run(20.0)
    sim.reset()
    sim.run(20.0)
    assert len(prj) == 0


def test_no_engine_object_for_static_projections():
    """Static projections stay on the compiled fast path; only dynamic ones are plastic."""
    sim.setup(timestep=0.1)
    cells = sim.Population(3, sim.IF_curr_exp())
    sim.Projection(cells, cells, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1))
    network = sim.simulator.state.network
    assert network.plastic == [] and len(network.blocks) == 1
    sim.Projection(cells, cells, sim.AllToAllConnector(), sim.TsodyksMarkramSynapse(weight=0.1))
    assert len(network.plastic) == 1 and len(network.blocks) == 1


def test_stdp_on_negative_weights_needs_negative_w_max():
    """Inhibitory current synapses: w_max < 0 strengthens towards it; w_max > 0 is refused."""
    sim.setup(timestep=0.1)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 30.0]))
    cells = PP._teacher_cells(sim, [[20.0]])  # fires at 20.2 ms
    rule = sim.SpikePairRule(A_plus=0.1, A_minus=0.1)
    with pytest.raises(errors.ConnectionError, match="negative w_max"):
        sim.Projection(pre, cells, sim.AllToAllConnector(),
                       sim.STDPMechanism(rule, sim.AdditiveWeightDependence(w_max=0.5),
                                         weight=-0.2), receptor_type="inhibitory")
    prj = sim.Projection(pre, cells, sim.AllToAllConnector(),
                         sim.STDPMechanism(rule, sim.AdditiveWeightDependence(w_max=-0.5),
                                           weight=-0.2, delay=1.0),
                         receptor_type="inhibitory")
    sim.run(50.0)
    # post at 20.2 (+1 ms delay) is 11.2 ms after the first pre spike and 8.8 ms before
    # the second: net potentiation, i.e. a more negative weight
    tp = tm = 20.0  # SpikePairRule defaults
    expected = -0.2 - 0.5 * 0.1 * np.exp(-11.2 / tp) + 0.5 * 0.1 * np.exp(-8.8 / tm)
    assert prj.get("weight", format="array")[0, 0] == pytest.approx(expected, rel=1e-9)


def _tm_jumps(celltype, tau_rec, U=0.5, tau_facil=0.0, isi=25.0, n=6):
    """v jump at each arrival of a TM synapse onto a non-spiking cell (IF_curr_delta: exact)."""
    sim.setup(timestep=0.1, min_delay=0.1)
    spikes = [10.0 + isi * k for k in range(n)]
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=spikes))
    cell = sim.Population(1, celltype)
    sim.Projection(src, cell, sim.AllToAllConnector(),
                   sim.TsodyksMarkramSynapse(weight=1.0, delay=1.0, U=U, tau_rec=tau_rec,
                                             tau_facil=tau_facil))
    cell.record("v")
    sim.run(spikes[-1] + 5.0)
    v = P.signal(cell.get_data().segments[0], "v").magnitude[:, 0]
    steps = [int(round((t + 1.0) / 0.1)) for t in spikes]
    return np.array([v[k] - v[k - 1] for k in steps]), spikes


def test_tsodyks_markram_onto_delta_synapses_recovers_from_release():
    """No PSC time constant (IF_curr_delta): x recovers from 1 - x at once, as tsodyks2."""
    U, tau_rec, isi = 0.5, 40.0, 25.0
    jumps, _ = _tm_jumps(sim.IF_curr_delta(tau_m=1e9, v_rest=0.0, v_reset=0.0, v_thresh=1e9),
                         tau_rec, U=U, isi=isi)
    x, expected = 1.0, []
    for _ in jumps:
        expected.append(U * x)
        x = 1.0 - (1.0 - x * (1.0 - U)) * np.exp(-isi / tau_rec)
    np.testing.assert_allclose(jumps, expected, rtol=1e-6)


def test_tsodyks_markram_tau_psc_equal_to_tau_rec_is_the_limit():
    cell = dict(tau_syn_E=5.0, v_thresh=1e9, tau_m=20.0)
    equal, _ = _tm_jumps(sim.IF_curr_exp(**cell), tau_rec=5.0, isi=4.0)
    near, _ = _tm_jumps(sim.IF_curr_exp(**cell), tau_rec=5.0 * (1 + 1e-6), isi=4.0)
    assert np.all(np.isfinite(equal))
    assert np.abs(equal).max() > 1e-3
    np.testing.assert_allclose(equal, near, rtol=0, atol=1e-5 * np.abs(equal).max())


def test_set_refusing_wrong_side_weights_changes_nothing():
    sim.setup(timestep=0.1)
    cells = sim.Population(2, sim.IF_cond_exp())
    prj = sim.Projection(cells, cells, sim.AllToAllConnector(),
                         sim.STDPMechanism(sim.SpikePairRule(),
                                           sim.AdditiveWeightDependence(w_max=0.2), weight=0.1))
    with pytest.raises(errors.ConnectionError, match="w_max"):
        prj.set(w_min=0.15, w_max=0.3)      # weights 0.1 would lie below w_min
    assert np.all(prj.get("w_min", format="array") == 0.0)
    prj.set(weight=0.2, w_min=0.15, w_max=0.3)  # together: fine
    assert np.all(prj.get("weight", format="array") == 0.2)


def test_delays_changed_between_runs():
    """New delays take effect at once; post spikes in flight are re-queued, not lost."""
    prj, cells = _stdp_network()
    sim.run(100.0)
    prj.set(delay=2.5)
    np.testing.assert_array_equal(np.unique(prj.get("delay", format="list",
                                                    with_address=False)), [2.5])
    w_before = prj.get("weight", format="array")
    sim.run(100.0)
    assert np.nanmax(np.abs(prj.get("weight", format="array") - w_before)) > 1e-4
    network = sim.simulator.state.network
    block = network.plastic[0]
    assert list(block._delays) == [25]


def _reference_stdp(pre_times, post_times, d, w, p, t_end):
    """NEST's stdp_synapse, event by event, for one synapse.

    Post events after the last pre spike are not applied: NEST changes the
    weight only when a presynaptic spike is sent (stdp_synapse.h, send()).
    """
    x = (w - p["w_min"]) / (p["w_max"] - p["w_min"])
    k_plus, t_last = 0.0, 0.0

    def facilitate(x, k):
        return min(x + p["A_plus"] * max(1 - x, 0) ** p["mu_plus"] * k, 1.0)

    def k_minus(t):   # post trace just before t, from post spikes seen at tp + d < t
        return sum(np.exp(-(t - (tp + d)) / p["tau_minus"]) for tp in post_times
                   if tp + d < t - 1e-9)

    for t in pre_times:
        for tp in post_times:   # post spikes reaching the synapse in (t_last, t]
            if t_last + 1e-9 < tp + d <= t + 1e-9:
                x = facilitate(x, k_plus * np.exp(-(tp + d - t_last) / p["tau_plus"]))
        x = max(x - p["A_minus"] * max(x, 0) ** p["mu_minus"] * k_minus(t), 0.0)
        k_plus = k_plus * np.exp(-(t - t_last) / p["tau_plus"]) + 1.0
        t_last = t
    return p["w_min"] + x * (p["w_max"] - p["w_min"])


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), mu=st.sampled_from([(0, 0), (1, 1), (0, 1), (0.4, 0.7)]))
def test_stdp_matches_event_driven_reference(seed, mu):
    rng = np.random.default_rng(seed)
    n_pre, n_post, t_end = 3, 2, 300.0
    pre_times = [sorted(set(np.round(rng.uniform(1, t_end - 5, rng.integers(1, 15)), 1)))
                 for _ in range(n_pre)]
    teacher = [sorted(set(np.round(rng.uniform(1, t_end - 5, rng.integers(1, 12)) / 3) * 3))
               for _ in range(n_post)]
    delays = rng.choice([0.1, 0.4, 1.0, 2.3], size=(n_pre, n_post))
    w0 = rng.uniform(0.1, 0.9, size=(n_pre, n_post))
    p = dict(tau_plus=rng.uniform(5, 30), tau_minus=rng.uniform(5, 30),
             A_plus=rng.uniform(0, 0.2), A_minus=rng.uniform(0, 0.2),
             w_min=0.05, w_max=1.0, mu_plus=mu[0], mu_minus=mu[1])
    sim.setup(timestep=0.1, min_delay=0.1)
    pre = sim.Population(n_pre, sim.SpikeSourceArray(spike_times=[Sequence(t)
                                                                  for t in pre_times]))
    post = PP._teacher_cells(sim, teacher)
    wd = sim.GutigWeightDependence(w_min=p["w_min"], w_max=p["w_max"],
                                   mu_plus=mu[0], mu_minus=mu[1])
    stdp = sim.STDPMechanism(sim.SpikePairRule(**{k: p[k] for k in
                                                  ("tau_plus", "tau_minus", "A_plus",
                                                   "A_minus")}), wd)
    conn = [(i, j, w0[i, j], delays[i, j]) for i in range(n_pre) for j in range(n_post)]
    prj = sim.Projection(pre, post, sim.FromListConnector(conn, column_names=["weight", "delay"]),
                         stdp, receptor_type="excitatory")
    post.record("spikes")
    sim.run(t_end)
    post_times = [train.magnitude for train in post.get_data().segments[0].spiketrains]
    w = prj.get("weight", format="array")
    for i in range(n_pre):
        for j in range(n_post):
            ref = _reference_stdp(pre_times[i], post_times[j], delays[i, j], w0[i, j], p, t_end)
            assert w[i, j] == pytest.approx(ref, rel=1e-9, abs=1e-12), (i, j)
