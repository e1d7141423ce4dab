"""Vogels-Abbott CUBA network (4000 cells, 1 s of activity) on pyNN.tinysim.

    python examples/va_cuba.py                     # pyNN.tinysim
    python examples/va_cuba.py --simulator nest    # the same script on pyNN.nest

Prints build and run times, mean firing rates and spike counts, and writes a
raster plot to va_cuba.png when matplotlib is installed.
"""
import argparse
import importlib
import time

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--simulator", default="tinysim", help="PyNN backend (default: tinysim)")
parser.add_argument("--plot", default="va_cuba.png", help="raster plot file name")
args = parser.parse_args()

# In your own scripts this is simply: import pyNN.tinysim as sim
sim = importlib.import_module(f"pyNN.{args.simulator}")
from pyNN.random import NumpyRNG, RandomDistribution

t0 = time.perf_counter()
sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0)

# 3200 excitatory + 800 inhibitory current-based LIF cells. v_rest (-49 mV) lies
# above threshold (-50 mV): every cell is driven, the recurrent inhibition balances it.
cell = dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
            tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
exc = sim.Population(3200, sim.IF_curr_exp(**cell), label="excitatory")
inh = sim.Population(800, sim.IF_curr_exp(**cell), label="inhibitory")

# Random initial membrane potentials between reset and threshold start the activity.
rng = NumpyRNG(seed=98765)
for pop in (exc, inh):
    pop.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng))

# 2% random connectivity. Weights in nA; inhibitory weights are negative in PyNN.
connector = sim.FixedProbabilityConnector(0.02, rng=rng)
excitatory = sim.StaticSynapse(weight=0.27e-3 * 60.0, delay=0.2)    # +0.0162 nA
inhibitory = sim.StaticSynapse(weight=-4.5e-3 * 20.0, delay=0.2)    # -0.09 nA
for post in (exc, inh):
    sim.Projection(exc, post, connector, excitatory, receptor_type="excitatory")
    sim.Projection(inh, post, connector, inhibitory, receptor_type="inhibitory")

exc.record("spikes")
inh.record("spikes")
build_time = time.perf_counter() - t0

t0 = time.perf_counter()
sim.run(1000.0)
run_time = time.perf_counter() - t0
print(f"build {build_time:.2f} s, run {run_time:.2f} s on pyNN.{args.simulator}")

segments = {}
for pop in (exc, inh):
    segments[pop.label] = seg = pop.get_data("spikes").segments[0]
    n_spikes = sum(len(st) for st in seg.spiketrains)
    rate = n_spikes / pop.size / 1.0                        # spikes per cell per second
    print(f"{pop.label:>10}: {n_spikes:6d} spikes, mean rate {rate:.2f} Hz")

try:
    import matplotlib
    matplotlib.use("Agg")                      # no display needed
    from pyNN.utility.plotting import Figure, Panel
except ImportError:
    print("matplotlib not installed: no raster plot")
else:
    Figure(Panel(segments["excitatory"].spiketrains[:400], markersize=0.5, yticks=True),
           Panel(segments["inhibitory"].spiketrains[:100], markersize=0.5, yticks=True,
                 xticks=True, xlabel="Time (ms)", xlim=(0, 1000)),
           title=f"VA CUBA on pyNN.{args.simulator}: first 400 exc (top), 100 inh cells").save(args.plot)
    print(f"raster plot written to {args.plot}")
sim.end()
