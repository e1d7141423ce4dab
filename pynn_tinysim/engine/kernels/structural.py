"""The sPyNNaker flavour's structural plasticity, for Numba (see :mod:`.`).

The reference is :mod:`..spinnaker.structural` (``StructuralSynapses``: a block of
``n_post * s_max`` slots, ``Rewiring``: the post-to-pre table and its random
stream). Compiled here, in the step loop (a structural projection never joins a
stretch):

- :func:`structural_static_deliver`: delivery from the occupied slots of a
  ``StructuralMechanismStatic`` block, in slot order, each slot once however many
  times its source is in the step's spikes (the reference's ``np.isin`` and
  ``np.add.at``): the same terms added to each ring position in the same order.
"""



def structural_static_deliver(spiking_ids, pre_lo, local_of, flags, slot_pre, slot_w,
                              slot_d, input_pos, base, row_size, ring_flat):
    """Add what ``spiking_ids`` (stamped k + 1) transmit through the occupied slots.

    ``local_of[id - pre_lo]``: the source's local index (-1: not a source), ``flags``:
    one False per source (scratch, False again on return); ``slot_pre`` (-1: empty),
    ``slot_w``, ``slot_d``, ``input_pos``: per slot; ``base``: the flat start of the
    stamp's ring row."""
    n_ids = local_of.size
    hit = False
    for i in spiking_ids:
        j = i - pre_lo
        if 0 <= j < n_ids and local_of[j] >= 0:
            flags[local_of[j]] = True
            hit = True
    if not hit:
        return
    ring_size = ring_flat.size
    for s in range(slot_pre.size):
        p = slot_pre[s]
        if p >= 0 and flags[local_of[p - pre_lo]]:
            flat = slot_d[s] * row_size + input_pos[s] + base
            if flat >= ring_size:
                flat -= ring_size
            ring_flat[flat] += slot_w[s]
    for i in spiking_ids:
        j = i - pre_lo
        if 0 <= j < n_ids and local_of[j] >= 0:
            flags[local_of[j]] = False
