#!/usr/bin/env python
"""VA CUBA's run phase on pyNN.tinysim's compiled engine, with each rank's CPU time
outside the spike exchange's collective (what a rank computes, whatever the load).

On a shared machine a rank's wall time is mostly waiting for the other rank to be
scheduled; the CPU time it spends outside the collective is the work it does, and
is what compiled stretches under MPI change. Usage (from the repository root)::

    PYTHONPATH=$PWD python benchmarks/va_mpi_profile.py [--delay MS] [--no-stretch]
        [--min-window STEPS] [va_benchmark.py options...]
    PYTHONPATH=$PWD mpiexec -n 2 python benchmarks/va_mpi_profile.py ...

``--delay``: the synaptic delay and min_delay (ms; VA's is 0.2, exchange windows of
2 steps); ``--no-stretch``: the step loop with the kernels only; ``--min-window``:
overrides ``stretch_io.MIN_EXCHANGE_WINDOW``. The run is preceded by a 1 ms run
(not timed) that loads the compiled kernels. Each rank prints one line: run phase
wall and CPU time, the collective's wall and CPU time, and the CPU time outside it.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import va_benchmark  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--delay", type=float, default=None)
    parser.add_argument("--no-stretch", action="store_true")
    parser.add_argument("--min-window", type=int, default=None)
    args, rest = parser.parse_known_args()
    if args.delay is not None:
        va_benchmark.DELAY = args.delay
        va_benchmark.MAX_DELAY = max(va_benchmark.MAX_DELAY, args.delay)

    import pyNN.tinysim as sim
    from pynn_tinysim.engine import exchange
    from pynn_tinysim.engine import network as network_module
    from pynn_tinysim.engine.stretch import CompiledStretch
    if args.no_stretch:
        CompiledStretch.for_run = classmethod(lambda cls, *a, **k: None)
    if args.min_window is not None:
        network_module.MIN_EXCHANGE_WINDOW = args.min_window

    wait = {"cpu": 0.0, "wall": 0.0}
    gather = exchange.SpikeExchange._gather_yielding

    def timed_gather(self, send, recv):
        cpu, wall = time.process_time(), time.perf_counter()
        gather(self, send, recv)
        wait["cpu"] += time.process_time() - cpu
        wait["wall"] += time.perf_counter() - wall
    exchange.SpikeExchange._gather_yielding = timed_gather

    run = sim.run
    phase = {}

    def timed_run(t):
        run(1.0)                        # loads the kernels: not timed
        wait["cpu"] = wait["wall"] = 0.0
        cpu, wall = time.process_time(), time.perf_counter()
        run(t - 1.0)
        phase["cpu"] = time.process_time() - cpu
        phase["wall"] = time.perf_counter() - wall
    sim.run = timed_run

    va_benchmark.main(["CUBA", "--setup-extra", "engine=numba"] + rest)
    print(f"rank {sim.rank()}: run wall {phase['wall']:.3f} s, run CPU {phase['cpu']:.3f} s, "
          f"collective wall {wait['wall']:.3f} s / CPU {wait['cpu']:.3f} s, "
          f"CPU outside it {phase['cpu'] - wait['cpu']:.3f} s", flush=True)


if __name__ == "__main__":
    main()
