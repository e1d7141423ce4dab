"""sPyNNaker's extra_models.RecurrentRule against its C state machines, worked by hand.

timing_recurrent_common.h + timing_recurrent_pre_stochastic_impl.h (dual_fsm=False)
and timing_recurrent_dual_fsm_impl.h (dual_fsm=True); window lengths from
timing_dependence_recurrent.py's look-up table.
"""

import math

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import recurrent


class _FixedDraws:
    """A generator whose 11-bit draws are all ``value`` (window = lut[value])."""

    def __init__(self, value):
        self.value = value

    def integers(self, low, high, size=None):
        return np.full(size, self.value, np.int64)


def test_window_table_is_spynnakers():
    # inv_cdf = uint16(-mean ln(1 - i/2048)), mean in ticks
    table = recurrent.exponential_window_table(10.0)
    assert table.size == 2048
    assert table[0] == 0 and table[1024] == 6 and table[2047] == int(10.0 * math.log(2048))
    assert recurrent.exponential_window_table(35.0)[1536] == int(-35.0 * math.log(0.25))


def test_defaults_and_names():
    rule = sim.extra_models.RecurrentRule()
    assert (rule.accumulator_depression, rule.accumulator_potentiation) == (-6, 6)
    assert rule.mean_pre_window == 35.0 and rule.dual_fsm == 1.0
    assert "RecurrentRule" not in sim.extra_models.NOT_IMPLEMENTED


def _one_synapse(dual_fsm, weight=2.0, draws=1024, fixed_point=False):
    # (the state machines by hand in float64 weights; the board's 16-bit ones below)
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[]))
    post = sim.Population(1, sim.IF_curr_exp())
    rule = sim.STDPMechanism(
        timing_dependence=sim.extra_models.RecurrentRule(
            accumulator_depression=-3, accumulator_potentiation=3, mean_pre_window=10.0,
            mean_post_window=10.0, dual_fsm=dual_fsm, A_plus=0.2, A_minus=0.1),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=16.0),
        weight=weight, delay=1.0)
    projection = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=rule)
    block = projection._block
    block.rng = _FixedDraws(draws)          # every window: lut[1024] = 6 ticks
    sim.run(1.0)
    return projection, block


def test_pre_stochastic_state_machine_by_hand():
    projection, block = _one_synapse(False)
    idx = np.array([0])
    assert block._fsm[0] == recurrent.IDLE
    # a pre spike before any post event ever arrived: not applied (7.x: prev_time_valid)
    block._on_pre(idx, 10)
    assert block._fsm[0] == recurrent.IDLE and block._t_last[0] == 10
    # post event arriving at 13: idle -> post window open, window lut[1024] = 6
    block._potentiate(idx, np.array([13]), np.array([0]), np.array([0]))
    assert block._fsm[0] == recurrent.POST_OPEN and block._window[0] == 6
    block._post_arrival[0] = 13
    # pre spike at 16, 3 ticks after the post event's arrival: inside -> accumulator -1, idle
    block._pre_event(idx, 16)
    assert block._fsm[0] == recurrent.IDLE and block._accumulator[0] == -1
    # pre spike at 20: idle -> pre window open
    block._t_last[0] = 16
    block._pre_event(idx, 20)
    assert block._fsm[0] == recurrent.PRE_OPEN and block._window[0] == 6
    block._t_last[0] = 20
    # post event at 20 + 0: coincident -> idle, nothing else
    block._potentiate(idx, np.array([20]), np.array([0]), np.array([12]))
    assert block._fsm[0] == recurrent.IDLE and block._accumulator[0] == -1
    # accumulator_depression = -3: steps down to -2 (= depression + 1), then the next
    # one depresses: w -= A_minus (w - w_min) and the accumulator returns to 0
    for expected_acc in (-2, 0):
        block._fsm[0] = recurrent.POST_OPEN
        block._window[0] = 6
        block._post_arrival[0] = 30
        block._pre_event(idx, 32)
        assert block._accumulator[0] == expected_acc
    assert block.weight[0] == pytest.approx(2.0 - 0.1 * 2.0)
    # pre open + a post event inside the window, accumulator_potentiation = 3: +1, +1, then
    # potentiation w += A_plus (w_max - w)
    w = block.weight[0]
    for expected_acc in (1, 2, 0):
        block._fsm[0] = recurrent.PRE_OPEN
        block._window[0] = 6
        block._t_last[0] = 40
        block._potentiate(idx, np.array([43]), np.array([0]), np.array([0]))
        assert block._accumulator[0] == expected_acc and block._fsm[0] == recurrent.IDLE
    assert block.weight[0] == pytest.approx(w + 0.2 * (16.0 - w))
    # pre open, post event after the window closed: straight to post open, new window
    block._fsm[0] = recurrent.PRE_OPEN
    block._window[0] = 6
    block._potentiate(idx, np.array([47]), np.array([0]), np.array([0]))
    assert block._fsm[0] == recurrent.POST_OPEN and block._accumulator[0] == 0
    # post open, a second post event 5 ticks after the previous one's *undelayed* time:
    # within the window -> idle
    block._potentiate(idx, np.array([52]), np.array([0]), np.array([47]))
    assert block._fsm[0] == recurrent.IDLE
    sim.end()


def test_dual_fsm_steps_by_hand():
    projection, block = _one_synapse(True)
    idx = np.array([0])
    # a pre spike at 10 draws the row's pre window (6)
    block._on_pre(idx, 10)
    assert block._pre_window[0] == 6
    # post events 3 ticks after it: accumulator up, potentiation at the third
    w = block.weight[0]
    for expected in (1, 2, 0):
        block._potentiate(idx, np.array([13]), np.array([6]), np.array([0]))
        assert block._accumulator[0] == expected
    assert block.weight[0] == pytest.approx(w + 0.2 * (16.0 - w))
    # at the pre spike's own tick, or beyond the window: nothing
    block._potentiate(idx, np.array([10]), np.array([6]), np.array([0]))
    block._potentiate(idx, np.array([16]), np.array([6]), np.array([0]))
    assert block._accumulator[0] == 0
    # a pre spike 2 ticks after the last post event's arrival, inside its window (6)
    block._post_arrival[0] = 20
    block._post_window[0] = 6
    block._on_pre(idx, 22)
    assert block._accumulator[0] == -1
    sim.end()


def _board_potentiation(counts, shift, w_max=16.0, a_plus=0.2):
    """Multiplicative potentiation on the board: W << shift as s16.15, ``scale = (w_max -
    w) A_plus`` (accum product), ``w += mul_accum_fixed(scale, 2048)``, stored >> shift."""
    acc = counts << shift
    scale = ((round(w_max * 2 ** 15) - acc) * round(a_plus * 2 ** 15)) >> 15
    return (acc + ((scale * (2048 << 4)) >> 15)) >> shift


def test_board_weights_step_in_s1615_by_hand():
    projection, block = _one_synapse(True, fixed_point=True)
    assert block._board_w
    shift = int(block._board_shift[0])
    step = 2.0 ** (15 - shift)
    counts = round(2.0 * step)
    assert block.weight[0] * step == counts
    idx = np.array([0])
    block._w_acc[0] = counts << shift
    block._on_pre_events(idx, 10)                   # the row's pre window (6)
    for _ in range(3):
        block._potentiate(idx, np.array([13]), np.array([6]), np.array([0]))
    assert block._w_acc[0] >> shift == _board_potentiation(counts, shift)
    # depression: scale = (w - w_min) A_minus, w -= mul_accum_fixed(scale, 2048)
    acc = int(block._w_acc[0])
    block._post_arrival[0] = 20
    block._post_window[0] = 6
    for _ in range(3):
        block._on_pre_events(idx, 22)
    assert block._w_acc[0] == acc - ((acc * round(0.1 * 2 ** 15)) >> 15)
    sim.end()


@pytest.mark.parametrize("fixed_point", [False, True])
def test_dual_fsm_network_potentiates_every_third_pairing(fixed_point):
    # pre spikes every 20 ms, a teacher makes the target fire ~2 ms after each: with every
    # window 6 ticks, each post event inside the pre window steps the accumulator, every
    # third potentiates; pre spikes come 17+ ms after the post events (no depression)
    sim.setup(timestep=1.0, fixed_point=fixed_point)
    pre_times = [10.0 + 20.0 * j for j in range(12)]
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=pre_times))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[t + 1.0 for t in pre_times]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=5.0))
    rule = sim.STDPMechanism(
        timing_dependence=sim.extra_models.RecurrentRule(
            accumulator_depression=-3, accumulator_potentiation=3, mean_pre_window=10.0,
            mean_post_window=10.0, dual_fsm=True, A_plus=0.2, A_minus=0.1),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=16.0),
        weight=0.5, delay=1.0)
    projection = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=rule)
    sim.Projection(teacher, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=15.0, delay=1.0))
    projection._block.rng = _FixedDraws(1024)
    post.record("spikes")
    sim.run(260.0)
    post_times = post.get_data().segments[0].spiketrains[0].magnitude
    # post events replayed by the last pre spike: arrival (post + 1) up to it, within
    # 0 < arrival - preceding pre < 6
    count = 0
    for t in post_times:
        arrival = t + 1.0
        before = [p for p in pre_times if p < arrival]
        if before and arrival <= pre_times[-1] and 0 < arrival - before[-1] < 6:
            count += 1
    assert count >= 9
    n = count // 3
    expected = 16.0 - (16.0 - 0.5) * (1 - 0.2) ** n
    w = projection.get("weight", format="list")[0][2]
    if fixed_point:
        # the same potentiations in the board's integers, one per row update
        shift = int(projection._block._board_shift[0])
        counts = round(0.5 * 2 ** (15 - shift))
        for _ in range(n):
            counts = _board_potentiation(counts, shift)
        assert w == counts / 2.0 ** (15 - shift)
        assert w == pytest.approx(expected, abs=n * 2.0 ** (shift - 15))
    else:
        assert w == pytest.approx(expected)
    sim.end()


def test_dual_fsm_pre_spike_in_the_tick_of_a_post_arrival_depresses():
    # timing_recurrent_dual_fsm_impl.h (7.x), timing_apply_pre_spike:
    # time_since_last_post = time - last_post_time (0 here) < last_post_trace (6): the
    # accumulator steps down; there is no coincidence test on this side
    projection, block = _one_synapse(True)
    idx = np.array([0])
    block._post_arrival[0] = 20
    block._post_window[0] = 6
    block._on_pre(idx, 20)
    assert block._accumulator[0] == -1
    # a zero-length post window holds nothing, not even its own tick
    block._post_window[0] = 0
    block._on_pre(idx, 21)
    assert block._accumulator[0] == -1
    sim.end()


def test_dual_fsm_network_post_arrival_with_the_pre_spike():
    # the pre spike at 11 ms meets the post event arriving at 11 ms (post spike at 10,
    # delay 1): the board steps the accumulator down there (time - last_post = 0 < 6)
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=[11.0]))
    teacher = sim.Population(1, sim.SpikeSourceArray(spike_times=[8.0]))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=5.0))
    rule = sim.STDPMechanism(
        timing_dependence=sim.extra_models.RecurrentRule(
            accumulator_depression=-3, accumulator_potentiation=3, mean_pre_window=10.0,
            mean_post_window=10.0, dual_fsm=True, A_plus=0.2, A_minus=0.1),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=16.0),
        weight=0.5, delay=1.0)
    projection = sim.Projection(pre, post, sim.AllToAllConnector(), synapse_type=rule)
    sim.Projection(teacher, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=15.0, delay=1.0))
    block = projection._block
    block.rng = _FixedDraws(1024)
    post.record("spikes")
    sim.run(20.0)
    post_times = post.get_data().segments[0].spiketrains[0].magnitude
    assert list(post_times) == [10.0]
    assert block._accumulator[0] == -1
    sim.end()


def test_pre_stochastic_pre_spike_in_the_tick_of_a_post_arrival():
    # timing_recurrent_common.h (7.x), timing_apply_pre_spike in STATE_POST_OPEN:
    # time_since_last_post = 0 < window_length (6): accumulator - 1, back to idle; a
    # zero-length window: closed, straight to pre-open with a new window
    projection, block = _one_synapse(False)
    idx = np.array([0])
    block._fsm[0] = recurrent.POST_OPEN
    block._window[0] = 6
    block._post_arrival[0] = 30
    block._pre_event(idx, 30)
    assert block._fsm[0] == recurrent.IDLE and block._accumulator[0] == -1
    block._fsm[0] = recurrent.POST_OPEN
    block._window[0] = 0
    block._post_arrival[0] = 40
    block._pre_event(idx, 40)
    assert block._fsm[0] == recurrent.PRE_OPEN and block._window[0] == 6
    assert block._accumulator[0] == -1
    sim.end()
