"""A tiny network for fast harness tests: 60 LIF cells driven by Poisson noise.

Written for NEST (the harness redirects the import); runs in about a second.
"""

import pyNN.nest as sim
from pyNN.random import NumpyRNG

sim.setup(timestep=0.1, min_delay=1.0, max_delay=1.0)
cells = sim.Population(60, sim.IF_curr_exp(tau_m=10.0, i_offset=0.5), label="cells")
noise = sim.Population(60, sim.SpikeSourcePoisson(rate=50.0), label="noise")
sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=7)),
               sim.StaticSynapse(weight=0.6, delay=1.0))
cells.record(["spikes", "v"])
noise.record("spikes")
sim.run(300.0)
