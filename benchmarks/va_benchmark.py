#!/usr/bin/env python
"""Vogels-Abbott balanced-network benchmark (Brette et al. 2007, benchmarks 1 and 2).

The model follows PyNN's own ``examples/VAbenchmarks.py`` (the reference every PyNN
backend is timed with), rewritten here against the public PyNN API only, so the same
file runs on any backend::

    python benchmarks/va_benchmark.py CUBA                      # pyNN.tinysim
    python benchmarks/va_benchmark.py COBA --simulator nest     # pyNN.nest
    python benchmarks/va_benchmark.py CUBA --n 1000 --duration 200 --json out.json

Model (identical to VAbenchmarks.py unless stated):

* ``n`` cells, 4:1 excitatory:inhibitory (3200/800 at n=4000), two Populations.
* CUBA: ``IF_curr_exp``, v_rest = -49 mV (above threshold: the cells are tonically
  driven), weights 0.27 nS and 4.5 nS turned into currents at v_mean = -60 mV,
  i.e. +0.0162 nA and -0.09 nA.
  COBA: ``IF_cond_exp``, v_rest = -60 mV, E_exc = 0 mV, E_inh = -80 mV,
  weights 4 nS and 51 nS (0.004 / 0.051 uS).
* tau_m 20 ms, cm 0.2 nF, v_thresh -50 mV, v_reset -60 mV, tau_refrac 5 ms,
  tau_syn_E 5 ms, tau_syn_I 10 ms.
* All four projections FixedProbabilityConnector(0.02), delay 0.2 ms
  (= min_delay; max_delay 1.0 ms), dt 0.1 ms, 1000 ms.
* Initial condition: v uniform in [v_reset, v_thresh] for every cell, drawn from the
  same NumpyRNG that then draws the connectivity (as the original does).
* COBA only (as in the original; CUBA has no external input at all): a brief kick
  from 20 ``SpikeSourcePoisson`` cells at 100 Hz for the first 50 ms, connected to
  every cell with probability 0.01 and weight 0.1 uS. That connector uses PyNN's
  default connector RNG (a fixed seed), exactly like the original; the Poisson
  spike times come from the backend's own RNG, which we seed by passing
  ``rng_seed=<seed>`` to ``setup()`` (a documented extra parameter of pyNN.nest;
  extra setup parameters are ignored by backends that don't use them).

Differences from the original: no file output, no MPI/threads options, the number
of cells, duration and seed are command-line options, and all timings are taken with
``time.perf_counter`` (wall clock).

Timings reported:

* import:  ``import pyNN.<simulator>`` (plus pyNN.random);
* build:   setup() + Populations + initialize + Projections + record();
* run:     sim.run(duration);
* data:    get_data() of the spike recordings (rates are computed from it);
* total:   import + build + run + data.

``--json FILE`` writes the same figures as one flat JSON dict (see ``result`` in
``main``) for aggregation by other scripts.
"""

import argparse
import importlib
import json
import platform
import time

# Fixed model parameters (PyNN examples/VAbenchmarks.py).
R_EI = 4.0                 # excitatory : inhibitory cell ratio
PCONN = 0.02               # recurrent connection probability
DT = 0.1                   # ms
DELAY = 0.2                # ms, also min_delay
MAX_DELAY = 1.0            # ms
TAU_M = 20.0               # ms
CM = 0.2                   # nF  (1 uF/cm2 * 20000 um2)
V_THRESH = -50.0           # mV
V_RESET = -60.0            # mV
T_REFRAC = 5.0             # ms
V_MEAN = -60.0             # mV, the 'mean' membrane potential used for CUBA weights
TAU_EXC = 5.0              # ms
TAU_INH = 10.0             # ms
E_REV_EXC = 0.0            # mV
E_REV_INH = -80.0          # mV
# COBA external kick
N_STIM = 20
STIM_RATE = 100.0          # Hz
STIM_DUR = 50.0            # ms
STIM_PCONN = 0.01
STIM_WEIGHT = 0.1          # uS

# benchmark -> (v_rest mV, G_exc nS, G_inh nS)
BENCHMARKS = {
    "CUBA": (-49.0, 0.27, 4.5),
    "COBA": (-60.0, 4.0, 51.0),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Vogels-Abbott benchmark on any PyNN backend (public PyNN API only).")
    p.add_argument("benchmark", choices=sorted(BENCHMARKS), help="CUBA or COBA")
    p.add_argument("--simulator", default="tinysim",
                   help="PyNN backend, imported as pyNN.<simulator> (default: tinysim)")
    p.add_argument("--n", type=int, default=4000, help="number of cells (default 4000)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated time in ms (default 1000)")
    p.add_argument("--seed", type=int, default=98765,
                   help="seed of the NumpyRNG for initial v and connectivity (default 98765, "
                        "as VAbenchmarks.py); also passed to setup() as rng_seed")
    p.add_argument("--setup-extra", action="append", default=[], metavar="KEY=VALUE",
                   help="backend-specific extra keyword for setup(), e.g. "
                        "spike_precision=on_grid for pyNN.nest; repeatable")
    p.add_argument("--record-v", type=int, default=0, metavar="N",
                   help="also record v of the first N excitatory cells (every step), as "
                        "most scripts do (default 0)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    return p.parse_args(argv)


def _parse_extra(items):
    extra = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--setup-extra expects KEY=VALUE, got {item!r}")
        for convert in (int, float):
            try:
                value = convert(value)
                break
            except ValueError:
                pass
        extra[key] = value
    return extra


def cell_model(sim, benchmark):
    """Return a factory for the PyNN cell type and the (w_exc, w_inh) weights."""
    v_rest, g_exc, g_inh = BENCHMARKS[benchmark]
    params = dict(tau_m=TAU_M, cm=CM, v_rest=v_rest, v_thresh=V_THRESH,
                  v_reset=V_RESET, tau_refrac=T_REFRAC,
                  tau_syn_E=TAU_EXC, tau_syn_I=TAU_INH)
    if benchmark == "COBA":
        params.update(e_rev_E=E_REV_EXC, e_rev_I=E_REV_INH)
        celltype = sim.IF_cond_exp
        w_exc, w_inh = g_exc * 1e-3, g_inh * 1e-3               # nS -> uS
    else:
        celltype = sim.IF_curr_exp
        w_exc = 1e-3 * g_exc * (E_REV_EXC - V_MEAN)             # nA, > 0
        w_inh = 1e-3 * g_inh * (E_REV_INH - V_MEAN)             # nA, < 0
    return (lambda: celltype(**params)), w_exc, w_inh


def build(sim, rng_cls, dist_cls, benchmark, n, seed):
    """Create the network; return (populations dict, projections dict)."""
    n_exc = int(round(n * R_EI / (1 + R_EI)))
    n_inh = n - n_exc
    make_cell, w_exc, w_inh = cell_model(sim, benchmark)

    pops = {
        "exc": sim.Population(n_exc, make_cell(), label="Excitatory_Cells"),
        "inh": sim.Population(n_inh, make_cell(), label="Inhibitory_Cells"),
    }
    rng = rng_cls(seed=seed, parallel_safe=True)
    v_init = dist_cls("uniform", low=V_RESET, high=V_THRESH, rng=rng)
    pops["exc"].initialize(v=v_init)
    pops["inh"].initialize(v=v_init)

    connector = sim.FixedProbabilityConnector(PCONN, rng=rng)
    exc_syn = sim.StaticSynapse(weight=w_exc, delay=DELAY)
    inh_syn = sim.StaticSynapse(weight=w_inh, delay=DELAY)
    prjs = {}
    for pre, syn, rtype in (("exc", exc_syn, "excitatory"), ("inh", inh_syn, "inhibitory")):
        for post in ("exc", "inh"):
            prjs[pre[0] + "2" + post[0]] = sim.Projection(
                pops[pre], pops[post], connector, syn, receptor_type=rtype)

    if benchmark == "COBA":
        pops["stim"] = sim.Population(
            N_STIM, sim.SpikeSourcePoisson(rate=STIM_RATE, duration=STIM_DUR), label="expoisson")
        ext_conn = sim.FixedProbabilityConnector(STIM_PCONN)   # PyNN's default RNG, as the original
        ext_syn = sim.StaticSynapse(weight=STIM_WEIGHT, delay=DELAY)
        for post in ("exc", "inh"):
            prjs["ext2" + post[0]] = sim.Projection(
                pops["stim"], pops[post], ext_conn, ext_syn, receptor_type="excitatory")

    pops["exc"].record("spikes")
    pops["inh"].record("spikes")
    return pops, prjs


def main(argv=None):
    args = parse_args(argv)
    extra = {"rng_seed": args.seed}
    extra.update(_parse_extra(args.setup_extra))

    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    from pyNN.random import NumpyRNG, RandomDistribution
    t_import = time.perf_counter() - t0

    t0 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=DELAY, max_delay=MAX_DELAY, **extra)
    pops, prjs = build(sim, NumpyRNG, RandomDistribution, args.benchmark, args.n, args.seed)
    if args.record_v:
        pops["exc"][:args.record_v].record("v")
    t_build = time.perf_counter() - t0

    _barrier(sim)       # under MPI: the run phase starts together on every rank
    t0 = time.perf_counter()
    sim.run(args.duration)
    _barrier(sim)
    t_run = time.perf_counter() - t0

    t0 = time.perf_counter()
    counts = {}
    for name in ("exc", "inh"):
        trains = pops[name].get_data("spikes").segments[-1].spiketrains
        counts[name] = int(sum(len(st) for st in trains))
    t_data = time.perf_counter() - t0

    sizes = {name: int(prj.size()) for name, prj in prjs.items()}
    sim.end()

    seconds = args.duration / 1000.0
    rate = {name: counts[name] / (pops[name].size * seconds) for name in counts}
    n_recurrent = sum(v for k, v in sizes.items() if not k.startswith("ext"))
    # synaptic events (spikes transmitted through one synapse each) of the recurrent
    # projections: each projection's presynaptic spikes times its mean out-degree
    # (connections / presynaptic cells); with FixedProbabilityConnector this is the
    # exact count's expectation (a cell's rate does not depend on its out-degree). The
    # COBA stimulus is left out (its spikes are not recorded).
    pop_of = {"e": "exc", "i": "inh"}
    synaptic_events = sum(counts[pop_of[k[0]]] * v / pops[pop_of[k[0]]].size
                          for k, v in sizes.items() if not k.startswith("ext"))
    result = {
        "benchmark": args.benchmark,
        "simulator": args.simulator,
        "n": args.n,
        "n_exc": pops["exc"].size,
        "n_inh": pops["inh"].size,
        "duration_ms": args.duration,
        "dt_ms": DT,
        "seed": args.seed,
        "record_v": args.record_v,
        "ranks": sim.num_processes(),
        "setup_extra": extra,
        "import_s": t_import,
        "build_s": t_build,
        "run_s": t_run,
        "data_s": t_data,
        "total_s": t_import + t_build + t_run + t_data,
        "rate_exc_hz": rate["exc"],
        "rate_inh_hz": rate["inh"],
        "spikes_exc": counts["exc"],
        "spikes_inh": counts["inh"],
        "connections": n_recurrent,
        "connections_by_projection": sizes,
        "synaptic_events": synaptic_events,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }

    if sim.rank() != 0:
        return result
    print(f"--- Vogels-Abbott {args.benchmark} on pyNN.{args.simulator} ---")
    print(f"cells           : {args.n} ({result['n_exc']} exc / {result['n_inh']} inh)")
    print(f"connections     : {n_recurrent} recurrent  "
          + "  ".join(f"{k}={v}" for k, v in sizes.items()))
    print(f"import time     : {t_import:8.3f} s")
    print(f"build time      : {t_build:8.3f} s")
    print(f"run time        : {t_run:8.3f} s   ({args.duration:g} ms at dt {DT} ms)")
    print(f"data time       : {t_data:8.3f} s")
    print(f"total           : {result['total_s']:8.3f} s")
    print(f"mean rate exc   : {rate['exc']:8.3f} Hz")
    print(f"mean rate inh   : {rate['inh']:8.3f} Hz")

    if args.json and sim.rank() == 0:     # under MPI rank 0 has the gathered counts
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


def _barrier(sim):
    if sim.num_processes() > 1:
        from mpi4py import MPI
        MPI.COMM_WORLD.Barrier()


if __name__ == "__main__":
    main()
