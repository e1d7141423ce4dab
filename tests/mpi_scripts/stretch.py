"""A one-family network whose compiled engine runs in stretches of steps (run by
tests/test_mpi.py): Poisson, gamma and array sources, AC, noise and step currents,
recurrent static synapses with delays of several exchange windows.

Usage: python stretch.py OUT.npz [engine [IF_curr_exp|IF_cond_exp]]; under mpiexec
every rank runs it, rank 0 writes the gathered results, and every rank writes how
many compiled stretches it ran (OUT.npz.<rank>.stretches).
"""
import sys

import numpy as np
import pyNN.tinysim as sim
from pyNN.random import NumpyRNG, RandomDistribution
from pynn_tinysim.engine import network as network_module
from pynn_tinysim.engine import sources
from pynn_tinysim.engine import stretch as stretch_module
from pynn_tinysim.engine.stretch import CompiledStretch

out = sys.argv[1]
engine = sys.argv[2] if len(sys.argv) > 2 else "numpy"
model = sys.argv[3] if len(sys.argv) > 3 else "IF_curr_exp"
# Poisson and gamma windows that end inside exchange windows and runs
sources.WindowedSource.WINDOW_STEPS = 230
# small record and exchange buffers: a stretch hands them over within windows
stretch_module.RECORD_BUFFER = 0
stretches = []
_run = CompiledStretch.run
CompiledStretch.run = lambda self, k, k_end: stretches.append(k) or _run(self, k, k_end)

# exchange windows of 4 steps (the shortest delay), shorter than those a stretch pays
# for (stretch_io.MIN_EXCHANGE_WINDOW): stretches all the same, to test them often
network_module.MIN_EXCHANGE_WINDOW = 1
sim.setup(timestep=0.1, min_delay=0.4, max_delay=5.0, engine=engine, rng_seed=5)
rng = NumpyRNG(seed=77)
if model == "IF_cond_exp":
    celltype, w_e, w_i = sim.IF_cond_exp(tau_refrac=2.0, i_offset=0.2), 0.004, 0.03
else:
    celltype, w_e, w_i = sim.IF_curr_exp(tau_refrac=2.0, i_offset=0.2), 0.25, -0.6
# two Populations of the one family: each is split over the ranks in blocks
exc = sim.Population(47, celltype, label="exc",
                     initial_values={"v": RandomDistribution("uniform", (-70.0, -52.0), rng=rng)})
inh = sim.Population(13, celltype, label="inh")
noise = sim.Population(20, sim.SpikeSourcePoisson(rate=60.0), label="noise")
gamma = sim.Population(8, sim.SpikeSourceGamma(alpha=3.0, beta=240.0, start=7.0), label="gamma")
stim = sim.Population(2, sim.SpikeSourceArray(spike_times=[[3.0, 3.05, 44.0], [20.0]]),
                      label="stim")
d = RandomDistribution("uniform", (0.4, 2.5), rng=rng)
sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3, rng=rng),
               sim.StaticSynapse(weight=w_e * 2, delay=d), receptor_type="excitatory")
sim.Projection(gamma, inh, sim.FixedProbabilityConnector(0.5, rng=rng),
               sim.StaticSynapse(weight=w_e * 3, delay=0.4), receptor_type="excitatory")
sim.Projection(stim, exc, sim.AllToAllConnector(),
               sim.StaticSynapse(weight=w_e * 8, delay=0.4), receptor_type="excitatory")
sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.15, rng=rng),
               sim.StaticSynapse(weight=w_e, delay=d), receptor_type="excitatory")
sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.4, rng=rng),
               sim.StaticSynapse(weight=w_e, delay=0.4), receptor_type="excitatory")
sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.5, rng=rng),
               sim.StaticSynapse(weight=w_i, delay=0.7), receptor_type="inhibitory")
sim.ACSource(amplitude=0.3, offset=0.1, frequency=30.0, phase=10.0, start=4.05,
             stop=61.0).inject_into(exc[5:40])
sim.NoisyCurrentSource(mean=0.1, stdev=0.4, dt=0.2, start=2.0).inject_into(inh[::2])
sim.StepCurrentSource(times=[10.0, 31.0], amplitudes=[0.3, 0.0]).inject_into(exc[::3])
exc.record(["spikes", "v"])
inh.record("spikes")
gamma.record("spikes")
sim.run(37.3)
sim.run(42.7)
result = {}
for pop in (exc, inh, gamma):
    block = pop.get_data(gather=True)
    if sim.rank() == 0:
        seg = block.segments[0]
        result[pop.label + "_spikes"] = np.concatenate(
            [[-1.0, float(st.annotations["source_index"])] + list(st.magnitude)
             for st in sorted(seg.spiketrains, key=lambda s: s.annotations["source_index"])])
        for sig in seg.analogsignals:
            order = np.argsort(sig.array_annotations["channel_index"])
            result[pop.label + "_" + sig.name] = sig.magnitude[:, order]
with open(f"{out}.{sim.rank()}.stretches", "w") as f:
    f.write(str(len(stretches)))
if sim.rank() == 0:
    result["n"] = np.array([sim.num_processes()])
    np.savez(out, **result)
sim.end()
