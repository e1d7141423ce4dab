"""Hodgkin-Huxley neurons with Traub & Miles (1991) kinetics, as NEST's hh_cond_exp_traub
(PyNN HH_cond_exp).

    cm dv/dt = -gbar_Na m^3 h (v - e_rev_Na) - gbar_K n^4 (v - e_rev_K)
               - g_leak (v - e_rev_leak) - g_e (v - e_rev_E) - g_i (v - e_rev_I)
               + i_offset + i_inj
    dx/dt = alpha_x(V) (1 - x) - beta_x(V) x   for x = m, h, n;   V = v - v_offset

with NEST's rate functions (ms^-1). Units: mV, ms, nF, uS, nA. Conductances
decay exponentially with tau_syn_E / tau_syn_I.

Integrator: classical RK4 on (v, m, h, n), the synaptic conductances exact at
every stage (:mod:`.conductances`), in SUBSTEPS = 4 sub-steps per time step
(0.025 ms at dt = 0.1 ms) while any cell of the group is at or above v_offset
(near or in a spike, where the sodium current makes the system stiff, rates up
to ~100/ms), and QUIET_SUBSTEPS = 2 while all are below (m still relaxes at
~10/ms there). One sub-step per 0.1 ms is not enough: spike times then drift
away from NEST's within a few hundred ms; with 4 / 2 the protocol of
tests/test_cell_types.py gives NEST's spike times (46 of 53 identical, all
within one step). The cost is 8-16 right-hand-side evaluations per step.

Stiff steps: where the membrane's rate (total conductance / cm) times the RK4
sub-step exceeds Z_RK4 = 2 (RK4 diverges beyond 2.78: large synaptic
conductances, 10 uS and more at dt = 0.1 ms), the neuron's step is integrated
again, from the same start, by the adaptive, error-controlled
:func:`.conductances.dopri5` (absolute tolerance 1e-3 mV on v, as NEST's
gsl_error_tol; 1e-5 on the gates).

Spikes as NEST: there is no reset; a spike is emitted at the end of a step in
which v >= v_offset + 30 mV and v fell (the step after the peak), after which
spike detection pauses for the NEST default t_ref = 2 ms (PyNN's HH_cond_exp
has no such parameter).
"""

import numpy as np

from .recorders import NumericalInstabilityError
from .conductances import IntegrationError, dopri5, rk4
from .groups import Internal, NeuronGroup
from .kernels.neurons import NO_INJECTION

T_REF = 2.0  # ms; NEST hh_cond_exp_traub's default t_ref


def _x_over_expm1(x):
    """x / (exp(x) - 1), continuous at x = 0 (value 1)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        small = np.abs(x) < 1e-6
        out = x / np.expm1(np.where(small, 1.0, x))
    return np.where(small, 1.0 - 0.5 * x, out)


def rates(V):
    """(alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n) in 1/ms at V = v - v_offset.

    The reference form (NEST's); the step uses the same functions, batched.
    """
    alpha_n = 0.16 * _x_over_expm1((15.0 - V) / 5.0)
    beta_n = 0.5 * np.exp((10.0 - V) / 40.0)
    alpha_m = 1.28 * _x_over_expm1((13.0 - V) / 4.0)
    beta_m = 1.4 * _x_over_expm1((V - 40.0) / 5.0)
    alpha_h = 0.128 * np.exp((17.0 - V) / 18.0)
    beta_h = 4.0 / (1.0 + np.exp((40.0 - V) / 5.0))
    return alpha_m, beta_m, alpha_h, beta_h, alpha_n, beta_n


# The six rate functions share one exponential call: row r uses x_r = C0[r] + C1[r] V.
# Rows 0-2: x / expm1(x) forms (alpha_m, alpha_n, beta_m); rows 3-4: exp forms
# (alpha_h, beta_n); row 5: logistic (beta_h); K scales each row.
_C0 = np.array([13.0 / 4.0, 15.0 / 5.0, -40.0 / 5.0, 17.0 / 18.0, 10.0 / 40.0, 40.0 / 5.0])[:, None]
_C1 = np.array([-1.0 / 4.0, -1.0 / 5.0, 1.0 / 5.0, -1.0 / 18.0, -1.0 / 40.0, -1.0 / 5.0])[:, None]
_K = np.array([1.28, 0.16, 1.4, 0.128, 0.5, 4.0])[:, None]
_ALPHA = [0, 3, 1]   # rows of alpha_m, alpha_h, alpha_n
_BETA = [2, 5, 4]    # rows of beta_m, beta_h, beta_n


def _batched_rates(V):
    """alpha and beta of (m, h, n) as two (3, N) arrays."""
    x = _C0 + _C1 * V
    e = np.expm1(x)
    q = np.empty_like(x)
    np.divide(x[:3], e[:3], out=q[:3])         # (the caller silences 0/0 and overflow)
    if not np.isfinite(q[:3]).all():           # x = 0 exactly, or overflow: the safe form
        q[:3] = _x_over_expm1(x[:3])
    np.add(e[3:5], 1.0, out=q[3:5])
    np.divide(1.0, e[5] + 2.0, out=q[5])
    q *= _K
    return q[_ALPHA], q[_BETA]


class HodgkinHuxley(NeuronGroup):
    """HH_cond_exp (NEST hh_cond_exp_traub)."""

    parameter_names = ("gbar_Na", "gbar_K", "g_leak", "cm", "v_offset", "e_rev_Na", "e_rev_K",
                       "e_rev_leak", "e_rev_E", "e_rev_I", "tau_syn_E", "tau_syn_I", "i_offset")
    state_names = ("v", "m", "h", "n", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "gsyn_exc", "gsyn_inh", "m", "h", "n")
    SUBSTEPS = 4           # RK4 sub-steps per step while some cell is near or in a spike
    QUIET_SUBSTEPS = 2     # ... while every cell is below v_offset + QUIET_BELOW
    QUIET_BELOW = 0.0      # mV (v_offset is about 13 mV below the spike threshold)

    #: seconds a NumPy step costs beyond an ordinary group's, whatever the size (the
    #: sub-stepped RK4's array operations): "auto" loads the kernels sooner for it
    numpy_step_cost_s = 150e-6

    #: step index from which spikes are detected again (NEST's refractory counter)
    internal_state = {"_detect_from": Internal(np.int64, 0)}

    #: lambda*h (membrane conductance / cm times the RK4 sub-step) above which a neuron's
    #: step is integrated adaptively instead: RK4 is unstable beyond 2.78; ordinary spikes
    #: (sodium conductance up to ~12 uS, lambda*h ~1.5 at 4 sub-steps of 0.025 ms) stay
    #: below, large synaptic conductances (10 uS and more) go above
    Z_RK4 = 2.0
    #: absolute tolerances of the adaptive integrator: v (mV; NEST's gsl_error_tol 1e-3),
    #: m, h, n (tighter than NEST's 1e-3: the gates are in [0, 1])
    TOLERANCES = (1e-3, 1e-5, 1e-5, 1e-5)

    def _stiff_neurons(self, y, g_syn, n_sub):
        """Neurons whose membrane rate times the sub-step exceeds Z_RK4 (None: none)."""
        vm, m, h, n = y
        n2 = n * n
        g = self.params["gbar_Na"] * (m * m * m * h) + self.params["gbar_K"] * (n2 * n2)
        g += self.params["g_leak"]
        g += g_syn
        z = g * self._inv_cm
        z *= self._dt / n_sub
        stiff = np.flatnonzero(z > self.Z_RK4)
        return stiff if stiff.size else None

    def _adaptive(self, idx, y0, drive):
        """(v, m, h, n) at the end of the step for neurons ``idx``, by dopri5."""
        p = self.params
        sel = {name: p[name][idx] for name in ("gbar_Na", "gbar_K", "g_leak", "e_rev_Na",
                                                "e_rev_K", "e_rev_leak", "e_rev_E", "e_rev_I",
                                                "tau_syn_E", "tau_syn_I", "v_offset")}
        inv_cm = self._inv_cm[idx]
        drive = np.broadcast_to(drive, p["cm"].shape)[idx]
        ge0, gi0 = self.state["gsyn_exc"][idx], self.state["gsyn_inh"][idx]

        def rhs(t, y, cols):
            q = {name: value[cols] for name, value in sel.items()}
            g_e = ge0[cols] * np.exp(-t / q["tau_syn_E"])
            g_i = gi0[cols] * np.exp(-t / q["tau_syn_I"])
            vm, m, h, n = y
            n2 = n * n
            g_na = q["gbar_Na"] * (m * m * m * h)
            g_k = q["gbar_K"] * (n2 * n2)
            dy = np.empty_like(y)
            dy[0] = (drive[cols] + q["g_leak"] * q["e_rev_leak"] + g_na * q["e_rev_Na"]
                     + g_k * q["e_rev_K"] + g_e * q["e_rev_E"] + g_i * q["e_rev_I"]
                     - (g_na + g_k + q["g_leak"] + g_e + g_i) * vm) * inv_cm[cols]
            alpha, beta = _batched_rates(vm - q["v_offset"])
            dy[1:] = alpha - (alpha + beta) * y[1:]
            return dy

        return dopri5(y0, rhs, self._dt, self.TOLERANCES, h0=self._dt / 16)

    def compiled_kernel(self):
        """The kernel (kernels/neurons.py ``hodgkin_huxley``: the same arithmetic but
        the C library's expm1, so equal within a tolerance, not bit for bit)."""
        cls = HodgkinHuxley
        if any(getattr(type(self), name) is not getattr(cls, name)
               for name in ("step", "_stiff_neurons", "_adaptive", "_compute_propagators")):
            return None
        s, p = self.state, self.params
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        busy, quiet = self._decay[self.SUBSTEPS], self._decay[self.QUIET_SUBSTEPS]
        args = (s["v"], s["m"], s["h"], s["n"], s["gsyn_exc"], s["gsyn_inh"], *busy, *quiet,
                int(self.SUBSTEPS), int(self.QUIET_SUBSTEPS), float(self.QUIET_BELOW),
                float(self.Z_RK4), p["i_offset"], *inj, p["gbar_Na"], p["gbar_K"],
                p["g_leak"], p["e_rev_Na"], p["e_rev_K"], p["e_rev_leak"], p["e_rev_E"],
                p["e_rev_I"], self._inv_cm, p["v_offset"], float(self._dt), self._detect_from,
                int(self._refractory_steps), np.empty(self.size, np.int64))
        return "hodgkin_huxley", args

    def _compute_propagators(self, dt):
        p = self.params
        self._dt = dt
        self._inv_cm = 1.0 / p["cm"]
        self._refractory_steps = int(round(T_REF / dt))
        self._decay = {}
        for n_sub in (self.SUBSTEPS, self.QUIET_SUBSTEPS):
            offsets = np.arange(2 * n_sub + 1)[:, None] * (0.5 * dt / n_sub)
            self._decay[n_sub] = (np.exp(-offsets / p["tau_syn_E"]),
                                  np.exp(-offsets / p["tau_syn_I"]))

    def step(self, k, inputs):
        s, p = self.state, self.params
        v = s["v"]
        V_T = p["v_offset"]
        quiet = self.QUIET_SUBSTEPS != self.SUBSTEPS and bool(
            (v < V_T + self.QUIET_BELOW).all())
        n_sub = self.QUIET_SUBSTEPS if quiet else self.SUBSTEPS
        drive = p["i_offset"] if self.i_inj is None else p["i_offset"] + self.i_inj
        g_Na, g_K, g_L = p["gbar_Na"], p["gbar_K"], p["g_leak"]
        E_Na, E_K, E_e, E_i = p["e_rev_Na"], p["e_rev_K"], p["e_rev_E"], p["e_rev_I"]
        leak_drive = drive + g_L * p["e_rev_leak"]
        inv_cm = self._inv_cm
        ge0, gi0 = s["gsyn_exc"], s["gsyn_inh"]
        decay_e, decay_i = self._decay[n_sub]

        def conductances(j):
            return ge0 * decay_e[j], gi0 * decay_i[j]

        def derivatives(ys, g_e, g_i):
            y = ys[0]                   # rows v, m, h, n
            vm, m, h, n = y
            n2 = n * n
            g_na = g_Na * (m * m * m * h)
            g_k = g_K * (n2 * n2)
            dy = np.empty_like(y)
            dy[0] = (leak_drive + g_na * E_Na + g_k * E_K + g_e * E_e + g_i * E_i
                     - (g_na + g_k + g_L + g_e + g_i) * vm) * inv_cm
            alpha, beta = _batched_rates(vm - V_T)
            dy[1:] = alpha - (alpha + beta) * y[1:]
            return [dy]

        v_old = v.copy()
        y0 = np.stack([v, s["m"], s["h"], s["n"]])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            (y,) = rk4([y0], derivatives, conductances, self._dt, n_sub)
            stiff = self._stiff_neurons(y0, ge0 + gi0, n_sub)
            if stiff is not None:
                try:
                    y[:, stiff] = self._adaptive(stiff, y0[:, stiff], drive)
                except IntegrationError:
                    # too stiff even for the adaptive integrator (conductances of 1e12 uS...)
                    raise NumericalInstabilityError.at(self, "v", stiff, k + 1) from None
        v[:], s["m"][:], s["h"][:], s["n"][:] = y
        ge0 *= decay_e[-1]
        ge0 += inputs[0]
        gi0 *= decay_i[-1]
        gi0 += inputs[1]
        spiked = np.flatnonzero((v >= V_T + 30.0) & (v_old > v) & (self._detect_from <= k))
        if spiked.size:
            self._detect_from[spiked] = k + 1 + self._refractory_steps
        return spiked
