"""Leaky integrate-and-fire model families, current- and conductance-based.

All five share NEST's grid-based update (iaf_psc_exp, iaf_psc_alpha,
iaf_psc_delta, iaf_cond_exp, iaf_cond_alpha), done for every neuron at once:

1. unless refractory, the membrane advances from t to t + dt with the synaptic
   state at t (exactly for current-based models, by RK4 for conductance-based),
   and with i_offset plus the current injected during the step (``i_inj``,
   constant over the step, see :mod:`.currents`);
2. the synaptic state decays over the step (exactly) and the input arriving at
   t + dt is added to it;
3. neurons with v >= v_thresh spike at t + dt: v is set to v_reset and held
   there for round(tau_refrac / dt) steps (v is not integrated meanwhile).

Units are PyNN's: mV, ms, nF, nA, uS.
"""

import numpy as np

from .groups import NeuronGroup
from . import propagators as prop

_E = np.e


def first_violation(bad, *arrays):
    """The values of ``arrays`` at the first True of ``bad`` (broadcast), as floats."""
    i = int(np.flatnonzero(np.broadcast_to(bad, np.broadcast(*arrays).shape))[0])
    return [float(np.broadcast_to(a, bad.shape).flat[i]) for a in arrays]


class _LIFBase(NeuronGroup):
    """Threshold, reset and refractory bookkeeping common to every LIF family."""

    @staticmethod
    def check_parameters(p):
        """NEST's model-consistency check of every iaf_* model: V_reset < V_th."""
        if "v_thresh" in p and "v_reset" in p:
            bad = np.asarray(p["v_reset"] >= p["v_thresh"])
            if bad.any():
                reset, thresh = first_violation(bad, p["v_reset"], p["v_thresh"])
                raise ValueError(
                    "Reset potential must be smaller than threshold: "
                    f"v_reset={reset!r} mV >= v_thresh={thresh!r} mV")

    def _grow_internal_state(self, n):
        # step index from which a neuron integrates again (refractory until then)
        self._active_from = np.concatenate(
            [getattr(self, "_active_from", np.zeros(0, np.int64)), np.zeros(n, np.int64)])
        self._refractory_steps = np.zeros(self.size, np.int64)

    def _reset_internal_state(self):
        self._active_from[:] = 0

    def start_run(self, first_step, n_steps, dt):
        # refractory periods in flight are kept in steps relative to the absolute step index
        pass

    def _refractory_counts(self, dt):
        # NEST: Time(ms(t_ref)).get_steps(), i.e. the period rounded to the grid
        self._refractory_steps = np.rint(self.params["tau_refrac"] / dt).astype(np.int64)

    def _active_mask(self, k):
        return self._active_from <= k

    def _spike_and_reset(self, k, v):
        spiked = np.flatnonzero(v >= self.params["v_thresh"])
        if spiked.size:
            v[spiked] = self.params["v_reset"][spiked]
            # steps k+1 .. k+R are refractory, as NEST's counter r = R counting down
            self._active_from[spiked] = k + 1 + self._refractory_steps[spiked]
        return spiked


class LIFCurrExp(_LIFBase):
    """IF_curr_exp: exponentially decaying synaptic currents (NEST iaf_psc_exp)."""

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                       "i_offset", "v_reset", "v_thresh")
    state_names = ("v", "isyn_exc", "isyn_inh")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "isyn_exc", "isyn_inh")

    def _compute_propagators(self, dt):
        p = self.params
        self._P22 = prop.membrane_decay(dt, p["tau_m"])
        self._P11e = np.exp(-dt / p["tau_syn_E"])
        self._P11i = np.exp(-dt / p["tau_syn_I"])
        self._P21e = prop.exp_current_gain(dt, p["tau_m"], p["tau_syn_E"], p["cm"])
        self._P21i = prop.exp_current_gain(dt, p["tau_m"], p["tau_syn_I"], p["cm"])
        self._P20 = P20 = prop.constant_current_gain(dt, p["tau_m"], p["cm"])
        self._drive = p["v_rest"] * (1.0 - self._P22) + p["i_offset"] * P20
        self._refractory_counts(dt)

    def step(self, k, inputs):
        s = self.state
        v, ie, ii = s["v"], s["isyn_exc"], s["isyn_inh"]
        v_new = v * self._P22
        v_new += ie * self._P21e
        v_new += ii * self._P21i
        v_new += self._drive
        if self.i_inj is not None:
            v_new += self.i_inj * self._P20
        np.copyto(v, v_new, where=self._active_mask(k))
        ie *= self._P11e
        ie += inputs[0]
        ii *= self._P11i
        ii += inputs[1]
        return self._spike_and_reset(k, v)


class LIFCurrAlpha(_LIFBase):
    """IF_curr_alpha: alpha-shaped synaptic currents, peak = weight (NEST iaf_psc_alpha).

    Each current is the state pair (I, dI) with I(t) = (I0 + dI0 t) exp(-t/tau_syn);
    an arriving weight w adds w e / tau_syn to dI, so the PSC peaks at w after tau_syn.
    """

    parameter_names = LIFCurrExp.parameter_names
    state_names = ("v", "isyn_exc", "isyn_inh", "disyn_exc", "disyn_inh")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "isyn_exc", "isyn_inh")

    def _compute_propagators(self, dt):
        # membrane, decay and I -> v propagators are those of the exponential model
        LIFCurrExp._compute_propagators(self, dt)
        p = self.params
        self._P31e = prop.alpha_derivative_gain(dt, p["tau_m"], p["tau_syn_E"], p["cm"])
        self._P31i = prop.alpha_derivative_gain(dt, p["tau_m"], p["tau_syn_I"], p["cm"])
        self._scale_e = _E / p["tau_syn_E"]
        self._scale_i = _E / p["tau_syn_I"]
        self._dt = dt

    def step(self, k, inputs):
        s = self.state
        v = s["v"]
        ie, ii, die, dii = s["isyn_exc"], s["isyn_inh"], s["disyn_exc"], s["disyn_inh"]
        v_new = v * self._P22
        v_new += ie * self._P21e
        v_new += die * self._P31e
        v_new += ii * self._P21i
        v_new += dii * self._P31i
        v_new += self._drive
        if self.i_inj is not None:
            v_new += self.i_inj * self._P20
        np.copyto(v, v_new, where=self._active_mask(k))
        # I(h) = (I + h dI) e^(-h/tau), dI(h) = dI e^(-h/tau)
        ie += self._dt * die
        ie *= self._P11e
        die *= self._P11e
        die += inputs[0] * self._scale_e
        ii += self._dt * dii
        ii *= self._P11i
        dii *= self._P11i
        dii += inputs[1] * self._scale_i
        return self._spike_and_reset(k, v)


class LIFCurrDelta(_LIFBase):
    """IF_curr_delta: each input makes v jump by its weight in mV (NEST iaf_psc_delta).

    Input arriving while the neuron is refractory is discarded, as in NEST.
    """

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "i_offset", "v_reset", "v_thresh")
    state_names = ("v",)
    receptors = ("excitatory", "inhibitory")
    recordable = ("v",)

    def _compute_propagators(self, dt):
        p = self.params
        self._P22 = prop.membrane_decay(dt, p["tau_m"])
        self._P20 = P20 = prop.constant_current_gain(dt, p["tau_m"], p["cm"])
        self._drive = p["v_rest"] * (1.0 - self._P22) + p["i_offset"] * P20
        self._refractory_counts(dt)

    def step(self, k, inputs):
        v = self.state["v"]
        v_new = v * self._P22
        v_new += self._drive
        if self.i_inj is not None:
            v_new += self.i_inj * self._P20
        v_new += inputs[0]
        v_new += inputs[1]
        np.copyto(v, v_new, where=self._active_mask(k))
        return self._spike_and_reset(k, v)


class _LIFCondBase(_LIFBase):
    """Conductance-based LIF: v integrated by classical RK4, conductances exactly.

    dv/dt = (g_L (v_rest - v) + g_e (e_rev_E - v) + g_i (e_rev_I - v) + i_offset) / cm
    with g_L = cm / tau_m. The conductances do not depend on v, so they are known
    in closed form at every RK4 stage (t, t + dt/2, t + dt); only v is
    approximated, with a local error O(dt^5): at dt = 0.1 ms, below 1e-9 mV per
    step for small conductances, up to ~1e-5 mV per step for conductances of
    ~0.2 uS (measured against a DOP853 reference at 1e-12 tolerance; NEST uses
    adaptive RKF45 with a tolerance of 1e-3). Fed the same input spikes, the VA
    COBA network's 1000 cells spike identically to NEST's iaf_cond_exp for 1 s.
    """

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                       "e_rev_E", "e_rev_I", "v_thresh", "v_reset", "i_offset")
    receptors = ("excitatory", "inhibitory")

    def _compute_common(self, dt):
        p = self.params
        self._inv_cm = 1.0 / p["cm"]
        self._g_leak = p["cm"] / p["tau_m"]
        self._leak_drive = self._g_leak * p["v_rest"] + p["i_offset"]
        self._dt = dt
        self._refractory_counts(dt)

    def _rk4(self, k, v, ge, gi):
        """Advance v by RK4 given the conductances at the stages (tuples: t, t+h/2, t+h)."""
        p = self.params
        h = self._dt
        Ee, Ei = p["e_rev_E"], p["e_rev_I"]
        gl, drive, inv_cm = self._g_leak, self._leak_drive, self._inv_cm
        if self.i_inj is not None:
            drive = drive + self.i_inj

        def slope(vs, g_e, g_i):
            return (drive + g_e * Ee + g_i * Ei - (gl + g_e + g_i) * vs) * inv_cm

        k1 = slope(v, ge[0], gi[0])
        k2 = slope(v + 0.5 * h * k1, ge[1], gi[1])
        k3 = slope(v + 0.5 * h * k2, ge[1], gi[1])
        k4 = slope(v + h * k3, ge[2], gi[2])
        v_new = v + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        np.copyto(v, v_new, where=self._active_mask(k))


class LIFCondExp(_LIFCondBase):
    """IF_cond_exp: exponentially decaying conductances (NEST iaf_cond_exp)."""

    state_names = ("v", "gsyn_exc", "gsyn_inh")
    recordable = ("v", "gsyn_exc", "gsyn_inh")

    def _compute_propagators(self, dt):
        p = self.params
        self._compute_common(dt)
        self._half_e = np.exp(-0.5 * dt / p["tau_syn_E"])
        self._half_i = np.exp(-0.5 * dt / p["tau_syn_I"])
        self._full_e = self._half_e * self._half_e
        self._full_i = self._half_i * self._half_i

    def step(self, k, inputs):
        s = self.state
        v, ge, gi = s["v"], s["gsyn_exc"], s["gsyn_inh"]
        ge_half, gi_half = ge * self._half_e, gi * self._half_i
        ge_full, gi_full = ge * self._full_e, gi * self._full_i
        self._rk4(k, v, (ge, ge_half, ge_full), (gi, gi_half, gi_full))
        ge[:] = ge_full
        ge += inputs[0]
        gi[:] = gi_full
        gi += inputs[1]
        return self._spike_and_reset(k, v)


class LIFCondAlpha(_LIFCondBase):
    """IF_cond_alpha: alpha-shaped conductances, peak = weight (NEST iaf_cond_alpha)."""

    state_names = ("v", "gsyn_exc", "gsyn_inh", "dgsyn_exc", "dgsyn_inh")
    recordable = ("v", "gsyn_exc", "gsyn_inh")

    def _compute_propagators(self, dt):
        p = self.params
        self._compute_common(dt)
        self._half_e = np.exp(-0.5 * dt / p["tau_syn_E"])
        self._half_i = np.exp(-0.5 * dt / p["tau_syn_I"])
        self._full_e = self._half_e * self._half_e
        self._full_i = self._half_i * self._half_i
        self._scale_e = _E / p["tau_syn_E"]
        self._scale_i = _E / p["tau_syn_I"]

    def step(self, k, inputs):
        s = self.state
        v, ge, gi, dge, dgi = s["v"], s["gsyn_exc"], s["gsyn_inh"], s["dgsyn_exc"], s["dgsyn_inh"]
        h = self._dt
        # g(t) = (g0 + dg0 t) e^(-t/tau)
        ge_half = (ge + 0.5 * h * dge) * self._half_e
        gi_half = (gi + 0.5 * h * dgi) * self._half_i
        ge_full = (ge + h * dge) * self._full_e
        gi_full = (gi + h * dgi) * self._full_i
        self._rk4(k, v, (ge, ge_half, ge_full), (gi, gi_half, gi_full))
        ge[:] = ge_full
        gi[:] = gi_full
        dge *= self._full_e
        dge += inputs[0] * self._scale_e
        dgi *= self._full_i
        dgi += inputs[1] * self._scale_i
        return self._spike_and_reset(k, v)
