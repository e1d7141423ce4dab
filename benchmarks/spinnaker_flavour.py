#!/usr/bin/env python
"""The sPyNNaker flavour's speed: the seed-004 Izhikevich network and VA CUBA, per engine.

Both networks run on ``pyNN.tinysim.spinnaker`` (sPyNNaker's semantics, s16.15 fixed
point by default) as a sPyNNaker user writes them::

    python benchmarks/spinnaker_flavour.py seed004 --engine numba --duration 10000
    python benchmarks/spinnaker_flavour.py va_cuba --engine numpy --float

* ``seed004``: the notebook of shared/seeds/004 as written for ``pyNN.spiNNaker``:
  1500 ``Izhikevich`` cells (1200 exc / 300 inh, i_offset = 5 as sPyNNaker reads it,
  exponential synapses), initial v uniform in [-65, -14], dt = 1 ms, every delay 2 ms,
  FixedProbabilityConnector(0.02) with weights 1.0 / 2.5 (magnitudes), 20 thalamic
  Poisson cells at 100 Hz for 50 ms (p = 0.01, weight 0.1); v and spikes recorded.
* ``va_cuba``: the Vogels-Abbott CUBA network (4000 ``IF_curr_exp`` cells, dt 0.1 ms,
  delays 0.2 ms, weights as benchmarks/va_benchmark.py, inhibitory as a magnitude);
  spikes recorded.

Prints one JSON dict: build, run and data-retrieval wall times (s), spikes, rates.
"""

import argparse
import json
import time


def build_seed004(sim, engine, fixed_point):
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=1.0, min_delay=2.0, engine=engine, fixed_point=fixed_point)
    rng = NumpyRNG(seed=98766987, parallel_safe=True)
    params = dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=5.0, tau_syn_E=5.0, tau_syn_I=5.0)
    exc = sim.Population(1200, sim.Izhikevich(**params), label="exc")
    inh = sim.Population(300, sim.Izhikevich(**params), label="inh")
    for pop in (exc, inh):
        pop.record(["v", "spikes"])
        pop.initialize(v=RandomDistribution("uniform", [-65.0, -14.0], rng=rng))
    connector = sim.FixedProbabilityConnector(0.02, rng=rng)
    for pre, weight, receptor in ((exc, 1.0, "excitatory"), (inh, 2.5, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, connector, receptor_type=receptor,
                           synapse_type=sim.StaticSynapse(weight=weight, delay=2.0))
    thalamus = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0))
    thalamus.record("spikes")
    for post in (exc, inh):
        sim.Projection(thalamus, post, sim.FixedProbabilityConnector(0.01),
                       receptor_type="excitatory", synapse_type=sim.StaticSynapse(weight=0.1))
    return exc, inh


def build_va_cuba(sim, engine, fixed_point):
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=0.1, min_delay=0.2, engine=engine, fixed_point=fixed_point)
    rng = NumpyRNG(seed=98765, parallel_safe=True)
    params = dict(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                  tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = sim.Population(3200, sim.IF_curr_exp(**params), label="exc")
    inh = sim.Population(800, sim.IF_curr_exp(**params), label="inh")
    for pop in (exc, inh):
        pop.record("spikes")
        pop.initialize(v=RandomDistribution("uniform", low=-60.0, high=-50.0, rng=rng))
    connector = sim.FixedProbabilityConnector(0.02, rng=rng)
    # va_benchmark.py's CUBA weights (nA): 0.27 nS x 60 mV, 4.5 nS x 20 mV (a magnitude)
    for pre, weight, receptor in ((exc, 0.27e-3 * 60.0, "excitatory"),
                                  (inh, 4.5e-3 * 20.0, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, connector, receptor_type=receptor,
                           synapse_type=sim.StaticSynapse(weight=weight, delay=0.2))
    return exc, inh


NETWORKS = {"seed004": build_seed004, "va_cuba": build_va_cuba}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("network", choices=sorted(NETWORKS))
    p.add_argument("--engine", default="auto", choices=("auto", "numba", "numpy"))
    p.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    p.add_argument("--float", action="store_true", help="fixed_point=False")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    import pyNN.tinysim.spinnaker as sim
    t1 = time.perf_counter()
    pops = NETWORKS[args.network](sim, args.engine, not args.float)
    t2 = time.perf_counter()
    sim.run(args.duration)
    t3 = time.perf_counter()
    spikes = {pop.label: sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains)
              for pop in pops}
    t4 = time.perf_counter()
    rates = {label: n / pop.size / (args.duration / 1000.0)
             for (label, n), pop in zip(spikes.items(), pops)}
    print(json.dumps(dict(network=args.network, engine=args.engine, fixed_point=not args.float,
                          duration_ms=args.duration, import_s=round(t1 - t0, 3),
                          build_s=round(t2 - t1, 3), run_s=round(t3 - t2, 3),
                          data_s=round(t4 - t3, 3), spikes=spikes,
                          rates_hz={k: round(v, 3) for k, v in rates.items()})))
    sim.end()


if __name__ == "__main__":
    main()
