"""A static network driven by Poisson input, v and spikes recorded (run by tests/test_mpi.py).

Usage: python static_poisson.py OUT.npz [engine]; under mpiexec every rank runs it,
rank 0 writes the gathered results.
"""
import sys

import numpy as np
import pyNN.tinysim as sim
from pyNN.random import NumpyRNG, RandomDistribution

out = sys.argv[1]
engine = sys.argv[2] if len(sys.argv) > 2 else "numpy"
sim.setup(timestep=0.1, min_delay=0.5, max_delay=5.0, engine=engine, rng_seed=7)
rng = NumpyRNG(seed=1234)
exc = sim.Population(60, sim.IF_curr_exp(tau_m=RandomDistribution("uniform", (15.0, 25.0), rng=rng)),
                     initial_values={"v": RandomDistribution("uniform", (-70.0, -55.0), rng=rng)},
                     label="exc")
inh = sim.Population(17, sim.IF_cond_exp(), label="inh")
noise = sim.Population(25, sim.SpikeSourcePoisson(rate=40.0), label="noise")
stim = sim.Population(3, sim.SpikeSourceArray(spike_times=[[5.0, 5.05, 30.0], [12.0], [40.0, 41.0]]))
w = RandomDistribution("uniform", (0.2, 1.0), rng=rng)
d = RandomDistribution("uniform", (0.5, 3.0), rng=rng)
sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
               sim.StaticSynapse(weight=w, delay=d), receptor_type="excitatory")
sim.Projection(noise, inh, sim.FixedNumberPreConnector(5, rng=rng),
               sim.StaticSynapse(weight=0.01, delay=0.5), receptor_type="excitatory")
sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, rng=rng),
               sim.StaticSynapse(weight=0.3, delay=d), receptor_type="excitatory")
sim.Projection(exc, inh, sim.AllToAllConnector(),
               sim.StaticSynapse(weight=0.002, delay=1.0), receptor_type="excitatory")
sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.5, rng=rng),
               sim.StaticSynapse(weight=-0.8, delay=0.7), receptor_type="inhibitory")
sim.Projection(stim, exc[[2, 31, 59]], sim.OneToOneConnector(),
               sim.StaticSynapse(weight=3.0, delay=0.5), receptor_type="excitatory")
# PyNN's own per-cell connector code (no vectorized builder): parallel_safe draws
sim.Projection(inh, inh, sim.DistanceDependentProbabilityConnector("0.9*exp(-d/4)", rng=rng),
               sim.StaticSynapse(weight=0.001, delay=d), receptor_type="inhibitory")
sim.Projection(noise, inh, sim.FixedNumberPostConnector(3, rng=rng),
               sim.StaticSynapse(weight=0.004, delay=0.6), receptor_type="excitatory")
sim.DCSource(amplitude=0.3, start=20.0, stop=60.0).inject_into(exc[10:30])
# one draw per target and time step: the draws must not depend on the rank split
sim.NoisyCurrentSource(mean=0.2, stdev=0.3, dt=1.0, start=5.0, stop=70.0).inject_into(
    inh[[1, 4, 5, 9, 16]])
sim.NoisyCurrentSource(mean=0.1, stdev=0.2, dt=0.5).inject_into(exc[::7])
exc.record(["spikes", "v"])
inh.record(["spikes", "gsyn_exc"])
noise.record("spikes")
sim.run(50.0)
sim.run(30.0)
result = {}
for pop in (exc, inh, noise):
    block = pop.get_data(gather=True)
    if sim.rank() == 0:
        seg = block.segments[0]
        result[pop.label + "_spikes"] = np.concatenate(
            [[-1.0, float(st.annotations["source_index"])] + list(st.magnitude)
             for st in sorted(seg.spiketrains, key=lambda s: s.annotations["source_index"])])
        for sig in seg.analogsignals:
            order = np.argsort(sig.array_annotations["channel_index"])
            result[pop.label + "_" + sig.name] = sig.magnitude[:, order]
tau = exc.get("tau_m", gather=True)
if sim.rank() == 0:
    result["tau_m"] = np.asarray(tau)
    result["n"] = np.array([sim.num_processes()])
    np.savez(out, **result)
sim.end()
