#!/usr/bin/env python
"""Bit-identity fixtures: spike trains and v samples of small reference networks.

The refactors of issue 11 (one synapse-block interface, declared neuron state, a
connector registry) must change no result. This script runs a few small networks
that between them exercise every path those refactors touch (static and plastic
synapses, current- and conductance-based LIF, Izhikevich delta synapses, Poisson
sources, the sPyNNaker flavour) and stores what they produce; the test
``tests/test_bit_identity.py`` runs the same networks and asserts exact equality.

The fixtures were generated from main at commit 8b1ed90 (before the refactor)::

    PYTHONPATH=$PWD python tests/data/make_regression_fixtures.py

``regression_plastic.npz`` and ``regression_spinnaker_seed004.npz`` were regenerated
from the fidelity branch (issue 12, before it was merged with the refactor): NEST's
plasticity timing (a weight changes only when a presynaptic spike is processed) and
the board's arithmetic (truncating accum multiply, gsyn/v tick alignment) change
them on purpose; the merged tree reproduces them bit for bit.

Three of them depend on the CPU through NumPy: where NumPy dispatches its AVX-512 exp
and expm1 (x86 with AVX512_SKX), the propagators and decays those networks compute
differ in the last bit from the C library's, which NumPy uses elsewhere (AVX2-only x86,
and so the results do). Those networks (``EXP_DEPENDENT``) have one file per dispatch,
``regression_<name>.<dispatch>.npz`` with ``<dispatch>`` from :func:`exp_dispatch`;
the C library's set is made on an AVX-512 machine by hiding the features from NumPy::

    NPY_DISABLE_CPU_FEATURES="AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL" \
        PYTHONPATH=$PWD python tests/data/make_regression_fixtures.py va_cuba va_coba plastic

Regenerate them only for a change that is *meant* to alter results, and say so in
the commit message. Each network is one ``.npz`` file in this folder with, per
recorded Population, ``<label>_spike_index``/``<label>_spike_time`` (every spike,
cell index and time in ms, ordered by cell then time) and, where recorded,
``<label>_v`` (the membrane potential of a few cells, every sample).
"""

import importlib
import importlib.util
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
BENCHMARKS = HERE.parent.parent / "benchmarks"


def _benchmark(name):
    spec = importlib.util.spec_from_file_location(f"_fixture_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _va(sim, benchmark):
    """VA CUBA or COBA (benchmarks/va_benchmark.py) with 800 cells, 300 ms; v of 5 cells."""
    from pyNN.random import NumpyRNG, RandomDistribution
    model = _benchmark("va_benchmark")
    sim.setup(timestep=model.DT, min_delay=model.DELAY, max_delay=model.MAX_DELAY,
              rng_seed=98765)
    pops, _ = model.build(sim, NumpyRNG, RandomDistribution, benchmark, 800, 98765)
    pops["exc"][:5].record("v")
    sim.run(300.0)
    return {"exc": pops["exc"], "inh": pops["inh"]}


def va_cuba(sim):
    return _va(sim, "CUBA")


def va_coba(sim):
    """COBA includes the 20 Poisson sources of its initial kick."""
    return _va(sim, "COBA")


def seed004(sim):
    """The seed-004 Izhikevich network (benchmarks/seed004_izhikevich.py), 1000 cells, 500 ms."""
    from pyNN.random import NumpyRNG, RandomDistribution
    model = _benchmark("seed004_izhikevich")
    sim.setup(timestep=model.DT, min_delay=model.DELAY, max_delay=model.DELAY,
              rng_seed=98766987)
    pops, _ = model.build(sim, NumpyRNG, RandomDistribution, 1000, 98766987, 1.0)
    pops["exc"][:5].record("v")
    sim.run(500.0)
    return pops


def plastic(sim):
    """Poisson -> IF_cond_exp with STDP, and a Tsodyks-Markram projection beside it; 400 ms.

    Weights after the run are stored too (``stdp_weight``), since STDP changes them.
    """
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=0.1, min_delay=0.1, max_delay=2.0, rng_seed=4242)
    rng = NumpyRNG(seed=4242)
    src = sim.Population(100, sim.SpikeSourcePoisson(rate=20.0), label="src")
    post = sim.Population(50, sim.IF_cond_exp(tau_refrac=2.0), label="post")
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0,
                                            A_plus=0.01, A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.02),
        weight=RandomDistribution("uniform", (0.004, 0.012), rng=rng),
        delay=RandomDistribution("uniform", (0.1, 2.0), rng=rng))
    prj = sim.Projection(src, post, sim.FixedProbabilityConnector(0.3, rng=rng), stdp,
                         receptor_type="excitatory")
    tm = sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=10.0, weight=0.02, delay=1.0)
    sim.Projection(src, post, sim.FixedProbabilityConnector(0.1, rng=rng), tm,
                   receptor_type="inhibitory")
    post.record("spikes")
    src.record("spikes")
    post[:3].record("v")
    sim.run(400.0)
    pops = {"post": post, "src": src}
    pops["_stdp_weight"] = np.asarray(prj.get("weight", format="list", with_address=False),
                                      dtype=float)
    return pops


def spinnaker_seed004(sim):
    """The seed-004 notebook as written for sPyNNaker, on pyNN.tinysim.spinnaker (300 cells)."""
    from pyNN.random import NumpyRNG, RandomDistribution
    sim.setup(timestep=1.0, min_delay=2.0, max_delay=2.0)
    rng = NumpyRNG(seed=98766987, parallel_safe=True)
    params = dict(sim.Izhikevich.default_parameters)
    params["i_offset"] = 5.0
    pops = {"exc": sim.Population(240, sim.Izhikevich(**params), label="exc"),
            "inh": sim.Population(60, sim.Izhikevich(**params), label="inh")}
    uniform = RandomDistribution("uniform", [params["c"], -14.0], rng=rng)
    for pop in pops.values():
        pop.initialize(v=uniform)
        pop.record("spikes")
    pops["exc"][:5].record("v")
    conn = sim.FixedProbabilityConnector(0.1, rng=rng)
    for pre, w, receptor in (("exc", 1.0, "excitatory"), ("inh", 2.5, "inhibitory")):
        for post in ("exc", "inh"):
            sim.Projection(pops[pre], pops[post], conn, receptor_type=receptor,
                           synapse_type=sim.StaticSynapse(weight=w, delay=2.0))
    thalamus = sim.Population(20, sim.SpikeSourcePoisson(rate=100.0, duration=50.0),
                              label="thalamus")
    for post in ("exc", "inh"):
        sim.Projection(thalamus, pops[post], sim.FixedProbabilityConnector(0.01, rng=rng),
                       receptor_type="excitatory",
                       synapse_type=sim.StaticSynapse(weight=0.1, delay=2.0))
    sim.run(500.0)
    return pops


NETWORKS = {"va_cuba": va_cuba, "va_coba": va_coba, "seed004": seed004,
            "plastic": plastic, "spinnaker_seed004": spinnaker_seed004}

# The networks whose output depends on which exp NumPy dispatches (the others compute
# no exponential, or only in the flavour's fixed point).
EXP_DEPENDENT = ("va_cuba", "va_coba", "plastic")

# What NPY_DISABLE_CPU_FEATURES must hide for NumPy to use the C library's exp.
AVX512_FEATURES = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"


def exp_dispatch():
    """Which float64 exp/expm1 this NumPy runs: "avx512_skx" (its own AVX-512 code,
    SVML for expm1), "avx512f" (AVX-512 exp, C library expm1: no fixtures recorded)
    or "libm" (the C library's, as on AVX2 x86)."""
    from numpy._core._multiarray_umath import __cpu_features__ as features
    if features.get("AVX512_SKX"):
        return "avx512_skx"
    return "avx512f" if features.get("AVX512F") else "libm"


def fixture_path(name, dispatch=None):
    """The fixture file of network ``name`` for ``dispatch`` (default: this process's)."""
    if name in EXP_DEPENDENT:
        return HERE / f"regression_{name}.{dispatch or exp_dispatch()}.npz"
    return HERE / f"regression_{name}.npz"


def run_network(name):
    """Run network ``name``; return its arrays as stored in the fixture."""
    if name.startswith("spinnaker"):
        sim = importlib.import_module("pyNN.tinysim.spinnaker")
    else:
        sim = importlib.import_module("pyNN.tinysim")
    pops = NETWORKS[name](sim)
    arrays = {}
    for label, pop in pops.items():
        if label.startswith("_"):
            arrays[label[1:]] = pop
            continue
        block = pop.get_data()
        segment = block.segments[-1]
        index, times = [], []
        for i, train in enumerate(segment.spiketrains):
            t = np.asarray(train.magnitude, dtype=float)
            index.append(np.full(t.size, i, np.int64))
            times.append(t)
        arrays[f"{label}_spike_index"] = np.concatenate(index) if index else np.zeros(0, int)
        arrays[f"{label}_spike_time"] = np.concatenate(times) if times else np.zeros(0)
        for signal in segment.analogsignals:
            if signal.name == "v":
                arrays[f"{label}_v"] = np.asarray(signal.magnitude, dtype=float)
    sim.end()
    return arrays


def main(names):
    for name in names or NETWORKS:
        arrays = run_network(name)
        path = fixture_path(name)
        np.savez_compressed(path, **arrays)
        n_spikes = sum(a.size for k, a in arrays.items() if k.endswith("_spike_time"))
        print(f"{name}: {n_spikes} spikes -> {path.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
