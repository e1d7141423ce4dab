"""The sPyNNaker flavour's neuromodulated STDP and dopamine delivery, for Numba (see :mod:`.`).

The reference is :mod:`..spinnaker.neuromodulation`'s NumPy code
(``NeuromodulatedSTDP``, ``NeuromodulationSynapses``, ``PostHistory``), in both of
its modes:

- fixed point with the board's 16-bit weights (``NeuromodulatedSTDP._on_pre_board``):
  integer arithmetic throughout (weights and eligibilities as s16.15 accums, traces
  and decays as 11-bit integers), so the same integer operations one synapse at a
  time give the same bits;
- float (``setup(fixed_point=False)``): the reference's float64 operations in its
  order, one synapse at a time (each synapse's update is elementwise there).

The history (each post neuron's 16 entries: time, post trace, dopamine trace,
is-dopamine; ``count``; ``last_post``) is the reference's own arrays, flattened
views written in place: every neuromodulated projection of the network, compiled or
not, and the Neuromodulation projections share one history, in the step loop's
order of deliveries.

No kernel calls ``exp``: the decays are read from tables by interval in ticks that
the caller fills with the reference's own function (``lut_decay``): in fixed point
the look-up tables (their last entry 0, as every longer interval's), in float
NumPy's ``np.exp`` (``DecayTables``), covering every interval up to the step's
stamp (the longest one a history or a synapse can hold), or saturated.
"""

import numpy as np

from . import plasticity as _pk
from . import spinnaker_plasticity as _sp

#: entries of a neuron's history (post_events_with_da.h), the placeholder included
EVENTS = 16
STDP_ONE = 2048.0
_STDP_SHIFT = 11
_WEIGHT_MASK = 0xFFFF


def _dec(table, d):
    """The decay over ``d`` ticks (>= 0): the table's entry, its last past its end."""
    n = table.size
    return table[n - 1] if d >= n else table[d]


def _idec(table, d):
    """:func:`_dec` as the board's 11-bit integer (``stdp_fixed``; a negative interval
    decays as 0 ticks, as ``_ilut``'s ``np.maximum``)."""
    return np.int64(np.rint(_dec(table, max(d, 0)) * STDP_ONE))


def _bits(trace):
    """A trace (a multiple of 2**-11) as its 11-bit integer."""
    return np.int64(np.rint(trace * STDP_ONE))


def _tmul(a, b, board):
    """``trace_mul``: a b, or on the board ``(A B) >> 11`` of the 11-bit integers."""
    if board:
        return np.float64((_bits(a) * _bits(b)) >> _STDP_SHIFT) / STDP_ONE
    return a * b


def _append(r, stamp, o, da, is_da, times, post, dop, isd, count):
    """``PostHistory._append`` for row ``r``: a full history drops its oldest entry after
    the placeholder."""
    base = r * EVENTS
    if count[r] >= EVENTS:
        for j in range(1, EVENTS - 1):
            times[base + j] = times[base + j + 1]
            post[base + j] = post[base + j + 1]
            dop[base + j] = dop[base + j + 1]
            isd[base + j] = isd[base + j + 1]
        count[r] -= 1
    at = base + count[r]
    times[at] = stamp
    post[at] = o
    dop[at] = da
    isd[at] = is_da
    count[r] += 1


def _add_post_spike(r, stamp, times, post, dop, isd, count, last_post, tm, td, board):
    """``PostHistory.add_post_spikes`` for row ``r`` (once per stamp)."""
    if last_post[r] == stamp:
        return
    last_post[r] = stamp
    last = r * EVENTS + count[r] - 1
    ticks = stamp - times[last]
    o = _tmul(post[last], _dec(tm, ticks), board) + 1.0
    da = _tmul(dop[last], _dec(td, ticks), board)
    _append(r, stamp, o, da, False, times, post, dop, isd, count)


def dopamine_deliver(spiking_ids, stamp, indptr, by_pre, rows, weight, sign, times, post,
                     dop, isd, count, tm, td, board, mark, epoch):
    """``NeuromodulationSynapses.deliver``: each spike of a Neuromodulation synapse adds a
    dopamine entry to its row (``PostHistory.add_dopamine``: the post trace decayed, the
    dopamine trace decayed plus the concentration ``sign |w|``, on the board in 11-bit
    fixed point), the spikes of a source repeated in the step in the reference's rounds
    (a row's entries, added in turn, keep its order). Nothing is transmitted.
    ``tm``/``td``: the rows' tau_minus (1 ms where none) and tau_d tables."""
    pending = spiking_ids.copy()
    now = np.empty_like(pending)
    n = pending.size
    while n > 0:
        e, k, n = _pk._next_round(pending, n, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                concentration = abs(weight[s])
                if board:
                    concentration = np.rint(concentration * STDP_ONE) / STDP_ONE
                concentration = sign * concentration
                r = rows[s]
                last = r * EVENTS + count[r] - 1
                ticks = stamp - times[last]
                o = _tmul(post[last], _dec(tm, ticks), board)
                da = _tmul(dop[last], _dec(td, ticks), board) + concentration
                _append(r, stamp, o, da, True, times, post, dop, isd, count)
    return 0


def _window(r, t_last, stamp, d, times, count):
    """``_post_window`` of row ``r``: (window end, the index of the last entry at or
    before the window's start, 0 for the placeholder)."""
    base = r * EVENTS
    begin = max(t_last - d, 0)
    end = max(stamp - d, 0)
    prev = 0
    for j in range(1, count[r]):
        if times[base + j] <= begin:
            prev += 1
    return end, prev


def _modulated_float_row(j0, j1, marked, stamp, by_pre, keys, slot_offset, ring_flat, mark,
                         rows, delay, times, post, dop, isd, count, weight, elig, k_pre,
                         t_last, lo, hi, w_min, w_max, a_plus, a_minus, multiplicative,
                         constant, tp, tm, tc, td):
    """``NeuromodulatedSTDP._on_pre`` (float) at a pre spike's synapses ``by_pre[j0:j1]``
    (its row), each marked ``marked``; the new weights into the ring."""
    ring_size = ring_flat.size
    for j in range(j0, j1):
        s = by_pre[j]
        mark[s] = marked
        r = rows[s]
        d = delay[s]
        base = r * EVENTS
        tl = t_last[s]
        lo_s, hi_s = _sp._at(lo, s), _sp._at(hi, s)
        w_min_s, w_max_s = _sp._at(w_min, s), _sp._at(w_max, s)
        a_plus_s, a_minus_s = _sp._at(a_plus, s), _sp._at(a_minus, s)
        kp = k_pre[s]
        w = weight[s]
        c = elig[s]
        cnt = count[r]
        end, prev = _window(r, tl, stamp, d, times, count)
        prev_valid = prev > 0
        prev_time = times[base + prev]
        prev_post = post[base + prev]
        D = 0.0
        if prev_valid:
            D = dop[base + prev] * _dec(td, tl - prev_time)
        t_c = tl
        for e in range(1, EVENTS):
            if not (e < cnt and e > prev and times[base + e] <= end):
                continue
            t_post = times[base + e] + d
            span = t_post - t_c
            decay_c = _dec(tc, span)
            w_new = w
            if D != 0:
                both = decay_c * _dec(td, span) - 1.0
                w_new = w + c * D * both * constant
            c_new = c * decay_c
            since_pre = t_post - tl
            if not isd[base + e] and since_pre > 0:
                decayed_pre = kp * _dec(tp, since_pre)
                if multiplicative:
                    c_new = c_new + (w_max_s - c_new) * a_plus_s * decayed_pre
                else:
                    c_new = _pk._np_min(c_new + a_plus_s * decayed_pre, w_max_s)
            w = w_new
            c = c_new
            D = dop[base + e]
            t_c = t_post
            prev_time = times[base + e]
            prev_post = post[base + e]
            prev_valid = True
        # the presynaptic spike itself, once any post or dopamine event has been seen
        if prev_valid:
            span = stamp - t_c
            decay_c = _dec(tc, span)
            if D != 0:
                both = decay_c * _dec(td, span) - 1.0
                w = w + c * D * both * constant
            c = c * decay_c
            since_post = stamp - (prev_time + d)
            if since_post > 0:
                decayed_post = prev_post * _dec(tm, since_post)
                if multiplicative:
                    c = c - (c - w_min_s) * a_minus_s * decayed_post
                else:
                    c = _pk._np_max(c - a_minus_s * decayed_post, w_min_s)
        w = _pk._np_min(_pk._np_max(w, lo_s), hi_s)
        weight[s] = w
        elig[s] = c
        k_pre[s] = kp * _dec(tp, stamp - tl) + 1.0
        t_last[s] = stamp
        _pk._ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)


def _modulated_fixed_row(j0, j1, marked, stamp, by_pre, keys, slot_offset, ring_flat, mark,
                         rows, delay, times, post, dop, isd, count, weight, elig, k_pre,
                         t_last, w_scale, shift, lo, hi, w_min, w_max, a_plus, a_minus,
                         multiplicative, constant, tp, tm, tc, td):
    """``NeuromodulatedSTDP._on_pre_board`` at a pre spike's synapses ``by_pre[j0:j1]``
    (its row), each marked ``marked``: the weight and the eligibility trace in the
    board's fixed point; the new weights into the ring."""
    ring_size = ring_flat.size
    for j in range(j0, j1):
        s = by_pre[j]
        mark[s] = marked
        r = rows[s]
        d = delay[s]
        base = r * EVENTS
        tl = t_last[s]
        lo_s, hi_s = _sp._at(lo, s), _sp._at(hi, s)
        w_min_s, w_max_s = _sp._at(w_min, s), _sp._at(w_max, s)
        a_plus_s, a_minus_s = _sp._at(a_plus, s), _sp._at(a_minus, s)
        kp = _bits(k_pre[s])
        scale = _sp._at(w_scale, s)
        sh = _sp._at(shift, s)
        W = np.int64(np.rint(weight[s] * scale)) << sh
        C = np.int64(np.rint(elig[s] * scale)) << sh
        cnt = count[r]
        end, prev = _window(r, tl, stamp, d, times, count)
        prev_valid = prev > 0
        prev_time = times[base + prev]
        prev_post = _bits(post[base + prev])
        D = np.int64(0)
        if prev_valid:
            D = (_bits(dop[base + prev]) * _idec(td, tl - prev_time)) >> _STDP_SHIFT
        t_c = tl
        for e in range(1, EVENTS + 1):
            last_step = e == EVENTS     # (the presynaptic spike itself, after the events)
            if not last_step:
                if not (e < cnt and e > prev and times[base + e] <= end):
                    continue
                t_post = times[base + e] + d
            else:
                if not prev_valid:
                    break
                t_post = stamp
            span = t_post - t_c
            dc = _idec(tc, span)
            w_new = W
            if D != 0:
                both = ((dc * _idec(td, span)) >> _STDP_SHIFT) - 2048
                gain = (_sp._mul_accum_fixed(_sp._mul_accum_fixed(C, D), both)
                        * constant) >> 15
                w_new = W + gain
            c_new = _sp._mul_accum_fixed(C, dc)
            if last_step:
                since_post = stamp - (prev_time + d)
                if since_post > 0:
                    o = (prev_post * _idec(tm, since_post)) >> _STDP_SHIFT
                    if multiplicative:
                        c_new = c_new - _sp._mul_accum_fixed(
                            ((c_new - w_min_s) * a_minus_s) >> 15, o)
                    else:
                        c_new = max(c_new - _sp._mul_accum_fixed(a_minus_s, o), w_min_s)
                W = w_new
                C = c_new
                break
            since_pre = t_post - tl
            if not isd[base + e] and since_pre > 0:
                rr = (kp * _idec(tp, since_pre)) >> _STDP_SHIFT
                if multiplicative:
                    c_new = c_new + _sp._mul_accum_fixed(
                        ((w_max_s - c_new) * a_plus_s) >> 15, rr)
                else:
                    c_new = min(c_new + _sp._mul_accum_fixed(a_plus_s, rr), w_max_s)
            W = w_new
            C = c_new
            D = _bits(dop[base + e])
            t_c = t_post
            prev_time = times[base + e]
            prev_post = _bits(post[base + e])
            prev_valid = True
        W = min(max(W, lo_s), hi_s)
        w = np.float64((W >> sh) & _WEIGHT_MASK) / scale
        weight[s] = w
        elig[s] = np.float64((C >> sh) & _WEIGHT_MASK) / scale
        k_pre[s] = np.float64((kp * _idec(tp, stamp - tl)) >> _STDP_SHIFT) / STDP_ONE + 1.0
        t_last[s] = stamp
        _pk._ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)


def neuromodulated_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                           row_of_id, rows, delay, times, post, dop, isd, count, last_post,
                           weight, elig, k_pre, t_last, w_scale, shift, lo, hi, w_min, w_max,
                           a_plus, a_minus, multiplicative, constant, tp, tm, tc, td, mark,
                           epoch):
    """One call of ``NeuromodulatedSTDP.deliver``: this step's post spikes join their
    neurons' histories (``row_of_id``: a global id's row, -1 for none), then each
    presynaptic spike updates its synapses (``rows``: each synapse's row) and transmits
    the new weights, a source's repeated spikes in the reference's rounds.

    ``w_scale`` None: float mode (``lo``... float64, ``constant`` a float); else the
    board's 16-bit weights (``w_scale``/``shift`` the ring-buffer format, ``lo``/``hi``
    the Neuromodulation's bounds and ``w_min``... the rule's parameters as the host's
    s16.15 integers, ``constant`` too). Arrays of per-synapse values hold one element
    where every synapse has the same. ``tp``, ``tm``, ``tc``, ``td``: the tables of
    tau_plus, tau_minus (the rows' too), tau_c and tau_d; ``mark``/``epoch``: scratch."""
    board = w_scale is not None
    for i in spiking_ids:
        r = row_of_id[i]
        if r >= 0:
            _add_post_spike(r, stamp, times, post, dop, isd, count, last_post, tm, td, board)
    pending = spiking_ids.copy()
    now = np.empty_like(pending)
    n = pending.size
    while n > 0:
        e, k, n = _pk._next_round(pending, n, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            if w_scale is None:
                _modulated_float_row(indptr[i], indptr[i + 1], e, stamp, by_pre, keys,
                                     slot_offset, ring_flat, mark, rows, delay, times, post,
                                     dop, isd, count, weight, elig, k_pre, t_last, lo, hi,
                                     w_min, w_max, a_plus, a_minus, multiplicative,
                                     constant, tp, tm, tc, td)
            else:
                _modulated_fixed_row(indptr[i], indptr[i + 1], e, stamp, by_pre, keys,
                                     slot_offset, ring_flat, mark, rows, delay, times, post,
                                     dop, isd, count, weight, elig, k_pre, t_last, w_scale,
                                     shift, lo, hi, w_min, w_max, a_plus, a_minus,
                                     multiplicative, constant, tp, tm, tc, td)
    return 0
