"""Plastic spike delivery (STDP, Vogels-Sprekeler, Tsodyks-Markram) for Numba (see :mod:`.`).

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

Minimum and maximum follow NumPy's ``np.minimum``/``np.maximum`` exactly (the
second argument on a tie, so signed zeros come out alike; NaN propagated).
"""


def _np_max(a, b):
    """np.maximum(a, b) for floats (b on a tie, NaN from either side)."""
    return a if (a > b or a != a) else b


def _np_min(a, b):
    """np.minimum(a, b) for floats."""
    return a if (a < b or a != a) else b


def _lookup(table, saturated, d):
    """table[d], or its last entry past the end of a saturated table."""
    n = table.size
    if d >= n:
        return table[n - 1]
    return table[d]


def _needed(d, table, saturated):
    """0 if interval ``d`` is covered by the table, else the length it needs."""
    if d < table.size or saturated:
        return 0
    return d + 1


def _ring_add(ring_flat, position, ring_size, amount):
    if position >= ring_size:
        position -= ring_size
    ring_flat[position] += amount


def _stdp_pre(s, weight, lo, hi, a_minus, product_mode, mu_minus_one, n_pending, pend_acc,
              kq):
    """STDP at a pre spike: the pending potentiation (``_apply_sum``/``_apply_product``),
    then the depression by the post trace ``kq`` (``_depress``); the new weight."""
    span = hi - lo
    if n_pending[s] > 0:
        x = (weight[s] - lo) / span
        if product_mode:
            x = _np_min(1.0 - _np_max(1.0 - x, 0.0) * pend_acc[s], 1.0)
            pend_acc[s] = 1.0
        else:
            x = _np_min(x + pend_acc[s], 1.0)
            pend_acc[s] = 0.0
        weight[s] = lo + x * span
        n_pending[s] = 0
    x = (weight[s] - lo) / span
    if mu_minus_one:
        x -= a_minus * _np_max(x, 0.0) * kq
    else:
        x -= a_minus * 1.0 * kq
    x = _np_max(x, 0.0)
    w = lo + x * span
    weight[s] = w
    return w


def _vogels_pre(s, weight, lo, hi, eta, alpha, n_pending, pend_acc, kq):
    """VogelsSprekeler at a pre spike (``_apply_sum``, then ``_depress``), on the distance
    from w_min towards w_max; the new weight."""
    span = hi - lo
    sign = -1.0 if span < 0 else 1.0
    size = abs(span)
    if n_pending[s] > 0:
        weight[s] = lo + sign * _np_min(sign * (weight[s] - lo) + pend_acc[s], size)
        pend_acc[s] = 0.0
        n_pending[s] = 0
    d = sign * (weight[s] - lo)
    d = _np_min(d + eta * kq, size)
    d = _np_max(d - alpha * eta, 0.0)
    w = lo + sign * d
    weight[s] = w
    return w


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


#: the pair rules :func:`pair_deliver` knows (``rule``)
STDP_SUM, STDP_PRODUCT, VOGELS = 0, 1, 2


def pair_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                 arrivals, bounds, columns, post_indptr, by_post,
                 weight, w_min, w_max, amp_plus, amp_minus, rule, mu_minus_one,
                 k_pre, k_post, t_last, t_post, n_pending, pend_acc,
                 pre_decay, pre_saturated, post_decay, post_saturated,
                 mark, epoch, at_now):
    """One call of ``PairTraceRule.deliver`` for ``rule``: STDP_SUM (STDP with mu_plus 0:
    additive potentiation; ``amp_plus``/``amp_minus`` are A_plus/A_minus, depression
    multiplicative where ``mu_minus_one``), STDP_PRODUCT (mu_plus 1) or VOGELS
    (VogelsSprekeler: ``amp_plus`` eta, ``amp_minus`` alpha = 2e-3 rho tau).

    ``arrivals``/``bounds``/``columns``: the post events popped from the rule's
    queue, arrival stamps in time order, the columns (delay, post neuron) of
    arrival i in ``columns[bounds[i]:bounds[i + 1]]``. ``mark``/``epoch``: a
    synapse met twice in one arrival (a cell's repeated spikes of one step) is
    taken once, as the reference's fancy-indexed updates take it. An id repeated
    in ``spiking_ids`` (a source's several spikes in one step) updates its synapses
    and transmits once per spike, in the reference's rounds (see :func:`_deferred`).
    ``at_now``: scratch (one slot per synapse). Returns 0, or the table length needed.
    """
    ring_size = ring_flat.size
    # 1. are the tables long enough for every interval read below? (the largest
    # are from the synapses' last pre spike and last post event to this stamp)
    need = 0
    for c in range(columns.size):
        col = columns[c]
        for j in range(post_indptr[col], post_indptr[col + 1]):
            s = by_post[j]
            need = max(need, _needed(stamp - t_last[s], pre_decay, pre_saturated),
                       _needed(stamp - t_post[s], post_decay, post_saturated))
    for i in spiking_ids:
        for j in range(indptr[i], indptr[i + 1]):
            s = by_pre[j]
            need = max(need, _needed(stamp - t_last[s], pre_decay, pre_saturated),
                       _needed(stamp - t_post[s], post_decay, post_saturated))
    if need > 0:
        return need
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
            for j in range(post_indptr[col], post_indptr[col + 1]):
                s = by_post[j]
                if mark[s] == e:
                    continue
                mark[s] = e
                kp = k_pre[s] * _lookup(pre_decay, pre_saturated, arrival - t_last[s])
                if rule == STDP_PRODUCT:
                    pend_acc[s] *= _np_max(1.0 - amp_plus[s] * kp, 0.0)
                else:
                    pend_acc[s] += amp_plus[s] * kp
                n_pending[s] += 1
                if arrival < stamp:
                    k_post[s] = k_post[s] * _lookup(post_decay, post_saturated,
                                                    arrival - t_post[s]) + 1.0
                    t_post[s] = arrival
                else:
                    at_now[n_now] = s
                    n_now += 1
    # 3. the pre spikes (PairTraceRule._on_pre, STDP's weight dependence), then what
    # they transmit into the ring (the weight after their own update), round by round
    pending = spiking_ids.copy()
    n = pending.size
    while n > 0:
        epoch[0] += 1
        e = epoch[0]
        m = 0
        for q in range(n):
            i = pending[q]
            if _deferred(i, indptr, by_pre, mark, e):
                pending[m] = i
                m += 1
                continue
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                kq = k_post[s] * _lookup(post_decay, post_saturated, stamp - t_post[s])
                if rule == VOGELS:
                    w = _vogels_pre(s, weight, w_min[s], w_max[s], amp_plus[s],
                                    amp_minus[s], n_pending, pend_acc, kq)
                else:
                    w = _stdp_pre(s, weight, w_min[s], w_max[s], amp_minus[s],
                                  rule == STDP_PRODUCT, mu_minus_one, n_pending, pend_acc, kq)
                k_pre[s] = k_pre[s] * _lookup(pre_decay, pre_saturated,
                                              stamp - t_last[s]) + 1.0
                t_last[s] = stamp
                _ring_add(ring_flat, keys[s] + slot_offset, ring_size, w)
        n = m
    # 4. the post events of this stamp reach the post trace after the pre spikes
    for n in range(n_now):
        s = at_now[n]
        k_post[s] = k_post[s] * _lookup(post_decay, post_saturated, stamp - t_post[s]) + 1.0
        t_post[s] = stamp
    return 0


def tsodyks_markram_deliver(spiking_ids, stamp, indptr, by_pre, keys, slot_offset, ring_flat,
                            weight, U, u, x, y, t_last, dt, tau_rec, tau_psc, inv_diff,
                            same, puu, pyy, pzz, saturated, mark, epoch, amount):
    """One call of ``TsodyksMarkram.deliver`` (tau_rec, tau_facil and the targets'
    tau_psc the same for every synapse: ``puu``/``pyy``/``pzz`` are the decays
    exp(-h/tau_facil), exp(-h/tau_psc), exp(-h/tau_rec) for h = d dt, d steps).
    ``mark``/``epoch``: an id repeated in ``spiking_ids`` (a source's several spikes in
    one step) updates its synapses and transmits once per spike, in the reference's
    rounds (:func:`_deferred`; the repeats are 0 steps after the first: h = 0).
    ``amount``: scratch, each synapse's last transmitted amount. Returns 0, or the
    table length needed."""
    ring_size = ring_flat.size
    n = pzz.size
    for i in spiking_ids:
        for j in range(indptr[i], indptr[i + 1]):
            d = stamp - t_last[by_pre[j]]
            if d >= n and not saturated:
                return d + 1
    pending = spiking_ids.copy()
    n_pending = pending.size
    while n_pending > 0:
        epoch[0] += 1
        e = epoch[0]
        m = 0
        for q in range(n_pending):
            i = pending[q]
            if _deferred(i, indptr, by_pre, mark, e):
                pending[m] = i
                m += 1
                continue
            for j in range(indptr[i], indptr[i + 1]):
                s = by_pre[j]
                mark[s] = e
                d = stamp - t_last[s]
                h = d * dt
                Puu = _lookup(puu, saturated, d)
                Pyy = _lookup(pyy, saturated, d)
                Pzz = _lookup(pzz, saturated, d)
                Pxy = ((Pzz - 1.0) * tau_rec - (Pyy - 1.0) * tau_psc) * inv_diff
                if same:
                    r = h / tau_rec
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
        n_pending = m
    return 0
