"""Merging queued static synapses into the store's CSR, for Numba (see :mod:`.`).

``SynapseStore.compile`` (engine/synapses.py) places each queued chunk of
synapses into the rows of their presynaptic ids, after what each row already
holds, in the chunk's order. The NumPy reference (``synapses._place``) does it
with a stable argsort of the presynaptic ids and scattered writes: a few
temporaries of 8 bytes a synapse and ~250 ns a synapse at full microcircuit
scale. :func:`place` is the counting sort written out: one pass, each synapse
to the next free place of its row. A stable sort and this pass put every
synapse at the same position (both keep the queued order within a row), and
values are only copied, so the store's arrays are the same bits
(``tests/test_synapse_store.py`` compares them); no temporary is needed.
"""


def place(pre, keys, weights, fill, out_keys, out_weights):
    """Put the synapses (``pre``, ``keys``, ``weights``) into their rows: synapse i
    goes to ``fill[pre[i]]``, which then moves on by one (``fill``: each row's next
    free place, updated)."""
    for i in range(pre.size):
        row = pre[i]
        position = fill[row]
        out_keys[position] = keys[i]
        out_weights[position] = weights[i]
        fill[row] = position + 1
