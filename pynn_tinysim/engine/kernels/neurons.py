"""Neuron-group steps, one neuron at a time, for Numba (see :mod:`.`).

Each function is the step of one model family's NumPy code (:mod:`..lif`,
:mod:`..izhikevich`) written as a loop over neurons: the same floating-point
operations in the same order for every neuron, so compiled they give the same
bits. Propagators and parameters come in as arrays, one entry per neuron, or one
entry for all where they are uniform (:func:`..kernels.uniform_parameters`; so far
for IF_curr_exp);
``inputs`` is the group's (receptors, size) block of the ring-buffer row due now,
which the step *consumes*: it zeroes each entry once read (the step loop clears the
row after the groups' steps anyway; a compiled stretch whose one neuron group fills
the row thus need not clear it in a second pass: ~10 % of VA CUBA's step). A step
that declines (below) leaves its inputs untouched.
``i_inj`` is the injected current (read only when ``has_inj``). Every step
returns the local indices of the neurons that spiked, in increasing order, as a
new array (recorders keep it); ``scratch`` is an int64 work array of the group's size.

The LIF steps also do threshold, reset and refractoriness as ``LIFBase`` does:
a neuron is integrated only from step ``active_from``; one that reaches
``v_thresh`` is set to ``v_reset`` and ``active_from`` becomes k + 1 + its
refractory steps.

Threads: each step's last argument ``n_chunks`` (default 1: one thread) splits the
neurons into that many contiguous chunks updated in parallel (``prange``, one
chunk per thread). Every neuron's arithmetic is independent of the others' and of
the chunking, and the spiking neurons are collected afterwards in one pass, so the
bits do not depend on the number of threads. The body of each step is a
``_<name>_range(lo, hi, ...)`` function updating neurons lo .. hi - 1.
"""

import numpy as np

#: replaced by numba.prange when the kernels are compiled (kernels.load): the chunk
#: loops below run in parallel then, and as plain loops in Python
prange = range
#: True in the serial kernels, False in their threaded variants (kernels.load sets it
#: in the modules' copies, as prange). A constant to Numba, which prunes the branch
#: it closes: a serial kernel (always given one chunk) does not compile the chunk loop
#: beside its one-chunk call, i.e. the range function's code once, not twice (~0.3 s
#: less one-time compilation per model family; the bits do not depend on the chunks)
SERIAL = True


def _flags(size):
    """One zeroed spike flag per neuron, padded to whole 8-byte words (:func:`_flagged`
    scans them a word at a time)."""
    return np.zeros((size + 7) // 8 * 8, np.bool_)


def _flagged(spiking, scratch):
    """The neurons flagged in ``spiking`` (from :func:`_flags`), ascending."""
    count = 0
    # eight flags at a time: few neurons spike in a step, and a word of zeros is one
    # test (a flag at a time cost ~1 us a step for 4000 neurons)
    words = spiking.view(np.uint64)
    for w in range(words.size):
        if words[w] != 0:
            for j in range(8 * w, 8 * w + 8):
                if spiking[j]:
                    scratch[count] = j
                    count += 1
    return scratch[:count].copy()


def _spikes(k, spiking, active_from, refractory, scratch):
    """The neurons flagged in ``spiking``, ascending; they are refractory until
    k + 1 + their refractory steps."""
    spiked = _flagged(spiking, scratch)
    for j in spiked:
        active_from[j] = k + 1 + refractory[j]
    return spiked


def _chunk(c, size, n_chunks):
    """Neurons lo .. hi - 1 of chunk c (of n_chunks)."""
    return c * size // n_chunks, (c + 1) * size // n_chunks


# In the loops below every neuron's update is branch-free (selects, not jumps), so
# the compiler can vectorize them; the spiking neurons are collected afterwards.
# Each step: the body on every chunk (in parallel where n_chunks > 1), then _spikes.

def _lif_curr_exp_neuron(v, ie, ii, in_e, in_i, active, inj, has_inj, P22, P21e, P21i,
                         drive, P20, P11e, P11i, v_thresh, v_reset):
    """One neuron's step: its (v, isyn_exc, isyn_inh, spiked) after it (LIFCurrExp.step)."""
    v_new = v * P22
    v_new += ie * P21e
    v_new += ii * P21i
    v_new += drive
    if has_inj:
        v_new += inj * P20
    vj = v_new if active else v
    spike = vj >= v_thresh
    return (v_reset if spike else vj), ie * P11e + in_e, ii * P11i + in_i, spike


def _lif_curr_exp_range(lo, hi, spiking, k, inputs, v, ie, ii, P22, P21e, P21i, drive, P20,
                        i_inj, has_inj, P11e, P11i, active_from, v_thresh, v_reset, varied):
    # views of the chunk, indexed from 0: a loop over range(lo, hi) is not vectorized
    in_e, in_i, spiking = inputs[0][lo:hi], inputs[1][lo:hi], spiking[lo:hi]
    v, ie, ii, i_inj, active_from = v[lo:hi], ie[lo:hi], ii[lo:hi], i_inj[lo:hi], active_from[lo:hi]
    # (``varied`` None: the parameters are uniform, and Numba prunes the per-neuron
    # loop below: half the kernel's one-time compilation, ~1 s, for most networks)
    if varied is None or P22.size == 1:
        # uniform parameters (see kernels.uniform_parameters): scalars, so that the loop
        # loads only the state (2.5x faster for 4000 cells than nine more arrays)
        P22, P21e, P21i, drive, P20 = P22[0], P21e[0], P21i[0], drive[0], P20[0]
        P11e, P11i, v_thresh, v_reset = P11e[0], P11i[0], v_thresh[0], v_reset[0]
        for j in range(v.size):
            v[j], ie[j], ii[j], spiking[j] = _lif_curr_exp_neuron(
                v[j], ie[j], ii[j], in_e[j], in_i[j], active_from[j] <= k,
                i_inj[j] if has_inj else 0.0, has_inj, P22, P21e, P21i, drive, P20, P11e,
                P11i, v_thresh, v_reset)
            in_e[j] = 0.0
            in_i[j] = 0.0
        return
    P22, P21e, P21i, drive, P20 = P22[lo:hi], P21e[lo:hi], P21i[lo:hi], drive[lo:hi], P20[lo:hi]
    P11e, P11i, v_thresh, v_reset = P11e[lo:hi], P11i[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    for j in range(v.size):
        v[j], ie[j], ii[j], spiking[j] = _lif_curr_exp_neuron(
            v[j], ie[j], ii[j], in_e[j], in_i[j], active_from[j] <= k,
            i_inj[j] if has_inj else 0.0, has_inj, P22[j], P21e[j], P21i[j], drive[j],
            P20[j], P11e[j], P11i[j], v_thresh[j], v_reset[j])
        in_e[j] = 0.0
        in_i[j] = 0.0


def lif_curr_exp(k, inputs, v, ie, ii, P22, P21e, P21i, drive, P20, i_inj, has_inj,
                 P11e, P11i, active_from, refractory, v_thresh, v_reset, varied, scratch,
                 n_chunks=1):
    """``varied``: None where the parameters are uniform (one-element arrays, see
    kernels.uniform_parameters), else True."""
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        # typed as in the chunk loop (int64, not Numba's literal 0 and 1): one compilation
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _lif_curr_exp_range(lo, hi, spiking, k, inputs, v, ie, ii, P22, P21e, P21i, drive,
                            P20, i_inj, has_inj, P11e, P11i, active_from, v_thresh, v_reset,
                            varied)
    else:
        for c in prange(n_chunks):
            lo, hi = _chunk(c, v.size, n_chunks)
            _lif_curr_exp_range(lo, hi, spiking, k, inputs, v, ie, ii, P22, P21e, P21i, drive,
                                P20, i_inj, has_inj, P11e, P11i, active_from, v_thresh,
                                v_reset, varied)
    return _spikes(k, spiking, active_from, refractory, scratch)


def _lif_curr_alpha_range(lo, hi, spiking, k, inputs, v, ie, ii, die, dii, P22, P21e, P21i,
                          P31e, P31i, drive, P20, i_inj, has_inj, P11e, P11i, scale_e,
                          scale_i, dt, active_from, v_thresh, v_reset):
    in_e, in_i, spiking = inputs[0][lo:hi], inputs[1][lo:hi], spiking[lo:hi]
    v, ie, ii, die, dii = v[lo:hi], ie[lo:hi], ii[lo:hi], die[lo:hi], dii[lo:hi]
    P22, P21e, P21i, P31e, P31i = P22[lo:hi], P21e[lo:hi], P21i[lo:hi], P31e[lo:hi], P31i[lo:hi]
    drive, P20, i_inj = drive[lo:hi], P20[lo:hi], i_inj[lo:hi]
    P11e, P11i = P11e[lo:hi], P11i[lo:hi]
    scale_e, scale_i = scale_e[lo:hi], scale_i[lo:hi]
    active_from, v_thresh, v_reset = active_from[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += ie[j] * P21e[j]
        v_new += die[j] * P31e[j]
        v_new += ii[j] * P21i[j]
        v_new += dii[j] * P31i[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        vj = v_new if active_from[j] <= k else v[j]
        ie[j] = (ie[j] + dt * die[j]) * P11e[j]
        die[j] = die[j] * P11e[j] + in_e[j] * scale_e[j]
        ii[j] = (ii[j] + dt * dii[j]) * P11i[j]
        dii[j] = dii[j] * P11i[j] + in_i[j] * scale_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj


def lif_curr_alpha(k, inputs, v, ie, ii, die, dii, P22, P21e, P21i, P31e, P31i, drive,
                   P20, i_inj, has_inj, P11e, P11i, scale_e, scale_i, dt,
                   active_from, refractory, v_thresh, v_reset, scratch, n_chunks=1):
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _lif_curr_alpha_range(lo, hi, spiking, k, inputs, v, ie, ii, die, dii, P22, P21e,
                              P21i, P31e, P31i, drive, P20, i_inj, has_inj, P11e, P11i,
                              scale_e, scale_i, dt, active_from, v_thresh, v_reset)
    else:
        for c in prange(n_chunks):
            lo, hi = _chunk(c, v.size, n_chunks)
            _lif_curr_alpha_range(lo, hi, spiking, k, inputs, v, ie, ii, die, dii, P22, P21e,
                                  P21i, P31e, P31i, drive, P20, i_inj, has_inj, P11e, P11i,
                                  scale_e, scale_i, dt, active_from, v_thresh, v_reset)
    return _spikes(k, spiking, active_from, refractory, scratch)


def _lif_curr_delta_range(lo, hi, spiking, k, inputs, v, P22, drive, P20, i_inj, has_inj,
                          active_from, v_thresh, v_reset):
    in_e, in_i, spiking = inputs[0][lo:hi], inputs[1][lo:hi], spiking[lo:hi]
    v, P22, drive, P20, i_inj = v[lo:hi], P22[lo:hi], drive[lo:hi], P20[lo:hi], i_inj[lo:hi]
    active_from, v_thresh, v_reset = active_from[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        v_new += in_e[j]
        v_new += in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        # input arriving while refractory is discarded (as NEST's iaf_psc_delta)
        vj = v_new if active_from[j] <= k else v[j]
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj


def lif_curr_delta(k, inputs, v, P22, drive, P20, i_inj, has_inj,
                   active_from, refractory, v_thresh, v_reset, scratch, n_chunks=1):
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _lif_curr_delta_range(lo, hi, spiking, k, inputs, v, P22, drive, P20, i_inj,
                              has_inj, active_from, v_thresh, v_reset)
    else:
        for c in prange(n_chunks):
            lo, hi = _chunk(c, v.size, n_chunks)
            _lif_curr_delta_range(lo, hi, spiking, k, inputs, v, P22, drive, P20, i_inj,
                                  has_inj, active_from, v_thresh, v_reset)
    return _spikes(k, spiking, active_from, refractory, scratch)


def _izhikevich_range(lo, hi, spiking, k, inputs, v, u, h, I, i_inj, has_inj, h_a, b, c, d,
                      v_peak):
    in_e, in_i, spiking = inputs[0][lo:hi], inputs[1][lo:hi], spiking[lo:hi]
    v, u, I, i_inj, h_a = v[lo:hi], u[lo:hi], I[lo:hi], i_inj[lo:hi], h_a[lo:hi]
    b, c, d = b[lo:hi], c[lo:hi], d[lo:hi]
    for j in range(v.size):
        current = I[j] + 1000.0 * i_inj[j] if has_inj else I[j]
        vj = v[j]
        uj = u[j]
        dv = h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + current)
        uj = uj + h_a[j] * (b[j] * vj - uj)
        vj = vj + dv
        vj += in_e[j]
        vj += in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        spike = vj >= v_peak
        spiking[j] = spike
        v[j] = c[j] if spike else vj
        u[j] = uj + d[j] if spike else uj


def izhikevich(k, inputs, v, u, h, I, i_inj, has_inj, h_a, b, c, d, v_peak, scratch,
               n_chunks=1):
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _izhikevich_range(lo, hi, spiking, k, inputs, v, u, h, I, i_inj, has_inj, h_a, b,
                          c, d, v_peak)
    else:
        for chunk in prange(n_chunks):
            lo, hi = _chunk(chunk, v.size, n_chunks)
            _izhikevich_range(lo, hi, spiking, k, inputs, v, u, h, I, i_inj, has_inj, h_a, b,
                              c, d, v_peak)
    return _flagged(spiking, scratch)


#: the injected current of a group no current source targets (never read)
NO_INJECTION = np.zeros(0)


# --- conductance-based LIF (lif.py's _LIFCondBase: one RK4 step, exact conductances) ---
#
# The NumPy step redoes a stiff neuron's step with the adaptive dopri5 (np.exp at
# run time, vectorized over the stiff neurons): that is not reproduced here. Before
# touching any state, the kernels look for neurons the NumPy step could find stiff
# and, if there is one, *decline* the step (return DECLINED): the caller then runs
# the NumPy step (same bits by construction). The look is a superset of the NumPy
# test: no shortcut by the group-wide bound, and the error estimate compared with
# DECLINE_MARGIN * TOLERANCE, so that the last bits of ``z ** 5`` (libm's pow here,
# NumPy's own there) cannot make the two disagree.

#: returned by a kernel that declines a step (a local index is never negative)
DECLINED = np.full(1, -1, np.int64)
#: the fraction of the NumPy step's stiffness tolerance at which a kernel declines
DECLINE_MARGIN = 0.99


def declined(spiked):
    """Whether a kernel's result is DECLINED (the caller must run the NumPy step)."""
    return spiked.size == 1 and spiked[0] < 0


def _cond_stiff(k, v, ge, gi, dge, dgi, alpha, leak_drive, g_leak, inv_cm, e_rev_E,
                e_rev_I, i_inj, has_inj, dt, z_rk4, tolerance, active_from):
    """Whether some active neuron's step may be stiff for _LIFCondBase._stiff_neurons."""
    for j in range(v.size):
        total = g_leak[j] + ge[j]
        total += gi[j]
        if alpha is not None:
            # (g + t dg) e^(-t/tau) <= g + dg * t: LIFCondAlpha._max_conductance
            total = total + dt * (max(dge[j], 0.0) + max(dgi[j], 0.0))
        z = total * inv_cm[j]
        z *= dt
        if not z > z_rk4 or active_from[j] > k:
            continue
        drive = leak_drive[j] + i_inj[j] if has_inj else leak_drive[j]
        v_inf = (drive + ge[j] * e_rev_E[j] + gi[j] * e_rev_I[j]) / (g_leak[j] + ge[j] + gi[j])
        vj = v[j]
        distance = max(abs(vj - v_inf), max(abs(vj - e_rev_E[j]), abs(vj - e_rev_I[j])))
        error = z ** 5.0 / 120.0 * distance
        if error > DECLINE_MARGIN * tolerance:
            return True
    return False


def _cond_derivative(drive, g_e, Ee, g_i, Ei, gl, inv_cm, vj):
    # lif.py's derivatives(): total = gl + g_e; total += g_i; the sum in its order
    total = gl + g_e
    total += g_i
    return (drive + g_e * Ee + g_i * Ei - total * vj) * inv_cm


def _lif_cond_range(lo, hi, spiking, alpha, k, inputs, v, ge, gi, dge, dgi, de1, de2, di1,
                    di2, scale_e, scale_i, leak_drive, g_leak, inv_cm, e_rev_E, e_rev_I,
                    i_inj, has_inj, dt, active_from, v_thresh, v_reset):
    """One RK4 step (conductances.rk4, substeps = 1) of neurons lo .. hi - 1; ``alpha``:
    True for alpha-shaped conductances (AlphaConductances), None for exponential ones
    (None, not False: Numba prunes the branches of a None argument, so IF_cond_exp
    compiles no alpha code, and IF_cond_alpha no exponential code)."""
    in_e, in_i, spiking = inputs[0][lo:hi], inputs[1][lo:hi], spiking[lo:hi]
    v, ge, gi, dge, dgi = v[lo:hi], ge[lo:hi], gi[lo:hi], dge[lo:hi], dgi[lo:hi]
    de1, de2, di1, di2 = de1[lo:hi], de2[lo:hi], di1[lo:hi], di2[lo:hi]
    scale_e, scale_i = scale_e[lo:hi], scale_i[lo:hi]
    leak_drive, g_leak = leak_drive[lo:hi], g_leak[lo:hi]
    inv_cm, e_rev_E, e_rev_I, i_inj = inv_cm[lo:hi], e_rev_E[lo:hi], e_rev_I[lo:hi], i_inj[lo:hi]
    active_from, v_thresh, v_reset = active_from[lo:hi], v_thresh[lo:hi], v_reset[lo:hi]
    half_h, h, h6 = 0.5 * dt, dt, dt / 6.0     # conductances.rk4's, substeps = 1
    # AlphaConductances' offsets j * (0.5 dt / substeps), j = 1, 2
    t1, t2 = 1.0 * (0.5 * dt), 2.0 * (0.5 * dt)
    for j in range(v.size):
        drive = leak_drive[j] + i_inj[j] if has_inj else leak_drive[j]
        gl, icm, Ee, Ei = g_leak[j], inv_cm[j], e_rev_E[j], e_rev_I[j]
        g0e, g0i = ge[j], gi[j]
        if alpha is not None:
            d0e, d0i = dge[j], dgi[j]
            ghe, ghi = (g0e + t1 * d0e) * de1[j], (g0i + t1 * d0i) * di1[j]
            g1e, g1i = (g0e + t2 * d0e) * de2[j], (g0i + t2 * d0i) * di2[j]
        else:
            ghe, ghi = g0e * de1[j], g0i * di1[j]
            g1e, g1i = g0e * de2[j], g0i * di2[j]
        a = v[j]
        k1 = _cond_derivative(drive, g0e, Ee, g0i, Ei, gl, icm, a)
        k2 = _cond_derivative(drive, ghe, Ee, ghi, Ei, gl, icm, a + half_h * k1)
        k3 = _cond_derivative(drive, ghe, Ee, ghi, Ei, gl, icm, a + half_h * k2)
        k4 = _cond_derivative(drive, g1e, Ee, g1i, Ei, gl, icm, a + h * k3)
        v_new = a + h6 * (k1 + 2.0 * (k2 + k3) + k4)
        vj = v_new if active_from[j] <= k else a
        if alpha is not None:
            ge[j] = g1e
            gi[j] = g1i
            dge[j] = d0e * de2[j] + in_e[j] * scale_e[j]
            dgi[j] = d0i * di2[j] + in_i[j] * scale_i[j]
            in_e[j] = 0.0
            in_i[j] = 0.0
        else:
            ge[j] = g1e + in_e[j]
            gi[j] = g1i + in_i[j]
            in_e[j] = 0.0
            in_i[j] = 0.0
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj


def _lif_cond(alpha, k, inputs, v, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e, scale_i,
              leak_drive, g_leak, inv_cm, e_rev_E, e_rev_I, i_inj, has_inj, dt, z_rk4,
              tolerance, active_from, refractory, v_thresh, v_reset, scratch, n_chunks):
    if _cond_stiff(k, v, ge, gi, dge, dgi, alpha, leak_drive, g_leak, inv_cm, e_rev_E,
                   e_rev_I, i_inj, has_inj, dt, z_rk4, tolerance, active_from):
        return DECLINED.copy()
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _lif_cond_range(lo, hi, spiking, alpha, k, inputs, v, ge, gi, dge, dgi, de1, de2,
                        di1, di2, scale_e, scale_i, leak_drive, g_leak, inv_cm, e_rev_E,
                        e_rev_I, i_inj, has_inj, dt, active_from, v_thresh, v_reset)
    else:
        for c in prange(n_chunks):
            lo, hi = _chunk(c, v.size, n_chunks)
            _lif_cond_range(lo, hi, spiking, alpha, k, inputs, v, ge, gi, dge, dgi, de1, de2,
                            di1, di2, scale_e, scale_i, leak_drive, g_leak, inv_cm, e_rev_E,
                            e_rev_I, i_inj, has_inj, dt, active_from, v_thresh, v_reset)
    return _spikes(k, spiking, active_from, refractory, scratch)


def lif_cond_exp(k, inputs, v, ge, gi, de1, de2, di1, di2, leak_drive, g_leak, inv_cm,
                 e_rev_E, e_rev_I, i_inj, has_inj, dt, z_rk4, tolerance,
                 active_from, refractory, v_thresh, v_reset, scratch, n_chunks=1):
    # (ge, gi stand in for the alpha model's dge, dgi, and de1, di1 for its scales:
    # never read with alpha None)
    return _lif_cond(None, k, inputs, v, ge, gi, ge, gi, de1, de2, di1, di2, de1, di1,
                     leak_drive, g_leak, inv_cm, e_rev_E, e_rev_I, i_inj, has_inj, dt, z_rk4,
                     tolerance, active_from, refractory, v_thresh, v_reset, scratch, n_chunks)


def lif_cond_alpha(k, inputs, v, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e, scale_i,
                   leak_drive, g_leak, inv_cm, e_rev_E, e_rev_I, i_inj, has_inj, dt,
                   z_rk4, tolerance, active_from, refractory, v_thresh, v_reset, scratch,
                   n_chunks=1):
    return _lif_cond(True, k, inputs, v, ge, gi, dge, dgi, de1, de2, di1, di2, scale_e,
                     scale_i, leak_drive, g_leak, inv_cm, e_rev_E, e_rev_I, i_inj, has_inj, dt,
                     z_rk4, tolerance, active_from, refractory, v_thresh, v_reset, scratch,
                     n_chunks)


# --- Hodgkin-Huxley (hh.py's HodgkinHuxley: RK4 in 2 or 4 sub-steps) ----------------
#
# Not bit for bit: the NumPy step's expm1 is NumPy's own (SIMD) implementation, the
# kernel's is the C library's; they may differ in the last bit, and the difference
# grows along a trajectory (tests/test_kernels.py states the tolerance). Everything
# else is the NumPy step's arithmetic in its order. A stiff step (hh.py's
# _stiff_neurons) is declined to the NumPy step, as for the conductance-based LIF.

def _x_over_expm1(x, e):
    """x / expm1(x) given e = expm1(x), continuous at 0 (hh.py's _x_over_expm1)."""
    q = x / e
    if np.isfinite(q):
        return q
    if abs(x) < 1e-6:
        return 1.0 - 0.5 * x
    return x / e


def _hh_derivatives(vm, m, h, n, g_e, g_i, leak_drive, gNa, gK, gL, ENa, EK, Ee, Ei, inv_cm,
                    VT):
    """(dv, dm, dh, dn) of hh.py's derivatives(), with its _batched_rates."""
    n2 = n * n
    g_na = gNa * (m * m * m * h)
    g_k = gK * (n2 * n2)
    dv = (leak_drive + g_na * ENa + g_k * EK + g_e * Ee + g_i * Ei
          - (g_na + g_k + gL + g_e + g_i) * vm) * inv_cm
    V = vm - VT
    x0 = 13.0 / 4.0 + (-1.0 / 4.0) * V
    x1 = 15.0 / 5.0 + (-1.0 / 5.0) * V
    x2 = -40.0 / 5.0 + (1.0 / 5.0) * V
    x3 = 17.0 / 18.0 + (-1.0 / 18.0) * V
    x4 = 10.0 / 40.0 + (-1.0 / 40.0) * V
    x5 = 40.0 / 5.0 + (-1.0 / 5.0) * V
    alpha_m = _x_over_expm1(x0, np.expm1(x0)) * 1.28
    alpha_n = _x_over_expm1(x1, np.expm1(x1)) * 0.16
    beta_m = _x_over_expm1(x2, np.expm1(x2)) * 1.4
    alpha_h = (np.expm1(x3) + 1.0) * 0.128
    beta_n = (np.expm1(x4) + 1.0) * 0.5
    beta_h = (1.0 / (np.expm1(x5) + 2.0)) * 4.0
    dm = alpha_m - (alpha_m + beta_m) * m
    dh = alpha_h - (alpha_h + beta_h) * h
    dn = alpha_n - (alpha_n + beta_n) * n
    return dv, dm, dh, dn


def _hh_range(lo, hi, spiking, k, inputs, n_sub, v, m, h, n, ge, gi, decay_e, decay_i,
              i_offset, i_inj, has_inj, gNa, gK, gL, ENa, EK, ELeak, Ee, Ei, inv_cm, VT, dt,
              detect_from):
    in_e, in_i = inputs[0], inputs[1]
    step = dt / n_sub
    half = 0.5 * step
    sixth = step / 6.0
    last = 2 * n_sub
    for j in range(lo, hi):
        drive = i_offset[j] + i_inj[j] if has_inj else i_offset[j]
        leak_drive = drive + gL[j] * ELeak[j]
        ge0, gi0 = ge[j], gi[j]
        v_old = v[j]
        y0, y1, y2, y3 = v[j], m[j], h[j], n[j]
        for s in range(n_sub):
            g0e, g0i = ge0 * decay_e[2 * s, j], gi0 * decay_i[2 * s, j]
            ghe, ghi = ge0 * decay_e[2 * s + 1, j], gi0 * decay_i[2 * s + 1, j]
            g1e, g1i = ge0 * decay_e[2 * s + 2, j], gi0 * decay_i[2 * s + 2, j]
            a0, a1, a2, a3 = _hh_derivatives(y0, y1, y2, y3, g0e, g0i, leak_drive, gNa[j],
                                             gK[j], gL[j], ENa[j], EK[j], Ee[j], Ei[j],
                                             inv_cm[j], VT[j])
            b0, b1, b2, b3 = _hh_derivatives(y0 + half * a0, y1 + half * a1, y2 + half * a2,
                                             y3 + half * a3, ghe, ghi, leak_drive, gNa[j],
                                             gK[j], gL[j], ENa[j], EK[j], Ee[j], Ei[j],
                                             inv_cm[j], VT[j])
            c0, c1, c2, c3 = _hh_derivatives(y0 + half * b0, y1 + half * b1, y2 + half * b2,
                                             y3 + half * b3, ghe, ghi, leak_drive, gNa[j],
                                             gK[j], gL[j], ENa[j], EK[j], Ee[j], Ei[j],
                                             inv_cm[j], VT[j])
            d0, d1, d2, d3 = _hh_derivatives(y0 + step * c0, y1 + step * c1, y2 + step * c2,
                                             y3 + step * c3, g1e, g1i, leak_drive, gNa[j],
                                             gK[j], gL[j], ENa[j], EK[j], Ee[j], Ei[j],
                                             inv_cm[j], VT[j])
            y0 = y0 + sixth * (a0 + 2.0 * (b0 + c0) + d0)
            y1 = y1 + sixth * (a1 + 2.0 * (b1 + c1) + d1)
            y2 = y2 + sixth * (a2 + 2.0 * (b2 + c2) + d2)
            y3 = y3 + sixth * (a3 + 2.0 * (b3 + c3) + d3)
        v[j], m[j], h[j], n[j] = y0, y1, y2, y3
        ge[j] = ge0 * decay_e[last, j] + in_e[j]
        gi[j] = gi0 * decay_i[last, j] + in_i[j]
        in_e[j] = 0.0
        in_i[j] = 0.0
        spiking[j] = (y0 >= VT[j] + 30.0) and (v_old > y0) and (detect_from[j] <= k)


def hodgkin_huxley(k, inputs, v, m, h, n, ge, gi, decay_busy_e, decay_busy_i, decay_quiet_e,
                   decay_quiet_i, busy_sub, quiet_sub, quiet_below, z_rk4, i_offset, i_inj,
                   has_inj, gNa, gK, gL, ENa, EK, ELeak, Ee, Ei, inv_cm, VT, dt, detect_from,
                   refractory_steps, scratch, n_chunks=1):
    # the group's sub-steps: QUIET_SUBSTEPS while every cell is below v_offset + QUIET_BELOW
    quiet = quiet_sub != busy_sub
    if quiet:
        for j in range(v.size):
            if not v[j] < VT[j] + quiet_below:
                quiet = False
                break
    n_sub = quiet_sub if quiet else busy_sub
    # a stiff neuron (hh.py's _stiff_neurons): the NumPy step integrates it adaptively
    for j in range(v.size):
        n2 = n[j] * n[j]
        g = gNa[j] * (m[j] * m[j] * m[j] * h[j]) + gK[j] * (n2 * n2)
        g += gL[j]
        g += ge[j] + gi[j]
        z = g * inv_cm[j]
        z *= dt / n_sub
        if z > z_rk4:
            return DECLINED.copy()
    decay_e = decay_quiet_e if quiet else decay_busy_e
    decay_i = decay_quiet_i if quiet else decay_busy_i
    spiking = _flags(v.size)
    if n_chunks == 1 or SERIAL:
        lo, hi = _chunk(np.int64(0), v.size, np.int64(1))
        _hh_range(lo, hi, spiking, k, inputs, n_sub, v, m, h, n, ge, gi, decay_e, decay_i,
                  i_offset, i_inj, has_inj, gNa, gK, gL, ENa, EK, ELeak, Ee, Ei, inv_cm, VT,
                  dt, detect_from)
    else:
        for c in prange(n_chunks):
            lo, hi = _chunk(c, v.size, n_chunks)
            _hh_range(lo, hi, spiking, k, inputs, n_sub, v, m, h, n, ge, gi, decay_e,
                      decay_i, i_offset, i_inj, has_inj, gNa, gK, gL, ENa, EK, ELeak, Ee, Ei,
                      inv_cm, VT, dt, detect_from)
    count = 0
    for j in range(v.size):
        if spiking[j]:
            detect_from[j] = k + 1 + refractory_steps
            scratch[count] = j
            count += 1
    return scratch[:count].copy()
