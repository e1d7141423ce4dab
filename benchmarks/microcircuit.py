#!/usr/bin/env python
"""Potjans & Diesmann (2014) cortical microcircuit, our own PyNN version.

Written from the published parameters (Potjans & Diesmann 2014, Cereb. Cortex 24:785,
Tables 5-6; the values are those of NEST's ``pynest/examples/Potjans_2014``), public
PyNN API only, so that the same file runs on any backend::

    python benchmarks/microcircuit.py --scale 0.05                 # pyNN.tinysim
    python benchmarks/microcircuit.py --simulator nest --scale 0.1 --json out.json

Model at scale 1:

* 8 populations L23E L23I L4E L4I L5E L5I L6E L6I, 77 169 ``IF_curr_exp`` cells:
  tau_m 10 ms, cm 0.25 nF, v_rest -65 mV, v_thresh -50 mV, v_reset -65 mV,
  tau_refrac 2 ms, tau_syn_E = tau_syn_I = 0.5 ms; initial v ~ N(-58, 10) mV
  (the original paper's choice).
* Connections: for each (target, source) pair, the total number of synapses
  K = log(1 - C) / log(1 - 1 / (N_pre N_post)) from the connection probability table C,
  drawn with ``FixedTotalNumberConnector(K, with_replacement=True)`` (multapses and
  autapses allowed, as the reference). Weight w = 87.8 pA (a 0.15 mV PSP),
  L4E -> L23E 2w, inhibitory -4w; delays 1.5 ms (excitatory) and 0.75 ms
  (inhibitory).
* Background: K_ext Poisson inputs per cell at bg_rate = 8 Hz, each of weight w
  (``--background poisson``, default: one ``SpikeSourcePoisson`` per cell at
  K_ext * 8 Hz, ``OneToOneConnector``, delay 1.5 ms), or the equivalent mean current
  (``--background dc``: i_offset = w K_ext bg_rate tau_syn).
* dt 0.1 ms.

Weights and delays are drawn per synapse as in the reference: weights from a
normal distribution with 10 % relative sd (clipped so that no weight changes
sign), delays with 50 % relative sd, clipped below at dt (and above at
max_delay = 10 ms, more than 11 sd above the mean: no effect in practice).
``--fixed-weights-delays`` uses the means instead: simpler, but the network is
then not the published one (identical delays synchronize it; see
benchmarks/RESULTS.md). No thalamic input.

``--scale s`` scales both the cell numbers and the in-degrees by s (the number of
synapses therefore by s^2), as the reference implementation's N_scaling = K_scaling
= s, and compensates as the reference does: weights (recurrent and external) are
multiplied by 1 / sqrt(s), and each population receives a DC current
0.001 * tau_syn * (1 - sqrt(s)) * (recurrent + external input it loses), computed
with the full-scale in-degrees and the published full-scale rates. This keeps the
mean and variance of the input to each cell approximately as at scale 1, but only
to first order: the rates at small scales differ from the published ones (see
benchmarks/RESULTS.md). K_ext is scaled by s as well.

Rates are computed over [--transient, duration] (default transient 100 ms).
``--json FILE`` writes a flat dict with the keys of ``benchmarks/va_benchmark.py``
(``build_s``, ``run_s``, ``rate_<pop>_hz``, ...), plus the resident set size
before and after the Projections are made (``rss_*``) and bytes per synapse.
"""

import argparse
import importlib
import json
import math
import os
import platform
import resource
import sys
import time

import numpy as np

DT = 0.1
POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
# Connection probabilities, rows: target, columns: source (order of POPS).
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
])
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE = 8.0          # Hz
W_MEAN = 87.8e-3       # nA
G = -4.0
D_EXC = 1.5            # ms
D_INH = 0.75           # ms
W_REL_SD = 0.1         # relative sd of the weights
D_REL_SD = 0.5         # relative sd of the delays
MAX_DELAY = 10.0       # ms
TAU_SYN = 0.5          # ms
CELL = dict(tau_m=10.0, cm=0.25, v_rest=-65.0, v_thresh=-50.0, v_reset=-65.0,
            tau_refrac=2.0, tau_syn_E=TAU_SYN, tau_syn_I=TAU_SYN, i_offset=0.0)
V0_MEAN, V0_SD = -58.0, 10.0
# Published full-scale rates (Hz), used for the DC compensation at scale < 1 and
# printed for comparison.
FULL_RATES = np.array([0.9, 2.8, 4.4, 5.8, 7.6, 8.7, 1.1, 7.7])


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Potjans-Diesmann microcircuit on any PyNN backend.")
    p.add_argument("--simulator", default="tinysim",
                   help="PyNN backend, imported as pyNN.<simulator> (default: tinysim)")
    p.add_argument("--scale", type=float, default=0.1,
                   help="scale of cell numbers and in-degrees (default 0.1; 1 = 77169 cells, "
                        "~0.3e9 synapses: needs many GiB)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms")
    p.add_argument("--transient", type=float, default=100.0,
                   help="rates are computed after this time (ms, default 100)")
    p.add_argument("--background", choices=["poisson", "dc"], default="poisson")
    p.add_argument("--fixed-weights-delays", action="store_true",
                   help="every synapse gets the mean weight and delay (the reference draws them "
                        "from normal distributions)")
    p.add_argument("--seed", type=int, default=55,
                   help="seed of the NumpyRNG for initial v and connectivity; also rng_seed")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    args = p.parse_args(argv)
    if args.duration <= args.transient:
        p.error(f"--duration ({args.duration} ms) must be longer than --transient "
                f"({args.transient} ms)")
    return args


def weight_matrix():
    w = np.tile([W_MEAN, G * W_MEAN], (8, 4))
    w[0, 2] *= 2.0          # L4E -> L23E doubled
    return w


def full_synapse_numbers():
    n_pre = N_FULL[np.newaxis, :].astype(float)
    n_post = N_FULL[:, np.newaxis].astype(float)
    with np.errstate(divide="ignore"):
        k = np.log(1.0 - CONN_PROBS) / np.log(1.0 - 1.0 / (n_pre * n_post))
    return np.round(k)


def scaled_model(scale):
    """Cell numbers, synapse numbers, weights, external in-degrees and DC (nA)."""
    n = np.maximum(1, np.round(N_FULL * scale)).astype(int)
    k_full = full_synapse_numbers()
    k = np.round(k_full * scale * scale).astype(int)      # N_post * s, in-degree * s
    w_full = weight_matrix()
    w = w_full / math.sqrt(scale)
    w_ext = W_MEAN / math.sqrt(scale)
    k_ext = np.maximum(0, np.round(K_EXT * scale)).astype(int)
    indegree_full = k_full / N_FULL[:, np.newaxis]
    input_rec = np.sum(w_full * indegree_full * FULL_RATES[np.newaxis, :], axis=1)
    input_ext = W_MEAN * K_EXT * BG_RATE
    dc = 1e-3 * TAU_SYN * (1.0 - math.sqrt(scale)) * (input_rec + input_ext)   # nA
    return n, k, w, w_ext, k_ext, dc


def rss_now_mb():
    """Current resident set size (MiB) from /proc on Linux, else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def build(sim, rng_cls, dist_cls, args):
    n, k, w, w_ext, k_ext, dc = scaled_model(args.scale)
    rng = rng_cls(seed=args.seed, parallel_safe=True)
    pops = {}
    for i, name in enumerate(POPS):
        params = dict(CELL)
        i_offset = dc[i]
        if args.background == "dc":
            i_offset += 1e-3 * TAU_SYN * w_ext * k_ext[i] * BG_RATE
        params["i_offset"] = float(i_offset)
        pops[name] = sim.Population(int(n[i]), sim.IF_curr_exp(**params), label=name)
        pops[name].initialize(v=dist_cls("normal", mu=V0_MEAN, sigma=V0_SD, rng=rng))
    if args.background == "poisson":
        for i, name in enumerate(POPS):
            if k_ext[i] == 0:
                continue
            src = sim.Population(int(n[i]), sim.SpikeSourcePoisson(rate=BG_RATE * k_ext[i]),
                                 label=name + "_bg")
            sim.Projection(src, pops[name], sim.OneToOneConnector(),
                           sim.StaticSynapse(weight=w_ext, delay=D_EXC),
                           receptor_type="excitatory")
    rss_before = rss_now_mb()
    peak_before = peak_rss_mb()
    prjs = {}
    for i, target in enumerate(POPS):
        for j, source in enumerate(POPS):
            if k[i, j] <= 0:
                continue
            exc = source.endswith("E")
            conn = sim.FixedTotalNumberConnector(int(k[i, j]), with_replacement=True,
                                                 allow_self_connections=True, rng=rng)
            weight, delay = float(w[i, j]), D_EXC if exc else D_INH
            if not args.fixed_weights_delays:
                low, high = (0.0, np.inf) if weight > 0 else (-np.inf, 0.0)
                weight = dist_cls("normal_clipped", mu=weight, sigma=abs(weight) * W_REL_SD,
                                  low=low, high=high, rng=rng)
                delay = dist_cls("normal_clipped", mu=delay, sigma=delay * D_REL_SD,
                                 low=DT, high=MAX_DELAY, rng=rng)
            syn = sim.StaticSynapse(weight=weight, delay=delay)
            prjs[source + "->" + target] = sim.Projection(
                pops[source], pops[target], conn, syn,
                receptor_type="excitatory" if exc else "inhibitory")
    for pop in pops.values():
        pop.record("spikes")
    return pops, prjs, rss_before, peak_before


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    from pyNN.random import NumpyRNG, RandomDistribution
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    if args.fixed_weights_delays:
        sim.setup(timestep=DT, min_delay=D_INH, max_delay=D_EXC, rng_seed=args.seed)
    else:
        sim.setup(timestep=DT, min_delay=DT, max_delay=MAX_DELAY, rng_seed=args.seed)
    pops, prjs, rss_before, peak_before = build(sim, NumpyRNG, RandomDistribution, args)
    t_build = time.perf_counter() - t0
    rss_after = rss_now_mb()
    peak_after = peak_rss_mb()

    _barrier(sim)       # under MPI: the run phase starts together on every rank
    t0 = time.perf_counter()
    sim.run(args.duration)
    _barrier(sim)
    t_run = time.perf_counter() - t0
    rss_run = rss_now_mb()          # connections in their run-time form (tinysim: merged)
    store = getattr(getattr(getattr(sim, "simulator", None), "state", None), "network", None)
    store = getattr(store, "static", None)      # tinysim's synapse store, if this is tinysim
    store_bytes = None if store is None else store.keys.nbytes + store.weights.nbytes

    t0 = time.perf_counter()
    window = (args.duration - args.transient) / 1000.0
    rates = {}
    for name in POPS:
        trains = pops[name].get_data("spikes").segments[-1].spiketrains
        n_spikes = sum(int(np.count_nonzero(np.asarray(st.magnitude) >= args.transient))
                       for st in trains)
        rates[name] = n_spikes / (pops[name].size * window)
    t_data = time.perf_counter() - t0
    n_syn = int(sum(prj.size() for prj in prjs.values()))
    sim.end()

    result = {
        "network": "microcircuit",
        "simulator": args.simulator,
        "scale": args.scale,
        "n": int(sum(p.size for p in pops.values())),
        "background": args.background,
        "fixed_weights_delays": args.fixed_weights_delays,
        "duration_ms": args.duration,
        "transient_ms": args.transient,
        "dt_ms": DT,
        "seed": args.seed,
        "import_s": t_import,
        "build_s": t_build,
        "run_s": t_run,
        "data_s": t_data,
        "total_s": t_import + t_build + t_run + t_data,
        "connections": n_syn,
        "rss_before_projections_mb": rss_before,
        "rss_after_build_mb": rss_after,
        "peak_rss_before_projections_mb": peak_before,
        "peak_rss_after_build_mb": peak_after,
        "bytes_per_synapse_retained": (rss_after - rss_before) * 2**20 / max(n_syn, 1),
        "bytes_per_synapse_peak": (peak_after - peak_before) * 2**20 / max(n_syn, 1),
        "rss_after_run_mb": rss_run,
        "bytes_per_synapse_after_run": (rss_run - rss_before) * 2**20 / max(n_syn, 1),
        "peak_rss_mb": peak_rss_mb(),
        "store_bytes_per_synapse": None if store_bytes is None
        else store_bytes / max(store.size, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in POPS:
        result[f"rate_{name}_hz"] = rates[name]

    if sim.rank() != 0:
        sys.stdout = open(os.devnull, "w")     # under MPI: rank 0 reports
    print(f"--- Potjans-Diesmann microcircuit on pyNN.{args.simulator}, scale {args.scale:g}, "
          f"{args.background} background ---")
    print(f"cells {result['n']}, {n_syn} recurrent synapses")
    print(f"import {t_import:.3f} s  build {t_build:.3f} s  run {t_run:.3f} s  "
          f"data {t_data:.3f} s  total {result['total_s']:.3f} s")
    print(f"RSS before projections {rss_before:.0f} MiB, after build {rss_after:.0f} MiB "
          f"({result['bytes_per_synapse_retained']:.1f} B/synapse retained, "
          f"{result['bytes_per_synapse_peak']:.1f} B/synapse peak)")
    print(f"RSS after run {rss_run:.0f} MiB ({result['bytes_per_synapse_after_run']:.1f} "
          f"B/synapse, including recordings and buffers); process peak "
          f"{result['peak_rss_mb']:.0f} MiB")
    if store_bytes is not None:
        print(f"tinysim synapse store: {result['store_bytes_per_synapse']:.1f} B/synapse "
              f"({store.size} synapses incl. background, {store_bytes / 2**20:.0f} MiB)")
    print("population  rate (Hz)  published full scale (Hz)")
    for i, name in enumerate(POPS):
        print(f"{name:>10}  {rates[name]:9.3f}  {FULL_RATES[i]:9.1f}")
    if args.json and sim.rank() == 0:     # under MPI: rank 0 reports
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def _barrier(sim):
    if sim.num_processes() > 1:
        from mpi4py import MPI
        MPI.COMM_WORLD.Barrier()


if __name__ == "__main__":
    main()
