"""Connectivity and spike delivery: CSR by presynaptic neuron plus a delay ring buffer.

Each projection owns a :class:`SynapseBlock` (parallel arrays: presynaptic id,
postsynaptic id, weight, delay in steps, all for one receptor type). Before a
run the network compiles every block into one :class:`CompiledSynapses`:

- the synapses sorted by presynaptic id, with ``indptr`` (CSR rows);
- per synapse a single integer ``key = delay * row_size + input_position``,
  the place its weight must be added in the ring buffer relative to the slot
  of the current step, and the weight itself.

The ring buffer has one row per future time step (max delay + 1 rows) and one
column per (neuron group, receptor, neuron) input. Delivering the spikes of one
step is a handful of array operations whatever the number of spikes or
projections: gather the CSR rows of the spiking neurons, turn keys into flat
ring positions, and accumulate with ``np.add.at`` (``np.bincount`` when the
spike volume is large).
"""

import numpy as np


class SynapseBlock:
    """The synapses of one projection: parallel arrays, one receptor type."""

    def __init__(self, receptor):
        self.receptor = receptor
        self.pre = np.zeros(0, np.int64)
        self.post = np.zeros(0, np.int64)
        self.weight = np.zeros(0)
        self.delay_steps = np.zeros(0, np.int64)
        self._pending = []

    def add(self, pre_ids, post_ids, weights, delay_steps):
        """Queue connections (arrays, or scalars broadcast to the connection count)."""
        pre_ids = np.asarray(pre_ids, np.int64)
        post_ids = np.broadcast_to(np.asarray(post_ids, np.int64), pre_ids.shape)
        weights = np.broadcast_to(np.asarray(weights, float), pre_ids.shape)
        delay_steps = np.broadcast_to(np.asarray(delay_steps, np.int64), pre_ids.shape)
        self._pending.append((pre_ids, post_ids, weights, delay_steps))

    def consolidate(self):
        """Concatenate queued connections into the arrays (cheap when nothing is queued)."""
        if self._pending:
            parts = list(zip(*self._pending))
            self.pre = np.concatenate([self.pre, *parts[0]])
            self.post = np.concatenate([self.post, *parts[1]])
            self.weight = np.concatenate([self.weight, *parts[2]])
            self.delay_steps = np.concatenate([self.delay_steps, *parts[3]])
            self._pending = []

    def __len__(self):
        return self.pre.size + sum(p[0].size for p in self._pending)


class CompiledSynapses:
    """All synapses of the network in delivery order, bound to one ring-buffer layout."""

    # above this many synaptic events per step, a dense bincount beats np.add.at
    _BINCOUNT_FRACTION = 0.25

    def __init__(self, blocks, n_ids, input_position, row_size, n_slots):
        pre, keys, weights = [], [], []
        for block in blocks:
            block.consolidate()
            if block.pre.size == 0:
                continue
            pre.append(block.pre)
            keys.append(block.delay_steps * row_size + input_position(block))
            weights.append(block.weight)
        if pre:
            pre = np.concatenate(pre)
            keys = np.concatenate(keys)
            weights = np.concatenate(weights)
        else:
            pre, keys, weights = (np.zeros(0, np.int64),) * 2 + (np.zeros(0),)
        order = np.argsort(pre, kind="stable")
        ring_size = n_slots * row_size
        key_dtype = np.int32 if 2 * ring_size < np.iinfo(np.int32).max else np.int64
        self.keys = keys[order].astype(key_dtype)
        self.weights = weights[order]
        self.indptr = np.zeros(n_ids + 1, np.int64)
        np.cumsum(np.bincount(pre, minlength=n_ids), out=self.indptr[1:])
        self.row_size = row_size
        self.n_slots = n_slots
        self.ring_size = ring_size
        self.size = self.keys.size

    def deliver(self, spiking_ids, k, ring_flat):
        """Add the weights of the synapses of ``spiking_ids`` (spikes stamped k+1) to the ring."""
        starts = self.indptr[spiking_ids]
        counts = self.indptr[spiking_ids + 1] - starts
        if spiking_ids.size == 1:
            sl = slice(int(starts[0]), int(starts[0] + counts[0]))
            keys, weights = self.keys[sl], self.weights[sl]
        else:
            n = int(counts.sum())
            if n == 0:
                return
            # indices of the concatenated CSR rows, without a Python loop
            shift = np.repeat(starts - (np.cumsum(counts) - counts), counts)
            idx = np.arange(n, dtype=np.int64)
            idx += shift
            keys, weights = self.keys[idx], self.weights[idx]
        if keys.size == 0:
            return
        # spike stamped k+1 with delay d arrives at step k+1+d
        flat = keys + ((k + 1) % self.n_slots) * self.row_size
        flat[flat >= self.ring_size] -= self.ring_size
        if keys.size > self._BINCOUNT_FRACTION * self.ring_size:
            ring_flat += np.bincount(flat, weights, minlength=self.ring_size)
        else:
            np.add.at(ring_flat, flat, weights)
