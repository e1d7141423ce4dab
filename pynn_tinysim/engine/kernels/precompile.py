"""Compile the kernels before installation, for a wheel to ship.

    tinysim precompile                                # into the package
    tinysim precompile --out DIR --jobs 2
    tinysim precompile --families IF_curr_exp HH_cond_exp
    python -m pynn_tinysim.engine.kernels.precompile  # the same, without the command

then ``pip wheel .`` (or ``python -m build``) packs ``precompiled/`` (which
:mod:`.shipped` loads) with the modules, in a wheel tagged for this interpreter and
platform (.ci/hatch_build.py). Run from a source checkout, on the platform (OS,
machine, Python version, Numba version) the wheel is for: the code is valid for
exactly those. A wheel installed with another
Numba version finds no kernel of its stamp there and compiles, as without them.

Numba compiles one version of a kernel per type of its arguments: the compiled
stretch of a network of one neuron family differs by which optional parts the
network has (Poisson sources, sampled signals, current sources, per-neuron
parameters, plastic synapses; see kernels/stretch.py). So each family
(:data:`FAMILIES`: PyNN's standard cells, the multisynapse PointNeurons, the
sPyNNaker flavour's cells in fixed point and float) runs small networks: the eight
combinations of Poisson or spike-array input, a sampled ``v`` or not, a current
source or not; three sampling two or three variables (``v``, ``gsyn_exc``,
``gsyn_inh`` for most); two with a parameter varied per cell (:data:`VARIANTS`); then
its plastic rules' networks (:data:`PLASTIC`); a few milliseconds of biology each,
on the compiled engine, in one process per family, ``--jobs`` at a time, with Numba
targeting :data:`.shipped.PORTABLE`'s CPU for this architecture and a fresh cache.
That cache's ``tinysim-<stamp>`` directory then replaces the output's (any other
stamp there is stale: removed). A network the set does not cover compiles what it
lacks at its first run, as without precompiled kernels: the threaded variants
(``setup(threads=N)``), MPI runs' kernels, several neuron families in one network
(the step loop's per-group kernels of a family are covered, their combinations'
stretches are not needed), other plastic rules and feature combinations.
"""

import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time

from . import shipped

MODULE = "pynn_tinysim.engine.kernels.precompile"

#: family -> (PyNN module, cell type, a parameter varied per cell, the weight of its
#: synapses); the cell type: a name of the module's, or (neuron, response) for a
#: multisynapse PointNeuron with receptors AMPA and GABA
FAMILIES = {
    "IF_curr_exp": ("pyNN.tinysim", "IF_curr_exp", "cm", 0.5),
    "IF_curr_alpha": ("pyNN.tinysim", "IF_curr_alpha", "cm", 0.5),
    "IF_curr_delta": ("pyNN.tinysim", "IF_curr_delta", "cm", 0.5),
    "Izhikevich": ("pyNN.tinysim", "Izhikevich", "a", 0.5),
    "IF_cond_exp": ("pyNN.tinysim", "IF_cond_exp", "cm", 0.01),
    "IF_cond_alpha": ("pyNN.tinysim", "IF_cond_alpha", "cm", 0.01),
    "HH_cond_exp": ("pyNN.tinysim", "HH_cond_exp", "cm", 0.01),
    "EIF_cond_exp_isfa_ista": ("pyNN.tinysim", "EIF_cond_exp_isfa_ista", "cm", 0.01),
    "EIF_cond_alpha_isfa_ista": ("pyNN.tinysim", "EIF_cond_alpha_isfa_ista", "cm", 0.01),
    "IF_cond_exp_gsfa_grr": ("pyNN.tinysim", "IF_cond_exp_gsfa_grr", "cm", 0.01),
    "GIF_cond_exp": ("pyNN.tinysim", "GIF_cond_exp", "cm", 0.01),
    "LIF_multi_curr_exp": ("pyNN.tinysim", ("LIF", "CurrExpPostSynapticResponse"), "cm", 0.5),
    "LIF_multi_cond_exp": ("pyNN.tinysim", ("LIF", "CondExpPostSynapticResponse"), "cm", 0.01),
    "AdExp_multi_cond_exp": ("pyNN.tinysim", ("AdExp", "CondExpPostSynapticResponse"), "cm",
                             0.01),
    "spinnaker_IF_curr_exp": ("pyNN.tinysim.spinnaker", "IF_curr_exp", "cm", 0.5),
    "spinnaker_IF_cond_exp": ("pyNN.tinysim.spinnaker", "IF_cond_exp", "cm", 0.01),
    "spinnaker_Izhikevich": ("pyNN.tinysim.spinnaker", "Izhikevich", "a", 0.5),
    "spinnaker_float_IF_curr_exp": ("pyNN.tinysim.spinnaker", "IF_curr_exp", "cm", 0.5),
}
#: setup() options of a family (the flavour's float mode)
SETUP = {"spinnaker_float_IF_curr_exp": {"fixed_point": False}}

#: the networks each family runs: (Poisson input rather than a spike array, the number
#: of state variables sampled (v first, then the cell type's next recordables: the
#: stretch pads its recorders to 1, 2, 4 or 8, one signature each), a current source,
#: a parameter varied per cell)
VARIANTS = [(poisson, sampled, current, False)
            for poisson in (True, False) for sampled in (1, 0)
            for current in (False, True)] \
    + [(True, 2, False, False), (True, 3, False, False), (False, 3, False, False)] \
    + [(True, 1, False, True), (False, 0, False, True)]

#: plastic networks (Poisson or spike-array input through the rule, spikes recorded):
#: (rule, family)
PLASTIC = [(rule, "IF_curr_exp") for rule in (
               "stdp_additive", "stdp_multiplicative", "tsodyks_markram",
               "simple_stochastic", "stochastic_tm", "multi_quantal")] \
    + [("stdp_additive", "IF_cond_exp"), ("tsodyks_markram", "IF_cond_exp")] \
    + [(rule, family) for family in ("spinnaker_IF_curr_exp", "spinnaker_float_IF_curr_exp")
       for rule in ("stdp_additive", "stdp_multiplicative")] \
    + [("recurrent", "spinnaker_IF_curr_exp")]


def _plastic(sim, rule, weight):
    """The synapse type of ``rule`` (a name in :data:`PLASTIC`)."""
    if rule == "tsodyks_markram":
        return sim.TsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=50.0,
                                         weight=weight, delay=1.0)
    if rule == "simple_stochastic":
        return sim.SimpleStochasticSynapse(p=0.5, weight=weight, delay=1.0)
    if rule == "stochastic_tm":
        return sim.StochasticTsodyksMarkramSynapse(U=0.5, tau_rec=100.0, tau_facil=50.0,
                                                   weight=weight, delay=1.0)
    if rule == "multi_quantal":
        return sim.MultiQuantalSynapse(U=0.5, n=3, tau_rec=100.0, tau_facil=50.0,
                                       weight=weight, delay=1.0)
    if rule == "recurrent":         # the flavour's extra_models.RecurrentRule
        timing = sim.extra_models.RecurrentRule(
            accumulator_depression=-6, accumulator_potentiation=3, mean_pre_window=10.0,
            mean_post_window=10.0, A_plus=0.2, A_minus=0.2)
    else:
        timing = sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                   A_minus=0.012)
    dependence = (sim.AdditiveWeightDependence if rule == "stdp_additive"
                  else sim.MultiplicativeWeightDependence)
    return sim.STDPMechanism(timing_dependence=timing,
                             weight_dependence=dependence(w_min=0.0, w_max=2 * weight),
                             weight=weight, delay=1.0)


def run_network(family, poisson, sampled, current, varied, plastic=None):
    """One small network of ``family`` (a key of :data:`FAMILIES`) with the given
    optional parts, run briefly on this process's compiled engine (20 ms; 200 ms with
    a ``plastic`` rule of :data:`PLASTIC`, long enough for RecurrentRule's log to
    compact); returns the cells' recorded data (a neo Block)."""
    import importlib

    import numpy as np
    module, cell, varied_name, weight = FAMILIES[family]
    sim = importlib.import_module(module)
    spinnaker = module.endswith("spinnaker")
    sim.setup(timestep=1.0 if spinnaker else 0.1, min_delay=1.0, **SETUP.get(family, {}))
    if isinstance(cell, str):
        cell_type = getattr(sim, cell)()
        receptors = ("excitatory", "inhibitory")
        current_based = not cell_type.conductance_based
    else:
        neuron, response = cell
        current_based = response.startswith("Curr")

        def reversal(e_syn):
            return {} if current_based else {"e_syn": e_syn}
        cell_type = sim.PointNeuron(
            getattr(sim, neuron)(),
            AMPA=getattr(sim, response)(tau_syn=2.0, **reversal(0.0)),
            GABA=getattr(sim, response)(tau_syn=5.0, **reversal(-70.0)))
        receptors = ("AMPA", "GABA")
    cells = sim.Population(16, cell_type)
    if varied:          # (the parameter's default, spread by 10 % over the cells)
        value = float(np.mean(cells.get(varied_name)))
        cells.set(**{varied_name: sim.RandomDistribution(
            "uniform", (0.9 * value, 1.1 * value), rng=sim.NumpyRNG(seed=1))})
    if poisson:
        inputs = sim.Population(16, sim.SpikeSourcePoisson(rate=100.0))
    else:
        inputs = sim.Population(16, sim.SpikeSourceArray(spike_times=[2.0, 7.0, 11.0]))
    rng = sim.NumpyRNG(seed=2)
    synapse = (sim.StaticSynapse(weight=weight, delay=1.0) if plastic is None
               else _plastic(sim, plastic, weight))
    sim.Projection(inputs, cells, sim.FixedProbabilityConnector(0.5, rng=rng), synapse,
                   receptor_type=receptors[0])
    # (PyNN's current-based inhibitory weights are negative; sPyNNaker's magnitudes)
    inhibitory = -weight if current_based and not spinnaker else weight
    sim.Projection(cells, cells, sim.FixedProbabilityConnector(0.2, rng=rng),
                   sim.StaticSynapse(weight=inhibitory, delay=1.0), receptor_type=receptors[1])
    cells.record("spikes")
    if sampled:
        cells[0:2].record([name for name in cell_type.recordable
                           if name != "spikes"][:sampled])
    if current:
        sim.DCSource(amplitude=0.1, start=3.0, stop=12.0).inject_into(cells[0:4])
    sim.run(20.0 if plastic is None else 200.0)
    block = cells.get_data()
    sim.end()
    return block


def _run_family(family, quick=False):
    """Every network of ``family`` (this process, the compiled engine); ``quick``: the
    first only."""
    for variant in VARIANTS[:1] if quick else VARIANTS:
        run_network(family, *variant)
    for rule, plastic_family in [] if quick else PLASTIC:
        if plastic_family == family:
            for poisson in (True, False):
                run_network(family, poisson, False, False, False, plastic=rule)


def precompile(out, families=None, jobs=None, quick=False, log=print):
    """Compile ``families``' networks (default: all; ``quick``: the first of each) for
    this architecture's portable target into ``out``'s ``tinysim-<stamp>`` directory;
    returns its path."""
    target = shipped.portable_target()
    if target is None or not shipped.host_runs_portable():
        raise SystemExit(f"no portable target for this machine ({shipped.PORTABLE}), or "
                         f"its CPU lacks the features of {target}")
    families = list(families or FAMILIES)
    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise SystemExit(f"unknown families {unknown}; known: {sorted(FAMILIES)}")
    with tempfile.TemporaryDirectory(prefix="tinysim-precompile-") as cache:
        env = dict(os.environ, NUMBA_CPU_NAME=target[0], NUMBA_CPU_FEATURES=target[1],
                   NUMBA_CACHE_DIR=cache, PYNN_TINYSIM_ENGINE="numba",
                   **{shipped.ENVIRONMENT: ""})
        env.pop("NUMBA_NUM_THREADS", None)

        def one(family):
            start = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", MODULE, "--family", family]
                                    + ["--quick"] * quick,
                                    env=env, capture_output=True, text=True)
            if result.returncode:
                raise RuntimeError(f"{family} failed:\n{result.stderr[-3000:]}")
            return family, time.perf_counter() - start

        with concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count()) as pool:
            for family, seconds in pool.map(one, families):
                log(f"  {family:28s} {seconds:6.1f} s")
        stamps = [os.path.join(parent, name) for parent, names, _ in os.walk(cache)
                  for name in names if name.startswith("tinysim-")]
        if len(stamps) != 1:
            raise RuntimeError(f"expected one stamp directory in the cache, found {stamps}")
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(out):        # (other stamps' kernels are stale)
            if name.startswith("tinysim-"):
                shutil.rmtree(os.path.join(out, name))
        destination = os.path.join(out, os.path.basename(stamps[0]))
        shutil.copytree(stamps[0], destination)
    return destination


def _add_arguments(parser):
    parser.add_argument("--out", default=None,
                        help="directory (default: the package's precompiled/)")
    parser.add_argument("--families", nargs="+", metavar="FAMILY",
                        help=f"default all: {' '.join(FAMILIES)}")
    parser.add_argument("--jobs", type=int, default=None,
                        help="families compiled at once (default: the CPU count)")
    parser.add_argument("--quick", action="store_true",
                        help="one network per family (a check of the tool, not a build)")


def _build(args):
    """The tool's run: precompile, then say where and how much."""
    out = args.out or shipped.directory() or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "precompiled")
    start = time.perf_counter()
    print(f"precompiling for {shipped.portable_target()} into {out}:")
    destination = precompile(out, args.families, args.jobs, args.quick)
    files = os.listdir(destination)
    size = sum(os.path.getsize(os.path.join(destination, f)) for f in files)
    print(f"{destination}: {len(files)} files, {size / 1e6:.1f} MB, "
          f"{time.perf_counter() - start:.0f} s")
    return 0


def add_command(subparsers):
    """``tinysim precompile``: this tool as a subcommand of the ``tinysim`` command."""
    parser = subparsers.add_parser(
        "precompile", help="compile the kernels into the package, for a wheel to ship",
        description=__doc__.split("\n")[0])
    _add_arguments(parser)
    parser.set_defaults(func=_build)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    _add_arguments(parser)
    parser.add_argument("--family", help=argparse.SUPPRESS)     # (a worker process)
    args = parser.parse_args(argv)
    if args.family:
        _run_family(args.family, args.quick)
        return 0
    return _build(args)


if __name__ == "__main__":
    sys.exit(main())
