"""Neuron-group steps, one neuron at a time, for Numba (see :mod:`.`).

Each function is the step of one model family's NumPy code (:mod:`..lif`,
:mod:`..izhikevich`) written as a loop over neurons: the same floating-point
operations in the same order for every neuron, so compiled they give the same
bits. Propagators and parameters come in as arrays, one entry per neuron;
``inputs`` is the group's (receptors, size) block of the ring-buffer row due now;
``i_inj`` is the injected current (read only when ``has_inj``). Every step
returns the local indices of the neurons that spiked, in increasing order, as a
new array (recorders keep it); ``scratch`` is an int64 work array of the group's size.

The LIF steps also do threshold, reset and refractoriness as ``LIFBase`` does:
a neuron is integrated only from step ``active_from``; one that reaches
``v_thresh`` is set to ``v_reset`` and ``active_from`` becomes k + 1 + its
refractory steps.
"""

import numpy as np


def lif_curr_exp(k, inputs, v, ie, ii, P22, P21e, P21i, drive, P20, i_inj, has_inj,
                 P11e, P11i, active_from, refractory, v_thresh, v_reset, scratch):
    count = 0
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += ie[j] * P21e[j]
        v_new += ii[j] * P21i[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        if active_from[j] <= k:
            v[j] = v_new
        ie[j] = ie[j] * P11e[j] + inputs[0, j]
        ii[j] = ii[j] * P11i[j] + inputs[1, j]
        if v[j] >= v_thresh[j]:
            v[j] = v_reset[j]
            active_from[j] = k + 1 + refractory[j]
            scratch[count] = j
            count += 1
    return scratch[:count].copy()


def lif_curr_alpha(k, inputs, v, ie, ii, die, dii, P22, P21e, P21i, P31e, P31i, drive,
                   P20, i_inj, has_inj, P11e, P11i, scale_e, scale_i, dt,
                   active_from, refractory, v_thresh, v_reset, scratch):
    count = 0
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += ie[j] * P21e[j]
        v_new += die[j] * P31e[j]
        v_new += ii[j] * P21i[j]
        v_new += dii[j] * P31i[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        if active_from[j] <= k:
            v[j] = v_new
        ie[j] = (ie[j] + dt * die[j]) * P11e[j]
        die[j] = die[j] * P11e[j] + inputs[0, j] * scale_e[j]
        ii[j] = (ii[j] + dt * dii[j]) * P11i[j]
        dii[j] = dii[j] * P11i[j] + inputs[1, j] * scale_i[j]
        if v[j] >= v_thresh[j]:
            v[j] = v_reset[j]
            active_from[j] = k + 1 + refractory[j]
            scratch[count] = j
            count += 1
    return scratch[:count].copy()


def lif_curr_delta(k, inputs, v, P22, drive, P20, i_inj, has_inj,
                   active_from, refractory, v_thresh, v_reset, scratch):
    count = 0
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        v_new += inputs[0, j]
        v_new += inputs[1, j]
        # input arriving while refractory is discarded (as NEST's iaf_psc_delta)
        if active_from[j] <= k:
            v[j] = v_new
        if v[j] >= v_thresh[j]:
            v[j] = v_reset[j]
            active_from[j] = k + 1 + refractory[j]
            scratch[count] = j
            count += 1
    return scratch[:count].copy()


def izhikevich(k, inputs, v, u, h, I, i_inj, has_inj, h_a, b, c, d, v_peak, scratch):
    count = 0
    for j in range(v.size):
        current = I[j] + 1000.0 * i_inj[j] if has_inj else I[j]
        vj = v[j]
        uj = u[j]
        dv = h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + current)
        u[j] = uj + h_a[j] * (b[j] * vj - uj)
        vj = vj + dv
        vj += inputs[0, j]
        vj += inputs[1, j]
        if vj >= v_peak:
            vj = c[j]
            u[j] += d[j]
            scratch[count] = j
            count += 1
        v[j] = vj
    return scratch[:count].copy()


#: the injected current of a group no current source targets (never read)
NO_INJECTION = np.zeros(0)
