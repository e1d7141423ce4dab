"""sPyNNaker's extra_models plasticity rules in pyNN.tinysim.spinnaker.

Vogels2011Rule, SpikeNearestPairRule and PfisterSpikeTriplet (with
WeightDependenceAdditiveTriplet) run on pyNN.tinysim's float64 plasticity
engine. Each test drives a short pairing protocol (presynaptic spikes from a
SpikeSourceArray, postsynaptic spikes forced by a strong teacher input, read
back from the recording) and compares the learned weight with the closed form
of sPyNNaker 7.4's rule (its C sources, cited per test). The synapse sees a
presynaptic spike at t_pre and a postsynaptic one at t_post + delay; weights
change when a presynaptic spike is processed.
"""

import numpy as np
import pytest

from pyNN import errors  # noqa: F401
import pyNN.tinysim.spinnaker as sim

DELAY = 1.0


def _protocol(mechanism, pre_times, teacher_times, n_post):
    """Run one plastic synapse; return (final weight, post spike times as the synapse sees them).

    In float64 (fixed_point=False): the closed forms use exact exponentials; the
    board's look-up tables and 11-bit traces are checked in test_board_trace_arithmetic.
    """
    sim.setup(timestep=1.0, fixed_point=False)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, tau_syn_E=1.0, v_thresh=-50.0,
                                             v_reset=-65.0, v_rest=-65.0))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=teacher_times))
    sim.Projection(teacher, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=60.0, delay=1.0), receptor_type="excitatory")
    prj = sim.Projection(pre, post, sim.AllToAllConnector(), mechanism)
    post.record("spikes")
    sim.run(200.0)
    spikes = post.get_data().segments[0].spiketrains[0].magnitude
    assert len(spikes) == n_post, spikes
    w = float(prj.get("weight", format="array")[0, 0])
    sim.end()
    return w, np.asarray(spikes) + DELAY


def test_spike_nearest_pair_rule_pairs_only_nearest_spikes():
    A_plus, A_minus, tau_plus, tau_minus = 0.01, 0.012, 16.7, 33.7
    w_min, w_max, w0 = 0.0, 2.0, 1.0
    rule = sim.extra_models.SpikeNearestPairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                                 A_plus=A_plus, A_minus=A_minus)
    mech = sim.STDPMechanism(timing_dependence=rule,
                             weight_dependence=sim.AdditiveWeightDependence(w_min, w_max),
                             weight=w0, delay=DELAY)
    t1, t2, t3 = 20.0, 30.0, 90.0
    w, (p1, p2) = _protocol(mech, [t1, t2, t3], [35.0, 60.0], 2)
    assert t2 < p1 < p2 < t3
    # sPyNNaker 7.4 (timing_nearest_pair_impl.h, weight_additive_one_term_impl.h): only the
    # first post after the latest pre (t2) potentiates, with that pre; the pre at t3 is
    # depressed by the latest post; A_plus/A_minus in weight units (no w_max factor)
    expected = w0 + (A_plus * np.exp(-(p1 - t2) / tau_plus)
                     - A_minus * np.exp(-(t3 - p2) / tau_minus))
    assert w == pytest.approx(expected, rel=1e-9)
    # all-to-all pairing (SpikePairRule) would differ
    all_to_all = w0 + (
        A_plus * sum(np.exp(-(p - t) / tau_plus) for p in (p1, p2) for t in (t1, t2))
        - A_minus * (np.exp(-(t3 - p1) / tau_minus) + np.exp(-(t3 - p2) / tau_minus)))
    assert abs(w - all_to_all) > 1e-4


def test_spike_nearest_pair_rule_multiplicative():
    A_plus, A_minus, tau_plus, tau_minus = 0.02, 0.01, 20.0, 20.0
    w_max, w0 = 1.0, 0.4
    rule = sim.extra_models.SpikeNearestPairRule(tau_plus, tau_minus, A_plus, A_minus)
    mech = sim.STDPMechanism(timing_dependence=rule,
                             weight_dependence=sim.MultiplicativeWeightDependence(0.0, w_max),
                             weight=w0, delay=DELAY)
    t1, t2 = 20.0, 70.0
    w, (p1,) = _protocol(mech, [t1, t2], [30.0], 1)
    x = w0 / w_max
    x += A_plus * (1 - x) * np.exp(-(p1 - t1) / tau_plus)
    x -= A_minus * x * np.exp(-(t2 - p1) / tau_minus)
    assert w == pytest.approx(w_max * x, rel=1e-9)


def test_vogels_2011_rule():
    alpha, tau, A_plus = 0.12, 20.0, 0.05
    w_min, w_max, w0 = 0.0, 2.0, 1.0
    rule = sim.extra_models.Vogels2011Rule(alpha=alpha, tau=tau, A_plus=A_plus)
    mech = sim.STDPMechanism(timing_dependence=rule,
                             weight_dependence=sim.AdditiveWeightDependence(w_min, w_max),
                             weight=w0, delay=DELAY)
    t1, t2 = 20.0, 50.0
    w, (p1,) = _protocol(mech, [t1, t2], [30.0], 1)
    eta = A_plus       # sPyNNaker 7.4: A_plus in weight units (no w_max factor)
    # pre: eta (o - alpha), post: eta r; symmetric traces with time constant tau; the
    # pre at t1 comes before any post: sPyNNaker applies nothing then
    # (synapse_dynamics_stdp_mad_impl.c: the pre rule runs once a post event exists)
    expected = w0 + eta * (np.exp(-(p1 - t1) / tau) + np.exp(-(t2 - p1) / tau) - alpha)
    assert w == pytest.approx(expected, rel=1e-9)


def test_pfister_triplet_rule():
    tau_plus, tau_minus, tau_x, tau_y = 16.8, 33.7, 101.0, 125.0
    A_plus, A_minus, A3_plus, A3_minus = 0.01, 0.007, 0.02, 0.003
    w_min, w_max, w0 = 0.0, 2.0, 1.0
    rule = sim.extra_models.PfisterSpikeTriplet(tau_plus, tau_minus, tau_x, tau_y,
                                                A_plus, A_minus)
    dependence = sim.extra_models.WeightDependenceAdditiveTriplet(w_min, w_max, A3_plus,
                                                                  A3_minus)
    mech = sim.STDPMechanism(timing_dependence=rule, weight_dependence=dependence,
                             weight=w0, delay=DELAY)
    t1, t2 = 20.0, 80.0
    w, (p1, p2) = _protocol(mech, [t1, t2], [30.0, 45.0], 2)
    assert t1 < p1 < p2 < t2
    r1 = lambda t: np.exp(-(t - t1) / tau_plus)                     # noqa: E731
    # post p1: r1 only (no earlier post); post p2: r1 and the triplet term o2 from p1
    dx = r1(p1) * A_plus + r1(p2) * (A_plus + A3_plus * np.exp(-(p2 - p1) / tau_y))
    # pre t2: o1 from both posts, triplet term r2 from t1
    o1 = np.exp(-(t2 - p1) / tau_minus) + np.exp(-(t2 - p2) / tau_minus)
    dx -= o1 * (A_minus + A3_minus * np.exp(-(t2 - t1) / tau_x))
    assert w == pytest.approx(w0 + (w_max - w_min) * dx, rel=1e-9)


def test_projections_with_the_rules_no_longer_raise_and_reset():
    sim.setup(timestep=1.0)
    a = sim.Population(3, sim.SpikeSourcePoisson(rate=50.0))
    b = sim.Population(3, sim.IF_curr_exp())
    combos = [
        (sim.extra_models.Vogels2011Rule(0.12), sim.AdditiveWeightDependence(0.0, 1.0)),
        (sim.extra_models.SpikeNearestPairRule(), sim.AdditiveWeightDependence(0.0, 1.0)),
        (sim.extra_models.PfisterSpikeTriplet(16.8, 33.7, 101, 125, 5e-3, 7e-3),
         sim.extra_models.WeightDependenceAdditiveTriplet(0.0, 1.0, 0.01, 0.01))]
    projections = [sim.Projection(a, b, sim.AllToAllConnector(),
                                  sim.STDPMechanism(timing_dependence=td, weight_dependence=wd,
                                                    weight=0.5))
                   for td, wd in combos]
    sim.run(200.0)
    for prj in projections:
        w = prj.get("weight", format="array")
        assert np.all((w >= 0.0) & (w <= 1.0))
        assert not np.all(w == 0.5)
    sim.reset()
    for prj in projections:
        assert np.all(prj.get("weight", format="array") == 0.5)
    sim.end()


def test_rule_combinations_that_do_not_exist_raise():
    sim.setup(timestep=1.0)
    a = sim.Population(2, sim.IF_curr_exp())
    triplet = sim.extra_models.WeightDependenceAdditiveTriplet(0.0, 1.0, 0.01, 0.01)
    for td, wd in [(sim.SpikePairRule(), triplet),
                   (sim.extra_models.Vogels2011Rule(0.1),
                    sim.MultiplicativeWeightDependence()),
                   (sim.extra_models.PfisterSpikeTriplet(16.8, 33.7, 101, 125, 5e-3, 7e-3),
                    sim.AdditiveWeightDependence())]:
        mechanism = sim.STDPMechanism(timing_dependence=td, weight_dependence=wd)
        with pytest.raises(NotImplementedError, match=type(wd).__name__):
            sim.Projection(a, a, sim.AllToAllConnector(), synapse_type=mechanism)
    sim.end()


def test_rules_take_spynnakers_arguments():
    rule = sim.extra_models.Vogels2011Rule(0.12, 10.0)
    assert (rule.alpha, rule.tau, rule.A_plus, rule.A_minus) == (0.12, 10.0, 0.01, 0.01)
    with pytest.raises(TypeError):
        sim.extra_models.PfisterSpikeTriplet(16.8, 33.7)
    dep = sim.extra_models.WeightDependenceAdditiveTriplet()
    assert (dep.w_min, dep.w_max, dep.A3_plus, dep.A3_minus) == (0.0, 1.0, 0.01, 0.01)


def test_board_trace_arithmetic():
    """Fixed-point mode: decays from sPyNNaker's look-up tables, traces in steps of 2**-11.

    One pairing (post 8 ms after pre, in arrival time) then a second pre spike:
    potentiation A_plus LUT_plus[8], depression A_minus LUT_minus[t2 - arrival]
    (LUT[i] = floor(exp(-i dt / tau) 2**11) / 2**11, spynnaker's get_exp_lut_array),
    on the board's 16-bit weight in fixed point, exactly in float mode.
    """
    from pynn_tinysim.engine.spinnaker.plasticity import BoardTraces

    def lut(ticks, tau, shift=0):
        size = np.log(2048) / (1.0 / tau) / (1 << shift)
        size = (np.floor(size / 2) + (size % 2 > 0)) * 2
        i = ticks >> shift
        return 0.0 if i >= size else np.floor(np.exp(-(i << shift) / tau) * 2048) / 2048

    A_plus, A_minus, tau_plus, tau_minus = 0.01, 0.012, 16.7, 33.7
    for fixed_point in (True, False):
        sim.setup(timestep=1.0, fixed_point=fixed_point)
        pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0, 90.0]))
        post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, tau_syn_E=1.0, v_thresh=-50.0,
                                                 v_reset=-65.0, v_rest=-65.0))
        teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[26.0]))
        sim.Projection(teacher, post, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=60.0, delay=1.0), receptor_type="excitatory")
        prj = sim.Projection(pre, post, sim.AllToAllConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                                A_plus=A_plus, A_minus=A_minus),
            weight_dependence=sim.AdditiveWeightDependence(0.0, 2.0), weight=1.0, delay=DELAY))
        post.record("spikes")
        sim.run(120.0)
        (t_post,) = post.get_data().segments[0].spiketrains[0].magnitude
        w = float(prj.get("weight", format="array")[0, 0])
        sim.end()
        arrival = int(t_post + DELAY)
        if fixed_point:
            # the board's 16-bit weight (ring-buffer bound 60 + w_max 2: left shift 6, so
            # W = w 2**9), moved in s16.15 by mul_accum_fixed(A, trace) = (A_bits trace) >> 11
            # with A_bits = round(A 2**15) (328, 393) and LUT traces in 2**-11 units
            acc = (512 << 6) + ((328 * int(lut(arrival - 20, tau_plus) * 2048)) >> 11)
            acc -= (393 * int(lut(90 - arrival, tau_minus) * 2048)) >> 11
            expected = (acc >> 6) / 512
        else:
            expected = 1.0 + A_plus * np.exp(-(arrival - 20) / tau_plus) \
                - A_minus * np.exp(-(90 - arrival) / tau_minus)
        assert w == pytest.approx(expected, rel=1e-12), fixed_point
    # the triplet rule's tau_x/tau_y tables step every 4 ticks
    assert BoardTraces.lut_shift == {}
    assert lut(7, 101.0, shift=2) == lut(4, 101.0, shift=2) != lut(8, 101.0, shift=2)


# --- the board's 16-bit plastic weights, step by step ------------------------------------
#
# Expected weights below are computed by hand from sPyNNaker 7.4's formulas, in
# integers: the weight W (16 bits) enters a row update as the s16.15 accum W << shift
# (shift: the left shift of the post Population's receptor, from the ring-buffer bound),
# moves by mul_accum_fixed(A, trace) = (A_bits (trace << 4)) >> 15 with A_bits the
# host's round(A 2**15), traces in 2**-11 from the look-up tables, and leaves as
# accum >> shift. The teacher's static weight 60 plus the plastic w_max 2 give a bound
# of 62: shift 6, W = w 2**9.

SHIFT, SCALE = 6, 512


def _lut(ticks, tau, shift=0):
    """sPyNNaker's get_exp_lut_array entry for ``ticks`` (dt = 1 ms), as an integer."""
    size = np.log(2048) * tau / (1 << shift)
    size = (np.floor(size / 2) + (size % 2 > 0)) * 2
    i = ticks >> shift
    return 0 if i >= size else int(np.floor(np.exp(-(i << shift) / tau) * 2048))


def _maf(a_bits, trace):
    return (a_bits * (trace << 4)) >> 15


def _board_run(mechanism, pre_times, teacher_times, run=200.0):
    """One plastic synapse in fixed point; (weight, post arrival ticks at the synapse)."""
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, tau_syn_E=1.0, v_thresh=-50.0,
                                             v_reset=-65.0, v_rest=-65.0))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=teacher_times))
    sim.Projection(teacher, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=60.0, delay=1.0), receptor_type="excitatory")
    prj = sim.Projection(pre, post, sim.OneToOneConnector(), mechanism)
    post.record("spikes")
    sim.run(run)
    spikes = post.get_data().segments[0].spiketrains[0].magnitude
    w = float(prj.get("weight", format="array")[0, 0])
    sim.end()
    return w, [int(t + DELAY) for t in spikes]


def _pair(dependence, A_plus=0.01, A_minus=0.012, tau_plus=16.7, tau_minus=33.7):
    return sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                            A_plus=A_plus, A_minus=A_minus),
        weight_dependence=dependence(0.0, 2.0), weight=1.0, delay=DELAY)


def test_board_multiplicative_pair_in_integer_steps():
    w, (a,) = _board_run(_pair(sim.MultiplicativeWeightDependence, 0.1, 0.12), [20.0, 90.0],
                         [26.0])
    # weight_multiplicative_impl.h: scale = (w_max - w) A+ (accum product), then
    # w += mul_accum_fixed(scale, r); A+ = 0.1 -> 3277, A- = 0.12 -> 3932, w_max 2 -> 65536
    acc = SCALE << SHIFT
    scale = ((65536 - acc) * 3277) >> 15
    acc += _maf(scale, _lut(a - 20, 16.7))
    scale = (acc * 3932) >> 15
    acc -= _maf(scale, _lut(90 - a, 33.7))
    assert w == (acc >> SHIFT) / SCALE
    assert w != pytest.approx(1.0 + (2.0 - 1.0) * 0.1 * np.exp(-(a - 20) / 16.7)
                              - 0.12 * np.exp(-(90 - a) / 33.7), abs=1e-9)


def test_board_post_event_in_the_tick_of_the_pre_spike_depresses_fully():
    """A post event reaching the synapse in the tick of a pre spike: potentiation with the
    earlier pre spike, then the depression with that event's own trace, LUT[0] = 1
    (timing_pair_impl.h has no condition on the time since the last post event)."""
    _, (a,) = _board_run(_pair(sim.AdditiveWeightDependence), [20.0, 150.0], [26.0])
    w, (a2,) = _board_run(_pair(sim.AdditiveWeightDependence), [20.0, float(a)], [26.0])
    assert a2 == a
    acc = (SCALE << SHIFT) + _maf(328, _lut(a - 20, 16.7)) - _maf(393, 2048)
    assert w == (acc >> SHIFT) / SCALE
    assert w < 1.0          # NEST would not depress (no earlier post event): w > 1


def test_board_post_history_keeps_15_events():
    """post_events.h keeps each neuron's 15 latest post spikes: of 20 post spikes between
    two pre spikes, the 5 oldest no longer potentiate at the second; the depression uses
    the trace of all 20."""
    teacher = [30.0 + 4 * i for i in range(20)]
    w, arrivals = _board_run(_pair(sim.AdditiveWeightDependence, tau_plus=100.0),
                             [10.0, 150.0], teacher)
    assert len(arrivals) == 20 and arrivals[-1] < 150
    increments = [_maf(328, _lut(a - 10, 100.0)) for a in arrivals]
    o = 0
    for i, a in enumerate(arrivals):
        o = (o * _lut(a - arrivals[i - 1], 33.7) >> 11 if i else 0) + 2048
    o = (o * _lut(150 - arrivals[-1], 33.7)) >> 11
    acc = min((SCALE << SHIFT) + sum(increments[5:]), 65536) - _maf(393, o)
    assert w == (acc >> SHIFT) / SCALE
    every = min((SCALE << SHIFT) + sum(increments), 65536) - _maf(393, o)
    assert (every >> SHIFT) != (acc >> SHIFT)


def test_board_triplet_in_integer_steps():
    tau_plus, tau_minus, tau_x, tau_y = 16.8, 33.7, 101.0, 125.0
    rule = sim.extra_models.PfisterSpikeTriplet(tau_plus, tau_minus, tau_x, tau_y, 0.01, 0.007)
    dependence = sim.extra_models.WeightDependenceAdditiveTriplet(0.0, 2.0, 0.02, 0.003)
    mech = sim.STDPMechanism(timing_dependence=rule, weight_dependence=dependence,
                             weight=1.0, delay=DELAY)
    w, (a1, a2) = _board_run(mech, [20.0, 80.0], [30.0, 45.0])
    # weight_dependence_additive_triplet.py writes A * w_max: A2+ 0.02 -> 655,
    # A2- 0.014 -> 459, A3+ 0.04 -> 1311, A3- 0.006 -> 197 (s16.15)
    a2p, a2m, a3p, a3m = 655, 459, 1311, 197
    # post traces (timing_pfister_triplet_impl.h): o1 += 1; o2 read before its own +1,
    # zero at the first post spike; tau_x/tau_y tables step every 4 ticks
    o1 = ((2048 * _lut(a2 - a1, tau_minus)) >> 11) + 2048
    o2_second = (2048 * _lut(a2 - a1, tau_y, 2)) >> 11
    acc = SCALE << SHIFT
    for a, o2 in ((a1, 0), (a2, o2_second)):
        r1 = _lut(a - 20, tau_plus)
        acc = min(acc + _maf(a2p, r1) + _maf(a3p, (r1 * o2) >> 11), 2 << 15)
    r2 = (2048 * _lut(80 - 20, tau_x, 2)) >> 11
    o1 = (o1 * _lut(80 - a2, tau_minus)) >> 11
    acc = max(acc - _maf(a2m, o1) - _maf(a3m, (o1 * r2) >> 11), 0)
    assert w == (acc >> SHIFT) / SCALE


def test_plastic_weights_set_the_ring_buffer_scale():
    """Plastic projections count in the ring-buffer bound with their w_max
    (synapse_dynamics_stdp.py); max_expected_summed_weight replaces the bound."""
    for expected_summed, lsb in ((None, 2 ** -13), ([0.5, 1.0], 2 ** -15)):
        sim.setup(timestep=1.0)
        pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
        extra = {} if expected_summed is None else {
            "max_expected_summed_weight": expected_summed}
        post = sim.Population(1, sim.IF_curr_exp(), **extra)
        prj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(),
            weight_dependence=sim.AdditiveWeightDependence(0.0, 3.0),
            weight=0.123456789, delay=1.0))
        sim.run(10.0)
        w = float(prj.get("weight", format="array")[0, 0])
        sim.end()
        # bound 3 (w_max): shift 2, LSB 2**-13; bound 0.5: shift 0, LSB 2**-15
        assert w == np.rint(0.123456789 / lsb) * lsb, expected_summed


def test_plastic_weights_back_to_their_initial_values_after_reset():
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0, 40.0]))
    post = sim.Population(1, sim.IF_curr_exp())
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0]))
    sim.Projection(teacher, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=10.0))
    prj = sim.Projection(pre, post, sim.OneToOneConnector(), sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(), weight_dependence=sim.AdditiveWeightDependence(
            0.0, 1.0), weight=0.3, delay=1.0))
    sim.run(60.0)
    first = prj.get("weight", format="list")[0][2]
    sim.reset()
    sim.run(60.0)
    assert prj.get("weight", format="list")[0][2] == first != np.rint(0.3 * 2048) / 2048
    sim.end()


def test_board_nearest_pair_after_the_history_overflows():
    """SpikeNearestPairRule pairs a post event with the last pre spike if the previous post
    event in the history is older than that pre spike; once 5 of 20 post events have been
    pushed out, the oldest one left follows the history's placeholder (time 0) and pairs."""
    rule = sim.extra_models.SpikeNearestPairRule(tau_plus=100.0, tau_minus=33.7,
                                                 A_plus=0.01, A_minus=0.012)
    mech = sim.STDPMechanism(timing_dependence=rule,
                             weight_dependence=sim.AdditiveWeightDependence(0.0, 2.0),
                             weight=1.0, delay=DELAY)
    w, arrivals = _board_run(mech, [10.0, 150.0], [30.0 + 4 * i for i in range(20)])
    assert len(arrivals) == 20
    acc = (SCALE << SHIFT) + _maf(328, _lut(arrivals[5] - 10, 100.0)) \
        - _maf(393, _lut(150 - arrivals[-1], 33.7))
    assert w == (acc >> SHIFT) / SCALE


def test_board_post_spike_in_the_tick_of_a_pre_spike_waits_for_the_next_one():
    """A post spike in the very tick of a pre spike: the neuron update (which records the
    post event) comes first in the tick, but the event reaches the synapse only a delay
    later, after the window of that pre spike (post_events_get_window_delayed takes
    (last pre - d, now - d]); so that pre spike is not depressed by it (nor at all: no post
    event yet, prev_time_valid), and the next pre spike applies its potentiation, paired
    with the pre spike of its own tick, 1 tick (the delay) earlier."""
    _, (a,) = _board_run(_pair(sim.AdditiveWeightDependence), [20.0, 150.0], [26.0])
    t_post = a - 1
    w, (a2,) = _board_run(_pair(sim.AdditiveWeightDependence), [20.0, float(t_post), 150.0],
                          [26.0])
    assert a2 == a
    r1 = ((2048 * _lut(t_post - 20, 16.7)) >> 11) + 2048      # pre trace after t_post
    acc = (SCALE << SHIFT) + _maf(328, (r1 * _lut(1, 16.7)) >> 11) \
        - _maf(393, _lut(150 - a, 33.7))
    assert w == (acc >> SHIFT) / SCALE
