"""The AdEx step (EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista) over the neurons, for
Numba (see :mod:`.` and :mod:`.neurons`, whose conventions it follows).

The ordinary path of ``engine/adex.py``'s ``AdExBase.step``: one classical RK4 step on
(v, w) with the conductances exact at every stage, V capped at v_spike in the
right-hand side, a refractory cell's v held (dv = 0, V = v_reset), and a spike where
v ends the step at or above v_check: w jumps by b at the crossing located by
``_theta`` and relaxes exactly for the rest of the step, v is set to v_reset
(``_reset_within_step``). The same floating-point operations in the same order.

Declined (:data:`.neurons.DECLINED`: the step loop runs the NumPy step, which is the
reference for them) are the steps in which any neuron would leave that path:

* a neuron the NumPy step could find stiff (``_stiff_neurons``, redone by dopri5):
  as for the conductance LIF (:func:`.neurons._cond_stiff`), the look is a superset
  (no group-wide shortcut, the error estimate against DECLINE_MARGIN * TOLERANCE, a
  NaN estimate declines);
* a neuron ending the step above v_check whose step the NumPy code re-integrates in
  sub-steps (``_precise``: tau_refrac = 0, or stiff parameters such as v_spike = 0 mV).

Nothing is written before the decision: the first pass integrates every neuron into
work arrays (``v1``, ``w1``) and flags the neurons that would need the NumPy step; the
state (and the ring inputs, consumed) is written in a second pass.

Not bit for bit everywhere: ``np.exp`` in the NumPy step is NumPy's own (SIMD, e.g.
AVX512F) implementation, here it is the C library's; where they differ (in the last
bit, for a few percent of arguments on an AVX512 machine) the trajectories differ
by that much and grow apart slowly (``tests/test_kernels.py`` states the tolerance).
Where the two exp agree, the bits agree (``tests/test_kernels_adex.py`` gives the NumPy
step the C library's exp and requires the kernel's bits).
"""

import math

import numpy as np

from . import neurons

#: replaced by numba.prange in the threaded variants (see kernels.load)
prange = range


def _adex_rhs(y0, y1, g_e, g_i, held, drive, v_cap, v_reset, exp_gain, V_T, dT, g_L, E_L,
              Ee, Ei, a, inv_tau_w, inv_cm):
    """(dv, dw) of AdExBase._rhs's derivatives(); ``held``: refractory (v clamped)."""
    # np.minimum(y0, v_cap): a NaN y0 stays NaN
    V = v_cap if y0 > v_cap else y0
    if held:
        V = v_reset
    i_spike = exp_gain * np.exp((V - V_T) / dT)
    i_total = i_spike - g_L * (V - E_L)
    i_total = i_total - g_e * (V - Ee)
    i_total = i_total - g_i * (V - Ei)
    dv = (i_total - y1 + drive) * inv_cm
    if held:
        dv = 0.0
    return dv, (a * (V - E_L) - y1) * inv_tau_w


def _adex_stiff(alpha, v, w, ge, gi, dge, dgi, drive, g_L, E_L, v_peak, inv_cm, Ee, Ei, dt,
                z_rk4, tolerance):
    """Whether an integrating neuron's step may be stiff for AdExBase._stiff_neurons (a
    superset). Scalars only: a helper called per neuron with arrays would count a
    reference to each of them per call (173 ns a neuron and step, against 82)."""
    g_max = ge + gi
    if alpha:
        # AlphaConductances._conductance_bound: g + t dg+ at t = dt, both receptors
        h = 2.0 * (0.5 * dt)
        g_max = g_max + h * (dge if not dge < 0.0 else 0.0)
        g_max = g_max + h * (dgi if not dgi < 0.0 else 0.0)
    z = (g_max + g_L) * inv_cm * dt
    if not z > z_rk4:
        return False
    total = g_L + (ge + gi)
    if total == 0.0:
        return True     # (NumPy: an infinite v_inf, a stiff neuron)
    v_inf = (drive - w + g_L * E_L + (ge * Ee + gi * Ei)) / total
    vv = v_peak if v > v_peak else v
    # the largest distance, NaN if any is (np.maximum's)
    distance = abs(vv - v_inf)
    for E in (Ee, Ei, E_L):
        d = abs(vv - E)
        if d > distance or d != d:
            distance = d
    error = z ** 5.0 / 120.0 * distance
    return not error <= neurons.DECLINE_MARGIN * tolerance


def _adex_theta(v1, w1, g_e, g_i, h, drive, v_peak, v_cap, v_reset, exp_gain, V_T, dT, g_L,
                E_L, Ee, Ei, a, inv_tau_w, inv_cm):
    """AdExBase._theta: where in the step v crossed v_peak, from f(v_peak)."""
    f_peak, _ = _adex_rhs(v_peak, w1, g_e, g_i, False, drive, v_cap, v_reset, exp_gain, V_T,
                          dT, g_L, E_L, Ee, Ei, a, inv_tau_w, inv_cm)
    num = v1 - v_peak
    den = h * f_peak
    if den != 0.0:
        theta = 1.0 - num / den
    elif num != num or num == 0.0:
        theta = math.nan                    # 0/0 (NumPy's NaN, then nan_to_num: 1)
    else:                                   # x/0: +-inf, clipped below
        theta = -math.inf if (num > 0.0) == (math.copysign(1.0, den) > 0.0) else math.inf
    if theta != theta:
        return 1.0
    return min(max(theta, 0.0), 1.0)


def _adex_g(m, alpha, g0, d0, decay1, decay2, t1, t2):
    """A conductance m half steps into the step (AlphaConductances/ExpConductances'
    _conductances(m)), from its value g0 (and slope d0) at the start."""
    if m == 0:
        return g0
    if alpha:
        return (g0 + (t1 if m == 1 else t2) * d0) * (decay1 if m == 1 else decay2)
    return g0 * (decay1 if m == 1 else decay2)


def _adex_stage(lo, hi, m, c, k_in_v, k_in_w, k_out_v, k_out_w, alpha, k, v, w, ge, gi, dge,
                dgi, de1, de2, di1, di2, i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain,
                v_cap, v_reset, a, inv_tau_w, inv_cm, e_rev_E, e_rev_I, dt, active_from):
    """One RK4 stage of neurons lo .. hi - 1: the derivatives at (v, w) + c k_in (at (v, w)
    where c is 0: the first stage) with the conductances m half steps in, into k_out.

    Stage by stage over the neurons rather than neuron by neuron: each iteration is
    short and independent of the others, so the processor overlaps several neurons'
    exp and division latencies (82 -> 70 ns a neuron and step, measured for 1000 cells)."""
    t1, t2 = 1.0 * (0.5 * dt), 2.0 * (0.5 * dt)     # AlphaConductances' offsets
    for j in range(lo, hi):
        i = j - lo
        if c == 0.0:
            y0, y1 = v[j], w[j]
        else:
            y0, y1 = v[j] + c * k_in_v[i], w[j] + c * k_in_w[i]
        d0e, d0i = (dge[j], dgi[j]) if alpha else (0.0, 0.0)
        g_e = _adex_g(m, alpha, ge[j], d0e, de1[j], de2[j], t1, t2)
        g_i = _adex_g(m, alpha, gi[j], d0i, di1[j], di2[j], t1, t2)
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        k_out_v[i], k_out_w[i] = _adex_rhs(y0, y1, g_e, g_i, active_from[j] > k, drive,
                                           v_cap[j], v_reset[j], exp_gain[j], V_T[j], dT[j],
                                           g_L[j], E_L[j], e_rev_E[j], e_rev_I[j], a[j],
                                           inv_tau_w[j], inv_cm[j])


def _adex_range(lo, hi, spiking, needs_numpy, alpha, k, v, w, ge, gi, dge, dgi, de1, de2,
                di1, di2, i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak,
                v_check, v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I, precise, dt,
                z_rk4, tolerance, active_from, v1, w1):
    """First pass over neurons lo .. hi - 1: (v, w) at the end of the step into v1, w1,
    the spiking neurons flagged, and those the NumPy step must handle in needs_numpy
    (then nothing else is computed: the step is declined)."""
    for j in range(lo, hi):
        if active_from[j] > k:
            continue
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        d0e, d0i = (dge[j], dgi[j]) if alpha else (0.0, 0.0)
        if _adex_stiff(alpha, v[j], w[j], ge[j], gi[j], d0e, d0i, drive, g_L[j], E_L[j],
                       v_peak[j], inv_cm[j], e_rev_E[j], e_rev_I[j], dt, z_rk4, tolerance):
            needs_numpy[j] = True
            return
    h = dt                              # conductances.rk4's h, substeps = 1
    half_h, h6 = 0.5 * h, h / 6.0
    n = hi - lo
    k1v, k1w, k2v, k2w = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    k3v, k3w, k4v, k4w = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for m, c, kv, kw, ov, ow in ((0, 0.0, k1v, k1w, k1v, k1w), (1, half_h, k1v, k1w, k2v, k2w),
                                 (1, half_h, k2v, k2w, k3v, k3w), (2, h, k3v, k3w, k4v, k4w)):
        _adex_stage(lo, hi, m, c, kv, kw, ov, ow, alpha, k, v, w, ge, gi, dge, dgi, de1, de2,
                    di1, di2, i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap,
                    v_reset, a, inv_tau_w, inv_cm, e_rev_E, e_rev_I, dt, active_from)
    t1, t2 = 1.0 * (0.5 * dt), 2.0 * (0.5 * dt)
    for j in range(lo, hi):
        i = j - lo
        y0, y1 = v[j], w[j]
        vn = y0 + h6 * (k1v[i] + 2.0 * (k2v[i] + k3v[i]) + k4v[i])
        wn = y1 + h6 * (k1w[i] + 2.0 * (k2w[i] + k3w[i]) + k4w[i])
        if vn >= v_check[j]:
            if precise[j]:          # re-integrated in sub-steps by the NumPy step
                needs_numpy[j] = True
                return
            # AdExBase._reset_within_step, with the conductances at the step's end
            d0e, d0i = (dge[j], dgi[j]) if alpha else (0.0, 0.0)
            g1e = _adex_g(2, alpha, ge[j], d0e, de1[j], de2[j], t1, t2)
            g1i = _adex_g(2, alpha, gi[j], d0i, di1[j], di2[j], t1, t2)
            drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
            vr, el, itw = v_reset[j], E_L[j], inv_tau_w[j]
            theta = _adex_theta(vn, wn, g1e, g1i, h, drive, v_peak[j], v_cap[j], vr,
                                exp_gain[j], V_T[j], dT[j], g_L[j], el, e_rev_E[j],
                                e_rev_I[j], a[j], itw, inv_cm[j])
            w_cross = y1 + theta * (wn - y1) + b[j]
            w_inf = a[j] * (vr - el)
            wn = w_inf + (w_cross - w_inf) * np.exp(-(1.0 - theta) * h * itw)
            vn = vr
            spiking[j] = True
        v1[j] = vn
        w1[j] = wn


def _adex_commit(lo, hi, alpha, inputs, v, w, ge, gi, dge, dgi, de2, di2, scale_e, scale_i,
                 dt, v1, w1):
    """Second pass: the new (v, w), and the conductances' update (_conductance_update)."""
    in_e, in_i = inputs[0], inputs[1]
    t2 = 2.0 * (0.5 * dt)
    for j in range(lo, hi):
        v[j] = v1[j]
        w[j] = w1[j]
        if alpha:
            ge[j] = (ge[j] + t2 * dge[j]) * de2[j]
            gi[j] = (gi[j] + t2 * dgi[j]) * di2[j]
            dge[j] = dge[j] * de2[j] + in_e[j] * scale_e[j]
            dgi[j] = dgi[j] * di2[j] + in_i[j] * scale_i[j]
        else:
            ge[j] = ge[j] * de2[j] + in_e[j]
            gi[j] = gi[j] * di2[j] + in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0


def _adex(alpha, k, inputs, v, w, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e, scale_i,
          i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak, v_check,
          v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I, precise, dt, z_rk4, tolerance,
          active_from, refractory, v1, w1, scratch, n_chunks):
    size = v.size
    spiking = neurons._flags(size)
    needs_numpy = neurons._flags(size)
    for c in prange(n_chunks):
        lo, hi = neurons._chunk(c, size, n_chunks)
        _adex_range(lo, hi, spiking, needs_numpy, alpha, k, v, w, ge, gi, dge, dgi, de1, de2,
                    di1, di2, i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap,
                    v_peak, v_check, v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I,
                    precise, dt, z_rk4, tolerance, active_from, v1, w1)
    words = needs_numpy.view(np.uint64)
    for i in range(words.size):
        if words[i] != 0:
            return neurons.DECLINED.copy()
    for c in prange(n_chunks):
        lo, hi = neurons._chunk(c, size, n_chunks)
        _adex_commit(lo, hi, alpha, inputs, v, w, ge, gi, dge, dgi, de2, di2, scale_e,
                     scale_i, dt, v1, w1)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)


def adex_cond_exp(k, inputs, v, w, ge, gi, de1, de2, di1, di2, i_offset, i_inj, has_inj, g_L,
                  E_L, V_T, dT, exp_gain, v_cap, v_peak, v_check, v_reset, a, b, inv_tau_w,
                  inv_cm, e_rev_E, e_rev_I, precise, dt, z_rk4, tolerance, active_from,
                  refractory, v1, w1, scratch, n_chunks=1):
    # (ge, gi stand in for the alpha model's dge, dgi, and de1, di1 for its scales:
    # never read with alpha False)
    return _adex(False, k, inputs, v, w, ge, gi, ge, gi, de1, de2, di1, di2, de1, di1,
                 i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak, v_check,
                 v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I, precise, dt, z_rk4,
                 tolerance, active_from, refractory, v1, w1, scratch, n_chunks)


def adex_cond_alpha(k, inputs, v, w, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e, scale_i,
                    i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak,
                    v_check, v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I, precise, dt,
                    z_rk4, tolerance, active_from, refractory, v1, w1, scratch, n_chunks=1):
    return _adex(True, k, inputs, v, w, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e, scale_i,
                 i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak, v_check,
                 v_reset, a, b, inv_tau_w, inv_cm, e_rev_E, e_rev_I, precise, dt, z_rk4,
                 tolerance, active_from, refractory, v1, w1, scratch, n_chunks)
