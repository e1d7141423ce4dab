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
        if getattr(self, "_pw_ring", None) is not None:
            self._pw_ring[:] = 0
            self._pw_stamp[:] = -1
        self.__dict__.pop("_block", None)   # (draws ahead of a compiled run: see below)
        self.__dict__.pop("_klog", None)

    # --- dual_fsm: the post windows by the post spike's stamp ---------------------------
    #
    # A ring of rows, row ``stamp % span`` (``span``: the ring buffer's slots, more than
    # any delay) the windows drawn for the post neurons spiking at ``stamp``
    # (``_pw_stamp`` says which stamp a row holds): a post event arriving at ``t`` reads
    # the row of ``t - delay``, still there. (The compiled kernel reads the same arrays.)

    _pw_ring = _pw_stamp = None

    def compile(self, n_ids, input_position, row_size, n_slots):
        old = (self._pw_ring, self._pw_stamp, getattr(self, "_post_ids", None))
        super().compile(n_ids, input_position, row_size, n_slots)
        dual = self.params["dual_fsm"]
        if not (dual.size and dual[0] != 0.0):
            self._pw_ring = self._pw_stamp = None
            return
        span, n_post = self._history_span, self._n_post
        ring, stamps = np.zeros(span * n_post, np.int64), np.full(span, -1, np.int64)
        o_ring, o_stamp, o_posts = old
        if o_ring is not None and o_posts is not None and o_posts.size:
            # (the rows to their stamps' rows, the posts to their new columns)
            column = self._post_lookup[o_posts]
            kept = np.flatnonzero(column >= 0)
            for r in np.argsort(o_stamp):
                if o_stamp[r] >= 0:
                    row = o_stamp[r] % span
                    stamps[row] = o_stamp[r]
                    ring[row * n_post + column[kept]] = o_ring[r * o_posts.size + kept]
        self._pw_ring, self._pw_stamp = ring, stamps

    def _store_post_windows(self, stamp, local, windows):
        row, n_post = stamp % self._pw_stamp.size, self._n_post
        if self._pw_stamp[row] != stamp:
            self._pw_stamp[row] = stamp
            self._pw_ring[row * n_post:(row + 1) * n_post] = 0
        self._pw_ring[row * n_post + local] = windows

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
        span = getattr(self, "_history_span", None)
        if self._dual and span and (self._pw_stamp is None or self._pw_stamp.size != span
                                    or self._pw_ring.size != span * self._n_post):
            self._pw_ring = np.zeros(span * self._n_post, np.int64)
            self._pw_stamp = np.full(span, -1, np.int64)
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
                self._store_post_windows(k + 1, self._post_lookup[posts],
                                         self._post_lut[self._draw(posts.size)])
        super().deliver(spiking_ids, k, ring_flat)

    def _bump_post(self, idx, stamp):
        """(No post trace: the rule keeps each event's arrival, ``_post_arrival``.)"""

    def _potentiation_terms(self, idx, k_pre, arrival):
        """A post event reaches synapses ``idx`` at ``arrival``: what its replay needs."""
        delay = self.delay_steps[idx]
        previous = self._post_arrival[idx]
        prev_raw = np.where(previous > 0, previous - delay, 0)
        if self._dual:
            # the window drawn when the post neuron spiked (arrival - delay)
            stamps = arrival - delay
            rows = stamps % self._pw_stamp.size
            window = np.where(self._pw_stamp[rows] == stamps, self._pw_ring[
                rows * self._n_post + self._post_lookup[self.post[idx]]], 0)
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

    # --- compiled delivery (kernels/spinnaker_recurrent.py) ------------------------------

    #: draws the compiled delivery takes ahead at a time (at least: four times what a
    #: call said it may need, so that a block lasts many steps)
    DRAW_BLOCK = 1 << 16
    #: log entries (pending post events) the compiled delivery starts with (it grows)
    LOG_MIN = 1024

    def compiled_deliver(self, kernels):
        """:func:`.kernels.spinnaker_recurrent.recurrent_deliver`, for both state machines,
        board or float64 weights; None (NumPy) where the generator is not a numpy
        Generator (the kernel reads draws taken ahead from it, :meth:`_refill_draws`).

        The pending post events move from ``_deferred`` into the kernel's log for the
        run (:meth:`end_run` moves them back, and winds the generator back to the draws
        used). Compiled stretches do not take this rule: it runs in the step loop, its
        neuron groups' kernels around it."""
        if ("deliver" in vars(self) or not self.size or self._pmode != "log"
                or not hasattr(self.rng, "bit_generator")
                or (self._dual and self._pw_ring is None)):
            return None
        kernel, compact = kernels.recurrent_deliver, kernels.recurrent_log_compact
        n = self.size
        int64 = lambda a: np.ascontiguousarray(a, np.int64)     # noqa: E731
        shared = lambda a: a[:1] if a.size and np.all(a == a[0]) else a   # noqa: E731
        if self._board_w:
            b = self._bconst
            weights = (shared(self._w_scale), shared(self._board_shift), self._w_acc,
                       *(shared(int64(b[name])) for name in ("w_min", "w_max", "A_plus",
                                                            "A_minus")))
        else:
            weights = (None, None, None, *(shared(np.ascontiguousarray(
                self.params[name], np.float64)) for name in ("w_min", "w_max", "A_plus",
                                                            "A_minus")))
        self._log_to_kernel()
        self._block = (np.zeros(0, np.int64), np.zeros(1, np.int64), None)
        fixed = (self._indptr, self._by_pre, self._keys)
        index = (self._post_indptr, self._by_post, self._post_lookup,
                 int64(self._post_lookup[self.post]), int64(self.delay_steps), self.weight)
        rule = (bool(self._multiplicative), bool(self._dual), int(self._dep_plus_one),
                int(self._pot_minus_one), self._pre_lut, self._post_lut, self._accumulator,
                self._fsm, self._window, self._pre_window, self._post_arrival,
                self._post_window, self._t_last, self._n_pending)
        unused = np.zeros(1, np.int64)
        windows = ((self._pw_ring, self._pw_stamp, self._n_post) if self._dual
                   else (unused, unused, 0))
        need = np.zeros(2, np.int64)
        scratch = (np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64),
                   np.zeros(n, np.int64), np.full(n, -1, np.int64), np.zeros(1, np.int64))
        n_slots, row_size = self._n_slots, self._row_size
        no_events = self._NO_EVENTS

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            heap = self._heap
            popped, events = self._pop_arrivals(stamp) if heap else ((), no_events)
            while kernel(spiking_ids, stamp, *fixed, (stamp % n_slots) * row_size, ring_flat,
                         *events, *index, *weights, *rule, *self._klog, *windows,
                         *self._block[:2], need, *scratch):
                if need[0]:
                    self._refill_draws(int(need[0]))
                if need[1]:
                    self._log_room(int(need[1]), compact)
            if heap or popped:      # as _apply_arrivals (called where the queue is not empty)
                self._done_until = max(self._done_until, stamp)
            self._remember_posts(spiking_ids, stamp)
        return deliver

    def end_run(self, last_stamp):
        super().end_run(last_stamp)
        self._settle_draws()
        self._log_from_kernel()

    def _refill_draws(self, needed):
        """A new block of draws ahead (at least ``needed``), the generator first wound
        back to the draws of the last block used."""
        self._settle_draws()
        state = self.rng.bit_generator.state
        values = self.rng.integers(0, LUT_SIZE, size=max(self.DRAW_BLOCK, 4 * needed))
        self._block = (values, np.zeros(1, np.int64), state)

    def _settle_draws(self):
        """The generator as the NumPy rule would have left it: back to its state before
        the block of draws ahead, then forward by the draws the kernel used (the Generator
        gives the same stream however its draws are grouped)."""
        block = self.__dict__.pop("_block", None)
        if block is None or block[2] is None:
            return
        _, cursor, state = block
        self.rng.bit_generator.state = state
        if cursor[0]:
            self.rng.integers(0, LUT_SIZE, size=int(cursor[0]))

    def _log_to_kernel(self):
        """The pending post events (``_deferred``, in arrival order) as the kernel's log."""
        syn = np.zeros(0, np.int64)
        terms = (syn, syn, syn)
        if self._deferred.chunks:
            syn, terms = self._deferred._flat()
            self._deferred = type(self._deferred)()
        self._log_build(np.asarray(syn, np.int64),
                        [np.broadcast_to(np.asarray(t, np.int64), syn.shape) for t in terms],
                        max(self.LOG_MIN, 2 * syn.size))

    def _log_build(self, syn, terms, capacity):
        """The kernel's log (rows: synapse, arrival, window, previous, next entry) of the
        events ``syn``, ``terms`` (in order), ``capacity`` rows; its ``head``/``tail``."""
        n, size = syn.size, self.size
        log = np.empty((capacity, 5), np.int64)    # (rows past n: written when used)
        log[:n, 4] = -1
        log[:n, 0] = syn
        for column, values in enumerate(terms, 1):
            log[:n, column] = values
        head, tail = np.full(size, -1, np.int64), np.full(size, -1, np.int64)
        if n:
            order = np.argsort(syn, kind="stable")
            ranked = syn[order]
            same = ranked[1:] == ranked[:-1]
            log[order[:-1][same], 4] = order[1:][same]
            head[ranked[np.append(True, ~same)]] = order[np.append(True, ~same)]
            tail[ranked[np.append(~same, True)]] = order[np.append(~same, True)]
        self._klog = (log, head, tail, np.array([n], np.int64))

    def _log_room(self, needed, compact):
        """Room for ``needed`` more entries in the kernel's log: the events still pending
        moved to its front (in order; ``compact``: the kernel
        :func:`~.kernels.spinnaker_recurrent.recurrent_log_compact`), in a larger log
        where they would fill more than a quarter (compacted again only after many
        steps)."""
        log, head, tail, fill = self._klog
        alive = int(np.count_nonzero(log[:fill[0], 0] >= 0))
        out = log
        if 4 * (alive + needed) > log.shape[0]:
            out = np.empty((max(self.LOG_MIN, 4 * (alive + needed)), 5), np.int64)
        compact(log, head, tail, fill, out)
        self._klog = (out, head, tail, fill)

    def _log_from_kernel(self):
        """The kernel's log back into ``_deferred`` (in arrival order)."""
        log = self.__dict__.pop("_klog", None)
        if log is None:
            return
        log, *_, fill = log
        alive = log[:fill[0]][log[:fill[0], 0] >= 0]
        if alive.shape[0]:
            self._deferred.append(alive[:, 0].copy(), (alive[:, 1].copy(), alive[:, 2].copy(),
                                                       alive[:, 3].copy()))

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
