#!/usr/bin/env python
"""Run the benchmark networks on pyNN.tinysim and its peers, one process per run.

Each run is ``python benchmarks/<script>.py ... --simulator SIM --json FILE`` in its
own subprocess (so imports, memory and state never leak between runs). For every
run we record the script's own build and run times (from its JSON), the wall time
of the whole process, and its peak resident set size (``ru_maxrss`` of that child,
from ``os.wait4``), and the run phase's synaptic events and neuron updates per
second (:func:`throughput`). Then::

* a table is printed, with the ratios tinysim / peer for the same network and size;
* the table (plus date, machine and the exact command) replaces the section between
  the ``<!-- run.py results begin -->`` and ``<!-- run.py results end -->`` markers
  of benchmarks/RESULTS.md (appended the first time), only when asked:
  ``--write-results`` (or ``--results-md FILE`` naming another file), so that a plain
  run never rewrites the tracked RESULTS.md;
* a PNG of wall time and peak RSS against number of cells is written if matplotlib
  is installed, with ``--write-results`` (benchmarks/run_results.png) or ``--plot FILE``.

Example (the defaults: small sizes that finish in a few minutes on 2 cores)::

    python benchmarks/run.py
    python benchmarks/run.py --networks va_cuba,brunel --sizes 1000 --scales 0.05 \\
        --simulators tinysim,nest --timeout 120

Networks: ``va_cuba``, ``va_coba`` (va_benchmark.py CUBA/COBA, ``--sizes`` cells),
``seed004`` (seed004_izhikevich.py, ``--sizes`` cells), ``brunel`` and
``microcircuit`` (``--scales``), ``hh_cond_exp2`` (hh_single.py: the single HH cell
of PyNN's example at dt 0.001 ms, 20 ms; issue 13's single-cell fine-dt case). Simulators whose ``pyNN.<name>`` cannot be imported
are skipped with a note. ``--max-cells brian2=1000`` (the default) skips runs of a
simulator above a number of cells (Brian2's numpy target needs ~4 min for VA 4000);
``--max-cells nest.microcircuit=8000`` does so for one network only.
A run that exceeds ``--timeout`` seconds is killed and reported as such.

Before each timed run of pyNN.tinysim on an engine that may compile (``tinysim``,
``tinysim-2threads``, under mpiexec too), a warm-up process runs the same network
and size, with the same ranks, threads and environment, for ``WARM_UP_MS`` ms on the
compiled engine (``PYNN_TINYSIM_ENGINE=numba``): it fills Numba's kernel cache, so
that the timed run measures an installed library's run and not the one-time
compilation of a first run after installation (that is ``compile_cost.py``'s
figure). Its wall time is printed and kept in the records (``warm_up``);
``--no-warm-up`` skips it.

``--long va_cuba=4000`` adds runs of those networks and sizes for ``--long-duration``
ms (default 10 000: 10 s of biology, where the simulation itself, not the start-up,
takes the time); none by default. Issue 13's table::

    python benchmarks/run.py --long va_cuba=4000 \
        --simulators tinysim,tinysim-numpy,nest,brian2-native

Besides PyNN backends, ``--simulators`` takes ``tinysim-numpy``: pyNN.tinysim on its
NumPy reference engine (``PYNN_TINYSIM_ENGINE=numpy``), beside ``tinysim``'s default
engine (compiled kernels once a run is long enough), ``tinysim-2threads``: the default
engine with ``NUMBA_NUM_THREADS=2`` (the compiled engine on 2 threads; it pays only on
idle cores), and ``brian2-native``: the VA networks
written directly in Brian2 with its cpp_standalone target (brian2_native_va.py:
generated C++, compiled and run as one program), i.e. Brian2 at its fastest, without
PyNN. It needs brian2 and a C++ compiler; other networks have no native version and
are reported as skipped.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN = "<!-- run.py results begin -->"
END = "<!-- run.py results end -->"
NETWORKS = ["va_cuba", "va_coba", "brunel", "microcircuit", "seed004", "hh_cond_exp2"]
CELLS_AT_SCALE_1 = {"brunel": 12500, "microcircuit": 77169}
#: simulators that are not PyNN backends: network -> the script that replaces the PyNN one
NATIVE_SCRIPTS = {"brian2-native": {"va_cuba": "brian2_native_va.py",
                                    "va_coba": "brian2_native_va.py"}}
#: pyNN.tinysim with an engine chosen: simulator name -> environment of the run
TINYSIM_ENGINES = {"tinysim-numpy": {"PYNN_TINYSIM_ENGINE": "numpy"},
                   "tinysim-2threads": {"NUMBA_NUM_THREADS": "2"}}
#: simulated ms of the warm-up run before each timed run of a compiling tinysim engine
#: (long enough for the network's compiled stretch to run; its kernels do not depend
#: on the duration)
WARM_UP_MS = 50.0
#: the checkout these benchmarks belong to: its pynn_tinysim is the one measured, even
#: where an older version is installed in the environment (the children are started as
#: ``python benchmarks/<script>.py``, which would otherwise import the installed one)
SOURCE_ROOT = os.path.dirname(HERE)


def child_environment(extra=()):
    """os.environ plus ``extra``, with this checkout first on PYTHONPATH, and Python
    allowed to write bytecode: every simulator is timed with its modules' ``.pyc``
    files, as pip installs them (an environment with PYTHONDONTWRITEBYTECODE set would
    otherwise have the checkout's modules compiled from source in every run: ~0.1 s of
    ``import pyNN.tinysim`` measured, against none for the installed peers)."""
    env = dict(os.environ, **dict(extra))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if os.path.isdir(os.path.join(SOURCE_ROOT, "pynn_tinysim")):
        env["PYTHONPATH"] = os.pathsep.join(
            [SOURCE_ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--networks", default=",".join(NETWORKS),
                   help="comma-separated, from " + ", ".join(NETWORKS))
    p.add_argument("--simulators", default="tinysim,nest,brian2",
                   help="comma-separated PyNN backends; the first is compared with the others")
    p.add_argument("--sizes", default="1000,4000",
                   help="cell numbers for va_cuba, va_coba and seed004 (default 1000,4000)")
    p.add_argument("--scales", default="0.05,0.1",
                   help="scales for brunel and microcircuit (default 0.05,0.1)")
    p.add_argument("--brunel-scales", help="scales for brunel only (default: --scales)")
    p.add_argument("--microcircuit-scales", help="scales for microcircuit only (default: --scales)")
    p.add_argument("--microcircuit-background", choices=["poisson", "dc"], default="poisson",
                   help="the microcircuit's background input (microcircuit.py --background): "
                        "poisson (default; Poisson sources are computed whole on every MPI "
                        "rank) or dc (a constant current instead)")
    p.add_argument("--duration", type=float, default=1000.0, help="simulated ms (default 1000)")
    p.add_argument("--long", default="", metavar="NETWORK=CELLS,...",
                   help="VA networks also run for --long-duration, e.g. va_cuba=4000")
    p.add_argument("--long-duration", type=float, default=10000.0,
                   help="simulated ms of the --long runs (default 10000)")
    p.add_argument("--max-cells", action="append", default=None, metavar="SIM[.NETWORK]=N",
                   help="skip SIM (on NETWORK only, if given) above N cells (repeatable; "
                        "default brian2=1000)")
    p.add_argument("--ranks", default="1", metavar="N[,N...]",
                   help="run pyNN.tinysim under mpiexec -n N (one thread per rank) for each "
                        "N given; 1: one process without mpiexec (default 1). Other "
                        "simulators always run in one process; the VA networks' script "
                        "is MPI-aware (rank 0 reports)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per run (default 600)")
    p.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                   help="time pyNN.tinysim without a warm-up run first (its first run may "
                        "then include compiling the kernels)")
    p.add_argument("--python", default=sys.executable, help="interpreter for the runs")
    p.add_argument("--write-results", action="store_true",
                   help="write the table into benchmarks/RESULTS.md and the plot into "
                        "benchmarks/run_results.png (the tracked files; off by default)")
    p.add_argument("--results-md", default=None,
                   help="write the table into this file (implies writing; default with "
                        "--write-results: benchmarks/RESULTS.md)")
    p.add_argument("--no-write", action="store_true",
                   help="never write the table (the default unless --write-results)")
    p.add_argument("--plot", default=None,
                   help="PNG to write ('' for none; default with --write-results: "
                        "benchmarks/run_results.png, else none)")
    p.add_argument("--json", metavar="FILE", help="write all run records to FILE")
    args = p.parse_args(argv)
    # the tracked files change only when asked for
    args.write_table = (args.write_results or args.results_md is not None) and not args.no_write
    if args.results_md is None:
        args.results_md = os.path.join(HERE, "RESULTS.md")
    if args.plot is None:
        args.plot = os.path.join(HERE, "run_results.png") if args.write_results else ""
    return args


def _floats(text):
    return [float(x) for x in text.split(",") if x.strip()]


def plan(args):
    """List of (network, size label, n_cells, script argv without --simulator/--json)."""
    sizes = [int(x) for x in _floats(args.sizes)]
    dur = ["--duration", f"{args.duration:g}"]
    runs = []
    for net in [x.strip() for x in args.networks.split(",") if x.strip()]:
        if net not in NETWORKS:
            raise SystemExit(f"unknown network {net!r}; choose from {', '.join(NETWORKS)}")
        if net in ("va_cuba", "va_coba"):
            for n in sizes:
                runs.append((net, f"n={n}", n, ["va_benchmark.py", net[3:].upper(),
                                                "--n", str(n)] + dur))
        elif net == "seed004":
            for n in sizes:
                runs.append((net, f"n={n}", n, ["seed004_izhikevich.py", "--n", str(n)] + dur))
        elif net == "hh_cond_exp2":
            # one cell, dt 0.001 ms, 20 ms (PyNN's example; --duration does not apply)
            runs.append((net, "1 cell, dt 0.001 ms, 20 ms", 1, ["hh_single.py"]))
        else:
            own = getattr(args, f"{net}_scales")
            for s in _floats(own if own else args.scales):
                n = int(round(CELLS_AT_SCALE_1[net] * s))
                label, extra = f"scale={s:g}", []
                if net == "microcircuit" and args.microcircuit_background != "poisson":
                    label += f", {args.microcircuit_background} background"
                    extra = ["--background", args.microcircuit_background]
                runs.append((net, label, n, [f"{net}.py", "--scale", f"{s:g}"] + extra + dur))
    for item in [x.strip() for x in (args.long or "").split(",") if x.strip()]:
        net, _, n = item.partition("=")
        if net not in ("va_cuba", "va_coba") or not n.isdigit():
            raise SystemExit(f"--long: {item!r} is not va_cuba=CELLS or va_coba=CELLS")
        runs.append((net, f"n={n}, {args.long_duration / 1000:g} s", int(n),
                     ["va_benchmark.py", net[3:].upper(), "--n", n,
                      "--duration", f"{args.long_duration:g}"]))
    return runs


def compiles(sim):
    """Whether ``sim`` is pyNN.tinysim on an engine that may compile kernels."""
    return sim == "tinysim" or (sim in TINYSIM_ENGINES and
                                TINYSIM_ENGINES[sim].get("PYNN_TINYSIM_ENGINE") != "numpy")


def warm_up_argv(argv, duration_ms=WARM_UP_MS):
    """``argv`` (a benchmark script's) with its simulated duration ``duration_ms`` (and
    the microcircuit's transient, which must be shorter, half of it)."""
    argv = list(argv)
    for option, value in (("--duration", duration_ms),
                          ("--transient", duration_ms / 2 if argv[0] == "microcircuit.py"
                           else None)):
        if value is None:
            continue
        if option in argv:
            argv[argv.index(option) + 1] = f"{value:g}"
        else:
            argv += [option, f"{value:g}"]
    return argv


def available(python, sim):
    module = "pyNN.tinysim" if sim in TINYSIM_ENGINES else f"pyNN.{sim}"
    if sim in NATIVE_SCRIPTS:
        module = sim.split("-")[0]
        if sim == "brian2-native" and not (shutil.which("g++") or shutil.which("c++")):
            return False, "no C++ compiler for Brian2's cpp_standalone target"
    try:
        res = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                             timeout=120, env=child_environment())
    except subprocess.TimeoutExpired:
        return False, "import timed out"
    if res.returncode != 0:
        tail = res.stderr.decode(errors="replace").strip().splitlines()
        return False, tail[-1] if tail else f"exit {res.returncode}"
    return True, ""


def mpiexec_for(python):
    """The mpiexec beside ``python`` (the mpich wheel's), else the one on PATH."""
    beside = os.path.join(os.path.dirname(python), "mpiexec")
    return beside if os.path.exists(beside) else shutil.which("mpiexec")


def run_one(python, argv, sim, timeout, ranks=1, extra_env=()):
    """Run one benchmark process; return a record with its JSON, wall time, peak RSS.

    ``ranks`` > 1: under ``mpiexec -n ranks`` (rank 0 writes the JSON; the peak RSS
    is that of the largest process of the job). ``extra_env``: added to the
    simulator's environment.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        chosen = ([] if sim in NATIVE_SCRIPTS else
                  ["--simulator", "tinysim" if sim in TINYSIM_ENGINES else sim])
        env = child_environment({**TINYSIM_ENGINES.get(sim, {}), **dict(extra_env)})
        cmd = [python, os.path.join(HERE, argv[0])] + argv[1:] + chosen + ["--json", out]
        if ranks > 1:
            launcher = mpiexec_for(python)
            if launcher is None:
                raise SystemExit("--ranks: no mpiexec (pip install 'pynn-tinysim[mpi]')")
            cmd = [launcher, "-n", str(ranks)] + cmd
            env.setdefault("NUMBA_NUM_THREADS", "1")
        log = os.path.join(tmp, "log.txt")
        t0 = time.perf_counter()
        with open(log, "wb") as logf:
            proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
            status, usage, timed_out = None, None, False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout:
                    os.killpg(proc.pid, signal.SIGKILL)
                    pid, status, usage = os.wait4(proc.pid, 0)
                    timed_out = True
                    break
                time.sleep(0.05)
            proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        shown = cmd[:-2] if ranks > 1 else cmd[1:-2]
        rec = {"simulator": sim, "command": " ".join(shlex.quote(c) for c in shown),
               "wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024.0,  # Linux: KiB
               "returncode": proc.returncode, "timed_out": timed_out, "result": None}
        if proc.returncode == 0 and os.path.exists(out):
            with open(out) as f:
                rec["result"] = json.load(f)
        else:
            with open(log, errors="replace") as f:
                rec["log_tail"] = f.read()[-2000:]
        return rec


def _fmt(x, digits=2):
    return "" if x is None else f"{x:.{digits}f}"


def _rates(result):
    if not result:
        return ""
    items = [(k[5:-3], v) for k, v in result.items() if k.startswith("rate_") and k.endswith("_hz")]
    return " ".join(f"{name} {v:.2f}" for name, v in items)


def throughput(result):
    """(synaptic events per second, neuron updates per second) of the run phase, or Nones.

    Neuron updates: every cell of the network advances once per step, so
    n x duration / dt of them in ``run_s`` (sources are not counted). Synaptic events
    (one spike through one synapse): the script's ``synaptic_events`` where it reports
    one (va_benchmark.py: each recurrent projection's presynaptic spikes times its mean
    out-degree), else the recorded spikes of the network's cells (``spikes_<pop>``)
    times their mean recurrent out-degree (``connections`` / ``n``), which is exact in
    expectation where every population has the same mean out-degree (VA, Brunel);
    external inputs whose spikes are not recorded are left out. None where the
    figures are missing (e.g. the microcircuit reports no spike counts).
    """
    run_s = (result or {}).get("run_s")
    if not run_s or run_s <= 0:
        return None, None
    updates = None
    if all(k in result for k in ("n", "duration_ms", "dt_ms")):
        updates = result["n"] * round(result["duration_ms"] / result["dt_ms"]) / run_s
    events = result.get("synaptic_events")
    if events is None:
        spikes = [v for k, v in result.items()
                  if k.startswith("spikes_") and k != "spikes_thalamus"]
        if spikes and result.get("connections") is not None and result.get("n"):
            events = sum(spikes) * result["connections"] / result["n"]
    return (None if events is None else events / run_s), updates


def _sci(x):
    return "" if x is None else f"{x:.3g}"


def table(records, reference):
    lines = ["| network | size | cells | simulator | build (s) | run (s) | wall (s) | "
             "peak RSS (MiB) | wall tinysim/peer | RSS tinysim/peer | syn. events/s | "
             "neuron updates/s | rates (Hz) |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    ref = {(r["network"], r["size"]): r for r in records
           if r["simulator"] == reference and r.get("result")}
    for r in records:
        res = r.get("result")
        if r.get("skipped"):
            lines.append(f"| {r['network']} | {r['size']} | {r['cells']} | {r['simulator']} | "
                         f"| | | | | | | | skipped: {r['skipped']} |")
            continue
        if not res:
            why = "timed out" if r["timed_out"] else f"failed (exit {r['returncode']})"
            lines.append(f"| {r['network']} | {r['size']} | {r['cells']} | {r['simulator']} | "
                         f"| | {_fmt(r['wall_s'], 1)} | {_fmt(r['peak_rss_mb'], 0)} | | | | | "
                         f"{why} |")
            continue
        ratio_w = ratio_m = ""
        events, updates = throughput(res)
        base = ref.get((r["network"], r["size"]))
        if base and r["simulator"] != reference:
            ratio_w = f"{base['wall_s'] / r['wall_s']:.2f}"
            ratio_m = f"{base['peak_rss_mb'] / r['peak_rss_mb']:.2f}"
        lines.append(
            f"| {r['network']} | {r['size']} | {r['cells']} | {r['simulator']} | "
            f"{_fmt(res.get('build_s'))} | {_fmt(res.get('run_s'))} | {_fmt(r['wall_s'])} | "
            f"{_fmt(r['peak_rss_mb'], 0)} | {ratio_w} | {ratio_m} | {_sci(events)} | "
            f"{_sci(updates)} | {_rates(res)} |")
    return "\n".join(lines)


def write_results_md(path, section):
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    block = f"{BEGIN}\n{section}\n{END}"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def plot(records, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return False
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    fig.suptitle("pyNN.tinysim (o, solid) vs pyNN.nest (s, dashed) vs pyNN.brian2 (^, dotted)"
                 " vs Brian2 cpp_standalone without PyNN (v, dash-dot)", fontsize=9)
    series = {}
    for r in records:
        if r.get("result"):
            series.setdefault((r["network"], r["simulator"]), []).append(
                (r["cells"], r["wall_s"], r["peak_rss_mb"]))
    markers = {"tinysim": "o", "nest": "s", "brian2": "^", "brian2-native": "v"}
    styles = {"tinysim": "-", "nest": "--", "brian2": ":", "brian2-native": "-."}
    colors = {net: f"C{i}" for i, net in enumerate(NETWORKS)}
    for (net, sim), pts in sorted(series.items()):
        pts.sort()
        x = [p[0] for p in pts]
        kw = dict(marker=markers.get(sim, "x"), label=f"{net} / {sim}",
                  color=colors.get(net), linestyle=styles.get(sim, "-."))
        axes[0].plot(x, [p[1] for p in pts], **kw)
        axes[1].plot(x, [p[2] for p in pts], **kw)
    for ax, ylabel in zip(axes, ["whole-process wall time (s)", "peak RSS (MiB)"]):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("cells")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[1].legend(fontsize=6, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


def main(argv=None):
    args = parse_args(argv)
    sims = [s.strip() for s in args.simulators.split(",") if s.strip()]
    max_cells = {"brian2": 1000}
    if args.max_cells is not None:
        max_cells = {}
        for item in args.max_cells:
            k, _, v = item.partition("=")
            max_cells[k] = int(v)
    notes, ok = [], {}
    for sim in sims:
        ok[sim], why = available(args.python, sim)
        if not ok[sim]:
            notes.append(f"{sim if sim in NATIVE_SCRIPTS else 'pyNN.' + sim} not available "
                         f"({why}): skipped")
            print(notes[-1])
    ranks = [int(x) for x in _floats(args.ranks)]
    if any(r < 1 for r in ranks):
        raise SystemExit(f"--ranks: numbers of processes must be >= 1, not {args.ranks!r}")
    # tinysim under mpiexec: one more column per rank count, named tinysim@N
    runs = [(sim, r) for sim in sims for r in (ranks if sim == "tinysim" or sim in
                                                TINYSIM_ENGINES else [1])]
    for sim, r in runs:
        if r > 1:
            ok[f"{sim}@{r}"] = ok[sim]
    records = []
    for net, size, cells, argv in plan(args):
        for sim, n_ranks in runs:
            label = sim if n_ranks == 1 else f"{sim}@{n_ranks}"
            base = {"network": net, "size": size, "cells": cells, "simulator": sim}
            if not ok[sim]:
                continue
            run_argv = argv
            if sim in NATIVE_SCRIPTS:
                script = NATIVE_SCRIPTS[sim].get(net)
                if script is None:
                    records.append(dict(base, skipped=f"no {sim} version of this network"))
                    continue
                run_argv = [script] + argv[1:]
            limit = max_cells.get(f"{sim}.{net}", max_cells.get(sim))
            if limit is not None and cells > limit:
                records.append(dict(base, skipped=f"> {limit} cells (--max-cells)"))
                continue
            warm = None
            if args.warm_up and compiles(sim):
                warm = run_one(args.python, warm_up_argv(run_argv), sim, args.timeout,
                               n_ranks, {"PYNN_TINYSIM_ENGINE": "numba"})
                print(f"warm-up of {net} {size} on {label}: wall {warm['wall_s']:.1f} s"
                      + ("" if warm["result"] else " (failed)"), flush=True)
            print(f"running {net} {size} on {label} ...", flush=True)
            rec = dict(base, **run_one(args.python, run_argv, sim, args.timeout, n_ranks))
            if warm is not None:
                rec["warm_up"] = {"command": warm["command"], "wall_s": warm["wall_s"],
                                  "ok": warm["result"] is not None}
            rec["simulator"], rec["ranks"] = label, n_ranks
            rec["synaptic_events_per_s"], rec["neuron_updates_per_s"] = throughput(rec["result"])
            records.append(rec)
            state = "ok" if rec["result"] else ("TIMEOUT" if rec["timed_out"] else "FAILED")
            print(f"  {state}: wall {rec['wall_s']:.1f} s, peak RSS {rec['peak_rss_mb']:.0f} MiB",
                  flush=True)
            if not rec["result"] and rec.get("log_tail"):
                print(rec["log_tail"][-600:])
    tab = table(records, sims[0])
    print()
    print(tab)
    shown, skip = [], False          # the command as run, minus --json FILE (an output)
    for a in sys.argv[1:]:
        if skip or a.startswith("--json="):
            skip = False
            continue
        if a == "--json":
            skip = True
            continue
        shown.append(a)
    cmd = "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + shown)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    section = "\n".join([
        "## Cross-simulator table (`benchmarks/run.py`)",
        "",
        f"Generated by `benchmarks/run.py` on {now}. Machine: {platform.platform()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "Command (from the repository root):",
        "",
        "```",
        cmd,
        "```",
        "",
        "One process per run. *build* and *run* are the script's own timings; *wall* is "
        "the whole process (interpreter start, imports, build, run, data); *peak RSS* is "
        "the process's ru_maxrss. Ratio columns: tinysim / that simulator (< 1: tinysim "
        "faster / smaller). *syn. events/s* and *neuron updates/s*: of the run phase "
        "(see `throughput()` in run.py: events from spike counts x mean out-degree). "
        + ("Each timed tinysim run followed a warm-up process (the same network, "
           f"{WARM_UP_MS:g} ms, compiled engine) that filled the kernel cache: its figures "
           "are an installed library's, not a first run's (that one compiles: "
           "`compile_cost.py`). " if args.warm_up else
           "No warm-up (`--no-warm-up`): a tinysim run may include compiling kernels. ")
        + "Single runs on a shared machine: timings are noisy.",
        "",
        *(f"* {n}" for n in notes),
        "" if notes else "",
        tab,
        "",
    ] + ([f"![time and memory against cells]({os.path.basename(args.plot)})", ""]
         if args.plot else []))
    if args.plot and plot(records, args.plot):
        print(f"plot written to {args.plot}")
    if args.write_table:
        write_results_md(args.results_md, section)
        print(f"table written to {args.results_md}")
    else:
        print("RESULTS.md not touched (--write-results writes the table there)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"command": cmd, "date": now, "records": records}, f, indent=2)
    return records


if __name__ == "__main__":
    main()
