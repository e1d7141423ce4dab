#!/usr/bin/env python
"""Calibrate ``tinysim compare``'s verdict: false alarms and the smallest planted difference.

Two "backends" that are both pyNN.tinysim, each run with its own seeds, are compared with
the harness's own statistics (compare.statistics) and verdict (compare.verdict.decide,
at its defaults: 5 seeds, the default margins, alpha 0.05, Holm). The runs are made in this
process (the harness's child processes would only add start-up time; the statistics and
the decision are the very functions ``tinysim compare`` calls).

* **False alarms**: both sides are the same network, different seeds. Each comparison uses
  its own runs (no run is shared between comparisons), so the comparisons are independent
  and the false-alarm rate has an exact (Clopper-Pearson) confidence interval.
* **Planted differences**: side B has its inhibitory weights scaled by a factor; each
  comparison again uses fresh runs on both sides. The detection rate per factor says how
  large a change the default seed count finds.

Networks (a few hundred cells, 0.5 s, small enough for a shared 2-core machine):
``va_cuba`` (Vogels-Abbott CUBA, 400 cells, 80 inputs per cell, v of 20 cells recorded),
``brunel`` (sparse balanced network driven by Poisson input, 400 cells, g = 5),
``izhikevich`` (the seed-004 network in PyNN-standard units, 300 cells, dt = 1 ms).

Usage::

    python benchmarks/calibrate_compare.py                      # the README's figures
    python benchmarks/calibrate_compare.py --false-alarm 4 --planted 2 --scales 1.5
"""

import argparse
import time

import numpy as np

from pynn_tinysim.compare import equivalence, statistics, verdict


# --- networks: build, run, return {population label: neo Block} -----------------------------

def va_cuba(sim, rng, w_inh_scale, duration):
    n, n_exc = 400, 320
    sim.setup(timestep=0.1, min_delay=0.2, max_delay=1.0, rng_seed=int(rng.integers(1, 2**31 - 1)))
    params = dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                  tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = sim.Population(n_exc, sim.IF_curr_exp(**params), label="exc")
    inh = sim.Population(n - n_exc, sim.IF_curr_exp(**params), label="inh")
    prng = sim.NumpyRNG(seed=int(rng.integers(1, 2**31 - 1)))
    v_init = sim.RandomDistribution("uniform", low=-60.0, high=-50.0, rng=prng)
    exc.initialize(v=v_init)
    inh.initialize(v=v_init)
    connector = sim.FixedProbabilityConnector(80.0 / n, rng=prng)
    w_exc, w_inh = 0.27e-3 * 60.0, -4.5e-3 * 20.0 * w_inh_scale
    for pre, w, receptor in ((exc, w_exc, "excitatory"), (inh, w_inh, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, connector, sim.StaticSynapse(weight=w, delay=0.2),
                           receptor_type=receptor)
    exc.record("spikes")
    exc[:20].record("v")
    inh.record("spikes")
    sim.run(duration)
    return {"exc": exc.get_data(), "inh": inh.get_data()}, 0.1


def brunel(sim, rng, w_inh_scale, duration):
    n_exc, n_inh, g, j = 320, 80, 5.0, 0.1
    sim.setup(timestep=0.1, min_delay=1.5, max_delay=1.5, rng_seed=int(rng.integers(1, 2**31 - 1)))
    params = dict(tau_m=20.0, cm=0.25, v_rest=-65.0, v_thresh=-50.0, v_reset=-65.0,
                  tau_refrac=2.0, tau_syn_E=0.5, tau_syn_I=0.5)
    exc = sim.Population(n_exc, sim.IF_curr_exp(**params), label="exc")
    inh = sim.Population(n_inh, sim.IF_curr_exp(**params), label="inh")
    prng = sim.NumpyRNG(seed=int(rng.integers(1, 2**31 - 1)))
    exc.initialize(v=sim.RandomDistribution("uniform", low=-65.0, high=-50.0, rng=prng))
    inh.initialize(v=sim.RandomDistribution("uniform", low=-65.0, high=-50.0, rng=prng))
    noise = sim.Population(n_exc + n_inh, sim.SpikeSourcePoisson(rate=2400.0), label="noise")
    both = exc + inh
    sim.Projection(noise, both, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=2.0 * j, delay=1.5), receptor_type="excitatory")
    conn_e = sim.FixedNumberPreConnector(32, rng=prng)
    conn_i = sim.FixedNumberPreConnector(8, rng=prng)
    sim.Projection(exc, both, conn_e, sim.StaticSynapse(weight=j, delay=1.5),
                   receptor_type="excitatory")
    sim.Projection(inh, both, conn_i, sim.StaticSynapse(weight=-g * j * w_inh_scale, delay=1.5),
                   receptor_type="inhibitory")
    exc.record("spikes")
    inh.record("spikes")
    sim.run(duration)
    return {"exc": exc.get_data(), "inh": inh.get_data()}, 0.1


def izhikevich(sim, rng, w_inh_scale, duration):
    n_exc, n_inh, delay = 240, 60, 2.0
    sim.setup(timestep=1.0, min_delay=delay, max_delay=delay,
              rng_seed=int(rng.integers(1, 2**31 - 1)))
    prng = sim.NumpyRNG(seed=int(rng.integers(1, 2**31 - 1)))
    cell = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.005)
    exc = sim.Population(n_exc, sim.Izhikevich(**cell), label="exc")
    inh = sim.Population(n_inh, sim.Izhikevich(**cell), label="inh")
    uniform = sim.RandomDistribution("uniform", [-65.0, -14.0], rng=prng)
    exc.initialize(v=uniform)
    inh.initialize(v=uniform)
    conn = sim.FixedProbabilityConnector(0.1, rng=prng)
    for pre, w, receptor in ((exc, 1.0, "excitatory"), (inh, -2.5 * w_inh_scale, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, conn, sim.StaticSynapse(weight=w, delay=delay),
                           receptor_type=receptor)
    exc.record("spikes")
    inh.record("spikes")
    sim.run(duration)
    return {"exc": exc.get_data(), "inh": inh.get_data()}, 1.0


NETWORKS = {"va_cuba": va_cuba, "brunel": brunel, "izhikevich": izhikevich}


def one_run(name, rng, w_inh_scale, duration):
    """{population: metrics} of one run (the harness's statistics)."""
    import pynn_tinysim as sim
    blocks, dt = NETWORKS[name](sim, rng, w_inh_scale, duration)
    stats = {pop: statistics.population_statistics(block) for pop, block in blocks.items()}
    sim.end()
    return stats, dt


def backend(name, rng, n_seeds, w_inh_scale, duration):
    """A decide() entry: ``n_seeds`` runs, each with fresh seeds from ``rng``."""
    reps, dt = [], None
    for _ in range(n_seeds):
        stats, dt = one_run(name, rng, w_inh_scale, duration)
        reps.append(stats)
    return {"status": "ok", "reps": reps,
            "populations": {p: {"celltype": "?", "dt_ms": dt} for p in reps[0]}}


def judge(a, b):
    v = verdict.decide({"A": a, "B": b}, ["A", "B"], standard={"A", "B"})
    differing = sorted({f"{c.population}.{c.metric}" for c in v.comparisons if c.differs})
    return v, differing


def ci_text(k, n):
    lo, hi = equivalence.clopper_pearson(k, n)
    return f"{k}/{n} = {100 * k / n:.1f} % (95 % CI {100 * lo:.1f}-{100 * hi:.1f} %)"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--networks", default=",".join(NETWORKS))
    p.add_argument("--seeds", type=int, default=verdict.DEFAULT_SEEDS,
                   help="seeds per backend (default: compare's default)")
    p.add_argument("--false-alarm", type=int, default=20,
                   help="independent same-network comparisons per network (default 20)")
    p.add_argument("--planted", type=int, default=6,
                   help="independent comparisons per network and factor (default 6)")
    p.add_argument("--scales", default="1.1,1.25,1.5",
                   help="inhibitory weight factors planted on side B (default 1.1,1.25,1.5)")
    p.add_argument("--duration", type=float, default=500.0, help="ms per run (default 500)")
    p.add_argument("--seed", type=int, default=20261130)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    names = [n for n in args.networks.split(",") if n]
    scales = [float(s) for s in args.scales.split(",") if s]
    t0 = time.perf_counter()
    total_fa = total_fa_n = 0
    print(f"compare calibration: {args.seeds} seeds per side, alpha {verdict.ALPHA}, "
          f"{args.duration:g} ms per run, pyNN.tinysim vs pyNN.tinysim")
    for name in names:
        outcomes = {s: 0 for s in ("equivalent", "inconclusive", "differ", "too few seeds",
                                   "undefined")}
        alarms, which = 0, {}
        for _ in range(args.false_alarm):
            v, differing = judge(backend(name, rng, args.seeds, 1.0, args.duration),
                                 backend(name, rng, args.seeds, 1.0, args.duration))
            for key, n in v.counts.items():
                outcomes[key] += n
            if v.exit_code == verdict.EXIT_DISAGREE:
                alarms += 1
                for d in differing:
                    which[d] = which.get(d, 0) + 1
        total_fa += alarms
        total_fa_n += args.false_alarm
        print(f"{name}: false alarms (exit 1, same network): {ci_text(alarms, args.false_alarm)}"
              f"; metric outcomes {outcomes}" + (f"; differing {which}" if which else "")
              + f" [{time.perf_counter() - t0:.0f} s]", flush=True)
        for scale in scales:
            hits, which = 0, {}
            for _ in range(args.planted):
                v, differing = judge(backend(name, rng, args.seeds, 1.0, args.duration),
                                     backend(name, rng, args.seeds, scale, args.duration))
                if v.exit_code == verdict.EXIT_DISAGREE:
                    hits += 1
                    for d in differing:
                        which[d] = which.get(d, 0) + 1
            print(f"{name}: inhibitory weight x{scale:g} detected: {ci_text(hits, args.planted)}"
                  + (f"; by {which}" if which else "")
                  + f" [{time.perf_counter() - t0:.0f} s]", flush=True)
    print(f"all networks: false alarms {ci_text(total_fa, total_fa_n)}; "
          f"{time.perf_counter() - t0:.0f} s in all")


if __name__ == "__main__":
    main()
