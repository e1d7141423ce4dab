#!/usr/bin/env python
"""Static spike delivery on one thread and on two, at the full-scale microcircuit's volume.

Why two threads do not deliver faster on the 2-core machine (benchmarks/RESULTS.md,
2026-12-02). The store and the ring are synthetic but sized as the microcircuit's at
scale 1 (77 169 cells, ~3 900 synapses a cell, a ring of 64 slots x 2 receptors, ~35
spikes a step: ~135 000 events a step); each strategy delivers the same 200 steps'
spikes five times and must give the one-thread bits:

* ``serial``: the kernel a one-thread run uses (``kernels.deliver_static``);
* ``owner-scan``: its threaded variant on 2 threads (each thread reads every event
  and adds those whose ring block it owns: the additions in the one-thread order);
* ``two-phase``: a partition that reads each event once, written here as a probe:
  each thread takes half of the events (whole rows), computes their ring positions and
  sorts them by owning thread (a counting sort, order kept), then each thread adds its
  own events, in the threads' order; the same bits.

    python benchmarks/delivery_threads.py            # prints ns per event for each
"""

import argparse
import os
import time

os.environ.setdefault("NUMBA_NUM_THREADS", "2")

import numpy as np  # noqa: E402


def _two_phase():
    """The two-phase partition, compiled with Numba's parallel loops."""
    import numba

    @numba.njit(parallel=True, cache=False)
    def deliver(spikes, slot_offset, indptr, keys, weights, ring, n, positions, sorted_positions,
                sorted_weights, owners, starts, bounds, shift):
        size, one, offset = np.uint64(ring.size), np.uint64(1), np.uint64(slot_offset)
        total = 0
        for j in range(spikes.size):
            starts[j] = total
            total += indptr[spikes[j] + 1] - indptr[spikes[j]]
        starts[spikes.size] = total
        for t in numba.prange(n):              # phase 1: positions, sorted by owner
            lo = 0 if t == 0 else np.searchsorted(starts[:spikes.size + 1], t * total // n)
            hi = spikes.size if t == n - 1 else np.searchsorted(starts[:spikes.size + 1],
                                                                 (t + 1) * total // n)
            counts = np.zeros(n, np.int64)
            e = starts[lo]
            for j in range(lo, hi):
                row = np.uint64(spikes[j])
                for s in range(np.uint64(indptr[row]), np.uint64(indptr[row + one])):
                    position = np.uint64(keys[s]) + offset
                    if position >= size:
                        position -= size
                    owner = np.int64((position >> np.uint64(shift)) % np.uint64(n))
                    positions[e] = position
                    owners[e] = owner
                    counts[owner] += 1
                    e += 1
            at = starts[lo]
            for o in range(n):
                bounds[t, o] = at
                at += counts[o]
            bounds[t, n] = at
            fill = bounds[t, :n].copy()
            e = starts[lo]
            for j in range(lo, hi):
                row = np.uint64(spikes[j])
                for s in range(np.uint64(indptr[row]), np.uint64(indptr[row + one])):
                    d = fill[owners[e]]
                    fill[owners[e]] = d + 1
                    sorted_weights[d] = weights[s]
                    sorted_positions[d] = positions[e]
                    e += 1
        for o in numba.prange(n):              # phase 2: each its own positions
            for t in range(n):
                for d in range(bounds[t, o], bounds[t, o + 1]):
                    ring[sorted_positions[d]] += sorted_weights[d]
    return deliver


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cells", type=int, default=77169)
    p.add_argument("--out-degree", type=int, default=3873)
    p.add_argument("--spikes", type=int, default=35, help="spikes a step")
    args = p.parse_args(argv)
    from pynn_tinysim.engine import kernels
    from pynn_tinysim.engine.kernels import delivery
    compiled = kernels.load()
    n, out, slots = args.cells, args.out_degree, 64
    row_size = 2 * n
    rng = np.random.default_rng(1)
    indptr = np.arange(n + 1, dtype=np.int64) * out
    keys = (rng.integers(1, slots, n * out) * row_size
            + rng.integers(0, row_size, n * out)).astype(np.int32)
    weights = rng.normal(size=n * out)
    steps = [np.sort(rng.choice(n, args.spikes, replace=False)).astype(np.int64)
             for _ in range(200)]
    events = args.spikes * out
    scratch = np.zeros(slots * row_size)
    two_phase = _two_phase()
    buffers = (np.empty(events, np.uint64), np.empty(events, np.uint64), np.empty(events),
               np.empty(events, np.int64), np.empty(args.spikes + 1, np.int64),
               np.zeros((2, 3), np.int64))
    strategies = {
        "serial": lambda spk, off, ring: compiled.deliver_static(
            spk, off, indptr, keys, weights, ring, np.inf, scratch, 1, 1, 0),
        "owner-scan": lambda spk, off, ring: compiled.threaded.deliver_static(
            spk, off, indptr, keys, weights, ring, np.inf, scratch, 2, 1, 0),
        "two-phase": lambda spk, off, ring: two_phase(
            spk, off, indptr, keys, weights, ring, 2, *buffers, delivery.BLOCK_SHIFT),
    }
    rings = {}
    for name, deliver in strategies.items():
        ring = np.zeros(slots * row_size)
        for k, spk in enumerate(steps[:3]):            # compile (or load) first
            deliver(spk, (k % slots) * row_size, ring)
        ring[:] = 0.0
        start = time.perf_counter()
        for _ in range(5):
            for k, spk in enumerate(steps):
                deliver(spk, (k % slots) * row_size, ring)
        elapsed = time.perf_counter() - start
        rings[name] = ring
        print(f"{name:11s} {elapsed / (5 * len(steps)) * 1e6:8.1f} us a step "
              f"{elapsed / (5 * len(steps) * events) * 1e9:6.2f} ns an event")
    same = all(np.array_equal(rings["serial"], r) for r in rings.values())
    print("the one-thread bits in all:", same)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
