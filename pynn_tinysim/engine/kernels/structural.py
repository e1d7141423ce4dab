"""The sPyNNaker flavour's structural plasticity, for Numba (see :mod:`.`).

The reference is :mod:`..spinnaker.structural` (``StructuralSynapses``: a block of
``n_post * s_max`` slots, ``Rewiring``: the post-to-pre table and its random
stream). Compiled here, in the step loop (a structural projection never joins a
stretch):

- :func:`structural_static_deliver`: delivery from the occupied slots of a
  ``StructuralMechanismStatic`` block, in slot order, each slot once however many
  times its source is in the step's spikes (the reference's ``np.isin`` and
  ``np.add.at``): the same terms added to each ring position in the same order.
- :func:`structural_rewire`: the rewiring attempts (formation and elimination) of a
  Population whose structural projections all have static slots, or whose one
  structural projection has STDP slots delivered by the rule's kernel
  (:func:`_form_plastic`: what a formation sets in the rule), the reference's
  ``Rewiring.attempt`` operation for operation on int64, from the same 32-bit words:
  ``_Words`` draws them in blocks of 4096 from the Population's numpy Generator, in
  either engine; the compiled one draws whole blocks ahead (``_Words.ensure``), so
  the words, and so the rewiring, are the same (the Generator has no other user, and
  words drawn ahead stay in ``_Words`` for the next call or run: nothing to rewind;
  drawing inside Numba from the Generator was not attempted, as its words would have
  to match ``integers()``'s block by block).
- :func:`structural_local_pre`: the sources among a step's spikes (LastNeuronSelection's
  last spikes, the STDP rows' traces) without ``np.isin``.

The delivery of STDP slots is the rule's own kernel (:mod:`.spinnaker_plasticity`,
``BoardTraces.compiled_deliver``, board weights or float mode), its indices rebuilt
after each change of the slots.
"""

import numpy as np


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


#: random words one rewiring attempt draws at most (post, column, then elimination's r,
#: or the partner (two) and the formation's probability and delay)
WORDS_PER_ATTEMPT = 6
#: sPyNNaker's uint16 probability scale (MAX_SHORT)
_MAX_SHORT = 65535


def _rand_int(maximum, word):
    """sPyNNaker's rand_int, ``(max * word) >> 32`` (max below 2**31, word below 2**32)."""
    return (np.int64(maximum) * np.int64(word)) >> 32


def _squared_distance(pre, post, gx, gy, rx, ry):
    """``board_squared_distance`` with the grid's reciprocal words ``rx``, ``ry``."""
    pre_x = post_x = pre_y = post_y = 0
    if gx > 1:
        pre_x = (pre * rx) >> 32
        post_x = (post * rx) >> 32
    if gy > 1:
        pre_y = pre - ((pre * ry) >> 32) * gy
        post_y = post - ((post * ry) >> 32) * gy
    dx = abs(pre_x - post_x)
    dy = abs(pre_y - post_y)
    if dx > (gx >> 1) and gx > 1:
        dx -= gx
    if dy > (gy >> 1) and gy > 1:
        dy -= gy
    return (dx * dx + dy * dy) & 0xFFFFFFFF


def _form_plastic(plastic, slot, pre, initial_weight, slot_w):
    """A synapse formed in ``slot`` of a plastic member from its local source ``pre``
    (``SlotRule.structural_initial_weight`` and ``structural_formed``)."""
    w_scale, row_t, row_k, t_last, k_pre, n_pending, pend_acc, pend_reset = plastic
    weight = initial_weight
    if w_scale.size:
        scale = w_scale[slot]
        weight = np.rint(abs(initial_weight) * scale) / scale
    slot_w[0, slot] = weight
    t_last[slot] = row_t[pre]
    k_pre[slot] = row_k[pre]
    if n_pending[slot]:
        n_pending[slot] = 0
        pend_acc[slot] = pend_reset[0]     # (1 for a product, else 0)


def structural_rewire(step, upto, fast, p_rew, words, state, proj, slot_pre, slot_w, slot_d,
                      row_count, pre_ids, pre_off, local_of, local_off, pre_lo, tables,
                      table_off, last_stamp, last_member, last_local, buffer_size,
                      random_partner, with_replacement, gx, gy, rx, ry, threshold, p_elim_dep,
                      p_elim_pot, formed_w, delay_lo, delay_hi, initial_weight=0.0,
                      plastic=None):
    """The rewiring attempts of steps ``step .. upto`` (``Rewiring.catch_up``) of a
    Population whose structural projections (members) all have static slots; returns
    the first step not done (it stops before a step whose attempts could run out of
    ``words``, the 32-bit words drawn ahead, from ``state[0]``).

    ``state``: [word position, slow schedule's steps since the last attempt, attempts,
    formed, eliminated, 1 where a slot changed]; ``proj``: the post-to-pre table
    (member index, -1: empty); ``slot_pre``/``slot_w``/``slot_d``: the members' slots, one
    row each; ``row_count``, ``pre_ids``: the members' per-source arrays end to end
    (member m's from ``pre_off[m]``), ``local_of``: id -> local index tables (member m's
    from ``local_off[m]``, for ids from ``pre_lo[m]``), ``tables``: the members' formation
    tables (from ``table_off[m]``); LastNeuronSelection (``random_partner`` False): the
    spikes stamped ``last_stamp`` as (``last_member``, ``last_local``) pairs in the
    reference's order; ``formed_w``: each member's weight for a formed synapse.

    ``plastic`` (None: static slots): one member whose slots are a plastic rule's
    synapses (``slot_*`` its arrays as one row), the tuple (``w_scale``: its 16-bit
    weights' scales, empty: float64 weights; the rule's ``t_last``, ``k_pre``,
    ``n_pending``, ``pend_acc``; the rows' ``row_t``, ``row_k``; ``pend_reset``: one
    element, an empty ``pend_acc``'s value, 1 where it is a product): a formed synapse
    gets ``initial_weight`` as the host writes it and its row's presynaptic trace, and
    drops its pending post events (``SlotRule.structural_formed``; with board weights the
    rule's events in the compiled delivery's rings, emptied by the count); ``state[6]``: 1 where a
    formed synapse's delay changed (the rule's indices are then compiled again).
    """
    pos = state[0]
    since_last = state[1]
    per_step = p_rew if fast else 1
    n_members = slot_pre.shape[0]
    n_post, s_max = proj.shape
    while step <= upto:
        if words.size - pos < per_step * WORDS_PER_ATTEMPT:
            break
        n = p_rew
        if not fast:
            since_last += 1
            n = 0
            if since_last >= p_rew:
                since_last = 0
                n = 1
        for _ in range(n):
            state[2] += 1
            post = _rand_int(n_post, words[pos])
            col = _rand_int(s_max, words[pos + 1])
            pos += 2
            slot = post * s_max + col
            m = proj[post, col]
            if m != -1:
                # RandomByWeightElimination
                r = np.int64(words[pos])
                pos += 1
                if slot_w[m, slot] < threshold:
                    if r > p_elim_dep:
                        continue
                elif r > p_elim_pot:
                    continue
                local = local_of[local_off[m] + slot_pre[m, slot] - pre_lo[m]]
                row_count[pre_off[m] + local] -= 1
                slot_pre[m, slot] = -1
                proj[post, col] = -1
                state[4] += 1
                state[5] = 1
                continue
            if random_partner:
                m = _rand_int(n_members, words[pos])
                pre = _rand_int(pre_off[m + 1] - pre_off[m], words[pos + 1])
                pos += 2
            else:
                if last_stamp != step or last_local.size == 0:
                    continue
                pick = _rand_int(min(last_local.size, buffer_size), words[pos])
                pos += 1
                m = last_member[pick]
                pre = last_local[pick]
            if row_count[pre_off[m] + pre] >= s_max:
                continue
            pre_id = pre_ids[pre_off[m] + pre]
            if not with_replacement:
                connected = False
                for c in range(post * s_max, (post + 1) * s_max):
                    if slot_pre[m, c] == pre_id:
                        connected = True
                        break
                if connected:
                    continue
            d2 = _squared_distance(pre, post, gx, gy, rx, ry)
            t0 = table_off[m]
            if d2 >= table_off[m + 1] - t0:
                continue
            draw = _rand_int(_MAX_SHORT, words[pos])
            pos += 1
            if draw > tables[t0 + d2]:
                continue
            delay = delay_lo + _rand_int(delay_hi - delay_lo, words[pos])
            pos += 1
            slot_pre[m, slot] = pre_id
            if plastic is None:
                slot_w[m, slot] = formed_w[m]
            else:
                _form_plastic(plastic, slot, pre, initial_weight, slot_w)
                if slot_d[m, slot] != delay:
                    state[6] = 1
            slot_d[m, slot] = delay
            row_count[pre_off[m] + pre] += 1
            proj[post, col] = m
            state[3] += 1
            state[5] = 1
        step += 1
    state[0] = pos
    state[1] = since_last
    return step


def structural_local_pre(spiking_ids, pre_lo, local_of, out):
    """The local indices of those of ``spiking_ids`` that are sources (``local_of`` as
    for :func:`structural_static_deliver`), in the ids' order, into ``out``; their count."""
    n_ids = local_of.size
    n = 0
    for i in spiking_ids:
        j = i - pre_lo
        if 0 <= j < n_ids and local_of[j] >= 0:
            out[n] = local_of[j]
            n += 1
    return n
