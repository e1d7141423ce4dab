#!/usr/bin/env python
"""The compiled engine's one-time compilation, network by network: what a user pays once.

Each network runs twice in a fresh process on ``engine="numba"``: first with an
empty kernel cache (a new ``NUMBA_CACHE_DIR``: the first run after installation,
which compiles the kernels the network uses), then again with that cache warm. The
difference of the two processes' CPU times (user + system, so the figures mean
something on a shared machine too) is the compilation. Then all networks run in
turn into one new cache, as one installation would use them: the later ones reuse
the kernels the earlier ones compiled (delivery, Poisson draws, ...).

The networks are small (compilation does not depend on size): PyNN's one-cell
HH_cond_exp2, VA CUBA and COBA (400 cells, 50 ms), the seed-004 Izhikevich network
(300 cells, 50 ms) and the sPyNNaker flavour's VA CUBA and seed 004 (fixed point).

    python benchmarks/compile_cost.py                 # the table, as Markdown
    python benchmarks/compile_cost.py --only va_cuba hh --no-sequence
    python benchmarks/compile_cost.py --only va_cuba --no-sequence --profile
    python benchmarks/compile_cost.py --plastic       # each family of plastic rules
    python benchmarks/compile_cost.py --shipped       # a wheel with precompiled kernels

``--profile``: the cold processes run through ``compile_profile.py``, which prints
each dispatcher's compilation self time (Numba's compile events) after the table row
(its CPU time slightly above a plain cold run's: the listener's own cost).
``--shipped``: the processes may load the kernels a wheel ships precompiled
(pynn_tinysim/engine/kernels/shipped.py); by default they see none, so that the table
is what a source installation compiles.
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

NETWORKS = {
    "hh": ["hh_single.py", "--duration", "1"],
    "va_cuba": ["va_benchmark.py", "CUBA", "--n", "400", "--duration", "50"],
    "va_coba": ["va_benchmark.py", "COBA", "--n", "400", "--duration", "50"],
    "izhikevich": ["seed004_izhikevich.py", "--n", "300", "--duration", "50"],
    "flavour_va_cuba": ["spinnaker_flavour.py", "va_cuba", "--engine", "numba",
                        "--duration", "50"],
    "flavour_seed004": ["spinnaker_flavour.py", "seed004", "--engine", "numba",
                        "--duration", "50"],
}
#: ``--plastic``: plastic_network.py's network (1000 Poisson inputs, 200 cells) with
#: each family of plastic rules, briefly (their stretches and kernels compile)
PLASTIC = {
    "stdp": ["plastic_network.py", "additive", "numba", "0.05"],
    "tm": ["plastic_network.py", "tm", "numba", "0.05"],
    "stochastic": ["plastic_network.py", "stochastic", "numba", "0.05"],
    "stochastic_tm": ["plastic_network.py", "stochastic_tm", "numba", "0.05"],
    "multi_quantal": ["plastic_network.py", "multi_quantal", "numba", "0.05"],
    "flavour_stdp": ["plastic_network.py", "additive", "numba", "0.2", "--spinnaker"],
    "flavour_stdp_float": ["plastic_network.py", "multiplicative", "numba", "0.2",
                           "--spinnaker", "--float"],
    "flavour_recurrent": ["plastic_network.py", "recurrent", "numba", "0.2", "--spinnaker"],
}
LABELS = {"hh": "HH_cond_exp2 (one HH cell)", "va_cuba": "VA CUBA", "va_coba": "VA COBA",
          "izhikevich": "seed-004 Izhikevich",
          "flavour_va_cuba": "flavour VA CUBA (fixed point)",
          "flavour_seed004": "flavour seed 004 (fixed point)",
          "stdp": "STDP", "tm": "TsodyksMarkram", "stochastic": "SimpleStochastic",
          "stochastic_tm": "StochasticTsodyksMarkram", "multi_quantal": "MultiQuantal",
          "flavour_stdp": "flavour STDP (board)", "flavour_stdp_float": "flavour STDP (float)",
          "flavour_recurrent": "flavour RecurrentRule"}
NETWORKS.update(PLASTIC)


def cpu_seconds(name, cache_dir, profile=False, shipped=False):
    """(CPU seconds, wall seconds, profile) of one process running network ``name``
    with its kernels cached in ``cache_dir``; ``profile``: run it through
    compile_profile.py and return what that prints (else None); ``shipped``: let it
    load the package's precompiled kernels (else it sees none)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, PYNN_TINYSIM_ENGINE="numba")
    if not shipped:
        env["PYNN_TINYSIM_PRECOMPILED"] = ""        # (as a source installation)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    wrapper = [os.path.join(HERE, "compile_profile.py")] if profile else []
    result = subprocess.run([sys.executable, *wrapper, os.path.join(HERE, NETWORKS[name][0]),
                             *NETWORKS[name][1:]], env=env, check=True,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE if profile else subprocess.DEVNULL,
                            text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, result.stderr if profile else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", nargs="+", choices=sorted(NETWORKS), help="these networks only")
    p.add_argument("--no-sequence", action="store_true",
                   help="skip the one-installation sequence")
    p.add_argument("--plastic", action="store_true",
                   help="the plastic networks (PLASTIC) instead of the six families")
    p.add_argument("--profile", action="store_true",
                   help="print each cold process's compilation self times per dispatcher")
    p.add_argument("--shipped", action="store_true",
                   help="the processes may load the installed package's precompiled kernels "
                        "(python -m pynn_tinysim.engine.kernels.precompile; default: none)")
    args = p.parse_args(argv)
    if args.shipped:
        from pynn_tinysim.engine.kernels import shipped
        print(f"precompiled kernels: {shipped.directory()}")
    names = args.only or list(PLASTIC if args.plastic else
                              [n for n in NETWORKS if n not in PLASTIC])
    load = os.getloadavg()[0]
    print(f"load average at start: {load:.2f}")
    print("| network | cold CPU (s) | warm CPU (s) | compile (s) | cold wall (s) |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        with tempfile.TemporaryDirectory(prefix="tinysim-compile-") as cache:
            cold, cold_wall, profile = cpu_seconds(name, cache, args.profile, args.shipped)
            warm, _, _ = cpu_seconds(name, cache, shipped=args.shipped)
        print(f"| {LABELS[name]} | {cold:.2f} | {warm:.2f} | {cold - warm:.2f} | "
              f"{cold_wall:.2f} |", flush=True)
        if profile:
            print("\n".join("    " + line for line in profile.splitlines()
                            if not line.startswith("  ") or float(line.split()[0]) >= 0.05))
    if not args.no_sequence:
        with tempfile.TemporaryDirectory(prefix="tinysim-compile-") as cache:
            cold = [cpu_seconds(name, cache, shipped=args.shipped)[0] for name in names]
            warm = [cpu_seconds(name, cache, shipped=args.shipped)[0] for name in names]
        print()
        print("one installation, the networks in turn into one cache (CPU s):")
        print("| | " + " | ".join(LABELS[n] for n in names) + " | total |")
        print("|---|" + "---:|" * (len(names) + 1))
        for label, row in (("cold", cold), ("warm", warm),
                           ("compile", [c - w for c, w in zip(cold, warm)])):
            print(f"| {label} | " + " | ".join(f"{x:.2f}" for x in row)
                  + f" | {sum(row):.2f} |")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
