"""A synfire chain: a volley of synchronous spikes travels down 8 groups of cells.

Written in the style of PyNN's own examples, with the backend chosen on the
command line through pyNN.utility.get_simulator::

    python synfire_chain.py nest
    tinysim compare synfire_chain.py --backends tinysim,brian2   # no simulator argument needed

8 groups of 40 IF_curr_exp cells (one Population, "chain"); every cell of group k
excites every cell of group k+1 (AllToAllConnector on PopulationViews, 2 ms delay).
A pulse packet (40 SpikeSourceArray cells, "stim", one spike each, times ~ N(20, 1) ms
from a seeded NumpyRNG) starts the volley in group 0; background Poisson input
(SpikeSourcePoisson, 200 Hz to each cell, weak) keeps the membranes noisy so that
the volley's arrival times jitter and there are a few spontaneous spikes.
The packet is repeated every 100 ms.
"""

import numpy as np
from pyNN.random import NumpyRNG, RandomDistribution
from pyNN.utility import get_simulator

sim, options = get_simulator(
    ("--groups", "number of groups", {"type": int, "default": 8}),
    ("--group-size", "cells per group", {"type": int, "default": 40}),
    ("--duration", "simulated time (ms)", {"type": float, "default": 400.0}),
    ("--seed", "seed of the NumpyRNG", {"type": int, "default": 4242}),
)

n_groups, size = options.groups, options.group_size
sim.setup(timestep=0.1, min_delay=0.1, max_delay=5.0)

chain = sim.Population(n_groups * size,
                       sim.IF_curr_exp(tau_m=10.0, tau_syn_E=2.0, tau_syn_I=5.0, v_rest=-70.0,
                                       v_reset=-70.0, v_thresh=-55.0, tau_refrac=2.0,
                                       cm=0.25),
                       label="chain")
rng = NumpyRNG(seed=options.seed)
chain.initialize(v=RandomDistribution("uniform", low=-70.0, high=-60.0, rng=rng))

# pulse packets every 100 ms from t = 20 ms
starts = np.arange(20.0, options.duration - 50.0, 100.0)
jitter = RandomDistribution("normal", mu=0.0, sigma=1.0, rng=rng)
times = [np.sort(starts + jitter.next(starts.size)) for _ in range(size)]
stim = sim.Population(size, sim.SpikeSourceArray(spike_times=times), label="stim")

noise = sim.Population(chain.size, sim.SpikeSourcePoisson(rate=200.0), label="noise")
sim.Projection(noise, chain, sim.OneToOneConnector(),
               sim.StaticSynapse(weight=0.1, delay=0.1), receptor_type="excitatory")

w_ff = 0.075      # nA; about 12 of 40 synchronous inputs bring a cell to threshold
sim.Projection(stim, chain[0:size], sim.AllToAllConnector(),
               sim.StaticSynapse(weight=w_ff, delay=2.0), receptor_type="excitatory")
for k in range(n_groups - 1):
    sim.Projection(chain[k * size:(k + 1) * size], chain[(k + 1) * size:(k + 2) * size],
                   sim.AllToAllConnector(), sim.StaticSynapse(weight=w_ff, delay=2.0),
                   receptor_type="excitatory")

chain.record("spikes")
stim.record("spikes")
sim.run(options.duration)

trains = chain.get_data("spikes").segments[0].spiketrains
counts = np.array([len(st) for st in trains]).reshape(n_groups, size)
print("spikes per cell, by group:", " ".join(f"{c:.2f}" for c in counts.mean(axis=1)))
sim.end()
