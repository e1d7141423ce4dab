"""Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005), as NEST's
aeif_cond_exp and aeif_cond_alpha (PyNN EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista).

    cm dv/dt = -g_L (V - v_rest) + g_L delta_T exp((V - v_thresh) / delta_T)
               - g_e (V - e_rev_E) - g_i (V - e_rev_I) - w + i_offset + i_inj
    tau_w dw/dt = a (V - v_rest) - w,      g_L = cm / tau_m,   V = min(v, v_spike)

Units: mV, ms, nF, uS (g_L, conductances), nA (w, b, currents); ``a`` is in nS
as PyNN declares it.

Integrator: classical RK4 on (v, w) with one step per time step, the synaptic
conductances exact at every stage (:mod:`.conductances`). As NEST does, the
membrane potential entering the right-hand side is capped at v_spike (NEST's
V_peak), so the exponential term cannot overflow however far a stage
overshoots; v >= v_spike at the end of a step is a spike (with delta_T = 0 the
exponential term vanishes and v_thresh is the detection value, as in NEST).
Near v_spike the exponential term's rate is exp((v_spike - v_thresh)/delta_T)
/ tau_m (~19/ms for PyNN's defaults, inside RK4's stability region at 0.1 ms).

Spikes, as NEST's adaptive integrator handles them inside the step: the spike
is stamped at the end of the step in which v reached v_spike; at the crossing
(located from the capped dynamics, see ``_theta``) w jumps by b and v is reset;
for the rest of that step and round(tau_refrac / dt) further steps v is held at
v_reset while w relaxes (exactly) with V = v_reset. With tau_refrac = 0, v
integrates on from v_reset within the spike step, as in NEST, and may reach
v_spike again: each time is a spike (w += b, reset), all stamped with the step's
end, as NEST's aeif update sends one spike event per reset; ``step`` then returns
the cell once per spike (``repeats_spikes``). Two cases are
re-integrated in PRECISE_SUBSTEPS sub-steps (only for the cells concerned):
tau_refrac = 0, and stiff parameters (v_spike far above v_thresh, e.g. NEST's
own V_peak = 0 mV), where a step ending above v_stiff (the potential at which
the exponential rate reaches 2/dt) is redone. Resetting at the end of the step
instead costs w ~1e-4 nA per spike, enough to put spike times a step off
NEST's after a few dozen spikes under strong drive.

Stiff steps (a large synaptic conductance at a coarse dt: 2 uS into the default
cm = 0.281 nF at dt = 1 ms makes the membrane's rate times the step ~7, where RK4
diverges) are redone, for the neurons concerned, by the adaptive, error-controlled
Dormand-Prince integrator of :mod:`.conductances`, with NEST's aeif tolerance
(gsl_error_tol 1e-6: mV on v, and 1e-6 pA = 1e-9 nA on w) and NEST's spike
handling: v >= v_spike at the end of one of its sub-steps is the spike; there w
jumps by b and v is reset, then held at v_reset for the rest of the step (w
relaxing exactly) or, without refractoriness, integrated on from v_reset (each
reset is a spike; a cell still firing after MAX_RESETS_PER_STEP resets raises
NumericalInstabilityError). A neuron is stiff when its RK4 error estimate for
the membrane, linear apart from the exponential term (which the sub-step paths
above handle), exceeds 1e-3 mV with lambda*h > Z_RK4 = 0.5 (as for IF_cond_*);
ordinary steps pay one bound and are unchanged, to the bit.

Compiled engine: ``compiled_kernel()`` offers :mod:`.kernels.adex` (the ordinary path
in this step's arithmetic, with the C library's exp; every step in which some cell
would take one of the paths above is declined to this NumPy step).
"""

import numpy as np

from .conductances import (AlphaConductances, ExpConductances, IntegrationError, dopri5,
                           rk4, stiff_membrane)
from .kernels.neurons import NO_INJECTION
from .lif import LIFBase, first_violation
from .recorders import NumericalInstabilityError


class AdExBase(LIFBase):
    parameter_names = ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m",
                       "i_offset", "a", "b", "delta_T", "tau_w", "v_thresh",
                       "e_rev_E", "tau_syn_E", "e_rev_I", "tau_syn_I")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "w", "gsyn_exc", "gsyn_inh")
    substeps = 1           # RK4 sub-steps per time step
    PRECISE_SUBSTEPS = 16  # sub-steps for re-integrating a spike step (see _reintegrate)
    #: lambda*h and RK4 error estimate (mV) beyond which a step is redone adaptively
    Z_RK4 = 0.5
    TOLERANCE = 1e-3
    #: absolute tolerances of the adaptive integrator on (v, w): NEST's aeif gsl_error_tol
    ADAPTIVE_TOLERANCES = (1e-6, 1e-9)
    #: resets within one step, at most, for a cell without refractoriness (stiff path)
    MAX_RESETS_PER_STEP = 100
    #: seconds a NumPy step costs beyond an ordinary group's, whatever the size (RK4 on
    #: two variables: ~55 us a step from 10 to 1000 cells, measured, against ~0 for the
    #: kernel; per cell NumPy's SIMD exp makes its step no dearer than the kernel's):
    #: "auto" loads the kernels sooner for the classes that have one
    NUMPY_STEP_COST_S = 50e-6

    @property
    def numpy_step_cost_s(self):
        return self.NUMPY_STEP_COST_S if type(self) in (AdExCondExp, AdExCondAlpha) else 0.0

    @staticmethod
    def check_parameters(p):
        """Cross-parameter checks (NEST's): raise ValueError naming the values."""
        if np.any(p["v_spike"] < p["v_thresh"]):
            raise ValueError("v_spike must be >= v_thresh")
        bad = np.asarray(p["v_reset"] >= p["v_spike"])
        if bad.any():   # NEST aeif_*: "Ensure that: V_reset < V_peak ."
            reset, peak = first_violation(bad, p["v_reset"], p["v_spike"])
            raise ValueError(f"Ensure that v_reset < v_spike (NEST: V_reset < V_peak): "
                             f"v_reset={reset!r} mV >= v_spike={peak!r} mV")
        if np.any(p["delta_T"] < 0):
            raise ValueError("delta_T must be >= 0 mV")
        if np.any(p["tau_w"] <= 0):
            raise ValueError("tau_w must be > 0 ms")
        dT = np.where(p["delta_T"] > 0, p["delta_T"], 1.0)
        if np.any((p["delta_T"] > 0) & ((p["v_spike"] - p["v_thresh"]) / dT > 700.0)):
            raise ValueError("(v_spike - v_thresh) / delta_T must be <= 700: the exponential "
                             "term would overflow at the spike; increase delta_T or lower v_spike")

    def _compute_propagators(self, dt):
        p = self.params
        self.check_parameters(p)
        self._dt = dt
        self._g_L = p["cm"] / p["tau_m"]
        self._inv_cm = 1.0 / p["cm"]
        self._a = p["a"] * 1e-3                      # nS -> uS
        self._has_exp = p["delta_T"] > 0
        self._dT = np.where(self._has_exp, p["delta_T"], 1.0)
        self._exp_gain = np.where(self._has_exp, self._g_L * p["delta_T"], 0.0)
        self._v_peak = np.where(self._has_exp, p["v_spike"], p["v_thresh"])
        self._inv_tau_w = 1.0 / p["tau_w"]
        # stiff: the exponential term's rate exp((v - v_thresh)/delta_T)/tau_m exceeds
        # 2/dt below v_spike, from v_stiff on, where one RK4 step is no longer reliable
        v_stiff = p["v_thresh"] + self._dT * np.log(2.0 * p["tau_m"] / dt)
        stiff = self._has_exp & (v_stiff < self._v_peak)
        self._refractory_counts(dt)
        self._precise = (self._refractory_steps == 0) | stiff
        # without refractoriness a cell can reach v_spike more than once in a step
        self.repeats_spikes = bool((self._refractory_steps == 0).any())
        self._v_check = np.where(stiff, v_stiff, self._v_peak)  # re-examine steps ending above
        self._conductance_propagators(dt, self.substeps)
        self._refractory_counts(dt)

    def compiled_kernel(self):
        """``adex_cond_exp`` / ``adex_cond_alpha`` (kernels/adex.py) for the two standard
        classes exactly (PointNeuron's AdExp has its own, engine/multisynapse.py; other
        subclasses keep the NumPy step)."""
        cls = type(self)
        if cls not in (AdExCondExp, AdExCondAlpha) or self.substeps != 1:
            return None
        s, p = self.state, self.params
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        if cls is AdExCondAlpha:
            name = "adex_cond_alpha"
            state = (s["v"], s["w"], s["gsyn_exc"], s["gsyn_inh"], s["dgsyn_exc"],
                     s["dgsyn_inh"], self._decay_e[1], self._decay_e[2], self._decay_i[1],
                     self._decay_i[2], self._scale_e, self._scale_i)
        else:
            name = "adex_cond_exp"
            state = (s["v"], s["w"], s["gsyn_exc"], s["gsyn_inh"], self._decay_e[1],
                     self._decay_e[2], self._decay_i[1], self._decay_i[2])
        args = (*state, p["i_offset"], *inj, self._g_L, p["v_rest"], p["v_thresh"], self._dT,
                self._exp_gain, p["v_spike"], self._v_peak, self._v_check, p["v_reset"],
                self._a, p["b"], self._inv_tau_w, self._inv_cm, p["e_rev_E"], p["e_rev_I"],
                self._precise, float(self._dt), float(self.Z_RK4), float(self.TOLERANCE),
                self._active_from, self._refractory_steps, np.empty(self.size),
                np.empty(self.size), np.empty(self.size, np.int64))
        return name, args

    def _reversal_potentials(self):
        """The reversal potential of each conductance, in the order _conductances gives them."""
        return self.params["e_rev_E"], self.params["e_rev_I"]

    def _rhs(self, idx, refractory, drive):
        """The right-hand side for neurons ``idx`` (None: all), as a function of (v, w), g."""
        p = self.params
        sel = (lambda x: x) if idx is None else (lambda x: x[idx])
        v_reset, v_cap = sel(p["v_reset"]), sel(p["v_spike"])
        g_L, E_L, V_T = sel(self._g_L), sel(p["v_rest"]), sel(p["v_thresh"])
        E_syn = [sel(E) for E in self._reversal_potentials()]
        a, inv_tau_w = sel(self._a), sel(self._inv_tau_w)
        exp_gain, dT, inv_cm, drive = sel(self._exp_gain), sel(self._dT), sel(self._inv_cm), \
            sel(drive)
        any_refractory = refractory is not None and refractory.any()

        def derivatives(y, *g_syn):
            V = np.minimum(y[0], v_cap)   # NEST caps at V_peak even if delta_T = 0
            if any_refractory:
                V = np.where(refractory, v_reset, V)
            i_spike = exp_gain * np.exp((V - V_T) / dT)
            i_total = i_spike - g_L * (V - E_L)
            for g, E in zip(g_syn, E_syn):
                i_total = i_total - g * (V - E)
            dv = (i_total - y[1] + drive) * inv_cm
            if any_refractory:
                dv[refractory] = 0.0
            return [dv, (a * (V - E_L) - y[1]) * inv_tau_w]
        return derivatives

    def step(self, k, inputs):
        s, p = self.state, self.params
        v, w = s["v"], s["w"]
        h = self._dt
        drive = p["i_offset"] if self.i_inj is None else p["i_offset"] + self.i_inj
        derivatives = self._rhs(None, ~self._active_mask(k), drive)
        v1, w1 = rk4([v, w], derivatives, self._conductances, h, self.substeps)
        stiff = self._stiff_neurons(k, v, w, drive)
        if stiff is None:
            crossed = np.flatnonzero(v1 >= self._v_check)
        else:
            spiked_stiff = self._adaptive(k, stiff, v, w, v1, w1, drive)
            above = v1 >= self._v_check
            above[stiff] = False
            crossed = np.flatnonzero(above)
            if spiked_stiff.size:
                self._active_from[spiked_stiff] = k + 1 + self._refractory_steps[spiked_stiff]
        if crossed.size:
            precise = self._precise[crossed]
            spiked = crossed[~precise]
            if spiked.size:
                self._reset_within_step(spiked, v, w, v1, w1, drive)
            if precise.any():
                confirmed = self._reintegrate(crossed[precise], v, w, v1, w1, drive)
                spiked = np.sort(np.concatenate([spiked, confirmed]))
            self._active_from[spiked] = k + 1 + self._refractory_steps[spiked]
        else:
            spiked = crossed
        if stiff is not None and spiked_stiff.size:      # (stiff cells are not in crossed)
            spiked = np.sort(np.concatenate([spiked, spiked_stiff]))
        v[:] = v1
        w[:] = w1
        self._conductance_update(inputs)
        return spiked

    def _stiff_neurons(self, k, v, w, drive):
        """Integrating neurons whose RK4 step is off by more than TOLERANCE (None: none).

        The membrane without the exponential term is linear in v, with rate lambda =
        (g_L + conductances) / cm; the RK4 error estimate is that of IF_cond_*
        (:func:`.conductances.stiff_membrane`).
        """
        g_max = self._conductance_bound()
        bound = float(g_max.max(initial=0.0)) + float(self._g_L.max(initial=0.0))
        if bound * float(self._inv_cm.max(initial=0.0)) * self._dt <= self.Z_RK4:
            return None
        z = (g_max + self._g_L) * self._inv_cm * self._dt
        c = np.flatnonzero((z > self.Z_RK4) & self._active_mask(k))
        if c.size == 0:
            return None
        p = self.params
        g_now = list(self._conductances_at(0.0, c))     # (already those of cells c)
        E_syn = [E[c] for E in self._reversal_potentials()]
        drive_c = np.broadcast_to(drive, v.shape)[c]
        v_inf = (drive_c - w[c] + self._g_L[c] * p["v_rest"][c]
                 + sum(g * E for g, E in zip(g_now, E_syn))) / (self._g_L[c] + sum(g_now))
        stiff = c[stiff_membrane(z[c], np.minimum(v[c], self._v_peak[c]),
                                 E_syn + [p["v_rest"][c]], v_inf, self.TOLERANCE)]
        return stiff if stiff.size else None

    def _adaptive(self, k, idx, v0, w0, v1, w1, drive):
        """Redo the step of neurons ``idx`` with dopri5 and NEST's spike handling.

        Writes v1, w1 of ``idx``; returns the neurons that spiked, a neuron without
        refractoriness once for each time it reached v_spike in the step (as NEST sends
        one spike event per reset, all stamped with the step's end).
        """
        p, dt = self.params, self._dt

        def rhs(t, y, cols):
            i = idx[cols]
            dv, dw = self._rhs(i, None, drive)([y[0], y[1]], *self._conductances_at(t, i))
            return np.stack([dv, dw])

        def crossed(y, cols):
            return y[0] >= self._v_peak[idx[cols]]

        y = np.stack([v0[idx], w0[idx]])
        t0 = np.zeros(idx.size)
        todo = np.arange(idx.size)        # columns still to integrate to the end of the step
        spiked = np.zeros(idx.size, np.int64)    # resets of each column in this step
        try:
            for _ in range(self.MAX_RESETS_PER_STEP):
                sub = y[:, todo]
                sub, t_event = dopri5(sub, lambda t, yy, cols: rhs(t, yy, todo[cols]), dt,
                                      self.ADAPTIVE_TOLERANCES, h0=dt / 16, t0=t0[todo],
                                      event=lambda yy, cols: crossed(yy, todo[cols]))
                y[:, todo] = sub
                hit = np.isfinite(t_event)
                if not hit.any():
                    break
                c = todo[hit]
                i = idx[c]
                spiked[c] += 1
                y[0, c] = p["v_reset"][i]
                y[1, c] += p["b"][i]
                held = self._refractory_steps[i] > 0
                # refractory: v stays at v_reset for the rest of the step, w relaxes to
                # a (v_reset - v_rest), exactly
                ch, ih = c[held], i[held]
                w_inf = self._a[ih] * (p["v_reset"][ih] - p["v_rest"][ih])
                y[1, ch] = w_inf + (y[1, ch] - w_inf) * np.exp(
                    -(dt - t_event[hit][held]) * self._inv_tau_w[ih])
                # no refractoriness: integrate on from v_reset (as NEST)
                t0[c[~held]] = t_event[hit][~held]
                todo = c[~held]
                if todo.size == 0:
                    break
            else:       # still firing: the rest of the step was not integrated
                first = int(self.ids[idx[todo[0]]])
                raise NumericalInstabilityError(
                    f"{todo.size} {type(self).__name__} cell(s) (the first: global id "
                    f"{first}) reached v_spike more than {self.MAX_RESETS_PER_STEP} times "
                    f"in the time step ending at t={(k + 1) * dt:g} ms (tau_refrac = 0): "
                    "the input is too strong for the model; use a refractory period, a "
                    "weaker input or a smaller time step")
        except IntegrationError:
            raise NumericalInstabilityError.at(self, "v", idx, k + 1) from None
        v1[idx], w1[idx] = y
        return np.repeat(idx, spiked)

    def _theta(self, i, v1, w1, g_end, drive, h):
        """Where in a (sub-)step of length h that ended at v1 >= v_spike v crossed v_spike.

        Past v_spike the capped right-hand side is f(v_spike), so v crossed at
        theta h = h - (v1 - v_spike) / f(v_spike).
        """
        f_peak = self._rhs(i, None, drive)([self._v_peak[i], w1], *g_end)[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            theta = 1.0 - (v1 - self._v_peak[i]) / (h * f_peak)
        return np.clip(np.nan_to_num(theta, nan=1.0), 0.0, 1.0)

    def _reset_within_step(self, i, v0, w0, v1, w1, drive):
        """Reset at the crossing inside the step, as NEST's integrator does (refractory cells).

        At the crossing w jumps by b; for the rest of the step v is held at
        v_reset and w relaxes towards a (v_reset - v_rest), exactly. Without
        this, w would see the spike-time v for a whole step, an error of ~1e-4 nA
        per spike that accumulates into spike times a step off NEST's under
        strong drive.
        """
        p, h = self.params, self._dt
        g_end = [g[i] for g in self._conductances(2 * self.substeps)]
        theta = self._theta(i, v1[i], w1[i], g_end, drive, h)
        w_cross = w0[i] + theta * (w1[i] - w0[i]) + p["b"][i]
        w_inf = self._a[i] * (p["v_reset"][i] - p["v_rest"][i])
        w1[i] = w_inf + (w_cross - w_inf) * np.exp(-(1.0 - theta) * h * self._inv_tau_w[i])
        v1[i] = p["v_reset"][i]

    def _reintegrate(self, i, v0, w0, v1, w1, drive):
        """Redo the step of neurons ``i`` in PRECISE_SUBSTEPS sub-steps, resetting at the crossing.

        For cells without refractoriness (v integrates on from v_reset within the
        step, as in NEST) and for stiff parameters (exp((v_spike - v_thresh) /
        delta_T) dt / tau_m > 2: one RK4 step over the upswing is unreliable, so
        every step that ends above v_stiff is redone). Returns the cells that did
        spike, sorted; a cell without refractoriness once per reset, as NEST's aeif
        models send one spike event (stamped with the step's end) each time v reaches
        V_peak at the end of one of their integration steps, then integrate on from
        V_reset with w += b within the same step.
        """
        p, h = self.params, self._dt
        M = self.PRECISE_SUBSTEPS
        hs = h / M
        v, w = v0[i].copy(), w0[i].copy()
        count = np.zeros(i.size, np.int64)      # resets of each cell in this step
        clamp = self._refractory_steps[i] > 0
        for j in range(M):
            held = (count > 0) & clamp
            rhs = self._rhs(i, held, drive)

            def g_at(m, j=j):
                return self._conductances_at(np.full(i.size, (j + 0.5 * m) * hs), i)
            v_new, w_new = rk4([v, w], rhs, g_at, hs)
            # a held cell stays at v_reset; one without refractoriness may fire again
            cross = ~held & (v_new >= self._v_peak[i])
            if cross.any():
                c = np.flatnonzero(cross)
                ic = i[c]
                g_end = [g[c] for g in g_at(2)]
                theta = self._theta(ic, v_new[c], w_new[c], g_end, drive, hs)
                w_cross = w[c] + theta * (w_new[c] - w[c]) + p["b"][ic]
                rest = (1.0 - theta) * hs
                v_new[c] = p["v_reset"][ic]
                w_new[c] = w_cross
                # the rest of the sub-step: held at v_reset, or integrated on from it
                held_c = clamp[c]
                w_inf = self._a[ic] * (p["v_reset"][ic] - p["v_rest"][ic])
                w_new[c[held_c]] = (w_inf + (w_cross - w_inf)
                                    * np.exp(-rest * self._inv_tau_w[ic]))[held_c]
                free = c[~held_c]
                if free.size:
                    t0 = (j + theta[~held_c]) * hs
                    L = rest[~held_c]
                    y = rk4([v_new[free], w_new[free]], self._rhs(i[free], None, drive),
                            lambda m: self._conductances_at(t0 + 0.5 * m * L, i[free]), L)
                    v_new[free], w_new[free] = y
                    # at v_peak again by the sub-step's end (very strong drive): a
                    # further spike there, as NEST finds it at its integration step's end
                    again = free[v_new[free] >= self._v_peak[i[free]]]
                    if again.size:
                        v_new[again] = p["v_reset"][i[again]]
                        w_new[again] += p["b"][i[again]]
                        count[again] += 1
                count += cross
            v, w = v_new, w_new
        v1[i], w1[i] = v, w
        return np.repeat(i, count)

class AdExCondExp(ExpConductances, AdExBase):
    """EIF_cond_exp_isfa_ista: exponentially decaying conductances (NEST aeif_cond_exp)."""

    state_names = ("v", "w", "gsyn_exc", "gsyn_inh")


class AdExCondAlpha(AlphaConductances, AdExBase):
    """EIF_cond_alpha_isfa_ista: alpha-shaped conductances (NEST aeif_cond_alpha)."""

    state_names = ("v", "w", "gsyn_exc", "gsyn_inh", "dgsyn_exc", "dgsyn_inh")
