"""The small plastic network the sPyNNaker flavour's compiled-plasticity tests run on both engines.

30 Poisson sources at ``rate`` (static and plastic), 10 SpikeSourceArrays that stop early
(so post events arrive after their last spike) and a recurrent plastic projection onto
16 IF_curr_exp cells; runs in several parts (the engine may change after the first),
then optionally reset() and one more run. Each test file snapshots the rule's own state.
"""

import numpy as np

import pyNN.tinysim.spinnaker as sim


def run_plastic_network(engine, synapse, snapshot, protocol=(60.0, 60.0, 80.0), reset=True,
                        switch_to=None, dt=1.0, rate=300.0, offset=0.4, fixed_point=None,
                        array_spikes=(12, 90.0), time_unit=1.0):
    """[snapshot(cells, projections)] after the runs (and after reset() and one more run).

    ``synapse()`` makes each plastic projection's synapse; ``switch_to``: the engine from
    the second run on; ``fixed_point``: passed to setup() where given; ``array_spikes``:
    (draws, last time) of each SpikeSourceArray's spike times; ``time_unit``: what the
    protocol's and the arrays' times are multiplied by (ms)."""
    extra = {} if fixed_point is None else {"fixed_point": fixed_point}
    sim.setup(timestep=dt, min_delay=dt, rng_seed=5, engine=engine, **extra)
    poisson = sim.Population(30, sim.SpikeSourcePoisson(rate=rate))
    draws, last = array_spikes
    times = [sorted(set(np.random.default_rng(i).uniform(1.0, last, draws).round(0)
                        * time_unit)) for i in range(10)]
    array = sim.Population(10, sim.SpikeSourceArray(spike_times=times))
    cells = sim.Population(16, sim.IF_curr_exp(tau_refrac=1.0, tau_m=10.0, i_offset=offset))
    sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.3, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.5, delay=dt))
    rng = sim.NumpyRNG(3)
    projections = [
        sim.Projection(poisson, cells, sim.FixedProbabilityConnector(0.5, rng=rng), synapse()),
        sim.Projection(array, cells, sim.AllToAllConnector(), synapse()),
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.4, rng=rng), synapse())]
    cells.record("spikes")
    out = []
    for i, T in enumerate(protocol):
        if i == 1 and switch_to is not None:
            from pynn_tinysim import simulator
            simulator.state.network.engine = switch_to
        sim.run(T * time_unit)
    out.append(snapshot(cells, projections))
    if reset:
        sim.reset()
        sim.run(protocol[0] * time_unit)
        out.append(snapshot(cells, projections))
    sim.end()
    return out


def spike_arrays(cells):
    """The cells' recorded spike trains, every segment, as arrays."""
    return [np.asarray(st.magnitude) for seg in cells.get_data().segments
            for st in seg.spiketrains]


def assert_same_runs(a, b):
    """Two runs' snapshots ([(spikes, [block state dicts])]) equal, bit for bit."""
    assert len(a) == len(b)
    for (spikes_a, blocks_a), (spikes_b, blocks_b) in zip(a, b):
        assert len(spikes_a) == len(spikes_b)
        for x, y in zip(spikes_a, spikes_b):
            np.testing.assert_array_equal(x, y)
        for block_a, block_b in zip(blocks_a, blocks_b):
            for name in block_a:
                if isinstance(block_a[name], np.ndarray):
                    np.testing.assert_array_equal(block_a[name], block_b[name], err_msg=name)
                else:
                    assert block_a[name] == block_b[name], name


def assert_rules_in_stretches(monkeypatch, stretched, run, synapse, ticks):
    """``run(engine, synapse)`` ([snapshot] of each run) on NumPy and on the compiled
    engine: the same bits, at least 90 % of the ``ticks`` inside compiled stretches
    (``stretched``: their steps, tests/kernel_spy.py's ``count_stretch_steps``), the
    stretch's queue of post events starting small so that it has to grow mid-run, and
    handed back to the rule (heap, history) holding post spikes."""
    from pynn_tinysim.engine import plasticity
    from pynn_tinysim.engine.spinnaker import plasticity as splast
    monkeypatch.setattr(plasticity, "STRETCH_QUEUE_MIN", 0)
    rounds = []
    finish = splast.BoardTraces.stretch_finish

    def counting_finish(self, arrays):
        held, full = finish(self, arrays)
        rounds.append((held, full))
        return held, full
    monkeypatch.setattr(splast.BoardTraces, "stretch_finish", counting_finish)
    reference = run("numpy", synapse)
    assert not stretched
    compiled = run("numba", synapse)
    assert_same_runs(reference, compiled)
    assert sum(stretched) >= 0.9 * ticks, (sum(stretched), ticks)
    assert any(full for _, full in rounds), "the queue never had to grow"
    assert any(held for held, _ in rounds), "no post spike in a queue: the round trip untested"
