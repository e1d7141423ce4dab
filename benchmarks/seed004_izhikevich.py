#!/usr/bin/env python
"""Seed 004: a user's balanced Izhikevich network, translated to PyNN-standard semantics.

The original (shared/seeds/004_*.txt) is a notebook written for sPyNNaker
(``import pyNN.spiNNaker as sim``): the Vogels-Abbott topology with Izhikevich cells.
This script builds the same network with the public PyNN API so that it means the
same thing on every PyNN-standard backend (pyNN.tinysim, pyNN.nest, pyNN.brian2)::

    python benchmarks/seed004_izhikevich.py --simulator nest --seed 98766987
    python benchmarks/seed004_izhikevich.py --n 3000 --duration 2000 --json out.json

Network (as in the seed): 1500 ``Izhikevich`` cells (1200 exc / 300 inh), default
a=0.02, b=0.2, c=-65, d=2; initial v uniform in [c, u] = [-65, -14] mV (u keeps its
default initial value, -14); dt = 1 ms, every delay 2 ms (min_delay = max_delay = 2);
all four recurrent projections FixedProbabilityConnector(0.02) sharing one
NumpyRNG(seed=98766987) with the initial-v draw; 20 thalamic SpikeSourcePoisson cells,
100 Hz for the first 50 ms, connected to every cell with p = 0.01 (PyNN's default
connector RNG, as in the seed), weight 0.1; 1000 ms.

Translation sPyNNaker -> PyNN standard (see shared/SPINNAKER.md):

* ``i_offset``. sPyNNaker adds i_offset to the v equation as it is
  (dv/dt = 0.04 v^2 + 5 v + 140 - u + I with I = i_offset), so the seed's
  i_offset = 5.0 means I = 5. PyNN-standard Izhikevich takes i_offset in nA into a
  1 pF membrane (pyNN.nest: I_e [pA] = 1000 * i_offset), so the same drive is
  i_offset = 0.005 nA. Left at 5.0, I = 5000 and every cell fires on every 1 ms step
  (1000 Hz on NEST and Brian2): that is the silent mistake this seed documents.
  I = 5 is above this cell's rheobase (I = 4 for b = 0.2), so every cell fires
  tonically even without the network.
* Synapses. PyNN-standard Izhikevich has delta synapses: no tau_syn_E/tau_syn_I
  parameters, and a spike makes v jump by ``weight`` mV. sPyNNaker's Izhikevich has
  exponential current synapses with tau_syn_E = tau_syn_I = 5 ms.
* Sign of inhibition. sPyNNaker takes weight magnitudes and lets the receptor type
  give the sign, so the seed's inhibitory weight is +2.5; PyNN standard requires
  current-based inhibitory weights to be negative: w_inh = -2.5.
* Weight magnitude. The seed sets w_exc = 0.2 * i_offset = 1.0, w_inh = 0.5 * i_offset
  = 2.5 (with i_offset = 5, the raw sPyNNaker value). On sPyNNaker a weight w into a
  tau_syn = 5 ms exponential synapse injects a total charge of w * tau_syn (into 1 pF:
  a displacement of about 5 w mV, spread over ~5 ms), whereas a delta synapse moves v
  by exactly w mV at once. The charge-equivalent delta weights would therefore be
  5x larger (5 mV and -12.5 mV; thalamic 0.5 mV).
  We keep the seed's numbers (1.0, -2.5, 0.1) by default, because this script is the
  reference for "what the user's script means on a PyNN-standard backend": the
  user wrote those numbers, and with them the network is neither silent nor
  epileptic on NEST: ~18.1 Hz, CV(ISI) ~0.21 in both populations, for three seeds.
  That is almost exactly the cells' intrinsic tonic rate (18.0 Hz with all weights
  set to 0), i.e. with these weights the recurrent input only jitters the spike
  times. ``--weight-scale 5`` gives the charge-matched variant for comparing against
  SpiNNaker's dynamics; on NEST it fires at ~54 Hz with CV(ISI) ~1.5 (synchronous
  population bursts). It is a modelling choice, not a unit conversion (the
  timecourse still differs: a jump versus a 5 ms current). Figures and commands:
  benchmarks/RESULTS.md.

Reported: mean rate (Hz) and mean CV of the inter-spike intervals per population
(CV over cells with at least 3 spikes), the number of connections, and wall-clock
times (time.perf_counter) for import, build (setup + populations + projections +
record), run and data retrieval. ``--json FILE`` writes them as one flat dict.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

import numpy as np

DT = 1.0                    # ms
DELAY = 2.0                 # ms, = min_delay = max_delay
R_EI = 4.0
PCONN = 0.02
IZH = dict(a=0.02, b=0.2, c=-65.0, d=2.0)
I_OFFSET_SPINNAKER = 5.0    # the seed's value, sPyNNaker units (raw I in the v equation)
I_OFFSET = I_OFFSET_SPINNAKER * 1e-3        # nA into 1 pF -> I = 5 in the v equation
U_INIT = -14.0              # mV, upper bound of the initial-v distribution (the seed's `u`)
W_EXC = 0.2 * I_OFFSET_SPINNAKER            # 1.0 mV jump
W_INH = -0.5 * I_OFFSET_SPINNAKER           # -2.5 mV jump (negative in PyNN standard)
N_THALAMIC = 20
THALAMIC_RATE = 100.0       # Hz
THALAMIC_DURATION = 50.0    # ms
THALAMIC_PCONN = 0.01
W_THALAMIC = 0.1            # mV jump


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Seed-004 balanced Izhikevich network, PyNN-standard semantics.")
    p.add_argument("--simulator", default="tinysim",
                   help="PyNN backend, imported as pyNN.<simulator> (default: tinysim)")
    p.add_argument("--n", type=int, default=1500, help="number of cells (default 1500)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    p.add_argument("--seed", type=int, default=98766987,
                   help="NumpyRNG seed for initial v and connectivity (default: the seed's 98766987); "
                        "also passed to setup() as rng_seed (Poisson sources on pyNN.nest)")
    p.add_argument("--weight-scale", type=float, default=1.0,
                   help="multiply all weights (default 1; 5 = same charge as sPyNNaker's "
                        "tau_syn = 5 ms exponential synapses)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    return p.parse_args(argv)


def isi_cv(spiketrains):
    """Mean CV of the inter-spike intervals over trains with at least 3 spikes (nan if none)."""
    cvs = []
    for st in spiketrains:
        t = np.sort(np.asarray(st.magnitude, dtype=float))
        if t.size >= 3:
            isi = np.diff(t)
            cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def build(sim, rng_cls, dist_cls, n, seed, weight_scale):
    n_exc = int(round(n * R_EI / (1 + R_EI)))
    n_inh = n - n_exc
    pops = {
        "exc": sim.Population(n_exc, sim.Izhikevich(i_offset=I_OFFSET, **IZH), label="Excitatory_Cells"),
        "inh": sim.Population(n_inh, sim.Izhikevich(i_offset=I_OFFSET, **IZH), label="Inhibitory_Cells"),
    }
    rng = rng_cls(seed=seed, parallel_safe=True)
    v_init = dist_cls("uniform", [IZH["c"], U_INIT], rng=rng)
    pops["exc"].initialize(v=v_init)
    pops["inh"].initialize(v=v_init)

    exc_syn = sim.StaticSynapse(weight=W_EXC * weight_scale, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=W_INH * weight_scale, delay=DELAY)
    exc_conn = sim.FixedProbabilityConnector(PCONN, rng=rng)
    inh_conn = sim.FixedProbabilityConnector(PCONN, rng=rng)
    prjs = {}
    for pre, conn, syn, rtype in (("exc", exc_conn, exc_syn, "excitatory"),
                                  ("inh", inh_conn, inh_syn, "inhibitory")):
        for post in ("exc", "inh"):
            prjs[pre[0] + "2" + post[0]] = sim.Projection(
                pops[pre], pops[post], conn, synapse_type=syn, receptor_type=rtype)

    pops["thalamus"] = sim.Population(
        N_THALAMIC, sim.SpikeSourcePoisson(rate=THALAMIC_RATE, duration=THALAMIC_DURATION),
        label="expoisson")
    ext_conn = sim.FixedProbabilityConnector(THALAMIC_PCONN)   # default RNG, as the seed
    ext_syn = sim.StaticSynapse(weight=W_THALAMIC * weight_scale)  # delay defaults to min_delay
    for post in ("exc", "inh"):
        prjs["ext2" + post[0]] = sim.Projection(
            pops["thalamus"], pops[post], ext_conn, synapse_type=ext_syn,
            receptor_type="excitatory")

    for name in ("exc", "inh", "thalamus"):
        pops[name].record("spikes")
    return pops, prjs


def main(argv=None):
    args = parse_args(argv)

    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    from pyNN.random import NumpyRNG, RandomDistribution
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=DELAY, max_delay=DELAY, rng_seed=args.seed)
    pops, prjs = build(sim, NumpyRNG, RandomDistribution, args.n, args.seed, args.weight_scale)
    t_build = time.perf_counter() - t0

    _barrier(sim)       # under MPI: the run phase starts together on every rank
    t0 = time.perf_counter()
    sim.run(args.duration)
    _barrier(sim)
    t_run = time.perf_counter() - t0

    t0 = time.perf_counter()
    trains = {name: pops[name].get_data("spikes").segments[-1].spiketrains
              for name in ("exc", "inh", "thalamus")}
    t_data = time.perf_counter() - t0
    sizes = {name: int(prj.size()) for name, prj in prjs.items()}
    sim.end()

    seconds = args.duration / 1000.0
    result = {
        "model": "seed004_izhikevich",
        "simulator": args.simulator,
        "n": args.n,
        "duration_ms": args.duration,
        "dt_ms": DT,
        "seed": args.seed,
        "weight_scale": args.weight_scale,
        "weights_mV": {"exc": W_EXC * args.weight_scale, "inh": W_INH * args.weight_scale,
                       "thalamic": W_THALAMIC * args.weight_scale},
        "i_offset_nA": I_OFFSET,
        "import_s": t_import,
        "build_s": t_build,
        "run_s": t_run,
        "data_s": t_data,
        "total_s": t_import + t_build + t_run + t_data,
        "connections": sum(v for k, v in sizes.items() if not k.startswith("ext")),
        "connections_by_projection": sizes,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    if sim.rank() != 0:
        sys.stdout = open(os.devnull, "w")     # under MPI: rank 0 reports
    print(f"--- seed 004 Izhikevich network on pyNN.{args.simulator} (seed {args.seed}) ---")
    for name in ("exc", "inh", "thalamus"):
        sts = trains[name]
        n_spikes = int(sum(len(st) for st in sts))
        rate = n_spikes / (len(sts) * seconds)
        cv = isi_cv(sts)
        result[f"rate_{name}_hz"] = rate
        result[f"cv_isi_{name}"] = cv
        result[f"spikes_{name}"] = n_spikes
        print(f"{name:>9}: {len(sts):5d} cells  rate {rate:8.3f} Hz  CV(ISI) {cv:6.3f}")
    print("connections : " + "  ".join(f"{k}={v}" for k, v in sizes.items()))
    print(f"time: import {t_import:.3f} s  build {t_build:.3f} s  run {t_run:.3f} s  "
          f"data {t_data:.3f} s  total {result['total_s']:.3f} s")

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
