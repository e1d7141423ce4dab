#!/usr/bin/env python
"""NumPy against compiled engine for the neuron families compiled last (issue 13).

Each case is 1000 cells driven by Poisson noise and recurrent connections, spikes
recorded, run for ``--duration`` ms; one process per case and engine::

    python benchmarks/families_13.py adexp_multi --engine numba --duration 10000

* ``adexp_multi``: PointNeuron(AdExp, AMPA=alpha, NMDA=alpha, GABA=exp) (NEST's
  aeif_cond_alpha_multisynapse kin), dt 0.1 ms;
* ``ca2_adaptive``: the sPyNNaker flavour's IFCurrExpCa2Adaptive (fixed point),
  dt 1 ms;
* ``fixed_prob``: the flavour's IFCurrDeltaFixedProb (fixed point; its keyed draws
  per cell and tick at or above threshold), dt 1 ms;
* ``gsyn_interval``: the flavour's IF_curr_exp (fixed point), dt 0.1 ms, v and gsyn
  recorded every 1 ms (gsyn at intervals above one tick, sampled inside stretches);
* ``maass``: 400 of the flavour's IFCondExpStoc cells (fixed point; ``--float``: float64),
  dt 1 ms, i_offset holding v a few mV under v_thresh, where the Maass threshold's
  draw of every cell and tick decides.

Prints one JSON dict: the run's CPU time (``time.process_time``, s) and wall time,
the spike count, and the engine that ran.
"""

import argparse
import json
import time

N = 1000


def _drive(sim, cells, receptors, weights, rng):
    noise = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0))
    for receptor, w in zip(receptors, weights):
        sim.Projection(noise, cells, sim.FixedProbabilityConnector(0.05, rng=rng),
                       sim.StaticSynapse(weight=w, delay=1.0), receptor_type=receptor)
        sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.02, rng=rng),
                       sim.StaticSynapse(weight=w * 0.5, delay=2.0), receptor_type=receptor)


def build_adexp_multi(engine):
    import pyNN.tinysim as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=0.1, min_delay=0.1, engine=engine, rng_seed=3)
    cells = sim.Population(N, sim.PointNeuron(
        sim.AdExp(tau_refrac=2.0, i_offset=0.4, a=4.0, b=0.05),
        AMPA=sim.AlphaPSR(tau_syn=1.0, e_syn=0.0), NMDA=sim.AlphaPSR(tau_syn=20.0, e_syn=0.0),
        GABA=sim.ExpPSR(tau_syn=5.0, e_syn=-75.0)))
    _drive(sim, cells, ["AMPA", "NMDA", "GABA"], [0.003, 0.0005, 0.008], NumpyRNG(seed=1))
    return sim, cells


def build_ca2_adaptive(engine):
    import pyNN.tinysim.spinnaker as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=1.0, min_delay=1.0, engine=engine, rng_seed=3)
    cells = sim.Population(N, sim.extra_models.IFCurrExpCa2Adaptive(
        i_offset=0.6, tau_ca2=50.0, i_alpha=0.1, tau_refrac=2.0))
    _drive(sim, cells, ["excitatory", "inhibitory"], [0.8, 0.5], NumpyRNG(seed=1))
    return sim, cells


def build_fixed_prob(engine):
    import pyNN.tinysim.spinnaker as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=1.0, min_delay=1.0, engine=engine, rng_seed=3)
    cells = sim.Population(N, sim.extra_models.IFCurrDeltaFixedProb(
        tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-55.0, i_offset=0.4,
        tau_refrac=2.0, p_thresh=0.3))
    _drive(sim, cells, ["excitatory", "inhibitory"], [1.5, 1.0], NumpyRNG(seed=1))
    return sim, cells


def build_gsyn_interval(engine):
    import pyNN.tinysim.spinnaker as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=0.1, min_delay=0.1, engine=engine, rng_seed=3)
    cells = sim.Population(N, sim.IF_curr_exp(i_offset=0.6, tau_refrac=2.0))
    _drive(sim, cells, ["excitatory", "inhibitory"], [0.8, 0.5], NumpyRNG(seed=1))
    cells.record(["v", "gsyn_exc", "gsyn_inh"], sampling_interval=1.0)
    return sim, cells


def build_maass(engine, fixed_point=True):
    import pyNN.tinysim.spinnaker as sim
    from pyNN.random import NumpyRNG
    sim.setup(timestep=1.0, min_delay=1.0, engine=engine, rng_seed=3, fixed_point=fixed_point)
    cells = sim.Population(400, sim.extra_models.IFCondExpStoc(
        i_offset=0.6, tau_refrac=2.0, v_reset=-70.0))
    _drive(sim, cells, ["excitatory", "inhibitory"], [0.01, 0.02], NumpyRNG(seed=1))
    return sim, cells


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case", choices=["adexp_multi", "ca2_adaptive", "fixed_prob", "gsyn_interval",
                                           "maass"])
    parser.add_argument("--engine", default="numba")
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--float", action="store_true", help="fixed_point=False (maass)")
    args = parser.parse_args()
    build = globals()["build_" + args.case]
    sim, cells = build(args.engine, False) if args.float else build(args.engine)
    cells.record("spikes")
    cpu, wall = time.process_time(), time.perf_counter()
    sim.run(args.duration)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    from pynn_tinysim import simulator
    spikes = sum(len(t) for t in cells.get_data("spikes").segments[0].spiketrains)
    print(json.dumps({"case": args.case, "engine": args.engine,
                      "engine_ran": simulator.state.network.engine, "float": args.float,
                      "duration_ms": args.duration, "run_cpu_s": round(cpu, 3),
                      "run_wall_s": round(wall, 3), "spikes": spikes}))
    sim.end()


if __name__ == "__main__":
    main()
