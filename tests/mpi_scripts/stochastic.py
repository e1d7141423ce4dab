"""Stochastic synapses and the flavour's stochastic thresholds (run by tests/test_mpi.py).

Usage: python stochastic.py OUT.npz [flavour]. "nest": SimpleStochastic,
StochasticTsodyksMarkram and MultiQuantal synapses (with multapses: the same pair
connected twice) onto IF_curr_exp cells; "spinnaker": IFCurrDeltaFixedProb and
IFCondExpStoc cells driven by Poisson input. Rank 0 writes gathered results.
"""
import sys

import numpy as np
from pyNN.random import NumpyRNG, RandomDistribution

out = sys.argv[1]
flavour = sys.argv[2] if len(sys.argv) > 2 else "nest"
rng = NumpyRNG(seed=5)
if flavour == "spinnaker":
    import pyNN.tinysim.spinnaker as sim
    sim.setup(timestep=1.0, min_delay=1.0, rng_seed=17)
    inputs = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0), label="inputs")
    fixed = sim.Population(23, sim.extra_models.IFCurrDeltaFixedProb(
        v_thresh=-55.0, p_thresh=0.4, tau_refrac=1.0), label="fixed_prob")
    stoc = sim.Population(17, sim.extra_models.IFCondExpStoc(), label="stoc")
    for target, w in ((fixed, 4.0), (stoc, 0.05)):
        sim.Projection(inputs, target, sim.FixedProbabilityConnector(0.4, rng=rng),
                       sim.StaticSynapse(weight=w, delay=RandomDistribution(
                           "uniform", (1.0, 3.0), rng=rng)), receptor_type="excitatory")
    sim.Projection(fixed, stoc, sim.FixedProbabilityConnector(0.3, rng=rng),
                   sim.StaticSynapse(weight=0.02, delay=2.0), receptor_type="excitatory")
    recorded = [fixed, stoc]
else:
    import pyNN.tinysim as sim
    sim.setup(timestep=0.1, min_delay=0.5, rng_seed=17)
    inputs = sim.Population(30, sim.SpikeSourcePoisson(rate=50.0), label="inputs")
    cells = sim.Population(25, sim.IF_curr_exp(tau_refrac=2.0), label="cells")
    delay = RandomDistribution("uniform", (0.5, 2.0), rng=rng)
    for synapse in (sim.SimpleStochasticSynapse(p=0.5, weight=1.0, delay=delay),
                    sim.StochasticTsodyksMarkramSynapse(U=0.5, tau_rec=50.0, tau_facil=20.0,
                                                        weight=1.2, delay=delay),
                    sim.MultiQuantalSynapse(U=0.4, n=4, tau_rec=80.0, tau_facil=10.0,
                                            weight=0.4, delay=delay)):
        sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.3, rng=rng), synapse,
                       receptor_type="excitatory")
        # multapses: the same pairs twice, each connection its own draws
        sim.Projection(inputs, cells, sim.FixedNumberPreConnector(
            3, with_replacement=True, rng=rng), synapse, receptor_type="excitatory")
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.SimpleStochasticSynapse(p=0.7, weight=-0.8, delay=1.0),
                   receptor_type="inhibitory")
    recorded = [cells]
for pop in recorded:
    pop.record(["spikes", "v"])
sim.run(150.0)
blocks = [pop.get_data(gather=True) for pop in recorded]
if sim.rank() == 0:
    result = {"n": np.array([sim.num_processes()])}
    for pop, block in zip(recorded, blocks):
        seg = block.segments[0]
        result[pop.label + "_spikes"] = np.concatenate(
            [[-1.0, float(st.annotations["source_index"])] + list(st.magnitude)
             for st in sorted(seg.spiketrains, key=lambda s: s.annotations["source_index"])])
        sig = seg.filter(name="v")[0]
        order = np.argsort(sig.array_annotations["channel_index"])
        result[pop.label + "_v"] = sig.magnitude[:, order]
    np.savez(out, **result)
sim.end()
