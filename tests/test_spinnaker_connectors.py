"""sPyNNaker's group connectors in pyNN.tinysim.spinnaker: AllButMeConnector, OneToOneOffsetConnector.

Expected connections are written out by hand from the rules of sPyNNaker's
on-board generators (connection_generator_all_but_me.h,
connection_generator_one_to_one_offset.h).
"""

import numpy as np
import pytest

from pyNN import errors
import pyNN.tinysim.spinnaker as sim


def _connections(connector, n=6, weight=2.0, receptor="inhibitory"):
    sim.setup(timestep=1.0)
    a = sim.Population(n, sim.IF_curr_exp())
    b = sim.Population(n, sim.IF_curr_exp())
    prj = sim.Projection(a, b, connector, sim.StaticSynapse(weight=weight, delay=1.0),
                         receptor_type=receptor)
    return sorted((int(i), int(j), float(w)) for i, j, w in prj.get("weight", format="list"))


def test_all_but_me_whole_population():
    got = _connections(sim.extra_models.AllButMeConnector(), n=4)
    assert [(i, j) for i, j, _ in got] == [(i, j) for i in range(4) for j in range(4) if i != j]
    assert {w for _, _, w in got} == {2.0}


def test_all_but_me_groups_stay_apart():
    got = _connections(sim.extra_models.AllButMeConnector(n_neurons_per_group=3), n=6)
    expected = [(i, j) for i in range(6) for j in range(6) if i != j and i // 3 == j // 3]
    assert [(i, j) for i, j, _ in got] == expected


def test_all_but_me_weights_in_spynnakers_order():
    # one group of 3: row = presynaptic position, the diagonal left out
    # (0->1, 0->2, 1->0, 1->2, 2->0, 2->1)
    table = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    got = _connections(sim.extra_models.AllButMeConnector(n_neurons_per_group=3,
                                                          weights=table), n=6)
    by_pair = {(i, j): w for i, j, w in got}
    for group in (0, 3):
        assert [by_pair[(group + i, group + j)] for i, j in
                [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]] == pytest.approx(table,
                                                                                   abs=1e-3)


def test_all_but_me_inhibits_the_others_in_a_run():
    sim.setup(timestep=1.0, fixed_point=False)
    cells = sim.Population(3, sim.IF_curr_exp(tau_refrac=2.0))
    kick = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]))
    sim.Projection(kick, sim.PopulationView(cells, [0]), sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=20.0, delay=1.0))
    sim.Projection(cells, cells, sim.extra_models.AllButMeConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0), receptor_type="inhibitory")
    cells.record(["spikes", "v"])
    sim.run(20.0)
    seg = cells.get_data().segments[0]
    counts = [len(st) for st in seg.spiketrains]
    assert counts[0] >= 1 and counts[1:] == [0, 0], counts
    v = np.asarray(seg.filter(name="v")[0])
    t_after = int(np.asarray(seg.spiketrains[0])[0]) + 3
    assert v[t_after, 1] < -65.0 and v[t_after, 2] < -65.0   # the others are inhibited
    sim.end()


def test_all_but_me_checks():
    with pytest.raises(errors.InvalidParameterValueError, match="weights has 4 values"):
        sim.extra_models.AllButMeConnector(n_neurons_per_group=3, weights=[1, 2, 3, 4])
    with pytest.raises(NotImplementedError, match="multiple of n_neurons_per_group"):
        _connections(sim.extra_models.AllButMeConnector(n_neurons_per_group=4), n=6)
    sim.setup(timestep=1.0)
    with pytest.raises(NotImplementedError, match="same size"):
        sim.Projection(sim.Population(3, sim.IF_curr_exp()), sim.Population(4, sim.IF_curr_exp()),
                       sim.extra_models.AllButMeConnector(), sim.StaticSynapse())


@pytest.mark.parametrize("offset, wrap, group, expected", [
    (1, True, None, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)]),
    (1, False, None, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]),
    (-2, True, 3, [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]),
    (2, False, 3, [(0, 2), (3, 5)]),
])
def test_one_to_one_offset(offset, wrap, group, expected):
    got = _connections(sim.extra_models.OneToOneOffsetConnector(offset, wrap, group),
                       n=6, receptor="excitatory")
    assert [(i, j) for i, j, _ in got] == sorted(expected)


def test_one_to_one_offset_larger_than_the_group():
    with pytest.raises(errors.InvalidParameterValueError, match="offset=4"):
        _connections(sim.extra_models.OneToOneOffsetConnector(4, True, 3), n=6)
