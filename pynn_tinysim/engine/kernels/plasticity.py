"""Plastic spike delivery (STDP with any of PyNN's weight dependences, Vogels-Sprekeler,
Tsodyks-Markram, the stochastic synapses) for Numba (see :mod:`.`).

The reference is :mod:`..plasticity`'s NumPy code; these loops do its
floating-point operations in its order, one synapse at a time. Every
synapse's update there is elementwise (no sum over synapses except the ring's
``np.add.at``, taken in the same order here), so walking the synapses one by one
gives the same bits.

The exponentials are the exception: NumPy's ``np.exp`` may be its own SIMD code
(AVX-512), which differs in the last bit from the C library's ``exp`` that
compiled code calls. So no kernel calls ``exp``: the decays are read from tables
indexed by the interval in steps, which the caller fills with NumPy's ``np.exp``
over the very expression the reference evaluates (``DecayTables`` in
:mod:`..plasticity`; NumPy's exp is elementwise, an entry does not depend on its
neighbours). A table *covers* intervals below its length, or all of them once
*saturated* (its last entry, and every later one, is 0.0 or a limit). Each kernel
first checks that the intervals it will read are covered and, where one is not,
returns the table length it needs (> 0) without touching any state; the caller
grows the tables and calls again (or runs the NumPy step, whose state is the same
arrays). 0: done.

Where a pair rule's trace time constant differs between synapses, its table has one
row per distinct value (each as long as the others, end to end in one array) and each
synapse the index of its row: still NumPy's bits (``PairTraceRule._pair_tables``).

The one exception to the reference's bits: STDP's Gutig weight dependence raises to
the powers mu_plus/mu_minus with the C library's ``pow`` (what NEST calls), where the
reference calls ``np.power``, whose AVX-512 code differs in the last bit for ~6 % of
its arguments on such CPUs (measured: 58 000 of 10^6 uniform bases, mu = 0.4); the
result depends on the weight, so no table can hold it, and the pending events apply
one after the other, so it cannot be taken between two kernels either. Weights then
differ from the NumPy engine's in their last bits (tests: within 1e-12; spikes,
traces, stamps and queues equal).

Minimum and maximum follow NumPy's ``np.minimum``/``np.maximum`` exactly (the
second argument on a tie, so signed zeros come out alike; NaN propagated).

The stochastic synapses (SimpleStochastic, StochasticTsodyksMarkram, MultiQuantal)
draw keyed uniforms (:mod:`..keyed`) here as there: the same SplitMix64 finalizer
chained over the same coordinates (pre id, post id, rank in the pair, stamp, the
round of a source's repeated spike after the first, which draw, which trial).
"""

import numpy as np


def _np_max(a, b):
    """np.maximum(a, b) for floats (b on a tie, NaN from either side)."""
    return a if (a > b or a != a) else b


def _np_min(a, b):
    """np.minimum(a, b) for floats."""
    return a if (a < b or a != a) else b


def _ring_add(ring_flat, position, ring_size, amount):
    if position >= ring_size:
        position -= ring_size
    ring_flat[position] += amount


def _row(table, length, c, d):
    """Row ``c`` of a flat table of rows of ``length`` entries, entry ``d`` (its last entry
    past the end: a saturated table's)."""
    if d >= length:
        d = length - 1
    return table[c * length + d]


def _next_listed(listed, cursor):
    """The next of the ``listed`` decays (``cursor[0]`` counts them)."""
    value = listed[cursor[0]]
    cursor[0] += 1
    return value


def _trace_decay(table, length, classes, s, d, decay_cursor):
    """Synapse ``s``'s decay over ``d`` steps: its class's row of ``table`` (:func:`_row`),
    or where ``decay_cursor`` is not None the next listed decay (:func:`_next_listed`;
    Numba compiles each case apart: a None argument prunes the other)."""
    if decay_cursor is None:
        return _row(table, length, classes[s], d)
    return _next_listed(table, decay_cursor)


def _power(base, mode, mu):
    """STDP._power: 1.0 (mu 0 for every synapse), ``base`` (mu 1), else base ** mu (the
    C library's pow, where the reference has NumPy's np.power: see the module docstring)."""
    if mode == 0:
        return 1.0
    if mode == 1:
        return base
    return base ** mu


def _log_apply(s, weight, lo, span, a_plus, plus_mode, mu_plus, log_head, log_tail,
               log_next, log_k, log_free):
    """STDP._potentiate for each of synapse ``s``'s pending post events in arrival order
    (the reference's "log" mode: the Gutig weight dependence), their log entries freed."""
    m = log_head[s]
    while m >= 0:
        x = (weight[s] - lo) / span
        x += a_plus * _power(_np_max(1.0 - x, 0.0), plus_mode, mu_plus) * log_k[m]
        x = _np_min(x, 1.0)
        weight[s] = lo + x * span
        following = log_next[m]
        log_next[m] = log_free[0]
        log_free[0] = m
        log_free[1] += 1
        m = following
    log_head[s] = -1
    log_tail[s] = -1


def _stdp_pending(w, lo, span, rule, acc):
    """Weight ``w`` after its pending potentiations composed in ``acc`` (STDP_SUM: their
    sum, ``_apply_sum``; STDP_PRODUCT: their product, ``_apply_product``)."""
    x = (w - lo) / span
    if rule == STDP_PRODUCT:
        x = _np_min(1.0 - _np_max(1.0 - x, 0.0) * acc, 1.0)
    else:
        x = _np_min(x + acc, 1.0)
    return lo + x * span


def _stdp_depressed(w, lo, span, a_minus, minus_mode, mu_minus, kq):
    """Weight ``w`` after the depression by the post trace ``kq`` (``_depress``; the
    exponent mu_minus applied as ``minus_mode`` says, :func:`_power`)."""
    x = (w - lo) / span
    x -= a_minus * _power(_np_max(x, 0.0), minus_mode, mu_minus) * kq
    x = _np_max(x, 0.0)
    return lo + x * span


def _vogels_weight(w, lo, hi, eta, alpha, pending, acc, kq):
    """VogelsSprekeler's weight ``w`` at a pre spike (``_apply_sum`` of the sum ``acc``
    where ``pending``, then ``_depress``), on the distance from w_min towards w_max."""
    span = hi - lo
    sign = -1.0 if span < 0 else 1.0
    size = abs(span)
    if pending:
        w = lo + sign * _np_min(sign * (w - lo) + acc, size)
    d = sign * (w - lo)
    d = _np_min(d + eta * kq, size)
    d = _np_max(d - alpha * eta, 0.0)
    return lo + sign * d


def _deferred(i, indptr, by_pre, mark, e):
    """Whether id ``i``'s synapses were already updated in round ``e`` (marked ``e``):
    this is a later spike of the same source in the step, for the next round.

    The reference (PlasticSynapses.deliver, plasticity.spike_rounds) updates the
    synapses of the first spike of every id in the step, then those of the second
    spikes, and so on; a kernel walks the step's ids once per round, doing the ids
    not yet done this round and keeping the others (in their order) for the next.
    """
    lo = indptr[i]
    return lo < indptr[i + 1] and mark[by_pre[lo]] == e


def _next_round(pending, n, now, indptr, by_pre, mark, epoch):
    """Opens the next round of a step's spikes (see :func:`_deferred`): splits the ids
    ``pending[:n]``, in their order, into those whose synapses this round updates (into
    ``now``) and the later spikes of an id met before in the round (back to the front of
    ``pending``, for the next). Returns (the round's epoch, how many in ``now``, how
    many left in ``pending``). A kernel's loop::

        while n > 0:
            e, k, n = _next_round(pending, n, now, indptr, by_pre, mark, epoch)
            for q in range(k):
                ...   # now[q]'s synapses, in CSR order, each marked e

    It marks each taken id's first synapse here (the kernel marks them all as it
    updates them), so a repeat of that id later in the round is deferred just as when
    each id was checked in turn between the updates: only that id's own update writes
    the mark :func:`_deferred` reads. The synapses are updated in the same order."""
    epoch[0] += 1
    e = epoch[0]
    k = 0
    m = 0
    for q in range(n):
        i = pending[q]
        if _deferred(i, indptr, by_pre, mark, e):
            pending[m] = i
            m += 1
            continue
        if indptr[i] < indptr[i + 1]:
            mark[by_pre[indptr[i]]] = e
        now[k] = i
        k += 1
    return e, k, m


#: the pair rules :func:`pair_deliver` knows (``rule``): STDP whose pending potentiations
#: compose into a sum (mu_plus 0) or a product (mu_plus 1), Vogels-Sprekeler, STDP whose
#: pending post events are kept and replayed (any other mu_plus: Gutig)
STDP_SUM, STDP_PRODUCT, VOGELS, STDP_LOG = 0, 1, 2, 3


def _needed_len(d, length, saturated):
    """0 if interval ``d`` is covered by table rows of ``length``, else the length needed."""
    if d < length or saturated:
        return 0
    return d + 1


# The per-synapse loops below live in helpers called once per pre spike (a CSR row) or
# per arriving post spike (a column), never once per synapse: a compiled helper taking
# arrays counts a reference to each on entry and exit (atomic operations). Called per
# synapse with ~20 arrays, that made the compiled STDP 2.8x slower (measured: 3.4 s
# rather than 1.2 s for 10 s of `benchmarks/plastic_network.py additive`). The helpers
# they call per synapse take scalars only (or one table, and LLVM inlines them).
#
# ``decay_cursor``: None where the decays are read from tables (``pre_decay``/``post_decay``
# rows, ``pre_cls``/``post_cls`` each synapse's row); else the cursor of decays listed
# in the order they are read (``pre_decay``, the same array as ``post_decay``, lists
# them: :func:`pair_exponents`). Numba compiles each case apart (a None argument prunes
# its branches), so neither pays for the other's test in its loops.

def pair_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                 arrivals, bounds, columns, post_indptr, by_post,
                 weight, w_min, w_max, amp_plus, amp_minus, mu_plus, mu_minus, rule, modes,
                 k_pre, k_post, t_last, t_post, n_pending, pend_acc,
                 pre_decay, pre_cls, pre_len, pre_saturated,
                 post_decay, post_cls, post_len, post_saturated,
                 log_head, log_tail, log_next, log_k, log_free,
                 mark, epoch, at_now, decay_cursor):
    """One call of ``PairTraceRule.deliver`` for ``rule``: STDP_SUM (STDP with mu_plus 0:
    additive potentiation; ``amp_plus``/``amp_minus`` are A_plus/A_minus), STDP_PRODUCT
    (mu_plus 1), STDP_LOG (any other mu_plus, the Gutig weight dependence: each pending
    post event's pre trace is kept in a log, replayed at the next pre spike) or VOGELS
    (VogelsSprekeler: ``amp_plus`` eta, ``amp_minus`` alpha = 2e-3 rho tau); the
    exponents ``mu_plus``/``mu_minus`` per synapse, applied as ``modes`` says
    (3 * how mu_plus applies + how mu_minus does, :func:`_power`).

    ``arrivals``/``bounds``/``columns``: the post events popped from the rule's
    queue, arrival stamps in time order, the columns (delay, post neuron) of
    arrival i in ``columns[bounds[i]:bounds[i + 1]]``. ``mark``/``epoch``: a
    synapse met twice in one arrival (a cell's repeated spikes of one step) is
    taken once, as the reference's fancy-indexed updates take it. An id repeated
    in ``spiking_ids`` (a source's several spikes in one step) updates its synapses
    and transmits once per spike, in the reference's rounds (see :func:`_deferred`).

    The trace decays: ``pre_decay``/``post_decay`` hold one row of ``pre_len``/
    ``post_len`` entries per distinct time constant, synapse s reads row
    ``pre_cls[s]``/``post_cls[s]``; or, where ``decay_cursor`` is not None (a projection whose
    time constants have more distinct values than a table has rows), the decays listed
    in the order they are read, ``decay_cursor[0]`` counting them (``pre_len``/``post_len``
    0, saturated). The log (STDP_LOG only): per synapse its first and
    last entry (``log_head``/``log_tail``, -1: none), per entry the next one and the
    pre trace (``log_next``/``log_k``), ``log_free``: the first free entry and how many
    are free (the free ones chained by ``log_next``). ``at_now``: scratch (one slot per
    synapse). Returns 0; the table row length needed (> 0); or, where the log has too
    few free entries, minus the number it needs. Nothing is changed unless 0.
    """
    # 1. are the tables long enough for every interval read below? (the largest
    # are from the synapses' last pre spike and last post event to this stamp); has
    # the log room for every event recorded below?
    need = 0
    events = 0
    for c in range(columns.size):
        col = columns[c]
        events += post_indptr[col + 1] - post_indptr[col]
        for j in range(post_indptr[col], post_indptr[col + 1]):
            s = by_post[j]
            need = max(need, _needed_len(stamp - t_last[s], pre_len, pre_saturated),
                       _needed_len(stamp - t_post[s], post_len, post_saturated))
    for i in spiking_ids:
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            need = max(need, _needed_len(stamp - t_last[s], pre_len, pre_saturated),
                       _needed_len(stamp - t_post[s], post_len, post_saturated))
    if need > 0:
        return need
    if rule == STDP_LOG and events > log_free[1]:
        return -events
    # 2. post events in arrival order (PairTraceRule._apply_arrivals): the pre trace
    # they read is recorded for the next pre spike; the post trace is bumped now,
    # except for events arriving at this very stamp (after this step's pre spikes)
    n_now = 0
    for a in range(arrivals.size):
        arrival = arrivals[a]
        epoch[0] += 1
        e = epoch[0]
        for c in range(bounds[a], bounds[a + 1]):
            col = columns[c]
            n_now = _pair_column(post_indptr[col], post_indptr[col + 1], e, arrival, stamp,
                                 by_post, mark, amp_plus, rule, k_pre, k_post, t_last,
                                 t_post, n_pending, pend_acc, pre_decay, pre_cls, pre_len,
                                 post_decay, post_cls, post_len, log_head, log_tail,
                                 log_next, log_k, log_free, at_now, np.int64(n_now),
                                 decay_cursor)
    # 3. the pre spikes, then 4. this stamp's post events reach the post trace
    _pair_pre_spikes(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                     weight, w_min, w_max, amp_plus, amp_minus, mu_plus, mu_minus, rule,
                     modes, k_pre, k_post, t_last, t_post, n_pending, pend_acc,
                     pre_decay, pre_cls, pre_len, post_decay, post_cls, post_len,
                     log_head, log_tail, log_next, log_k, log_free, mark, epoch,
                     at_now, np.int64(n_now), decay_cursor, np.empty_like(spiking_ids),
                     np.empty_like(spiking_ids))
    return 0


def _pair_column(lo, hi, e, arrival, stamp, by_post, mark, amp_plus, rule, k_pre, k_post,
                 t_last, t_post, n_pending, pend_acc, pre_decay, pre_cls, pre_len,
                 post_decay, post_cls, post_len, log_head, log_tail, log_next, log_k,
                 log_free, at_now, n_now, decay_cursor):
    """A post spike's events arriving at ``arrival`` at the synapses ``by_post[lo:hi]``
    (step 2 of :func:`pair_deliver`; those marked ``e`` already took this arrival): what
    each will contribute is recorded (``_record_pending``: summed, multiplied, or
    appended to the synapse's log); its post trace bumped, or the synapse kept in
    ``at_now`` where it arrives at ``stamp``. Returns the new count in ``at_now``."""
    for j in range(lo, hi):
        s = by_post[j]
        if mark[s] == e:
            continue
        mark[s] = e
        kp = k_pre[s] * _trace_decay(pre_decay, pre_len, pre_cls, s, arrival - t_last[s],
                                     decay_cursor)
        if rule == STDP_PRODUCT:
            pend_acc[s] *= _np_max(1.0 - amp_plus[s] * kp, 0.0)
        elif rule == STDP_LOG:
            # at the end of the synapse's log, in a free entry (the caller checked that
            # there are enough)
            m = log_free[0]
            log_free[0] = log_next[m]
            log_free[1] -= 1
            log_k[m] = kp
            log_next[m] = -1
            if log_tail[s] >= 0:
                log_next[log_tail[s]] = m
            else:
                log_head[s] = m
            log_tail[s] = m
        else:
            pend_acc[s] += amp_plus[s] * kp
        n_pending[s] += 1
        if arrival < stamp:
            k_post[s] = k_post[s] * _trace_decay(post_decay, post_len, post_cls, s,
                                                 arrival - t_post[s], decay_cursor) + 1.0
            t_post[s] = arrival
        else:
            at_now[n_now] = s
            n_now += 1
    return n_now


def _pair_pre_spikes(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                     weight, w_min, w_max, amp_plus, amp_minus, mu_plus, mu_minus, rule,
                     modes, k_pre, k_post, t_last, t_post, n_pending, pend_acc,
                     pre_decay, pre_cls, pre_len, post_decay, post_cls, post_len,
                     log_head, log_tail, log_next, log_k, log_free, mark, epoch,
                     at_now, n_now, decay_cursor, pending, now):
    """Steps 3 and 4 of :func:`pair_deliver` (and of :func:`pair_deliver_queued`): the
    pre spikes of ``stamp`` (``PairTraceRule._on_pre``, the rule's weight dependence)
    and what they transmit into the ring (the weight after their own update); then the
    post events arriving at this very stamp (``at_now[:n_now]``) reach the post trace."""
    # round by round where an id repeats (see pair_deliver)
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n = spiking_ids.size
    while n > 0:
        e, k, n = _next_round(pending, n, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            _pair_pre_row(indptr[now[q]], indptr[now[q] + 1], e, stamp, by_pre, keys,
                          slot_offset, ring_flat, weight, w_min, w_max, amp_plus,
                          amp_minus, mu_plus, mu_minus, rule, modes, k_pre, k_post, t_last,
                          t_post, n_pending, pend_acc, pre_decay, pre_cls, pre_len,
                          post_decay, post_cls, post_len, log_head, log_tail, log_next,
                          log_k, log_free, mark, decay_cursor)
    for n in range(n_now):
        s = at_now[n]
        k_post[s] = k_post[s] * _trace_decay(post_decay, post_len, post_cls, s,
                                             stamp - t_post[s], decay_cursor) + 1.0
        t_post[s] = stamp


def _pair_pre_row(lo, hi, e, stamp, by_pre, keys, slot_offset, ring_flat, weight, w_min,
                  w_max, amp_plus, amp_minus, mu_plus, mu_minus, rule, modes, k_pre, k_post,
                  t_last, t_post, n_pending, pend_acc, pre_decay, pre_cls, pre_len,
                  post_decay, post_cls, post_len, log_head, log_tail, log_next, log_k,
                  log_free, mark, decay_cursor):
    """A pre spike at the synapses ``by_pre[lo:hi]`` (its CSR row), each marked ``e``:
    the pending potentiation (``_apply_sum``/``_apply_product``, or the log replayed),
    the depression by the post trace, the pre trace bumped, the new weight into the
    ring (:func:`_pair_pre_spikes`)."""
    ring_size = ring_flat.size
    for j in range(lo, hi):
        s = by_pre[j]
        mark[s] = e
        kq = k_post[s] * _trace_decay(post_decay, post_len, post_cls, s, stamp - t_post[s],
                                      decay_cursor)
        w_lo, w_hi = w_min[s], w_max[s]
        pending = n_pending[s] > 0
        if rule == VOGELS:
            w = _vogels_weight(weight[s], w_lo, w_hi, amp_plus[s], amp_minus[s], pending,
                               pend_acc[s], kq)
            if pending:
                pend_acc[s] = 0.0
                n_pending[s] = 0
        else:
            span = w_hi - w_lo
            if pending:
                if rule == STDP_LOG:
                    _log_apply(s, weight, w_lo, span, amp_plus[s], modes // 3, mu_plus[s],
                               log_head, log_tail, log_next, log_k, log_free)
                elif rule == STDP_PRODUCT:
                    weight[s] = _stdp_pending(weight[s], w_lo, span, rule, pend_acc[s])
                    pend_acc[s] = 1.0
                else:
                    weight[s] = _stdp_pending(weight[s], w_lo, span, rule, pend_acc[s])
                    pend_acc[s] = 0.0
                n_pending[s] = 0
            w = _stdp_depressed(weight[s], w_lo, span, amp_minus[s], modes % 3, mu_minus[s],
                                kq)
        weight[s] = w
        k_pre[s] = k_pre[s] * _trace_decay(pre_decay, pre_len, pre_cls, s,
                                           stamp - t_last[s], decay_cursor) + 1.0
        t_last[s] = stamp
        _ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)


def pair_exponents(spiking_ids, stamp, indptr, by_pre, arrivals, bounds, columns,
                   post_indptr, by_post, t_last, t_post, pre_rate, post_rate, mark, epoch,
                   t_now, seen, at_now, out):
    """The exponents -d dt/tau of every trace decay one call of :func:`pair_deliver`
    reads, in its order (pre trace at each post event's arrival, post trace where it
    arrives before ``stamp``; post then pre trace at each pre spike, round by round;
    post trace of the events arriving at ``stamp``), into ``out``; returns how many.
    For a projection whose trace time constants have more distinct values than a table
    has rows: the caller takes their ``np.exp`` (NumPy's bits, as
    ``PairTraceRule._decay``) and :func:`pair_deliver` reads them in turn (its
    ``decay_cursor``). ``pre_rate``/``post_rate``: dt/tau per synapse. Changes no
    synapse's state: the post events' and pre spikes' new stamps are kept in ``t_now``
    (valid where ``seen`` is at least this call's first epoch); ``at_now``: scratch.
    Returns -1 where ``out`` is too short (nothing changed but the scratch: call again
    with a longer one)."""
    call = epoch[0] + 1
    n = 0
    n_now = 0
    for a in range(arrivals.size):
        arrival = arrivals[a]
        epoch[0] += 1
        e = epoch[0]
        for c in range(bounds[a], bounds[a + 1]):
            col = columns[c]
            for j in range(post_indptr[col], post_indptr[col + 1]):
                s = by_post[j]
                if mark[s] == e:
                    continue
                mark[s] = e
                if n + 2 > out.size:
                    return -1
                out[n] = -(arrival - t_last[s]) * pre_rate[s]
                n += 1
                if arrival < stamp:
                    tp = t_now[s] if seen[s] >= call else t_post[s]
                    out[n] = -(arrival - tp) * post_rate[s]
                    n += 1
                    t_now[s] = arrival
                    seen[s] = call
                else:
                    at_now[n_now] = s
                    n_now += 1
    # the pre spikes' rounds (see _pair_pre_spikes): the pre trace's stamp is this one's
    # after the first round (a decay over 0 steps)
    pending = spiking_ids.copy()
    now = np.empty_like(pending)
    m_pending = pending.size
    first = True
    while m_pending > 0:
        e, k, m_pending = _next_round(pending, m_pending, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                if n + 2 > out.size:
                    return -1
                tp = t_now[s] if seen[s] >= call else t_post[s]
                out[n] = -(stamp - tp) * post_rate[s]
                out[n + 1] = -(stamp - (t_last[s] if first else stamp)) * pre_rate[s]
                n += 2
        first = False
    for q in range(n_now):
        s = at_now[q]
        if n + 1 > out.size:
            return -1
        tp = t_now[s] if seen[s] >= call else t_post[s]
        out[n] = -(stamp - tp) * post_rate[s]
        n += 1
        t_now[s] = stamp
        seen[s] = call
    return n


def pair_log_export(log_head, log_tail, log_next, log_k, log_free, out_syn, out_k):
    """Empty the log of :func:`pair_deliver` into ``out_syn``/``out_k`` (each synapse's
    entries together, in arrival order: what ``_PendingPotentiation`` keeps); returns
    how many."""
    n = 0
    for s in range(log_head.size):
        m = log_head[s]
        while m >= 0:
            out_syn[n] = s
            out_k[n] = log_k[m]
            n += 1
            following = log_next[m]
            log_next[m] = log_free[0]
            log_free[0] = m
            log_free[1] += 1
            m = following
        log_head[s] = -1
        log_tail[s] = -1
    return n


def tm_exponents(spiking_ids, stamp, indptr, by_pre, t_last, dt, tau_facil, rate_psc,
                 tau_rec, mark, epoch, out):
    """The exponents of the decays of the first round of ``TsodyksMarkram.deliver``, three
    per synapse in the order :func:`tsodyks_markram_deliver` meets them, into ``out``:
    -h/tau_facil (-inf where tau_facil = 0: the decay is 0), the PSC's (``_psc_exponent``)
    and -h/tau_rec, h = d dt; returns how many. For a projection whose time constants
    have more distinct values than a table has rows: the caller takes their ``np.exp``
    (NumPy's bits) for :func:`tsodyks_markram_deliver`."""
    epoch[0] += 1
    e = epoch[0]
    n = 0
    for i in spiking_ids:
        if _deferred(i, indptr, by_pre, mark, e):
            continue
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            mark[s] = e
            h = (stamp - t_last[s]) * dt
            out[n] = -np.inf if tau_facil[s] == 0.0 else -h / tau_facil[s]
            out[n + 1] = 0.0 if h == 0 else -h * rate_psc[s]
            out[n + 2] = -h / tau_rec[s]
            n += 3
    return n


def tsodyks_markram_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                            weight, U, u, x, y, t_last, dt, tau_rec, tau_psc, inv_diff,
                            same, decay, length, facil_row, psc_row, rec_row, saturated,
                            mark, epoch, amount, listed, tau_facil, rounds):
    """One call of ``TsodyksMarkram.deliver``: ``decay`` holds rows of ``length`` entries,
    the decays exp(-h/tau_facil), exp(-h/tau_psc), exp(-h/tau_rec) for h = d dt, d
    steps, one row per distinct value of each time constant; synapse s reads rows
    ``facil_row[s]``, ``psc_row[s]``, ``rec_row[s]``. ``listed`` given (None: Numba
    leaves this code out): the decays are those instead, three per synapse of the first
    round
    (:func:`tm_exponents`), and in later rounds (0 steps after the first) exp(-0.0) =
    1.0, or 0.0 for a ``tau_facil`` of 0. ``tau_rec``, ``tau_psc``,
    ``inv_diff`` (1/(tau_psc - tau_rec)) and ``same`` (1.0 where they are equal: the
    limit) per synapse. ``mark``/``epoch``: an id repeated in ``spiking_ids`` (a
    source's several spikes in one step) updates its synapses and transmits once per
    spike, in the reference's rounds (:func:`_deferred`; the repeats are 0 steps after
    the first: h = 0). ``amount``: scratch, each synapse's last transmitted amount.
    Returns 0, or the table length needed."""
    ring_size = ring_flat.size
    if listed is None:
        for i in spiking_ids:
            for j in range(indptr[i], indptr[i + 1]):
                d = stamp - t_last[by_pre[j]]
                if d >= length and not saturated:
                    return d + 1
    # the rounds' ids, in the caller's scratch (``rounds``: nothing here allocates, so
    # that a stretch's uncounted path may call this: kernels.UNCOUNTED)
    pending, now = rounds
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n_pending = spiking_ids.size
    n_listed = 0
    first = True
    while n_pending > 0:
        e, k, n_pending = _next_round(pending, n_pending, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                d = stamp - t_last[s]
                h = d * dt
                if listed is None:
                    Puu = _row(decay, length, facil_row[s], d)
                    Pyy = _row(decay, length, psc_row[s], d)
                    Pzz = _row(decay, length, rec_row[s], d)
                elif first:
                    Puu = listed[n_listed]
                    Pyy = listed[n_listed + 1]
                    Pzz = listed[n_listed + 2]
                    n_listed += 3
                else:       # a repeated spike (a later round)
                    Puu = 0.0 if tau_facil[s] == 0.0 else 1.0
                    Pyy = 1.0
                    Pzz = 1.0
                Pxy = ((Pzz - 1.0) * tau_rec[s] - (Pyy - 1.0) * tau_psc[s]) * inv_diff[s]
                if same[s] != 0.0:
                    r = h / tau_rec[s]
                    Pxy = 1.0 - Pzz * (1.0 + r)
                Pxz = 1.0 - Pzz
                us, xs, ys = u[s], x[s], y[s]
                z = 1.0 - xs - ys
                us *= Puu
                xs += Pxy * ys + Pxz * z
                ys *= Pyy
                us += U[s] * (1.0 - us)
                release = us * xs
                xs -= release
                ys += release
                u[s], x[s], y[s] = us, xs, ys
                t_last[s] = stamp
                amount[s] = release * weight[s]
                _ring_add(ring_flat, keys[s] + slot_offset, ring_size, amount[s])
        first = False
    return 0


# --- stochastic synapses: keyed draws (engine/keyed.py) -----------------------------

# SplitMix64's finalizer, as in engine/keyed.py (the same words, the same order; named
# apart from kernels/poisson.py's copy, since load() keys its dispatchers by name)
_KM1 = np.uint64(0xBF58476D1CE4E5B9)
_KM2 = np.uint64(0x94D049BB133111EB)
_KGOLDEN = np.uint64(0x9E3779B97F4A7C15)
_KS30, _KS27, _KS31, _KS11 = (np.uint64(s) for s in (30, 27, 31, 11))
_KTO_UNIT = 2.0 ** -53


def _keyed_step(h, c):
    """keyed.chain(h, c) for one word ``h`` and one coordinate ``c`` (>= 0)."""
    z = (h ^ np.uint64(c)) + _KGOLDEN
    z = (z ^ (z >> _KS30)) * _KM1
    z = (z ^ (z >> _KS27)) * _KM2
    return z ^ (z >> _KS31)


def _keyed_unit(h):
    """keyed.to_unit of one word."""
    return np.float64(h >> _KS11) * _KTO_UNIT


def _synapse_word(key, s, stamp, r, pre, post, pair_rank):
    """keyed.chain(key, *_KeyedDraws._coordinates(s, stamp)) for synapse ``s`` in round
    ``r`` (the round is a coordinate after the first only)."""
    h = _keyed_step(key, pre[s])
    h = _keyed_step(h, post[s])
    h = _keyed_step(h, pair_rank[s])
    h = _keyed_step(h, stamp)
    if r > 0:
        h = _keyed_step(h, r)
    return h


def _keyed_binomial(word, count, p, which):
    """keyed.binomial of one synapse: ``count`` trials, trial j drawn at coordinates
    (..., ``which``, j) after the synapse's ``word``, a success where below ``p``."""
    out = 0
    if count <= 0:
        return out
    h = _keyed_step(word, which)
    for j in range(count):
        if _keyed_unit(_keyed_step(h, j)) < p:
            out += 1
    return out


def simple_stochastic_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset,
                              ring_flat, weight, p, pre, post, pair_rank, key, mark, epoch,
                              rounds):
    """One call of ``SimpleStochastic.deliver``: each synapse of a spike transmits its
    weight where its draw (which 0) is below ``p``; round by round where an id repeats
    (see :func:`_deferred`)."""
    ring_size = ring_flat.size
    # the rounds' ids, in the caller's scratch (``rounds``: nothing here allocates, so
    # that a stretch's uncounted path may call this: kernels.UNCOUNTED)
    pending, now = rounds
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n_pending = spiking_ids.size
    r = 0
    while n_pending > 0:
        e, k, n_pending = _next_round(pending, n_pending, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                word = _synapse_word(key, s, stamp, np.int64(r), pre, post, pair_rank)
                if _keyed_unit(_keyed_step(word, np.int64(0))) < p[s]:
                    _ring_add(ring_flat, keys[s] + slot_offset, ring_size, weight[s])
        r += 1
    return 0


def _surv_steps(stamp, t_surv, dt):
    """The steps since ``t_surv`` (ms) at ``stamp``, as a float: ``stamp - rint(t_surv/dt)``
    (StochasticTsodyksMarkram._on_pre's interval of the recovery)."""
    return stamp - np.rint(t_surv / dt)


def _facil_exponent(h, tau):
    """The exponent of ``_facilitated_u``'s decay exp(-h/tau_facil): -inf (a decay of 0)
    where tau_facil <= 1e-10."""
    return -h / tau if tau > 1e-10 else -np.inf


def stochastic_tm_exponents(spiking_ids, stamp, indptr, by_pre, R, t_surv, t_last,
                            tau_facil, tau_rec, dt, mark, epoch, out_f, out_r, counts):
    """The exponents of the first round of ``StochasticTsodyksMarkram.deliver``, in the
    order :func:`stochastic_tm_deliver` meets its synapses: the facilitation's
    -h/tau_facil (:func:`_facil_exponent`) of every synapse into ``out_f``, the
    recovery's -(k - k_surv) dt/tau_rec of those with R = 0 into ``out_r``; how many in
    ``counts``. For a projection whose tau_facil or tau_rec has more distinct values
    than a table has rows: the caller takes their ``np.exp`` (NumPy's bits) for
    :func:`stochastic_tm_deliver`."""
    epoch[0] += 1
    e = epoch[0]
    n_f = 0
    n_r = 0
    for i in spiking_ids:
        if _deferred(i, indptr, by_pre, mark, e):
            continue
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            mark[s] = e
            out_f[n_f] = _facil_exponent((stamp - t_last[s]) * dt, tau_facil[s])
            n_f += 1
            if R[s] == 0.0:
                out_r[n_r] = -(_surv_steps(stamp, t_surv[s], dt) * dt) / tau_rec[s]
                n_r += 1
    counts[0] = n_f
    counts[1] = n_r


def stochastic_tm_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                          weight, U, u, R, t_surv, t_last, pre, post, pair_rank, key, dt,
                          decay, length, facil_row, rec_row, saturated, mark, epoch,
                          facil_listed, survive, tau_facil, rounds):
    """One call of ``StochasticTsodyksMarkram.deliver``: ``decay`` holds rows of ``length``
    entries, exp(-h/tau_facil) (0 where tau_facil <= 1e-10) and exp(-h/tau_rec) for
    h = d dt, d steps, one row per distinct value of each; synapse s reads rows
    ``facil_row[s]`` (over the steps since its last spike) and ``rec_row[s]`` (over the
    steps since its t_surv, where depleted: the probability that it stays so; a t_surv
    ahead of the spike, set by the user, never recovers: exp of a positive number is
    above every draw). ``facil_listed`` given (None: Numba leaves this code out): the
    decays are those and ``survive`` instead, in the first round
    (:func:`stochastic_tm_exponents`); in later ones over no time: exp(-0.0) = 1.0 (0.0
    for a ``tau_facil`` <= 1e-10; a depleted synapse's t_surv is then this very
    step's). An id repeated in ``spiking_ids`` updates its synapses once per spike, in
    the reference's rounds (:func:`_deferred`; the draws' round a coordinate). Returns
    0, or the table length needed."""
    ring_size = ring_flat.size
    for i in spiking_ids:
        if facil_listed is not None:
            break
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            need = _needed_len(stamp - t_last[s], length, saturated)
            if need > 0:
                return need
            if R[s] == 0.0:
                d = _surv_steps(stamp, t_surv[s], dt)
                if d >= length and not saturated:
                    return np.int64(min(d + 1.0, 4e18))
    t = stamp * dt
    # the rounds' ids, in the caller's scratch (``rounds``: nothing here allocates, so
    # that a stretch's uncounted path may call this: kernels.UNCOUNTED)
    pending, now = rounds
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n_pending = spiking_ids.size
    r = 0
    n_facil = 0
    n_survive = 0
    while n_pending > 0:
        e, k, n_pending = _next_round(pending, n_pending, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                # _facilitated_u
                if facil_listed is None:
                    decay_f = _row(decay, length, facil_row[s], stamp - t_last[s])
                elif r == 0:
                    decay_f = facil_listed[n_facil]
                    n_facil += 1
                else:
                    decay_f = 1.0 if tau_facil[s] > 1e-10 else 0.0
                us = U[s] + u[s] * decay_f * (1.0 - U[s])
                word = _synapse_word(key, s, stamp, np.int64(r), pre, post, pair_rank)
                draw0 = _keyed_unit(_keyed_step(word, np.int64(0)))
                draw1 = _keyed_unit(_keyed_step(word, np.int64(1)))
                rs = R[s]
                ts = t_surv[s]
                if rs == 0.0:
                    if survive is not None:
                        sv = 1.0
                        if r == 0:
                            sv = survive[n_survive]
                            n_survive += 1
                        recovered = draw0 > sv
                    else:
                        d = _surv_steps(stamp, ts, dt)
                        recovered = d >= 0.0 and draw0 > _row(decay, length, rec_row[s],
                                                              np.int64(d))
                    if recovered:
                        rs = 1.0
                    else:
                        ts = t
                if rs == 1.0 and draw1 < us:
                    rs = 0.0
                    ts = t
                    _ring_add(ring_flat, keys[s] + slot_offset, ring_size, weight[s])
                u[s] = us
                R[s] = rs
                t_surv[s] = ts
                t_last[s] = stamp
        r += 1
    return 0


def multi_quantal_exponents(spiking_ids, stamp, indptr, by_pre, t_last, tau_facil, tau_rec,
                            dt, mark, epoch, out_f, out_r):
    """The exponents of the first round of ``MultiQuantal.deliver`` of the synapses a spike
    has passed before (t_last > 0), in the order :func:`multi_quantal_deliver` meets
    them: -h/tau_facil (:func:`_facil_exponent`) into ``out_f``, -h/tau_rec into
    ``out_r``; returns how many. For a projection whose tau_facil or tau_rec has more
    distinct values than a table has rows: the caller takes their ``np.exp`` and
    ``-np.expm1`` (NumPy's bits) for :func:`multi_quantal_deliver`."""
    epoch[0] += 1
    e = epoch[0]
    n = 0
    for i in spiking_ids:
        if _deferred(i, indptr, by_pre, mark, e):
            continue
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            mark[s] = e
            if t_last[s] > 0:
                h = (stamp - t_last[s]) * dt
                out_f[n] = _facil_exponent(h, tau_facil[s])
                out_r[n] = -h / tau_rec[s]
                n += 1
    return n


def multi_quantal_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                          weight, U, n_sites, u, a, t_last, pre, post, pair_rank, key,
                          decay, length, facil_row, rec_row, saturated, mark, epoch,
                          facil_listed, recover_listed, tau_facil, rounds):
    """One call of ``MultiQuantal.deliver``: ``decay`` holds rows of ``length`` entries,
    exp(-h/tau_facil) (0 where tau_facil <= 1e-10) and -expm1(-h/tau_rec) for h = d dt,
    one row per distinct value of each; synapse s reads rows ``facil_row[s]`` and
    ``rec_row[s]``. ``facil_listed`` given (None: Numba leaves this code out): they are
    those and ``recover_listed`` instead, in the first round
    (:func:`multi_quantal_exponents`); in later ones over no time: 1.0 (0.0 for a
    ``tau_facil`` <= 1e-10) and -expm1(-0.0) = 0.0. A synapse no spike has passed
    (t_last 0) releases without the update. Returns 0, or the table length needed."""
    ring_size = ring_flat.size
    for i in spiking_ids:
        if facil_listed is not None:
            break
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            if t_last[s] > 0:
                need = _needed_len(stamp - t_last[s], length, saturated)
                if need > 0:
                    return need
    n_listed = 0
    # the rounds' ids, in the caller's scratch (``rounds``: nothing here allocates, so
    # that a stretch's uncounted path may call this: kernels.UNCOUNTED)
    pending, now = rounds
    for q in range(spiking_ids.size):     # (a slice assignment would allocate)
        pending[q] = spiking_ids[q]
    n_pending = spiking_ids.size
    r = 0
    while n_pending > 0:
        e, k, n_pending = _next_round(pending, n_pending, now, indptr, by_pre, mark, epoch)
        for q in range(k):
            i = now[q]
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                word = _synapse_word(key, s, stamp, np.int64(r), pre, post, pair_rank)
                us = u[s]
                available = np.int64(a[s])
                if t_last[s] > 0:
                    d = stamp - t_last[s]
                    if facil_listed is None:
                        decay_f = _row(decay, length, facil_row[s], d)
                        p_recover = _row(decay, length, rec_row[s], d)
                    elif r == 0:
                        decay_f = facil_listed[n_listed]
                        p_recover = recover_listed[n_listed]
                        n_listed += 1
                    else:
                        decay_f = 1.0 if tau_facil[s] > 1e-10 else 0.0
                        p_recover = 0.0
                    us = U[s] + us * decay_f * (1.0 - U[s])
                    missing = np.int64(n_sites[s]) - available
                    available += _keyed_binomial(word, missing, p_recover, 0)
                released = _keyed_binomial(word, available, us, 1)
                u[s] = us
                a[s] = available - released
                t_last[s] = stamp
                if released > 0:
                    _ring_add(ring_flat, keys[s] + slot_offset, ring_size,
                              released * weight[s])
        r += 1
    return 0


# --- inside compiled stretches (kernels/stretch.py) ---------------------------------
#
# A stretch delivers its steps' spikes to the plastic projections itself
# (kernels/stretch_plastic.py), a pair rule's by :func:`pair_deliver_queued`. Its queue
# of post events is arrays there (the NumPy rule keeps a heap and a history of post
# spikes, rebuilt from these after the stretch): post spikes in time order (``q_stamp``,
# ``q_post``: the post neuron's column index, ``q_serial``: the serial the heap gave its
# first delay's entry), kept from ``qs[Q_HEAD]`` to ``qs[Q_TAIL]`` (counters: position
# modulo the buffer's size) as ``_history`` keeps them, and per delay u the first spike
# whose event has not reached the synapses yet (``cursor[u]``). The flavour's STDP with
# board weights keeps the same queue (kernels/spinnaker_plasticity.py).

#: fields of a pair rule's ``qs`` (int64): the queue's head and tail, the stamp up to
#: which post events have arrived (``_done_until``), the heap's next serial, how long
#: the history is kept (``_history_span``), post neurons (columns per delay), the rule,
#: how mu_plus/mu_minus apply (``modes`` of :func:`pair_deliver`), the decay tables
#: saturated (pre, post), a flag the stretch sets where the buffer could overflow at the
#: next step (1) or the log could (2) (the stretch stops, it is grown), the log's first
#: free entry and free count (``log_free``), the decay tables' row lengths (pre, post)
(Q_HEAD, Q_TAIL, Q_DONE, Q_SERIAL, Q_SPAN, Q_N_POST, Q_RULE, Q_MODES, Q_PRE_SAT,
 Q_POST_SAT, Q_FULL, Q_LOG_FREE, Q_LOG_N_FREE, Q_PRE_LEN, Q_POST_LEN) = range(15)
Q_SIZE = 15
#: fields of a Tsodyks-Markram rule's ``consts`` (float64): dt, the decay table's row
#: length, whether it is saturated
TM_DT, TM_LENGTH, TM_SATURATED = range(3)


def pair_deliver_queued(spiking_ids, stamp, slot_offset, ring_flat, p, pending, now):
    """:func:`pair_deliver` for a stretch: the post events come from the projection's
    queue arrays ``p`` (see above), and this step's post spikes join them
    (``PairTraceRule._remember_posts``). Every synapse's events are taken in time order
    (per delay, in spike order): the synapses are independent of each other, so this
    is the reference's arithmetic, whose heap takes all arrivals in time order.
    ``pending``/``now``: scratch for the rounds of the step's ids (the stretch's, as long
    as its buffer of a step's spikes)."""
    (indptr, by_pre, keys, post_indptr, by_post, post_lookup, delays, weight, w_min, w_max,
     amp_plus, amp_minus, k_pre, k_post, t_last, t_post, n_pending, pend_acc, pre_decay,
     post_decay, mark, epoch, at_now, q_stamp, q_post, q_serial, cursor, qs,
     mu_plus, mu_minus, pre_cls, post_cls, log_head, log_tail, log_next, log_k) = p
    rule = qs[Q_RULE]
    modes = qs[Q_MODES]
    pre_len = qs[Q_PRE_LEN]
    post_len = qs[Q_POST_LEN]
    log_free = qs[Q_LOG_FREE:Q_LOG_N_FREE + 1]
    n_post = qs[Q_N_POST]
    size = q_stamp.size
    tail = qs[Q_TAIL]
    # 2. post events up to this stamp (the reference processes its heap where it is
    # not empty: some delay has an event not yet arrived)
    queued = False
    for u in range(delays.size):
        if cursor[u] < tail:
            queued = True
    n_now = 0
    if queued:
        for u in range(delays.size):
            d = delays[u]
            c = cursor[u]
            last = -1
            while c < tail:
                arrival = q_stamp[c % size] + d
                if arrival > stamp:
                    break
                if arrival != last:     # one epoch per arrival (see pair_deliver)
                    epoch[0] += 1
                    last = arrival
                e = epoch[0]
                col = u * n_post + q_post[c % size]
                n_now = _pair_column(post_indptr[col], post_indptr[col + 1], e, arrival,
                                     stamp, by_post, mark, amp_plus, rule, k_pre, k_post,
                                     t_last, t_post, n_pending, pend_acc, pre_decay, pre_cls,
                                     pre_len, post_decay, post_cls, post_len, log_head,
                                     log_tail, log_next, log_k, log_free, at_now,
                                     np.int64(n_now), None)
                c += 1
            cursor[u] = c
        if qs[Q_DONE] < stamp:
            qs[Q_DONE] = stamp
    # 3. and 4.
    _pair_pre_spikes(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                     weight, w_min, w_max, amp_plus, amp_minus, mu_plus, mu_minus, rule,
                     modes, k_pre, k_post, t_last, t_post, n_pending, pend_acc,
                     pre_decay, pre_cls, pre_len, post_decay, post_cls, post_len,
                     log_head, log_tail, log_next, log_k, log_free, mark, epoch,
                     at_now, np.int64(n_now), None, pending, now)
    # 5.
    queue_posts(spiking_ids, stamp, post_lookup, delays, q_stamp, q_post, q_serial, qs)


def queue_posts(spiking_ids, stamp, post_lookup, delays, q_stamp, q_post, q_serial, qs):
    """A stretch's queue of post events (see above) takes this step's post spikes (one
    heap entry per delay, serials in turn: ``PairTraceRule._remember_posts``), and the
    history forgets the spikes whose events all arrived long ago."""
    size = q_stamp.size
    tail = qs[Q_TAIL]
    added = 0
    for i in spiking_ids:
        column = post_lookup[i]
        if column >= 0:
            q_stamp[tail % size] = stamp
            q_post[tail % size] = column
            q_serial[tail % size] = qs[Q_SERIAL]
            tail += 1
            added += 1
    if added:
        qs[Q_TAIL] = tail
        qs[Q_SERIAL] += delays.size
        oldest = qs[Q_DONE] - qs[Q_SPAN]
        head = qs[Q_HEAD]
        while head < tail and q_stamp[head % size] < oldest:
            head += 1
        qs[Q_HEAD] = head
