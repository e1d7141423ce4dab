"""The sPyNNaker flavour's plastic delivery in the board's fixed point, for Numba (see :mod:`.`).

The reference is :mod:`..spinnaker.plasticity`'s NumPy code with board weights
(``BoardTraces``: 16-bit weights moved in s16.15, look-up-table decays, 11-bit
trace products, a 15-event post history per neuron) for sPyNNaker 7.4's
SpikePairRule (``SpinnakerSTDP``) and SpikeNearestPairRule (``NearestSTDP``), with
Additive- or MultiplicativeWeightDependence, Vogels2011Rule (``SpinnakerVogels``) and
PfisterSpikeTriplet with WeightDependenceAdditiveTriplet (``PfisterTriplet``). Everything there is integer
arithmetic on values that float64 holds exactly (traces are multiples of 2**-11,
weights ``counts / scale``), so this kernel, doing the same integer operations one
synapse at a time, gives the same bits; the only floats are the ones the reference
stores (traces, weights) and the amounts added into the ring, in its order.

State the reference keeps in Python objects is arrays here:

- the post history (``BoardTraces._recent``, ``_recent_next``): ``recent`` holds
  each post neuron's 15 latest spike stamps in a ring (-1: none), so its oldest
  entry, the one ``recent_next`` points at, is the row's minimum (stamps only grow);
  a post event is *kept* while its spike's stamp is at least that;
- the pending post events (``PairTraceRule._deferred`` in "log" mode): per
  synapse a ring of :data:`EVENTS` slots ``(K_pre read at the arrival, the post
  spike's stamp)``, event r of a synapse in slot r % EVENTS. A synapse's 16th
  pending event comes from the 16th latest spike of its post neuron, which the
  history has pushed out by the time any pre spike reads it: the slot it
  overwrites held an event that could no longer count.
  (``SpinnakerSTDP.compiled_deliver`` moves the reference's events into these
  rings before a run and ``end_run`` moves them back.)

The decays are the look-up tables the reference reads (``BoardTraces._decay``,
computed by NumPy: ``lut[d]`` = 2**11 times the decay over d ticks, its last entry 0
and every longer interval 0, so no table ever needs to grow).

In float mode (``setup(fixed_point=False)``: ``w_acc`` None) the same kernel runs the
reference's float path (:func:`_float_pre_row`, :func:`_event_float`,
:func:`_bump_float`; Numba prunes the board's code where ``w_acc`` is None, the float
code where ``pend_acc`` is None): float64 weights and traces, no post history, the pending post
events one number per synapse as the reference keeps them (``_pend_acc``: their sum,
or for the multiplicative dependence the product of their factors), each operation
in the reference's order. The decays are then NumPy's ``np.exp`` by interval in ticks
(:class:`~..plasticity.DecayTables`, grown by the caller to cover every interval up
to the step's stamp, or saturated): never ``exp`` here, an ulp off NumPy's would
change the bits.
"""

import numpy as np

from . import plasticity as _pk

#: post events a neuron's history keeps (post_events.h), and pending events a synapse
#: keeps (see the module docstring)
EVENTS = 15
#: sPyNNaker's STDP fixed point: traces count 2**-11
STDP_ONE = 2048.0
_STDP_SHIFT = 11
#: stdp_typedefs.h: a trace shifted this much left is an s16.15 accum
_TO_S1615 = 4
_WEIGHT_MASK = 0xFFFF
#: the rules the kernel knows (``rule``): SpinnakerSTDP (the pair rule), NearestSTDP,
#: SpinnakerVogels (additive: its ``a_minus`` is alpha in STDP fixed point)
#: PfisterTriplet (additive triplet: its second traces and A3 amplitudes)
RULE_PAIR, RULE_NEAREST, RULE_VOGELS, RULE_TRIPLET = 0, 1, 2, 3


def _fmul_lut(trace, lut, d):
    """``BoardTraces._fmul(trace, _decay(d))``: ``(T D) >> 11`` in STDP fixed point, for a
    trace ``trace`` (a float multiple of 2**-11) and the table's decay over ``d`` ticks."""
    n = lut.size
    decay = lut[n - 1] if d >= n else lut[d]
    t = np.int64(np.rint(trace * STDP_ONE))
    return np.float64((t * decay) >> _STDP_SHIFT) / STDP_ONE


def _mul_accum_fixed(a, trace_bits):
    """``mul_accum_fixed``: an s16.15 accum times an STDP fixed-point trace (toward -inf)."""
    return (a * (trace_bits << _TO_S1615)) >> 15


def _at(a, s):
    """``a[s]``, or ``a[0]`` where ``a`` holds one value for every synapse (a parameter the
    synapses share: one array fewer to load per synapse)."""
    return a[0] if a.size == 1 else a[s]


def _oldest_kept(recent, recent_next, p):
    """The stamp a post spike of neuron ``p`` needs to be still in its history."""
    return recent[p * EVENTS + recent_next[p]]


def _board_pre_row(lo, hi, e, stamp, by_pre, keys, slot_offset, ring_flat, mark, arrived,
                   weight, w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus, a3_plus,
                   a3_minus, multiplicative, rule, k_pre, k_post, k_pre2, t_last, t_post,
                   n_pending, ev_k, ev_stamp, ev_first, ev_o2, post_of, delay, recent,
                   recent_next, pre_lut, post_lut, pre2_lut):
    """``BoardTraces._on_pre`` of the ``rule`` at a pre spike's synapses ``by_pre[lo:hi]``
    (its row), each marked ``e``: the 16-bit weight into s16.15, the kept pending
    potentiations, the depression (Vogels: the pre spike's step; a synapse whose post
    event arrived in this tick, ``arrived``, is coincident), the pre trace; the new
    weight into the ring (what the spike transmits)."""
    nearest = rule == RULE_NEAREST
    triplet = rule == RULE_TRIPLET
    ring_size = ring_flat.size
    for j in range(lo, hi):
        s = by_pre[j]
        mark[s] = e
        coincident = arrived[s] == stamp
        r2 = 0.0
        if triplet:     # (PfisterTriplet._on_pre: r2 read before this spike's own +1)
            r2 = _fmul_lut(k_pre2[s], pre2_lut, stamp - t_last[s])
        scale_s, shift_s = _at(w_scale, s), _at(shift, s)
        w_min_s, w_max_s = _at(w_min, s), _at(w_max, s)
        a_plus_s, a_minus_s = _at(a_plus, s), _at(a_minus, s)
        counts = np.int64(np.rint(weight[s] * scale_s))
        acc = counts << shift_s
        oldest = _oldest_kept(recent, recent_next, post_of[s])
        n = n_pending[s]
        if n > 0:
            first = n - EVENTS if n > EVENTS else 0
            base = s * EVENTS
            if nearest:
                # one event after the other (BoardTraces._apply_pending's log): an event
                # pairs if it was the first since the pre spike, or if the one before it has
                # left the history (then it follows the history's placeholder, _after_dropped)
                after_dropped = n > EVENTS      # (the event before the ring's oldest: gone)
                for r in range(first, n):
                    slot = base + r % EVENTS
                    kept = ev_stamp[slot] >= oldest
                    if kept:
                        trace = np.int64(0)
                        if ev_first[slot] != 0 or after_dropped:
                            trace = np.int64(np.rint(ev_k[slot] * STDP_ONE))
                        if multiplicative:
                            scale = ((w_max_s - acc) * a_plus_s) >> 15
                            acc += _mul_accum_fixed(scale, trace)
                        else:
                            acc = min(acc + _mul_accum_fixed(a_plus_s, trace), w_max_s)
                    after_dropped = not kept
            elif multiplicative:
                for r in range(first, n):
                    slot = base + r % EVENTS
                    if ev_stamp[slot] >= oldest:
                        scale = ((w_max_s - acc) * a_plus_s) >> 15
                        trace = np.int64(np.rint(ev_k[slot] * STDP_ONE))
                        acc += _mul_accum_fixed(scale, trace)
            else:
                # (the reference sums the kept increments, then clips once at w_max)
                total = np.int64(0)
                for r in range(first, n):
                    slot = base + r % EVENTS
                    if ev_stamp[slot] >= oldest:
                        r1 = np.int64(np.rint(ev_k[slot] * STDP_ONE))
                        total += _mul_accum_fixed(a_plus_s, r1)
                        if triplet:     # (PfisterTriplet._board_increment)
                            o2 = np.int64(np.rint(ev_o2[slot] * STDP_ONE))
                            total += _mul_accum_fixed(_at(a3_plus, s),
                                                      (r1 * o2) >> _STDP_SHIFT)
                acc = min(acc + total, w_max_s)
            n_pending[s] = 0
        # the depression (SpinnakerSTDP._depress): a post event of this very tick is in the
        # trace (nearest: it is the trace); none before any post event, nor once the last
        # one left the history
        kq = _fmul_lut(k_post[s], post_lut, stamp - t_post[s])
        if coincident:
            kq = 1.0 if nearest else kq + 1.0
            valid = stamp - delay[s] >= oldest
        else:
            valid = t_post[s] > 0 and t_post[s] - delay[s] >= oldest
        if valid:
            o1 = np.int64(np.rint(kq * STDP_ONE))
            if rule == RULE_VOGELS:
                # SpinnakerVogels._depress: A+ (o - alpha), clipped at w_max only
                acc = min(acc + _mul_accum_fixed(a_plus_s, o1 - a_minus_s), w_max_s)
            elif triplet:
                # PfisterTriplet._depress: A2- o1 + A3- (o1 r2 >> 11), then at least w_min
                new = acc - _mul_accum_fixed(a_minus_s, o1)
                new = new - _mul_accum_fixed(
                    _at(a3_minus, s), (o1 * np.int64(np.rint(r2 * STDP_ONE))) >> _STDP_SHIFT)
                acc = max(new, w_min_s)
            elif multiplicative:
                scale = ((acc - w_min_s) * a_minus_s) >> 15
                acc = acc - _mul_accum_fixed(scale, o1)
            else:
                acc = max(acc - _mul_accum_fixed(a_minus_s, o1), w_min_s)
        if nearest:
            k_pre[s] = 1.0
        else:
            k_pre[s] = _fmul_lut(k_pre[s], pre_lut, stamp - t_last[s]) + 1.0
        if triplet:
            k_pre2[s] = r2 + 1.0
        t_last[s] = stamp
        w_acc[s] = acc
        w = np.float64((acc >> shift_s) & _WEIGHT_MASK) / scale_s
        weight[s] = w
        _pk._ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)


def _bump_post(s, stamp, rule, k_post, k_post2, t_post, post_lut, post2_lut):
    """``PairTraceRule._bump_post`` (PfisterTriplet's: o2 too): a post event reaches
    synapse ``s`` at ``stamp``."""
    if rule == RULE_TRIPLET:
        k_post2[s] = _fmul_lut(k_post2[s], post2_lut, stamp - t_post[s]) + 1.0
    if rule == RULE_NEAREST:
        k_post[s] = 1.0
    else:
        k_post[s] = _fmul_lut(k_post[s], post_lut, stamp - t_post[s]) + 1.0
    t_post[s] = stamp


def _fdec(table, d):
    """Float mode: the decay over ``d`` ticks, the table's entry (its last past its end:
    a saturated table, 0.0 for every longer interval)."""
    n = table.size
    return table[n - 1] if d >= n else table[d]


def _fclip(x, lo, hi):
    """``np.clip`` of one value (``minimum(maximum(x, lo), hi)``)."""
    return min(max(x, lo), hi)


def _event_float(s, arrival, rule, multiplicative, a_plus, a3_plus, k_pre, k_post2, t_last,
                 t_post, pend_acc, pre_lut, post2_lut):
    """Float mode: ``PairTraceRule._record_pending`` of a post event arriving at synapse
    ``s``: its increment (``_increment``: A+ K_pre; the nearest rule's K_pre only for
    the first post event since the pre spike; the triplet rule's plus A3+ K_pre o2)
    added to the pending sum, or its factor (``STDP._factor``) multiplied into the
    pending product (multiplicative)."""
    k = k_pre[s] * _fdec(pre_lut, arrival - t_last[s])
    if rule == RULE_NEAREST and t_post[s] > t_last[s]:     # (NearestSTDP: not the first)
        k = 0.0
    inc = _at(a_plus, s) * k
    if rule == RULE_TRIPLET:
        o2 = k_post2[s] * _fdec(post2_lut, arrival - t_post[s])
        inc = inc + _at(a3_plus, s) * (k * o2)
    if multiplicative:
        pend_acc[s] *= max(1.0 - inc, 0.0)
    else:
        pend_acc[s] += inc


def _bump_float(s, stamp, rule, k_post, k_post2, t_post, post_lut, post2_lut):
    """Float mode's :func:`_bump_post`: exact-exponential decays, no rounding."""
    if rule == RULE_TRIPLET:
        k_post2[s] = k_post2[s] * _fdec(post2_lut, stamp - t_post[s]) + 1.0
    if rule == RULE_NEAREST:
        k_post[s] = 1.0
    else:
        k_post[s] = k_post[s] * _fdec(post_lut, stamp - t_post[s]) + 1.0
    t_post[s] = stamp


def _float_pre_row(lo, hi, e, stamp, by_pre, keys, slot_offset, ring_flat, mark, arrived,
                   weight, w_min, w_max, a_plus, a_minus, a3_minus, multiplicative, rule,
                   k_pre, k_post, k_pre2, t_last, t_post, n_pending, pend_acc, pre_lut,
                   post_lut, pre2_lut):
    """Float mode: the reference's ``_on_pre`` of the ``rule`` at a pre spike's synapses
    ``by_pre[lo:hi]`` (its row), each marked ``e`` (the pending post events at once, the
    depression, the pre traces; a synapse whose post event arrived in this tick,
    ``arrived``, is coincident); the new weight into the ring. ``a_minus``: Vogels'
    alpha. Each rule's weight arithmetic is its NumPy rule's: SpinnakerSTDP's in weight
    units (additive) or STDP's on the normalised weight (multiplicative),
    VogelsSprekeler's on the distance from w_min, PfisterTriplet's on the normalised
    weight."""
    nearest = rule == RULE_NEAREST
    ring_size = ring_flat.size
    for j in range(lo, hi):
        s = by_pre[j]
        mark[s] = e
        coincident = arrived[s] == stamp
        r2 = 0.0
        if rule == RULE_TRIPLET:    # (PfisterTriplet._on_pre: r2 read before this spike's +1)
            r2 = k_pre2[s] * _fdec(pre2_lut, stamp - t_last[s])
        w_min_s, w_max_s = _at(w_min, s), _at(w_max, s)
        a_plus_s, a_minus_s = _at(a_plus, s), _at(a_minus, s)
        span = w_max_s - w_min_s
        w = weight[s]
        if n_pending[s] > 0:
            total = pend_acc[s]
            if rule == RULE_VOGELS:         # VogelsSprekeler._apply_sum
                sign = -1.0 if span < 0 else 1.0
                w = w_min_s + sign * min(sign * (w - w_min_s) + total, abs(span))
            elif rule == RULE_TRIPLET:      # PfisterTriplet._apply_sum
                w = w_min_s + _fclip((w - w_min_s) / span + total, 0.0, 1.0) * span
            elif multiplicative:            # STDP._apply_product
                x = (w - w_min_s) / span
                x = min(1.0 - max(1.0 - x, 0.0) * total, 1.0)
                w = w_min_s + x * span
            else:                           # SpinnakerSTDP._apply_sum
                w = min(w + total, w_max_s)
            pend_acc[s] = 1.0 if multiplicative else 0.0
            n_pending[s] = 0
        # the depression: a post event of this very tick is in the trace (nearest: it is
        # the trace); none before any post event (prev_time_valid)
        kq = k_post[s] * _fdec(post_lut, stamp - t_post[s])
        if coincident:
            kq = 1.0 if nearest else kq + 1.0
        valid = coincident or t_post[s] > 0
        if rule == RULE_VOGELS:             # SpinnakerVogels._depress: eta (o - alpha)
            sign = -1.0 if span < 0 else 1.0
            d = sign * (w - w_min_s)
            if valid:
                d = _fclip(d + a_plus_s * (kq - a_minus_s), 0.0, abs(span))
            w = w_min_s + sign * d
        elif rule == RULE_TRIPLET:          # PfisterTriplet._depress
            x = (w - w_min_s) / span
            if valid:
                x = _fclip(x - (a_minus_s * kq + _at(a3_minus, s) * (kq * r2)), 0.0, 1.0)
            w = w_min_s + x * span
        elif multiplicative:                # STDP._depress, K_post 0 where not valid
            if not valid:
                kq = 0.0
            x = (w - w_min_s) / span
            x = x - a_minus_s * max(x, 0.0) * kq
            w = w_min_s + max(x, 0.0) * span
        elif valid:                         # SpinnakerSTDP._depress
            w = max(w - a_minus_s * kq, w_min_s)
        weight[s] = w
        if nearest:
            k_pre[s] = 1.0
        else:
            k_pre[s] = k_pre[s] * _fdec(pre_lut, stamp - t_last[s]) + 1.0
        if rule == RULE_TRIPLET:
            k_pre2[s] = r2 + 1.0
        t_last[s] = stamp
        _pk._ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)


def _event_board(s, arrival, rule, k_pre, k_post2, t_last, t_post, n_pending, ev_k, ev_stamp,
                 ev_first, ev_o2, delay, pre_lut, post2_lut):
    """Board weights: a post event arriving at synapse ``s`` joins its ring of pending
    events (K_pre at the arrival, the post spike's stamp, the rule's middle term)."""
    slot = s * EVENTS + n_pending[s] % EVENTS
    ev_k[slot] = _fmul_lut(k_pre[s], pre_lut, arrival - t_last[s])
    ev_stamp[slot] = arrival - delay[s]
    if rule == RULE_NEAREST:        # (NearestSTDP._potentiation_terms)
        ev_first[slot] = 1 if t_post[s] <= t_last[s] else 0
    elif rule == RULE_TRIPLET:      # (PfisterTriplet._potentiation_terms)
        ev_o2[slot] = _fmul_lut(k_post2[s], post2_lut, arrival - t_post[s])


def _post_column(lo, hi, e, arrival, stamp, by_post, mark, arrived, at_now, n_now, rule,
                 multiplicative, a_plus, a3_plus, k_pre, k_post, k_post2, t_last, t_post,
                 n_pending, pend_acc, w_acc, ev_k, ev_stamp, ev_first, ev_o2, delay, pre_lut,
                 post_lut, post2_lut):
    """A post spike's events arriving at ``arrival`` at the synapses ``by_post[lo:hi]``
    (those marked ``e`` already took this arrival; step 1 of
    :func:`spinnaker_pair_deliver`): each recorded (float mode: into the pending sum or
    product; board weights: into the synapse's ring of pending events), its post trace
    bumped, or, arriving in this very tick, the synapse kept in ``at_now`` (``arrived``
    its stamp). Returns the new count in ``at_now``."""
    for j in range(lo, hi):
        s = by_post[j]
        if mark[s] == e:
            continue
        mark[s] = e
        # (two tests, not if/else: Numba prunes a branch only on an argument that is
        # None, so each variant tests the one it lacks)
        if pend_acc is not None:
            _event_float(s, arrival, rule, multiplicative, a_plus, a3_plus, k_pre, k_post2,
                         t_last, t_post, pend_acc, pre_lut, post2_lut)
        if w_acc is not None:
            _event_board(s, arrival, rule, k_pre, k_post2, t_last, t_post, n_pending, ev_k,
                         ev_stamp, ev_first, ev_o2, delay, pre_lut, post2_lut)
        n_pending[s] += 1
        if arrival < stamp:
            if pend_acc is not None:
                _bump_float(s, arrival, rule, k_post, k_post2, t_post, post_lut, post2_lut)
            if w_acc is not None:
                _bump_post(s, arrival, rule, k_post, k_post2, t_post, post_lut, post2_lut)
        else:
            at_now[n_now] = s
            arrived[s] = stamp
            n_now += 1
    return n_now


def spinnaker_pair_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                           arrivals, bounds, columns, post_indptr, by_post, post_lookup,
                           post_of, delay, recent, recent_next, weight, w_scale, shift, w_acc,
                           w_min, w_max, a_plus, a_minus, a3_plus, a3_minus, multiplicative,
                           rule, k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending,
                           pend_acc, ev_k, ev_stamp, ev_first, ev_o2, pre_lut, post_lut, pre2_lut,
                           post2_lut, mark, epoch, at_now, arrived, rounds):
    """One call of ``deliver`` of the ``rule`` (``RULE_*``) with board weights, or in float
    mode where ``w_acc`` is None (see the module docstring).

    ``arrivals``/``bounds``/``columns``: the post events popped from the rule's queue
    (as :func:`.plasticity.pair_deliver`'s); ``post_lookup``: a global id's post neuron
    (-1: none); ``post_of``/``delay``: each synapse's post neuron and delay in ticks;
    ``w_min``... ``a_minus``: the host's s16.15 parameters per synapse (these and
    ``w_scale``, ``shift``: one element where every synapse has the same);
    ``ev_first``: the nearest rule's third term of a pending event (whether it is the
    first post event since the pre spike), ``ev_o2``: the triplet rule's (o2 at its
    arrival); ``a3_*``, ``k_*2``, ``*2_lut``: the triplet rule's A3 amplitudes, second
    traces (r2 with ``t_last``, o2 with ``t_post``) and their tables (tau_x, tau_y);
    (each unused, one element, for the other rules); ``mark``/``epoch``/
    ``at_now``/``arrived``: scratch (one slot per synapse; ``arrived`` the stamp of a
    synapse's last event, -1 at first). An id repeated in ``spiking_ids`` updates its
    synapses once per spike, in the reference's rounds (``rounds``: (pending, now),
    scratch for them, int64 arrays at least as long as ``spiking_ids``).

    Float mode: ``w_acc``, ``w_scale``, ``shift``, ``post_of``, ``delay``, ``recent``,
    ``recent_next`` and the rings ``ev_*`` None; ``pend_acc`` the pending post events'
    sum or product (None with board weights: what selects the board's code); ``w_min``... ``a3_minus`` the rule's float
    parameters (``a_minus``: Vogels' alpha); the tables NumPy's decays by interval
    (float64, covering every interval up to ``stamp``)."""
    # 0. this tick's post spikes join their neurons' histories (BoardTraces.deliver:
    # before the presynaptic spikes of the tick; a neuron once per tick)
    if recent is not None:
        for i in spiking_ids:
            p = post_lookup[i]
            if p >= 0:
                last = recent_next[p] - 1 if recent_next[p] > 0 else EVENTS - 1
                if recent[p * EVENTS + last] != stamp:
                    recent[p * EVENTS + recent_next[p]] = stamp
                    recent_next[p] = (recent_next[p] + 1) % EVENTS
    # 1. post events in arrival order (PairTraceRule._apply_arrivals): each records the
    # pre trace at its arrival and its spike's stamp; the post trace is bumped now,
    # except for events arriving in this very tick (after this tick's pre spikes)
    n_now = 0
    for a in range(arrivals.size):
        arrival = arrivals[a]
        epoch[0] += 1
        e = epoch[0]
        for c in range(bounds[a], bounds[a + 1]):
            col = columns[c]
            n_now = _post_column(post_indptr[col], post_indptr[col + 1], e, arrival, stamp,
                                 by_post, mark, arrived, at_now, np.int64(n_now), rule,
                                 multiplicative,
                                 a_plus, a3_plus, k_pre, k_post, k_post2, t_last, t_post,
                                 n_pending, pend_acc, w_acc, ev_k, ev_stamp, ev_first, ev_o2,
                                 delay, pre_lut, post_lut, post2_lut)
    # 2. the pre spikes, round by round where an id repeats (plasticity._next_round); a
    # synapse whose event arrived in this tick (``arrived``: its stamp) is coincident
    # the rounds' ids, in the caller's scratch (``rounds``: nothing here allocates, so
    # that a stretch's uncounted path may call this: kernels.UNCOUNTED)
    pending, now = rounds
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n = spiking_ids.size
    while n > 0:
        e, k, n = _pk._next_round(pending, n, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            # (two tests, not if/else: Numba prunes a branch only on an argument that is
            # None, so each variant tests the one it lacks)
            if pend_acc is not None:
                _float_pre_row(indptr[i], indptr[i + 1], e, stamp, by_pre, keys, slot_offset,
                               ring_flat, mark, arrived, weight, w_min, w_max, a_plus,
                               a_minus, a3_minus, multiplicative, rule, k_pre, k_post, k_pre2,
                               t_last, t_post, n_pending, pend_acc, pre_lut, post_lut,
                               pre2_lut)
            if w_acc is not None:
                _board_pre_row(indptr[i], indptr[i + 1], e, stamp, by_pre, keys, slot_offset,
                               ring_flat, mark, arrived, weight, w_scale, shift, w_acc, w_min,
                               w_max, a_plus, a_minus, a3_plus, a3_minus, multiplicative,
                               rule, k_pre, k_post, k_pre2, t_last, t_post, n_pending, ev_k,
                               ev_stamp, ev_first, ev_o2, post_of, delay, recent,
                               recent_next, pre_lut, post_lut, pre2_lut)
    # 3. this tick's post events reach the post trace
    for q in range(n_now):
        if pend_acc is not None:
            _bump_float(at_now[q], stamp, rule, k_post, k_post2, t_post, post_lut, post2_lut)
        if w_acc is not None:
            _bump_post(at_now[q], stamp, rule, k_post, k_post2, t_post, post_lut, post2_lut)
    return 0


# --- inside compiled stretches (kernels/stretch.py) ---------------------------------
#
# A stretch delivers to a projection of these rules with board weights as to a pair
# rule of NEST's (kernels/stretch_plastic.py): its arrays laid end to end with those of
# the other such projections (the ``board`` part of ``plastic``), its queue of post
# events arrays (``q_*``, ``cursor``, ``qs``: the pair rules' queue,
# kernels/plasticity.py; ``BoardTraces.stretch_arrays``). The fields of one projection,
# in the order of kernels/stretch_plastic.py's ``_board_view``:
#
#  0-2   indptr, by_pre, keys          (the presynaptic index)
#  3-9   post_indptr, by_post, post_lookup, post_of, delay, recent, recent_next
# 10-19  weight, w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus
# 20-26  k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending
# 27-30  ev_k, ev_stamp, ev_first, ev_o2 (the pending post events' rings)
# 31-34  pre_lut, post_lut, pre2_lut, post2_lut
# 35-38  mark, epoch, at_now, arrived (spinnaker_pair_deliver's scratch)
# 39-44  delays (the distinct delays, steps), q_stamp, q_post, q_serial, cursor, qs
#        (``qs[Q_RULE]``: the rule, ``qs[Q_MODES]``: 1 for the multiplicative dependence)
# 45-47  arrivals, bounds, columns: scratch for the post events due at a step, as
#        spinnaker_pair_deliver takes them (room for every queued spike at every delay)

# In float mode (``BoardTraces.stretch_arrays``: no board weights, the decays NumPy's
# tables grown to cover the stretch) a projection's fields are fewer, in the order of
# kernels/stretch_plastic.py's ``_float_view``:
#
#  0-5   indptr, by_pre, keys, post_indptr, by_post, post_lookup
#  6-12  weight, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus
# 13-20  k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending, pend_acc
# 21-24  pre_lut, post_lut, pre2_lut, post2_lut (float64 decays by interval)
# 25-28  mark, epoch, at_now, arrived
# 29-37  delays, q_stamp, q_post, q_serial, cursor, qs, arrivals, bounds, columns (as above)

def _due_events(stamp, delays, n_post, q_stamp, q_post, cursor, qs, arrivals, bounds,
                columns):
    """The queue's post events that have arrived by ``stamp``, taken out (the cursors
    move on) into ``arrivals``/``bounds``/``columns`` as the step loop's
    ``PairTraceRule._pop_arrivals`` gives them to :func:`spinnaker_pair_deliver`; their
    number of arrivals. Delay by delay, each delay's in time order: a synapse has one
    delay, so each synapse meets its events in time order, all the kernel's arithmetic
    needs (the events of one arrival are a post neuron's once each)."""
    size = q_stamp.size
    tail = qs[_pk.Q_TAIL]
    queued = False
    for u in range(delays.size):
        if cursor[u] < tail:
            queued = True
    n = 0
    bounds[0] = 0
    if not queued:
        return n
    for u in range(delays.size):
        d = delays[u]
        c = cursor[u]
        last = -1
        while c < tail:
            arrival = q_stamp[c % size] + d
            if arrival > stamp:
                break
            if arrival != last:
                arrivals[n] = arrival
                n += 1
                bounds[n] = bounds[n - 1]
                last = arrival
            columns[bounds[n]] = u * n_post + q_post[c % size]
            bounds[n] += 1
            c += 1
        cursor[u] = c
    if qs[_pk.Q_DONE] < stamp:      # (as the step loop, where its heap was not empty)
        qs[_pk.Q_DONE] = stamp
    return n


def spinnaker_pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat, p, pending, now):
    """:func:`spinnaker_pair_deliver` with board weights for a stretch: the post events
    come from the projection's queue arrays ``p`` (see above), and this step's post
    spikes join the queue after the delivery (the step loop's ``_remember_posts``);
    ``pending``/``now``: the stretch's scratch for the rounds."""
    (indptr, by_pre, keys, post_indptr, by_post, post_lookup, post_of, delay, recent,
     recent_next, weight, w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus, a3_plus,
     a3_minus, k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending, ev_k, ev_stamp,
     ev_first, ev_o2, pre_lut, post_lut, pre2_lut, post2_lut, mark, epoch, at_now, arrived,
     delays, q_stamp, q_post, q_serial, cursor, qs, arrivals, bounds, columns) = p
    n = _due_events(stamp, delays, qs[_pk.Q_N_POST], q_stamp, q_post, cursor, qs, arrivals,
                    bounds, columns)
    spinnaker_pair_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                           arrivals[:n], bounds[:n + 1], columns[:bounds[n]], post_indptr,
                           by_post, post_lookup, post_of, delay, recent, recent_next, weight,
                           w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus, a3_plus,
                           a3_minus, qs[_pk.Q_MODES] != 0, qs[_pk.Q_RULE], k_pre, k_post,
                           k_pre2, k_post2, t_last, t_post, n_pending, None, ev_k, ev_stamp,
                           ev_first, ev_o2, pre_lut, post_lut, pre2_lut, post2_lut, mark,
                           epoch, at_now, arrived, (pending, now))
    _pk.queue_posts(spiking_ids, stamp, post_lookup, delays, q_stamp, q_post, q_serial, qs)


def spinnaker_float_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat, p, pending,
                                   now):
    """:func:`spinnaker_pair_deliver` in float mode for a stretch (see
    :func:`spinnaker_pair_deliver_queued`; ``p``: the float mode's fields, above)."""
    (indptr, by_pre, keys, post_indptr, by_post, post_lookup, weight, w_min, w_max, a_plus,
     a_minus, a3_plus, a3_minus, k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending,
     pend_acc, pre_lut, post_lut, pre2_lut, post2_lut, mark, epoch, at_now, arrived, delays,
     q_stamp, q_post, q_serial, cursor, qs, arrivals, bounds, columns) = p
    n = _due_events(stamp, delays, qs[_pk.Q_N_POST], q_stamp, q_post, cursor, qs, arrivals,
                    bounds, columns)
    spinnaker_pair_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                           arrivals[:n], bounds[:n + 1], columns[:bounds[n]], post_indptr,
                           by_post, post_lookup, None, None, None, None, weight, None, None,
                           None, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus,
                           qs[_pk.Q_MODES] != 0, qs[_pk.Q_RULE], k_pre, k_post, k_pre2,
                           k_post2, t_last, t_post, n_pending, pend_acc, None, None, None,
                           None, pre_lut, post_lut, pre2_lut, post2_lut, mark, epoch, at_now,
                           arrived, (pending, now))
    _pk.queue_posts(spiking_ids, stamp, post_lookup, delays, q_stamp, q_post, q_serial, qs)
