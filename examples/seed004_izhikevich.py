"""Balanced Izhikevich network (shared/seeds/004): the SpiNNaker notebook on a laptop.

    python examples/seed004_izhikevich.py                       # PyNN-standard units, pyNN.tinysim
    python examples/seed004_izhikevich.py --simulator nest      # the same on pyNN.nest
    python examples/seed004_izhikevich.py --flavour spinnaker   # the notebook's code as written

1200 excitatory + 300 inhibitory Izhikevich cells (a=0.02, b=0.2, c=-65, d=2), 2%
random connectivity, dt = 1 ms, delays 2 ms, and 20 thalamic Poisson cells firing at
100 Hz for the first 50 ms; 1 s. Prints the rates and writes the notebook's figures
(exc/inh rasters and the histogram of membrane potentials) to
seed004_izhikevich_<flavour>.png when matplotlib is installed.

The two flavours:

* ``standard`` (default): the notebook translated to PyNN-standard units (as
  benchmarks/seed004_izhikevich.py): i_offset = 0.005 nA (I = 5 in the v equation;
  the notebook's 5.0 would be 5 nA into 1 pF, I = 5000, and every cell would fire on
  every step), delta synapses with weights 1.0 / -2.5 / 0.1 mV (inhibition negative).
* ``spinnaker``: the notebook's own code, written for ``pyNN.spiNNaker``, on
  ``pyNN.tinysim.spinnaker``: i_offset = 5, positive inhibitory weight 2.5,
  tau_syn_E = tau_syn_I = 5 ms exponential synapses, sPyNNaker's arithmetic.
"""
import argparse
import importlib

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--flavour", choices=["standard", "spinnaker"], default="standard",
                    help="standard: PyNN-standard units (default); spinnaker: the notebook "
                         "as written, on pyNN.tinysim.spinnaker")
parser.add_argument("--simulator", default="tinysim",
                    help="PyNN backend for --flavour standard (default: tinysim)")
parser.add_argument("--smoke", action="store_true", help="short run (300 cells, 200 ms), for tests")
parser.add_argument("--plot", help="figure file (default seed004_izhikevich_<flavour>.png)")
args = parser.parse_args()

if args.flavour == "spinnaker":
    # In the notebook: import pyNN.spiNNaker as sim
    sim = importlib.import_module("pyNN.tinysim.spinnaker")
    backend = "pyNN.tinysim.spinnaker"
else:
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    backend = f"pyNN.{args.simulator}"
from pyNN.random import NumpyRNG, RandomDistribution

n, tstop = (300, 200.0) if args.smoke else (1500, 1000.0)
dt, delay = 1.0, 2.0
sim.setup(timestep=dt, min_delay=delay, max_delay=delay)
rng = NumpyRNG(seed=98766987, parallel_safe=True)

if args.flavour == "spinnaker":
    # the notebook's cell: sPyNNaker's Izhikevich (exponential synapses), I = i_offset = 5
    cell_params = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=5.0, tau_syn_E=5.0, tau_syn_I=5.0)
    w_exc, w_inh = 0.2 * 5.0, 0.5 * 5.0       # sPyNNaker: magnitudes, the receptor gives the sign
else:
    # PyNN standard: i_offset in nA into 1 pF (0.005 nA -> I = 5), delta synapses (mV jumps)
    cell_params = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.005)
    w_exc, w_inh = 0.2 * 5.0, -0.5 * 5.0      # inhibitory weights are negative in PyNN
w_thalamic = 0.1

n_exc = int(round(n * 4.0 / 5.0))
pops = {"exc": sim.Population(n_exc, sim.Izhikevich(**cell_params), label="Excitatory_Cells"),
        "inh": sim.Population(n - n_exc, sim.Izhikevich(**cell_params), label="Inhibitory_Cells")}
pops["exc"].record(["v", "spikes"])
pops["inh"].record(["v", "spikes"])
v_init = RandomDistribution("uniform", [-65.0, -14.0], rng=rng)   # [c, u] as the notebook
pops["exc"].initialize(v=v_init)
pops["inh"].initialize(v=v_init)

exc_syn = sim.StaticSynapse(weight=w_exc, delay=delay)
inh_syn = sim.StaticSynapse(weight=w_inh, delay=delay)
exc_conn = sim.FixedProbabilityConnector(0.02, rng=rng)
inh_conn = sim.FixedProbabilityConnector(0.02, rng=rng)
for post in ("exc", "inh"):
    sim.Projection(pops["exc"], pops[post], exc_conn, exc_syn, receptor_type="excitatory")
    sim.Projection(pops["inh"], pops[post], inh_conn, inh_syn, receptor_type="inhibitory")

pops["thalamus"] = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0),
                                  label="expoisson")
pops["thalamus"].record("spikes")
ext_conn = sim.FixedProbabilityConnector(0.01)          # default RNG, as the notebook
for post in ("exc", "inh"):
    sim.Projection(pops["thalamus"], pops[post], ext_conn,
                   sim.StaticSynapse(weight=w_thalamic, delay=delay), receptor_type="excitatory")

sim.run(tstop)

segments = {name: pop.get_data().segments[0] for name, pop in pops.items()}
print(f"seed-004 Izhikevich network, {args.flavour} flavour on {backend}: "
      f"{n} cells, {tstop:.0f} ms")
for name, seg in segments.items():
    n_spikes = sum(len(st) for st in seg.spiketrains)
    print(f"{name:>9}: mean rate {n_spikes / len(seg.spiketrains) / (tstop / 1000.0):6.2f} Hz")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pyNN.utility.plotting import Figure, Panel
except ImportError:
    print("matplotlib not installed: figures skipped")
else:
    plot_file = args.plot or f"seed004_izhikevich_{args.flavour}.png"
    fig = Figure(
        Panel(segments["exc"].spiketrains, markersize=0.5, yticks=True, ylabel="exc cell"),
        Panel(segments["inh"].spiketrains, markersize=0.5, yticks=True, ylabel="inh cell",
              xticks=True, xlabel="Time (ms)", xlim=(0, tstop)),
        title=f"Seed 004 on {backend}: raster plots", size=(8, 9))
    # the notebook's third figure: histogram of all recorded membrane potentials
    ax = fig.fig.add_axes([0.13, 0.05, 0.8, 0.18])
    fig.fig.subplots_adjust(bottom=0.33)
    for name, colour in (("exc", "tab:red"), ("inh", "tab:blue")):
        v = np.asarray(segments[name].filter(name="v")[0].magnitude).ravel()
        ax.hist(v, bins=100, range=(-90.0, 40.0), histtype="step", color=colour,
                density=True, label=name)
    ax.set_xlabel("membrane potential (mV)")
    ax.set_ylabel("density")
    ax.legend()
    fig.save(plot_file)
    plt.close("all")
    print(f"figure written to {plot_file}")
sim.end()
