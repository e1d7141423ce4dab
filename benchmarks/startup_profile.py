#!/usr/bin/env python
"""Where a short script's whole-process time goes: PyNN's HH_cond_exp2 model, phase by phase.

Issue 13's single-cell target compares whole processes (benchmarks/hh_single.py), and
for one HH cell over 20 ms the simulation itself is a few percent of them: the rest is
starting Python, importing PyNN and its dependencies, and (tinysim) starting Numba.
This script runs the same model as hh_single.py and reports, per phase, wall and CPU
seconds (CPU: this process's user + system time, close to the wall time an idle
machine would show; on a busy machine the wall time also holds the waits for a core):

    python benchmarks/startup_profile.py                     # pyNN.tinysim
    python benchmarks/startup_profile.py --simulator nest
    python benchmarks/startup_profile.py --repeat 5 --json out.json   # interleaved runs

Phases (tinysim): ``interpreter`` (``python -c pass``, measured in a child process),
``numpy``, ``pyNN common`` (pyNN.common, .random, .network, .recording with neo,
quantities, lazyarray, scipy), ``pyNN.tinysim`` (the rest of ``import pyNN.tinysim``),
``build``, ``numba import``, ``numba dispatchers`` (``kernels.load()``), ``run``
(the cached kernels' load, with Numba's runtime, and the simulation),
``get_data``; ``exit`` (from the child's last statement to the end of its process, as the
parent sees it: the interpreter's finalisation, its garbage collector's passes over
every object the process made, included); ``rest``: the whole process less the phases
(the script's own imports, the interpreter's start-up beyond ``python -c pass``).
With ``--repeat N`` it runs N child processes of each simulator, alternating, and
prints each one's phases and the medians, with the load average before each.
"""

import argparse
import json
import os
import subprocess
import sys
import time

PARAMETERS = dict(gbar_Na=20.0, gbar_K=6.0, g_leak=0.01, cm=0.2, v_offset=-63.0,
                  e_rev_Na=50.0, e_rev_K=-90.0, e_rev_leak=-65.0, e_rev_E=0.0,
                  e_rev_I=-80.0, tau_syn_E=0.2, tau_syn_I=2.0, i_offset=1.0)


def _clock():
    t = os.times()
    return time.perf_counter(), t.user + t.system


def phases(simulator):
    """Run the model once in this process; [(phase, wall_s, cpu_s)]."""
    out = []
    last = _clock()

    def mark(name):
        nonlocal last
        now = _clock()
        out.append((name, now[0] - last[0], now[1] - last[1]))
        last = now

    import numpy  # noqa: F401
    mark("numpy")
    if simulator == "tinysim":
        # what ``import pyNN.tinysim`` does before PyNN (the module run from its file:
        # importing it as pynn_tinysim._deferred would import all of pyNN.tinysim first)
        import importlib.util
        package = importlib.util.find_spec("pynn_tinysim").submodule_search_locations[0]
        spec = importlib.util.spec_from_file_location("_tinysim_deferred",
                                                      os.path.join(package, "_deferred.py"))
        deferred = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(deferred)
        deferred.defer_optional_imports()
    import pyNN.common, pyNN.random, pyNN.network, pyNN.recording  # noqa: F401, E401
    mark("pyNN common")
    import importlib
    sim = importlib.import_module(f"pyNN.{simulator}")
    mark(f"pyNN.{simulator}")
    sim.setup(timestep=0.001, min_delay=0.1)
    cell = sim.Population(1, sim.HH_cond_exp(**PARAMETERS))
    cell.initialize(v=-64.0)
    cell.record(["v", "spikes"])
    mark("build")
    if simulator == "tinysim":
        from pynn_tinysim.engine import kernels
        if kernels.numba_installed():
            from pynn_tinysim.engine.kernels import numba_start
            numba_start.import_numba()                  # as kernels.load() imports it
            mark("numba import")
            kernels.load()          # the kernels' dispatchers
            mark("numba dispatchers")
    sim.run(20.0)
    mark("run (simulate; tinysim: + cached kernel load)")
    segment = cell.get_data().segments[0]
    assert len(segment.spiketrains[0]) == 3, "not the HH_cond_exp2 model's 3 spikes"
    mark("get_data")
    sim.end()
    if simulator == "tinysim":
        out.append(("(engine)", 0.0, 0.0) if kernels.loaded() is None else
                   ("(engine: compiled)", 0.0, 0.0))
    return out


def _interpreter():
    start = time.perf_counter()
    before = os.times()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    after = os.times()
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return time.perf_counter() - start, cpu


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--simulator", default="tinysim")
    p.add_argument("--repeat", type=int, default=0,
                   help="run N child processes per simulator (tinysim and nest), interleaved")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        rows = phases(args.simulator)
        # (the wall clock, not perf_counter: the parent reads the same clock at the end)
        print(json.dumps({"phases": rows, "end_of_script": time.time()}), flush=True)
        return
    # the children's environment: run.py's (this checkout first on PYTHONPATH, and
    # bytecode allowed, as for an installed package)
    from run import child_environment
    runs = []
    simulators = ["tinysim", "nest"] if args.repeat else [args.simulator]
    for _ in range(max(1, args.repeat)):
        for simulator in simulators:
            load = os.getloadavg()[0]
            interpreter = _interpreter()
            start = time.perf_counter()
            before = os.times()
            child = subprocess.run([sys.executable, __file__, "--child", "--simulator",
                                    simulator], check=True, capture_output=True, text=True,
                                   env=child_environment())
            ended = time.time()
            after = os.times()
            whole = (time.perf_counter() - start,
                     after.children_user - before.children_user
                     + after.children_system - before.children_system)
            # (NEST prints its banner on stdout: the phases are the last line)
            report = json.loads(child.stdout.strip().splitlines()[-1])
            rows = [("interpreter", *interpreter)] + [tuple(r) for r in report["phases"]]
            # (exit's CPU is not measurable apart: counted with the rest)
            rows.append(("exit", ended - report["end_of_script"], 0.0))
            rows.append(("rest (script's own imports; CPU: and exit)",
                         whole[0] - sum(r[1] for r in rows), whole[1] - sum(r[2] for r in rows)))
            runs.append({"simulator": simulator, "load": load, "whole_wall_s": whole[0],
                         "whole_cpu_s": whole[1], "phases": rows})
            print(f"--- pyNN.{simulator}: whole process {whole[0]:.3f} s wall, "
                  f"{whole[1]:.3f} s CPU (load average {load:.2f}) ---")
            for name, wall, cpu in rows:
                print(f"  {name:46s} {wall:7.3f} wall {cpu:7.3f} CPU")
    if args.repeat:
        import statistics
        for simulator in simulators:
            mine = [r for r in runs if r["simulator"] == simulator]
            print(f"median pyNN.{simulator}: "
                  f"{statistics.median(r['whole_wall_s'] for r in mine):.3f} s wall, "
                  f"{statistics.median(r['whole_cpu_s'] for r in mine):.3f} s CPU")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)


if __name__ == "__main__":
    main()
