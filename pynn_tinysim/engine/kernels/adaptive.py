"""The IF_cond_exp_gsfa_grr step (``engine/adaptive.py``'s LIFCondExpSfaRr), one neuron at
a time, for Numba (see :mod:`.` and :mod:`.neurons`, whose conventions it follows).

One classical RK4 step of v with the synaptic, adaptation (g_s) and relative-refractory
(g_r) conductances exact at every stage (their decays precomputed in NumPy), V capped at
v_thresh in the right-hand side; then the decays, the input, threshold, reset, and the
quanta q_sfa, q_rr added at a spike: the NumPy step's operations in its order. No exp
at run time, so the same bits as the NumPy step.

Declined (:data:`.neurons.DECLINED`) are the steps in which an integrating neuron may be
stiff for ``StiffMembrane._redo_stiff_steps`` (redone by dopri5 there): the look is a
superset of the NumPy test, as for the conductance LIF (:func:`.neurons._cond_stiff`).
"""

import numpy as np

from . import neurons

#: replaced by numba.prange in the threaded variants (see kernels.load)
prange = range


def _sfa_rr_stiff(v, ge, gi, g_s, g_r, drive, g_L, inv_cm, cap, Ee, Ei, Es, Er, dt, z_rk4,
                  tolerance):
    """Whether an integrating neuron's step may be stiff for StiffMembrane (a superset).
    Scalars only (see kernels/adex.py's _adex_stiff)."""
    g_max = ge + gi + (g_s + g_r) * 1e-3
    z = (g_max + g_L) * inv_cm * dt
    if not z > z_rk4:
        return False
    gs, gr = g_s * 1e-3, g_r * 1e-3
    total = g_L + (ge + gi + gs + gr)
    if total == 0.0:
        return True
    v_inf = (drive + (ge * Ee + gi * Ei + gs * Es + gr * Er)) / total
    v0 = cap if v > cap else v
    distance = abs(v0 - v_inf)
    for E in (Ee, Ei, Es, Er):
        d = abs(v0 - E)
        if d > distance or d != d:
            distance = d
    error = z ** 5.0 / 120.0 * distance
    return not error <= neurons.DECLINE_MARGIN * tolerance


def _sfa_rr_derivative(y, g_e, g_i, g_sfa, g_rr, drive, Ee, Ei, Es, Er, g_L, cap, inv_cm):
    # LIFCondExpSfaRr.step's derivatives(), its sums in its order
    V = cap if y > cap else y
    return (drive + g_e * Ee + g_i * Ei + g_sfa * Es + g_rr * Er
            - (g_L + g_e + g_i + g_sfa + g_rr) * V) * inv_cm


def _sfa_rr_range(lo, hi, spiking, needs_numpy, k, inputs, v, g_s, g_r, ge, gi, de1, de2, di1,
                  di2, ds0, ds1, ds2, dr0, dr1, dr2, i_offset, i_inj, has_inj, g_L, v_rest,
                  inv_cm, e_rev_E, e_rev_I, e_rev_sfa, e_rev_rr, v_thresh, v_reset, q_sfa,
                  q_rr, dt, z_rk4, tolerance, active_from, commit):
    """Neurons lo .. hi - 1: with ``commit`` False, flag in needs_numpy those possibly
    stiff (and stop); with ``commit`` True, the step (state written, inputs consumed)."""
    in_e, in_i = inputs[0], inputs[1]
    h = dt                                  # conductances.rk4's, substeps = 1
    half_h, h6 = 0.5 * h, h / 6.0
    for j in range(lo, hi):
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        drive = drive + g_L[j] * v_rest[j]
        active = active_from[j] <= k
        cap, Ee, Ei, Es, Er = v_thresh[j], e_rev_E[j], e_rev_I[j], e_rev_sfa[j], e_rev_rr[j]
        gl, icm = g_L[j], inv_cm[j]
        if not commit:
            if active and _sfa_rr_stiff(v[j], ge[j], gi[j], g_s[j], g_r[j], drive, gl, icm, cap,
                                        Ee, Ei, Es, Er, dt, z_rk4, tolerance):
                needs_numpy[j] = True
                return
            continue
        gs0, gr0 = g_s[j], g_r[j]
        s0, s1, s2 = gs0 * ds0[j] * 1e-3, gs0 * ds1[j] * 1e-3, gs0 * ds2[j] * 1e-3
        r0, r1, r2 = gr0 * dr0[j] * 1e-3, gr0 * dr1[j] * 1e-3, gr0 * dr2[j] * 1e-3
        g0e, g0i = ge[j], gi[j]
        ghe, ghi = g0e * de1[j], g0i * di1[j]
        g1e, g1i = g0e * de2[j], g0i * di2[j]
        a = v[j]
        k1 = _sfa_rr_derivative(a, g0e, g0i, s0, r0, drive, Ee, Ei, Es, Er, gl, cap, icm)
        k2 = _sfa_rr_derivative(a + half_h * k1, ghe, ghi, s1, r1, drive, Ee, Ei, Es, Er, gl,
                                cap, icm)
        k3 = _sfa_rr_derivative(a + half_h * k2, ghe, ghi, s1, r1, drive, Ee, Ei, Es, Er, gl,
                                cap, icm)
        k4 = _sfa_rr_derivative(a + h * k3, g1e, g1i, s2, r2, drive, Ee, Ei, Es, Er, gl, cap,
                                icm)
        v_new = a + h6 * (k1 + 2.0 * (k2 + k3) + k4)
        vj = v_new if active else a
        gs0 = gs0 * ds2[j]
        gr0 = gr0 * dr2[j]
        ge[j] = g1e + in_e[j]
        gi[j] = g1i + in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        spike = vj >= cap
        spiking[j] = spike
        if spike:
            vj = v_reset[j]
            gs0 += q_sfa[j]
            gr0 += q_rr[j]
        v[j] = vj
        g_s[j] = gs0
        g_r[j] = gr0


def lif_cond_exp_sfa_rr(k, inputs, v, g_s, g_r, ge, gi, de1, de2, di1, di2, ds0, ds1, ds2,
                        dr0, dr1, dr2, i_offset, i_inj, has_inj, g_L, v_rest, inv_cm, e_rev_E,
                        e_rev_I, e_rev_sfa, e_rev_rr, v_thresh, v_reset, q_sfa, q_rr, dt, z_rk4,
                        tolerance, active_from, refractory, scratch, n_chunks=1):
    size = v.size
    spiking = neurons._flags(size)
    needs_numpy = neurons._flags(size)
    for commit in (False, True):
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, size, n_chunks)
            _sfa_rr_range(lo, hi, spiking, needs_numpy, k, inputs, v, g_s, g_r, ge, gi, de1,
                          de2, di1, di2, ds0, ds1, ds2, dr0, dr1, dr2, i_offset, i_inj, has_inj,
                          g_L, v_rest, inv_cm, e_rev_E, e_rev_I, e_rev_sfa, e_rev_rr, v_thresh,
                          v_reset, q_sfa, q_rr, dt, z_rk4, tolerance, active_from, commit)
        if not commit:
            words = needs_numpy.view(np.uint64)
            for i in range(words.size):
                if words[i] != 0:
                    return neurons.DECLINED.copy()
    return neurons._spikes(k, spiking, active_from, refractory, scratch)


# --- GIF_cond_exp (engine/adaptive.py's GIFCondExp) ----------------------------------
#
# The membrane is the conductance LIF's (RK4, exact conductances, no exp at run time);
# the spike-triggered current and the threshold are sums of exponential components
# (summed in NumPy's order: sequentially, which NumPy's sum along a row of fewer than 8
# elements is; GIFCondExp.compiled_kernel offers no kernel for 8 components or more);
# the escape noise compares the group's uniform draws (drawn in NumPy, blocks of steps
# at a time: GIFCondExp._uniforms) with 1 - exp(-lambda dt). The kernel declines a step
# whose draws are not among the blocks held (the NumPy step draws the next ones) and the
# steps with a possibly stiff neuron. Only the escape probability uses exp (the C
# library's here, NumPy's SIMD one there): a spike could differ only where a draw falls
# within an ulp of it.

def _gif_stiff(v, ge, gi, drive, g_L, inv_cm, Ee, Ei, dt, z_rk4, tolerance):
    """Whether an integrating neuron's step may be stiff for StiffMembrane (a superset)."""
    z = (ge + gi + g_L) * inv_cm * dt
    if not z > z_rk4:
        return False
    total = g_L + (ge + gi)
    if total == 0.0:
        return True
    v_inf = (drive + (ge * Ee + gi * Ei)) / total
    distance = abs(v - v_inf)
    for E in (Ee, Ei):
        d = abs(v - E)
        if d > distance or d != d:
            distance = d
    error = z ** 5.0 / 120.0 * distance
    return not error <= neurons.DECLINE_MARGIN * tolerance


def _gif_derivative(y, g_e, g_i, drive, Ee, Ei, g_L, inv_cm):
    # GIFCondExp.step's derivatives()
    return (drive + g_e * Ee + g_i * Ei - (g_L + g_e + g_i) * y) * inv_cm


def _gif_range(lo, hi, spiking, needs_numpy, commit, k, inputs, v, v_t_state, i_eta_state, ge,
               gi, eta, gamma, P_eta, P_gamma, a_eta, a_gamma, de1, de2, di1, di2, i_offset,
               i_inj, has_inj, g_L, v_rest, inv_cm, e_rev_E, e_rev_I, v_reset, v_t_star,
               delta_v, rate, uniforms, dt, z_rk4, tolerance, active_from):
    """Neurons lo .. hi - 1: with ``commit`` False, flag in needs_numpy those possibly
    stiff (and stop); with ``commit`` True, the step (``uniforms``: this step's draws)."""
    in_e, in_i = inputs[0], inputs[1]
    h = dt
    half_h, h6 = 0.5 * h, h / 6.0
    n_eta, n_gamma = eta.shape[1], gamma.shape[1]
    for j in range(lo, hi):
        active = active_from[j] <= k
        i_eta = eta[j, 0] if n_eta else 0.0
        for c in range(1, n_eta):
            i_eta += eta[j, c]
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        drive = drive + g_L[j] * v_rest[j] - i_eta
        gl, icm, Ee, Ei = g_L[j], inv_cm[j], e_rev_E[j], e_rev_I[j]
        if not commit:
            if active and _gif_stiff(v[j], ge[j], gi[j], drive, gl, icm, Ee, Ei, dt, z_rk4,
                                     tolerance):
                needs_numpy[j] = True
                return
            continue
        gamma_sum = gamma[j, 0] if n_gamma else 0.0
        for c in range(1, n_gamma):
            gamma_sum += gamma[j, c]
        v_t = v_t_star[j] + gamma_sum
        g0e, g0i = ge[j], gi[j]
        ghe, ghi = g0e * de1[j], g0i * di1[j]
        g1e, g1i = g0e * de2[j], g0i * di2[j]
        a = v[j]
        k1 = _gif_derivative(a, g0e, g0i, drive, Ee, Ei, gl, icm)
        k2 = _gif_derivative(a + half_h * k1, ghe, ghi, drive, Ee, Ei, gl, icm)
        k3 = _gif_derivative(a + half_h * k2, ghe, ghi, drive, Ee, Ei, gl, icm)
        k4 = _gif_derivative(a + h * k3, g1e, g1i, drive, Ee, Ei, gl, icm)
        v_new = a + h6 * (k1 + 2.0 * (k2 + k3) + k4)
        vj = v_new if active else v_reset[j]   # refractory steps end at v_reset
        v[j] = vj
        ge[j] = g1e + in_e[j]
        gi[j] = g1i + in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        i_eta_state[j] = i_eta
        v_t_state[j] = v_t
        hazard = rate[j] * np.exp((vj - v_t) / delta_v[j])
        spike = active and uniforms[j] < -np.expm1(-hazard)
        spiking[j] = spike
        for c in range(n_eta):
            eta[j, c] = eta[j, c] * P_eta[j, c] + a_eta[j, c] if spike else \
                eta[j, c] * P_eta[j, c]
        for c in range(n_gamma):
            gamma[j, c] = gamma[j, c] * P_gamma[j, c] + a_gamma[j, c] if spike else \
                gamma[j, c] * P_gamma[j, c]


def gif_cond_exp(k, inputs, v, v_t_state, i_eta_state, ge, gi, eta, gamma, P_eta, P_gamma,
                 a_eta, a_gamma, de1, de2, di1, di2, i_offset, i_inj, has_inj, g_L, v_rest,
                 inv_cm, e_rev_E, e_rev_I, v_reset, v_t_star, delta_v, rate, draws, draw_block,
                 rows, dt, z_rk4, tolerance, active_from, refractory, scratch, n_chunks=1):
    # ``draws``: the blocks of ``rows`` steps GIFCondExp._uniforms holds, from block
    # draw_block[0] on; a step outside them is declined (the NumPy step draws them)
    row = k - draw_block[0] * rows
    if draw_block[0] < 0 or row < 0 or row >= draws.shape[0]:
        return neurons.DECLINED.copy()
    uniforms = draws[row]
    size = v.size
    spiking = neurons._flags(size)
    needs_numpy = neurons._flags(size)
    for commit in (False, True):
        for c in prange(n_chunks):
            lo, hi = neurons._chunk(c, size, n_chunks)
            _gif_range(lo, hi, spiking, needs_numpy, commit, k, inputs, v, v_t_state,
                       i_eta_state, ge, gi, eta, gamma, P_eta, P_gamma, a_eta, a_gamma, de1,
                       de2, di1, di2, i_offset, i_inj, has_inj, g_L, v_rest, inv_cm, e_rev_E,
                       e_rev_I, v_reset, v_t_star, delta_v, rate, uniforms, dt, z_rk4,
                       tolerance, active_from)
        if not commit:
            words = needs_numpy.view(np.uint64)
            for i in range(words.size):
                if words[i] != 0:
                    return neurons.DECLINED.copy()
    return neurons._spikes(k, spiking, active_from, refractory, scratch)
