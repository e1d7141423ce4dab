"""sPyNNaker 7.4's RecurrentRule (extra_models), for the ``pyNN.tinysim.spinnaker`` flavour.

A timing rule without traces: each synapse keeps an ``accumulator`` and, with
``dual_fsm=False`` ("pre_stochastic", ``timing_recurrent_common.h`` and
``timing_recurrent_pre_stochastic_impl.h``), a state machine (idle, pre window
open, post window open) and the length of its open window; window lengths are
drawn from exponential distributions through sPyNNaker's look-up tables
(``inv_cdf[i] = uint16(-mean ln(1 - i/2048))`` ticks, ``i`` an 11-bit random
number; ``mean`` is mean_pre_window or mean_post_window in ticks).

pre_stochastic, per synapse (times in ticks, a post event at its arrival
``t_post + delay``):

- post event: idle -> post window open (new post window); post open -> idle
  if within the window of the previous post spike (measured from its
  *undelayed* time, as the board does), else a new post window; pre open -> if
  at the pre spike's time, idle; within the pre window: accumulator + 1, or at
  ``accumulator_potentiation - 1``: accumulator 0 and potentiation, then idle;
  after it: post window open (new window);
- pre spike (only once a post event has ever arrived): the mirror image, with
  depression at ``accumulator_depression + 1``, times from the last post
  event's arrival, but no coincidence case (7.x's ``timing_apply_pre_spike``): a
  pre spike in the tick a post event arrives is within its post window (if > 0).

dual_fsm (``timing_recurrent_dual_fsm_impl.h``): each presynaptic spike draws a
pre window for its row, each postsynaptic spike a post window for its neuron;
a post event within the pre window of the row's last pre spike (not at the
same tick) steps the accumulator up (potentiation at the limit), a pre spike
within the post window of the last post event steps it down (depression), the
tick of that event's arrival included (``time - last_post < last_post_trace``).

Weights: Multiplicative ``w += A_plus (w_max - w)`` / ``w -= A_minus
(w - w_min)``, Additive ``w += A_plus`` / ``w -= A_minus`` clipped to [w_min,
w_max] (``weight_one_term_apply_potentiation(state, STDP_FIXED_POINT_ONE)``).
In fixed point, once the front has given the ring-buffer format
(``set_board_weights``, as for :class:`~.plasticity.BoardTraces`), they are the
board's 16-bit integers: a row update takes ``W << shift`` as an s16.15 accum,
moves it with the parameters as the host writes them (additive: times the
global weight scale) and ``mul_accum_fixed`` products, and stores ``accum >>
shift``; in float mode, float64. Event order as the board's row update (``synapse_dynamics_stdp_mad_impl.c``):
at a presynaptic spike, the post events that arrived since the row's last one
(up to and including this tick), in order, then the pre spike. Random numbers
from the network's seeded generator.
"""

import numpy as np

from ..plasticity import PairTraceRule
from . import fixed_point
from .plasticity import (BoardTraces, STDP_FIXED_POINT_ONE, WEIGHT_MASK, mul_accum_fixed,
                         s1615_parameter)
from .settings import traces_in_fixed_point

#: STDP_FIXED_POINT_ONE: the look-up tables have this many entries
LUT_SIZE = 2048
IDLE, PRE_OPEN, POST_OPEN = 0, 1, 2


def exponential_window_table(mean_steps):
    """sPyNNaker's _write_exp_dist_lut: window lengths (ticks) for 11-bit random numbers."""
    i = np.arange(LUT_SIZE)
    return (np.log(1.0 - i / float(LUT_SIZE)) * -float(mean_steps)).astype(np.uint16) \
        .astype(np.int64)


class RecurrentSTDP(PairTraceRule):
    """RecurrentRule with Multiplicative- or AdditiveWeightDependence (see the module docstring)."""

    parameter_names = ("accumulator_depression", "accumulator_potentiation", "mean_pre_window",
                       "mean_post_window", "dual_fsm", "A_plus", "A_minus", "w_min", "w_max",
                       "mu_plus", "mu_minus")

    def _grow(self, n):
        def grow(name, dtype, fill=0):
            setattr(self, name, np.concatenate([getattr(self, name, np.zeros(0, dtype)),
                                                np.full(n, fill, dtype)]))
        grow("_accumulator", np.int64)
        grow("_fsm", np.int64)               # IDLE, PRE_OPEN, POST_OPEN (pre_stochastic)
        grow("_window", np.int64)            # the open window's length (pre_stochastic)
        grow("_pre_window", np.int64)        # the row's window of its last pre spike (dual)
        grow("_post_arrival", np.int64)      # arrival stamp of the last post event (0: none)
        grow("_post_window", np.int64)       # its post window (dual)
        super()._grow(n)

    def _reset_internal(self):
        super()._reset_internal()
        for name in ("_accumulator", "_fsm", "_window", "_pre_window", "_post_arrival",
                     "_post_window"):
            if hasattr(self, name):
                getattr(self, name)[:] = 0
        self._post_windows = {}             # stamp -> post window per post neuron (dual)

    def start_run(self, dt):
        super().start_run(dt)
        p = lambda name: float(self.params[name][0]) if self.params[name].size else 0.0  # noqa
        self._dual = p("dual_fsm") != 0.0
        self._dep_plus_one = int(p("accumulator_depression")) + 1
        self._pot_minus_one = int(p("accumulator_potentiation")) - 1
        steps_per_ms = 1.0 / dt
        self._pre_lut = exponential_window_table(p("mean_pre_window") * steps_per_ms)
        self._post_lut = exponential_window_table(p("mean_post_window") * steps_per_ms)
        self._multiplicative = p("mu_plus") == 1.0
        self._start_board_weights()

    # --- the board's 16-bit weights ----------------------------------------------------

    _board_shift = None
    _board_gws = None
    _board_w = False
    set_board_weights = BoardTraces.set_board_weights

    def _start_board_weights(self):
        shift = self._board_shift
        mu = np.concatenate([self.params["mu_plus"], self.params["mu_minus"]])
        self._board_w = bool(traces_in_fixed_point(self.network) and shift is not None
                             and shift.size > 0 and shift.size == self.weight.size
                             and (shift >= 0).all() and ((mu == 0.0).all() or (mu == 1.0).all()))
        if not self._board_w:
            return
        self._w_scale = 2.0 ** (15 - shift) * self._board_gws
        counts = np.rint(np.abs(self.weight) * self._w_scale).astype(np.int64) & WEIGHT_MASK
        self.weight[:] = counts / self._w_scale
        self._w_acc = np.zeros(self.weight.size, np.int64)
        p, gws = self.params, self._board_gws
        scaled = 1.0 if self._multiplicative else gws     # (weight_dependence_*.py)
        self._bconst = {"w_min": s1615_parameter(p["w_min"] * gws),
                        "w_max": s1615_parameter(p["w_max"] * gws),
                        "A_plus": s1615_parameter(p["A_plus"] * scaled),
                        "A_minus": s1615_parameter(p["A_minus"] * scaled)}

    # --- trace machinery of PairTraceRule, unused -------------------------------------

    def _decay(self, steps, tau_name, idx):
        return 1.0

    def _pending_mode(self):
        return "log"

    def _draw(self, n):
        return self.rng.integers(0, LUT_SIZE, size=n)

    # --- events -----------------------------------------------------------------

    def deliver(self, spiking_ids, k, ring_flat):
        if self._dual and spiking_ids.size:
            posts = spiking_ids[self._is_post[spiking_ids]]
            if posts.size:
                windows = np.zeros(self._n_post, np.int64)
                local = self._post_lookup[posts]
                windows[local] = self._post_lut[self._draw(local.size)]
                self._post_windows[k + 1] = windows
                horizon = k + 1 - self._history_span
                for stamp in [s for s in self._post_windows if s < horizon]:
                    del self._post_windows[stamp]
        super().deliver(spiking_ids, k, ring_flat)

    def _potentiation_terms(self, idx, k_pre, arrival):
        """A post event reaches synapses ``idx`` at ``arrival``: what its replay needs."""
        delay = self.delay_steps[idx]
        previous = self._post_arrival[idx]
        prev_raw = np.where(previous > 0, previous - delay, 0)
        if self._dual:
            # the window drawn when the post neuron spiked (arrival - delay)
            stamps = arrival - delay
            window = np.zeros(idx.size, np.int64)
            for stamp in np.unique(stamps).tolist():
                table = self._post_windows.get(stamp)
                if table is not None:
                    at = stamps == stamp
                    window[at] = table[self._post_lookup[self.post[idx[at]]]]
        else:
            window = np.zeros(idx.size, np.int64)
        self._post_arrival[idx] = arrival
        self._post_window[idx] = window
        return (np.broadcast_to(np.int64(arrival), idx.shape).copy(), window, prev_raw)

    def _potentiate(self, idx, arrival, window, prev_raw):
        """One post event (replayed at the next pre spike, in arrival order)."""
        since_pre = arrival - self._t_last[idx]
        if self._dual:
            hit = (since_pre > 0) & (since_pre < self._pre_window[idx])
            self._step_up(idx[hit])
            return self.weight[idx]
        state = self._fsm[idx]
        idle, pre_open, post_open = state == IDLE, state == PRE_OPEN, state == POST_OPEN
        # idle: open a post window
        opened = idx[idle]
        # post open: close if still within the last post window, else re-open
        still = post_open & ((arrival - prev_raw) < self._window[idx])
        reopen = idx[post_open & ~still]
        # pre open: coincident -> idle; within the pre window -> count up; else post open
        coincide = pre_open & (since_pre == 0)
        inside = pre_open & ~coincide & (since_pre < self._window[idx])
        after = idx[pre_open & ~coincide & ~inside]
        self._fsm[idx[still | coincide | inside]] = IDLE
        self._step_up(idx[inside])
        new_post = np.concatenate([opened, reopen, after])
        self._fsm[new_post] = POST_OPEN
        if new_post.size:
            self._window[new_post] = self._post_lut[self._draw(new_post.size)]
        return self.weight[idx]

    def _on_pre(self, idx, stamp):
        if not self._board_w:
            return self._on_pre_events(idx, stamp)
        # weight_get_initial: the 16-bit weight as an s16.15 accum; weight_get_final: >> shift
        shift = self._board_shift[idx]
        counts = np.rint(self.weight[idx] * self._w_scale[idx]).astype(np.int64)
        self._w_acc[idx] = counts << shift
        self._on_pre_events(idx, stamp)
        counts = (self._w_acc[idx] >> shift) & WEIGHT_MASK
        self.weight[idx] = w = counts / self._w_scale[idx]
        return idx, w

    def _on_pre_events(self, idx, stamp):
        self._apply_pending(idx)
        if self._dual:
            # (timing_apply_pre_spike: time - last_post < last_post_trace, no test of
            # coincidence: a post event arriving in this very tick counts)
            since_post = stamp - self._post_arrival[idx]
            hit = (self._post_arrival[idx] > 0) & (since_post < self._post_window[idx])
            self._step_down(idx[hit])
            # the row's new pre window (one draw per presynaptic neuron)
            pres, row = np.unique(self.pre[idx], return_inverse=True)
            self._pre_window[idx] = self._pre_lut[self._draw(pres.size)][row]
        else:
            valid = idx[self._post_arrival[idx] > 0]
            self._pre_event(valid, stamp)
        self._t_last[idx] = stamp
        return idx, self.weight[idx]

    def _pre_event(self, idx, stamp):
        if idx.size == 0:
            return
        state = self._fsm[idx]
        since_pre = stamp - self._t_last[idx]
        since_post = stamp - self._post_arrival[idx]
        idle, pre_open, post_open = state == IDLE, state == PRE_OPEN, state == POST_OPEN
        opened = idx[idle]
        still = pre_open & (since_pre < self._window[idx])
        reopen = idx[pre_open & ~still]
        # (7.x's timing_recurrent_common.h tests coincidence at a post event only: a pre
        # spike in the tick of the post event's arrival is inside a post window > 0)
        inside = post_open & (since_post < self._window[idx])
        after = idx[post_open & ~inside]
        self._fsm[idx[still | inside]] = IDLE
        self._step_down(idx[inside])
        new_pre = np.concatenate([opened, reopen, after])
        self._fsm[new_pre] = PRE_OPEN
        if new_pre.size:
            self._window[new_pre] = self._pre_lut[self._draw(new_pre.size)]

    # --- the accumulator and the weight dependence ------------------------------------

    def _step_up(self, idx):
        if idx.size == 0:
            return
        below = self._accumulator[idx] < self._pot_minus_one
        self._accumulator[idx[below]] += 1
        fire = idx[~below]
        self._accumulator[fire] = 0
        if fire.size and self._board_w:
            acc, b = self._w_acc[fire], self._bconst
            if self._multiplicative:
                scale = fixed_point.mul(b["w_max"][fire] - acc, b["A_plus"][fire])
                self._w_acc[fire] = acc + mul_accum_fixed(scale, STDP_FIXED_POINT_ONE)
            else:
                self._w_acc[fire] = np.minimum(
                    acc + mul_accum_fixed(b["A_plus"][fire], STDP_FIXED_POINT_ONE),
                    b["w_max"][fire])
        elif fire.size:
            w, w_max = self.weight[fire], self._p("w_max", fire)
            step = self._p("A_plus", fire)
            self.weight[fire] = (w + step * (w_max - w) if self._multiplicative
                                 else np.minimum(w + step, w_max))

    def _step_down(self, idx):
        if idx.size == 0:
            return
        above = self._accumulator[idx] > self._dep_plus_one
        self._accumulator[idx[above]] -= 1
        fire = idx[~above]
        self._accumulator[fire] = 0
        if fire.size and self._board_w:
            acc, b = self._w_acc[fire], self._bconst
            if self._multiplicative:
                scale = fixed_point.mul(acc - b["w_min"][fire], b["A_minus"][fire])
                self._w_acc[fire] = acc - mul_accum_fixed(scale, STDP_FIXED_POINT_ONE)
            else:
                self._w_acc[fire] = np.maximum(
                    acc - mul_accum_fixed(b["A_minus"][fire], STDP_FIXED_POINT_ONE),
                    b["w_min"][fire])
        elif fire.size:
            w, w_min = self.weight[fire], self._p("w_min", fire)
            step = self._p("A_minus", fire)
            self.weight[fire] = (w - step * (w - w_min) if self._multiplicative
                                 else np.maximum(w - step, w_min))
