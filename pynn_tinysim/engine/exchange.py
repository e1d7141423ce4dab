"""Spike exchange between MPI ranks (NEST's scheme): one collective per min-delay window.

Owns how a network is split over ranks and how spikes cross between them. The
engine imports no MPI: the front hands :class:`SpikeExchange` a communicator
(mpi4py's ``COMM_WORLD`` or anything with ``Get_rank``, ``Get_size``,
``Allgather`` and ``allreduce``).

Distribution (block, per Population): the ``n`` cells of one ``add_neurons`` call
(one Population) are split into ``size`` consecutive blocks; rank ``r`` *owns*
cells ``[n r // size, n (r+1) // size)`` (:func:`block_range`). A rank's neuron
group holds only the cells it owns, appended Population after Population, so
the group's arrays stay contiguous and its step is the one-process step on
fewer cells (a neuron's arithmetic does not depend on its neighbours: the same
bits). It holds only the synapses onto those cells. Spike sources (no
receptors, no input) and models that draw random numbers for all their cells
at once are held whole on every rank (:func:`splits`): their random streams
depend only on the network seed, so every rank computes the same spikes, and
only the owner's count (``Network.owned``).

Exchange: a spike emitted at step k with delay d >= W (W: the shortest delay of
any synapse on any rank, in steps) lands in the ring-buffer row of step
k + 1 + d, which no neuron reads before the end of the window of W steps that
contains k. So each rank collects the spikes of its owned cells during a window,
and at the window's end one ``Allgather`` of fixed-size buffers (count, then
keys; the buffers grow, with one more collective, when a count outgrows them)
gives every rank every spike. Then every spike of the window is delivered, step
by step, in the order the one-process network delivers them (groups in creation
order; within a neuron group ascending ids; a source group's own order), through
the same deliveries: each ring-buffer entry receives the same additions in the
same order, so the results are the same bits for any number of ranks.

The static store chooses between two summation orders by the number of synaptic
events of a step (:class:`~.synapses.SynapseStore`); under MPI it counts the
events of all ranks (``global_counts``), so every rank makes the one-process
choice.
"""

import os

import numpy as np

#: initial capacity (keys per rank) of the exchange buffers
INITIAL_CAPACITY = 1024
#: tests of a pending exchange before a waiting rank starts yielding its core
SPIN_TESTS = 200
_yield = getattr(os, "sched_yield", lambda: None)


def block_range(n, rank, size):
    """(first, stop) of the cells of a group of ``n`` that rank ``rank`` of ``size`` owns."""
    return n * rank // size, n * (rank + 1) // size


def splits(model_class):
    """Whether a rank holds only its own cells of ``model_class`` (else all of them).

    Neuron models are split. Spike sources (no receptors: no input) are held whole
    on every rank, as are models that draw random numbers for all their cells at
    once (``random_per_cell``: the draws would depend on how many cells a rank
    holds): their cells are computed everywhere, only the owner's spikes count.
    """
    return bool(model_class.receptors) and not getattr(model_class, "random_per_cell", False)


class SpikeExchange:
    """The spikes of one run's windows, gathered from every rank and delivered in order."""

    def __init__(self, comm):
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.capacity = INITIAL_CAPACITY
        self.window = 1             # steps per exchange (set by prepare())
        self.n_collectives = 0      # Allgather calls so far (tests check one per window)
        self._pending = []          # keys of owned spikes of the present window
        self._local = []            # (step, group position, ids): source spikes, in order
        self._first_step = None

    # --- agreement before a run ----------------------------------------------------

    def any_rank(self, flag):
        """True on every rank when ``flag`` is true on any."""
        return any(self.comm.allgather(bool(flag)))

    def min_over_ranks(self, value):
        """The smallest of ``value`` (a number or None: nothing) over the ranks, or None."""
        values = [v for v in self.comm.allgather(value) if v is not None]
        return min(values) if values else None

    def max_over_ranks(self, value):
        """The largest of ``value`` over the ranks (ring-buffer depth: same on every rank)."""
        return max(self.comm.allgather(int(value)))

    def prepare(self, network, deliveries, exchanged):
        """Agree on the window length and the store's summation choice for a run.

        ``exchanged``: per group position, True for groups whose spikes are
        exchanged (neuron groups), False for sources (true on every rank).
        """
        n_ids = network.layout().id_group.size
        self.n_ids = n_ids
        self.exchanged = list(exchanged)
        self.n_groups = len(self.exchanged)
        delays = [min_delay_of(d) for d in deliveries]
        delays = [d for d in delays if d is not None]
        from_all = [d for d in self.comm.allgather(min(delays) if delays else None)
                    if d is not None]
        # no synapse anywhere: nothing to deliver, one exchange at the end of the run
        self.window = max(1, min(from_all)) if from_all else None
        store = network.static
        counts = np.diff(store.indptr).astype(np.int64)
        if counts.size < n_ids:
            counts = np.concatenate([counts, np.zeros(n_ids - counts.size, np.int64)])
        total = np.empty_like(counts)
        self.comm.Allreduce(counts, total)      # (MPI.SUM, mpi4py's default)
        store.global_counts = total

    # --- during a run ----------------------------------------------------------------

    def open(self, k, k_end):
        """Start a window at step ``k``; return the step that ends it (at most ``k_end``)."""
        self._first_step = k
        return k_end if self.window is None else min(k + self.window, k_end)

    def collect(self, k, position, ids, owned):
        """Spikes of group ``position`` at step ``k``: ``ids`` (global), ``owned`` mask by id."""
        if self.window is None:     # no synapse on any rank: nothing to deliver
            return
        if self.exchanged[position]:
            ids = ids[owned[ids]]
            if ids.size:
                key = ((k - self._first_step) * self.n_groups + position) * self.n_ids
                self._pending.append(ids + key)
        else:
            self._local.append((k, position, ids))

    def collect_many(self, steps, positions, ids, owned):
        """The spikes of several steps and groups at once, as a compiled stretch emits
        them (step by step, groups in order, each group's spikes in its order): the
        same as :meth:`collect` called for each (step, group) in turn."""
        if self.window is None or steps.size == 0:
            return
        exchanged = np.asarray(self.exchanged, bool)[positions]
        mine = exchanged & owned[ids]
        if mine.any():
            self._pending.append(
                ((steps[mine] - self._first_step) * self.n_groups + positions[mine])
                * self.n_ids + ids[mine])
        sources = np.flatnonzero(~exchanged)
        if sources.size:
            # a (step, source group)'s spikes are contiguous: one entry per run of them
            slot = steps[sources] * self.n_groups + positions[sources]
            starts = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
            ends = np.r_[starts[1:], slot.size]
            for lo, hi in zip(starts.tolist(), ends.tolist()):
                first = sources[lo]
                self._local.append((int(steps[first]), int(positions[first]),
                                    ids[sources[lo:hi]]))

    def flush(self, deliveries, ring_flat):
        """Gather the window's spikes from every rank and deliver them step by step."""
        first = self._first_step
        if first is None or self.window is None:
            self._first_step = None
            return
        keys = np.concatenate(self._pending) if self._pending else np.zeros(0, np.int64)
        gathered = np.sort(self._allgather(keys))
        local = self._local
        self._pending, self._local, self._first_step = [], [], None
        n_ids, n_groups = self.n_ids, self.n_groups
        # (step, group) -> ids: exchanged ids in ascending order, sources as emitted
        slot_of = gathered // n_ids
        ids_all = gathered - slot_of * n_ids
        bounds = np.flatnonzero(np.diff(slot_of)) + 1
        starts = np.concatenate([[0], bounds]) if gathered.size else np.zeros(0, np.int64)
        by_slot = {}
        for lo, hi in zip(starts.tolist(), np.append(bounds, gathered.size).tolist()):
            by_slot[int(slot_of[lo])] = ids_all[lo:hi]
        for k, position, ids in local:
            by_slot[(k - first) * n_groups + position] = ids
        if not by_slot:
            return
        slots = sorted(by_slot)
        i = 0
        while i < len(slots):
            j = slots[i] // n_groups
            parts = []
            while i < len(slots) and slots[i] // n_groups == j:
                parts.append(by_slot[slots[i]])
                i += 1
            fired = parts[0] if len(parts) == 1 else np.concatenate(parts)
            if fired.size:
                for deliver in deliveries:
                    deliver(fired, first + j, ring_flat)

    def _allgather(self, keys):
        """Every rank's ``keys``, concatenated: one Allgather (two if a buffer overflows)."""
        size = self.size
        need = keys.size
        while True:
            cap = self.capacity
            send = np.zeros(cap + 1, np.int64)
            send[0] = need
            if need <= cap:
                send[1:need + 1] = keys
            recv = np.empty(size * (cap + 1), np.int64)
            self._gather_yielding(send, recv)
            self.n_collectives += 1
            recv = recv.reshape(size, cap + 1)
            counts = recv[:, 0]
            most = int(counts.max())
            if most <= cap:
                return np.concatenate([recv[r, 1:1 + int(counts[r])] for r in range(size)])
            # some rank had more: all grow to the largest count and send again
            self.capacity = max(2 * cap, most)

    def _gather_yielding(self, send, recv):
        """``Allgather(send, recv)``, a waiting rank giving its core away.

        MPI implementations busy-poll inside a blocking collective: on a machine
        with more runnable processes than cores (other jobs, or more ranks than
        cores), the rank that arrives first spins on the core the one it waits for
        could use. So: the non-blocking collective, polled for SPIN_TESTS tests,
        then with ``sched_yield`` between tests (no sleep: an idle machine keeps
        the blocking call's latency).
        """
        start = getattr(self.comm, "Iallgather", None)
        if start is None:           # a communicator without non-blocking collectives
            self.comm.Allgather(send, recv)
            return
        request = start(send, recv)
        for _ in range(SPIN_TESTS):
            if request.Test():
                return
        while not request.Test():
            _yield()

    def reset(self):
        self._pending, self._local, self._first_step = [], [], None


def min_delay_of(delivery):
    """The shortest delay (steps) of a delivery's synapses, None when it has none."""
    if hasattr(delivery, "min_delay_steps"):       # the static store
        return delivery.min_delay_steps()
    steps = delivery.delay_steps                   # a plastic projection
    return int(steps.min()) if steps.size else None
