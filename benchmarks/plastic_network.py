"""A plastic network for timing the plastic delivery: 1000 Poisson inputs (10 Hz) onto
200 IF_curr_exp cells, FixedProbabilityConnector(0.2) (~40,000 plastic synapses).

    python benchmarks/plastic_network.py RULE ENGINE SECONDS [--profile] [--spinnaker]

RULE: ``additive``, ``multiplicative`` or ``gutig`` (STDPMechanism(SpikePairRule, ...),
Gutig: mu_plus 0.4, mu_minus 0.6), ``tau_classes`` (additive STDP, tau_plus and tau_minus
per synapse in four classes each), ``tau_continuous`` (the same, tau_plus and tau_minus
from uniform distributions: more values than a decay table has rows), ``tm``
(TsodyksMarkramSynapse), ``tm_continuous`` (the same, tau_rec and tau_facil per synapse
from uniform distributions: more values than a decay table has rows),
``stochastic`` (SimpleStochasticSynapse, p = 0.5) or
``stochastic_tm`` (StochasticTsodyksMarkramSynapse) or ``multi_quantal``
(MultiQuantalSynapse, n 3); ENGINE: ``numpy`` or ``numba`` (pyNN.tinysim's engines), or
``nest`` (the same script on pyNN.nest, spike_precision "on_grid", for the ratio).
Prints the run phase's wall and CPU time (kernels loaded beforehand, so it holds no
compilation or loading), the spike counts and a checksum of the final weights (equal
on both tinysim engines; NEST draws its own Poisson spikes). ``--profile``: cProfile
of the run phase, the 12 costliest functions by own time. ``--spinnaker``: the same
network on the sPyNNaker flavour (``pyNN.tinysim.spinnaker``, dt 1 ms as sPyNNaker
runs it, s16.15 fixed point, the board's 16-bit plastic weights; RULE additive or
multiplicative: sPyNNaker's SpikePairRule; ``recurrent`` or ``recurrent_dual``: its
extra_models.RecurrentRule, pre_stochastic or dual_fsm, multiplicative; ``--float``:
the flavour's float mode, float64 weights). ``--step-loop`` (engine numba): compiled
stretches off, the step loop with the compiled kernels (for the ratio to stretches).
Rules with a per-synapse state (Tsodyks-Markram's u/x/y, the stochastic ones' u/R/
t_surv, MultiQuantal's u/a) print its sums too (equal on both engines).
"""

import importlib
import sys
import time

import numpy as np


def build(sim, rule, engine, spinnaker=False, fixed_point=True):
    if spinnaker:
        sim.setup(timestep=1.0, min_delay=1.0, engine=engine, rng_seed=1,
                  fixed_point=fixed_point)
    elif engine == "nest":
        sim.setup(timestep=0.1, min_delay=0.1, spike_precision="on_grid", rng_seed=1,
                  verbosity="error")
    else:
        sim.setup(timestep=0.1, min_delay=0.1, engine=engine, rng_seed=1)
    inputs = sim.Population(1000, sim.SpikeSourcePoisson(rate=10.0))
    cells = sim.Population(200, sim.IF_curr_exp(tau_m=20.0))
    if rule == "tm":
        synapse = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=50.0,
                                            weight=0.3, delay=1.0)
    elif rule == "tm_continuous":
        synapse = sim.TsodyksMarkramSynapse(
            U=0.5, tau_rec=sim.RandomDistribution("uniform", low=50.0, high=150.0,
                                                  rng=sim.NumpyRNG(2)),
            tau_facil=sim.RandomDistribution("uniform", low=25.0, high=75.0,
                                             rng=sim.NumpyRNG(3)),
            weight=0.3, delay=1.0)
    elif rule == "stochastic":
        synapse = sim.SimpleStochasticSynapse(p=0.5, weight=0.3, delay=1.0)
    elif rule == "stochastic_tm":
        synapse = sim.StochasticTsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=50.0,
                                                      weight=0.3, delay=1.0)
    elif rule == "multi_quantal":
        synapse = sim.MultiQuantalSynapse(U=0.5, n=3, tau_rec=100.0, tau_facil=50.0,
                                          weight=0.1, delay=1.0)
    elif rule in ("recurrent", "recurrent_dual"):
        # the flavour's extra_models.RecurrentRule (pre_stochastic or dual_fsm), with
        # PyNNExamples' stdp_associative_memory.py's accumulators and windows
        synapse = sim.STDPMechanism(
            timing_dependence=sim.extra_models.RecurrentRule(
                accumulator_depression=-6, accumulator_potentiation=3, mean_pre_window=10.0,
                mean_post_window=10.0, dual_fsm=rule == "recurrent_dual", A_plus=0.2,
                A_minus=0.2),
            weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=0.3),
            weight=0.12, delay=1.0)
    else:
        # (by name: the sPyNNaker flavour has no GutigWeightDependence)
        dependence = getattr(sim, {"additive": "AdditiveWeightDependence",
                                   "tau_classes": "AdditiveWeightDependence",
                                   "tau_continuous": "AdditiveWeightDependence",
                                   "multiplicative": "MultiplicativeWeightDependence",
                                   "gutig": "GutigWeightDependence"}[rule])
        extra = dict(mu_plus=0.4, mu_minus=0.6) if rule == "gutig" else {}
        tau_plus = tau_minus = 20.0
        if rule == "tau_classes":
            tau_plus = sim.RandomDistribution("uniform_int", low=15, high=19,
                                              rng=sim.NumpyRNG(2))
            tau_minus = sim.RandomDistribution("uniform_int", low=20, high=24,
                                               rng=sim.NumpyRNG(3))
        elif rule == "tau_continuous":
            tau_plus = sim.RandomDistribution("uniform", low=15.0, high=19.0,
                                              rng=sim.NumpyRNG(2))
            tau_minus = sim.RandomDistribution("uniform", low=20.0, high=24.0,
                                               rng=sim.NumpyRNG(3))
        synapse = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(tau_plus=tau_plus, tau_minus=tau_minus,
                                                A_plus=0.01, A_minus=0.012),
            weight_dependence=dependence(w_min=0.0, w_max=0.3, **extra), weight=0.12,
            delay=1.0)
    projection = sim.Projection(inputs, cells,
                                sim.FixedProbabilityConnector(0.2, rng=sim.NumpyRNG(1)),
                                synapse, receptor_type="excitatory")
    inputs.record("spikes")
    cells.record("spikes")
    return inputs, cells, projection


def main(argv):
    if "--step-loop" not in argv:
        return _main(argv)
    # (stretches off for this run only: a process running several, as
    # tests/test_kernel_loading.py does, gets them back)
    from pynn_tinysim.engine.stretch import CompiledStretch
    for_run = CompiledStretch.__dict__["for_run"]
    CompiledStretch.for_run = classmethod(lambda cls, *args, **kwargs: None)
    try:
        return _main(argv)
    finally:
        CompiledStretch.for_run = for_run


def _main(argv):
    rule, engine, seconds = argv[1], argv[2], float(argv[3])
    spinnaker = "--spinnaker" in argv
    sim = importlib.import_module("pyNN.nest" if engine == "nest" else
                                  "pyNN.tinysim.spinnaker" if spinnaker else "pyNN.tinysim")
    inputs, cells, projection = build(sim, rule, engine, spinnaker, "--float" not in argv)
    # loads (and compiles, the first time) the kernels (numba) outside the timing
    sim.run(sim.get_time_step())
    start, start_cpu = time.perf_counter(), time.process_time()
    if "--profile" in argv:
        import cProfile
        import pstats
        profile = cProfile.Profile()
        profile.runcall(sim.run, seconds * 1000.0)
        pstats.Stats(profile).sort_stats("tottime").print_stats(12)
    else:
        sim.run(seconds * 1000.0)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    n_in = sum(len(s) for s in inputs.get_data().segments[0].spiketrains)
    n_out = sum(len(s) for s in cells.get_data().segments[0].spiketrains)
    weights = np.asarray(projection.get("weight", format="list", with_address=False))
    flavour = " spinnaker" if spinnaker else ""
    flavour += " step loop" if "--step-loop" in argv else ""
    flavour += " float" if "--float" in argv else ""
    state = getattr(getattr(projection, "_engine_block", None), "state", {})
    sums = "".join(f", {name} sum {float(values.sum())!r}" for name, values in state.items())
    print(f"{rule}{flavour} {engine} {seconds:g} s: run {wall:.2f} s (CPU {cpu:.2f} s), input spikes {n_in}, "
          f"output spikes {n_out}, synapses {len(projection)}, "
          f"weight sum {float(weights.sum())!r}{sums}")


if __name__ == "__main__":
    main(sys.argv)
