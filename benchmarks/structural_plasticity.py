#!/usr/bin/env python
"""The sPyNNaker flavour's structural plasticity, per engine: a network built as
PyNNExamples' ``structural_plasticity_with_stdp_2d.py`` (and its static twin)::

    python benchmarks/structural_plasticity.py --engine numba --duration 10000
    python benchmarks/structural_plasticity.py --engine numpy --stdp

256 Poisson sources at 10 Hz onto 256 ``IF_curr_exp`` cells on a 16 x 16 grid, no
initial connections, ``StructuralMechanismStatic`` (or, with ``--stdp``,
``StructuralMechanismSTDP`` with SpikePairRule and additive weights):
LastNeuronSelection, DistanceDependentFormation (sigma 2.5), RandomByWeightElimination
(sPyNNaker's defaults), s_max 32, f_rew 10 kHz (10 attempts per 1 ms step), initial
weight 2.0 and delay 5 ms; plus 256 Poisson cells at 20 Hz one to one onto the
targets, so that they spike. dt = 1 ms, s16.15 fixed point.

Prints one JSON dict: build and run wall times (s), target spikes, connections at the end,
rewiring counts.
"""

import argparse
import json
import time


def build(sim, engine, stdp, fixed_point):
    sim.setup(timestep=1.0, engine=engine, fixed_point=fixed_point, rng_seed=1)
    stim = sim.Population(256, sim.SpikeSourcePoisson(rate=10.0), label="stim")
    drive = sim.Population(256, sim.SpikeSourcePoisson(rate=20.0), label="drive")
    pop = sim.Population(256, sim.IF_curr_exp(), label="pop")
    pop.record("spikes")
    sim.Projection(drive, pop, sim.OneToOneConnector(), sim.StaticSynapse(weight=3.0))
    args = (sim.LastNeuronSelection(),
            sim.DistanceDependentFormation(grid=[16, 16], sigma_form_forward=2.5),
            sim.RandomByWeightElimination(threshold=1.0))
    kwargs = dict(f_rew=10 ** 4, initial_weight=2.0, initial_delay=5.0, s_max=32, seed=0,
                  weight=2.0, delay=5.0)
    if stdp:
        mechanism = sim.StructuralMechanismSTDP(
            *args, timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                                       A_plus=0.02, A_minus=0.02),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=5.0), **kwargs)
    else:
        mechanism = sim.StructuralMechanismStatic(*args, **kwargs)
    projection = sim.Projection(stim, pop, sim.FromListConnector([]),
                                synapse_type=mechanism)
    return pop, projection


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="numba", choices=("numpy", "numba", "auto"))
    parser.add_argument("--duration", type=float, default=10000.0)
    parser.add_argument("--stdp", action="store_true")
    parser.add_argument("--float", action="store_true", help="float64 rather than s16.15")
    args = parser.parse_args()
    import pyNN.tinysim.spinnaker as sim
    t0 = time.perf_counter()
    pop, projection = build(sim, args.engine, args.stdp, not args.float)
    t1 = time.perf_counter()
    sim.run(args.duration)
    t2 = time.perf_counter()
    spikes = sum(len(st) for st in pop.get_data("spikes").segments[0].spiketrains)
    rewiring = projection._block.rewiring
    result = dict(engine=args.engine, stdp=args.stdp, duration_ms=args.duration,
                  build_s=round(t1 - t0, 3), run_s=round(t2 - t1, 3), spikes=spikes,
                  connections=len(projection), attempts=rewiring.n_attempts,
                  formed=rewiring.n_formed, eliminated=rewiring.n_eliminated)
    sim.end()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
