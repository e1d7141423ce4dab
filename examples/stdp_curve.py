"""STDP curve: weight change of an STDPMechanism synapse against the pre-post interval.

    python examples/stdp_curve.py
    python examples/stdp_curve.py --simulator nest

One plastic synapse per interval: a SpikeSourceArray (pre) is connected through
STDPMechanism(SpikePairRule, AdditiveWeightDependence) to an IF_curr_exp cell (post),
which a strong static input makes fire at a chosen time relative to each pre spike.
Ten pairings at 5 Hz per synapse. Prints the weight change for some intervals and
writes the curve to stdp_curve.png when matplotlib is installed. The interval is
t_post - t_pre, the spike times at the cells. (PyNN's STDP delays are dendritic, as
pyNN.nest's: the pre spike reaches the synapse without delay and the post spike
reaches it `delay` ms after it fires, so the curve is shifted by -delay = -1 ms.)
"""
import argparse
import importlib

import numpy as np

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--simulator", default="tinysim", help="PyNN backend (default: tinysim)")
parser.add_argument("--smoke", action="store_true", help="fewer intervals, for tests")
parser.add_argument("--plot", default="stdp_curve.png", help="figure file name")
args = parser.parse_args()

sim = importlib.import_module(f"pyNN.{args.simulator}")

step = 10.0 if args.smoke else 2.0
intervals = np.arange(-60.0, 60.0 + step / 2, step)     # wanted t_post - t_pre (ms)
n = intervals.size
n_pairings, period = 10, 200.0                           # 5 Hz
delay, w0 = 1.0, 0.5
sim.setup(timestep=0.1, min_delay=0.1, max_delay=5.0)

first = 100.0
pre_times = [first + period * k for k in range(n_pairings)]
pre = sim.Population(n, sim.SpikeSourceArray(spike_times=pre_times), label="pre")
post = sim.Population(n, sim.IF_curr_exp(tau_syn_E=0.5, tau_refrac=2.0), label="post")
post.record("spikes")
# the driver makes post cell i fire ~ intervals[i] ms after the pre spike
# (its own latency, measured below, is ~0.5 ms)
driver = sim.Population(n, sim.SpikeSourceArray(
    spike_times=[[t + dt_ - 0.5 for t in pre_times] for dt_ in intervals]), label="driver")
sim.Projection(driver, post, sim.OneToOneConnector(),
               sim.StaticSynapse(weight=60.0, delay=0.1))

stdp = sim.STDPMechanism(
    timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01, A_minus=0.012),
    weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
    weight=w0, delay=delay)
plastic = sim.Projection(pre, post, sim.OneToOneConnector(), stdp)

sim.run(first + period * n_pairings)

w = np.array(plastic.get("weight", format="array")).diagonal()
dw = w - w0
# measured intervals: post spike times of cell i minus pre spike times
sts = post.get_data("spikes").segments[0].spiketrains
measured = np.array([np.mean(np.asarray(st.magnitude)[:n_pairings] - np.array(pre_times))
                     if len(st) >= n_pairings else np.nan for st in sts])
print(f"STDP curve on pyNN.{args.simulator}: {n_pairings} pairings at 5 Hz, w0 = {w0} nA")
for i in np.linspace(0, n - 1, 7).astype(int):
    print(f"  interval {measured[i]:+7.2f} ms: weight change {dw[i]:+.5f} nA")

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: figure skipped")
else:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.plot(measured, dw, "o-")
    ax.set_xlabel("t_post - t_pre (ms)")
    ax.set_ylabel("weight change (nA)")
    ax.set_title(f"STDP (SpikePairRule, additive) on pyNN.{args.simulator}")
    fig.tight_layout()
    fig.savefig(args.plot)
    print(f"figure written to {args.plot}")
sim.end()
