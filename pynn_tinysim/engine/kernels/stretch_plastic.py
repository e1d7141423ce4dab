"""A compiled stretch's path to its plastic projections, for Numba (see :mod:`.`).

A stretch (kernels/stretch.py) delivers its steps' spikes to the plastic projections
itself, after the static delivery and in the delivery list's order (the step loop's):
:func:`deliver_plastic`, which hands each projection to its rule's kernel
(kernels/plasticity.py, kernels/spinnaker_plasticity.py). It takes ``plastic``: None
(no plastic projection: the code here is pruned away by Numba, which compiles a function
once per type of its arguments), or ``(order, pair, tm, simple, mq, stm, board, float,
pending, now)``: ``order[i]`` names the i-th plastic projection, its kind (pair rule,
Tsodyks-Markram, SimpleStochastic, MultiQuantal, StochasticTsodyksMarkram, the sPyNNaker
flavour's STDP with board weights or in float mode) and its place among those
(``KIND_*`` below); ``pending``/``now``: scratch for the rounds of a step's ids (as long
as the stretch's buffer of a step's spikes), so that nothing on this path allocates.

Each kind's part is None where the stretch has none of that kind (Numba then prunes its
branch), else its projections laid end to end (engine/stretch_plastic.py), their fields
(the tuples of ``PairTraceRule.stretch_arrays``, ``TsodyksMarkram.stretch_arrays``...,
engine/plasticity.py, whose decay tables cover every interval the stretch can meet) in
four arrays: ``(read ints, written ints, read floats, written floats, offsets)``, the
fields a stretch only reads and those it writes or that are redone per stretch, by
dtype; field f of projection i is ``array[offsets[f, i]:offsets[f, i + 1]]`` of its
array (``_pair_view``, ``_tm_view``...: which array holds which field is written out in
them, as engine/stretch_plastic.py lays them). Four arrays rather than one per field:
each array a stretch holds is an argument its compiled code unboxes and a reference
counted wherever the stretch passes ``plastic`` on (~40-50 fields a kind: measured
~2 s more compilation of a plastic network's stretch, and ~1 us a step).

This path runs at every step with spikes, and it counts no references
(``kernels.UNCOUNTED``): a compiled call counts a reference to each array it takes (the
views of the fields, passed down three calls: ~300 atomic operations, ~5 us a step,
measured: more than the delivery itself in small networks). So these functions and the
kernels they reach allocate nothing (the rounds' scratch above) and return no array,
and the views are inlined into their callers (``kernels.INLINED``: a view returned by a
call would be one more reference for the caller to drop).
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


def _pair_view(part, i):
    """Pair rule projection i of a stretch's arenas (see above): its tuple of views."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            ri[o[3, i]:o[3, j]], ri[o[4, i]:o[4, j]], ri[o[5, i]:o[5, j]],
            ri[o[6, i]:o[6, j]], wf[o[7, i]:o[7, j]], rf[o[8, i]:o[8, j]],
            rf[o[9, i]:o[9, j]], rf[o[10, i]:o[10, j]], rf[o[11, i]:o[11, j]],
            wf[o[12, i]:o[12, j]], wf[o[13, i]:o[13, j]], wi[o[14, i]:o[14, j]],
            wi[o[15, i]:o[15, j]], wi[o[16, i]:o[16, j]], wf[o[17, i]:o[17, j]],
            wf[o[18, i]:o[18, j]], wf[o[19, i]:o[19, j]], wi[o[20, i]:o[20, j]],
            wi[o[21, i]:o[21, j]], wi[o[22, i]:o[22, j]], wi[o[23, i]:o[23, j]],
            wi[o[24, i]:o[24, j]], wi[o[25, i]:o[25, j]], wi[o[26, i]:o[26, j]],
            wi[o[27, i]:o[27, j]], rf[o[28, i]:o[28, j]], rf[o[29, i]:o[29, j]],
            wi[o[30, i]:o[30, j]], wi[o[31, i]:o[31, j]], wi[o[32, i]:o[32, j]],
            wi[o[33, i]:o[33, j]], wi[o[34, i]:o[34, j]], wf[o[35, i]:o[35, j]])


def _tm_view(part, i):
    """Tsodyks-Markram projection i of a stretch's arenas (see above): its tuple of views."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            rf[o[3, i]:o[3, j]], rf[o[4, i]:o[4, j]], wf[o[5, i]:o[5, j]],
            wf[o[6, i]:o[6, j]], wf[o[7, i]:o[7, j]], wi[o[8, i]:o[8, j]],
            wf[o[9, i]:o[9, j]], wi[o[10, i]:o[10, j]], wi[o[11, i]:o[11, j]],
            wi[o[12, i]:o[12, j]], wi[o[13, i]:o[13, j]], wf[o[14, i]:o[14, j]],
            wf[o[15, i]:o[15, j]], wi[o[16, i]:o[16, j]], wf[o[17, i]:o[17, j]],
            wf[o[18, i]:o[18, j]], wf[o[19, i]:o[19, j]], wf[o[20, i]:o[20, j]])


def _simple_view(part, i):
    """SimpleStochastic projection i of a stretch's arenas (see above)."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            rf[o[3, i]:o[3, j]], rf[o[4, i]:o[4, j]], ri[o[5, i]:o[5, j]],
            ri[o[6, i]:o[6, j]], ri[o[7, i]:o[7, j]], wi[o[8, i]:o[8, j]],
            wi[o[9, i]:o[9, j]], wi[o[10, i]:o[10, j]])


def _mq_view(part, i):
    """MultiQuantal projection i of a stretch's arenas (see above)."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            rf[o[3, i]:o[3, j]], rf[o[4, i]:o[4, j]], rf[o[5, i]:o[5, j]],
            wf[o[6, i]:o[6, j]], wf[o[7, i]:o[7, j]], wi[o[8, i]:o[8, j]],
            ri[o[9, i]:o[9, j]], ri[o[10, i]:o[10, j]], ri[o[11, i]:o[11, j]],
            wi[o[12, i]:o[12, j]], wf[o[13, i]:o[13, j]], wi[o[14, i]:o[14, j]],
            wi[o[15, i]:o[15, j]], wi[o[16, i]:o[16, j]], wi[o[17, i]:o[17, j]])


def _stm_view(part, i):
    """StochasticTsodyksMarkram projection i of a stretch's arenas (see above)."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            rf[o[3, i]:o[3, j]], rf[o[4, i]:o[4, j]], wf[o[5, i]:o[5, j]],
            wf[o[6, i]:o[6, j]], wf[o[7, i]:o[7, j]], wi[o[8, i]:o[8, j]],
            ri[o[9, i]:o[9, j]], ri[o[10, i]:o[10, j]], ri[o[11, i]:o[11, j]],
            wi[o[12, i]:o[12, j]], wf[o[13, i]:o[13, j]], wf[o[14, i]:o[14, j]],
            wi[o[15, i]:o[15, j]], wi[o[16, i]:o[16, j]], wi[o[17, i]:o[17, j]],
            wi[o[18, i]:o[18, j]])


def _board_view(part, i):
    """Board-weight projection i of a stretch's arenas (see above; its fields:
    kernels/spinnaker_plasticity.py): its tuple of views."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            ri[o[3, i]:o[3, j]], ri[o[4, i]:o[4, j]], ri[o[5, i]:o[5, j]],
            ri[o[6, i]:o[6, j]], ri[o[7, i]:o[7, j]], wi[o[8, i]:o[8, j]],
            wi[o[9, i]:o[9, j]], wf[o[10, i]:o[10, j]], rf[o[11, i]:o[11, j]],
            ri[o[12, i]:o[12, j]], wi[o[13, i]:o[13, j]], ri[o[14, i]:o[14, j]],
            ri[o[15, i]:o[15, j]], ri[o[16, i]:o[16, j]], ri[o[17, i]:o[17, j]],
            ri[o[18, i]:o[18, j]], ri[o[19, i]:o[19, j]], wf[o[20, i]:o[20, j]],
            wf[o[21, i]:o[21, j]], wf[o[22, i]:o[22, j]], wf[o[23, i]:o[23, j]],
            wi[o[24, i]:o[24, j]], wi[o[25, i]:o[25, j]], wi[o[26, i]:o[26, j]],
            wf[o[27, i]:o[27, j]], wi[o[28, i]:o[28, j]], wi[o[29, i]:o[29, j]],
            wf[o[30, i]:o[30, j]], ri[o[31, i]:o[31, j]], ri[o[32, i]:o[32, j]],
            ri[o[33, i]:o[33, j]], ri[o[34, i]:o[34, j]], wi[o[35, i]:o[35, j]],
            wi[o[36, i]:o[36, j]], wi[o[37, i]:o[37, j]], wi[o[38, i]:o[38, j]],
            ri[o[39, i]:o[39, j]], wi[o[40, i]:o[40, j]], wi[o[41, i]:o[41, j]],
            wi[o[42, i]:o[42, j]], wi[o[43, i]:o[43, j]], wi[o[44, i]:o[44, j]],
            wi[o[45, i]:o[45, j]], wi[o[46, i]:o[46, j]], wi[o[47, i]:o[47, j]])


def _float_view(part, i):
    """Float-mode projection i of the flavour's STDP (see above; its fields:
    kernels/spinnaker_plasticity.py): its tuple of views."""
    ri, wi, rf, wf, o = part
    j = i + 1
    return (ri[o[0, i]:o[0, j]], ri[o[1, i]:o[1, j]], ri[o[2, i]:o[2, j]],
            ri[o[3, i]:o[3, j]], ri[o[4, i]:o[4, j]], ri[o[5, i]:o[5, j]],
            wf[o[6, i]:o[6, j]], rf[o[7, i]:o[7, j]], rf[o[8, i]:o[8, j]],
            rf[o[9, i]:o[9, j]], rf[o[10, i]:o[10, j]], rf[o[11, i]:o[11, j]],
            rf[o[12, i]:o[12, j]], wf[o[13, i]:o[13, j]], wf[o[14, i]:o[14, j]],
            wf[o[15, i]:o[15, j]], wf[o[16, i]:o[16, j]], wi[o[17, i]:o[17, j]],
            wi[o[18, i]:o[18, j]], wi[o[19, i]:o[19, j]], wf[o[20, i]:o[20, j]],
            wf[o[21, i]:o[21, j]], wf[o[22, i]:o[22, j]], wf[o[23, i]:o[23, j]],
            wf[o[24, i]:o[24, j]], wi[o[25, i]:o[25, j]], wi[o[26, i]:o[26, j]],
            wi[o[27, i]:o[27, j]], wi[o[28, i]:o[28, j]], ri[o[29, i]:o[29, j]],
            wi[o[30, i]:o[30, j]], wi[o[31, i]:o[31, j]], wi[o[32, i]:o[32, j]],
            wi[o[33, i]:o[33, j]], wi[o[34, i]:o[34, j]], wi[o[35, i]:o[35, j]],
            wi[o[36, i]:o[36, j]], wi[o[37, i]:o[37, j]])


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
        _pk.pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                _pair_view(part, o), pending, now)


def _stretch_tm(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        (indptr, by_pre, keys, weight, U, u, x, y, t_last, decay, facil_row, psc_row, mark,
         epoch, amount, consts, rec_row, tau_rec, tau_psc, inv_diff,
         same) = _tm_view(part, o)
        # (the tables cover every interval of the stretch: this returns 0; the rows are
        # there, nothing listed)
        _pk.tsodyks_markram_deliver(
            spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat, weight, U, u,
            x, y, t_last, consts[_pk.TM_DT], tau_rec, tau_psc, inv_diff, same, decay,
            np.int64(consts[_pk.TM_LENGTH]), facil_row, psc_row, rec_row,
            consts[_pk.TM_SATURATED] != 0.0, mark, epoch, amount, None, None, (pending, now))


def _stretch_simple(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        (indptr, by_pre, keys, weight, p, pre, post, pair_rank, key, mark,
         epoch) = _simple_view(part, o)
        _pk.simple_stochastic_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                                      ring_flat, weight, p, pre, post, pair_rank,
                                      np.uint64(key[0]), mark, epoch, (pending, now))


def _stretch_mq(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        # (``mq_consts``: the key, whether the table is saturated, its row length)
        (indptr, by_pre, keys, weight, U, n_sites, u, a, t_last, pre, post, pair_rank,
         mq_consts, decay, facil_row, rec_row, mark, epoch) = _mq_view(part, o)
        # (the table covers every interval of the stretch: this returns 0; the rows are
        # there, nothing listed)
        _pk.multi_quantal_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                                  ring_flat, weight, U, n_sites, u, a, t_last, pre, post,
                                  pair_rank, np.uint64(mq_consts[0]), decay, mq_consts[2],
                                  facil_row, rec_row, mq_consts[1] != 0, mark, epoch, None,
                                  None, None, (pending, now))


def _stretch_stm(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    if part is not None:
        # (``consts``: the key, whether the table is saturated, its row length; ``fconsts``:
        # dt)
        (indptr, by_pre, keys, weight, U, u, R, t_surv, t_last, pre, post, pair_rank,
         consts, fconsts, decay, facil_row, rec_row, mark, epoch) = _stm_view(part, o)
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
        _sp.spinnaker_pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                          _board_view(part, o), pending, now)


def _stretch_float(spiking_ids, stamp, slot_offset, ring_flat, part, o, pending, now):
    """As :func:`_stretch_board`, for the flavour's STDP in float mode."""
    if part is not None:
        _sp.spinnaker_float_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat,
                                           _float_view(part, o), pending, now)


def plastic_room(plastic):
    """Whether every pair rule's queue holds one more step's post spikes (each post
    neuron once); else its ``Q_FULL`` is set (the stretch stops: it is grown)."""
    if plastic is None:
        return True
    return (_pair_room(plastic[0], plastic[1]) and _board_room(plastic[0], plastic[6])
            and _float_room(plastic[0], plastic[7]))


def _pair_room(order, part):
    """Whether every pair rule's queue (:func:`_queue_room`) and Gutig's log of pending
    post events hold one more step's (else the log's ``Q_FULL`` is 2)."""
    if part is None:
        return True
    read, written, _, _, offsets = part
    if not _queue_room(order, KIND_PAIR, written, offsets[27], offsets[23]):
        return False
    for code in order:
        if code % N_KINDS == KIND_PAIR:
            o = code // N_KINDS
            qs = _cut(written, offsets[27], o)
            if qs[_pk.Q_RULE] == _pk.STDP_LOG and not _log_room(
                    qs, _cut(written, offsets[23], o), _cut(written, offsets[24], o),
                    _cut(written, offsets[26], o), _cut(read, offsets[6], o),
                    _cut(read, offsets[3], o)):
                qs[_pk.Q_FULL] = 2
                return False
    return True


def _board_room(order, part):
    """Whether the queue of every flavour STDP projection with board weights holds one
    more step's post spikes (:func:`_queue_room`)."""
    if part is None:
        return True
    _, written, _, _, offsets = part
    return _queue_room(order, KIND_BOARD, written, offsets[44], offsets[40])


def _float_room(order, part):
    """As :func:`_board_room`, in float mode."""
    if part is None:
        return True
    _, written, _, _, offsets = part
    return _queue_room(order, KIND_FLOAT, written, offsets[34], offsets[30])


def _queue_room(order, kind, counters, counter_bounds, stamp_bounds):
    """Whether the queue of post events of every projection of ``kind`` (its qs in
    ``counters`` within ``counter_bounds``, its q_stamp's bounds ``stamp_bounds``) holds
    one more step's post spikes (each post neuron once); else its ``Q_FULL`` is set to 1
    (the stretch stops, and the queue is grown)."""
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
