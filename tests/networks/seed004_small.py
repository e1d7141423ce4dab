"""The seed-004 user's balanced Izhikevich network, reduced, in PyNN-standard units.

The original (a notebook written for sPyNNaker, see benchmarks/seed004_izhikevich.py
for the full-size translation and the reasoning) imports its simulator the same way
as below: ``pyNN.spiNNaker`` with a fallback to ``pyNN.brian2``. The harness
redirects that import, so the script is run unmodified on every backend.

Changes from the notebook: 300 cells instead of 1500 (240 exc / 60 inh) with the
connection probability scaled from 0.02 to 0.1 so every cell keeps its 30 recurrent
inputs; 500 ms; parameters in PyNN-standard semantics: i_offset = 0.005 nA (the
notebook's sPyNNaker i_offset = 5 means I = 5, and PyNN-standard Izhikevich takes
nA into 1 pF), delta synapses with the notebook's weights in mV (1.0, -2.5 for the
inhibitory ones, negative as PyNN standard requires; 0.1 from the thalamus).
"""

try:
    import pyNN.spiNNaker as sim
except ModuleNotFoundError:
    import pyNN.brian2 as sim

import argparse

from pyNN.random import NumpyRNG, RandomDistribution

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=300)
parser.add_argument("--duration", type=float, default=500.0)
args = parser.parse_args()

dt, delay = 1.0, 2.0
sim.setup(timestep=dt, min_delay=delay, max_delay=delay)
rng = NumpyRNG(seed=98766987, parallel_safe=True)

cell_params = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.005)
n_exc = int(round(args.n * 0.8))
n_inh = args.n - n_exc
pops = {
    "exc": sim.Population(n_exc, sim.Izhikevich(**cell_params), label="Excitatory_Cells"),
    "inh": sim.Population(n_inh, sim.Izhikevich(**cell_params), label="Inhibitory_Cells"),
}
pops["exc"].record(["v", "spikes"])
pops["inh"].record(["v", "spikes"])
uniform = RandomDistribution("uniform", [-65.0, -14.0], rng=rng)
pops["exc"].initialize(v=uniform)
pops["inh"].initialize(v=uniform)

pconn = min(1.0, 0.02 * 1500 / args.n)
exc_conn = sim.FixedProbabilityConnector(pconn, rng=rng)
inh_conn = sim.FixedProbabilityConnector(pconn, rng=rng)
exc_syn = sim.StaticSynapse(weight=1.0, delay=delay)
inh_syn = sim.StaticSynapse(weight=-2.5, delay=delay)
for pre, conn, syn, receptor in (("exc", exc_conn, exc_syn, "excitatory"),
                                 ("inh", inh_conn, inh_syn, "inhibitory")):
    for post in ("exc", "inh"):
        sim.Projection(pops[pre], pops[post], conn, receptor_type=receptor, synapse_type=syn)

pops["thalamus"] = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0),
                                  label="expoisson")
pops["thalamus"].record("spikes")
ext_conn = sim.FixedProbabilityConnector(0.01)
for post in ("exc", "inh"):
    sim.Projection(pops["thalamus"], pops[post], ext_conn, receptor_type="excitatory",
                   synapse_type=sim.StaticSynapse(weight=0.1))

sim.run(args.duration)
for name in ("exc", "inh"):
    print(f"{name}: {pops[name].mean_spike_count() * 1000.0 / args.duration:.2f} Hz")
sim.end()
