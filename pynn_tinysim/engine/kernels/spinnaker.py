"""The sPyNNaker flavour's neuron tick, in loops over the neurons, for Numba (see :mod:`.`).

:class:`..spinnaker.groups.SpiNNakerNeuronGroup` composes a tick from four
components (neuron model, synapse type, input type, threshold type) and runs it
on NumPy arrays, in the board's s16.15 fixed point (:mod:`..spinnaker.fixed_point`)
or in float64. The two kernels here run the same tick for the components most
models are made of, chosen per group by integer codes:

==============  ==============================================================
``neuron``      0: LeakyIntegrateAndFire, 1: TruncatedIntegrateAndFire, 2: Izhikevich,
                3: Ca2AdaptiveLIF (LIF with the Ca2+ adaptation current ``i_ca2``,
                extra_neurons.py: ``u`` is its state, ``par[6]``, ``par[7]`` its decay
                and ``i_alpha``)
``synapse``     0: Exponential (two or three receptors: also dual exponential), 1: Delta,
                2: Alpha (synapse_types_alpha_impl.h), 3: sEMD (extra_neurons.py's
                SEMDSynapses: three exponential receptors; ``u`` and ``this_h`` are
                its multiplicator and exc2_old, ``par[6]`` its scaling factor,
                ``par[7]`` its least response)
``input_kind``  0: CurrentInput, 1: ConductanceInput, 2: DeltaInput
==============  ==============================================================

(the threshold is the static one, ``v >= v_thresh``; Izhikevich's fixed 30 mV comes
in as an array; or, with ``stochastic``, FixedProbabilityThreshold's: at or above
v_thresh a spike where the cell's keyed draw for the tick, ``keyed.uniform(key, id,
k)`` hashed as :mod:`.plasticity`'s ``_keyed_step``, is below ``p_thresh``; or, with
``maass`` not None, extra_neurons.py's MaassStochasticThreshold (IFCondExpStoc, in
the LIF loop): ``maass`` = (the group's numpy Generator, du_th_inv, onset, cap,
saturation level, draws). Each tick first draws one ``integers(0, 65536)`` per cell
in the cells' order from the Generator (before the chunks: the stream is sequential;
Numba's Generator methods draw NumPy's numbers from the same bit generator state, so
the NumPy tick's draws, and the generator is left where it would leave it), then a
cell with exponent ``(v - v_thresh) * du_th_inv`` fires where it is at or above the
cap and the draw at most the saturation level, or below the cap at or above its
onset, or where the draw is 0 (MaassStochasticThreshold.fires: below the cap the
board's level is 0 below the onset and wraps to a sure spike from it; the onsets are
found with NumPy's exp, ``kernel_arguments``, so no exp is computed here, where
Numba's could differ from NumPy's by an ulp).
:func:`spinnaker_fixed` does the fixed-point operations of the NumPy code on int64 (the same integer products, shifts and roundings, so the same
bits), :func:`spinnaker_float` the
float64 ones in the same order (``fixed_point=False``). The group's state stays
what the NumPy code keeps: float64 values on the s16.15 grid (scaled by the input
type's weight scale for the synaptic state), loaded and stored per neuron as the
NumPy code loads and stores whole arrays.

Arguments (both kernels; the group's ``compiled_kernel`` builds them):
``syn``, ``dec``, ``init``: tuples of three arrays, one per receptor (padded:
``n_rec`` receptors are used; alpha synapses: ``syn`` the linear terms); ``alpha``:
the alpha synapses' exponential terms and charges q, (exp_0, exp_1, q_0, q_1),
stored as the NumPy code stores them (None for the other synapse types);
``inhibitory[r]``: receptor r's input is subtracted; ``sat``: the ring-buffer
saturation level (receptors, size), fixed point only; ``par``: a tuple of eight
parameter arrays whose meaning depends on ``neuron`` (the last two: Ca2AdaptiveLIF's)
(:func:`..spinnaker.groups.SpiNNakerNeuronGroup.compiled_kernel` lists them);
``con``: five constants of the Izhikevich model (None for the LIF models).
``alpha`` and ``con`` choose the synapse and neuron code by being None or not (not by
``synapse == 2`` and ``neuron == 2``): Numba prunes the branches of a None argument,
so a tick compiles the code of its own model only (an Izhikevich network does not
compile the LIF code, nor a LIF network the Izhikevich and alpha code: ~1-2 s less
one-time compilation). Likewise ``u`` is None where neither the neuron nor the synapse
keeps state in it (no Ca2AdaptiveLIF, no sEMD code), ``p_thresh`` where the threshold
is the static one (no FixedProbabilityThreshold draw), ``maass`` but for the Maass
threshold (no Generator, no draws), ``e_rev_e`` and ``e_rev_i`` but
for conductance input, ``timer`` for Izhikevich (no LIF code: ``con`` not None cannot
be pruned, only a None argument's branches are).
``scratch`` (int64, size) and
``work`` (7 x size, the arithmetic's dtype): work arrays. The tick returns
the local indices of the neurons that spiked, ascending (as :mod:`.neurons`).
"""

import numpy as np

from . import neurons, plasticity

#: False in the threaded variants: see neurons.SERIAL
SERIAL = True

ONE = 32768.0       # 1.0 in s16.15 (fixed_point.ONE), as the float the NumPy code multiplies by
INV_ONE = 1.0 / ONE     # bits * 2**-15 is bits / 32768 exactly (a power of two)


# --- the board's arithmetic on one value (fixed_point.py's array operations) -------

def _to_fix(x):
    """to_s1615: round to nearest, halves to even (numpy.rint)."""
    return np.int64(np.rint(x * ONE))


def _mul(a, b):
    """accum * accum: (a b) >> 15."""
    return (a * b) >> 15


def _decay(x, d):
    """decay_s1615 in two halves, as fixed_point.decay."""
    return (x * (d >> 16) + ((x * (d & 0xFFFF)) >> 16)) >> 16


def _div(a, b):
    """accum / accum as kdivk: (a << 15) / b, truncated toward zero (fixed_point.div)."""
    num = a << 15
    q = abs(num) // abs(b)
    return -q if (num < 0) != (b < 0) else q


#: 1.0 in s16.15, as the integer the NumPy code adds (FixedArith.const(1.0))
ONE_BITS = np.int64(32768)


def _fixed_alpha(x, lin_s, exp_s, q_s, arriving, level, init, decay, scale):
    """AlphaSynapses' tick of one receptor in s16.15 (load, add_inputs, values, shape,
    store): x, the value the input type receives; the state stored as the NumPy code
    stores it (the linear term and q scaled by the weight scale, the exponential not)."""
    inv_scale = 1.0 / scale             # a power of two (compiled_kernel): exact
    for j in range(x.size):
        w = _to_fix(min(arriving[j], level[j]) * scale)
        lin = _to_fix(lin_s[j] * scale)
        e = _to_fix(exp_s[j])
        q = _to_fix(q_s[j] * scale)
        if w > 0:           # an arrival: q = w, exp decays and gains 1, lin rescaled
            q = w
            e = _decay(e, decay[j]) + ONE_BITS
            scaled = _mul(w, init[j])
            lin = _mul(lin + scaled, ONE_BITS - _div(ONE_BITS, e))
        x[j] = _mul(lin, e)
        lin = lin + _mul(q, init[j])
        e = _decay(e, decay[j])
        lin_s[j] = (lin * INV_ONE) * inv_scale
        exp_s[j] = e * INV_ONE
        q_s[j] = (q * INV_ONE) * inv_scale


def _float_alpha(r, lo, hi, lin_s, exp_s, q_s, arriving, init, decay, scale):
    """AlphaSynapses' tick of one receptor in float64: the value for the input type of
    neurons lo .. hi - 1 into ``r`` (a work row), the state stored."""
    for j in range(lo, hi):
        w = arriving[j] * scale
        lin = lin_s[j] * scale
        e = exp_s[j]
        q = q_s[j] * scale
        if w > 0:
            q = w
            e = e * decay[j] + 1.0
            scaled = w * init[j]
            lin = (lin + scaled) * (1.0 - 1.0 / e)
        r[j] = lin * e
        lin = lin + q * init[j]
        e = e * decay[j]
        lin_s[j] = lin / scale
        exp_s[j] = e
        q_s[j] = q / scale


def _fires(stochastic, key, cell_id, k, p):
    """FixedProbabilityThreshold.crossed for a cell at or above v_thresh: whether its
    draw of tick k (keyed on its id: SpiNNakerNeuronGroup.keyed_uniform) is below p."""
    if not stochastic:
        return True
    h = plasticity._keyed_step(plasticity._keyed_step(key, cell_id), k)
    return plasticity._keyed_unit(h) < p


def _maass_draws(generator, draws):
    """MaassStochasticThreshold.crossed's draws: one 16-bit integer per cell, in order
    (Numba's Generator.integers draws NumPy's numbers from the same state)."""
    for j in range(draws.size):
        draws[j] = generator.integers(0, 65536)


def _maass_fixed(v, v_thresh, maass, j):
    """MaassStochasticThreshold.fires for cell j, membrane v, in s16.15: at or above
    the cap where the draw is at most the saturation level (0.8 in u16.16), below it
    from the cell's onset (a wrapped result), else where the draw is 0."""
    exponent = _mul(v - v_thresh, maass[1][j])
    if exponent >= maass[3]:
        return maass[4] >= maass[5][j]
    return exponent >= maass[2][j] or maass[5][j] <= 0


def _maass_float(v, v_thresh, maass, j):
    """_maass_fixed in float64 (the comparisons of MaassStochasticThreshold.fires)."""
    exponent = (v - v_thresh) * maass[1][j]
    r = maass[5][j] / 65536.0
    if exponent >= maass[3]:
        return maass[4] >= r
    return exponent >= maass[2][j] or 0.0 >= r


# The tick of neurons lo .. hi - 1 runs in passes over views of the chunk (indexed
# from 0: a loop over range(lo, hi) is not vectorized), one receptor at a time, each
# loop without branches on data or on the kinds (those are chosen outside the loops,
# so that the loops vectorize: AVX-512 has the int64 products, shifts and conversions).

def _fixed_arrivals(x, state, arriving, level, gain, decay, scale, exponential):
    """x: the synaptic state after the arrivals (in s16.15); state: decayed, stored."""
    inv_scale = 1.0 / scale             # a power of two (compiled_kernel): exact
    if exponential:
        for j in range(x.size):
            w = min(arriving[j], level[j])      # np.minimum(inputs, saturation)
            xj = _to_fix(state[j] * scale) + _decay(_to_fix(w * scale), gain[j])
            x[j] = xj
            state[j] = (_decay(xj, decay[j]) * INV_ONE) * inv_scale
    else:
        for j in range(x.size):
            w = min(arriving[j], level[j])
            x[j] = _to_fix(state[j] * scale) + _to_fix(w * scale)
            state[j] = 0.0


def _fixed_semd(r, x, kept, multiplicator, exc2_old, scaling, least, scale):
    """SEMDSynapses.values in s16.15, receptor by receptor: the first's value is kept
    (``kept``) and replaced by 0; the second's becomes the response exc2 *
    multiplicator * scaling, the multiplicator taken from the first where exc2 starts
    responding (exc2 >= least, multiplicator and exc2_old 0), 0 where it does not
    respond; multiplicator and exc2_old stored (scaled as the synaptic state)."""
    if r == 0:
        for j in range(x.size):
            kept[j] = x[j]
            x[j] = 0
    elif r == 1:
        inv_scale = 1.0 / scale
        for j in range(x.size):
            exc2 = x[j]
            mult = _to_fix(multiplicator[j] * scale)
            old = _to_fix(exc2_old[j] * scale)
            responding = exc2 >= least[j]
            if responding and mult == 0 and old == 0:
                mult = kept[j]
            if not responding:
                mult = 0
            x[j] = _mul(_mul(exc2, mult), scaling[j])
            multiplicator[j] = (mult * INV_ONE) * inv_scale
            exc2_old[j] = (exc2 * INV_ONE) * inv_scale


def _float_semd(r, j, x, kept, multiplicator, exc2_old, scaling, least, scale):
    """_fixed_semd for neuron j in float64: the receptor's value."""
    if r == 0:
        kept[j] = x
        return 0.0
    if r == 1:
        mult = multiplicator[j] * scale
        old = exc2_old[j] * scale
        responding = x >= least[j]
        if responding and mult == 0.0 and old == 0.0:
            mult = kept[j]
        if not responding:
            mult = 0.0
        multiplicator[j] = mult / scale
        exc2_old[j] = x / scale
        return (x * mult) * scaling[j]
    return x


def _fixed_currents(x, v_fix, total, values, input_kind, is_inh, e_rev, delta_scale, first):
    """The receptor's value and current (input type) added to the totals (``e_rev``:
    None but for conductance input, whose code is then not compiled)."""
    if e_rev is not None and input_kind == 1:
        sign = -1 if is_inh else 1          # g (E - v), or -g (E - v) for inhibition
        for j in range(x.size):
            value = x[j] >> 10
            current = _mul(sign * value, e_rev[j] - v_fix[j])
            total[j] = current if first else total[j] + current
            values[j] = value if first else values[j] + value
    elif input_kind == 2:
        for j in range(x.size):
            value = x[j]
            current = _mul(value, delta_scale)
            total[j] = current if first else total[j] + current
            values[j] = value if first else values[j] + value
    else:
        for j in range(x.size):
            value = x[j]
            total[j] = value if first else total[j] + value
            values[j] = value if first else values[j] + value


def _fixed_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory,
                 sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e, e_rev_i, delta_scale,
                 neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, stochastic, key,
                 ids, p_thresh, maass, work):
    # work rows: v in s16.15, the excitatory and inhibitory current totals, their
    # values (gsyn), one receptor's state after the arrivals
    v_fix, exc, inh = work[0][lo:hi], work[1][lo:hi], work[2][lo:hi]
    g_exc, g_inh, x = work[3][lo:hi], work[4][lo:hi], work[5][lo:hi]
    v, spiking = v[lo:hi], spiking[lo:hi]
    m = hi - lo
    for j in range(m):
        v_fix[j] = _to_fix(v[j])
    n_exc = 0
    n_inh = 0
    for r in range(n_rec):
        is_inh = inhibitory[r]
        if alpha is not None:       # alpha synapses (synapse 2)
            _fixed_alpha(x, syn[r][lo:hi], alpha[r][lo:hi], alpha[2 + r][lo:hi],
                         inputs[r][lo:hi], sat[r][lo:hi], init[r][lo:hi], dec[r][lo:hi], scale)
        else:
            exponential = synapse == 0 or synapse == 3
            _fixed_arrivals(x, syn[r][lo:hi], inputs[r][lo:hi], sat[r][lo:hi],
                            init[r][lo:hi] if exponential else init[r],
                            dec[r][lo:hi] if exponential else dec[r], scale, exponential)
        # (sEMD keeps its state in u, as Izhikevich and Ca2AdaptiveLIF do theirs; timer
        # is None for Izhikevich: its tick compiles no sEMD code)
        if timer is not None and u is not None and synapse == 3:
            _fixed_semd(r, x, work[6][lo:hi], u[lo:hi], this_h[lo:hi], par[6][lo:hi],
                        par[7][lo:hi], scale)
        e_rev = e_rev_i if is_inh else e_rev_e
        if e_rev_e is not None and input_kind == 1:     # (None: no conductance input)
            e_rev = e_rev[lo:hi]
        if is_inh:
            # (is_inh, not the literal True/False: one compilation for both calls)
            _fixed_currents(x, v_fix, inh, g_inh, input_kind, is_inh, e_rev, delta_scale,
                            n_inh == 0)
            n_inh += 1
        else:
            _fixed_currents(x, v_fix, exc, g_exc, input_kind, is_inh, e_rev, delta_scale,
                            n_exc == 0)
            n_exc += 1
    gsyn_e, gsyn_i, i_offset = gsyn_e[lo:hi], gsyn_i[lo:hi], par[0][lo:hi]
    current = exc       # (the totals are not needed again: the current replaces them)
    for j in range(m):
        gsyn_e[j] = g_exc[j] * INV_ONE
        gsyn_i[j] = g_inh[j] * INV_ONE
        current[j] = exc[j] - inh[j] + i_offset[j]          # synaptic + i_offset ...
    if has_inj:
        i_inj = i_inj[lo:hi]
        for j in range(m):
            current[j] = current[j] + _to_fix(i_inj[j])     # ... + injected
    ca = x      # (Ca2AdaptiveLIF's decayed i_ca2; u: its state)
    if timer is not None and u is not None and neuron == 3:
        ca_state = u[lo:hi]
        # Ca2AdaptiveLIF.advance: i_ca2 decays (every tick), -i_ca2 joins the current
        # (integer sums: the order of the terms does not change the bits)
        ca_decay = par[6][lo:hi]
        for j in range(m):
            ca[j] = _mul(_to_fix(ca_state[j]), ca_decay[j])
            current[j] = current[j] - ca[j]
    v_thresh = par[5][lo:hi]
    if con is not None:     # neuron 2
        # Izhikevich: par = (i_offset, a, b, c, d, v_thresh); con = (reset_h,
        # post_spike_h, magic, 140, 5)
        a_, b_, c_, d_ = par[1][lo:hi], par[2][lo:hi], par[3][lo:hi], par[4][lo:hi]
        u, this_h = u[lo:hi], this_h[lo:hi]
        reset_h, post_spike_h, magic, c140, c5 = con
        for j in range(m):
            vj = v_fix[j]
            uj = _to_fix(u[j])
            h = _to_fix(this_h[j])
            a = a_[j]
            b = b_[j]
            pre_alpha = c140 + current[j] - uj
            alpha_ = pre_alpha + _mul(c5 + _mul(magic, vj), vj)
            eta = vj + (_mul(h, alpha_) >> 1)
            beta = _mul(_mul(h, _mul(b, vj) - uj), a) >> 1
            v_new = vj + _mul(h, pre_alpha - beta + _mul(c5 + _mul(magic, eta), eta))
            u_new = uj + _mul(_mul(a, h), -uj - beta + _mul(b, eta))
            spike = v_new >= v_thresh[j]
            v[j] = (c_[j] if spike else v_new) * INV_ONE
            u[j] = (u_new + d_[j] if spike else u_new) * INV_ONE
            this_h[j] = (post_spike_h if spike else reset_h) * INV_ONE
            spiking[j] = spike
        return
    if timer is None:   # (Izhikevich, returned above: pruned, so it compiles no LIF code)
        return
    # LIF: par = (i_offset, v_rest, v_reset, r_membrane, exp_tc, v_thresh); the
    # truncated one (neuron 1): v + I R, never below v_reset; membrane into row 3
    v_reset, r_membrane, exp_tc = par[2][lo:hi], par[3][lo:hi], par[4][lo:hi]
    membrane = g_exc
    if neuron != 1:     # (LIF, Ca2AdaptiveLIF)
        v_rest = par[1][lo:hi]
        for j in range(m):
            alpha_ = _mul(current[j], r_membrane[j]) + v_rest[j]
            membrane[j] = alpha_ - _mul(exp_tc[j], alpha_ - v_fix[j])
    else:
        for j in range(m):
            membrane[j] = max(_mul(current[j], r_membrane[j]) + v_fix[j], v_reset[j])
    timer, t_refract = timer[lo:hi], t_refract[lo:hi]
    for j in range(m):
        active = timer[j] <= 0
        vj = membrane[j] if active else v_fix[j]
        left = timer[j] if active else timer[j] - 1
        spike = vj >= v_thresh[j]
        if p_thresh is not None and stochastic and spike:
            spike = _fires(stochastic, key, ids[lo + j], k, p_thresh[lo + j])
        if maass is not None:
            spike = _maass_fixed(vj, v_thresh[j], maass, lo + j)
        v[j] = (v_reset[j] if spike else vj) * INV_ONE
        timer[j] = t_refract[j] if spike else left
        spiking[j] = spike
    if u is not None and neuron == 3:     # a spike adds i_alpha to i_ca2; stored
        i_alpha, ca_state = par[7][lo:hi], u[lo:hi]
        for j in range(m):
            ca_state[j] = (ca[j] + i_alpha[j] if spiking[j] else ca[j]) * INV_ONE


def _float_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory,
                 sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e, e_rev_i, delta_scale,
                 neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, stochastic, key,
                 ids, p_thresh, maass, work):
    # as _fixed_range, in float64 (work row 0: the alpha synapses' values)
    exc, inh, g_exc, g_inh = work[1], work[2], work[3], work[4]
    n_exc = 0
    n_inh = 0
    for r in range(n_rec):
        state, decay, gain, arriving = syn[r], dec[r], init[r], inputs[r]
        is_inh = inhibitory[r]
        first = n_inh == 0 if is_inh else n_exc == 0
        total, values = (inh, g_inh) if is_inh else (exc, g_exc)
        e_rev = e_rev_i if is_inh else e_rev_e
        if alpha is not None:   # the alpha values into work row 0 (unused in float64)
            _float_alpha(work[0], lo, hi, state, alpha[r], alpha[2 + r], arriving, gain,
                         decay, scale)
        for j in range(lo, hi):
            if alpha is not None:
                x = work[0][j]
            else:
                exponential = synapse == 0 or synapse == 3
                w = arriving[j] * scale
                x = state[j] * scale + (w * gain[j] if exponential else w)
                state[j] = (x * decay[j] if exponential else 0.0) / scale
                # (work row 5: the first receptor's value, kept; timer: as in _fixed_range)
                if timer is not None and u is not None and synapse == 3:
                    x = _float_semd(r, j, x, work[5], u, this_h, par[6], par[7], scale)
            value = x / 1024.0 if input_kind == 1 else x
            if e_rev_e is not None and input_kind == 1:     # (as in _fixed_range)
                current = (-value if is_inh else value) * (e_rev[j] - v[j])
            elif input_kind == 2:
                current = value * delta_scale
            else:
                current = value
            total[j] = current if first else total[j] + current
            values[j] = value if first else values[j] + value
        if is_inh:
            n_inh += 1
        else:
            n_exc += 1
    for j in range(lo, hi):
        gsyn_e[j] = g_exc[j]
        gsyn_i[j] = g_inh[j]
    i_offset, v_thresh = par[0], par[5]
    if con is not None:     # neuron 2
        a_, b_, c_, d_ = par[1], par[2], par[3], par[4]
        reset_h, post_spike_h, magic, c140, c5 = con
        for j in range(lo, hi):
            current = exc[j] - inh[j] + i_offset[j]
            if has_inj:
                current = current + i_inj[j]
            vj = v[j]
            uj = u[j]
            h = this_h[j]
            a = a_[j]
            b = b_[j]
            pre_alpha = c140 + current - uj
            alpha_ = pre_alpha + (c5 + magic * vj) * vj
            eta = vj + (h * alpha_) * 0.5
            beta = ((h * (b * vj - uj)) * a) * 0.5
            v_new = vj + h * (pre_alpha - beta + (c5 + magic * eta) * eta)
            u_new = uj + (a * h) * (-uj - beta + b * eta)
            spike = v_new >= v_thresh[j]
            v[j] = c_[j] if spike else v_new
            u[j] = u_new + d_[j] if spike else u_new
            this_h[j] = post_spike_h if spike else reset_h
            spiking[j] = spike
    elif timer is not None:     # (None for Izhikevich: pruned, as in _fixed_range)
        v_rest, v_reset, r_membrane, exp_tc = par[1], par[2], par[3], par[4]
        for j in range(lo, hi):
            current = exc[j] - inh[j]
            ca = 0.0
            if u is not None and neuron == 3:
                # Ca2AdaptiveLIF.advance: (synaptic - i_ca2) + i_offset + injected
                ca = u[j] * par[6][j]
                current = current - ca
            current = current + i_offset[j]
            if has_inj:
                current = current + i_inj[j]
            vj = v[j]
            if neuron != 1:     # (LIF, Ca2AdaptiveLIF)
                alpha_ = current * r_membrane[j] + v_rest[j]
                membrane = alpha_ - exp_tc[j] * (alpha_ - vj)
            else:
                membrane = np.maximum(current * r_membrane[j] + vj, v_reset[j])
            active = timer[j] <= 0
            vj = membrane if active else vj
            left = timer[j] if active else timer[j] - 1
            spike = vj >= v_thresh[j]
            if p_thresh is not None and stochastic and spike:
                spike = _fires(stochastic, key, ids[j], k, p_thresh[j])
            if maass is not None:
                spike = _maass_float(vj, v_thresh[j], maass, j)
            v[j] = v_reset[j] if spike else vj
            timer[j] = t_refract[j] if spike else left
            spiking[j] = spike
            if u is not None and neuron == 3:
                u[j] = ca + par[7][j] if spike else ca


def spinnaker_fixed(k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory, sat, scale, dec,
                    init, alpha, synapse, input_kind, e_rev_e, e_rev_i, delta_scale, neuron, par,
                    t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, stochastic, key, ids,
                    p_thresh, maass, scratch, work, n_chunks=1):
    """One tick of a flavour group in s16.15 (see the module docstring)."""
    spiking = neurons._flags(v.size)
    if maass is not None:       # the Maass threshold's draws, in the cells' order
        _maass_draws(maass[0], maass[5])
    if n_chunks == 1 or SERIAL:
        # typed as in the chunk loop (int64, not Numba's literals): one compilation
        lo, hi = neurons._chunk(np.int64(0), v.size, np.int64(1))
        _fixed_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                     inhibitory, sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e,
                     e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj,
                     has_inj, stochastic, key, ids, p_thresh, maass, work)
    else:
        for c in neurons.prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _fixed_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                         inhibitory, sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e,
                         e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i,
                         i_inj, has_inj, stochastic, key, ids, p_thresh, maass, work)
    return neurons._flagged(spiking, scratch)


def spinnaker_float(k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory, sat, scale, dec,
                    init, alpha, synapse, input_kind, e_rev_e, e_rev_i, delta_scale, neuron, par,
                    t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, stochastic, key, ids,
                    p_thresh, maass, scratch, work, n_chunks=1):
    """One tick of a flavour group in float64 (``fixed_point=False``)."""
    spiking = neurons._flags(v.size)
    if maass is not None:       # the Maass threshold's draws, in the cells' order
        _maass_draws(maass[0], maass[5])
    if n_chunks == 1 or SERIAL:
        # typed as in the chunk loop (int64, not Numba's literals): one compilation
        lo, hi = neurons._chunk(np.int64(0), v.size, np.int64(1))
        _float_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                     inhibitory, sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e,
                     e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj,
                     has_inj, stochastic, key, ids, p_thresh, maass, work)
    else:
        for c in neurons.prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _float_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                         inhibitory, sat, scale, dec, init, alpha, synapse, input_kind, e_rev_e,
                         e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i,
                         i_inj, has_inj, stochastic, key, ids, p_thresh, maass, work)
    return neurons._flagged(spiking, scratch)
