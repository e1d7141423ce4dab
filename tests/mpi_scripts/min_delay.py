"""get_min_delay() after setup(min_delay='auto') and memory estimates under MPI
(run by tests/test_mpi.py). Each rank writes its line to min_delay.<rank>.txt."""
import numpy as np

import pyNN.tinysim as sim
from pynn_tinysim import memory

sim.setup(timestep=0.1, min_delay="auto")
pre = sim.Population(4, sim.SpikeSourceArray(spike_times=[1.0]))
post = sim.Population(4, sim.IF_curr_exp())
# the shortest delay is on a synapse onto the last cell (rank 1's of 2) and plastic
sim.Projection(pre, post, sim.FromListConnector([(0, 0, 0.5, 1.0), (1, 1, 0.5, 2.0)]),
               sim.StaticSynapse())
sim.Projection(pre, post, sim.FromListConnector([(2, 3, 0.5, 0.3)]),
               sim.TsodyksMarkramSynapse(U=0.5))
shortest = sim.get_min_delay()
big = sim.Population(1000, sim.IF_curr_exp())
held = int(np.count_nonzero(big._mask_local))
pop_bytes = memory.population_bytes(big.celltype, big.size, memory._held_cells(big))
prj = sim.Projection(big, big, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                     sim.StaticSynapse(weight=0.1, delay=1.0))
n_local, prj_bytes = memory.projection_bytes(prj._connector, prj)
sim.run(5.0)
with open(f"min_delay.{sim.rank()}.txt", "w") as f:
    f.write(f"rank {sim.rank()} of {sim.num_processes()}: min_delay {shortest:.3f} held {held} "
            f"pop_bytes {pop_bytes} n_local {n_local:.1f} prj_bytes {prj_bytes:.0f} "
            f"connections {len(prj)}")
sim.end()
