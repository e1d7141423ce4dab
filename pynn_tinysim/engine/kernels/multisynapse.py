"""PointNeuron LIF steps with any number of receptors, for Numba (see :mod:`.`).

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

from . import neurons

#: replaced by numba.prange in the threaded variants (see kernels.load)
prange = range

DECLINED = neurons.DECLINED
DECLINE_MARGIN = neurons.DECLINE_MARGIN


# --- current receptors (iaf_psc_exp_multisynapse) -------------------------------------

def _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20, i_inj,
                          has_inj, P11, active_from, v_thresh, v_reset):
    n_receptors = len(isyn)
    for j in range(lo, hi):
        # v_new = v P22; += isyn_r P21_r (receptors in order); += drive; += i_inj P20
        v_new = v[j] * P22[j]
        for r in range(n_receptors):
            v_new += isyn[r][j] * P21[r][j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        vj = v_new if active_from[j] <= k else v[j]
        for r in range(n_receptors):
            current = isyn[r][j] * P11[r][j]
            isyn[r][j] = current + inputs[r, j]
            inputs[r, j] = 0.0
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj


def lif_curr_multi(k, inputs, v, isyn, P22, P21, drive, P20, i_inj, has_inj, P11,
                   active_from, refractory, v_thresh, v_reset, scratch, n_chunks=1):
    """``isyn``, ``P21``, ``P11``: tuples, one array per receptor."""
    spiking = neurons._flags(v.size)
    if n_chunks == 1:
        lo, hi = neurons._chunk(0, v.size, 1)
        _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20,
                              i_inj, has_inj, P11, active_from, v_thresh, v_reset)
    else:
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _lif_curr_multi_range(lo, hi, spiking, k, inputs, v, isyn, P22, P21, drive, P20,
                                  i_inj, has_inj, P11, active_from, v_thresh, v_reset)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)


# --- conductance receptors (RK4, exact conductances; cond_exp and cond_alpha mixed) ----
#
# Per receptor r: g[r] (gsyn), dg[r] (dgsyn of an alpha receptor; for an exponential
# one any array, never read nor written), alpha[r], d1[r], d2[r] (the decays half a
# step and a whole step in: _MultiConductances._decays[r][1], [2]), scale[r] (e /
# tau_syn of an alpha receptor), E[r] (e_syn); t1, t2: the stage offsets 0.5 dt, dt
# as _MultiConductances computes them.

def _cond_multi_g(j, stage, r, g, dg, alpha, d1, d2, t1, t2):
    """Receptor r's conductance ``stage`` half steps into the step (_conductances(stage))."""
    g0 = g[r][j]
    if stage == 0:
        return g0
    decay = d1[r][j] if stage == 1 else d2[r][j]
    if alpha[r]:
        t = t1 if stage == 1 else t2
        return (g0 + t * dg[r][j]) * decay
    return g0 * decay


def _cond_multi_derivative(j, stage, y, drive, gl, inv_cm, g, dg, alpha, d1, d2, E, t1, t2):
    # _LIFCondMulti.step's derivatives(): drive - gl y, then + g_r (E_r - y) in order
    i_total = drive - gl * y
    for r in range(len(g)):
        g_r = _cond_multi_g(j, stage, r, g, dg, alpha, d1, d2, t1, t2)
        i_total = i_total + g_r * (E[r][j] - y)
    return i_total * inv_cm


def _cond_multi_stiff(k, v, g, dg, alpha, E, leak_drive, g_leak, inv_cm, i_inj, has_inj, dt,
                      t2, z_rk4, tolerance, active_from):
    """Whether some active neuron's step may be stiff for StiffMembrane._redo_stiff_steps:
    a superset of its test (every neuron, no group-wide shortcut; the error against
    DECLINE_MARGIN * tolerance, so that the last bits of z ** 5 cannot decide)."""
    n_receptors = len(g)
    for j in range(v.size):
        if active_from[j] > k:
            continue
        # _conductance_bound(): 0 + g_r (+ dt max(dg_r, 0) for alpha), receptors in order
        total = 0.0
        for r in range(n_receptors):
            total = total + g[r][j]
            if alpha[r]:
                total = total + t2 * max(dg[r][j], 0.0)
        z = (total + g_leak[j]) * inv_cm[j]
        z = z * dt
        if not z > z_rk4:
            continue
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
                          active_from, v_thresh, v_reset):
    n_receptors = len(g)
    half_h, h, h6 = 0.5 * dt, dt, dt / 6.0     # conductances.rk4's, substeps = 1
    for j in range(lo, hi):
        drive = leak_drive[j] + i_inj[j] if has_inj else leak_drive[j]
        gl, icm = g_leak[j], inv_cm[j]
        a = v[j]
        k1 = _cond_multi_derivative(j, 0, a, drive, gl, icm, g, dg, alpha, d1, d2, E, t1, t2)
        k2 = _cond_multi_derivative(j, 1, a + half_h * k1, drive, gl, icm, g, dg, alpha, d1,
                                    d2, E, t1, t2)
        k3 = _cond_multi_derivative(j, 1, a + half_h * k2, drive, gl, icm, g, dg, alpha, d1,
                                    d2, E, t1, t2)
        k4 = _cond_multi_derivative(j, 2, a + h * k3, drive, gl, icm, g, dg, alpha, d1, d2,
                                    E, t1, t2)
        v_new = a + h6 * (k1 + 2.0 * (k2 + k3) + k4)
        vj = v_new if active_from[j] <= k else a
        # _conductance_update: g = g(dt); alpha: dg = dg d2 + in scale; exp: g += in
        for r in range(n_receptors):
            g_end = _cond_multi_g(j, 2, r, g, dg, alpha, d1, d2, t1, t2)
            if alpha[r]:
                g[r][j] = g_end
                dg[r][j] = dg[r][j] * d2[r][j] + inputs[r, j] * scale[r][j]
            else:
                g[r][j] = g_end + inputs[r, j]
            inputs[r, j] = 0.0
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj


def lif_cond_multi(k, inputs, v, g, dg, alpha, d1, d2, scale, E, leak_drive, g_leak, inv_cm,
                   i_inj, has_inj, dt, t1, t2, z_rk4, tolerance, active_from, refractory,
                   v_thresh, v_reset, scratch, n_chunks=1):
    """``g``, ``dg``, ``d1``, ``d2``, ``scale``, ``E``: tuples, one array per receptor;
    ``alpha``: one bool per receptor (see above)."""
    if _cond_multi_stiff(k, v, g, dg, alpha, E, leak_drive, g_leak, inv_cm, i_inj, has_inj,
                         dt, t2, z_rk4, tolerance, active_from):
        return DECLINED.copy()
    spiking = neurons._flags(v.size)
    if n_chunks == 1:
        lo, hi = neurons._chunk(0, v.size, 1)
        _lif_cond_multi_range(lo, hi, spiking, k, inputs, v, g, dg, alpha, d1, d2, scale, E,
                              leak_drive, g_leak, inv_cm, i_inj, has_inj, dt, t1, t2,
                              active_from, v_thresh, v_reset)
    else:
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _lif_cond_multi_range(lo, hi, spiking, k, inputs, v, g, dg, alpha, d1, d2, scale,
                                  E, leak_drive, g_leak, inv_cm, i_inj, has_inj, dt, t1, t2,
                                  active_from, v_thresh, v_reset)
    return neurons._spikes(k, spiking, active_from, refractory, scratch)
