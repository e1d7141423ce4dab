"""sPyNNaker 7.4's plasticity rules, for the ``pyNN.tinysim.spinnaker`` flavour.

``SpinnakerSTDP`` (SpikePairRule with Additive- or MultiplicativeWeightDependence),
``NearestSTDP`` (SpikeNearestPairRule), ``SpinnakerVogels`` (Vogels2011Rule with
AdditiveWeightDependence) and ``PfisterTriplet`` (PfisterSpikeTriplet with
WeightDependenceAdditiveTriplet). Each is a rule of :mod:`..plasticity` (NEST's
deferred timing: a weight changes when a presynaptic spike is processed, as
sPyNNaker's ``synapse_dynamics_stdp_mad_impl.c`` processes a plastic row) with
the differences of sPyNNaker's C sources (see each class) and, when the flavour
runs in fixed point, the board's trace arithmetic (:class:`BoardTraces`).
Weights are float64 (the board keeps 16-bit ones).

A new sPyNNaker rule is a subclass here of :class:`~..plasticity.PairTraceRule`
(or of the NEST rule it differs from), plus its PyNN-facing class in
``pynn_tinysim/spinnaker/synapses.py``.
"""

import numpy as np

from ..plasticity import STDP, PairTraceRule, VogelsSprekeler
from .settings import traces_in_fixed_point


#: sPyNNaker's STDP fixed point: traces and decays are 16-bit integers counting 2**-11
STDP_FIXED_POINT_ONE = 2048


class BoardTraces:
    """sPyNNaker's trace arithmetic, used when the flavour runs in fixed point.

    Decays come from the look-up tables sPyNNaker writes (``get_exp_lut_array``:
    ``floor(exp(-(i << shift) dt / tau) 2**11)`` for table index ``i = ticks >>
    shift``, zero past the table's end; ``shift`` is 2 for the triplet rule's
    tau_x and tau_y, else 0), and products of traces are ``(a b) >> 11``
    (``STDP_FIXED_MUL_16X16``): traces stay multiples of 2**-11. In float mode
    (``setup(fixed_point=False)``) the exact exponentials are used.
    """

    #: LUT time shift per time-constant name
    lut_shift = {}

    def start_run(self, dt):
        super().start_run(dt)
        self._board = traces_in_fixed_point(self.network)

    def _decay(self, steps, tau_name, idx):
        if not getattr(self, "_board", False):
            return super()._decay(steps, tau_name, idx)
        shift = self.lut_shift.get(tau_name, 0)
        step_over_tau = self.dt / np.asarray(self._p(tau_name, idx), dtype=float)
        size = np.log(STDP_FIXED_POINT_ONE) / step_over_tau / (1 << shift)
        size = (np.floor(size / 2) + (np.mod(size, 2) > 0)) * 2      # rounded up to even
        index = np.asarray(steps, dtype=np.int64) >> shift
        value = np.floor(np.exp(-(index << shift) * step_over_tau) * STDP_FIXED_POINT_ONE)
        return np.where(index < size, value, 0.0) / STDP_FIXED_POINT_ONE

    def _fmul(self, a, b):
        if not getattr(self, "_board", False):
            return a * b
        one = STDP_FIXED_POINT_ONE
        return np.floor(np.rint(np.asarray(a) * one) * np.rint(np.asarray(b) * one) / one) / one


class SpinnakerSTDP(BoardTraces, STDP):
    """sPyNNaker 7.4's SpikePairRule with Additive- or MultiplicativeWeightDependence.

    Same deferred timing as :class:`STDP` (sPyNNaker processes a plastic row
    only when a presynaptic spike arrives, ``synapse_dynamics_stdp_mad_impl.c``:
    the post events since the row's last pre spike are applied in order, then
    the depression), with sPyNNaker's differences from NEST:

    - additive weight dependence: A_plus and A_minus are in weight units
      (``weight_dependence_additive.py`` writes ``A_plus * global_weight_scale``,
      no w_max factor): a post event adds ``A_plus K_pre``, clipped at w_max; a
      pre spike subtracts ``A_minus K_post``, clipped at w_min
      (``weight_additive_one_term_impl.h``). Multiplicative: ``(w_max - w) A_plus
      K_pre`` and ``(w - w_min) A_minus K_post``, as NEST's;
    - a post event arriving at the synapse in the very tick of a pre spike
      potentiates (it is in the window (last pre, now]) but the depression of
      that pre spike is skipped altogether (``timing_pair_impl.h``: no
      depression unless the time since the last post event is > 0), where NEST
      depresses with the trace of the earlier post events.

    Traces and decays as the board computes them in fixed point
    (:class:`BoardTraces`); weights in float64 (the board keeps 16-bit ones).
    """

    def start_run(self, dt):
        super().start_run(dt)
        self._additive = self._scalar.get("mu_plus") == 0.0 and self._scalar.get("mu_minus") == 0.0

    def _potentiate(self, idx, k_pre):
        if not self._additive:
            return super()._potentiate(idx, k_pre)
        w = np.minimum(self.weight[idx] + self._p("A_plus", idx) * k_pre, self._p("w_max", idx))
        self.weight[idx] = w
        return w

    def _pending_mode(self):
        # (called by the base start_run, before self._additive is set)
        additive = self._scalar.get("mu_plus") == 0.0 and self._scalar.get("mu_minus") == 0.0
        return "sum" if additive else super()._pending_mode()

    def _apply_sum(self, idx, total):
        if not self._additive:
            return super()._apply_sum(idx, total)
        self.weight[idx] = np.minimum(self.weight[idx] + total, self._p("w_max", idx))

    def _coincident(self, idx):
        """Which of the synapses ``idx`` have a post event arriving in this very tick."""
        now = self._arrived_now
        if now is None or now.size == 0:
            return None
        return np.isin(idx, now)

    def _depress(self, idx, k_post):
        coincident = self._coincident(idx)
        if coincident is not None and coincident.any():
            k_post = np.where(coincident, 0.0, k_post)
        if not self._additive:
            return super()._depress(idx, k_post)
        w = np.maximum(self.weight[idx] - self._p("A_minus", idx) * k_post, self._p("w_min", idx))
        self.weight[idx] = w
        return w


class NearestSTDP(SpinnakerSTDP):
    """sPyNNaker's SpikeNearestPairRule with a weight dependence, in float64.

    :class:`SpinnakerSTDP` with sPyNNaker's nearest-pair timing
    (``timing_nearest_pair_impl.h``): a spike sets its trace to 1 instead of
    adding 1; a post event potentiates with the last pre spike only if it is the
    first post event since that pre spike; a pre spike is depressed by the most
    recent post event, including one arriving in the same tick (decay of 0
    ticks: the full A_minus), and not at all before any post event.
    """

    nearest = True

    def _potentiation_terms(self, idx, k_pre, arrival):
        # (an earlier post event since the last pre spike has taken the pairing)
        first = self._t_post[idx] <= self._t_last[idx]
        return (np.where(first, k_pre, 0.0),)

    def _depress(self, idx, k_post):
        coincident = self._coincident(idx)
        if coincident is not None and coincident.any():
            k_post = np.where(coincident, 1.0, k_post)
        if not self._additive:
            return STDP._depress(self, idx, k_post)
        w = np.maximum(self.weight[idx] - self._p("A_minus", idx) * k_post, self._p("w_min", idx))
        self.weight[idx] = w
        return w


class SpinnakerVogels(BoardTraces, VogelsSprekeler):
    """sPyNNaker's Vogels2011Rule(alpha, tau, A_plus, A_minus) with AdditiveWeightDependence.

    :class:`VogelsSprekeler` with sPyNNaker's parameters mapped onto NEST's: eta
    = A_plus, in weight units (sPyNNaker 7.4's additive weight dependence writes
    ``A_plus * global_weight_scale``) and alpha used as given (NEST's alpha = 2
    rho tau, so rho = alpha / (2e-3 tau)); A_minus is unused, as in sPyNNaker.
    Timing as sPyNNaker's (``timing_vogels_2011_impl.h`` in the row update of
    ``synapse_dynamics_stdp_mad_impl.c``): a pre spike moves the weight by
    ``A_plus (o - alpha)`` in one step, and only once a post event has reached
    the synapse (before any, nothing); a post event arriving in the tick of
    the pre spike is in o. Float64, not the board's fixed point.
    """

    parameter_names = ("alpha", "tau", "A_plus", "A_minus", "w_min", "w_max")

    def _depress(self, idx, k_post):
        now = self._arrived_now
        coincident = (np.isin(idx, now) if now is not None and now.size
                      else np.zeros(idx.size, bool))
        valid = (self._t_post[idx] > 0) | coincident
        k = k_post + coincident
        d, w_min, sign, span = self._distance(idx)
        step = self._p("eta", idx) * (k - self._p("alpha", idx))
        d_new = np.clip(d + step, 0.0, span)
        d = np.where(valid, d_new, d)
        self.weight[idx] = w = w_min + sign * d
        return w

    def _p(self, name, idx):
        if name == "eta":
            return self._p("A_plus", idx)
        if name == "rho":
            return self._p("alpha", idx) / (2e-3 * self._p("tau", idx))
        return super()._p(name, idx)


class PfisterTriplet(BoardTraces, PairTraceRule):
    """sPyNNaker's PfisterSpikeTriplet with WeightDependenceAdditiveTriplet, in float64.

    The minimal all-to-all triplet rule of Pfister & Gerstner (2006): presynaptic
    traces r1 (tau_plus) and r2 (tau_x), postsynaptic traces o1 (tau_minus) and
    o2 (tau_y), each +1 per spike (after it is read). On the normalised weight
    x = (w - w_min)/(w_max - w_min), clipped to [0, 1]:
    at a presynaptic spike ``x -= o1 (A_minus + A3_minus r2)``, at a
    postsynaptic event ``x += r1 (A_plus + A3_plus o2)``, r2 and o2 read just
    before the spike's own increment. (sPyNNaker multiplies the amplitudes by
    w_max, the same with w_min = 0.) Timing as :class:`PairTraceRule`.
    """

    parameter_names = ("tau_plus", "tau_minus", "tau_x", "tau_y", "A_plus", "A_minus",
                       "w_min", "w_max", "A3_plus", "A3_minus")
    lut_shift = {"tau_x": 2, "tau_y": 2}     # timing_pfister_triplet_impl.h
    pre_tau, post_tau = "tau_plus", "tau_minus"

    def _grow(self, n):
        for name in ("_k_pre2", "_k_post2"):     # r2 (with _t_last), o2 (with _t_post)
            setattr(self, name, np.concatenate([getattr(self, name, np.zeros(0)),
                                                np.zeros(n)]))
        super()._grow(n)

    def _reset_internal(self):
        super()._reset_internal()
        if hasattr(self, "_k_pre2"):
            self._k_pre2[:] = 0.0
            self._k_post2[:] = 0.0

    def _bump_post(self, idx, stamp):
        self._k_post2[idx] = self._fmul(self._k_post2[idx], self._decay(
            stamp - self._t_post[idx], "tau_y", idx)) + 1.0
        super()._bump_post(idx, stamp)

    def _on_pre(self, idx, stamp):
        r2 = self._fmul(self._k_pre2[idx], self._decay(stamp - self._t_last[idx], "tau_x", idx))
        self._r2_before = r2
        idx, w = super()._on_pre(idx, stamp)
        self._k_pre2[idx] = r2 + 1.0
        return idx, w

    def _normalised(self, idx):
        w_min = self._p("w_min", idx)
        span = self._p("w_max", idx) - w_min
        return (self.weight[idx] - w_min) / span, w_min, span

    def _potentiation_terms(self, idx, k_pre, arrival):
        o2 = self._fmul(self._k_post2[idx], self._decay(arrival - self._t_post[idx], "tau_y", idx))
        return (k_pre, o2)

    def _pending_mode(self):
        return "sum"                  # x += A_plus r1 + A3_plus r1 o2, clipped at 1

    def _increment(self, idx, k_pre, o2):
        return self._p("A_plus", idx) * k_pre + self._p("A3_plus", idx) * self._fmul(k_pre, o2)

    def _apply_sum(self, idx, total):
        x, w_min, span = self._normalised(idx)
        self.weight[idx] = w_min + np.clip(x + total, 0.0, 1.0) * span

    def _potentiate(self, idx, k_pre, o2):
        x, w_min, span = self._normalised(idx)
        x += self._p("A_plus", idx) * k_pre + self._p("A3_plus", idx) * self._fmul(k_pre, o2)
        np.clip(x, 0.0, 1.0, out=x)
        self.weight[idx] = w = w_min + x * span
        return w

    def _depress(self, idx, k_post):
        x, w_min, span = self._normalised(idx)
        x -= (self._p("A_minus", idx) * k_post
              + self._p("A3_minus", idx) * self._fmul(k_post, self._r2_before))
        np.clip(x, 0.0, 1.0, out=x)
        self.weight[idx] = w = w_min + x * span
        return w
