"""Static spike delivery from the CSR into the ring buffer, for Numba (see :mod:`.`).

The same sums as ``SynapseStore.deliver`` in the same order: synapses are taken
row by row (spiking ids in order, each row in store order) and each weight is
added to its ring position in turn, as ``np.add.at`` does. Above the store's
bincount threshold the NumPy code first sums the step's weights per position
(from 0, in order) and then adds those sums to the ring: that path is reproduced
too (``scratch``, one float per ring entry, zero between calls), so both engines
give the same bits whatever the spike volume.
"""


def deliver_static(spiking_ids, slot_offset, indptr, keys, weights, ring_flat,
                   bincount_limit, scratch):
    """Add what ``spiking_ids`` transmit; ``slot_offset``: the flat start of their stamp's row."""
    ring_size = ring_flat.size
    total = 0
    for i in spiking_ids:
        total += indptr[i + 1] - indptr[i]
    if total == 0:
        return
    dense = total > bincount_limit
    target = scratch if dense else ring_flat
    for i in spiking_ids:
        for s in range(indptr[i], indptr[i + 1]):
            position = keys[s] + slot_offset
            if position >= ring_size:
                position -= ring_size
            target[position] += weights[s]
    if dense:
        for position in range(ring_size):
            ring_flat[position] += scratch[position]
            scratch[position] = 0.0
