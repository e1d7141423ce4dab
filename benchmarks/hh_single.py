#!/usr/bin/env python
"""One Hodgkin-Huxley cell at a fine time step: the model of PyNN's ``examples/HH_cond_exp2.py``.

Small networks with small dt pay the simulator's cost per step, not per neuron: this
is issue 13's single-cell case. The model (the parameters of PyNN's example):
one ``HH_cond_exp`` cell, gbar_Na 20 uS, gbar_K 6 uS, g_leak 0.01 uS, cm 0.2 nF,
v_offset -63 mV, e_rev_Na 50, e_rev_K -90, e_rev_leak -65, e_rev_E 0, e_rev_I -80 mV,
tau_syn_E 0.2, tau_syn_I 2 ms, i_offset 1 nA; v starts at -64 mV; dt 0.001 ms,
min_delay 0.1 ms; v is recorded every step; 20 ms. (PyNN's example also writes the
recording to a file and plots it; here get_data() is timed instead.)

    python benchmarks/hh_single.py --simulator tinysim --json out.json
    python benchmarks/hh_single.py --simulator nest

Timings as va_benchmark.py (import, build, run, data, total); ``--json`` writes them
with the spike count and rate.
"""

import argparse
import importlib
import json
import platform
import time

PARAMETERS = dict(gbar_Na=20.0, gbar_K=6.0, g_leak=0.01, cm=0.2, v_offset=-63.0,
                  e_rev_Na=50.0, e_rev_K=-90.0, e_rev_leak=-65.0, e_rev_E=0.0,
                  e_rev_I=-80.0, tau_syn_E=0.2, tau_syn_I=2.0, i_offset=1.0)
DT = 0.001


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--simulator", default="tinysim")
    p.add_argument("--duration", type=float, default=20.0, help="ms (default 20, as PyNN's)")
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{args.simulator}")
    t1 = time.perf_counter()
    sim.setup(timestep=DT, min_delay=0.1)
    cell = sim.Population(1, sim.HH_cond_exp(**PARAMETERS))
    cell.initialize(v=-64.0)
    cell.record(["v", "spikes"])
    t2 = time.perf_counter()
    sim.run(args.duration)
    t3 = time.perf_counter()
    segment = cell.get_data().segments[0]
    n_samples = segment.analogsignals[0].shape[0]
    spikes = len(segment.spiketrains[0])
    t4 = time.perf_counter()
    sim.end()
    result = {"simulator": args.simulator, "n": 1, "duration_ms": args.duration, "dt_ms": DT,
              "import_s": t1 - t0, "build_s": t2 - t1, "run_s": t3 - t2, "data_s": t4 - t3,
              "total_s": t4 - t0, "spikes_hh": spikes,
              "rate_hh_hz": spikes / (args.duration / 1000.0), "v_samples": n_samples,
              "python": platform.python_version(), "platform": platform.platform()}
    print(f"--- HH_cond_exp2 model on pyNN.{args.simulator} ---")
    for key in ("import_s", "build_s", "run_s", "data_s", "total_s"):
        print(f"{key:10s}: {result[key]:8.3f} s")
    print(f"spikes    : {spikes}  (v samples {n_samples})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
