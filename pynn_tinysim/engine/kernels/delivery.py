"""Static spike delivery from the CSR into the ring buffer, for Numba (see :mod:`.`).

The same sums as ``SynapseStore.deliver`` in the same order: synapses are taken
row by row (spiking ids in order, each row in store order) and each weight is
added to its ring position in turn, as ``np.add.at`` does. Above the store's
bincount threshold the NumPy code first sums the step's weights per position
(from 0, in order) and then adds those sums to the ring: that path is reproduced
too (``scratch``, one float per ring entry, zero between calls), so both engines
give the same bits whatever the spike volume.

Threads (``n_chunks`` > 1, and at least ``min_events`` events this step): the
ring's positions are cut in blocks of ``2 ** BLOCK_SHIFT`` entries (512 bytes), dealt to
the threads in turn (block b to thread b mod n_chunks); every thread walks all the
step's synapses in the serial order and adds those whose position is in its own
blocks. A ring position thus receives the same terms in the same order as in the
serial loop, whatever the number of threads: the same bits. (Each thread reads
every key; the random writes, the costly part, are shared out.) Blocks dealt in
turn share the writes out evenly where contiguous ranges of columns would not: a
row's columns are receptor-major, and most events go to the excitatory inputs (the
microcircuit at scale 0.5: 81 % of the events in the first half of the columns,
50.0 % in every other block).

Indices are unsigned (``np.uint64``): Numba then indexes without the check for
negative (from-the-end) indices, whose selects on the address of every ring write
and CSR read cost half the delivery's time (the microcircuit at scale 0.5: 0.52 ->
0.23 s per 100 ms of recorded spikes replayed, Poisson and recurrent events alike).
Keys and offsets are never negative, so the positions and the sums are the same.
"""

import numpy as np

#: replaced by numba.prange when the kernels are compiled (see .neurons)
prange = range
#: False in the threaded variants: see neurons.SERIAL
SERIAL = True

#: synaptic events per step from which several threads deliver: in effect never. Each
#: thread reads every event's key to find its own blocks (what keeps the additions in
#: the one-thread order), a branch that goes either way at random: on the 2-core
#: machine the full-scale microcircuit's 1 s took 35.0 s on 2 threads with it, 21.4 s
#: without, 21.0 s on one thread. The path stays for a partition that reads only its own
#: share (tests lower this to run it)
PARALLEL_MIN_EVENTS = 1 << 62

#: ring entries per block dealt to one thread (a power of two: 512 bytes, 8 cache lines)
BLOCK_SHIFT = 6


def deliver_static(spiking_ids, slot_offset, indptr, keys, weights, ring_flat,
                   bincount_limit, scratch, n_chunks=1, row_size=1, min_events=0):
    """Add what ``spiking_ids`` transmit; ``slot_offset``: the flat start of their stamp's
    row; with ``n_chunks`` > 1 and at least ``min_events`` events (the caller passes
    PARALLEL_MIN_EVENTS), on n_chunks threads (``row_size``: the ring's columns, unused now:
    the threads share the ring by blocks of positions)."""
    ring_size = ring_flat.size
    one = np.uint64(1)
    total = 0
    for i in spiking_ids:
        row = np.uint64(i)
        total += indptr[row + one] - indptr[row]
    if total == 0:
        return
    dense = total > bincount_limit
    target = scratch if dense else ring_flat
    offset = np.uint64(slot_offset)
    size = np.uint64(ring_size)
    if not SERIAL and n_chunks > 1 and total >= min_events:
        share = 1.0 / n_chunks
        shift = np.uint64(BLOCK_SHIFT)
        for c in prange(n_chunks):
            for i in spiking_ids:
                row = np.uint64(i)
                for s in range(np.uint64(indptr[row]), np.uint64(indptr[row + one])):
                    position = np.uint64(keys[s]) + offset
                    if position >= size:
                        position -= size
                    # the block's thread: block mod n_chunks, by a multiplication and a fix-up
                    block = np.int64(position >> shift)
                    owner = block - np.int64(block * share) * n_chunks
                    if owner < 0:
                        owner += n_chunks
                    elif owner >= n_chunks:
                        owner -= n_chunks
                    if owner == c:
                        target[position] += weights[s]
        if dense:
            for c in prange(n_chunks):
                for position in range(c * ring_size // n_chunks,
                                      (c + 1) * ring_size // n_chunks):
                    ring_flat[position] += scratch[position]
                    scratch[position] = 0.0
        return
    for i in spiking_ids:
        row = np.uint64(i)
        for s in range(np.uint64(indptr[row]), np.uint64(indptr[row + one])):
            position = np.uint64(keys[s]) + offset
            if position >= size:
                position -= size
            target[position] += weights[s]
    if dense:
        for position in range(ring_size):
            ring_flat[position] += scratch[position]
            scratch[position] = 0.0
