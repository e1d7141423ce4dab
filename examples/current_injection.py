"""Current sources: DC, step, AC and noisy currents injected into LIF cells.

    python examples/current_injection.py
    python examples/current_injection.py --simulator nest

Four IF_curr_exp cells, one per source: DCSource, StepCurrentSource, ACSource and
NoisyCurrentSource. Records v of each cell and the injected currents; prints the
spike count of each cell and writes v (and the current) to current_injection.png when
matplotlib is installed.
"""
import argparse
import importlib

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--simulator", default="tinysim", help="PyNN backend (default: tinysim)")
parser.add_argument("--smoke", action="store_true", help="short run (100 ms), for tests")
parser.add_argument("--plot", default="current_injection.png", help="figure file name")
args = parser.parse_args()

sim = importlib.import_module(f"pyNN.{args.simulator}")

tstop = 100.0 if args.smoke else 300.0
sim.setup(timestep=0.1, rng_seed=1)
cells = sim.Population(4, sim.IF_curr_exp(tau_m=10.0, cm=0.5, v_thresh=-50.0,
                                          tau_refrac=2.0), label="cells")
cells.record("v")
cells.record("spikes")

sources = {
    "DC": sim.DCSource(amplitude=0.9, start=20.0, stop=tstop - 20.0),
    "step": sim.StepCurrentSource(times=[20.0, 40.0, 60.0, 80.0],
                                  amplitudes=[0.4, 1.0, 1.6, 0.0]),
    "AC": sim.ACSource(start=20.0, stop=tstop - 10.0, amplitude=0.8, offset=0.8,
                       frequency=20.0, phase=0.0),
    "noisy": sim.NoisyCurrentSource(mean=1.0, stdev=1.0, start=20.0, stop=tstop - 20.0, dt=1.0),
}
for i, source in enumerate(sources.values()):
    source.inject_into(cells[i:i + 1])
    source.record()

sim.run(tstop)

seg = cells.get_data().segments[0]
v = seg.filter(name="v")[0]
print(f"current injection on pyNN.{args.simulator}, {tstop:.0f} ms")
for i, name in enumerate(sources):
    print(f"{name:>6} source: {len(seg.spiketrains[i]):3d} spikes")

try:
    import matplotlib
    matplotlib.use("Agg")
    from pyNN.utility.plotting import Figure, Panel
except ImportError:
    print("matplotlib not installed: figure skipped")
else:
    panels = []
    for i, (name, source) in enumerate(sources.items()):
        last = i == len(sources) - 1
        panels.append(Panel(v[:, i], ylabel=f"{name}: v (mV)", yticks=True,
                            xlim=(0, tstop)))
        panels.append(Panel(source.get_data(), ylabel="i (nA)", yticks=True,
                            xticks=last, xlabel="Time (ms)" if last else None,
                            xlim=(0, tstop)))
    Figure(*panels, title=f"Current sources on pyNN.{args.simulator}", size=(8, 12)).save(args.plot)
    print(f"figure written to {args.plot}")
sim.end()
