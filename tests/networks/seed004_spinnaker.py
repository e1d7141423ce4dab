"""The seed-004 notebook's network as its author wrote it, for sPyNNaker (reduced).

This is what a user brings: sPyNNaker semantics throughout. On SpiNNaker (or its
emulation, pyNN.tinysim.spinnaker) it is a balanced network; on PyNN-standard
backends it is either rejected (positive weights on inhibitory synapses: sPyNNaker
takes magnitudes) or, with ``--negative-inhibition``, every Izhikevich cell fires on
every 1 ms step (i_offset = 5 is I = 5 on sPyNNaker but 5 nA into 1 pF, I = 5000,
in PyNN standard). The harness's verdict names both causes.

Reduced from the notebook: 300 cells (connection probability scaled to keep 30
inputs per cell), 500 ms, no files written.
"""

import argparse

try:
    import pyNN.spiNNaker as sim
except ModuleNotFoundError:
    import pyNN.brian2 as sim
from pyNN.random import NumpyRNG, RandomDistribution

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=300)
parser.add_argument("--duration", type=float, default=500.0)
parser.add_argument("--negative-inhibition", action="store_true",
                    help="give inhibitory weights a negative sign (PyNN-standard convention)")
args = parser.parse_args()

dt = 1
delay = 2
sim.setup(timestep=dt, min_delay=delay, max_delay=delay)
rng = NumpyRNG(seed=98766987, parallel_safe=True)

cell_params = dict(sim.Izhikevich.default_parameters)
cell_params["i_offset"] = 5.0
n_exc = int(round(args.n * 0.8))
n_inh = args.n - n_exc
pops = {
    "exc": sim.Population(n_exc, sim.Izhikevich(**cell_params), label="Excitatory_Cells"),
    "inh": sim.Population(n_inh, sim.Izhikevich(**cell_params), label="Inhibitory_Cells"),
}
pops["exc"].record(["v", "spikes"])
pops["inh"].record(["v", "spikes"])
uniform = RandomDistribution("uniform", [cell_params["c"], -14.0], rng=rng)
pops["exc"].initialize(v=uniform)
pops["inh"].initialize(v=uniform)

w_exc = cell_params["i_offset"] * 0.2
w_inh = cell_params["i_offset"] * 0.5 * (-1 if args.negative_inhibition else 1)
pconn = min(1.0, 0.02 * 1500 / args.n)
exc_conn = sim.FixedProbabilityConnector(pconn, rng=rng)
inh_conn = sim.FixedProbabilityConnector(pconn, rng=rng)
for pre, conn, w, receptor in (("exc", exc_conn, w_exc, "excitatory"),
                               ("inh", inh_conn, w_inh, "inhibitory")):
    for post in ("exc", "inh"):
        sim.Projection(pops[pre], pops[post], conn, receptor_type=receptor,
                       synapse_type=sim.StaticSynapse(weight=w, delay=delay))

pops["thalamus"] = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0),
                                  label="expoisson")
pops["thalamus"].record("spikes")
ext_conn = sim.FixedProbabilityConnector(0.01)
for post in ("exc", "inh"):
    sim.Projection(pops["thalamus"], pops[post], ext_conn, receptor_type="excitatory",
                   synapse_type=sim.StaticSynapse(weight=0.1))

sim.run(args.duration)
sim.end()
