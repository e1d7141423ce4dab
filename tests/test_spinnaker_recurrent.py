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


def _one_synapse(dual_fsm, weight=2.0, draws=1024):
    sim.setup(timestep=1.0)
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


def test_dual_fsm_network_potentiates_every_third_pairing():
    # pre spikes every 20 ms, a teacher makes the target fire ~2 ms after each: with every
    # window 6 ticks, each post event inside the pre window steps the accumulator, every
    # third potentiates; pre spikes come 17+ ms after the post events (no depression)
    sim.setup(timestep=1.0)
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
    assert projection.get("weight", format="list")[0][2] == pytest.approx(expected)
    sim.end()
