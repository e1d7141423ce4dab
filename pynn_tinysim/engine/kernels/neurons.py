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


def _spikes(k, spiking, active_from, refractory, scratch):
    """The neurons flagged in ``spiking``, ascending; they are refractory until
    k + 1 + their refractory steps."""
    count = 0
    for j in range(spiking.size):
        if spiking[j]:
            active_from[j] = k + 1 + refractory[j]
            scratch[count] = j
            count += 1
    return scratch[:count].copy()


# In the loops below every neuron's update is branch-free (selects, not jumps), so
# the compiler can vectorize them; the spiking neurons are collected afterwards.

def lif_curr_exp(k, inputs, v, ie, ii, P22, P21e, P21i, drive, P20, i_inj, has_inj,
                 P11e, P11i, active_from, refractory, v_thresh, v_reset, scratch):
    spiking = np.empty(v.size, np.bool_)
    in_e, in_i = inputs[0], inputs[1]
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += ie[j] * P21e[j]
        v_new += ii[j] * P21i[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        vj = v_new if active_from[j] <= k else v[j]
        ie[j] = ie[j] * P11e[j] + in_e[j]
        ii[j] = ii[j] * P11i[j] + in_i[j]
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj
    return _spikes(k, spiking, active_from, refractory, scratch)


def lif_curr_alpha(k, inputs, v, ie, ii, die, dii, P22, P21e, P21i, P31e, P31i, drive,
                   P20, i_inj, has_inj, P11e, P11i, scale_e, scale_i, dt,
                   active_from, refractory, v_thresh, v_reset, scratch):
    spiking = np.empty(v.size, np.bool_)
    in_e, in_i = inputs[0], inputs[1]
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
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj
    return _spikes(k, spiking, active_from, refractory, scratch)


def lif_curr_delta(k, inputs, v, P22, drive, P20, i_inj, has_inj,
                   active_from, refractory, v_thresh, v_reset, scratch):
    spiking = np.empty(v.size, np.bool_)
    in_e, in_i = inputs[0], inputs[1]
    for j in range(v.size):
        v_new = v[j] * P22[j]
        v_new += drive[j]
        if has_inj:
            v_new += i_inj[j] * P20[j]
        v_new += in_e[j]
        v_new += in_i[j]
        # input arriving while refractory is discarded (as NEST's iaf_psc_delta)
        vj = v_new if active_from[j] <= k else v[j]
        spike = vj >= v_thresh[j]
        spiking[j] = spike
        v[j] = v_reset[j] if spike else vj
    return _spikes(k, spiking, active_from, refractory, scratch)


def izhikevich(k, inputs, v, u, h, I, i_inj, has_inj, h_a, b, c, d, v_peak, scratch):
    spiking = np.empty(v.size, np.bool_)
    in_e, in_i = inputs[0], inputs[1]
    for j in range(v.size):
        current = I[j] + 1000.0 * i_inj[j] if has_inj else I[j]
        vj = v[j]
        uj = u[j]
        dv = h * (0.04 * vj * vj + 5.0 * vj + 140.0 - uj + current)
        uj = uj + h_a[j] * (b[j] * vj - uj)
        vj = vj + dv
        vj += in_e[j]
        vj += in_i[j]
        spike = vj >= v_peak
        spiking[j] = spike
        v[j] = c[j] if spike else vj
        u[j] = uj + d[j] if spike else uj
    count = 0
    for j in range(v.size):
        if spiking[j]:
            scratch[count] = j
            count += 1
    return scratch[:count].copy()


#: the injected current of a group no current source targets (never read)
NO_INJECTION = np.zeros(0)
