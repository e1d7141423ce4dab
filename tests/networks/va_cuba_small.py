"""Vogels-Abbott CUBA network, scaled down: a plain PyNN script written for NEST.

Used by tests/test_compare_backends.py through the cross-backend harness (which runs
it unmodified on other backends: the import line below is redirected), and runnable
as it is::

    python va_cuba_small.py            # on pyNN.nest
    tinysim run va_cuba_small.py       # on pyNN.tinysim
    tinysim compare va_cuba_small.py --backends tinysim,brian2,nest

As benchmarks/va_benchmark.py (CUBA), with N cells instead of 4000: the connection
probability is scaled so that every cell keeps the 80 recurrent inputs per cell it
has at 4000 cells; the initial v is uniform in [v_reset, v_thresh] from a seeded
NumpyRNG that also draws the connections.
"""

import argparse

import pyNN.nest as sim
from pyNN.random import NumpyRNG, RandomDistribution

parser = argparse.ArgumentParser()
parser.add_argument("--n", type=int, default=800)
parser.add_argument("--duration", type=float, default=300.0)
parser.add_argument("--seed", type=int, default=98765)
args = parser.parse_args()

n_exc = int(round(args.n * 0.8))
n_inh = args.n - n_exc
p_conn = min(1.0, 80.0 / args.n)

sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0)
params = dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
              tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
exc = sim.Population(n_exc, sim.IF_curr_exp(**params), label="exc")
inh = sim.Population(n_inh, sim.IF_curr_exp(**params), label="inh")

rng = NumpyRNG(seed=args.seed)
v_init = RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng)
exc.initialize(v=v_init)
inh.initialize(v=v_init)

w_exc = 0.27e-3 * (0.0 - -60.0)       # nA
w_inh = 4.5e-3 * (-80.0 - -60.0)      # nA, negative: PyNN standard
connector = sim.FixedProbabilityConnector(p_conn, rng=rng)
for pre, w, receptor in ((exc, w_exc, "excitatory"), (inh, w_inh, "inhibitory")):
    for post in (exc, inh):
        sim.Projection(pre, post, connector, sim.StaticSynapse(weight=w, delay=0.2),
                       receptor_type=receptor)

exc.record(["spikes", "v"])
inh.record("spikes")
sim.run(args.duration)

for pop in (exc, inh):
    print(f"{pop.label}: {pop.mean_spike_count() * 1000.0 / args.duration:.2f} Hz")
sim.end()
