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

from .groups import Internal, NeuronGroup
from . import propagators as prop
from . import kernels
from .kernels.neurons import NO_INJECTION
from .recorders import NumericalInstabilityError
from .conductances import IntegrationError, AlphaConductances, ExpConductances, dopri5, rk4

_E = np.e


def first_violation(bad, *arrays):
    """The values of ``arrays`` at the first True of ``bad`` (broadcast), as floats."""
    i = int(np.flatnonzero(np.broadcast_to(bad, np.broadcast(*arrays).shape))[0])
    return [float(np.broadcast_to(a, bad.shape).flat[i]) for a in arrays]


class LIFBase(NeuronGroup):
    """Threshold, reset and refractory bookkeeping common to every LIF family."""

    #: step index from which a neuron integrates again (refractory until then)
    internal_state = {"_active_from": Internal(np.int64, 0)}
    _refractory_steps = np.zeros(0, np.int64)   # per neuron, set by _refractory_counts

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

    def start_run(self, first_step, n_steps, dt):
        # refractory periods in flight are kept in steps relative to the absolute step index
        pass

    def _refractory_counts(self, dt):
        # NEST: Time(ms(t_ref)).get_steps(), which rounds *up* to the grid (pyNN.nest
        # IF_cond_exp: t_ref 0.21 ms at dt 0.1 -> 3 steps, 0.1 ms at dt 1.0 -> 1 step);
        # the 1e-6 keeps periods that are whole multiples of dt (5.0 / 0.1) exact
        self._refractory_steps = np.ceil(self.params["tau_refrac"] / dt - 1e-6).astype(np.int64)

    def _active_mask(self, k):
        return self._active_from <= k

    def _threshold_arrays(self):
        """What the compiled steps need for threshold, reset and refractoriness."""
        return (self._active_from, self._refractory_steps, self.params["v_thresh"],
                self.params["v_reset"], np.empty(self.size, np.int64))

    def _injection(self):
        return (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)

    def _spike_and_reset(self, k, v):
        spiked = np.flatnonzero(v >= self.params["v_thresh"])
        if spiked.size:
            v[spiked] = self.params["v_reset"][spiked]
            # steps k+1 .. k+R are refractory, as NEST's counter r = R counting down
            self._active_from[spiked] = k + 1 + self._refractory_steps[spiked]
        return spiked


class LIFCurrExp(LIFBase):
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

    def compiled_kernel(self):
        if type(self).step is not LIFCurrExp.step:
            return None         # a subclass with its own step has no kernel
        s = self.state
        active_from, refractory, v_thresh, v_reset, scratch = self._threshold_arrays()
        P22, P21e, P21i, drive, P20, P11e, P11i, v_thresh, v_reset = kernels.uniform_parameters(
            self._P22, self._P21e, self._P21i, self._drive, self._P20, self._P11e, self._P11i,
            v_thresh, v_reset)
        # (varied None: the kernel compiles no per-neuron parameter loop)
        varied = None if P22.size == 1 else True
        args = (s["v"], s["isyn_exc"], s["isyn_inh"], P22, P21e, P21i, drive, P20,
                *self._injection(), P11e, P11i, active_from, refractory, v_thresh, v_reset,
                varied, scratch)
        return "lif_curr_exp", args


class LIFCurrAlpha(LIFBase):
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

    def compiled_kernel(self):
        if type(self).step is not LIFCurrAlpha.step:
            return None
        s = self.state
        args = (s["v"], s["isyn_exc"], s["isyn_inh"], s["disyn_exc"], s["disyn_inh"],
                self._P22, self._P21e, self._P21i, self._P31e, self._P31i, self._drive,
                self._P20, *self._injection(), self._P11e, self._P11i, self._scale_e,
                self._scale_i, float(self._dt), *self._threshold_arrays())
        return "lif_curr_alpha", args


class LIFCurrDelta(LIFBase):
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

    def compiled_kernel(self):
        if type(self).step is not LIFCurrDelta.step:
            return None
        args = (self.state["v"], self._P22, self._drive, self._P20, *self._injection(),
                *self._threshold_arrays())
        return "lif_curr_delta", args


class _LIFCondBase(LIFBase):
    """Conductance-based LIF: v integrated by RK4, conductances exactly; stiff steps adaptively.

    dv/dt = (g_L (v_rest - v) + g_e (e_rev_E - v) + g_i (e_rev_I - v) + i_offset) / cm
    with g_L = cm / tau_m. The conductances do not depend on v, so they are known
    in closed form at every stage (:mod:`.conductances`); only v is approximated.

    Ordinary steps: one classical RK4 step (:func:`.conductances.rk4`), local error
    O(dt^5): at dt = 0.1 ms below 1e-9 mV per step for small conductances, ~1e-5 mV
    for ~0.2 uS (measured against a DOP853 reference at 1e-12 tolerance). Fed the same
    input spikes, the VA COBA network's 1000 cells spike identically to NEST's
    iaf_cond_exp for 1 s.

    Stiff steps: the equation is linear in v, so RK4's local error is known: about
    (lambda h)^5 / 120 |v - v_inf|, lambda = (g_L + g_e + g_i) / cm (maximum
    conductance over the step). Where lambda h > Z_RK4 = 0.5, a neuron whose estimate
    exceeds TOLERANCE (1e-3 mV, NEST's gsl_error_tol) is integrated over the step
    again by the adaptive :func:`.conductances.dopri5` to that tolerance, from the
    same start. This happens at large conductances and coarse steps (2 uS into
    cm = 0.25 nF at dt = 1 ms: lambda h = 8, where RK4 diverges). One bound on
    lambda h for the whole group (a sum and a max) skips all this in ordinary steps.
    """

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                       "e_rev_E", "e_rev_I", "v_thresh", "v_reset", "i_offset")
    receptors = ("excitatory", "inhibitory")
    #: mV: the local error per step allowed before a neuron's step is redone adaptively
    TOLERANCE = 1e-3
    #: seconds a NumPy step costs per cell beyond a current-based LIF's (RK4's
    #: temporaries), weighed by the 'auto' engine: VA COBA's NumPy step ~130 us for
    #: 4000 cells against VA CUBA's ~40 us (measured), the compiled one ~15 us
    NUMPY_STEP_COST_PER_CELL_S = 20e-9

    @property
    def numpy_step_cost_s(self):
        return self.size * self.NUMPY_STEP_COST_PER_CELL_S
    #: lambda*h up to which RK4 alone is used: its local error is then at most
    #: 0.5^5/120 = 2.6e-4 of |v - v_inf| (~1e-4 in the VA COBA network, whose
    #: lambda*h stays below 0.4). Beyond it, the error estimate decides.
    Z_RK4 = 0.5

    def _compute_propagators(self, dt):
        p = self.params
        self._inv_cm = 1.0 / p["cm"]
        self._g_leak = p["cm"] / p["tau_m"]
        self._leak_drive = self._g_leak * p["v_rest"] + p["i_offset"]
        self._dt = dt
        self._refractory_counts(dt)
        self._conductance_propagators(dt)
        self._h_inv_cm_max = dt * float(np.max(self._inv_cm, initial=0.0))

    def _drive(self):
        return self._leak_drive if self.i_inj is None else self._leak_drive + self.i_inj

    def step(self, k, inputs):
        p = self.params
        v = self.state["v"]
        Ee, Ei = p["e_rev_E"], p["e_rev_I"]
        gl, inv_cm = self._g_leak, self._inv_cm
        drive = self._drive()

        totals = []     # g_L + g_e + g_i at the start of the step, for _stiff_neurons

        def derivatives(y, g_e, g_i):
            total = gl + g_e
            total += g_i
            if not totals:
                totals.append(total)
            return [(drive + g_e * Ee + g_i * Ei - total * y[0]) * inv_cm]

        (v_new,) = rk4([v], derivatives, self._conductances, self._dt)
        stiff = self._stiff_neurons(k, v, drive, totals[0])
        if stiff is not None:
            try:
                v_new[stiff] = self._adaptive(stiff, v[stiff], drive)
            except IntegrationError:
                # too stiff even for the adaptive integrator (conductances of 1e12 uS...)
                raise NumericalInstabilityError.at(self, "v", stiff, k + 1) from None
        np.copyto(v, v_new, where=self._active_mask(k))
        self._conductance_update(inputs)
        return self._spike_and_reset(k, v)

    def _stiff_neurons(self, k, v, drive, total_start):
        """Neurons whose RK4 step is off by more than TOLERANCE (None: none, the usual case).

        ``total_start``: g_L + g_e + g_i at the start of the step (the first RK4 stage's).
        """
        g_max = self._max_conductance(total_start)
        if float(g_max.max(initial=0.0)) * self._h_inv_cm_max <= self.Z_RK4:
            return None                                     # no neuron is stiff
        z = g_max * self._inv_cm
        z *= self._dt
        candidates = np.flatnonzero(z > self.Z_RK4)         # usually few
        if candidates.size == 0:
            return None
        p = self.params
        ge, gi = (g[candidates] for g in self._conductances(0))
        drive = np.broadcast_to(drive, v.shape)[candidates]
        v_inf = (drive + ge * p["e_rev_E"][candidates] + gi * p["e_rev_I"][candidates]) \
            / (self._g_leak[candidates] + ge + gi)
        # the distance to the equilibrium: at the start, or, as the conductances change
        # during the step (alpha: from 0 to their peak), at most that to a reversal potential
        vc = v[candidates]
        distance = np.maximum(np.abs(vc - v_inf), np.maximum(
            np.abs(vc - p["e_rev_E"][candidates]), np.abs(vc - p["e_rev_I"][candidates])))
        with np.errstate(over="ignore", invalid="ignore"):
            error = z[candidates] ** 5 / 120.0 * distance
        stiff = candidates[(error > self.TOLERANCE) & self._active_mask(k)[candidates]]
        return stiff if stiff.size else None

    def _max_conductance(self, total_start):
        """An upper bound of g_L + g_e + g_i over the step, per neuron (exponential
        conductances only decay: their value at the start)."""
        return total_start

    #: what the compiled kernels reproduce: a subclass overriding one of them has none
    _KERNEL_METHODS = ("step", "_drive", "_stiff_neurons", "_max_conductance", "_adaptive",
                       "_conductances", "_conductance_update", "_conductance_propagators")

    def _kernel_reproduces(self, cls):
        return all(getattr(type(self), name) is getattr(cls, name)
                   for name in self._KERNEL_METHODS)

    def _cond_kernel_tail(self):
        """The arguments every conductance kernel ends with (see kernels/neurons.py)."""
        p = self.params
        return (self._leak_drive, self._g_leak, self._inv_cm, p["e_rev_E"], p["e_rev_I"],
                *self._injection(), float(self._dt), float(self.Z_RK4), float(self.TOLERANCE),
                *self._threshold_arrays())

    def _adaptive(self, idx, v0, drive):
        """v at the end of the step for neurons ``idx``, by the error-controlled dopri5."""
        p = self.params
        Ee, Ei = p["e_rev_E"][idx], p["e_rev_I"][idx]
        gl, inv_cm = self._g_leak[idx], self._inv_cm[idx]
        drive = np.broadcast_to(drive, self.params["cm"].shape)[idx]

        def rhs(t, y, cols):
            g_e, g_i = self._conductances_at(t, idx[cols])
            return ((drive[cols] + g_e * Ee[cols] + g_i * Ei[cols]
                     - (gl[cols] + g_e + g_i) * y[0]) * inv_cm[cols])[None, :]

        return dopri5(v0[None, :], rhs, self._dt, self.TOLERANCE)[0]


class LIFCondExp(ExpConductances, _LIFCondBase):
    """IF_cond_exp: exponentially decaying conductances (NEST iaf_cond_exp)."""

    state_names = ("v", "gsyn_exc", "gsyn_inh")
    recordable = ("v", "gsyn_exc", "gsyn_inh")

    def compiled_kernel(self):
        if not self._kernel_reproduces(LIFCondExp):
            return None
        s = self.state
        args = (s["v"], s["gsyn_exc"], s["gsyn_inh"], self._decay_e[1], self._decay_e[2],
                self._decay_i[1], self._decay_i[2], *self._cond_kernel_tail())
        return "lif_cond_exp", args


class LIFCondAlpha(AlphaConductances, _LIFCondBase):
    """IF_cond_alpha: alpha-shaped conductances, peak = weight (NEST iaf_cond_alpha)."""

    state_names = ("v", "gsyn_exc", "gsyn_inh", "dgsyn_exc", "dgsyn_inh")
    recordable = ("v", "gsyn_exc", "gsyn_inh")

    def compiled_kernel(self):
        if not self._kernel_reproduces(LIFCondAlpha):
            return None
        s = self.state
        args = (s["v"], s["gsyn_exc"], s["gsyn_inh"], s["dgsyn_exc"], s["dgsyn_inh"],
                self._decay_e[1], self._decay_e[2], self._decay_i[1], self._decay_i[2],
                self._scale_e, self._scale_i, *self._cond_kernel_tail())
        return "lif_cond_alpha", args

    def _max_conductance(self, total_start):
        # (g + t dg) e^(-t/tau) <= g + dg * t for t in [0, dt]
        s = self.state
        return total_start + self._dt * (np.maximum(s["dgsyn_exc"], 0.0)
                                         + np.maximum(s["dgsyn_inh"], 0.0))
