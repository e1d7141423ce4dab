"""The sPyNNaker flavour's neuron tick, one neuron at a time, for Numba (see :mod:`.`).

:class:`..spinnaker.groups.SpiNNakerNeuronGroup` composes a tick from four
components (neuron model, synapse type, input type, threshold type) and runs it
on NumPy arrays, in the board's s16.15 fixed point (:mod:`..spinnaker.fixed_point`)
or in float64. The two kernels here run the same tick for the components most
models are made of, chosen per group by integer codes:

==============  ==============================================================
``neuron``      0: LeakyIntegrateAndFire, 1: TruncatedIntegrateAndFire, 2: Izhikevich
``synapse``     0: Exponential (two or three receptors: also dual exponential), 1: Delta
``input_kind``  0: CurrentInput, 1: ConductanceInput, 2: DeltaInput
==============  ==============================================================

(the threshold is the static one, ``v >= v_thresh``; Izhikevich's fixed 30 mV comes
in as an array). :func:`spinnaker_fixed` does the fixed-point operations of the
NumPy code on int64 (the same integer products, shifts and roundings, so the same
bits; int64 wrap-around behaves the same in both), :func:`spinnaker_float` the
float64 ones in the same order (``fixed_point=False``). The group's state stays
what the NumPy code keeps: float64 values on the s16.15 grid (scaled by the input
type's weight scale for the synaptic state), loaded and stored per neuron as the
NumPy code loads and stores whole arrays.

Arguments (both kernels; the group's ``compiled_kernel`` builds them):
``syn``, ``dec``, ``init``: tuples of three arrays, one per receptor (padded:
``n_rec`` receptors are used); ``inhibitory[r]``: receptor r's input is
subtracted; ``sat``: the ring-buffer saturation level (receptors, size), fixed
point only; ``par``: a tuple of eight parameter arrays whose meaning depends on
``neuron`` (:func:`..spinnaker.groups.SpiNNakerNeuronGroup.compiled_kernel`
lists them); ``con``: five constants of the Izhikevich model. The tick returns
the local indices of the neurons that spiked, ascending (as :mod:`.neurons`).
"""

import numpy as np

from . import neurons

ONE = 32768.0       # 1.0 in s16.15 (fixed_point.ONE), as the float the NumPy code multiplies by


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


def _fixed_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory,
                 sat, scale, dec, init, synapse, input_kind, e_rev_e, e_rev_i, delta_scale,
                 neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj):
    for j in range(lo, hi):
        vj = _to_fix(v[j])
        exc = np.int64(0)
        inh = np.int64(0)
        g_exc = np.int64(0)
        g_inh = np.int64(0)
        first_exc = True
        first_inh = True
        for r in range(n_rec):
            w = inputs[r, j]
            s = sat[r, j]
            w = w if w <= s else s                       # np.minimum(inputs, saturation)
            x = _to_fix(syn[r][j] * scale) + (_decay(_to_fix(w * scale), init[r][j])
                                              if synapse == 0 else _to_fix(w * scale))
            value = x >> 10 if input_kind == 1 else x
            # the stored state decays after the tick (shape, store)
            syn[r][j] = ((_decay(x, dec[r][j]) if synapse == 0 else 0) / ONE) / scale
            if inhibitory[r]:
                if input_kind == 1:
                    current = _mul(-value, e_rev_i[j] - vj)
                elif input_kind == 2:
                    current = _mul(value, delta_scale)
                else:
                    current = value
                inh = current if first_inh else inh + current
                g_inh = value if first_inh else g_inh + value
                first_inh = False
            else:
                if input_kind == 1:
                    current = _mul(value, e_rev_e[j] - vj)
                elif input_kind == 2:
                    current = _mul(value, delta_scale)
                else:
                    current = value
                exc = current if first_exc else exc + current
                g_exc = value if first_exc else g_exc + value
                first_exc = False
        gsyn_e[j] = g_exc / ONE
        gsyn_i[j] = g_inh / ONE
        # the neuron model: current = synaptic + i_offset + injected
        current = exc - inh + par[0][j]
        if has_inj:
            current = current + _to_fix(i_inj[j])
        if neuron == 2:
            # Izhikevich: par = (i_offset, a, b, c, d, v_thresh); con = (reset_h,
            # post_spike_h, magic, 140, 5)
            uj = _to_fix(u[j])
            h = _to_fix(this_h[j])
            a = par[1][j]
            b = par[2][j]
            pre_alpha = con[3] + current - uj
            alpha = pre_alpha + _mul(con[4] + _mul(con[2], vj), vj)
            eta = vj + (_mul(h, alpha) >> 1)
            beta = _mul(_mul(h, _mul(b, vj) - uj), a) >> 1
            v_new = vj + _mul(h, pre_alpha - beta + _mul(con[4] + _mul(con[2], eta), eta))
            u_new = uj + _mul(_mul(a, h), -uj - beta + _mul(b, eta))
            h = con[0]
            spike = v_new >= par[5][j]
            if spike:
                v_new = par[3][j]
                u_new += par[4][j]
                h = con[1]
            v[j] = v_new / ONE
            u[j] = u_new / ONE
            this_h[j] = h / ONE
        else:
            # LIF: par = (i_offset, v_rest, v_reset, r_membrane, exp_tc, v_thresh);
            # truncated: v + I R, never below v_reset
            if timer[j] <= 0:
                if neuron == 0:
                    alpha = _mul(current, par[3][j]) + par[1][j]
                    vj = alpha - _mul(par[4][j], alpha - vj)
                else:
                    vj = max(_mul(current, par[3][j]) + vj, par[2][j])
            else:
                timer[j] -= 1
            spike = vj >= par[5][j]
            if spike:
                vj = par[2][j]
                timer[j] = t_refract[j]
            v[j] = vj / ONE
        spiking[j] = spike


def _float_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory,
                 sat, scale, dec, init, synapse, input_kind, e_rev_e, e_rev_i, delta_scale,
                 neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj):
    for j in range(lo, hi):
        vj = v[j]
        exc = 0.0
        inh = 0.0
        g_exc = 0.0
        g_inh = 0.0
        first_exc = True
        first_inh = True
        for r in range(n_rec):
            w = inputs[r, j] * scale
            x = syn[r][j] * scale
            x = x + (w * init[r][j] if synapse == 0 else w)
            value = x / 1024.0 if input_kind == 1 else x
            syn[r][j] = (x * dec[r][j] if synapse == 0 else 0.0) / scale
            if inhibitory[r]:
                if input_kind == 1:
                    current = -value * (e_rev_i[j] - vj)
                elif input_kind == 2:
                    current = value * delta_scale
                else:
                    current = value
                inh = current if first_inh else inh + current
                g_inh = value if first_inh else g_inh + value
                first_inh = False
            else:
                if input_kind == 1:
                    current = value * (e_rev_e[j] - vj)
                elif input_kind == 2:
                    current = value * delta_scale
                else:
                    current = value
                exc = current if first_exc else exc + current
                g_exc = value if first_exc else g_exc + value
                first_exc = False
        gsyn_e[j] = g_exc
        gsyn_i[j] = g_inh
        current = exc - inh + par[0][j]
        if has_inj:
            current = current + i_inj[j]
        if neuron == 2:
            uj = u[j]
            h = this_h[j]
            a = par[1][j]
            b = par[2][j]
            pre_alpha = con[3] + current - uj
            alpha = pre_alpha + (con[4] + con[2] * vj) * vj
            eta = vj + (h * alpha) * 0.5
            beta = ((h * (b * vj - uj)) * a) * 0.5
            v_new = vj + h * (pre_alpha - beta + (con[4] + con[2] * eta) * eta)
            u_new = uj + (a * h) * (-uj - beta + b * eta)
            h = con[0]
            spike = v_new >= par[5][j]
            if spike:
                v_new = par[3][j]
                u_new += par[4][j]
                h = con[1]
            v[j] = v_new
            u[j] = u_new
            this_h[j] = h
        else:
            if timer[j] <= 0:
                if neuron == 0:
                    alpha = current * par[3][j] + par[1][j]
                    vj = alpha - par[4][j] * (alpha - vj)
                else:
                    vj = max(current * par[3][j] + vj, par[2][j])
            else:
                timer[j] -= 1
            spike = vj >= par[5][j]
            if spike:
                vj = par[2][j]
                timer[j] = t_refract[j]
            v[j] = vj
        spiking[j] = spike


def spinnaker_fixed(k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory, sat, scale, dec,
                    init, synapse, input_kind, e_rev_e, e_rev_i, delta_scale, neuron, par,
                    t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, scratch, n_chunks=1):
    """One tick of a flavour group in s16.15 (see the module docstring)."""
    spiking = np.empty(v.size, np.bool_)
    if n_chunks == 1:
        _fixed_range(0, v.size, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                     inhibitory, sat, scale, dec, init, synapse, input_kind, e_rev_e, e_rev_i,
                     delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj)
    else:
        for c in neurons.prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _fixed_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                         inhibitory, sat, scale, dec, init, synapse, input_kind, e_rev_e,
                         e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i,
                         i_inj, has_inj)
    return neurons._flagged(spiking, scratch)


def spinnaker_float(k, inputs, v, u, this_h, timer, syn, n_rec, inhibitory, sat, scale, dec,
                    init, synapse, input_kind, e_rev_e, e_rev_i, delta_scale, neuron, par,
                    t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj, scratch, n_chunks=1):
    """One tick of a flavour group in float64 (``fixed_point=False``)."""
    spiking = np.empty(v.size, np.bool_)
    if n_chunks == 1:
        _float_range(0, v.size, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                     inhibitory, sat, scale, dec, init, synapse, input_kind, e_rev_e, e_rev_i,
                     delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i, i_inj, has_inj)
    else:
        for c in neurons.prange(n_chunks):
            lo, hi = neurons._chunk(c, v.size, n_chunks)
            _float_range(lo, hi, spiking, k, inputs, v, u, this_h, timer, syn, n_rec,
                         inhibitory, sat, scale, dec, init, synapse, input_kind, e_rev_e,
                         e_rev_i, delta_scale, neuron, par, t_refract, con, gsyn_e, gsyn_i,
                         i_inj, has_inj)
    return neurons._flagged(spiking, scratch)
