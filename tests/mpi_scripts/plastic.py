"""A plastic network (STDP, Tsodyks-Markram) with Poisson input and a current source
(run by tests/test_mpi.py). Usage: python plastic.py OUT.npz [engine] [flavour];
flavour "spinnaker" runs it on pyNN.tinysim.spinnaker. Rank 0 writes gathered results.
"""
import sys

import numpy as np
from pyNN.random import NumpyRNG, RandomDistribution

out = sys.argv[1]
engine = sys.argv[2] if len(sys.argv) > 2 else "numpy"
flavour = sys.argv[3] if len(sys.argv) > 3 else "nest"
if flavour == "spinnaker":
    import pyNN.tinysim.spinnaker as sim
    sim.setup(timestep=1.0, min_delay=1.0, rng_seed=11)
    delay, dt = 1.0, 1.0
else:
    import pyNN.tinysim as sim
    sim.setup(timestep=0.1, min_delay=1.0, max_delay=4.0, engine=engine, rng_seed=11)
    delay, dt = 1.0, 0.1
rng = NumpyRNG(seed=99)
cells = sim.Population(40, sim.IF_curr_exp(tau_refrac=2.0), label="cells")
inputs = sim.Population(30, sim.SpikeSourcePoisson(rate=30.0), label="inputs")
stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02, A_minus=0.025),
    weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
    weight=RandomDistribution("uniform", (0.5, 1.5), rng=rng), delay=delay)
plastic = sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.4, rng=rng), stdp,
                         receptor_type="excitatory")
if flavour != "spinnaker":
    tm = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=200.0, tau_facil=0.0, weight=0.4,
                                   delay=RandomDistribution("uniform", (1.0, 3.0), rng=rng))
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=rng), tm,
                   receptor_type="excitatory")
# static weights spread over a range: the flavour scales them by statistics of all
# ranks' synapses (spinnaker/ring_buffers.py)
sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.2, rng=rng),
               sim.StaticSynapse(weight=RandomDistribution("uniform", (0.05, 0.6), rng=rng),
                                 delay=RandomDistribution("uniform", (1.0, 4.0), rng=rng)),
               receptor_type="excitatory")
sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.1, rng=rng),
               sim.StaticSynapse(weight=-0.5, delay=2.0), receptor_type="inhibitory")
sim.StepCurrentSource(times=[10.0, 60.0], amplitudes=[0.4, 0.1]).inject_into(cells[::3])
cells.record(["spikes", "v"])
w0 = plastic.get("weight", format="array", gather=True)
sim.run(100.0)
w = plastic.get("weight", format="array", gather=True)
plastic_list = plastic.get(["weight", "delay"], format="list", gather=True)
block = cells.get_data(gather=True)
if sim.rank() == 0:
    seg = block.segments[0]
    result = {"weights": np.asarray(w), "initial_weights": np.asarray(w0),
              "weight_list": np.array(sorted(tuple(c) for c in plastic_list)),
              "spikes": np.concatenate(
                  [[-1.0, float(st.annotations["source_index"])] + list(st.magnitude)
                   for st in sorted(seg.spiketrains,
                                    key=lambda s: s.annotations["source_index"])])}
    for sig in seg.analogsignals:
        order = np.argsort(sig.array_annotations["channel_index"])
        result[sig.name] = sig.magnitude[:, order]
    np.savez(out, **result)
sim.end()
