"""Adapting conductance-based integrate-and-fire neurons: IF_cond_exp_gsfa_grr (NEST
iaf_cond_exp_sfa_rr) and GIF_cond_exp (NEST gif_cond_exp).

Both: v by classical RK4 (one step per time step) with every conductance
exact at each stage -- the synaptic ones and, for gsfa_grr, the adaptation and
relative-refractory conductances, which also just decay between spikes (see
:mod:`.conductances`); a step made stiff by a large conductance at a coarse dt
is redone by the adaptive, error-controlled Dormand-Prince integrator to 1e-3 mV
(NEST's tolerance for these models; :class:`.conductances.StiffMembrane`). Units: mV, ms, nF, uS; g_s, g_r, q_sfa, q_rr in nS and
i_eta, a_eta in nA, as PyNN declares them.

IF_cond_exp_gsfa_grr (Muller et al. 2007):

    cm dv/dt = g_L (v_rest - V) + g_e (e_rev_E - V) + g_i (e_rev_I - V)
               + g_s (e_rev_sfa - V) + g_r (e_rev_rr - V) + i_offset + i_inj
    V = min(v, v_thresh) (as NEST); on a spike g_s += q_sfa, g_r += q_rr,
    v = v_reset, held for round(tau_refrac / dt) steps (as the LIF models).

GIF_cond_exp (Mensi et al. 2012, Pozzorini et al. 2015), in NEST's order: at
the start of each step the spike-triggered current i_eta = sum of its
exponential components and the threshold v_t = v_t_star + sum of its
components are taken (and recorded for the step's end), then the components
decay by one step; v integrates with i_eta subtracted; then, unless
refractory, the cell fires with probability 1 - exp(-lambda dt),
lambda = lambda0 exp((v - v_t) / delta_v) (lambda0 in Hz), drawn from the
network's seeded streams; a spike adds a_eta / a_gamma to the components.
v is not reset at the spike itself: it is held at v_reset during the
round(tau_refrac / dt) following steps (NEST's gif_cond_exp does exactly this).
"""

import numpy as np

from .conductances import ExpConductances, StiffMembrane, rk4
from .kernels.neurons import NO_INJECTION
from .lif import LIFBase


class LIFCondExpSfaRr(StiffMembrane, ExpConductances, LIFBase):
    """IF_cond_exp_gsfa_grr: spike-frequency adaptation and relative refractoriness."""

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                       "e_rev_E", "e_rev_I", "v_thresh", "v_reset", "i_offset",
                       "tau_sfa", "e_rev_sfa", "q_sfa", "tau_rr", "e_rev_rr", "q_rr")
    state_names = ("v", "g_r", "g_s", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "g_r", "g_s", "gsyn_exc", "gsyn_inh")

    def _compute_propagators(self, dt):
        p = self.params
        self._dt = dt
        self._g_L = p["cm"] / p["tau_m"]
        self._inv_cm = 1.0 / p["cm"]
        offsets = np.arange(3)[:, None] * (0.5 * dt)
        self._decay_s = np.exp(-offsets / p["tau_sfa"])
        self._decay_r = np.exp(-offsets / p["tau_rr"])
        self._conductance_propagators(dt)
        self._refractory_counts(dt)
        self._membrane_leak = self._g_L
        self._membrane_cap = p["v_thresh"]

    def _conductance_bound(self):
        s = self.state
        return ExpConductances._conductance_bound(self) + (s["g_s"] + s["g_r"]) * 1e-3

    def compiled_kernel(self):
        """``lif_cond_exp_sfa_rr`` (kernels/adaptive.py: this step's arithmetic, the same
        bits; stiff steps declined to it), for this class exactly."""
        if type(self) is not LIFCondExpSfaRr:
            return None
        s, p = self.state, self.params
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        args = (s["v"], s["g_s"], s["g_r"], s["gsyn_exc"], s["gsyn_inh"], self._decay_e[1],
                self._decay_e[2], self._decay_i[1], self._decay_i[2], *self._decay_s,
                *self._decay_r, p["i_offset"], *inj, self._g_L, p["v_rest"], self._inv_cm,
                p["e_rev_E"], p["e_rev_I"], p["e_rev_sfa"], p["e_rev_rr"], p["v_thresh"],
                p["v_reset"], p["q_sfa"], p["q_rr"], float(self._dt), float(self.Z_RK4),
                float(self.TOLERANCE), self._active_from, self._refractory_steps,
                np.empty(self.size, np.int64))
        return "lif_cond_exp_sfa_rr", args

    def _membrane_conductances(self, t, idx):
        s, p = self.state, self.params
        g_e, g_i = self._conductances_at(t, idx)
        return [(g_e, p["e_rev_E"][idx]), (g_i, p["e_rev_I"][idx]),
                (s["g_s"][idx] * 1e-3 * np.exp(-t / p["tau_sfa"][idx]), p["e_rev_sfa"][idx]),
                (s["g_r"][idx] * 1e-3 * np.exp(-t / p["tau_rr"][idx]), p["e_rev_rr"][idx])]

    def step(self, k, inputs):
        s, p = self.state, self.params
        v, g_s, g_r = s["v"], s["g_s"], s["g_r"]
        drive = p["i_offset"] if self.i_inj is None else p["i_offset"] + self.i_inj
        drive = drive + self._g_L * p["v_rest"]
        g_L, v_cap, inv_cm = self._g_L, p["v_thresh"], self._inv_cm
        E_e, E_i, E_s, E_r = p["e_rev_E"], p["e_rev_I"], p["e_rev_sfa"], p["e_rev_rr"]
        gs_nS = [g_s * self._decay_s[j] * 1e-3 for j in range(3)]   # nS -> uS
        gr_nS = [g_r * self._decay_r[j] * 1e-3 for j in range(3)]

        def conductances(j):
            g_e, g_i = self._conductances(j)
            return g_e, g_i, gs_nS[j], gr_nS[j]

        def derivatives(y, g_e, g_i, g_sfa, g_rr):
            V = np.minimum(y[0], v_cap)
            return [(drive + g_e * E_e + g_i * E_i + g_sfa * E_s + g_rr * E_r
                     - (g_L + g_e + g_i + g_sfa + g_rr) * V) * inv_cm]

        (v_new,) = rk4([v], derivatives, conductances, self._dt)
        self._redo_stiff_steps(k, v, v_new, drive)
        np.copyto(v, v_new, where=self._active_mask(k))
        g_s *= self._decay_s[2]
        g_r *= self._decay_r[2]
        self._conductance_update(inputs)
        spiked = self._spike_and_reset(k, v)
        if spiked.size:
            g_s[spiked] += p["q_sfa"][spiked]
            g_r[spiked] += p["q_rr"][spiked]
        return spiked


class GIFCondExp(StiffMembrane, ExpConductances, LIFBase):
    """GIF_cond_exp: escape-noise spiking, spike-triggered current and moving threshold."""

    #: its escape-noise draws cover the whole group at once: under MPI every rank holds
    #: all its cells (engine/exchange.py), so the draws do not depend on the rank split
    random_per_cell = True

    parameter_names = ("v_rest", "cm", "tau_m", "tau_refrac", "tau_syn_E", "tau_syn_I",
                       "e_rev_E", "e_rev_I", "v_reset", "i_offset", "delta_v", "v_t_star",
                       "lambda0")
    #: parameters with one value per component (PyNN ArrayParameter), stored as
    #: (neurons, components) arrays; cells with fewer components are padded with
    #: inert ones (amplitude 0)
    array_parameter_names = ("tau_eta", "tau_gamma", "a_eta", "a_gamma")
    state_names = ("v", "v_t", "i_eta", "gsyn_exc", "gsyn_inh")
    receptors = ("excitatory", "inhibitory")
    recordable = ("v", "gsyn_exc", "gsyn_inh", "i_eta", "v_t")
    #: uniform draws are made for blocks of this many (steps x neurons)
    DRAW_BLOCK = 1 << 16

    def __init__(self, network):
        super().__init__(network)
        self.array_params = {name: np.zeros((0, 0)) for name in self.array_parameter_names}
        self._serial = network.new_stream_id()
        self._draws = None
        self._draw_buffer = np.zeros((0, 0))    # the block of draws _draws holds
        self._draw_block = np.full(1, -1, np.int64)
        self._sizes = {}                 # array parameter -> components given per cell
        self._eta = np.zeros((0, 0))     # kernel state, one row per neuron
        self._gamma = np.zeros((0, 0))

    def add_neurons(self, ids, parameters, initial_values):
        scalars = {name: parameters[name] for name in self.parameter_names}
        n = len(ids)
        for name in self.array_parameter_names:
            rows = [np.atleast_1d(np.asarray(r, float)) for r in _per_cell(parameters[name], n)]
            pad = 1.0 if name.startswith("tau") else 0.0   # inert components: amplitude 0
            start = self.array_params[name].shape[0]
            self.array_params[name] = _stack_padded([*self.array_params[name], *rows], pad)
            self._record_sizes(np.arange(start, start + n), name, rows)
        index = super().add_neurons(ids, scalars, initial_values)
        # the kernels' state has one column per kernel component: its width follows
        # the array parameters, so it is sized here rather than declared
        width = self.array_params["a_eta"].shape[1], self.array_params["a_gamma"].shape[1]
        self._eta = _resize(self._eta, (self.size, width[0]))
        self._gamma = _resize(self._gamma, (self.size, width[1]))
        self._draws = None
        self._draw_block[0] = -1
        return index

    def get_array_parameter(self, name, positions):
        return [row.copy() for row in self.array_params[name][positions]]

    def set_array_parameter(self, positions, name, rows):
        array = list(self.array_params[name])
        for i, row in zip(positions, rows):
            array[i] = np.atleast_1d(np.asarray(row, float))
        self.array_params[name] = _stack_padded(array, pad=1.0 if name.startswith("tau") else 0.0)
        self._record_sizes(np.asarray(positions), name, rows)
        self.invalidate()

    def _record_sizes(self, positions, name, rows):
        """Remember how many components each cell was given (padding hides it)."""
        sizes = self._sizes
        old = sizes.get(name, np.zeros(0, np.int64))
        new = np.zeros(self.array_params[name].shape[0], np.int64)
        new[:old.size] = old[:new.size]
        new[positions] = [np.size(r) for r in rows]
        sizes[name] = new

    def start_run(self, first_step, n_steps, dt):
        # checked here rather than at set(): set(tau_eta=...) and set(a_eta=...) may
        # come one after the other. NEST gif_cond_exp refuses the mismatch as well
        # ("'tau_stc' and 'q_stc' need to have the same dimensions")
        sizes = self._sizes
        for tau, a in (("tau_eta", "a_eta"), ("tau_gamma", "a_gamma")):
            if tau in sizes and a in sizes:
                bad = np.flatnonzero(sizes[tau] != sizes[a])
                if bad.size:
                    i = int(bad[0])
                    raise ValueError(
                        f"GIF_cond_exp: {tau} and {a} must have the same length; cell {i} "
                        f"has {tau}={self.array_params[tau][i, :sizes[tau][i]].tolist()!r} "
                        f"and {a}={self.array_params[a][i, :sizes[a][i]].tolist()!r}")
        super().start_run(first_step, n_steps, dt)

    def reset(self):
        super().reset()
        self._eta = np.zeros_like(self._eta)
        self._gamma = np.zeros_like(self._gamma)
        self._draws = None
        self._draw_block[0] = -1     # (the kernel then declines until _uniforms draws)

    def _compute_propagators(self, dt):
        p, a = self.params, self.array_params
        self._dt = dt
        self._g_L = p["cm"] / p["tau_m"]
        self._inv_cm = 1.0 / p["cm"]
        self._P_eta = np.exp(-dt / a["tau_eta"])
        self._P_gamma = np.exp(-dt / a["tau_gamma"])
        if self._eta.shape != a["a_eta"].shape:
            self._eta = _resize(self._eta, a["a_eta"].shape)
        if self._gamma.shape != a["a_gamma"].shape:
            self._gamma = _resize(self._gamma, a["a_gamma"].shape)
        self._rate = p["lambda0"] * 1e-3 * dt           # Hz -> per step
        self._conductance_propagators(dt)
        self._refractory_counts(dt)
        self._membrane_leak = self._g_L

    def _membrane_conductances(self, t, idx):
        p = self.params
        g_e, g_i = self._conductances_at(t, idx)
        return [(g_e, p["e_rev_E"][idx]), (g_i, p["e_rev_I"][idx])]

    #: blocks of draws held at once (drawn together when step k leaves them): the compiled
    #: kernel reads them and declines a step outside them, so fewer blocks held would
    #: stop compiled stretches more often (every 65 steps for 1000 cells with one)
    DRAW_BLOCKS_HELD = 8

    def _uniforms(self, k):
        """Uniform [0, 1) draws for step k, one per neuron, from (seed, group, block) streams.

        DRAW_BLOCKS_HELD consecutive blocks are held in ``_draw_buffer`` (overwritten in
        place, so that the compiled kernel, which reads it, sees them), the first one's
        index in ``_draw_block``; each block is drawn from its own stream, so the values
        do not depend on how many are held."""
        n = max(self.size, 1)
        rows = max(self.DRAW_BLOCK // n, 1)
        block = k // rows
        held = self.DRAW_BLOCKS_HELD
        if self._draws is None or not 0 <= block - self._draws[0] < held \
                or self._draws[1].shape != (held * rows, n):
            if self._draw_buffer.shape != (held * rows, n):
                self._draw_buffer = np.empty((held * rows, n))
            for i in range(held):
                rng = self.network.rng_for(self._serial, block + i)
                self._draw_buffer[i * rows:(i + 1) * rows] = rng.random((rows, n))
            self._draw_block[0] = block
            self._draws = (block, self._draw_buffer)
        return self._draws[1][k - self._draws[0] * rows]

    #: components (per kernel) from which the compiled step is not offered: NumPy sums
    #: a row of 8 or more pairwise, the kernel in order
    KERNEL_MAX_COMPONENTS = 7

    def compiled_kernel(self):
        """``gif_cond_exp`` (kernels/adaptive.py), for this class exactly, up to
        KERNEL_MAX_COMPONENTS components and with delta_v > 0. It reads the draws of
        the blocks ``_uniforms`` holds and declines a step of another block (the NumPy
        step then draws it), so the draws are the NumPy step's."""
        a = self.array_params
        if (type(self) is not GIFCondExp or self.size == 0
                or max(a["a_eta"].shape[1], a["a_gamma"].shape[1]) > self.KERNEL_MAX_COMPONENTS
                or not (self.params["delta_v"] != 0.0).all()):
            return None
        rows = max(self.DRAW_BLOCK // self.size, 1)
        if self._draw_buffer.shape != (self.DRAW_BLOCKS_HELD * rows, self.size):
            self._draw_buffer = np.empty((self.DRAW_BLOCKS_HELD * rows, self.size))
            self._draw_block[0] = -1
            self._draws = None
        s, p = self.state, self.params
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        args = (s["v"], s["v_t"], s["i_eta"], s["gsyn_exc"], s["gsyn_inh"], self._eta,
                self._gamma, self._P_eta, self._P_gamma, a["a_eta"], a["a_gamma"],
                self._decay_e[1], self._decay_e[2], self._decay_i[1], self._decay_i[2],
                p["i_offset"], *inj, self._g_L, p["v_rest"], self._inv_cm, p["e_rev_E"],
                p["e_rev_I"], p["v_reset"], p["v_t_star"], p["delta_v"], self._rate,
                self._draw_buffer, self._draw_block, rows, float(self._dt), float(self.Z_RK4),
                float(self.TOLERANCE), self._active_from, self._refractory_steps,
                np.empty(self.size, np.int64))
        return "gif_cond_exp", args

    def step(self, k, inputs):
        s, p = self.state, self.params
        v = s["v"]
        active = self._active_mask(k)
        i_eta = self._eta.sum(axis=1)
        v_t = p["v_t_star"] + self._gamma.sum(axis=1)
        self._eta *= self._P_eta
        self._gamma *= self._P_gamma
        drive = p["i_offset"] if self.i_inj is None else p["i_offset"] + self.i_inj
        drive = drive + self._g_L * p["v_rest"] - i_eta
        g_L, inv_cm, E_e, E_i = self._g_L, self._inv_cm, p["e_rev_E"], p["e_rev_I"]

        def derivatives(y, g_e, g_i):
            V = y[0]
            return [(drive + g_e * E_e + g_i * E_i - (g_L + g_e + g_i) * V) * inv_cm]

        (v_new,) = rk4([v], derivatives, self._conductances, self._dt)
        self._redo_stiff_steps(k, v, v_new, drive)
        np.copyto(v, v_new, where=active)
        self._conductance_update(inputs)
        s["i_eta"][:] = i_eta
        s["v_t"][:] = v_t
        # refractory steps end at v_reset (NEST sets V_m = V_reset while counting down)
        held = ~active
        if held.any():
            v[held] = p["v_reset"][held]
        with np.errstate(over="ignore"):
            hazard = self._rate * np.exp((v - v_t) / p["delta_v"])
        p_spike = -np.expm1(-hazard)
        spiked = np.flatnonzero(active & (self._uniforms(k) < p_spike))
        if spiked.size:
            self._eta[spiked] += self.array_params["a_eta"][spiked]
            self._gamma[spiked] += self.array_params["a_gamma"][spiked]
            self._active_from[spiked] = k + 1 + self._refractory_steps[spiked]
        return spiked


def _per_cell(value, n):
    """A per-cell list of component arrays from one array or a list of n of them."""
    if isinstance(value, (list, tuple)) and len(value) == n and n > 0 and \
            np.ndim(value[0]) >= 1:
        return list(value)
    array = np.asarray(value, float)
    if array.ndim == 2 and array.shape[0] == n:
        return list(array)
    return [array] * n


def _stack_padded(rows, pad):
    if not rows:
        return np.zeros((0, 0))
    width = max(r.size for r in rows)
    out = np.full((len(rows), width), pad)
    for i, r in enumerate(rows):
        out[i, :r.size] = r
    return out


def _resize(array, shape):
    out = np.zeros(shape)
    n, m = min(array.shape[0], shape[0]), min(array.shape[1], shape[1])
    out[:n, :m] = array[:n, :m]
    return out
