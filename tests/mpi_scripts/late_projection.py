"""Connections changed between runs on one rank only (run by tests/test_mpi.py).

A one-cell Population lives on rank 0: under MPI only rank 0 holds connections
onto it, so a loop over ``prj.connections`` changes weights there alone; every
rank must still agree on the next run's set-up (no hang). Usage:
python late_projection.py OUT.npz
"""
import sys

import numpy as np
import pyNN.tinysim as sim

sim.setup(timestep=0.1, min_delay=0.5)
src = sim.Population(3, sim.SpikeSourceArray(spike_times=[[6.0], [7.0], [8.0, 8.5]]))
one = sim.Population(1, sim.IF_curr_exp(tau_refrac=0.5))
one.record(["spikes", "v"])
sim.run(5.0)
prj = sim.Projection(src, one, sim.DistanceDependentProbabilityConnector("d<100"),
                     sim.StaticSynapse(weight=1.0, delay=0.5))
sim.run(1.0)
for c in prj.connections:       # the local connections only
    c.weight = 4.0
sim.run(14.0)
block = one.get_data(gather=True)
if sim.rank() == 0:
    seg = block.segments[0]
    np.savez(sys.argv[1], spikes=np.asarray(seg.spiketrains[0].magnitude),
             v=seg.analogsignals[0].magnitude, n=np.array([sim.num_processes()]))
sim.end()
