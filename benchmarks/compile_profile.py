#!/usr/bin/env python
"""Run a benchmark script and print where its Numba compilation went, per dispatcher.

    python benchmarks/compile_profile.py SCRIPT [ARGS...]

Listens to Numba's ``numba:compile`` events (``numba.core.event``) and charges each
dispatcher's compilation with its *self* CPU time (process time, so the figures mean
something on a shared machine): the time between its start and end events minus
that of the compilations nested in it (the callees it compiles first). Printed to
stderr at exit, largest first, with the signature count. ``benchmarks/compile_cost.py
--profile`` runs its cold processes through this.
"""

import atexit
import os
import runpy
import sys
import time
from collections import defaultdict

from numba.core import event


class SelfTimes(event.Listener):
    """Self CPU time of each dispatcher's compilations (nested ones subtracted)."""

    def __init__(self):
        self.stack = []                 # [name, start, time of nested compilations]
        self.self_s = defaultdict(float)
        self.count = defaultdict(int)

    def on_start(self, event_):
        name = getattr(event_.data["dispatcher"], "__qualname__", None) \
            or event_.data["dispatcher"].py_func.__qualname__
        self.stack.append([name, time.process_time(), 0.0])

    def on_end(self, event_):
        name, start, nested = self.stack.pop()
        total = time.process_time() - start
        self.self_s[name] += total - nested
        self.count[name] += 1
        if self.stack:
            self.stack[-1][2] += total

    def report(self, out=sys.stderr):
        total = sum(self.self_s.values())
        print(f"compilation self CPU times (s), total {total:.2f}:", file=out)
        for name, s in sorted(self.self_s.items(), key=lambda item: -item[1]):
            print(f"  {s:7.3f}  {name} ({self.count[name]})", file=out)


def main():
    script, *args = sys.argv[1:]
    listener = SelfTimes()
    event.register("numba:compile", listener)
    atexit.register(listener.report)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
