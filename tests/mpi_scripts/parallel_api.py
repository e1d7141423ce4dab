"""PyNN's parallel API under mpiexec (run by tests/test_mpi.py): asserts, then prints OK.

Usage: python parallel_api.py WORKDIR EXPECTED_NUMBER_OF_PROCESSES
"""
import os
import sys

import numpy as np
import pyNN.tinysim as sim
from pyNN.tinysim import simulator

workdir, expected = sys.argv[1], int(sys.argv[2])
rank = sim.setup(timestep=0.1, min_delay=0.4, rng_seed=3)
n = sim.num_processes()
assert n == expected, (n, expected)
assert rank == sim.rank()
assert os.environ.get("NUMBA_NUM_THREADS") == ("1" if n > 1 else os.environ.get("NUMBA_NUM_THREADS"))

pop = sim.Population(10, sim.IF_curr_exp(i_offset=np.linspace(0.5, 1.4, 10)), label="p")
src = sim.Population(4, sim.SpikeSourceArray(spike_times=[[1.0], [2.0], [3.0], [4.0]]))
# block distribution: rank r owns cells [10 r // n, 10 (r+1) // n)
first, stop = 10 * rank // n, 10 * (rank + 1) // n
expected_mask = np.zeros(10, bool)
expected_mask[first:stop] = True
assert (pop._mask_local == expected_mask).all(), pop._mask_local
assert pop.local_size == stop - first
assert [int(c) for c in pop.local_cells] == [int(pop[i]) for i in range(first, stop)]
# the rank's neuron group holds its own cells only; a source group holds all of them
assert pop._group.size == stop - first and src._group.size == 4
view = pop[::2]
assert (view._mask_local == expected_mask[::2]).all()
assert all(c.local == expected_mask[i] for i, c in enumerate(pop.all_cells))
# get: this rank's cells; gather=True: all (on rank 0, as PyNN gathers)
local = pop.get("i_offset", gather=False)
assert np.allclose(np.atleast_1d(local), np.linspace(0.5, 1.4, 10)[first:stop])
everything = pop.get("i_offset", gather=True)
if rank == 0:
    assert np.allclose(everything, np.linspace(0.5, 1.4, 10))
assert np.allclose(np.atleast_1d(view.get("i_offset", gather=False)),
                   np.linspace(0.5, 1.4, 10)[::2][expected_mask[::2]])

prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=0.4))
assert len(prj) == 4 * (stop - first)            # connections onto this rank's cells
assert prj.size(gather=True) == 40
listed = prj.get("weight", format="list", gather=True)
if rank == 0:
    assert len(listed) == 40
prj.save(["weight", "delay"], os.path.join(workdir, "conn.txt"), format="list", gather=True)

pop.record(["spikes", "v"])
sim.run(20.0)
exchange = simulator.state.network.exchange
if n > 1:
    # one Allgather per window of min delay (4 steps): 200 steps -> 50 exchanges
    assert exchange.n_collectives == 50, exchange.n_collectives
    assert exchange.window == 4
else:
    assert exchange is None
data = pop.get_data(gather=False)
seg = data.segments[0]
assert sorted(st.annotations["source_index"] for st in seg.spiketrains) == \
    list(range(first, stop)), [st.annotations["source_index"] for st in seg.spiketrains]
# gather=True: every rank gets every cell's data (one collective of arrays)
everyone = pop.get_data(gather=True).segments[0]
assert sorted(st.annotations["source_index"] for st in everyone.spiketrains) == list(range(10))
assert everyone.analogsignals[0].shape == (201, 10)
assert list(everyone.analogsignals[0].array_annotations["channel_index"]) == list(range(10))
pop.write_data(os.path.join(workdir, "gathered.pkl"), gather=True)
pop.write_data(os.path.join(workdir, "own.pkl"), gather=False)
# after reset(): earlier segments are gathered too (PyNN's gather, on rank 0)
sim.reset()
sim.run(5.0)
two = pop.get_data(gather=True)
if rank == 0:
    assert len(two.segments) == 2
    for seg in two.segments:
        assert sorted(st.annotations["source_index"] for st in seg.spiketrains) == \
            list(range(10))
sim.end()
if rank == 0:
    print("OK", n)
