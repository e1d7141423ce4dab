"""Components and groups of sPyNNaker 7.4's extra_models IFCondExpStoc, IFCurrExpCa2Adaptive, IF_curr_exp_sEMD.

Each follows its C header, in the board's arithmetic (s16.15) or float64 like
the flavour's other models (:mod:`.groups`):

- :class:`MaassStochasticThreshold` (``threshold_type_maass_stochastic.h``):
  every tick, for every neuron, a 16-bit random fraction ``r`` and
  ``exponent = (v - v_thresh) / du_th``; below 5, ``hazard = exp(exponent) /
  tau_th`` and ``result = (1 - exp(hazard dt/10)) 0.8``, else 0.8; a spike if
  ``result >= r``. As the board computes it: the time-step factor is
  ``dt/10`` (positive, although the C field is named ``neg_...``), so
  ``1 - exp(...)`` is zero or negative, and a negative s16.15 ``result``
  assigned to the unsigned accum ``UREAL`` wraps round to a value near 65536,
  above any ``r``: the neuron fires whenever ``exp(hazard dt/10)`` rounds
  above 1 (in fixed point: about 2.5 mV below v_thresh for du_th = 0.5,
  tau_th = 20, dt = 1), and otherwise only when ``r`` is 0. Float mode makes
  the same decision at the board's resolution (``hazard dt/10`` of at least
  one s16.15 step, 2**-15; exactly, every positive hazard would wrap).
- :class:`Ca2AdaptiveLIF` (``additional_input_ca2_adaptive_impl.h`` with the
  LIF neuron model): each tick ``i_ca2 *= exp(-dt/tau_ca2)`` and ``-i_ca2``
  is added to the input current (before the membrane update, refractory or
  not); a spike adds ``i_alpha`` to ``i_ca2``.
- :class:`SEMDSynapses` (``synapse_types_semd_impl.h``): three exponential
  receptors (excitatory, excitatory2, inhibitory); each tick, when
  ``isyn_exc2 >= 0.001`` while ``multiplicator`` and ``exc2_old`` are 0,
  ``multiplicator = isyn_exc`` (below 0.001 it is set to 0); ``exc2_old =
  isyn_exc2``; the excitatory current is ``isyn_exc2 * multiplicator *
  scaling_factor`` (the first receptor contributes nothing directly).

Compiled engine: kernels/spinnaker.py computes the Ca2-adaptive LIF, the sEMD
synapses and the Maass threshold (registered below in groups' kernel tables). The
threshold's draws are the group's Generator's, drawn in the kernel (Numba draws
``integers(0, 65536)`` from a NumPy Generator with NumPy's stream: the same numbers,
the generator left where the NumPy tick leaves it); its decision needs no exp there:
below the cap each cell's level is 0 below an exponent (its onset) and sure from it,
and the onsets come from the NumPy code (:meth:`MaassStochasticThreshold.kernel_arguments`).
"""

import numpy as np

from . import fixed_point as fx
from . import groups
from .groups import SpiNNakerNeuronGroup
from .input_types import ConductanceInput, CurrentInput
from .neuron_models import LeakyIntegrateAndFire
from .synapse_types import ExponentialSynapses
from .thresholds import StaticThreshold

#: PROB_SATURATION of threshold_type_maass_stochastic.h
PROB_SATURATION = 0.8
#: the exponent above which the probability is PROB_SATURATION
EXPONENT_CAP = 5.0
#: exp of more than this exceeds an accum (s16.15 tops out below 65536)
MAX_EXP_ARGUMENT = 11.0
#: sEMD's "0.001k": the least exc2 that counts as a response
SEMD_MIN_INPUT = 0.001


class MaassStochasticThreshold(StaticThreshold):
    """Stochastic threshold of Habenschuss, Jonke & Maass (2013), as the board computes it."""

    parameter_names = ("du_th", "tau_th", "v_thresh")

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        if A.fixed:
            one = fx.ONE
            self.du_th_inv = fx.div(one, fx.to_s1615(p["du_th"]))
            self.tau_th_inv = fx.div(one, fx.to_s1615(p["tau_th"]))
            self.dt_div_10 = int(fx.div(fx.to_s1615(dt), 10 * one))
            self.saturation = int(fx.literal_s1615(PROB_SATURATION))
        else:
            self.du_th_inv = 1.0 / p["du_th"]
            self.tau_th_inv = 1.0 / p["tau_th"]
            self.dt_div_10 = dt / 10.0
        self._onset = None      # (the compiled tick's, made at its first use)

    def crossed(self, v):
        # one 16-bit draw per neuron per tick (mars_kiss64_simp() & 0xFFFF)
        r = self.group.random().integers(0, 1 << 16, size=np.shape(v))
        return self.fires(v, r)

    def exponent(self, v):
        """``(v - v_thresh) / du_th`` of membrane ``v`` (loaded)."""
        if self.A.fixed:
            return fx.mul(v - self.v_thresh, self.du_th_inv)
        return (v - self.v_thresh) * self.du_th_inv

    def level(self, exponent):
        """The value each cell's draw is compared with, per cell's ``exponent``: in
        fixed point the u16.16 ``result`` (a spike where it is >= r), in float64 the
        result (a spike where it is negative or >= r / 65536)."""
        A = self.A
        if A.fixed:
            capped = exponent >= int(fx.to_s1615(EXPONENT_CAP))
            below = np.minimum(fx.from_s1615(exponent), EXPONENT_CAP)
            hazard = fx.mul(fx.to_s1615(np.exp(below)), self.tau_th_inv)
            # (exp beyond the accum range: the largest accum; such neurons fire anyway)
            growth = fx.to_s1615(np.exp(np.minimum(
                fx.from_s1615(fx.mul(hazard, self.dt_div_10)), MAX_EXP_ARGUMENT)))
            result = np.where(capped, self.saturation, fx.mul(fx.ONE - growth, self.saturation))
            # s16.15 -> u16.16 (UREAL): the bits shifted left by one, modulo 2**32
            return (result << 1) & 0xFFFFFFFF
        hazard = np.exp(np.minimum(exponent, EXPONENT_CAP)) * self.tau_th_inv
        x = hazard * self.dt_div_10
        # the board's 1 - exp(x) is 0 until x reaches one s16.15 step (x truncated to
        # the accum grid), and negative -- wrapped round, a sure spike -- from there
        result = np.where(x >= 2.0 ** -fx.FRACTION_BITS, -1.0, 0.0)
        return np.where(exponent >= EXPONENT_CAP, PROB_SATURATION, result)

    def fires(self, v, r):
        """Who fires with membrane ``v`` (loaded) and 16-bit random integers ``r``."""
        level = self.level(self.exponent(v))
        if self.A.fixed:
            return level >= r
        return (level < 0.0) | (level >= r / 65536.0)

    def _sure(self, exponent):
        """Where ``level`` makes a spike whatever the draw (the wrapped result)."""
        level = self.level(exponent)
        return level > 0xFFFF if self.A.fixed else level < 0.0

    # --- the compiled tick (kernels/spinnaker.py's _maass_fixed, _maass_float) -----

    def kernel_arguments(self, generator):
        """``(generator, du_th_inv, onset, cap, saturation level, draws)`` for the
        kernels, or None where the onsets do not decide (the NumPy tick then runs).

        Below the cap each cell's level takes two values only: 0 (a spike where the
        draw is 0) below an exponent, its onset, and a wrapped result above any draw
        from there (with tau_th and dt positive the hazard is >= 0, so 1 - exp(hazard
        dt/10) is 0, then negative and wrapped; it grows with the exponent, so the
        onset is one exponent, found by bisection). The onsets are found with the NumPy code
        (:meth:`level`, NumPy's exp: the kernel then needs no exp, which in Numba may
        differ from NumPy's by an ulp), so the kernel's decision is the NumPy one.
        """
        A, n = self.A, self.group.size
        if self._onset is None:
            self._onset = self._onsets() if np.all(self.tau_th_inv >= 0) and self.dt_div_10 >= 0 \
                else False
        if self._onset is False:
            return None
        dtype = np.int64 if A.fixed else np.float64
        du_th_inv = np.ascontiguousarray(np.broadcast_to(np.asarray(self.du_th_inv, dtype), (n,)))
        if A.fixed:
            cap, level = np.int64(fx.to_s1615(EXPONENT_CAP)), np.int64(
                (self.saturation << 1) & 0xFFFFFFFF)
        else:
            cap, level = np.float64(EXPONENT_CAP), np.float64(PROB_SATURATION)
        return (generator, du_th_inv, self._onset, cap, level, np.empty(n, np.int64))

    #: exponents either side of each onset whose levels are checked (ordered steps:
    #: s16.15 bits, or adjacent float64 values)
    ONSET_CHECK = 64

    def _onsets(self):
        """Per cell the least exponent below the cap from which a spike is sure (the cap
        where there is none), found by bisection over the exponents in their order (s16.15
        bits, or float64 values as ordered keys); False where the levels within
        ONSET_CHECK steps of it are not 0 below it and sure from it (then the kernels
        are not used)."""
        n = self.group.size
        if self.A.fixed:
            cap, bottom = int(fx.to_s1615(EXPONENT_CAP)), -(1 << 52)
            exponent_of = from_key = np.asarray
        else:
            # (below exp's underflow, exp(-750) = 0: no spike is sure)
            cap, bottom = int(_float_key(EXPONENT_CAP)), int(_float_key(-750.0))
            exponent_of = from_key = _key_float
        lo = np.full(n, bottom, np.int64)
        hi = np.full(n, cap, np.int64)      # (a sentinel: the cap is never "sure")
        if np.any(self._sure(exponent_of(lo))):
            return False
        while np.any(lo + 1 < hi):
            # (the midpoint without overflow: float keys span more than half of int64)
            mid = (lo >> 1) + (hi >> 1) + (lo & hi & 1)
            sure = self._sure(exponent_of(mid))     # (mid = lo where lo + 1 = hi: not sure)
            hi = np.where(sure, mid, hi)
            lo = np.where(sure, lo, mid)
        for i in range(-self.ONSET_CHECK, self.ONSET_CHECK):
            key = hi + i
            inside = (key > bottom) & (key < cap)
            exponent = exponent_of(np.where(inside, key, hi - 1))
            level, sure = self.level(exponent), self._sure(exponent)
            expected = key >= hi
            if np.any(inside & ((sure != expected) | (~expected & (level != 0)))):
                return False
        return from_key(hi)


def _float_key(x):
    """float64 values as int64 keys in the same order (-0.0 and 0.0 both 0)."""
    bits = np.asarray(x, np.float64).view(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFFFFFFFFFF), bits)


def _key_float(key):
    """The float64 values of :func:`_float_key`'s keys."""
    key = np.asarray(key, np.int64)
    bits = np.where(key < 0, (-key) | np.int64(-0x8000000000000000), key)
    return bits.view(np.float64)


#: kernels/spinnaker.py computes this threshold (its code 2, in the LIF loop: the
#: group's compiled_kernel passes ``maass``, kernel_arguments; not with Izhikevich)
groups._KERNEL_THRESHOLDS[MaassStochasticThreshold] = 2


class Ca2AdaptiveLIF(LeakyIntegrateAndFire):
    """The LIF model with the calcium-activated adaptation current of Liu & Wang (2001)."""

    parameter_names = LeakyIntegrateAndFire.parameter_names + ("tau_ca2", "i_alpha")
    state_names = ("v", "i_ca2")

    def prepare(self, A, dt):
        super().prepare(A, dt)
        p = self.group.params
        self.exp_tau_ca2 = A.exp_of(-A.value(A.div(A.param(dt), A.param(p["tau_ca2"]))))
        self.i_alpha = A.param(p["i_alpha"])

    def advance(self, v, synaptic, injected, threshold):
        A = self.A
        i_ca2 = A.load(self.group.state["i_ca2"])
        i_ca2 = A.mul(i_ca2, self.exp_tau_ca2)
        spiked = super().advance(v, synaptic - i_ca2, injected, threshold)
        if spiked.size:
            i_ca2[spiked] += self.i_alpha[spiked]
        A.store(self.group.state["i_ca2"], i_ca2)
        return spiked


#: kernels/spinnaker.py computes this neuron model (its code 3; the group's
#: compiled_kernel passes i_ca2, its decay and i_alpha)
groups._KERNEL_NEURONS[Ca2AdaptiveLIF] = 3


class SEMDSynapses(ExponentialSynapses):
    """The spiking elementary motion detector's synapses (see the module docstring)."""

    receptors = ("excitatory", "excitatory2", "inhibitory")
    parameter_names = ("tau_syn_E", "tau_syn_E2", "tau_syn_I", "scaling_factor")
    state_names = ("isyn_exc", "isyn_exc2", "isyn_inh", "multiplicator", "exc2_old")
    _taus = ("tau_syn_E", "tau_syn_E2", "tau_syn_I")

    def prepare(self, A, dt):
        self.A = A
        p = self.group.params
        self.decay, self.init = zip(*(A.exp_synapse_factors(dt, p[name])
                                      for name in self._taus))
        self.scaling = A.param(p["scaling_factor"])
        self.threshold = (int(fx.literal_s1615(SEMD_MIN_INPUT)) if A.fixed
                          else SEMD_MIN_INPUT)

    def add_inputs(self, syn, arrivals):
        super().add_inputs(syn[:3], arrivals)

    def values(self, syn):
        A = self.A
        exc, exc2, inh, multiplicator, exc2_old = syn
        responding = exc2 >= self.threshold
        start = responding & (multiplicator == 0) & (exc2_old == 0)
        multiplicator[start] = exc[start]
        multiplicator[~responding] = 0
        exc2_old[...] = exc2
        response = A.mul(A.mul(exc2, multiplicator), self.scaling)
        return [np.zeros_like(exc), response, inh.copy()]

    def shape(self, syn):
        super().shape(syn[:3])


#: kernels/spinnaker.py computes these synapses (its synapse code 3)
groups._KERNEL_SYNAPSES[SEMDSynapses] = 3


class LIFCondExpStoc(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFCondExpStoc: IF_cond_exp with the Maass stochastic threshold."""
    #: one draw per cell per tick for the whole group: under MPI every rank holds all
    #: its cells (engine/exchange.py), so the draws do not depend on the rank split
    random_per_cell = True
    neuron_model = LeakyIntegrateAndFire
    synapse_type = ExponentialSynapses
    input_type = ConductanceInput
    threshold_type = MaassStochasticThreshold


class LIFCurrExpCa2Adaptive(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IFCurrExpCa2Adaptive: IF_curr_exp with a Ca2+ adaptation current."""
    neuron_model = Ca2AdaptiveLIF
    synapse_type = ExponentialSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold


class LIFCurrExpSEMD(SpiNNakerNeuronGroup):
    """sPyNNaker extra_models.IF_curr_exp_sEMD: LIF with the sEMD's multiplying synapses."""
    neuron_model = LeakyIntegrateAndFire
    synapse_type = SEMDSynapses
    input_type = CurrentInput
    threshold_type = StaticThreshold
