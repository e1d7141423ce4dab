"""Structural plasticity of the sPyNNaker flavour against sPyNNaker 7.4's formulas.

Tables and schedules against sPyNNaker's own Python (values it computes,
carried here as facts) and its C arithmetic worked by hand; formation and
elimination frequencies over many attempts against the probabilities the C
rules imply; determinism with a seed; connections readable after a run.
"""

import math

import numpy as np
import pytest

import pyNN.tinysim.spinnaker as sim
from pynn_tinysim.engine.spinnaker import structural as engine


# --- sPyNNaker's numbers --------------------------------------------------------------


def test_distance_tables_are_spynnakers():
    # DistanceDependentFormation(grid=[7, 7], sigma_form_forward=0.5): the ff and lat
    # tables sPyNNaker 7.4 computes (spynnaker/pyNN/models/neuron/structural_plasticity/
    # synaptogenesis/formation/distance_dependent_formation.py, run with its package)
    assert engine.distance_probability_table([7, 7], 0.16, 0.5).tolist() == [
        10485, 1419, 192, 25, 3, 0]
    assert engine.distance_probability_table([7, 7], 1.0, 1.0).tolist() == [
        65535, 39748, 24108, 14622, 8869, 5379, 3262, 1978, 1200, 728, 441, 267, 162, 98,
        59, 36, 21, 13, 8, 0]
    # grid=[4, 6] with the defaults (p 0.16, sigma 2.5): 26 entries, no padding needed
    table = engine.distance_probability_table([4, 6], 0.16, 2.5)
    assert table.tolist()[:3] == [10485, 9679, 8935] and table.tolist()[-1] == 1419
    assert table.size == 26
    # the formula by hand: p exp(-d2 / (2 sigma^2)) 65535, truncated, for d2 up to the
    # largest squared distance, 5**2 + 5**2 = 50 on a 10x10 grid, which sPyNNaker gets
    # as sqrt(50)**2 = 50.000000000000007, so its table runs to d2 = 51 (52 values,
    # sPyNNaker's own output ends ..., 71, 63, 55)
    expected = [int(0.5 * math.exp(-d2 / 8.0) * 65535) for d2 in range(52)]
    table = engine.distance_probability_table([10, 10], 0.5, 2.0).tolist()
    assert table == expected and table[-3:] == [71, 63, 55]


def test_board_distance_arithmetic():
    """formation_distance_dependent_impl.h: 1/side written as s0.31, read as u0.32."""
    r7 = round(2 ** 31 / 7)
    assert engine.grid_reciprocal(7) == r7 and engine.grid_reciprocal(1) == 0
    # neuron 1 vs 0: x = 0 for both, y = 1 and 0 -> 1
    assert engine.board_squared_distance(1, 0, (7, 7)) == 1
    # neuron 13: x = (13 r7) >> 32 = 0, y = 13 -> |13 - 0| > 3 -> 13 - 7 = 6 -> 36
    assert (13 * r7) >> 32 == 0
    assert engine.board_squared_distance(13, 0, (7, 7)) == 36
    # neuron 15: x = 1, y = 15 - 7 = 8 -> dy 8 - 7 = 1 -> 1 + 1
    assert engine.board_squared_distance(15, 0, (7, 7)) == 2
    # neuron 7: x = 0, y = 7 -> dy = 7 - 7 = 0 -> 0 (the board's coordinates, not (1, 0))
    assert engine.board_squared_distance(7, 0, (7, 7)) == 0
    # a one-wide grid has no x
    assert engine.board_squared_distance(5, 2, (1, 8)) == 9


@pytest.mark.parametrize("f_rew, dt, expected", [
    (1e4, 1.0, (True, 10)),       # 100 us period: 10 per 1 ms step
    (3000.0, 1.0, (True, 3)),     # int(1000 / 333.3)
    (1e3, 0.1, (False, 10)),      # 1 ms period, 0.1 ms steps: every 10 steps
    (300.0, 1.0, (False, 3)),     # int(3333.3 / 1000)
    (1e4, 0.1, (False, 1)),       # period == dt: not "fast", one per step
])
def test_rewiring_schedule(f_rew, dt, expected):
    assert engine.rewiring_schedule(f_rew, dt) == expected


def test_rand_int_scales_32_bit_words():
    assert engine.rand_int(49, 0) == 0
    assert engine.rand_int(49, 2 ** 32 - 1) == 48
    assert engine.rand_int(65535, 2 ** 31) == 32767
    assert engine.rand_int(0, 12345) == 0
    assert engine.elimination_threshold_word(0.5) == int(0.5 * 0xFFFFFFFF)


# --- networks -------------------------------------------------------------------------


def _mechanism(stdp=False, grid=(1, 1), p_form=0.16, sigma=2.5, threshold=0.5,
               p_dep=0.0245, p_pot=1.36e-4, partner=None, **kwargs):
    args = (partner or sim.RandomSelection(),
            sim.DistanceDependentFormation(grid=list(grid), p_form_forward=p_form,
                                           sigma_form_forward=sigma),
            sim.RandomByWeightElimination(threshold=threshold, prob_elim_depressed=p_dep,
                                          prob_elim_potentiated=p_pot))
    if stdp:
        return sim.StructuralMechanismSTDP(
            *args, timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                                       A_plus=0.1, A_minus=0.02),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0), **kwargs)
    return sim.StructuralMechanismStatic(*args, **kwargs)


def _network(n_pre, n_post, mechanism, connector=None, rate=0.0):
    sim.setup(timestep=1.0)
    pre = sim.Population(n_pre, sim.SpikeSourcePoisson(rate=rate), label="pre")
    post = sim.Population(n_post, sim.IF_curr_exp(), label="post")
    projection = sim.Projection(pre, post, connector or sim.FixedProbabilityConnector(0.0),
                                synapse_type=mechanism)
    return pre, post, projection


def test_rewiring_attempts_at_spynnakers_rate():
    for f_rew, dt, t, attempts in ((1e4, 1.0, 100.0, 1000), (300.0, 1.0, 100.0, 33),
                                   (1e3, 0.1, 100.0, 100)):
        sim.setup(timestep=dt)
        pre = sim.Population(4, sim.SpikeSourcePoisson(rate=0.0))
        post = sim.Population(4, sim.IF_curr_exp())
        projection = sim.Projection(pre, post, sim.FixedProbabilityConnector(0.0),
                                    synapse_type=_mechanism(f_rew=f_rew, initial_delay=1.0))
        sim.run(t)
        assert projection._block.rewiring.n_attempts == attempts, (f_rew, dt)
        sim.end()


def _attempts(projection, n, after_each):
    rewiring = projection._block.rewiring
    outcomes = 0
    for _ in range(n):
        if rewiring.attempt(0):
            outcomes += 1
            after_each(rewiring)
    return outcomes


def _empty_all(rewiring):
    member = rewiring.members[0]
    for slot in np.flatnonzero(member._slot_pre >= 0):
        member.remove(slot)
    rewiring.proj[:] = engine.EMPTY


def _within(count, n, p, sds=4.5):
    sd = math.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= sds * sd + 1


def test_formation_frequency_is_the_table_probability():
    # one pre, one post, distance 0: every attempt on the empty slot forms with
    # probability (table[0] + 1) / 65535 (rand_int(65535) <= table[0])
    _, _, projection = _network(1, 1, _mechanism(p_form=0.3, s_max=1, seed=11))
    sim.run(1.0)
    _empty_all(projection._block.rewiring)
    n = 20000
    formed = _attempts(projection, n, _empty_all)
    table0 = int(0.3 * 65535)
    assert _within(formed, n, (table0 + 1) / 65535)
    sim.end()


class _Scripted:
    """Random words given in advance (the board's draws, in its order)."""

    def __init__(self, words):
        self.words = list(words)

    def next(self):
        return self.words.pop(0)


def _word_for(value, maximum):
    """A 32-bit word w with rand_int(maximum, w) == value."""
    return (value * 2 ** 32 + maximum - 1) // maximum


def test_formation_rule_draw_by_draw():
    # grid 7x7, sigma 0.5: table [10485, 1419, 192, 25, 3, 0]
    _, _, projection = _network(49, 49, _mechanism(grid=(7, 7), sigma=0.5, s_max=2,
                                                   f_rew=10.0, initial_delay=(2.0, 6.0)))
    sim.run(1.0)
    rewiring = projection._block.rewiring
    member = rewiring.members[0]
    assert rewiring.n_attempts == 0 and len(projection) == 0
    # post 1, slot 0, RandomSelection: projection 0 (one), pre 0 -> d2 = 1, table 1419
    r_form = _word_for(1419, 65535)
    words = [_word_for(1, 49), _word_for(0, 2), 0, _word_for(0, 49), r_form,
             _word_for(3, 4)]
    rewiring.words = _Scripted(words)
    assert rewiring.attempt(5)
    assert rewiring.words.words == []
    assert projection.get(["weight", "delay"], format="list") == [(0, 1, 0.0, 5.0)]
    assert member.row_count[0] == 1
    # same again with r one above the table value: no formation, no delay drawn
    rewiring.words = _Scripted([_word_for(1, 49), _word_for(1, 2), 0, _word_for(0, 49),
                                _word_for(1420, 65535), 99])
    assert not rewiring.attempt(5)
    assert rewiring.words.words == [99]
    # the board's d2 of pre 13 and post 0 is 36, beyond the table: refused before r
    rewiring.words = _Scripted([_word_for(0, 49), _word_for(0, 2), 0, _word_for(13, 49), 99])
    assert not rewiring.attempt(5)
    assert rewiring.words.words == [99]
    # slot 0 of post 1 is occupied: elimination, weight 0.0 < threshold 0.5 -> depressed
    # probability 0.0245: a word at int(0.0245 * 0xFFFFFFFF) removes it, one above not
    threshold = int(0.0245 * 0xFFFFFFFF)
    rewiring.words = _Scripted([_word_for(1, 49), _word_for(0, 2), threshold + 1])
    assert not rewiring.attempt(5) and len(projection) == 1
    rewiring.words = _Scripted([_word_for(1, 49), _word_for(0, 2), threshold])
    assert rewiring.attempt(5) and len(projection) == 0 and member.row_count[0] == 0
    sim.end()


@pytest.mark.parametrize("weight, probability", [(0.1, 0.3), (0.5, 0.05)])
def test_elimination_frequency_by_weight(weight, probability):
    # weight below the threshold 0.5: prob_elim_depressed (0.3); at it: potentiated (0.05)
    mechanism = _mechanism(threshold=0.5, p_dep=0.3, p_pot=0.05, s_max=1, seed=9,
                           weight=weight, initial_weight=weight, f_rew=10.0)
    _, _, projection = _network(1, 1, mechanism, connector=sim.OneToOneConnector())
    assert len(projection) == 1
    sim.run(1.0)
    rewiring = projection._block.rewiring
    member = rewiring.members[0]
    slot = int(np.flatnonzero(member._slot_pre >= 0)[0])

    def refill(rw):
        member.form(slot, 0, 1)
        member._slot_w[slot] = weight
        rw.proj.flat[slot] = 0

    n = 20000
    if member._slot_pre[slot] < 0:
        refill(rewiring)
    eliminated = _attempts(projection, n, refill)
    word = int(probability * 0xFFFFFFFF)
    assert _within(eliminated, n, (word + 1) / 2 ** 32)
    sim.end()


def _run_and_list(seed, stdp=False, t=300.0, **kwargs):
    _, _, projection = _network(
        25, 25, _mechanism(stdp=stdp, grid=(5, 5), p_form=1.0, sigma=2.0, seed=seed,
                           initial_weight=0.5 if not stdp else 0.3, initial_delay=3.0,
                           s_max=8, **kwargs), rate=50.0)
    sim.run(t)
    connections = projection.get(["weight", "delay"], format="list")
    counts = (projection._block.rewiring.n_formed, projection._block.rewiring.n_eliminated)
    sim.end()
    return connections, counts


def test_connections_readable_after_run_and_limited_by_s_max():
    connections, (formed, eliminated) = _run_and_list(1)
    assert formed > 0 and len(connections) == formed - eliminated
    pre = np.array([c[0] for c in connections], int)
    post = np.array([c[1] for c in connections], int)
    assert np.all(np.array([c[2] for c in connections]) == 0.5)
    assert np.all(np.array([c[3] for c in connections]) == 3.0)
    assert np.bincount(post, minlength=25).max() <= 8          # s_max per target
    assert np.bincount(pre, minlength=25).max() <= 8           # a source's row too
    assert pre.min() >= 0 and pre.max() < 25


def test_same_seed_same_rewiring_other_seed_other():
    first, _ = _run_and_list(7)
    again, _ = _run_and_list(7)
    other, _ = _run_and_list(8)
    assert first == again
    assert first != other


def test_without_replacement_no_pair_twice():
    connections, _ = _run_and_list(3, with_replacement=False, t=1000.0)
    pairs = [(c[0], c[1]) for c in connections]
    assert len(pairs) == len(set(pairs))
    with_repeats, _ = _run_and_list(3, t=1000.0)
    pairs = [(c[0], c[1]) for c in with_repeats]
    assert len(pairs) > len(set(pairs))      # the default allows it (p_form = 1 here)


def test_initial_connections_fill_the_last_slots_and_can_go():
    # f_rew = 10 Hz: the first attempt is at step 99, none in the first ms
    mechanism = _mechanism(s_max=4, weight=0.2, delay=2.0, f_rew=10.0)
    _, _, projection = _network(3, 3, mechanism, connector=sim.AllToAllConnector())
    assert len(projection) == 9
    sim.run(1.0)
    member = projection._block.rewiring.members[0]
    # sPyNNaker pads the post-to-pre table at the front: each neuron's 3 sources
    # are in its slots 1, 2, 3
    slots = member._slot_pre.reshape(3, 4)
    assert (slots[:, 0] == engine.EMPTY).all()
    assert (slots[:, 1:] == np.asarray(projection.pre.all_cells, int)).all()
    assert projection.get("delay", format="array")[0, 0] == 2.0
    sim.end()
    # with elimination certain (p = 1), initial connections go
    mechanism = _mechanism(s_max=4, p_dep=1.0, p_pot=1.0, weight=0.2, seed=4)
    _, _, projection = _network(3, 3, mechanism, connector=sim.AllToAllConnector())
    sim.run(100.0)
    rewiring = projection._block.rewiring
    assert rewiring.n_eliminated > 0
    assert len(projection) == 9 + rewiring.n_formed - rewiring.n_eliminated
    sim.end()


def test_too_many_initial_connections():
    with pytest.raises(sim.errors.ConnectionError, match="s_max"):
        _network(5, 2, _mechanism(s_max=3), connector=sim.AllToAllConnector())
    sim.end()


def test_reset_restores_initial_connectivity():
    _, _, projection = _network(10, 10, _mechanism(p_form=1.0, seed=2, initial_delay=1.0),
                                rate=20.0)
    sim.run(200.0)
    assert len(projection) > 0
    sim.reset()
    assert len(projection) == 0
    sim.run(200.0)
    assert len(projection) > 0
    sim.end()


def test_formed_synapses_transmit():
    # a pre neuron spiking regularly, p_form = 1 at distance 0 on a 1x1 grid, strong
    # weight: once formed, the target fires after each source spike. (Its ring buffer
    # holds up to 2 nA: sPyNNaker sizes it from the connector's connections, none here.)
    sim.setup(timestep=1.0)
    pre = sim.Population(1, sim.SpikeSourceArray(spike_times=list(range(10, 400, 20))))
    post = sim.Population(1, sim.IF_curr_exp(tau_refrac=2.0, cm=0.1))
    projection = sim.Projection(
        pre, post, sim.FixedProbabilityConnector(0.0),
        synapse_type=_mechanism(p_form=1.0, initial_weight=1.5, initial_delay=1.0,
                                p_dep=0.0, p_pot=0.0, s_max=1, seed=3))
    post.record("spikes")
    sim.run(400.0)
    assert len(projection) == 1
    spikes = post.get_data().segments[0].spiketrains[0].magnitude
    # each source spike (10, 30, ...) makes the target fire within 10 ms (delay 1 ms),
    # and it fires at no other time
    after = (spikes - 10.0) % 20.0
    assert np.all((after > 0.0) & (after < 10.0))
    assert set(np.floor((spikes - 10.0) / 20.0).astype(int)) == set(range(20))
    sim.end()


def test_stdp_structural_learns_and_forms_at_initial_weight():
    connections, (formed, _) = _run_and_list(5, stdp=True, t=500.0, p_dep=0.0, p_pot=0.0)
    assert formed == len(connections) > 0
    weights = np.array([c[2] for c in connections])
    assert np.all((weights >= 0.0) & (weights <= 1.0))
    assert np.any(weights != 0.3)           # STDP moved them from the initial weight


def test_last_neuron_selection_takes_last_steps_spikes():
    # only source neuron 3 ever spikes: every synapse formed comes from it
    sim.setup(timestep=1.0)
    times = [[] for _ in range(6)]
    times[3] = list(range(5, 300, 7))
    pre = sim.Population(6, sim.SpikeSourceArray(spike_times=times))
    post = sim.Population(6, sim.IF_curr_exp())
    projection = sim.Projection(
        pre, post, sim.FixedProbabilityConnector(0.0),
        synapse_type=_mechanism(partner=sim.LastNeuronSelection(), p_form=1.0,
                                initial_delay=1.0, seed=1, p_dep=0.0, p_pot=0.0))
    sim.run(300.0)
    connections = projection.get("weight", format="list")
    assert len(connections) > 0
    assert {c[0] for c in connections} == {3}
    sim.end()


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="partner_selection"):
        sim.StructuralMechanismStatic(None, sim.DistanceDependentFormation(),
                                      sim.RandomByWeightElimination(0.5))
    with pytest.raises(ValueError, match="f_rew"):
        _mechanism(f_rew=0.0)
    with pytest.raises(ValueError, match="s_max"):
        _mechanism(s_max=0)
    with pytest.raises(ValueError, match="prob_elim_depressed"):
        sim.RandomByWeightElimination(0.5, prob_elim_depressed=1.5)
    with pytest.raises(ValueError, match="grid"):
        sim.DistanceDependentFormation(grid=[0, 3])
    with pytest.raises(ValueError, match="initial_delay"):
        _mechanism(initial_delay=(5.0, 2.0))


def test_lateral_table_for_a_population_onto_itself():
    # p_form_forward = 0 (an empty table: nothing forms feed-forward), p_form_lateral = 1:
    # a Population projecting onto itself uses the lateral table (sPyNNaker's sp_control)
    def formed(self_connected):
        sim.setup(timestep=1.0)
        cells = sim.Population(4, sim.IF_curr_exp())
        other = sim.Population(4, sim.IF_curr_exp())
        mechanism = sim.StructuralMechanismStatic(
            sim.RandomSelection(),
            sim.DistanceDependentFormation(grid=[2, 2], p_form_forward=0.0,
                                           p_form_lateral=1.0),
            sim.RandomByWeightElimination(threshold=0.5, prob_elim_depressed=0.0,
                                          prob_elim_potentiated=0.0),
            initial_delay=1.0, seed=6)
        projection = sim.Projection(other if not self_connected else cells, cells,
                                    sim.FixedProbabilityConnector(0.0),
                                    synapse_type=mechanism)
        sim.run(50.0)
        n = len(projection)
        sim.end()
        return n

    assert engine.distance_probability_table([2, 2], 0.0, 2.5).size == 0
    assert formed(False) == 0
    assert formed(True) > 0


def test_initial_delay_range_draws_in_low_high():
    # initial_delay=(2, 6): delay_lo + rand_int(delay_hi - delay_lo): 2 .. 5 ms
    _, _, projection = _network(25, 25, _mechanism(grid=(5, 5), p_form=1.0, sigma=2.0,
                                                   seed=12, initial_delay=(2.0, 6.0)))
    sim.run(300.0)
    delays = np.array(projection.get("delay", format="list"))[:, 2]
    assert delays.size > 20
    assert set(delays.tolist()) == {2.0, 3.0, 4.0, 5.0}
    sim.end()


def test_stdp_structural_with_a_delay_range():
    # new synapses of several delays: the plastic rule's index is rebuilt for them
    _, _, projection = _network(16, 16, _mechanism(stdp=True, grid=(4, 4), p_form=1.0,
                                                   sigma=2.0, seed=3, initial_weight=0.3,
                                                   initial_delay=(1.0, 4.0), p_dep=0.0,
                                                   p_pot=0.0), rate=40.0)
    sim.run(300.0)
    result = np.array(projection.get(["weight", "delay"], format="list"))
    assert result.shape[0] > 10
    assert set(result[:, 3].tolist()) == {1.0, 2.0, 3.0}
    assert np.any(result[:, 2] != 0.3)
    sim.end()


@pytest.mark.parametrize("stdp", [False, True])
def test_a_run_split_in_two_rewires_as_one(stdp):
    results = []
    for pieces in ((300.0,), (120.0, 180.0)):
        _, _, projection = _network(
            25, 25, _mechanism(stdp=stdp, grid=(5, 5), p_form=1.0, sigma=2.0, seed=21,
                               initial_weight=0.3, initial_delay=2.0, s_max=8), rate=50.0)
        for t in pieces:
            sim.run(t)
        results.append(projection.get(["weight", "delay"], format="list"))
        sim.end()
    assert len(results[0]) > 0
    assert results[0] == results[1]


def test_reset_with_a_delay_range_restores_and_runs_again():
    # after reset the slots' delays are the initial ones again and the rule's index is
    # rebuilt for them; the second run (a new random stream, as after any reset) rewires
    _, _, projection = _network(16, 16, _mechanism(stdp=True, grid=(4, 4), p_form=1.0,
                                                   sigma=2.0, seed=3, initial_weight=0.3,
                                                   initial_delay=(1.0, 4.0)), rate=40.0)
    sim.run(200.0)
    assert len(projection) > 0
    sim.reset()
    assert len(projection) == 0
    sim.run(200.0)
    delays = {c[2] for c in projection.get("delay", format="list")}
    assert len(projection) > 0 and delays <= {1.0, 2.0, 3.0} and len(delays) > 1
    sim.end()
