"""Decision network: two excitatory LIF populations compete through a shared inhibitory one.

    python examples/decision_network.py                        # normal-random weights
    python examples/decision_network.py --variant uniform      # see --help for all variants
    python examples/decision_network.py --input noise          # NoisyCurrentSource input
    python examples/decision_network.py --simulator nest       # the same script on pyNN.nest

After the course report in shared/seeds/000 (three populations of 100 LIF cells:
exc1 and exc2 excite themselves and the inhibitory population, which inhibits both).
The excitatory population with the stronger input fires, drives the inhibitory
population, and the inhibition silences the other one: the network "decides".
Prints the rates of the three populations and the winner, and writes the report's
three-panel figure (population activity, raster, input current) to
decision_network_<variant>.png when matplotlib is installed.

Units. The report's LIF has R = 1, C = 20 (tau_m = R C = 20 ms), threshold -40 mV,
dt = 1 ms, and its currents are in "R = 1" units: a constant input I moves v by I mV
at steady state. Here: IF_curr_exp with tau_m = 20 ms and cm = 1 nF, so R = tau_m/cm =
20 MOhm and a current of I/20 nA moves v by the same I mV: every report current is
divided by R = 20 (CURRENT_SCALE). Its synapses add a trace (jump 1 per spike, decay
tau_s = 10 ms) times the weight, summed over the presynaptic population and divided
by its size, times a gain J; the same current here is an exponential synapse with
tau_syn = 10 ms and weight J w / N / 20 nA. The report does not print how its
Connection normalises (J = 1 there); with J = 1 and a 1/N sum the coupling is too weak
to silence anything, so J = 8 here (--coupling): the report's mean weight 20 (sd 5)
from N = 100 cells becomes 0.08 nA (sd 0.02) per connection, a ~0.5 mV PSP.
Inhibitory weights are negative in PyNN.
"""
import argparse
import importlib

import numpy as np

VARIANTS = {
    "normal": "normal-random weights, mean 20 sd 5 (the report's default model)",
    "uniform": "uniform-random weights in [10, 30] (same mean)",
    "full": "full connectivity with equal weights 20",
    "zero-inh": "no input current to the inhibitory population",
    "same-input": "both excitatory populations get the same input",
    "strong-input": "one strong input: exc1 driven far above exc2",
}
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--variant", choices=list(VARIANTS), default="normal",
                    help="; ".join(f"{k}: {v}" for k, v in VARIANTS.items()))
parser.add_argument("--input", choices=["step", "incremental", "noise"], default="step",
                    help="input current: step noise (new random level per cell every 5 ms, "
                         "StepCurrentSource per cell), incremental step noise (the same with a "
                         "rising mean), or plain noise (NoisyCurrentSource)")
parser.add_argument("--coupling", type=float, default=8.0,
                    help="synaptic gain J (default 8; see the units note)")
parser.add_argument("--simulator", default="tinysim", help="PyNN backend (default: tinysim)")
parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
parser.add_argument("--smoke", action="store_true", help="short run (300 ms), for tests")
parser.add_argument("--plot", help="figure file (default decision_network_<variant>.png)")
args = parser.parse_args()
duration = 300.0 if args.smoke else args.duration
plot_file = args.plot or f"decision_network_{args.variant}.png"

sim = importlib.import_module(f"pyNN.{args.simulator}")
from pyNN.random import NumpyRNG, RandomDistribution

N = 100                     # cells per population
DT = 1.0                    # ms, as the report
CURRENT_SCALE = 1.0 / 20.0  # report current (R = 1) -> nA (R = 20 MOhm)
GAP = 5.0                   # ms between the levels of step noise
W_MEAN, W_SD = 20.0, 5.0    # report units
rng = NumpyRNG(seed=1234)
np_rng = np.random.default_rng(1234)

# input levels in report units (threshold is 30 mV above rest: I > 30 fires alone)
I_EXC1, I_EXC2, I_INH = 40.0, 34.0, 20.0
if args.variant == "zero-inh":
    I_INH = 0.0
elif args.variant == "same-input":
    I_EXC2 = I_EXC1
elif args.variant == "strong-input":
    I_EXC1 = 60.0

sim.setup(timestep=DT, min_delay=DT, max_delay=DT, rng_seed=1234)
cell = sim.IF_curr_exp(tau_m=20.0, cm=1.0, v_rest=-70.0, v_reset=-70.0, v_thresh=-40.0,
                       tau_refrac=DT, tau_syn_E=10.0, tau_syn_I=10.0)
pops = {name: sim.Population(N, cell, label=name) for name in ("exc1", "exc2", "inh")}
for pop in pops.values():
    pop.initialize(v=RandomDistribution("uniform", (-70.0, -45.0), rng=rng))
    pop.record("spikes")


def weight(sign):
    """Weights of one projection (nA): report weight / N pre cells / R."""
    scale = sign * args.coupling * CURRENT_SCALE / N
    if args.variant == "uniform":
        return RandomDistribution("uniform", (scale * 10.0, scale * 30.0), rng=rng)
    if args.variant == "full":
        return W_MEAN * scale
    # normal weights; sd 5 around 20 leaves them positive (clipped at 0 to be safe)
    lo, hi = sorted((0.0, 2 * W_MEAN * scale))
    return RandomDistribution("normal_clipped", mu=W_MEAN * scale, sigma=W_SD * abs(scale),
                              low=lo, high=hi, rng=rng)


connector = sim.AllToAllConnector(allow_self_connections=False)
for pre, post, sign in (("exc1", "exc1", 1), ("exc2", "exc2", 1), ("exc1", "inh", 1),
                        ("exc2", "inh", 1), ("inh", "exc1", -1), ("inh", "exc2", -1)):
    sim.Projection(pops[pre], pops[post], connector,
                   sim.StaticSynapse(weight=weight(sign), delay=DT),
                   receptor_type="excitatory" if sign > 0 else "inhibitory")

# Input currents, report units -> nA. One StepCurrentSource per cell (each its own noise).
times = np.arange(0.0, duration, GAP)
input_trace = {}                 # name -> (times, mean level over the population), report units
for name, level in (("exc1", I_EXC1), ("exc2", I_EXC2), ("inh", I_INH)):
    pop = pops[name]
    if level == 0.0:
        input_trace[name] = (np.array([0.0, duration]), np.zeros(2))
        continue
    if args.input == "noise":
        sim.NoisyCurrentSource(mean=level * CURRENT_SCALE, stdev=0.25 * level * CURRENT_SCALE,
                               dt=DT, start=0.0, stop=duration).inject_into(pop)
        input_trace[name] = (np.array([0.0, duration]), np.full(2, level))
        continue
    mean = np.full(times.size, level)
    if args.input == "incremental":          # rises from 0.75 to 1.25 x level
        mean = level * (0.75 + 0.5 * times / duration)
    levels = np.clip(mean + 0.25 * level * np_rng.standard_normal((N, times.size)), 0.0, None)
    for i in range(N):
        sim.StepCurrentSource(times=times + DT, amplitudes=levels[i] * CURRENT_SCALE).inject_into(pop[i:i + 1])
    input_trace[name] = (times, levels.mean(axis=0))

sim.run(duration)

trains = {name: pop.get_data("spikes").segments[0].spiketrains for name, pop in pops.items()}
rates = {name: sum(len(st) for st in sts) / N / (duration / 1000.0) for name, sts in trains.items()}
print(f"decision network on pyNN.{args.simulator}, variant {args.variant!r} "
      f"({VARIANTS[args.variant]}), {args.input} input, {duration:.0f} ms")
print(f"input (report units): exc1 {I_EXC1:.0f}, exc2 {I_EXC2:.0f}, inh {I_INH:.0f}")
for name in pops:
    print(f"{name:>5}: mean rate {rates[name]:6.2f} Hz")
stronger = "exc1" if I_EXC1 > I_EXC2 else ("exc2" if I_EXC2 > I_EXC1 else "none")
winner = max(("exc1", "exc2"), key=rates.get)
if abs(rates["exc1"] - rates["exc2"]) < 0.1 * max(rates["exc1"], rates["exc2"], 1e-9):
    winner = "none"
print(f"stronger input: {stronger}")
print(f"winner: {winner}")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: figure skipped")
else:
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(8, 8))
    colours = {"exc1": "tab:blue", "exc2": "tab:orange", "inh": "tab:green"}
    bins = np.arange(0.0, duration + 10.0, 10.0)
    for k, (name, sts) in enumerate(trains.items()):
        t = np.concatenate([np.asarray(st.magnitude) for st in sts])
        counts, _ = np.histogram(t, bins)
        axes[0].plot(bins[:-1] + 5.0, counts / N / 0.010, color=colours[name], label=name)
        for i, st in enumerate(sts):
            axes[1].plot(st.magnitude, np.full(len(st), i + k * N), "|", ms=2, color=colours[name])
        tt, level = input_trace[name]
        axes[2].step(tt, level, where="post", color=colours[name], label=name)
    axes[0].set_ylabel("rate (Hz)")
    axes[0].legend(loc="upper right")
    axes[0].set_title(f"Decision network, {args.variant}:\n{VARIANTS[args.variant]}", fontsize=10)
    axes[1].set_ylabel("cell (exc1, exc2, inh)")
    axes[2].set_ylabel("mean input (R = 1 units)")
    axes[2].set_xlabel("Time (ms)")
    fig.tight_layout()
    fig.savefig(plot_file)
    print(f"figure written to {plot_file}")
sim.end()
