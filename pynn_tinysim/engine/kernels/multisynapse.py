"""PointNeuron steps with any number of receptors, for Numba (see :mod:`.`): LIF
(below) and AdExp (``adex_cond_multi``, at the end of the module).

The steps of :mod:`..multisynapse`'s ``_LIFCurrMulti`` (NEST
iaf_psc_exp_multisynapse: exact propagators) and ``_LIFCondMulti`` (RK4 for v with
the conductances exact at every stage; exponential and alpha receptors mixed),
one neuron at a time, with the NumPy step's floating-point operations in its order
(receptors in the model's order), so compiled they give the same bits. Conventions
as :mod:`.neurons`: ``inputs`` is the group's (receptors, size) block of the ring
row due now, consumed (zeroed once read); threshold, reset and refractoriness as
``LIFBase``; ``n_chunks`` chunks updated in parallel; conductance steps that the
NumPy code could find stiff are *declined* (:data:`.neurons.DECLINED`).

The per-receptor arrays (state, propagators, reversal potentials) come as tuples of
arrays, one per receptor: the group's own state arrays, written in place (no copy
in or out per step). Numba types such a tuple by its length, so a kernel is
compiled once per receptor count, not per network.
"""

import math

import numpy as np

from . import neurons

#: replaced by numba.prange in the threaded variants (see kernels.load)
prange = range
#: False in the threaded variants: see neurons.SERIAL
SERIAL = True

DECLINED = neurons.DECLINED
DECLINE_MARGIN = neurons.DECLINE_MARGIN


# --- current receptors (iaf_psc_exp_multisynapse) -------------------------------------

def _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20, i_inj,
                          has_inj, P11, active_from, v_thresh, v_reset, work):
    # receptor by receptor over the chunk (see the conductance kernel below: a tuple
    # indexed inside the neuron loop is slow), each neuron's sum in the receptors' order
    n_receptors = len(isyn)
    m = hi - lo
    v_new, v, P22 = work[lo:hi], v[lo:hi], P22[lo:hi]
    # v_new = v P22; += isyn_r P21_r (receptors in order); += drive; += i_inj P20
    for j in range(m):
        v_new[j] = v[j] * P22[j]
    for r in range(n_receptors):
        current, gain = isyn[r][lo:hi], P21[r][lo:hi]
        for j in range(m):
            v_new[j] += current[j] * gain[j]
    drive = drive[lo:hi]
    for j in range(m):
        v_new[j] += drive[j]
    if has_inj:
        i_inj, P20 = i_inj[lo:hi], P20[lo:hi]
        for j in range(m):
            v_new[j] += i_inj[j] * P20[j]
    active_from, v_thresh, v_reset = active_from[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    spiking = spiking[lo:hi]
    for j in range(m):
        vj = v_new[j] if active_from[j] <= k else v[j]
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj
    for r in range(n_receptors):
        current, decay, arriving = isyn[r][lo:hi], P11[r][lo:hi], inputs[r][lo:hi]
        for j in range(m):
            current[j] = current[j] * decay[j] + arriving[j]
            arriving[j] = 0.0


def lif_curr_multi(k, inputs, v, isyn, P22, P21, drive, P20, i_inj, has_inj, P11,
                   active_from, refractory, v_thresh, v_reset, scratch, work, n_chunks=1):
    """``isyn``, ``P21``, ``P11``: tuples, one array per receptor; ``work``: float64,
    the group's size."""
    spiking = neurons._flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = neurons._chunk(0, v.size, 1)
        _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20,
                              i_inj, has_inj, P11, active_from, v_thresh, v_reset, work)
    else:
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20,
                                  i_inj, has_inj, P11, active_from, v_thresh, v_reset, work)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)


# --- conductance receptors (RK4, exact conductances; cond_exp and cond_alpha mixed) ----
#
# Per receptor r: g[r] (gsyn), dg[r] (dgsyn of an alpha receptor; for an exponential
# one any array, never read nor written), alpha[r], d1[r], d2[r] (the decays half a
# step and a whole step in: _MultiConductances._decays[r][1], [2]), scale[r] (e /
# tau_syn of an alpha receptor), E[r] (e_syn); t1, t2: the stage offsets 0.5 dt, dt
# as _MultiConductances computes them; ``work``: (6, size) float64 scratch.
#
# The loops run receptor by receptor over the chunk (each neuron's sums still in the
# receptors' order): a tuple indexed by a loop variable is a copy of the tuple per
# access in Numba, which inside the neuron loop cost ~2.7 ms a step for 1000 cells
# with three receptors (measured); one access per receptor and pass costs nothing.

def _cond_multi_add(total, y, g0, dg0, decay, E, t, is_alpha, stage):
    """total += g (E - y) for one receptor, its conductance ``stage`` half steps in
    (_MultiConductances._conductances(stage))."""
    if stage == 0:
        for j in range(total.size):
            total[j] = total[j] + g0[j] * (E[j] - y[j])
    elif is_alpha:
        for j in range(total.size):
            g = (g0[j] + t * dg0[j]) * decay[j]
            total[j] = total[j] + g * (E[j] - y[j])
    else:
        for j in range(total.size):
            g = g0[j] * decay[j]
            total[j] = total[j] + g * (E[j] - y[j])


def _cond_multi_stiff(k, v, g, dg, alpha, E, leak_drive, g_leak, inv_cm, i_inj, has_inj, dt,
                      t2, z_rk4, tolerance, active_from, bound):
    """Whether some active neuron's step may be stiff for StiffMembrane._redo_stiff_steps:
    a superset of its test (every neuron, no group-wide shortcut; the error against
    DECLINE_MARGIN * tolerance, so that the last bits of z ** 5 cannot decide).
    ``bound``: a work row of the group's size."""
    n_receptors = len(g)
    # _conductance_bound(): 0 + g_r (+ dt max(dg_r, 0) for alpha), receptors in order
    bound[:] = 0.0
    for r in range(n_receptors):
        g_r, dg_r = g[r], dg[r]
        if alpha[r]:
            for j in range(v.size):
                bound[j] = (bound[j] + g_r[j]) + t2 * max(dg_r[j], 0.0)
        else:
            for j in range(v.size):
                bound[j] = bound[j] + g_r[j]
    for j in range(v.size):
        z = (bound[j] + g_leak[j]) * inv_cm[j]
        z = z * dt
        if not z > z_rk4 or active_from[j] > k:
            continue
        # a candidate (rare): its error estimate
        drive = leak_drive[j] + i_inj[j] if has_inj else leak_drive[j]
        g_sum = 0.0
        ge_sum = 0.0
        for r in range(n_receptors):
            g_sum = g_sum + g[r][j]
            ge_sum = ge_sum + g[r][j] * E[r][j]
        v_inf = (drive + ge_sum) / (g_leak[j] + g_sum)
        vj = v[j]
        distance = abs(vj - v_inf)
        for r in range(n_receptors):
            distance = max(distance, abs(vj - E[r][j]))
        error = z ** 5.0 / 120.0 * distance
        if not error <= DECLINE_MARGIN * tolerance:    # (NaN too, as stiff_membrane)
            return True
    return False


def _lif_cond_multi_range(lo, hi, spiking, k, inputs, v, g, dg, alpha, d1, d2, scale, E,
                          leak_drive, g_leak, inv_cm, i_inj, has_inj, dt, t1, t2,
                          active_from, v_thresh, v_reset, work):
    n_receptors = len(g)
    half_h, h, h6 = 0.5 * dt, dt, dt / 6.0     # conductances.rk4's, substeps = 1
    drive, y, total = work[0][lo:hi], work[1][lo:hi], work[2][lo:hi]
    k1, k2, k3 = work[3][lo:hi], work[4][lo:hi], work[5][lo:hi]
    a, gl, icm = v[lo:hi], g_leak[lo:hi], inv_cm[lo:hi]
    leak_drive = leak_drive[lo:hi]
    m = hi - lo
    if has_inj:
        i_inj = i_inj[lo:hi]
        for j in range(m):
            drive[j] = leak_drive[j] + i_inj[j]
    else:
        for j in range(m):
            drive[j] = leak_drive[j]
    # RK4's four stages (conductances.rk4 with _LIFCondMulti.step's derivatives():
    # drive - gl y, then + g_r (E_r - y) receptor by receptor)
    for stage in range(4):
        if stage == 0:
            for j in range(m):
                y[j] = a[j]
        elif stage == 1:
            for j in range(m):
                y[j] = a[j] + half_h * k1[j]
        elif stage == 2:
            for j in range(m):
                y[j] = a[j] + half_h * k2[j]
        else:
            for j in range(m):
                y[j] = a[j] + h * k3[j]
        for j in range(m):
            total[j] = drive[j] - gl[j] * y[j]
        at = 0 if stage == 0 else (1 if stage < 3 else 2)     # half steps into the step
        t = t1 if at == 1 else t2
        for r in range(n_receptors):
            decay = d1[r] if at == 1 else d2[r]
            _cond_multi_add(total, y, g[r][lo:hi], dg[r][lo:hi], decay[lo:hi], E[r][lo:hi], t,
                            alpha[r], at)
        out = k1 if stage == 0 else (k2 if stage == 1 else (k3 if stage == 2 else total))
        for j in range(m):
            out[j] = total[j] * icm[j]
    # (total now holds k4)
    active_from, v_thresh, v_reset = active_from[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    spiking = spiking[lo:hi]
    for j in range(m):
        v_new = a[j] + h6 * (k1[j] + 2.0 * (k2[j] + k3[j]) + total[j])
        vj = v_new if active_from[j] <= k else a[j]
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        a[j] = v_reset[j] if spike else vj
    # _conductance_update: g = g(dt); alpha: dg = dg d2 + in scale; exp: g += in
    for r in range(n_receptors):
        g_r, dg_r, dec, arriving = g[r][lo:hi], dg[r][lo:hi], d2[r][lo:hi], inputs[r][lo:hi]
        if alpha[r]:
            sc = scale[r][lo:hi]
            for j in range(m):
                g_r[j] = (g_r[j] + t2 * dg_r[j]) * dec[j]
                dg_r[j] = dg_r[j] * dec[j] + arriving[j] * sc[j]
                arriving[j] = 0.0
        else:
            for j in range(m):
                g_r[j] = g_r[j] * dec[j] + arriving[j]
                arriving[j] = 0.0


def lif_cond_multi(k, inputs, v, g, dg, alpha, d1, d2, scale, E, leak_drive, g_leak, inv_cm,
                   i_inj, has_inj, dt, t1, t2, z_rk4, tolerance, active_from, refractory,
                   v_thresh, v_reset, scratch, work, n_chunks=1):
    """``g``, ``dg``, ``d1``, ``d2``, ``scale``, ``E``: tuples, one array per receptor;
    ``alpha``: one bool per receptor (see above)."""
    if _cond_multi_stiff(k, v, g, dg, alpha, E, leak_drive, g_leak, inv_cm, i_inj, has_inj,
                         dt, t2, z_rk4, tolerance, active_from, work[0]):
        return DECLINED.copy()
    spiking = neurons._flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = neurons._chunk(0, v.size, 1)
        _lif_cond_multi_range(lo, hi, spiking, k, inputs, v, g, dg, alpha, d1, d2, scale, E,
                              leak_drive, g_leak, inv_cm, i_inj, has_inj, dt, t1, t2,
                              active_from, v_thresh, v_reset, work)
    else:
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _lif_cond_multi_range(lo, hi, spiking, k, inputs, v, g, dg, alpha, d1, d2, scale,
                                  E, leak_drive, g_leak, inv_cm, i_inj, has_inj, dt, t1, t2,
                                  active_from, v_thresh, v_reset, work)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)


# --- AdExp with conductance receptors (aeif_cond_alpha/beta_multisynapse's PyNN kin) --
#
# engine/multisynapse.py's _AdExpCondMulti: AdExBase.step (engine/adex.py) with
# _MultiConductances' receptors, on kernels/adex.py's ordinary path: one RK4 step on
# (v, w), V capped at v_spike, a refractory cell's v held, the reset at the crossing
# inside the step (_reset_within_step). Steps with a cell the NumPy step could find
# stiff (dopri5) or would re-integrate in sub-steps (``precise``) are declined, as in
# kernels/adex.py. Per receptor (tuples) as lif_cond_multi's: g, dg, alpha, d1, d2,
# scale, E. ``work``: (16, size) float64 scratch (rows 0-13 below, 14-15 v1 and w1).
# Not bit for bit everywhere, for the exp only: see kernels/adex.py.

def _adex_multi_g(m, is_alpha, g0, d0, decay1, decay2, t1, t2):
    """A receptor's conductance m half steps into the step (_MultiConductances.
    _conductances(m)) from its value g0 (slope d0 for an alpha receptor)."""
    if m == 0:
        return g0
    if is_alpha:
        return (g0 + (t1 if m == 1 else t2) * d0) * (decay1 if m == 1 else decay2)
    return g0 * (decay1 if m == 1 else decay2)


def _adex_multi_stiff(k, v, w, g, dg, alpha, E, i_offset, i_inj, has_inj, g_L, E_L, v_peak,
                      inv_cm, dt, t2, z_rk4, tolerance, active_from, bound):
    """Whether some active neuron's step may be stiff for AdExBase._stiff_neurons (a
    superset: no group-wide shortcut, DECLINE_MARGIN, NaN declines). ``bound``: a
    work row of the group's size."""
    n_receptors = len(g)
    # _MultiConductances._conductance_bound: 0 + g_r (+ dt max(dg_r, 0) for alpha)
    bound[:] = 0.0
    for r in range(n_receptors):
        g_r, dg_r = g[r], dg[r]
        if alpha[r]:
            for j in range(v.size):
                bound[j] = (bound[j] + g_r[j]) + t2 * max(dg_r[j], 0.0)
        else:
            for j in range(v.size):
                bound[j] = bound[j] + g_r[j]
    for j in range(v.size):
        z = (bound[j] + g_L[j]) * inv_cm[j] * dt
        if not z > z_rk4 or active_from[j] > k:
            continue
        # a candidate (rare): its error estimate, receptors indexed one at a time
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        g_sum = 0.0
        ge_sum = 0.0
        for r in range(n_receptors):
            g_sum = g_sum + g[r][j]
            ge_sum = ge_sum + g[r][j] * E[r][j]
        total = g_L[j] + g_sum
        if total == 0.0:
            return True         # (NumPy: an infinite v_inf, a stiff neuron)
        v_inf = (drive - w[j] + g_L[j] * E_L[j] + ge_sum) / total
        vv = v_peak[j] if v[j] > v_peak[j] else v[j]
        distance = abs(vv - v_inf)
        if distance != distance:
            return True
        for r in range(n_receptors + 1):
            d = abs(vv - (E[r][j] if r < n_receptors else E_L[j]))
            if d > distance or d != d:
                distance = d
        error = z ** 5.0 / 120.0 * distance
        if not error <= DECLINE_MARGIN * tolerance:
            return True
    return False


def _adex_multi_range(lo, hi, spiking, needs_numpy, k, v, w, g, dg, alpha, d1, d2, E,
                      i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak,
                      v_check, v_reset, a, b, inv_tau_w, inv_cm, precise, dt, active_from,
                      work):
    """First pass over neurons lo .. hi - 1 (kernels/adex.py's _adex_range, receptor
    by receptor over the chunk): (v, w) at the step's end into work[14], work[15],
    the spiking neurons flagged, those the NumPy step must take in needs_numpy."""
    n_receptors = len(g)
    m_n = hi - lo
    yv, yw, V, tot = work[0][lo:hi], work[1][lo:hi], work[2][lo:hi], work[3][lo:hi]
    kv = (work[4][lo:hi], work[5][lo:hi], work[6][lo:hi], work[7][lo:hi])
    kw = (work[8][lo:hi], work[9][lo:hi], work[10][lo:hi], work[11][lo:hi])
    v1, w1 = work[14], work[15]
    h = dt                              # conductances.rk4's h, substeps = 1
    half_h, h6 = 0.5 * h, h / 6.0
    t1, t2 = 1.0 * (0.5 * dt), 2.0 * (0.5 * dt)
    for stage in range(4):
        m = 0 if stage == 0 else (1 if stage < 3 else 2)
        c = 0.0 if stage == 0 else (half_h if stage < 3 else h)
        kin_v, kin_w = kv[stage - 1 if stage > 0 else 0], kw[stage - 1 if stage > 0 else 0]
        kout_v, kout_w = kv[stage], kw[stage]
        for i in range(m_n):
            j = lo + i
            if stage == 0:
                y0, y1 = v[j], w[j]
            else:
                y0, y1 = v[j] + c * kin_v[i], w[j] + c * kin_w[i]
            yv[i] = y0
            yw[i] = y1
            Vi = v_cap[j] if y0 > v_cap[j] else y0    # (np.minimum: NaN stays NaN)
            if active_from[j] > k:
                Vi = v_reset[j]
            V[i] = Vi
            i_spike = exp_gain[j] * np.exp((Vi - V_T[j]) / dT[j])
            tot[i] = i_spike - g_L[j] * (Vi - E_L[j])
        for r in range(n_receptors):
            g0, d0, de1, de2 = g[r][lo:hi], dg[r][lo:hi], d1[r][lo:hi], d2[r][lo:hi]
            E_r, is_alpha = E[r][lo:hi], alpha[r]
            for i in range(m_n):
                gi = _adex_multi_g(m, is_alpha, g0[i], d0[i], de1[i], de2[i], t1, t2)
                tot[i] = tot[i] - gi * (V[i] - E_r[i])
        for i in range(m_n):
            j = lo + i
            drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
            dv = (tot[i] - yw[i] + drive) * inv_cm[j]
            if active_from[j] > k:
                dv = 0.0
            kout_v[i] = dv
            kout_w[i] = (a[j] * (V[i] - E_L[j]) - yw[i]) * inv_tau_w[j]
    k1v, k2v, k3v, k4v = kv
    k1w, k2w, k3w, k4w = kw
    for i in range(m_n):
        j = lo + i
        y0, y1 = v[j], w[j]
        vn = y0 + h6 * (k1v[i] + 2.0 * (k2v[i] + k3v[i]) + k4v[i])
        wn = y1 + h6 * (k1w[i] + 2.0 * (k2w[i] + k3w[i]) + k4w[i])
        if vn >= v_check[j]:
            if precise[j]:          # re-integrated in sub-steps by the NumPy step
                needs_numpy[j] = True
                return
            # AdExBase._reset_within_step: _theta from f(v_peak) with the receptors'
            # conductances at the step's end (spiking cells only: receptors one by one)
            drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
            vr, el, itw = v_reset[j], E_L[j], inv_tau_w[j]
            Vp = v_cap[j] if v_peak[j] > v_cap[j] else v_peak[j]
            f_total = exp_gain[j] * np.exp((Vp - V_T[j]) / dT[j]) - g_L[j] * (Vp - el)
            for r in range(n_receptors):
                g_end = _adex_multi_g(2, alpha[r], g[r][j], dg[r][j], d1[r][j], d2[r][j],
                                      t1, t2)
                f_total = f_total - g_end * (Vp - E[r][j])
            f_peak = (f_total - wn + drive) * inv_cm[j]
            num = vn - v_peak[j]
            den = h * f_peak
            if den != 0.0:
                theta = 1.0 - num / den
            elif num != num or num == 0.0:
                theta = math.nan        # 0/0 (NumPy's NaN, then nan_to_num: 1)
            else:                       # x/0: +-inf, clipped below
                theta = (-math.inf if (num > 0.0) == (math.copysign(1.0, den) > 0.0)
                         else math.inf)
            if theta != theta:
                theta = 1.0
            theta = min(max(theta, 0.0), 1.0)
            w_cross = y1 + theta * (wn - y1) + b[j]
            w_inf = a[j] * (vr - el)
            wn = w_inf + (w_cross - w_inf) * np.exp(-(1.0 - theta) * h * itw)
            vn = vr
            spiking[j] = True
        v1[j] = vn
        w1[j] = wn


def _adex_multi_commit(lo, hi, inputs, v, w, g, dg, alpha, d2, scale, dt, work):
    """Second pass: the new (v, w), and _MultiConductances._conductance_update."""
    n_receptors = len(g)
    t2 = 2.0 * (0.5 * dt)
    v1, w1 = work[14], work[15]
    for j in range(lo, hi):
        v[j] = v1[j]
        w[j] = w1[j]
    for r in range(n_receptors):
        g_r, dg_r, dec, arriving = g[r][lo:hi], dg[r][lo:hi], d2[r][lo:hi], inputs[r][lo:hi]
        if alpha[r]:
            sc = scale[r][lo:hi]
            for j in range(hi - lo):
                g_r[j] = (g_r[j] + t2 * dg_r[j]) * dec[j]
                dg_r[j] = dg_r[j] * dec[j] + arriving[j] * sc[j]
                arriving[j] = 0.0
        else:
            for j in range(hi - lo):
                g_r[j] = g_r[j] * dec[j] + arriving[j]
                arriving[j] = 0.0


def adex_cond_multi(k, inputs, v, w, g, dg, alpha, d1, d2, scale, E, i_offset, i_inj,
                    has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap, v_peak, v_check, v_reset, a,
                    b, inv_tau_w, inv_cm, precise, dt, z_rk4, tolerance, active_from,
                    refractory, scratch, work, n_chunks=1):
    """``g``, ``dg``, ``d1``, ``d2``, ``scale``, ``E``: tuples, one array per receptor;
    ``alpha``: one bool per receptor; ``work``: (16, size) float64 (see above)."""
    size = v.size
    if _adex_multi_stiff(k, v, w, g, dg, alpha, E, i_offset, i_inj, has_inj, g_L, E_L,
                         v_peak, inv_cm, dt, 2.0 * (0.5 * dt), z_rk4, tolerance, active_from,
                         work[12]):
        return DECLINED.copy()
    spiking = neurons._flags(size)
    needs_numpy = neurons._flags(size)
    for c in prange(n_chunks):
        lo, hi = neurons._chunk(c, size, n_chunks)
        _adex_multi_range(lo, hi, spiking, needs_numpy, k, v, w, g, dg, alpha, d1, d2, E,
                          i_offset, i_inj, has_inj, g_L, E_L, V_T, dT, exp_gain, v_cap,
                          v_peak, v_check, v_reset, a, b, inv_tau_w, inv_cm, precise, dt,
                          active_from, work)
    words = needs_numpy.view(np.uint64)
    for i in range(words.size):
        if words[i] != 0:
            return DECLINED.copy()
    for c in prange(n_chunks):
        lo, hi = neurons._chunk(c, size, n_chunks)
        _adex_multi_commit(lo, hi, inputs, v, w, g, dg, alpha, d2, scale, dt, work)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)
