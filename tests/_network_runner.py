"""Run one of the benchmark networks on a backend and dump its spikes as JSON.

Used by test_networks_vs_nest.py, which runs NEST in a subprocess of its own::

    python _network_runner.py SIMULATOR NETWORK N DURATION SEED OUT.json

NETWORK: ``CUBA`` or ``COBA`` (benchmarks/va_benchmark.py) or ``seed004``
(benchmarks/seed004_izhikevich.py). On nest the grid-based models are used
(spike_precision='on_grid'), which is what tinysim implements. Exit status 3
means the backend could not be imported.
"""

import importlib
import importlib.util
import json
import pathlib
import sys

BENCHMARKS = pathlib.Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(simulator, network, n, duration, seed):
    sim = importlib.import_module("pyNN." + simulator)
    from pyNN.random import NumpyRNG, RandomDistribution
    extra = {"spike_precision": "on_grid"} if simulator == "nest" else {}
    if network == "seed004":
        model = _load("seed004_izhikevich")
        sim.setup(timestep=model.DT, min_delay=model.DELAY, max_delay=model.DELAY,
                  rng_seed=seed, **extra)
        pops, _ = model.build(sim, NumpyRNG, RandomDistribution, n, seed, 1.0)
    else:
        model = _load("va_benchmark")
        sim.setup(timestep=model.DT, min_delay=model.DELAY, max_delay=model.MAX_DELAY,
                  rng_seed=seed, **extra)
        pops, _ = model.build(sim, NumpyRNG, RandomDistribution, network, n, seed)
    sim.run(duration)
    result = {}
    for label, pop in pops.items():
        trains = pop.get_data("spikes").segments[0].spiketrains
        result[label] = [[float(t) for t in train.magnitude] for train in trains]
    sim.end()
    return result


if __name__ == "__main__":
    simulator, network, n, duration, seed, out = sys.argv[1:7]
    try:
        importlib.import_module("pyNN." + simulator)
    except ImportError as err:
        print(f"cannot import pyNN.{simulator}: {err}", file=sys.stderr)
        sys.exit(3)
    data = run(simulator, network, int(n), float(duration), int(seed))
    pathlib.Path(out).write_text(json.dumps(data))
