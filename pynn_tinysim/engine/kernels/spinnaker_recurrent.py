"""The sPyNNaker flavour's RecurrentRule (extra_models), compiled (see :mod:`.`).

The reference is :class:`..spinnaker.recurrent.RecurrentSTDP`: the pre_stochastic and
dual_fsm state machines, with the board's 16-bit weights moved in s16.15 (integer
arithmetic on exactly held floats) or with float64 weights. This kernel does the same
operations one synapse at a time, in the reference's order, so it gives the same bits;
what it cannot do alone is draw the windows' random numbers in the reference's way
(a numpy Generator), so it reads them from a block the rule drew ahead from the same
generator (``draws`` from ``cursor[0]`` on: the reference's draws in its order, since
the Generator gives the same stream however its draws are grouped) and the rule
winds the generator back to what it actually used (``RecurrentSTDP._settle_draws``).

The draws' order is the reference's (what makes them bit for bit):

- a dual_fsm post window per post spike, in the order of the step's spiking ids;
- per round of presynaptic spikes (``plasticity.spike_rounds``), the pending post
  events replayed round after round (the r-th event of every synapse that has one, in
  the order the events arrived: ``_PendingPotentiation.take``); pre_stochastic draws
  a post window for each synapse that opens one, first those that were idle, then
  those whose post window closed, then those whose pre window closed (as the
  reference's ``np.concatenate([opened, reopen, after])``);
- then the pre spikes: pre_stochastic likewise (idle, pre window closed, post window
  closed, in the round's synapse order), dual_fsm one pre window per presynaptic
  neuron of the round, in ascending id order (``np.unique``).

State the reference keeps in Python objects is arrays here: the pending post events
(``_deferred``) a log in arrival order (``log``: entry e a row of synapse, arrival,
window, previous post spike and the synapse's next entry, :data:`SYN`... :data:`NEXT`,
together in memory as one event is read together; its synapse -1 once replayed; per
synapse its first and last entry, ``head``/``tail``; ``fill[0]`` entries used), and the dual_fsm post windows by the
post spike's stamp, a ring of rows (``pw_ring``, row ``stamp % span`` of ``n_post``,
``pw_stamp`` the stamp each row holds). A call that could run out of draws or of log
entries returns 1 before changing anything, ``need`` saying how many (the rule draws
more or compacts the log, and calls again).
"""

import numpy as np

from . import plasticity as _pk
from . import spinnaker_plasticity as _sp

IDLE, PRE_OPEN, POST_OPEN = 0, 1, 2
#: the columns of the log of pending post events
SYN, ARRIVAL, WINDOW, PREVIOUS, NEXT = 0, 1, 2, 3, 4
#: STDP_FIXED_POINT_ONE: the potentiation and depression's "trace" (weight_one_term)
_STDP_ONE = 2048
#: stdp_typedefs.h: a trace shifted this much left is an s16.15 accum
_TO_S1615 = 4
_WEIGHT_MASK = 0xFFFF


def _mac(a, trace_bits):
    """``mul_accum_fixed``: an s16.15 accum times an STDP fixed-point value."""
    return (a * (trace_bits << _TO_S1615)) >> 15


def _step_up(s, weight, w_acc, w_max, a_plus, multiplicative, accumulator, pot_minus_one):
    """``RecurrentSTDP._step_up`` for synapse ``s`` (``w_acc`` None: float64 weights)."""
    if accumulator[s] < pot_minus_one:
        accumulator[s] += 1
        return
    accumulator[s] = 0
    if w_acc is None:
        w = weight[s]
        if multiplicative:
            weight[s] = w + _sp._at(a_plus, s) * (_sp._at(w_max, s) - w)
        else:
            weight[s] = min(w + _sp._at(a_plus, s), _sp._at(w_max, s))
    else:
        acc = w_acc[s]
        if multiplicative:
            scale = ((_sp._at(w_max, s) - acc) * _sp._at(a_plus, s)) >> 15
            w_acc[s] = acc + _mac(scale, _STDP_ONE)
        else:
            w_acc[s] = min(acc + _mac(_sp._at(a_plus, s), _STDP_ONE), _sp._at(w_max, s))


def _step_down(s, weight, w_acc, w_min, a_minus, multiplicative, accumulator, dep_plus_one):
    """``RecurrentSTDP._step_down`` for synapse ``s``."""
    if accumulator[s] > dep_plus_one:
        accumulator[s] -= 1
        return
    accumulator[s] = 0
    if w_acc is None:
        w = weight[s]
        if multiplicative:
            weight[s] = w - _sp._at(a_minus, s) * (w - _sp._at(w_min, s))
        else:
            weight[s] = max(w - _sp._at(a_minus, s), _sp._at(w_min, s))
    else:
        acc = w_acc[s]
        if multiplicative:
            scale = ((acc - _sp._at(w_min, s)) * _sp._at(a_minus, s)) >> 15
            w_acc[s] = acc - _mac(scale, _STDP_ONE)
        else:
            w_acc[s] = max(acc - _mac(_sp._at(a_minus, s), _STDP_ONE), _sp._at(w_min, s))


def _merge_sort(keys, items, n):
    """``items[:n]`` (and ``keys[:n]``) in ascending order of ``keys``, stable (a bottom-up
    merge sort: NumPy's sorts compiled by Numba cost seconds of compilation each)."""
    src_k, src_i = keys, items
    dst_k, dst_i = np.empty(n, np.int64), np.empty(n, np.int64)
    width = 1
    swapped = False
    while width < n:
        lo = 0
        while lo < n:
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a, b, o = lo, mid, lo
            while a < mid and b < hi:
                if src_k[b] < src_k[a]:
                    dst_k[o] = src_k[b]
                    dst_i[o] = src_i[b]
                    b += 1
                else:
                    dst_k[o] = src_k[a]
                    dst_i[o] = src_i[a]
                    a += 1
                o += 1
            while a < mid:
                dst_k[o] = src_k[a]
                dst_i[o] = src_i[a]
                a += 1
                o += 1
            while b < hi:
                dst_k[o] = src_k[b]
                dst_i[o] = src_i[b]
                b += 1
                o += 1
            lo = hi
        src_k, dst_k = dst_k, src_k
        src_i, dst_i = dst_i, src_i
        swapped = not swapped
        width *= 2
    if swapped:
        for j in range(n):
            keys[j] = src_k[j]
            items[j] = src_i[j]


def _open_windows(order, n, cat, fsm, window, lut, state, draws, cursor):
    """Synapses ``order[:n]`` of category 1, then 2, then 3 (``cat``) open a window of
    ``lut`` (``fsm`` to ``state``), one draw each in that order."""
    for c in range(1, 4):
        for q in range(n):
            s = order[q]
            if cat[s] == c:
                fsm[s] = state
                window[s] = lut[draws[cursor[0]]]
                cursor[0] += 1


def _replay(idx, m, dual, weight, w_acc, w_min, w_max, a_plus, a_minus, multiplicative,
            accumulator, dep_plus_one, pot_minus_one, post_lut, fsm, window, pre_window,
            t_last, n_pending, log, head, tail, draws, cursor, active, cur, cat):
    """``_apply_pending`` of synapses ``idx[:m]``: their post events, round by round."""
    na = 0
    for q in range(m):
        s = idx[q]
        if n_pending[s] > 0:
            active[na] = s
            cur[s] = head[s]
            na += 1
    while na > 0:
        if not dual:        # (a round in arrival order: the draws' order)
            position = np.empty(na, np.int64)
            for j in range(na):
                position[j] = cur[active[j]]
            _merge_sort(position, active, np.int64(na))   # (int64: one compilation)
        for j in range(na):
            s = active[j]
            e = cur[s]
            arrival = log[e, ARRIVAL]
            since_pre = arrival - t_last[s]
            cat[s] = 0
            if dual:
                if since_pre > 0 and since_pre < pre_window[s]:
                    _step_up(s, weight, w_acc, w_max, a_plus, multiplicative, accumulator,
                             pot_minus_one)
                continue
            state = fsm[s]
            if state == IDLE:
                cat[s] = 1
            elif state == POST_OPEN:
                if arrival - log[e, PREVIOUS] < window[s]:
                    fsm[s] = IDLE
                else:
                    cat[s] = 2
            elif state == PRE_OPEN:
                if since_pre == 0:
                    fsm[s] = IDLE
                elif since_pre < window[s]:
                    fsm[s] = IDLE
                    _step_up(s, weight, w_acc, w_max, a_plus, multiplicative, accumulator,
                             pot_minus_one)
                else:
                    cat[s] = 3
        if not dual:
            _open_windows(active, np.int64(na), cat, fsm, window, post_lut,
                          np.int64(POST_OPEN), draws, cursor)
        nb = 0
        for j in range(na):
            s = active[j]
            e = cur[s]
            log[e, SYN] = -1
            following = log[e, NEXT]
            if following >= 0:
                cur[s] = following
                active[nb] = s
                nb += 1
        na = nb
    for q in range(m):
        s = idx[q]
        if n_pending[s] > 0:
            n_pending[s] = 0
            head[s] = -1
            tail[s] = -1


def _pre_spikes(idx, m, rid, nids, stamp, dual, indptr, by_pre, weight, w_acc, w_min,
                a_minus, multiplicative, accumulator, dep_plus_one, pre_lut, fsm, window,
                pre_window, post_arrival, post_window, t_last, draws, cursor, cat):
    """``_on_pre_events``' pre spike of synapses ``idx[:m]`` (rows of ids ``rid[:nids]``)."""
    if dual:
        for q in range(m):
            s = idx[q]
            if post_arrival[s] > 0 and stamp - post_arrival[s] < post_window[s]:
                _step_down(s, weight, w_acc, w_min, a_minus, multiplicative, accumulator,
                           dep_plus_one)
        # the row's new pre window: one draw per presynaptic neuron, ascending ids
        ids = rid[:nids].copy()
        _merge_sort(rid[:nids].copy(), ids, np.int64(nids))
        for q in range(nids):
            i = ids[q]
            w = pre_lut[draws[cursor[0]]]
            cursor[0] += 1
            for j in range(indptr[i], indptr[i + 1]):
                pre_window[by_pre[j]] = w
    else:
        for q in range(m):
            s = idx[q]
            cat[s] = 0
            if post_arrival[s] <= 0:
                continue
            state = fsm[s]
            if state == IDLE:
                cat[s] = 1
            elif state == PRE_OPEN:
                if stamp - t_last[s] < window[s]:
                    fsm[s] = IDLE
                else:
                    cat[s] = 2
            elif state == POST_OPEN:
                if stamp - post_arrival[s] < window[s]:
                    fsm[s] = IDLE
                    _step_down(s, weight, w_acc, w_min, a_minus, multiplicative, accumulator,
                               dep_plus_one)
                else:
                    cat[s] = 3
        _open_windows(idx, np.int64(m), cat, fsm, window, pre_lut, np.int64(PRE_OPEN), draws,
                      cursor)
    for q in range(m):
        t_last[idx[q]] = stamp


def recurrent_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                      arrivals, bounds, columns, post_indptr, by_post, post_lookup, post_of,
                      delay, weight, w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus,
                      multiplicative, dual, dep_plus_one, pot_minus_one, pre_lut, post_lut,
                      accumulator, fsm, window, pre_window, post_arrival, post_window,
                      t_last, n_pending, log, head, tail, fill, pw_ring, pw_stamp, n_post,
                      draws, cursor,
                      need, idx, active, cur, cat, mark, epoch):
    """One call of ``RecurrentSTDP.deliver`` (see the module docstring); 0, or 1 (nothing
    done) where ``need`` = (draws, log entries) are more than ``draws`` and the log
    hold.

    ``arrivals``/``bounds``/``columns``: the post events popped from the rule's queue
    (as :func:`.plasticity.pair_deliver`'s); ``post_of``/``delay``: each synapse's post
    neuron and delay in ticks; ``w_acc``, ``w_scale``, ``shift``: the board's weights
    (None: float64 weights); ``w_min``... ``a_minus``: the s16.15 parameters the host
    writes, or the float ones (one element where every synapse has the same);
    ``pw_ring``/``pw_stamp``: the dual_fsm post windows (unused, one element, else);
    ``idx``... ``epoch``: scratch (``mark`` -1 at first)."""
    ring_size = ring_flat.size
    # 0. what this call may use up, before anything changes
    n_events = 0
    for a in range(arrivals.size):
        for c in range(bounds[a], bounds[a + 1]):
            col = columns[c]
            n_events += post_indptr[col + 1] - post_indptr[col]
    n_draws = 0
    if dual:
        for i in spiking_ids:
            n_draws += 1 + (1 if post_lookup[i] >= 0 else 0)
    else:
        n_draws = n_events
        for i in spiking_ids:
            for j in range(indptr[i], indptr[i + 1]):
                n_draws += n_pending[by_pre[j]] + 1
    need[0] = n_draws if cursor[0] + n_draws > draws.size else 0
    need[1] = n_events if fill[0] + n_events > log.shape[0] else 0
    if need[0] > 0 or need[1] > 0:
        return 1
    # 1. dual_fsm: a post window per post spike of this tick (RecurrentSTDP.deliver)
    if dual:
        span = pw_stamp.size
        for i in spiking_ids:
            p = post_lookup[i]
            if p < 0:
                continue
            row = stamp % span
            if pw_stamp[row] != stamp:
                pw_stamp[row] = stamp
                for q in range(n_post):
                    pw_ring[row * n_post + q] = 0
            pw_ring[row * n_post + p] = post_lut[draws[cursor[0]]]
            cursor[0] += 1
    # 2. post events in arrival order (PairTraceRule._apply_arrivals with
    # RecurrentSTDP._potentiation_terms): logged for the synapse's next pre spike
    for a in range(arrivals.size):
        arrival = arrivals[a]
        for c in range(bounds[a], bounds[a + 1]):
            col = columns[c]
            for j in range(post_indptr[col], post_indptr[col + 1]):
                s = by_post[j]
                d = delay[s]
                previous = post_arrival[s]
                prev_raw = previous - d if previous > 0 else 0
                w = 0
                if dual:    # the window drawn when the post neuron spiked
                    spiked = arrival - d
                    row = spiked % pw_stamp.size
                    if pw_stamp[row] == spiked:
                        w = pw_ring[row * n_post + post_of[s]]
                post_arrival[s] = arrival
                post_window[s] = w
                e = fill[0]
                fill[0] += 1
                log[e, SYN] = s
                log[e, ARRIVAL] = arrival
                log[e, WINDOW] = w
                log[e, PREVIOUS] = prev_raw
                log[e, NEXT] = -1
                if tail[s] >= 0:
                    log[tail[s], NEXT] = e
                else:
                    head[s] = e
                tail[s] = e
                n_pending[s] += 1
    # 3. the pre spikes, round by round where an id repeats (plasticity.spike_rounds)
    pending = spiking_ids.copy()
    now = np.empty_like(pending)
    rid = np.empty(spiking_ids.size, np.int64)
    n = pending.size
    while n > 0:
        e, k, n = _pk._next_round(pending, n, now, indptr, by_pre, mark, epoch)
        nids = 0
        total = 0
        for q in range(k):
            i = now[q]
            if indptr[i + 1] > indptr[i]:
                rid[nids] = i
                nids += 1
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                idx[total] = s
                total += 1
        if total == 0:
            continue
        if w_acc is not None:       # weight_get_initial: W << shift as an s16.15 accum
            for q in range(total):
                s = idx[q]
                w_acc[s] = np.int64(np.rint(weight[s] * _sp._at(w_scale, s))) << _sp._at(shift, s)
        # (the counts as int64 values, never Numba's literal 0: one compilation of each)
        _replay(idx, np.int64(total), dual, weight, w_acc, w_min, w_max, a_plus, a_minus,
                multiplicative, accumulator, dep_plus_one, pot_minus_one, post_lut, fsm,
                window, pre_window, t_last, n_pending, log, head, tail, draws, cursor,
                active, cur, cat)
        _pre_spikes(idx, np.int64(total), rid, np.int64(nids), stamp, dual, indptr, by_pre,
                    weight, w_acc, w_min, a_minus, multiplicative, accumulator, dep_plus_one,
                    pre_lut, fsm, window, pre_window, post_arrival, post_window, t_last, draws,
                    cursor, cat)
        for q in range(total):
            s = idx[q]
            if w_acc is not None:   # weight_get_final: (accum >> shift) as 16 bits
                scale = _sp._at(w_scale, s)
                weight[s] = np.float64((w_acc[s] >> _sp._at(shift, s)) & _WEIGHT_MASK) / scale
            _pk._ring_add(ring_flat, keys[s] + slot_offset, ring_size, weight[s])
    return 0


def recurrent_log_compact(log, head, tail, fill, out):
    """The log's live entries (rows ``log[:fill[0]]`` whose synapse is not -1) moved, in
    their order, to the front of ``out`` (the log itself, or a longer one), each chain's
    next entries and ``head``/``tail`` renumbered; ``fill[0]`` becomes their count.
    ``RecurrentSTDP._log_room`` (what its NumPy rebuild of the log did, ~17 ms a time for
    the benchmark's 200 000 rows: a fifth of the run)."""
    n = fill[0]
    new = np.empty(n, np.int64)
    count = 0
    for r in range(n):
        if log[r, SYN] >= 0:
            new[r] = count
            count += 1
        else:
            new[r] = -1
    for r in range(n):      # (in place too: row new[r] <= r was read before)
        m = new[r]
        if m >= 0:
            for column in range(NEXT):
                out[m, column] = log[r, column]
            following = log[r, NEXT]
            out[m, NEXT] = new[following] if following >= 0 else -1
    for s in range(head.size):
        if head[s] >= 0:
            head[s] = new[head[s]]
            tail[s] = new[tail[s]]
    fill[0] = count
