#!/usr/bin/env python
"""The sPyNNaker flavour's neuromodulated STDP, per engine (fixed point or float)::

    python benchmarks/neuromodulation.py --engine numba --duration 10000
    python benchmarks/neuromodulation.py --engine numpy --float

Network: 100 Poisson inputs at 10 Hz onto 30 IF_curr_exp cells (i_offset 0.5 nA, so
they fire) through all-to-all SpikePairRule STDP (additive, weights 0 to 2, delay 1 ms,
3 000 synapses), made neuromodulated by two Neuromodulation projections (25
synapses each, tau_c 1000 ms, tau_d 200 ms): a reward source at 2 Hz onto cells 0-24
and a punishment source at 1 Hz onto cells 5-29 (cells 5-24 get both). dt 1 ms.

Prints one JSON dict: build and run wall times, the run's CPU time (s; the fairer
figure on a loaded machine), output spikes, the weights' sum, and with the compiled
engine the first call of each compiled delivery, wall and CPU (its one-time
compilation, or loading it from the cache: set NUMBA_CACHE_DIR to a fresh directory
to measure compilation).
A short warm-up run (same network, 10 ms) loads the kernels before the timed one,
unless --cold.
"""

import argparse
import json
import time


def build(sim, engine, fixed_point):
    sim.setup(timestep=1.0, min_delay=1.0, rng_seed=11, engine=engine, fixed_point=fixed_point)
    inputs = sim.Population(100, sim.SpikeSourcePoisson(rate=10.0))
    reward = sim.Population(1, sim.SpikeSourcePoisson(rate=2.0))
    punishment = sim.Population(1, sim.SpikeSourcePoisson(rate=1.0))
    cells = sim.Population(30, sim.IF_curr_exp(i_offset=0.5, tau_refrac=2.0), label="cells")
    cells.record("spikes")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=16.7, tau_minus=33.7, A_plus=0.05,
                                            A_minus=0.05),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=0.5, delay=1.0)
    plastic = sim.Projection(inputs, cells, sim.AllToAllConnector(), stdp)
    modulation = sim.extra_models.Neuromodulation(weight=0.05, tau_c=1000.0, tau_d=200.0,
                                                  w_max=2.0)
    sim.Projection(reward, cells, sim.FromListConnector([(0, i, 0.05, 1.0) for i in range(25)]),
                   modulation, receptor_type="reward")
    sim.Projection(punishment, cells,
                   sim.FromListConnector([(0, i, 0.05, 1.0) for i in range(5, 30)]),
                   modulation, receptor_type="punishment")
    return cells, plastic


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="numba", choices=("numpy", "numba"))
    parser.add_argument("--float", action="store_true", help="setup(fixed_point=False)")
    parser.add_argument("--duration", type=float, default=10000.0, help="ms")
    parser.add_argument("--cold", action="store_true", help="no warm-up run")
    args = parser.parse_args()
    import numpy as np
    import pyNN.tinysim.spinnaker as sim
    from pynn_tinysim.engine.spinnaker import neuromodulation as nm

    first_calls = {}
    for cls in (nm.NeuromodulatedSTDP, nm.NeuromodulationSynapses):
        original = cls.compiled_deliver

        def timed(self, kernels, original=original, name=cls.__name__):
            deliver = original(self, kernels)
            if deliver is None or name in first_calls:
                return deliver

            def first(*a):
                t, c = time.perf_counter(), time.process_time()
                deliver(*a)
                first_calls.setdefault(name, (time.perf_counter() - t,
                                              time.process_time() - c))
            return lambda *a: deliver(*a) if name in first_calls else first(*a)
        cls.compiled_deliver = timed

    if not args.cold:
        build(sim, args.engine, not args.float)
        sim.run(10.0)
        sim.end()
    t0 = time.perf_counter()
    cells, plastic = build(sim, args.engine, not args.float)
    t1 = time.perf_counter()
    c1 = time.process_time()
    sim.run(args.duration)
    t2 = time.perf_counter()
    c2 = time.process_time()
    spikes = sum(len(st) for st in cells.get_data("spikes").segments[0].spiketrains)
    weights = np.asarray(plastic.get("weight", "list", with_address=False))
    print(json.dumps({
        "engine": args.engine, "fixed_point": not args.float, "duration_ms": args.duration,
        "synapses": int(weights.size) + 50, "build_s": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 3), "run_cpu_s": round(c2 - c1, 3), "spikes": spikes,
        "weight_sum": float(weights.sum()), "compiled": "NeuromodulatedSTDP" in first_calls,
        "first_call_wall_cpu_s": {k: [round(v, 3) for v in wall_cpu]
                                  for k, wall_cpu in first_calls.items()}}))
    sim.end()


if __name__ == "__main__":
    main()
