"""Synfire chain: a volley of spikes travels along a chain of LIF populations.

    python examples/synfire_chain.py
    python examples/synfire_chain.py --simulator nest

Ten groups of 100 excitatory cells (IF_curr_exp); each group projects to the next
with 60% connection probability and 2 ms delay. A SpikeSourceArray fires every cell of
the first group once at t = 10 ms; the volley then runs down the chain. Prints, per
group, the number of spikes and the mean time of the volley, and writes a raster plot
to synfire_chain.png when matplotlib is installed.
"""
import argparse
import importlib

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--simulator", default="tinysim", help="PyNN backend (default: tinysim)")
parser.add_argument("--smoke", action="store_true", help="short run (5 groups), for tests")
parser.add_argument("--plot", default="synfire_chain.png", help="figure file name")
args = parser.parse_args()

sim = importlib.import_module(f"pyNN.{args.simulator}")
from pyNN.random import NumpyRNG

n_groups, group_size = (5, 100) if args.smoke else (10, 100)
sim.setup(timestep=0.1, min_delay=1.0, max_delay=5.0)
rng = NumpyRNG(seed=42)

stimulus = sim.Population(group_size, sim.SpikeSourceArray(spike_times=[10.0]), label="stimulus")
cell = sim.IF_curr_exp(tau_m=10.0, tau_syn_E=2.0, tau_refrac=5.0)
groups = [sim.Population(group_size, cell, label=f"group {i}") for i in range(n_groups)]
synapse = sim.StaticSynapse(weight=0.5, delay=2.0)      # nA; ~60 inputs fire each cell
connector = sim.FixedProbabilityConnector(0.6, rng=rng)
sim.Projection(stimulus, groups[0], connector, synapse)
for pre, post in zip(groups[:-1], groups[1:]):
    sim.Projection(pre, post, connector, synapse)
for g in groups:
    g.record("spikes")

tstop = 10.0 + 6.0 * n_groups + 20.0
sim.run(tstop)

print(f"synfire chain on pyNN.{args.simulator}: {n_groups} groups of {group_size} cells")
trains = []
for g in groups:
    sts = g.get_data("spikes").segments[0].spiketrains
    trains.append(sts)
    t = np.concatenate([np.asarray(st.magnitude) for st in sts])
    mean_t = f"{t.mean():6.2f} ms (sd {t.std():.2f})" if t.size else "   -"
    print(f"{g.label:>9}: {t.size:4d} spikes, volley at {mean_t}")

try:
    import matplotlib
    matplotlib.use("Agg")
    from pyNN.utility.plotting import Figure, Panel
except ImportError:
    print("matplotlib not installed: figure skipped")
else:
    # one raster: group i's cells on rows i*group_size...
    all_trains = [st for sts in trains for st in sts]
    Figure(Panel(all_trains, markersize=1, yticks=True, xticks=True, xlabel="Time (ms)",
                 ylabel="cell (group by group)", xlim=(0, tstop)),
           title=f"Synfire chain on pyNN.{args.simulator}").save(args.plot)
    print(f"figure written to {args.plot}")
sim.end()
