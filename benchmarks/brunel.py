#!/usr/bin/env python
"""Brunel (2000) sparsely connected balanced network, through the public PyNN API.

The formulation is NEST's ``pynest/examples/brunel_delta_nest.py`` (the reference
implementation of Brunel's model A, delta-synapse LIF), written against PyNN only so
that the same file runs on any backend::

    python benchmarks/brunel.py                                   # pyNN.tinysim
    python benchmarks/brunel.py --simulator nest --scale 0.1 --json out.json

Model (scale 1):

* NE = 10000 excitatory and NI = 2500 inhibitory ``IF_curr_delta`` cells:
  tau_m 20 ms, v_rest 0 mV, v_thresh 20 mV, v_reset 10 mV, tau_refrac 2 ms
  (cm is irrelevant for delta synapses; left at 1 nF); all cells start at v = 0 mV
  (as brunel_delta_nest.py).
* Recurrent input: every cell receives CE = 0.1 NE excitatory and CI = 0.1 NI
  inhibitory connections, ``FixedNumberPreConnector`` with replacement and with
  self-connections allowed (NEST's ``fixed_indegree`` defaults: multapses and
  autapses), weight J = 0.1 mV (a step of v) and -g J = -0.5 mV (g = 5),
  delay D = 1.5 ms for every connection.
* External input: each cell gets its own Poisson train (one ``SpikeSourcePoisson``
  population per target population, same size, ``OneToOneConnector``, weight J,
  delay D) at rate
  eta * nu_th * CE with nu_th = theta / (J CE tau_m) and eta = 2, i.e.
  1000 * eta * theta / (J tau_m) = 20 kHz per cell (brunel_delta_nest.py uses one
  poisson_generator connected all-to-all, which NEST turns into independent trains
  per target: the same thing).
* dt 0.1 ms, 1000 ms by default.

``--scale s`` multiplies NE and NI by s and keeps the in-degrees CE = 1000 and
CI = 250 of scale 1 (drawn with replacement, so CE may exceed NE), so every cell sees
the same mean and variance of input as at scale 1 (Brunel's mean-field theory
depends on CE, CI, J, g, eta only); connections scale as s. Sharing of inputs grows
as s shrinks (at s = 0.1 each E cell projects to every cell ~1 time on average), so
small scales are more correlated. ``--scale-indegree`` scales CE and CI by s as well
(epsilon = 0.1 kept, connections scale as s^2): this breaks the balance, since the
external drive (which does not depend on CE, see above) stays while the recurrent
inhibition shrinks: at s = 0.1 the cells then fire at ~80 Hz.

Reported: mean rate and mean CV(ISI) per population (over the whole run), number of
recurrent connections, and wall-clock times (time.perf_counter) for import, build
(setup + populations + initialize + projections + record), run and data retrieval.
``--json FILE`` writes them as one flat dict, with the keys of
``benchmarks/va_benchmark.py`` (``build_s``, ``run_s``, ``rate_<pop>_hz``, ...).
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

import numpy as np

DT = 0.1            # ms
DELAY = 1.5         # ms
NE_FULL = 10000
NI_FULL = 2500
EPSILON = 0.1       # connection probability -> in-degree CE = EPSILON * NE
J = 0.1             # mV
G = 5.0             # relative strength of inhibition
ETA = 2.0           # external rate relative to threshold rate
TAU_M = 20.0        # ms
THETA = 20.0        # mV, threshold (v_rest = 0)
V_RESET = 10.0      # mV
T_REF = 2.0         # ms
CELL = dict(tau_m=TAU_M, cm=1.0, v_rest=0.0, v_thresh=THETA, v_reset=V_RESET,
            tau_refrac=T_REF, i_offset=0.0)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Brunel (2000) network on any PyNN backend.")
    p.add_argument("--simulator", default="tinysim",
                   help="PyNN backend, imported as pyNN.<simulator> (default: tinysim)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="scale of cell numbers and in-degrees (default 1: 12500 cells)")
    p.add_argument("--scale-indegree", action="store_true",
                   help="scale the in-degrees CE, CI with --scale too (default: keep 1000, 250)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms")
    p.add_argument("--seed", type=int, default=12345,
                   help="seed of the NumpyRNG for connectivity; also setup(rng_seed=...)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    return p.parse_args(argv)


def external_rate():
    """Poisson rate per cell (Hz): eta * nu_th * CE = eta * theta / (J tau_m)."""
    return 1000.0 * ETA * THETA / (J * TAU_M)


def build(sim, rng_cls, scale, seed, scale_indegree=False):
    n_exc = max(1, int(round(NE_FULL * scale)))
    n_inh = max(1, int(round(NI_FULL * scale)))
    k_scale = scale if scale_indegree else 1.0
    ce = max(1, int(round(EPSILON * NE_FULL * k_scale)))
    ci = max(1, int(round(EPSILON * NI_FULL * k_scale)))
    pops = {
        "exc": sim.Population(n_exc, sim.IF_curr_delta(**CELL), label="E"),
        "inh": sim.Population(n_inh, sim.IF_curr_delta(**CELL), label="I"),
    }
    for pop in pops.values():
        pop.initialize(v=0.0)
    rng = rng_cls(seed=seed, parallel_safe=True)
    exc_conn = sim.FixedNumberPreConnector(ce, with_replacement=True,
                                           allow_self_connections=True, rng=rng)
    inh_conn = sim.FixedNumberPreConnector(ci, with_replacement=True,
                                           allow_self_connections=True, rng=rng)
    exc_syn = sim.StaticSynapse(weight=J, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=-G * J, delay=DELAY)
    prjs = {}
    for post in ("exc", "inh"):
        prjs["e2" + post[0]] = sim.Projection(pops["exc"], pops[post], exc_conn, exc_syn,
                                              receptor_type="excitatory")
        prjs["i2" + post[0]] = sim.Projection(pops["inh"], pops[post], inh_conn, inh_syn,
                                              receptor_type="inhibitory")
    for post in ("exc", "inh"):
        ext = sim.Population(pops[post].size, sim.SpikeSourcePoisson(rate=external_rate()),
                             label="Poisson_" + post)
        prjs["ext2" + post[0]] = sim.Projection(ext, pops[post], sim.OneToOneConnector(),
                                                exc_syn, receptor_type="excitatory")
    pops["exc"].record("spikes")
    pops["inh"].record("spikes")
    return pops, prjs, ce, ci


def cv_isi(spiketrains):
    cvs = []
    for st in spiketrains:
        if len(st) >= 3:
            isi = np.diff(np.asarray(st.magnitude))
            if isi.mean() > 0:
                cvs.append(isi.std() / isi.mean())
    return float(np.mean(cvs)) if cvs else float("nan")


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    from pyNN.random import NumpyRNG
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=DELAY, max_delay=DELAY, rng_seed=args.seed)
    pops, prjs, ce, ci = build(sim, NumpyRNG, args.scale, args.seed, args.scale_indegree)
    t_build = time.perf_counter() - t0

    _barrier(sim)       # under MPI: the run phase starts together on every rank
    t0 = time.perf_counter()
    sim.run(args.duration)
    _barrier(sim)
    t_run = time.perf_counter() - t0

    t0 = time.perf_counter()
    stats = {}
    for name in ("exc", "inh"):
        trains = pops[name].get_data("spikes").segments[-1].spiketrains
        n_spikes = int(sum(len(st) for st in trains))
        stats[name] = (n_spikes, n_spikes / (pops[name].size * args.duration / 1000.0),
                       cv_isi(trains))
    t_data = time.perf_counter() - t0
    sizes = {name: int(prj.size()) for name, prj in prjs.items()}
    sim.end()

    n_recurrent = sum(v for k, v in sizes.items() if not k.startswith("ext"))
    result = {
        "network": "brunel",
        "simulator": args.simulator,
        "scale": args.scale,
        "n": pops["exc"].size + pops["inh"].size,
        "n_exc": pops["exc"].size,
        "n_inh": pops["inh"].size,
        "CE": ce,
        "CI": ci,
        "scale_indegree": args.scale_indegree,
        "external_rate_hz": external_rate(),
        "duration_ms": args.duration,
        "dt_ms": DT,
        "seed": args.seed,
        "import_s": t_import,
        "build_s": t_build,
        "run_s": t_run,
        "data_s": t_data,
        "total_s": t_import + t_build + t_run + t_data,
        "connections": n_recurrent,
        "connections_by_projection": sizes,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name, (n_spikes, rate, cv) in stats.items():
        result[f"rate_{name}_hz"] = rate
        result[f"cv_isi_{name}"] = cv
        result[f"spikes_{name}"] = n_spikes

    if sim.rank() != 0:
        sys.stdout = open(os.devnull, "w")     # under MPI: rank 0 reports
    print(f"--- Brunel (2000) delta-LIF network on pyNN.{args.simulator}, scale {args.scale:g} ---")
    print(f"cells {result['n']} ({result['n_exc']} E / {result['n_inh']} I), CE {ce}, CI {ci}, "
          f"{n_recurrent} recurrent connections, external {external_rate():g} Hz per cell")
    print(f"import {t_import:.3f} s  build {t_build:.3f} s  run {t_run:.3f} s  "
          f"data {t_data:.3f} s  total {result['total_s']:.3f} s")
    for name, (n_spikes, rate, cv) in stats.items():
        print(f"{name}: {n_spikes} spikes, rate {rate:.3f} Hz, CV(ISI) {cv:.3f}")
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
