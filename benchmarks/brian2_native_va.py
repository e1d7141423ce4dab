#!/usr/bin/env python
"""The Vogels-Abbott benchmark written directly in Brian2 (no PyNN), for the speed table.

The same model as ``va_benchmark.py`` (its docstring has the parameters), in Brian2's
own equations, so ``run.py`` can set tinysim against Brian2 at its fastest:
``--target cpp_standalone`` (the default: the whole simulation generated as C++,
compiled with the system compiler and run as one program), ``cython`` (runtime
mode, compiled kernels) or ``numpy`` (runtime mode, no compiler)::

    python benchmarks/brian2_native_va.py CUBA
    python benchmarks/brian2_native_va.py COBA --n 1000 --target numpy --json out.json

Differences from the PyNN version, all Brian2's own: connectivity and the Poisson
kick come from Brian2's RNG (seeded with ``--seed``), so the network is a different
draw of the same model; the COBA kick is a ``PoissonGroup`` whose rate drops to 0 at
50 ms. Exact integration of the linear CUBA equations, exponential Euler for COBA
(Brian2's defaults for these equations).

Timings: for cpp_standalone *build* is everything before the simulation itself
(defining the network, generating and compiling the code, building the synapses)
and *run* the simulation as the compiled program times it; in runtime mode (cython,
numpy) *build* is defining the network and *run* is ``run()``, which also generates
the code and builds the synapses. run.py compares whole-process wall times. ``--json``
writes the same fields as va_benchmark.py.
"""

import argparse
import json
import platform
import shutil
import tempfile
import time

from va_benchmark import (BENCHMARKS, CM, DELAY, DT, E_REV_EXC, E_REV_INH, N_STIM, PCONN,
                          R_EI, STIM_DUR, STIM_PCONN, STIM_RATE, STIM_WEIGHT, T_REFRAC,
                          TAU_EXC, TAU_INH, TAU_M, V_MEAN, V_RESET, V_THRESH)

TARGETS = ("cpp_standalone", "cython", "numpy")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("benchmark", choices=sorted(BENCHMARKS), help="CUBA or COBA")
    p.add_argument("--target", choices=TARGETS, default="cpp_standalone",
                   help="Brian2 code generation target (default cpp_standalone)")
    p.add_argument("--n", type=int, default=4000, help="number of cells (default 4000)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default 1000)")
    p.add_argument("--seed", type=int, default=98765, help="Brian2's seed (default 98765)")
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    return p.parse_args(argv)


def build(b2, benchmark, n):
    """Define the network in Brian2; return it, its spike monitors, synapses and sizes."""
    ms, mV, nA, nF, uS, Hz = b2.ms, b2.mV, b2.nA, b2.nF, b2.uS, b2.Hz
    v_rest, g_exc, g_inh = BENCHMARKS[benchmark]
    n_exc = int(round(n * R_EI / (1 + R_EI)))
    n_inh = n - n_exc
    namespace = dict(v_rest=v_rest * mV, tau_m=TAU_M * ms, c_m=CM * nF, tau_e=TAU_EXC * ms,
                     tau_i=TAU_INH * ms, e_e=E_REV_EXC * mV, e_i=E_REV_INH * mV)
    if benchmark == "CUBA":
        eqs = """dv/dt = (v_rest - v) / tau_m + (i_e + i_i) / c_m : volt (unless refractory)
                 di_e/dt = -i_e / tau_e : amp
                 di_i/dt = -i_i / tau_i : amp"""
        # the same currents as the PyNN version: conductance x (E - V_MEAN)
        w_exc = 1e-3 * g_exc * (E_REV_EXC - V_MEAN) * nA
        w_inh = 1e-3 * g_inh * (E_REV_INH - V_MEAN) * nA
        exc_on, inh_on = "i_e += w_exc", "i_i += w_inh"
    else:
        eqs = """dv/dt = ((v_rest - v) * c_m / tau_m + g_e * (e_e - v) + g_i * (e_i - v)) / c_m
                         : volt (unless refractory)
                 dg_e/dt = -g_e / tau_e : siemens
                 dg_i/dt = -g_i / tau_i : siemens"""
        w_exc, w_inh = g_exc * 1e-3 * uS, g_inh * 1e-3 * uS
        exc_on, inh_on = "g_e += w_exc", "g_i += w_inh"
    namespace.update(w_exc=w_exc, w_inh=w_inh, w_stim=STIM_WEIGHT * uS)
    cells = b2.NeuronGroup(n, eqs, threshold=f"v > {V_THRESH}*mV", reset=f"v = {V_RESET}*mV",
                           refractory=T_REFRAC * ms, method="exact" if benchmark == "CUBA"
                           else "exponential_euler", namespace=namespace)
    cells.v = f"{V_RESET}*mV + rand() * {V_THRESH - V_RESET}*mV"
    exc, inh = cells[:n_exc], cells[n_exc:]
    synapses, others = [], []
    for source, on_pre in ((exc, exc_on), (inh, inh_on)):
        syn = b2.Synapses(source, cells, on_pre=on_pre, delay=DELAY * ms, namespace=namespace)
        syn.connect(p=PCONN)
        synapses.append(syn)
    if benchmark == "COBA":
        kick = b2.PoissonGroup(N_STIM, rates=f"{STIM_RATE}*Hz * int(t < {STIM_DUR}*ms)")
        syn = b2.Synapses(kick, cells, on_pre="g_e += w_stim", delay=DELAY * ms,
                          namespace=namespace)
        syn.connect(p=STIM_PCONN)
        synapses.append(syn)
        others.append(kick)
    monitors = {"exc": b2.SpikeMonitor(exc), "inh": b2.SpikeMonitor(inh)}
    network = b2.Network(cells, *synapses, *others, *monitors.values())
    return network, monitors, synapses, {"exc": n_exc, "inh": n_inh}


def main(argv=None):
    args = parse_args(argv)
    t0 = time.perf_counter()
    import brian2 as b2
    t_import = time.perf_counter() - t0

    workdir = tempfile.mkdtemp(prefix="brian2_native_")
    try:
        t0 = time.perf_counter()
        if args.target == "cpp_standalone":
            b2.set_device("cpp_standalone", directory=workdir, build_on_run=False)
        else:
            b2.prefs.codegen.target = args.target
            b2.prefs.codegen.runtime.cython.cache_dir = workdir   # no stale cache between runs
        b2.defaultclock.dt = DT * b2.ms
        b2.seed(args.seed)
        network, monitors, synapses, sizes = build(b2, args.benchmark, args.n)
        t_defined = time.perf_counter()
        network.run(args.duration * b2.ms)
        if args.target == "cpp_standalone":
            b2.device.build(directory=workdir, compile=True, run=True)
            t_total = time.perf_counter() - t0
            t_run = float(b2.device._last_run_time)     # as the compiled program timed it
            t_build = t_total - t_run
        else:
            # runtime mode: run() generates (and for cython compiles) the code, builds
            # the synapses and simulates; only the definitions count as build here
            t_total = time.perf_counter() - t0
            t_build = t_defined - t0
            t_run = t_total - t_build
        counts = {name: int(mon.num_spikes) for name, mon in monitors.items()}
        n_connections = int(sum(len(s) for s in synapses[:2]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    seconds = args.duration / 1000.0
    rate = {name: counts[name] / (sizes[name] * seconds) for name in counts}
    result = {
        "benchmark": args.benchmark, "simulator": f"brian2-native ({args.target})",
        "n": args.n, "n_exc": sizes["exc"], "n_inh": sizes["inh"],
        "duration_ms": args.duration, "dt_ms": DT, "seed": args.seed,
        "import_s": t_import, "build_s": t_build, "run_s": t_run, "data_s": 0.0,
        "total_s": t_import + t_total,
        "rate_exc_hz": rate["exc"], "rate_inh_hz": rate["inh"],
        "spikes_exc": counts["exc"], "spikes_inh": counts["inh"],
        "connections": n_connections,
        "brian2": b2.__version__, "python": platform.python_version(),
        "platform": platform.platform(),
    }
    print(f"--- Vogels-Abbott {args.benchmark} in Brian2 {b2.__version__} ({args.target}) ---")
    print(f"cells           : {args.n} ({sizes['exc']} exc / {sizes['inh']} inh)")
    print(f"connections     : {n_connections} recurrent")
    print(f"import time     : {t_import:8.3f} s")
    print(f"build time      : {t_build:8.3f} s   (network, code generation, compilation)")
    print(f"run time        : {t_run:8.3f} s   ({args.duration:g} ms at dt {DT} ms)")
    print(f"mean rate exc   : {rate['exc']:8.3f} Hz")
    print(f"mean rate inh   : {rate['inh']:8.3f} Hz")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == "__main__":
    main()
