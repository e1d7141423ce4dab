"""Point neurons with any number of named receptors, each with its own time constant.

This is the engine side of PyNN's composed cell type ``PointNeuron(neuron,
**receptors)`` (NEST's ``*_multisynapse`` models). A receptor is a name (a
projection's ``receptor_type``) and a kind:

``"curr_exp"``
    exponentially decaying current ``<name>.isyn`` (nA), time constant
    ``<name>.tau_syn``; an arriving weight w adds w to it;
``"cond_exp"``
    exponentially decaying conductance ``<name>.gsyn`` (uS), reversal potential
    ``<name>.e_syn``; an arriving weight w adds w to it;
``"cond_alpha"``
    alpha-shaped conductance ``<name>.gsyn`` peaking at w, tau_syn after the
    arrival of a weight w (state pair g, dg as in :class:`.conductances.AlphaConductances`).

The neuron is ``"lif"`` (PyNN LIF: v_rest, cm, tau_m, tau_refrac, v_reset,
v_thresh, i_offset) or ``"adexp"`` (PyNN AdExp, integrated as :mod:`.adex`).
Integration, with NEST's step order (as the fixed-receptor families):

* LIF with current receptors: exact (propagators as :class:`.lif.LIFCurrExp`,
  one exponential-current term per receptor; NEST iaf_psc_exp_multisynapse);
* LIF with conductance receptors: RK4 for v with the conductances exact at every
  stage (as :class:`.lif._LIFCondBase`), stiff steps (a large conductance at a
  coarse dt) redone by the adaptive Dormand-Prince integrator to 1e-3 mV
  (:class:`.conductances.StiffMembrane`);
* AdExp with conductance receptors: :mod:`.adex`'s integrator, stiff steps
  included (NEST aeif_cond_alpha_multisynapse for alpha receptors).

Compiled engine: every family here offers a kernel of :mod:`.kernels.multisynapse`
(``compiled_kernel()``; the receptors' arrays passed as tuples), AdExp's declining
the steps :mod:`.adex`'s kernel declines (stiff, re-integrated in sub-steps).

Parameters and state variables are named as PyNN names them: the neuron's own
(``v``, ``tau_m``...) and ``<receptor>.<name>`` for the receptors'. Network.groups
is keyed by model class, so every receptor signature (neuron kind and the
ordered (name, kind) pairs) gets its own class, made by :func:`point_neuron_model`
and cached: PointNeurons with different receptor sets never share a group.
"""

import functools

import numpy as np

from . import propagators as prop
from .adex import AdExBase
from .conductances import StiffMembrane, rk4
from .kernels.neurons import NO_INJECTION
from .lif import LIFBase

_E = np.e

LIF_PARAMETERS = ("v_rest", "cm", "tau_m", "tau_refrac", "i_offset", "v_reset", "v_thresh")
ADEXP_PARAMETERS = ("cm", "tau_refrac", "v_spike", "v_reset", "v_rest", "tau_m",
                    "i_offset", "a", "b", "delta_T", "tau_w", "v_thresh")
RECEPTOR_KINDS = {
    # kind: (parameters, recordable state, internal state)
    "curr_exp": (("tau_syn",), ("isyn",), ()),
    "cond_exp": (("tau_syn", "e_syn"), ("gsyn",), ()),
    "cond_alpha": (("tau_syn", "e_syn"), ("gsyn",), ("dgsyn",)),
}


class _Receptors:
    """Mixin: the receptor list of a multisynapse class (``_receptor_kinds``: name -> kind)."""

    _receptor_kinds = ()

    def _p(self, name, variable):
        return self.params[f"{name}.{variable}"]

    def _s(self, name, variable):
        return self.state[f"{name}.{variable}"]


class _MultiConductances(_Receptors):
    """Conductances of every receptor, exact inside a step (interface of .conductances mixins)."""

    def _conductance_propagators(self, dt, substeps=1):
        offsets = np.arange(2 * substeps + 1)[:, None] * (0.5 * dt / substeps)
        self._offsets = offsets
        self._decays = [np.exp(-offsets / self._p(name, "tau_syn"))
                        for name, _ in self._receptor_kinds]
        self._alpha_scales = [_E / self._p(name, "tau_syn") for name, _ in self._receptor_kinds]

    def _reversal_potentials(self):
        return [self._p(name, "e_syn") for name, _ in self._receptor_kinds]

    def _conductances(self, j):
        g = []
        for (name, kind), decay in zip(self._receptor_kinds, self._decays):
            g0 = self._s(name, "gsyn")
            if j == 0:
                g.append(g0)
            elif kind == "cond_alpha":
                g.append((g0 + self._offsets[j] * self._s(name, "dgsyn")) * decay[j])
            else:
                g.append(g0 * decay[j])
        return tuple(g)

    def _conductances_at(self, t, idx):
        g = []
        for name, kind in self._receptor_kinds:
            decay = np.exp(-t / self._p(name, "tau_syn")[idx])
            g0 = self._s(name, "gsyn")[idx]
            if kind == "cond_alpha":
                g0 = g0 + t * self._s(name, "dgsyn")[idx]
            g.append(g0 * decay)
        return tuple(g)

    def _conductance_bound(self):
        """The sum of the receptors' conductances at most over the step, per neuron."""
        h = self._offsets[-1]
        total = 0.0
        for name, kind in self._receptor_kinds:
            total = total + self._s(name, "gsyn")
            if kind == "cond_alpha":      # (g + t dg) e^(-t/tau) <= g + dt dg+
                total = total + h * np.maximum(self._s(name, "dgsyn"), 0.0)
        return total

    def _membrane_conductances(self, t, idx):
        return list(zip(self._conductances_at(t, idx),
                        (E[idx] for E in self._reversal_potentials())))

    def _conductance_update(self, inputs):
        end = len(self._offsets) - 1
        new = self._conductances(end)
        for r, ((name, kind), decay) in enumerate(zip(self._receptor_kinds, self._decays)):
            self._s(name, "gsyn")[:] = new[r]
            if kind == "cond_alpha":
                dg = self._s(name, "dgsyn")
                dg *= decay[end]
                dg += inputs[r] * self._alpha_scales[r]
            else:
                self._s(name, "gsyn")[:] += inputs[r]


class _LIFCurrMulti(_Receptors, LIFBase):
    """LIF with exponential current receptors, integrated exactly (iaf_psc_exp_multisynapse)."""

    def _compute_propagators(self, dt):
        p = self.params
        self._P22 = prop.membrane_decay(dt, p["tau_m"])
        self._P11 = [np.exp(-dt / self._p(name, "tau_syn")) for name, _ in self._receptor_kinds]
        self._P21 = [prop.exp_current_gain(dt, p["tau_m"], self._p(name, "tau_syn"), p["cm"])
                     for name, _ in self._receptor_kinds]
        self._P20 = P20 = prop.constant_current_gain(dt, p["tau_m"], p["cm"])
        self._drive = p["v_rest"] * (1.0 - self._P22) + p["i_offset"] * P20
        self._refractory_counts(dt)

    def step(self, k, inputs):
        v = self.state["v"]
        currents = [self._s(name, "isyn") for name, _ in self._receptor_kinds]
        v_new = v * self._P22
        for i_syn, P21 in zip(currents, self._P21):
            v_new += i_syn * P21
        v_new += self._drive
        if self.i_inj is not None:
            v_new += self.i_inj * self._P20
        np.copyto(v, v_new, where=self._active_mask(k))
        for r, (i_syn, P11) in enumerate(zip(currents, self._P11)):
            i_syn *= P11
            i_syn += inputs[r]
        return self._spike_and_reset(k, v)

    def compiled_kernel(self):
        """kernels/multisynapse.py's lif_curr_multi: the receptors' currents and
        propagators as tuples of the group's own arrays (written in place)."""
        if type(self).step is not _LIFCurrMulti.step:
            return None         # a subclass with its own step has no kernel
        isyn = tuple(self._s(name, "isyn") for name, _ in self._receptor_kinds)
        args = (self.state["v"], isyn, self._P22, _floats(self._P21), self._drive, self._P20,
                *self._injection(), _floats(self._P11), *self._threshold_arrays(),
                np.empty(self.size))
        return "lif_curr_multi", args


class _LIFCondMulti(StiffMembrane, _MultiConductances, LIFBase):
    """LIF with conductance receptors: RK4 for v, conductances exact (as _LIFCondBase),
    stiff steps redone adaptively (:class:`.conductances.StiffMembrane`)."""

    def _compute_propagators(self, dt):
        p = self.params
        self._inv_cm = 1.0 / p["cm"]
        self._g_leak = p["cm"] / p["tau_m"]
        self._leak_drive = self._g_leak * p["v_rest"] + p["i_offset"]
        self._dt = dt
        self._conductance_propagators(dt)
        self._refractory_counts(dt)
        self._membrane_leak = self._g_leak

    def step(self, k, inputs):
        v = self.state["v"]
        gl, inv_cm = self._g_leak, self._inv_cm
        drive = self._leak_drive if self.i_inj is None else self._leak_drive + self.i_inj
        E_syn = self._reversal_potentials()

        def derivatives(y, *g_syn):
            i_total = drive - gl * y[0]
            for g, E in zip(g_syn, E_syn):
                i_total = i_total + g * (E - y[0])
            return [i_total * inv_cm]

        v_new, = rk4([v], derivatives, self._conductances, self._dt)
        self._redo_stiff_steps(k, v, v_new, drive)
        np.copyto(v, v_new, where=self._active_mask(k))
        self._conductance_update(inputs)
        return self._spike_and_reset(k, v)

    #: what kernels/multisynapse.py's lif_cond_multi reproduces: a subclass overriding
    #: one of them has no kernel
    _KERNEL_METHODS = ("step", "_redo_stiff_steps", "_conductance_bound",
                       "_membrane_conductances", "_conductances", "_conductances_at",
                       "_conductance_update", "_conductance_propagators",
                       "_reversal_potentials")

    def compiled_kernel(self):
        """kernels/multisynapse.py's lif_cond_multi: per receptor (tuples) its state,
        decays half a step and a step in, alpha scale and reversal potential; the stiff
        steps it declines run here (StiffMembrane)."""
        if not all(getattr(type(self), name) is getattr(_LIFCondMulti, name)
                   for name in self._KERNEL_METHODS) or self._membrane_cap is not None:
            return None
        g, dg, alpha = [], [], []
        for name, kind in self._receptor_kinds:
            g.append(self._s(name, "gsyn"))
            alpha.append(kind == "cond_alpha")
            # an exponential receptor has no dgsyn: its gsyn stands in (never read)
            dg.append(self._s(name, "dgsyn") if kind == "cond_alpha" else g[-1])
        d1 = _floats(decay[1] for decay in self._decays)
        d2 = _floats(decay[2] for decay in self._decays)
        scales = _floats(self._alpha_scales)
        args = (self.state["v"], tuple(g), tuple(dg), np.array(alpha, np.bool_), d1, d2,
                scales, _floats(self._reversal_potentials()), self._leak_drive,
                self._g_leak, self._inv_cm, *self._injection(), float(self._dt),
                float(self._offsets[1, 0]), float(self._offsets[2, 0]), float(self.Z_RK4),
                float(self.TOLERANCE), *self._threshold_arrays(), np.empty((6, self.size)))
        return "lif_cond_multi", args


def _floats(arrays):
    """A kernel's per-receptor parameters: a tuple of C-contiguous float64 arrays, one
    type for all (Numba compiles a tuple of one array type once per length)."""
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in arrays)


class _AdExpCondMulti(_MultiConductances, AdExBase):
    """AdExp with conductance receptors (NEST aeif_cond_alpha_multisynapse for alpha ones)."""

    recordable = ()   # set per class

    #: what kernels/multisynapse.py's adex_cond_multi reproduces (AdExBase's step on its
    #: ordinary path with these receptors): a subclass overriding one has no kernel
    _KERNEL_METHODS = ("step", "_rhs", "_stiff_neurons", "_reset_within_step", "_theta",
                       "_conductance_bound", "_conductances", "_conductance_update",
                       "_conductance_propagators", "_reversal_potentials",
                       "_compute_propagators")

    @property
    def numpy_step_cost_s(self):
        # as the standard AdEx classes' (AdExBase.NUMPY_STEP_COST_S), where the kernel applies
        return self.NUMPY_STEP_COST_S if self._has_kernel() else 0.0

    def _has_kernel(self):
        return (all(getattr(type(self), name) is getattr(_AdExpCondMulti, name)
                    for name in self._KERNEL_METHODS) and self.substeps == 1)

    def compiled_kernel(self):
        """kernels/multisynapse.py's adex_cond_multi: the receptors' state, decays, alpha
        scales and reversal potentials as tuples (as lif_cond_multi's); the steps it
        declines (stiff, or re-integrated in sub-steps) run here."""
        if not self._has_kernel():
            return None
        s, p = self.state, self.params
        g, dg, alpha = [], [], []
        for name, kind in self._receptor_kinds:
            g.append(self._s(name, "gsyn"))
            alpha.append(kind == "cond_alpha")
            # an exponential receptor has no dgsyn: its gsyn stands in (never read)
            dg.append(self._s(name, "dgsyn") if kind == "cond_alpha" else g[-1])
        inj = (NO_INJECTION, False) if self.i_inj is None else (self.i_inj, True)
        args = (s["v"], s["w"], tuple(g), tuple(dg), np.array(alpha, np.bool_),
                _floats(decay[1] for decay in self._decays),
                _floats(decay[2] for decay in self._decays), _floats(self._alpha_scales),
                _floats(self._reversal_potentials()), p["i_offset"], *inj, self._g_L,
                p["v_rest"], p["v_thresh"], self._dT, self._exp_gain, p["v_spike"],
                self._v_peak, self._v_check, p["v_reset"], self._a, p["b"], self._inv_tau_w,
                self._inv_cm, self._precise, float(self._dt), float(self.Z_RK4),
                float(self.TOLERANCE), self._active_from, self._refractory_steps,
                np.empty(self.size, np.int64), np.empty((16, self.size)))
        return "adex_cond_multi", args


_FAMILIES = {
    ("lif", False): (_LIFCurrMulti, LIF_PARAMETERS, ("v",)),
    ("lif", True): (_LIFCondMulti, LIF_PARAMETERS, ("v",)),
    ("adexp", True): (_AdExpCondMulti, ADEXP_PARAMETERS, ("v", "w")),
}


@functools.lru_cache(maxsize=None)
def point_neuron_model(neuron, receptors):
    """The engine class for neuron kind ``neuron`` with ``receptors``, a tuple of (name, kind).

    The same arguments give the same class (cached). Raises ValueError for a
    combination there is no model for (current and conductance receptors mixed,
    AdExp with current receptors, an unknown kind, no receptor).
    """
    receptors = tuple((str(name), str(kind)) for name, kind in receptors)
    if not receptors:
        raise ValueError("a PointNeuron needs at least one post-synaptic receptor")
    unknown = sorted({kind for _, kind in receptors} - set(RECEPTOR_KINDS))
    if unknown:
        raise ValueError(f"unknown receptor kind(s) {unknown}; known: {sorted(RECEPTOR_KINDS)}")
    conductance = {kind.startswith("cond") for _, kind in receptors}
    if len(conductance) > 1:
        raise ValueError("cannot mix conductance-based and current-based receptors")
    key = (neuron, conductance.pop())
    if key not in _FAMILIES:
        raise ValueError(f"no model for neuron {neuron!r} with "
                         f"{'conductance' if key[1] else 'current'}-based receptors")
    base, neuron_parameters, neuron_state = _FAMILIES[key]
    parameters, recordable, internal = list(neuron_parameters), list(neuron_state), []
    for name, kind in receptors:
        p, rec, intern = RECEPTOR_KINDS[kind]
        parameters += [f"{name}.{x}" for x in p]
        recordable += [f"{name}.{x}" for x in rec]
        internal += [f"{name}.{x}" for x in intern]
    attributes = {
        "parameter_names": tuple(parameters),
        "state_names": tuple(recordable + internal),
        "recordable": tuple(recordable),
        "receptors": tuple(name for name, _ in receptors),
        "_receptor_kinds": receptors,
        "__doc__": f"{neuron} with receptors {', '.join(f'{n} ({k})' for n, k in receptors)}",
    }
    label = "_".join(name for name, _ in receptors)
    return type(f"{base.__name__.lstrip('_')}[{label}]", (base,), attributes)
