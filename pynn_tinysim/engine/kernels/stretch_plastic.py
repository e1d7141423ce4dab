"""A compiled stretch's path to its plastic projections, for Numba (see :mod:`.`).

A stretch (kernels/stretch.py) delivers its steps' spikes to the plastic projections
itself, after the static delivery and in the delivery list's order (the step loop's):
:func:`deliver_plastic`, which hands each projection to its rule's kernel
(kernels/plasticity.py, kernels/spinnaker_plasticity.py). It takes ``plastic``: None
(no plastic projection: the code here is pruned away by Numba, which compiles a function
once per type of its arguments), or ``(order, pair, tm, simple, mq, stm, board, float,
pending, now)``: ``order[i]`` names the i-th plastic projection, its kind (pair rule,
Tsodyks-Markram, SimpleStochastic, MultiQuantal, StochasticTsodyksMarkram, the sPyNNaker
flavour's STDP with board weights or in float mode) and its place among those (``KIND_*`` below); each
kind's part is ``(fields, offsets)``, or None where the stretch has none of that kind
(Numba then prunes its branch); the projections of a kind are laid end to end
(engine/stretch_plastic.py): field f of projection o is
``fields[f][offsets[f, o]:offsets[f, o + 1]]`` (``_pair_view``, ``_tm_view``...), the
tuples of ``PairTraceRule.stretch_arrays``, ``TsodyksMarkram.stretch_arrays``...
(engine/plasticity.py), whose decay tables cover every interval the stretch can meet;
``pending``/``now``: scratch for the rounds of a step's ids (as long as the stretch's
buffer of a step's spikes), so that nothing on this path allocates.

This path runs at every step with spikes, and it counts no references
(``kernels.UNCOUNTED``): a compiled call counts a reference to each array it takes, and
the kinds' parts are tens of arrays passed down three calls (~300 atomic operations,
~5 us a step, measured: more than the delivery itself in small networks). So these
functions and the kernels they reach allocate nothing (the rounds' scratch above) and
return no array, and the views are inlined into their callers (``kernels.INLINED``: a
view returned by a call would be one more reference for the caller to drop).
"""

import numpy as np

from . import plasticity as _pk
from . import spinnaker_plasticity as _sp

#: the kinds of plastic projections a stretch delivers to: ``order[i]`` is
#: ``index * N_KINDS + kind`` (the i-th projection is its kind's ``index``-th)
KIND_PAIR, KIND_TM, KIND_SIMPLE, KIND_MQ, KIND_STM = range(5)
#: the sPyNNaker flavour's STDP (kernels/spinnaker_plasticity.py), with board weights
#: and in float mode
KIND_BOARD, KIND_FLOAT = 5, 6
N_KINDS = 7


def _cut(field, bounds, i):
    """Projection i's part of an arena ``field`` (``bounds``: the field's row of offsets)."""
    return field[bounds[i]:bounds[i + 1]]


def _pair_view(f, o, i):
    """Pair rule projection i of a stretch's arenas (see above): its tuple of views."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]],
            f[18][o[18, i]:o[18, j]], f[19][o[19, i]:o[19, j]], f[20][o[20, i]:o[20, j]],
            f[21][o[21, i]:o[21, j]], f[22][o[22, i]:o[22, j]], f[23][o[23, i]:o[23, j]],
            f[24][o[24, i]:o[24, j]], f[25][o[25, i]:o[25, j]], f[26][o[26, i]:o[26, j]],
            f[27][o[27, i]:o[27, j]], f[28][o[28, i]:o[28, j]], f[29][o[29, i]:o[29, j]],
            f[30][o[30, i]:o[30, j]], f[31][o[31, i]:o[31, j]], f[32][o[32, i]:o[32, j]],
            f[33][o[33, i]:o[33, j]], f[34][o[34, i]:o[34, j]], f[35][o[35, i]:o[35, j]])


def _tm_view(f, o, i):
    """Tsodyks-Markram projection i of a stretch's arenas (see above): its tuple of views."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]],
            f[18][o[18, i]:o[18, j]], f[19][o[19, i]:o[19, j]], f[20][o[20, i]:o[20, j]])


def _simple_view(f, o, i):
    """SimpleStochastic projection i of a stretch's arenas (see above)."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]])


def _mq_view(f, o, i):
    """MultiQuantal projection i of a stretch's arenas (see above)."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]])


def _stm_view(f, o, i):
    """StochasticTsodyksMarkram projection i of a stretch's arenas (see above)."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]],
            f[18][o[18, i]:o[18, j]])


def _board_view(f, o, i):
    """Board-weight projection i of a stretch's arenas (see above; its fields:
    kernels/spinnaker_plasticity.py): its tuple of views."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]],
            f[18][o[18, i]:o[18, j]], f[19][o[19, i]:o[19, j]], f[20][o[20, i]:o[20, j]],
            f[21][o[21, i]:o[21, j]], f[22][o[22, i]:o[22, j]], f[23][o[23, i]:o[23, j]],
            f[24][o[24, i]:o[24, j]], f[25][o[25, i]:o[25, j]], f[26][o[26, i]:o[26, j]],
            f[27][o[27, i]:o[27, j]], f[28][o[28, i]:o[28, j]], f[29][o[29, i]:o[29, j]],
            f[30][o[30, i]:o[30, j]], f[31][o[31, i]:o[31, j]], f[32][o[32, i]:o[32, j]],
            f[33][o[33, i]:o[33, j]], f[34][o[34, i]:o[34, j]], f[35][o[35, i]:o[35, j]],
            f[36][o[36, i]:o[36, j]], f[37][o[37, i]:o[37, j]], f[38][o[38, i]:o[38, j]],
            f[39][o[39, i]:o[39, j]], f[40][o[40, i]:o[40, j]], f[41][o[41, i]:o[41, j]],
            f[42][o[42, i]:o[42, j]], f[43][o[43, i]:o[43, j]], f[44][o[44, i]:o[44, j]],
            f[45][o[45, i]:o[45, j]], f[46][o[46, i]:o[46, j]], f[47][o[47, i]:o[47, j]])


def _float_view(f, o, i):
    """Float-mode projection i of the flavour's STDP (see above; its fields:
    kernels/spinnaker_plasticity.py): its tuple of views."""
    j = i + 1
    return (f[0][o[0, i]:o[0, j]], f[1][o[1, i]:o[1, j]], f[2][o[2, i]:o[2, j]],
            f[3][o[3, i]:o[3, j]], f[4][o[4, i]:o[4, j]], f[5][o[5, i]:o[5, j]],
            f[6][o[6, i]:o[6, j]], f[7][o[7, i]:o[7, j]], f[8][o[8, i]:o[8, j]],
            f[9][o[9, i]:o[9, j]], f[10][o[10, i]:o[10, j]], f[11][o[11, i]:o[11, j]],
            f[12][o[12, i]:o[12, j]], f[13][o[13, i]:o[13, j]], f[14][o[14, i]:o[14, j]],
            f[15][o[15, i]:o[15, j]], f[16][o[16, i]:o[16, j]], f[17][o[17, i]:o[17, j]],
            f[18][o[18, i]:o[18, j]], f[19][o[19, i]:o[19, j]], f[20][o[20, i]:o[20, j]],
            f[21][o[21, i]:o[21, j]], f[22][o[22, i]:o[22, j]], f[23][o[23, i]:o[23, j]],
            f[24][o[24, i]:o[24, j]], f[25][o[25, i]:o[25, j]], f[26][o[26, i]:o[26, j]],
            f[27][o[27, i]:o[27, j]], f[28][o[28, i]:o[28, j]], f[29][o[29, i]:o[29, j]],
            f[30][o[30, i]:o[30, j]], f[31][o[31, i]:o[31, j]], f[32][o[32, i]:o[32, j]],
            f[33][o[33, i]:o[33, j]], f[34][o[34, i]:o[34, j]], f[35][o[35, i]:o[35, j]],
            f[36][o[36, i]:o[36, j]], f[37][o[37, i]:o[37, j]])


def deliver_plastic(spiking_ids, stamp, slot_offset, ring_flat, plastic):
    """A stretch's step: ``spiking_ids`` (spikes stamped ``stamp``) to every plastic
    projection of ``plastic`` in turn (see above; nothing where it is None)."""
    if plastic is None:
        return
    order, pair, tm, simple, mq, stm, board, float_, pending, now = plastic
    for code in order:
        kind = code % N_KINDS
        o = code // N_KINDS
        if kind == KIND_PAIR:
            _stretch_pair(spiking_ids, stamp, slot_offset, ring_flat, pair, o, pending, now)
        elif kind == KIND_TM:
            _stretch_tm(spiking_ids, stamp, slot_offset, ring_flat, tm, o, pending, now)
        elif kind == KIND_SIMPLE:
            _stretch_simple(spiking_ids, stamp, slot_offset, ring_flat, simple, o, pending,
                            now)
        elif kind == KIND_MQ:
            _stretch_mq(spiking_ids, stamp, slot_offset, ring_flat, mq, o, pending, now)
        elif kind == KIND_STM:
            _stretch_stm(spiking_ids, stamp, slot_offset, ring_flat, stm, o, pending, now)
        elif kind == KIND_BOARD:
            _stretch_board(spiking_ids, stamp, slot_offset, ring_flat, board, o, pending,
                           now)
        elif kind == KIND_FLOAT:
            _stretch_float(spiking_ids, stamp, slot_offset, ring_flat, float_, o, pending,
                           now)


def _stretch_pair(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        fields, offsets = part
        _pk.pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                _pair_view(fields, offsets, o), pending, now)


def _stretch_tm(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        fields, offsets = part
        (indptr, by_pre, keys, weight, U, u, x, y, t_last, decay, facil_row, psc_row, mark,
         epoch, amount, consts, rec_row, tau_rec, tau_psc, inv_diff,
         same) = _tm_view(fields, offsets, o)
        # (the tables cover every interval of the stretch: this returns 0; the rows are
        # there, nothing listed)
        _pk.tsodyks_markram_deliver(
            spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat, weight, U, u,
            x, y, t_last, consts[_pk.TM_DT], tau_rec, tau_psc, inv_diff, same, decay,
            np.int64(consts[_pk.TM_LENGTH]), facil_row, psc_row, rec_row,
            consts[_pk.TM_SATURATED] != 0.0, mark, epoch, amount, None, None, (pending, now))


def _stretch_simple(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        fields, offsets = part
        (indptr, by_pre, keys, weight, p, pre, post, pair_rank, key, mark,
         epoch) = _simple_view(fields, offsets, o)
        _pk.simple_stochastic_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                                      ring_flat, weight, p, pre, post, pair_rank,
                                      np.uint64(key[0]), mark, epoch, (pending, now))


def _stretch_mq(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        fields, offsets = part
        # (``mq_consts``: the key, whether the table is saturated, its row length)
        (indptr, by_pre, keys, weight, U, n_sites, u, a, t_last, pre, post, pair_rank,
         mq_consts, decay, facil_row, rec_row, mark, epoch) = _mq_view(fields, offsets, o)
        # (the table covers every interval of the stretch: this returns 0; the rows are
        # there, nothing listed)
        _pk.multi_quantal_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                                  ring_flat, weight, U, n_sites, u, a, t_last, pre, post,
                                  pair_rank, np.uint64(mq_consts[0]), decay, mq_consts[2],
                                  facil_row, rec_row, mq_consts[1] != 0, mark, epoch, None,
                                  None, None, (pending, now))


def _stretch_stm(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        fields, offsets = part
        # (``consts``: the key, whether the table is saturated, its row length; ``fconsts``:
        # dt)
        (indptr, by_pre, keys, weight, U, u, R, t_surv, t_last, pre, post, pair_rank,
         consts, fconsts, decay, facil_row, rec_row, mark, epoch) = _stm_view(
             fields, offsets, o)
        # (the table covers every interval of the stretch: this returns 0; the rows are
        # there, nothing listed)
        _pk.stochastic_tm_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                                  ring_flat, weight, U, u, R, t_surv, t_last, pre, post,
                                  pair_rank, np.uint64(consts[0]), fconsts[0], decay,
                                  consts[2], facil_row, rec_row, consts[1] != 0, mark, epoch,
                                  None, None, None, (pending, now))


def _stretch_board(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    """Projection o of the stretch's ``board`` part (None: the stretch has none, and
    Numba prunes this) takes the step's spikes."""
    if part is not None:
        fields, offsets = part
        _sp.spinnaker_pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                          _board_view(fields, offsets, o), pending, now)


def _stretch_float(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    """As :func:`_stretch_board`, for the flavour's STDP in float mode."""
    if part is not None:
        fields, offsets = part
        _sp.spinnaker_float_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                           _float_view(fields, offsets, o), pending, now)


def plastic_room(plastic):
    """Whether every pair rule's queue holds one more step's post spikes (each post
    neuron once); else its ``Q_FULL`` is set (the stretch stops: it is grown)."""
    if plastic is None:
        return True
    return (_pair_room(plastic[0], plastic[1]) and _board_room(plastic[0], plastic[6])
            and _float_room(plastic[0], plastic[7]))


def _pair_room(order, part):
    if part is not None:
        pair_fields, pair_offsets = part
        for code in order:
            if code % N_KINDS == KIND_PAIR:
                o = code // N_KINDS
                qs = _cut(pair_fields[27], pair_offsets[27], o)
                size = pair_offsets[23, o + 1] - pair_offsets[23, o]
                if qs[_pk.Q_TAIL] - qs[_pk.Q_HEAD] + qs[_pk.Q_N_POST] > size:
                    qs[_pk.Q_FULL] = 1
                    return False
                if qs[_pk.Q_RULE] == _pk.STDP_LOG and not _log_room(
                        qs, _cut(pair_fields[23], pair_offsets[23], o),
                        _cut(pair_fields[24], pair_offsets[24], o),
                        _cut(pair_fields[26], pair_offsets[26], o),
                        _cut(pair_fields[6], pair_offsets[6], o),
                        _cut(pair_fields[3], pair_offsets[3], o)):
                    qs[_pk.Q_FULL] = 2
                    return False
    return True


def _board_room(order, part):
    """Whether the queue of every flavour STDP projection with board weights holds one
    more step's post spikes (:func:`_queue_room`)."""
    if part is None:
        return True
    fields, offsets = part
    return _queue_room(order, KIND_BOARD, fields[44], offsets[44], offsets[40])


def _float_room(order, part):
    """As :func:`_board_room`, in float mode."""
    if part is None:
        return True
    fields, offsets = part
    return _queue_room(order, KIND_FLOAT, fields[34], offsets[34], offsets[30])


def _queue_room(order, kind, counters, counter_bounds, stamp_bounds):
    """Whether the queue of every projection of ``kind`` (the flavour's STDP: its qs in
    ``counters``, its q_stamp's bounds ``stamp_bounds``) holds one more step's post spikes
    (each post neuron once); else its ``Q_FULL`` is set (the stretch stops and the queue
    is grown, as a pair rule's: :func:`_pair_room`)."""
    for code in order:
        if code % N_KINDS == kind:
            o = code // N_KINDS
            qs = counters[counter_bounds[o]:counter_bounds[o + 1]]
            if qs[_pk.Q_TAIL] - qs[_pk.Q_HEAD] + qs[_pk.Q_N_POST] > (stamp_bounds[o + 1]
                                                                   - stamp_bounds[o]):
                qs[_pk.Q_FULL] = 1
                return False
    return True


def _log_room(qs, q_stamp, q_post, cursor, delays, post_indptr):
    """Whether the log has a free entry for every post event still queued (at most one
    per queued spike, delay and synapse of its column: what the next step may record)."""
    size = q_stamp.size
    n_post = qs[_pk.Q_N_POST]
    events = 0
    for u in range(delays.size):
        for c in range(cursor[u], qs[_pk.Q_TAIL]):
            col = u * n_post + q_post[c % size]
            events += post_indptr[col + 1] - post_indptr[col]
    return events <= qs[_pk.Q_LOG_N_FREE]
