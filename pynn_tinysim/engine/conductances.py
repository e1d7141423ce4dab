"""Synaptic conductances and the integrators of every conductance-based model family.

The synaptic conductances of every conductance-based model here evolve
independently of the membrane (exponential or alpha-shaped decay), so they are
known in closed form at any time inside a step; the integrator for the
membrane is then handed their exact values at each Runge-Kutta stage, and only
the membrane variables (v and, per model, w, m, h, n) are approximated.

Two integrators, one module (the only Runge-Kutta code of the engine):

:func:`rk4`
    the classical fourth-order Runge-Kutta method with ``substeps`` equal
    sub-steps per time step, for all neurons at once: the ordinary path, cheap
    and accurate while the membrane's rate ``lambda`` (total conductance / cm,
    1/ms) times the sub-step ``h`` is small (local error ~ (lambda h)^5 / 120
    of the distance to the equilibrium).
:func:`dopri5`
    an embedded Runge-Kutta 5(4) pair (Dormand & Prince 1980, the pair of
    scipy's RK45) with an adaptive step size *per neuron*, vectorized over the
    neurons given, error-controlled to an absolute tolerance per variable (as
    NEST's GSL RKF45 solvers, whose tolerance is 1e-3). The models hand it the
    few neurons whose step is stiff (a large conductance at a coarse dt), where
    RK4 would be inaccurate or unstable (v to -1e7 mV, or NaN).

Each model says when a neuron's step goes to :func:`dopri5` (see lif.py, hh.py,
adex.py); the families whose membrane is linear in v between spikes
(IF_cond_exp_gsfa_grr, GIF_cond_exp, PointNeuron LIF with conductance receptors)
share :class:`StiffMembrane` for it.
"""

import numpy as np

from .recorders import NumericalInstabilityError

_E = np.e


def decay_table(dt, substeps, tau):
    """exp(-j (dt / 2 substeps) / tau) for j = 0 .. 2 substeps, as rows (one column a neuron).

    Built as powers of the half-sub-step factor (the full step's factor is the
    square of the half step's), as the LIF families have always computed it.
    """
    half = np.exp(-0.5 * dt / substeps / tau)
    table = np.empty((2 * substeps + 1,) + np.shape(half))
    table[0] = 1.0
    for j in range(1, 2 * substeps + 1):
        table[j] = table[j - 1] * half
    return table


class ExpConductances:
    """Mixin: gsyn_exc / gsyn_inh (uS) decaying with tau_syn_E / tau_syn_I.

    ``_conductance_propagators(dt, substeps)`` precomputes the decay over every
    half sub-step; ``_conductances(j)`` gives (g_exc, g_inh) at j half sub-steps
    into the step; ``_conductance_update(inputs)`` moves them to the end of the
    step and adds the input arriving then.
    """

    def _conductance_propagators(self, dt, substeps=1):
        p = self.params
        self._decay_e = decay_table(dt, substeps, p["tau_syn_E"])
        self._decay_i = decay_table(dt, substeps, p["tau_syn_I"])

    def _conductances(self, j):
        s = self.state
        if j == 0:
            return s["gsyn_exc"], s["gsyn_inh"]
        return s["gsyn_exc"] * self._decay_e[j], s["gsyn_inh"] * self._decay_i[j]

    def _conductances_at(self, t, idx):
        """(g_exc, g_inh) of neurons ``idx`` at times ``t`` (ms) into the step."""
        s, p = self.state, self.params
        return (s["gsyn_exc"][idx] * np.exp(-t / p["tau_syn_E"][idx]),
                s["gsyn_inh"][idx] * np.exp(-t / p["tau_syn_I"][idx]))

    def _conductance_bound(self):
        """g_exc + g_inh at most over the step, per neuron (exponentials only decay)."""
        return self.state["gsyn_exc"] + self.state["gsyn_inh"]

    def _conductance_update(self, inputs):
        s = self.state
        ge, gi = s["gsyn_exc"], s["gsyn_inh"]
        ge *= self._decay_e[-1]
        ge += inputs[0]
        gi *= self._decay_i[-1]
        gi += inputs[1]


class AlphaConductances:
    """Mixin: alpha-shaped gsyn_exc / gsyn_inh (uS), peak = weight at tau_syn after arrival.

    g(t) = (g0 + dg0 t) exp(-t/tau); an arriving weight w adds w e / tau to dg
    (NEST's aeif_cond_alpha / iaf_cond_alpha).
    """

    def _conductance_propagators(self, dt, substeps=1):
        p = self.params
        offsets = np.arange(2 * substeps + 1)[:, None] * (0.5 * dt / substeps)
        self._offsets = offsets
        self._decay_e = decay_table(dt, substeps, p["tau_syn_E"])
        self._decay_i = decay_table(dt, substeps, p["tau_syn_I"])
        self._scale_e = _E / p["tau_syn_E"]
        self._scale_i = _E / p["tau_syn_I"]

    def _conductances(self, j):
        s = self.state
        if j == 0:
            return s["gsyn_exc"], s["gsyn_inh"]
        t = self._offsets[j]
        return ((s["gsyn_exc"] + t * s["dgsyn_exc"]) * self._decay_e[j],
                (s["gsyn_inh"] + t * s["dgsyn_inh"]) * self._decay_i[j])

    def _conductances_at(self, t, idx):
        """(g_exc, g_inh) of neurons ``idx`` at times ``t`` (ms) into the step."""
        s, p = self.state, self.params
        return ((s["gsyn_exc"][idx] + t * s["dgsyn_exc"][idx]) * np.exp(-t / p["tau_syn_E"][idx]),
                (s["gsyn_inh"][idx] + t * s["dgsyn_inh"][idx]) * np.exp(-t / p["tau_syn_I"][idx]))

    def _conductance_bound(self):
        """g_exc + g_inh at most over the step, per neuron: (g + t dg) e^(-t/tau) <= g + dt dg+."""
        s, h = self.state, self._offsets[-1]
        return (s["gsyn_exc"] + s["gsyn_inh"] + h * np.maximum(s["dgsyn_exc"], 0.0)
                + h * np.maximum(s["dgsyn_inh"], 0.0))

    def _conductance_update(self, inputs):
        s = self.state
        ge, gi = self._conductances(len(self._offsets) - 1)
        s["gsyn_exc"][:] = ge
        s["gsyn_inh"][:] = gi
        dge, dgi = s["dgsyn_exc"], s["dgsyn_inh"]
        dge *= self._decay_e[-1]
        dge += inputs[0] * self._scale_e
        dgi *= self._decay_i[-1]
        dgi += inputs[1] * self._scale_i


def rk4(y, derivatives, conductances, dt, substeps=1):
    """Advance the list of state arrays ``y`` by ``dt`` with classical RK4.

    ``derivatives(y, g_exc, g_inh)`` returns the list of time derivatives;
    ``conductances(j)`` the conductances j half sub-steps into the step.
    Returns the new list of arrays (``y`` is not modified).
    """
    h = dt / substeps
    if len(y) == 1 and substeps == 1:
        # one variable, one step (the LIF families): the same arithmetic without the
        # list comprehensions, whose overhead is a few percent of a 4000-cell step
        (a,), g0, gh, g1 = y, conductances(0), conductances(1), conductances(2)
        (k1,) = derivatives([a], *g0)
        (k2,) = derivatives([a + (0.5 * h) * k1], *gh)
        (k3,) = derivatives([a + (0.5 * h) * k2], *gh)
        (k4,) = derivatives([a + h * k3], *g1)
        return [a + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)]
    for j in range(substeps):
        g0 = conductances(2 * j)
        gh = conductances(2 * j + 1)
        g1 = conductances(2 * j + 2)
        k1 = derivatives(y, *g0)
        k2 = derivatives([a + (0.5 * h) * b for a, b in zip(y, k1)], *gh)
        k3 = derivatives([a + (0.5 * h) * b for a, b in zip(y, k2)], *gh)
        k4 = derivatives([a + h * b for a, b in zip(y, k3)], *g1)
        y = [a + (h / 6.0) * (b1 + 2.0 * (b2 + b3) + b4)
             for a, b1, b2, b3, b4 in zip(y, k1, k2, k3, k4)]
    return y


class StiffMembrane:
    """Mixin: the stiff steps of a one-variable conductance membrane, redone by dopri5.

    For the families whose membrane is linear in v between spikes,

        cm dv/dt = drive + sum_j g_j(t) E_j - (g_L + sum_j g_j(t)) V,   V = min(v, cap),

    (IF_cond_exp_gsfa_grr, GIF_cond_exp, PointNeuron LIF with conductance
    receptors), exactly as the IF_cond_* families (see lif.py): after the ordinary
    RK4 step, the neurons whose RK4 error estimate (:func:`stiff_membrane`) exceeds
    TOLERANCE are integrated over the step again, from the same start, by
    :func:`dopri5` to that tolerance. Ordinary steps pay one bound (a sum of the
    conductances and a max) and are otherwise unchanged, to the bit.

    The family provides ``_dt``, ``_inv_cm``, ``_membrane_leak`` (g_L, uS),
    ``_conductance_bound()`` (the sum of the time-dependent conductances at most,
    over the step), ``_membrane_conductances(t, idx)`` (a list of (g, E): each
    time-dependent conductance of neurons ``idx`` at times ``t`` into the step and
    its reversal potential) and ``_membrane_cap`` (None, or the cap of V).
    """

    #: mV: the local error per step allowed before a neuron's step is redone adaptively
    #: (NEST's gsl_error_tol of iaf_cond_exp, iaf_cond_exp_sfa_rr and gif_cond_exp)
    TOLERANCE = 1e-3
    #: lambda*h up to which RK4 alone is used (its error is then <= 2.6e-4 of the
    #: distance to the equilibrium); beyond it, the error estimate decides
    Z_RK4 = 0.5
    _membrane_cap = None

    def _redo_stiff_steps(self, k, v, v_new, drive):
        """Overwrite ``v_new`` of the neurons whose RK4 step (from ``v``) was stiff.

        ``drive``: the constant part of cm dv/dt (g_L v_rest + currents), nA.
        """
        g_max = self._conductance_bound()
        bound = float(g_max.max(initial=0.0)) + float(self._membrane_leak.max(initial=0.0))
        if bound * float(self._inv_cm.max(initial=0.0)) * self._dt <= self.Z_RK4:
            return                                          # no neuron is stiff
        z = (g_max + self._membrane_leak) * self._inv_cm * self._dt
        candidates = np.flatnonzero((z > self.Z_RK4) & self._active_mask(k))
        if candidates.size == 0:
            return
        drive = np.broadcast_to(drive, v.shape)
        terms = self._membrane_conductances(0.0, candidates)
        g_total = self._membrane_leak[candidates] + sum(g for g, _ in terms)
        v_inf = (drive[candidates] + sum(g * E for g, E in terms)) / g_total
        v0 = v[candidates]
        if self._membrane_cap is not None:
            v0 = np.minimum(v0, self._membrane_cap[candidates])
        stiff = candidates[stiff_membrane(z[candidates], v0, [E for _, E in terms], v_inf,
                                          self.TOLERANCE)]
        if stiff.size == 0:
            return
        leak, inv_cm = self._membrane_leak[stiff], self._inv_cm[stiff]
        cap = None if self._membrane_cap is None else self._membrane_cap[stiff]
        drive_s = drive[stiff]

        def rhs(t, y, cols):
            V = y[0] if cap is None else np.minimum(y[0], cap[cols])
            current = drive_s[cols] - leak[cols] * V
            for g, E in self._membrane_conductances(t, stiff[cols]):
                current = current + g * (E - V)
            return (current * inv_cm[cols])[None, :]

        try:
            v_new[stiff] = dopri5(v[stiff][None, :], rhs, self._dt, self.TOLERANCE)[0]
        except IntegrationError:
            # too stiff even for the adaptive integrator (conductances of 1e12 uS...)
            raise _instability(self, stiff, k) from None


def _instability(group, idx, k):
    return NumericalInstabilityError.at(group, "v", idx, k + 1)


# --- the adaptive, error-controlled integrator ---------------------------------------
#
# Dormand-Prince 5(4) coefficients (Dormand & Prince, J. Comp. Appl. Math. 6, 1980).
_DP_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_DP_A = ((),
         (1 / 5,),
         (3 / 40, 9 / 40),
         (44 / 45, -56 / 15, 32 / 9),
         (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
         (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
         (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84))
_DP_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_DP_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_DP_E = tuple(b5 - b4 for b5, b4 in zip(_DP_B5, _DP_B4))

#: the most attempted sub-steps per neuron and time step before giving up
DOPRI5_MAX_ITERATIONS = 10000


class IntegrationError(ArithmeticError):
    """The adaptive integrator could not reach the end of the step (NaN, or too stiff)."""


def dopri5(y, rhs, dt, atol, h0=None, t0=None, event=None):
    """Integrate ``y`` (array: one row per state variable, one column per neuron) up to dt.

    ``rhs(t, y, cols)``: the time derivatives (same shape as ``y[:, cols]``) of the
    neurons ``cols`` (indices into the columns of ``y``) at their times ``t`` (ms
    into the step, one per neuron). ``atol``: absolute tolerance per state variable
    (a column, broadcast over neurons): a sub-step is accepted when the RMS over the
    variables of (error estimate / atol) is <= 1. Each neuron has its own sub-step
    size, starting at ``h0`` (default dt/8), shrinking and growing with its error.
    ``t0``: the time (ms into the step) each neuron starts from (default 0).
    Returns the new array; ``y`` is not modified.

    ``event(y, cols)`` (optional): a boolean per neuron ``cols``, checked after each
    accepted sub-step; a neuron for which it is True stops there (NEST's aeif models
    detect a spike the same way, at the end of a sub-step of their adaptive
    solver). With ``event``, returns ``(y, t_event)``: ``t_event`` is the time at which
    each neuron stopped (NaN for a neuron that reached dt without an event).
    """
    y = np.array(y, dtype=float)
    n = y.shape[1]
    atol = np.asarray(atol, float).reshape(-1, 1)
    t = np.zeros(n) if t0 is None else np.array(np.broadcast_to(t0, n), float)
    h = np.full(n, dt / 8.0 if h0 is None else h0)
    t_event = np.full(n, np.nan)
    active = np.flatnonzero(t < dt * (1 - 1e-12))
    for _ in range(DOPRI5_MAX_ITERATIONS):
        if active.size == 0:
            return y if event is None else (y, t_event)
        ya, ta = y[:, active], t[active]
        ha = np.minimum(h[active], dt - ta)
        k = [rhs(ta, ya, active)]
        for s in range(1, 7):
            stage = ya.copy()
            for a, kj in zip(_DP_A[s], k):
                if a:
                    stage += (ha * a) * kj
            k.append(rhs(ta + _DP_C[s] * ha, stage, active))
        y5 = stage                       # the last stage is the fifth-order solution
        err = np.zeros_like(ya)
        for e, kj in zip(_DP_E, k):
            if e:
                err += e * kj
        err *= ha
        with np.errstate(invalid="ignore", over="ignore"):
            norm = np.sqrt(np.mean((err / atol) ** 2, axis=0))
            ok = np.isfinite(y5).all(axis=0) & (norm <= 1.0)
            factor = np.where(ok | np.isfinite(norm),
                              np.clip(0.9 * np.maximum(norm, 1e-10) ** -0.2, 0.2, 5.0), 0.2)
        accepted = active[ok]
        y[:, accepted] = y5[:, ok]
        t[accepted] += ha[ok]
        h[active] = ha * factor
        if (h[active] < dt * 1e-12).any():
            raise IntegrationError("the adaptive integrator's step size fell below 1e-12 dt")
        running = t[active] < dt * (1 - 1e-12)
        if event is not None and accepted.size:
            hit = np.zeros(active.size, bool)
            hit[ok] = event(y[:, accepted], accepted)
            t_event[active[hit]] = t[active[hit]]
            running &= ~hit
        active = active[running]
    raise IntegrationError(f"the adaptive integrator did not finish the step in "
                           f"{DOPRI5_MAX_ITERATIONS} sub-steps")


def stiff_membrane(z, v, reversal_potentials, v_inf, tolerance):
    """Which neurons' RK4 step is off by more than ``tolerance`` (indices into ``z``).

    For a membrane linear in v, dv/dt = lambda (v_inf - v) with lambda = total
    conductance / cm, one classical RK4 step of length h has a local error of about
    (lambda h)^5 / 120 of the distance to the equilibrium. ``z``: an upper bound of
    lambda h over the step, per candidate neuron; the distance is bounded by the
    largest of |v - v_inf| (at the start) and |v - E| for every reversal potential
    E (where v_inf moves as the conductances change within the step).
    """
    distance = np.abs(v - v_inf)
    for E in reversal_potentials:
        np.maximum(distance, np.abs(v - E), out=distance)
    with np.errstate(over="ignore", invalid="ignore"):
        error = z ** 5 / 120.0 * distance
    return np.flatnonzero(~(error <= tolerance))
