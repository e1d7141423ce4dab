"""sPyNNaker 7.4's plasticity rules, for the ``pyNN.tinysim.spinnaker`` flavour.

``SpinnakerSTDP`` (SpikePairRule with Additive- or MultiplicativeWeightDependence),
``NearestSTDP`` (SpikeNearestPairRule), ``SpinnakerVogels`` (Vogels2011Rule with
AdditiveWeightDependence) and ``PfisterTriplet`` (PfisterSpikeTriplet with
WeightDependenceAdditiveTriplet). Each is a rule of :mod:`..plasticity` (NEST's
deferred timing: a weight changes when a presynaptic spike is processed, as
sPyNNaker's ``synapse_dynamics_stdp_mad_impl.c`` processes a plastic row) with
the differences of sPyNNaker's C sources (see each class) and, when the flavour
runs in fixed point, the board's trace arithmetic (:class:`BoardTraces`).
In fixed point the weights are the board's 16-bit integers, updated in s16.15
as the board does it (:class:`BoardTraces`), once the flavour's front has given
each rule the ring-buffer scale of its targets (``set_board_weights``).

A new sPyNNaker rule is a subclass here of :class:`~..plasticity.PairTraceRule`
(or of the NEST rule it differs from), plus its PyNN-facing class in
``pynn_tinysim/spinnaker/synapses.py``.
"""

from decimal import Decimal

import numpy as np

from ..kernels import plasticity as plastic_kernels
from ..kernels import spinnaker_plasticity as board_kernels
from ..plasticity import (STDP, DecayTables, PairTraceRule, RoundsScratch, VogelsSprekeler,
                          cover_intervals)
from . import fixed_point
from .settings import traces_in_fixed_point


#: sPyNNaker's STDP fixed point: traces and decays are 16-bit integers counting 2**-11
STDP_FIXED_POINT = 11
STDP_FIXED_POINT_ONE = 1 << STDP_FIXED_POINT
#: stdp_typedefs.h: a trace shifted left this much is an s16.15 accum
S1615_TO_STDP_RIGHT_SHIFT = 4
#: a plastic synaptic word's weight is an unsigned 16-bit integer
WEIGHT_MASK = 0xFFFF
#: post_events.h: MAX_POST_SYNAPTIC_EVENTS = 16 entries per neuron, the first a
#: placeholder at time 0, so the 15 most recent post spikes are kept
POST_EVENTS_KEPT = 15
#: pending post events a synapse keeps in the compiled kernel's rings (the history's
#: length: an older one can no longer count, kernels/spinnaker_plasticity.py)
EVENTS_KEPT = board_kernels.EVENTS


def s1615_parameter(values):
    """Raw s16.15 bits of rule parameters as sPyNNaker's host writes them.

    ``DataType.S1615.encode_as_int``: ``round(Decimal(str(x)) * 2**15)``, i.e. the
    decimal the float prints as, rounded half to even. (It differs from
    ``numpy.rint(x * 2**15)`` only where the float product is off a half.)
    """
    values = np.asarray(values, dtype=float)
    unique, inverse = np.unique(values, return_inverse=True)
    bits = np.array([int(round(Decimal(str(float(v))) * fixed_point.ONE)) for v in unique],
                    dtype=np.int64)
    return bits[inverse].reshape(values.shape)


def stdp_fixed(trace):
    """A trace (a multiple of 2**-11 in board mode) as sPyNNaker's 16-bit integer."""
    return np.rint(np.asarray(trace, dtype=float) * STDP_FIXED_POINT_ONE).astype(np.int64)


def stdp_mul(a, b):
    """``STDP_FIXED_MUL_16X16``: (a b) >> 11 on STDP fixed-point integers (toward -inf)."""
    return (np.asarray(a, np.int64) * np.asarray(b, np.int64)) >> STDP_FIXED_POINT


def mul_accum_fixed(a, stdp):
    """``mul_accum_fixed``: an s16.15 accum ``a`` times an STDP fixed-point ``stdp``.

    The trace is shifted into s16.15 and the accum product taken as the ARM code
    does (:func:`fixed_point.mul`: 64-bit product >> 15, toward -inf).
    """
    return fixed_point.mul(a, np.asarray(stdp, np.int64) << S1615_TO_STDP_RIGHT_SHIFT)


class BoardTraces:
    """sPyNNaker's trace and weight arithmetic, used when the flavour runs in fixed point.

    Traces: decays come from the look-up tables sPyNNaker writes
    (``get_exp_lut_array``: ``floor(exp(-(i << shift) dt / tau) 2**11)`` for
    table index ``i = ticks >> shift``, zero past the table's end; ``shift`` is 2
    for the triplet rule's tau_x and tau_y, else 0), and products of traces are
    ``(a b) >> 11`` (``STDP_FIXED_MUL_16X16``): traces stay multiples of 2**-11.

    Weights, once the flavour's front has told the rule the ring-buffer format of
    its target (:meth:`set_board_weights`: the left shift of the post
    Population's receptor and the input type's global weight scale), are the
    board's 16-bit unsigned integers W, read back as ``W / s`` with ``s =
    2**(15 - shift) * global scale`` (so ``self.weight`` always holds such a
    value). A presynaptic spike's row update runs as
    ``synapse_dynamics_stdp_mad_impl.c`` does it: the weight enters as the s16.15
    accum ``W << shift`` (``weight_get_initial``), the pending post events and
    the depression move it in s16.15 with the rule's parameters as the host
    writes them (:func:`s1615_parameter`) and ``mul_accum_fixed`` products, and it
    leaves as ``accum >> shift`` (``weight_get_final``, truncating). Rules
    implement the moves on ``self._w_acc`` (see :class:`SpinnakerSTDP`).

    The post-synaptic history is sPyNNaker's too: each neuron keeps its 15 most
    recent spikes (``post_events.h``; a post spike of a tick is added before the
    presynaptic spikes of that tick are processed), so at a row update a post
    event that more than 14 later spikes of its neuron have pushed out potentiates
    no more, and the depression is skipped when the last post event before the
    pre spike has been pushed out (``prev_time_valid`` false). With board
    weights the pending post events are therefore kept one by one ("log" mode).

    In float mode (``setup(fixed_point=False)``) exact exponentials and float64
    weights are used.
    """

    #: LUT time shift per time-constant name
    lut_shift = {}
    #: per-synapse left shift of the 16-bit weights (None: float64 weights)
    _board_shift = None
    _board_gws = None
    _board_w = False

    def set_board_weights(self, mask, shift=None, global_scale=1.0):
        """The synapses ``mask`` keep 16-bit weights of ring-buffer left shift ``shift``.

        ``mask`` None: every synapse back to float64 weights (called first by the
        front before each run; then once per target Population and receptor).
        """
        self.consolidate()
        n = self.weight.size
        if mask is None:
            self._board_shift = self._board_gws = None
            return
        if self._board_shift is None or self._board_shift.size != n:
            self._board_shift = np.full(n, -1, np.int64)
            self._board_gws = np.ones(n)
        self._board_shift[mask] = int(shift)
        self._board_gws[mask] = float(global_scale)

    def start_run(self, dt):
        self._board = traces_in_fixed_point(self.network)
        shift = self._board_shift
        # (set before the base start_run, which asks _pending_mode)
        self._board_w = bool(self._board and shift is not None and shift.size == self.weight.size
                             and shift.size > 0 and (shift >= 0).all()
                             and self._board_supported())
        super().start_run(dt)
        if self._board_w:
            self._w_scale = 2.0 ** (15 - shift) * self._board_gws
            # weights as the host writes them into the synaptic words: rint(|w| s) & 0xFFFF
            # (already such values after a run: unchanged)
            counts = np.rint(np.abs(self.weight) * self._w_scale).astype(np.int64) & WEIGHT_MASK
            self.weight[:] = counts / self._w_scale
            self._w_acc = np.zeros(self.weight.size, np.int64)
            self._bconst = {name: s1615_parameter(values)
                            for name, values in self._board_parameters().items()}

    def _board_parameters(self):
        """{name: per-synapse value} of the s16.15 parameters the host writes (rules override)."""
        return {}

    def _board_supported(self):
        """Whether the board's weight arithmetic exists for these parameters (else float64)."""
        return True

    # --- the 15-event post history (post_events.h) -----------------------------------

    def _pending_mode(self):
        # board weights: every event kept apart (it may drop out of the post history)
        return "log" if self._board_w else super()._pending_mode()

    def _reset_internal(self):
        super()._reset_internal()
        self._recent = None

    def compile(self, n_ids, input_position, row_size, n_slots):
        super().compile(n_ids, input_position, row_size, n_slots)
        recent = getattr(self, "_recent", None)
        if recent is None or recent.shape[0] != self._n_post:
            self._recent = None

    def _post_history(self):
        """Stamps of the last 15 spikes of each post neuron (-1: none), oldest anywhere."""
        if getattr(self, "_recent", None) is None:
            self._recent = np.full((self._n_post, POST_EVENTS_KEPT), -1, np.int64)
            self._recent_next = np.zeros(self._n_post, np.int64)
        return self._recent

    def deliver(self, spiking_ids, k, ring_flat):
        if self._board_w:
            post_ids = spiking_ids[self._is_post[spiking_ids]]
            if post_ids.size:
                # (before this tick's presynaptic spikes, as the neuron update comes first)
                local = self._post_lookup[post_ids]
                recent = self._post_history()
                recent[local, self._recent_next[local]] = k + 1
                self._recent_next[local] = (self._recent_next[local] + 1) % POST_EVENTS_KEPT
        super().deliver(spiking_ids, k, ring_flat)

    def _kept(self, syn, post_stamp):
        """Whether the post spikes stamped ``post_stamp`` of synapses ``syn`` are still kept."""
        recent = self._post_history()[self._post_lookup[self.post[syn]]]
        return post_stamp >= recent.min(axis=1)

    def _record_pending(self, idx, terms, arrival=None):
        if self._board_w and self._pmode == "log":
            # the post spike's own stamp, to know later whether it is still in the history
            terms = tuple(terms) + (arrival - self.delay_steps[idx],)
        super()._record_pending(idx, terms, arrival)

    def _apply_pending(self, idx):
        if not (self._board_w and self._pmode == "log"):
            return super()._apply_pending(idx)
        idx = idx[self._n_pending[idx] > 0]
        if idx.size == 0:
            return
        if self._sum_composable():
            # each kept event adds an amount of its own, clipped at the top only: their
            # sum, clipped once, is the same (and one pass instead of one per event)
            syn, terms = self._deferred.take_flat(idx, self._n_pending.size)
            *terms, post_stamp = terms
            keep = self._kept(syn, post_stamp)
            total = np.zeros(self._n_pending.size)
            np.add.at(total, syn[keep], self._increment(syn[keep], *(t[keep] for t in terms)))
            self._apply_sum(idx, total[idx])
            self._n_pending[idx] = 0
            return
        dropped = np.zeros(self._n_pending.size, bool)   # all events so far pushed out
        for syn, terms in self._deferred.take(idx, self._n_pending.size):
            *terms, post_stamp = terms
            keep = self._kept(syn, post_stamp)
            terms = self._after_dropped(syn, terms, dropped[syn])
            dropped[syn] = ~keep
            if keep.all():
                self._potentiate(syn, *terms)
            elif keep.any():
                self._potentiate(syn[keep], *(np.asarray(t)[keep] for t in terms))
        self._n_pending[idx] = 0

    def _sum_composable(self):
        """Whether the rule's post events add amounts that do not depend on the weight
        (>= 0, clipped at w_max), so that :meth:`_increment`/:meth:`_apply_sum` apply them."""
        return False

    def _after_dropped(self, syn, terms, after_dropped):
        """The terms of post events whose earlier events (this update) were all pushed out.

        Such an event follows the history's placeholder (time 0) on the board. Rules
        whose step depends on the previous post event override this.
        """
        return terms

    def _depression_valid(self, idx, coincident):
        """A post event has reached the synapses ``idx`` and the last one is still kept."""
        valid = (self._t_post[idx] > 0) | coincident
        if self._board_w and valid.any():
            last = np.where(coincident, self._stamp_now, self._t_post[idx])
            valid &= self._kept(idx, last - self.delay_steps[idx])
        return valid

    def _bc(self, name, idx):
        return self._bconst[name][idx]

    def _board_increment(self, idx, k_pre):
        """A_plus times the pre trace, in s16.15 LSBs (exact integers, so the float64
        sum of a post spike's increments is exact)."""
        return mul_accum_fixed(self._bc("A_plus", idx), stdp_fixed(k_pre)).astype(float)

    def _board_add_clipped(self, idx, total):
        """Add the summed (non-negative) increments; clipping once at w_max equals
        clipping after each, as the board does."""
        self._w_acc[idx] = np.minimum(self._w_acc[idx] + total.astype(np.int64),
                                      self._bc("w_max", idx))

    def _on_pre(self, idx, stamp):
        if not self._board_w:
            return super()._on_pre(idx, stamp)
        self._stamp_now = stamp
        # weight_get_initial: the 16-bit weight shifted into an s16.15 accum
        counts = np.rint(self.weight[idx] * self._w_scale[idx]).astype(np.int64)
        self._w_acc[idx] = counts << self._board_shift[idx]
        idx, _ = super()._on_pre(idx, stamp)
        # weight_get_final: (weight_t) (bits >> shift)
        counts = (self._w_acc[idx] >> self._board_shift[idx]) & WEIGHT_MASK
        self.weight[idx] = w = counts / self._w_scale[idx]
        return idx, w

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

    # --- compiled delivery (kernels/spinnaker_plasticity.py) ---------------------------

    #: the rule class whose synapses these are where this class only lays them out
    #: differently (a structural projection's slots, :mod:`.structural`), else None
    _slots_of = None

    def _rule_type(self):
        """The rule class the kernel must know (subclasses that change the arithmetic
        get none: the kernels are checked against their exact class)."""
        return self._slots_of or type(self)

    def _kernel_rule(self):
        """(rule code of :mod:`.kernels.spinnaker_plasticity`, multiplicative, the s16.15
        per-synapse values the kernel takes as ``a_minus``) where the kernel has this
        rule with board weights; else None (the default: NumPy)."""
        return None

    def _middle_term(self):
        """What a pending post event holds between K_pre and its stamp: "first" (the
        nearest rule's pairing flag), "o2" (the triplet rule's second post trace) or None."""
        return "first" if self.nearest else None

    def compiled_deliver(self, kernels):
        """:func:`.kernels.spinnaker_plasticity.spinnaker_pair_deliver` with board weights
        (fixed point, the front's weight format) or in float mode
        (:meth:`_float_deliver`) for the rules it knows (:meth:`_kernel_rule`,
        :meth:`_float_rule`: SpinnakerSTDP and NearestSTDP, additive or multiplicative,
        SpinnakerVogels, PfisterTriplet), their trace time constants the same for every
        synapse; else None (NumPy).

        With board weights the pending post events move from the reference's queue into
        the kernel's per-synapse rings for the run (:meth:`end_run` moves them back).
        Compiled stretches take this rule too (:meth:`stretch_ready`), with the same
        arrays (and in float mode the same decay tables).
        """
        if "deliver" in vars(self) or not self.size:
            return None
        if not self._board_w:
            return self._float_deliver(kernels)
        setup = self._board_setup()
        if setup is None:
            return None
        code, multiplicative, a_minus, luts = setup
        triplet = code == board_kernels.RULE_TRIPLET
        pre_lut, post_lut, *luts2 = luts
        rings = self._events_to_rings()
        self._rings = rings
        self._kernel_indices = self._kernel_index()
        n = self.size
        int64 = lambda a: np.ascontiguousarray(a, np.int64)     # noqa: E731
        bc = self._bconst
        kernel = kernels.spinnaker_pair_deliver
        # (parameters every synapse shares as one element: fewer loads per synapse)
        shared = lambda a: a[:1] if a.size and np.all(a == a[0]) else a   # noqa: E731
        # (the triplet rule's A3 amplitudes, second traces and their tables; one unused
        # element for the others)
        unused, unused_f = np.zeros(1, np.int64), np.zeros(1)
        a3 = ((shared(int64(bc["A3_plus"])), shared(int64(bc["A3_minus"]))) if triplet
              else (unused, unused))
        traces2 = (self._k_pre2, self._k_post2) if triplet else (unused_f, unused_f)
        luts2 = tuple(luts2) if triplet else (unused, unused)
        arrays = (self.weight, shared(self._w_scale), shared(self._board_shift), self._w_acc,
                  *(shared(int64(bc[name])) for name in ("w_min", "w_max", "A_plus")),
                  shared(int64(a_minus)), *a3, multiplicative, code, self._k_pre,
                  self._k_post, *traces2, self._t_last, self._t_post, self._n_pending,
                  None, *rings, pre_lut, post_lut, *luts2,
                  np.full(n, -1, np.int64), np.zeros(1, np.int64), np.empty(n, np.int64),
                  np.full(n, -1, np.int64))
        # (a stretch delivers with the same arrays: stretch_arrays)
        self._board_arrays = arrays
        n_slots, row_size = self._n_slots, self._row_size
        rounds = RoundsScratch()
        no_events = self._NO_EVENTS

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            heap = self._heap
            popped, events = self._pop_arrivals(stamp) if heap else ((), no_events)
            fixed, index = self._kernel_indices
            kernel(spiking_ids, stamp, *fixed, (stamp % n_slots) * row_size, ring_flat,
                   *events, *index, *arrays, rounds.fit(spiking_ids.size))
            if heap or popped:      # as _apply_arrivals (called where the queue is not empty)
                self._done_until = max(self._done_until, stamp)
            self._remember_posts(spiking_ids, stamp)
        return deliver

    def _board_setup(self):
        """(rule code, multiplicative, the s16.15 ``a_minus`` values, the look-up tables
        [pre, post, and the triplet rule's tau_x, tau_y]) where the kernel delivers this
        rule with board weights (set by start_run: ``_board_w``); else None."""
        if not self._board_w or self._pmode != "log":
            return None
        rule = self._kernel_rule()
        if rule is None:
            return None
        code, multiplicative, a_minus = rule
        triplet = code == board_kernels.RULE_TRIPLET
        luts = [self._lut_ticks(name) for name in (self.pre_tau, self.post_tau) + (
            ("tau_x", "tau_y") if triplet else ())]
        if any(lut is None for lut in luts):
            return None
        return code, multiplicative, a_minus, luts

    # --- inside compiled stretches (engine/stretch.py), board weights ------------------

    @property
    def stretch_kind(self):
        """The kind of ``plastic`` part a stretch delivers to it with
        (engine/stretch_plastic.py): "board" with board weights, else "float"."""
        return "board" if self._board_w else "float"

    def stretch_ready(self):
        """Whether a compiled stretch can deliver this projection's spikes
        (:func:`.kernels.spinnaker_plasticity.spinnaker_pair_deliver_queued`, or
        ``spinnaker_float_deliver_queued``): where :meth:`compiled_deliver` will use the
        kernel, with board weights or in float mode, the synapses' index is fixed for the
        run (no structural plasticity), every delay is a tick at least and the history
        holds each stamp once (as a pair rule's, see :meth:`.PairTraceRule.stretch_ready`)."""
        if "deliver" in vars(self) or not self.size or self._slots_of is not None:
            return False
        if self._board_setup() is None and self._float_setup() is None:
            return False
        stamps = np.array([stamp for stamp, _ in self._history], np.int64)
        return (self._delays.size > 0 and self._delays[0] >= 1
                and bool(np.all(np.diff(stamps) > 0)))

    def stretch_arrays(self, k_stop, capacity=0):
        """(arrays, k_stop): this projection as a stretch takes it (the fields of
        kernels/spinnaker_plasticity.py's ``_board_view``): the arrays the step loop's
        kernel call uses (:meth:`compiled_deliver`, updated in place), the queue of post
        events as arrays (from the heap and the history, at least ``capacity`` spikes)
        and room for the events due at a step. The look-up tables end in 0: ``k_stop``
        stands. After the stretch, :meth:`stretch_finish` turns the queue back."""
        if not self._board_w:
            return self._float_stretch_arrays(k_stop, capacity)
        (weight, w_scale, shift, w_acc, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus,
         multiplicative, code, *rest) = self._board_arrays
        (k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending, _, ev_k, ev_stamp,
         ev_first, ev_o2, pre_lut, post_lut, pre2_lut, post2_lut, mark, epoch, at_now,
         arrived) = rest
        (indptr, by_pre, keys), index = self._kernel_indices
        queue = self._stretch_queue_and_room(capacity, code, multiplicative)
        arrays = (indptr, by_pre, keys, *index, weight, w_scale, shift, w_acc, w_min, w_max,
                  a_plus, a_minus, a3_plus, a3_minus, k_pre, k_post, k_pre2, k_post2, t_last,
                  t_post, n_pending, ev_k, ev_stamp, ev_first, ev_o2, pre_lut, post_lut,
                  pre2_lut, post2_lut, mark, epoch, at_now, arrived, self._delays, *queue)
        return arrays, k_stop

    def _float_stretch_arrays(self, k_stop, capacity):
        """:meth:`stretch_arrays` in float mode (the fields of
        kernels/spinnaker_plasticity.py's float kind): the step loop's arrays
        (:meth:`_float_deliver`) and its decay tables, grown to cover every interval up to
        ``k_stop`` as the step loop grows them (``k_stop`` lowered where they cannot: the
        step loop then runs those ticks, on NumPy)."""
        head, scratch, tables, unused = self._float_call
        (weight, _, _, _, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus, multiplicative,
         code, k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending, pend_acc,
         *_) = head
        k_stop = cover_intervals(tables, 0, k_stop)
        luts = tuple(t.values[0] for t in tables) + unused
        queue = self._stretch_queue_and_room(capacity, code, multiplicative)
        arrays = (self._indptr, self._by_pre, self._keys, self._post_indptr, self._by_post,
                  self._post_lookup, weight, w_min, w_max, a_plus, a_minus, a3_plus, a3_minus,
                  k_pre, k_post, k_pre2, k_post2, t_last, t_post, n_pending, pend_acc, *luts,
                  *scratch, self._delays, *queue)
        return arrays, k_stop

    def _stretch_queue_and_room(self, capacity, code, multiplicative):
        """The queue of post events as a stretch's arrays (q_stamp, q_post, q_serial,
        cursor, qs with the rule's code and dependence) and room for the events due at a
        tick (arrivals, bounds, columns: every queued spike's at every delay)."""
        queue, cursor, qs = self._stretch_queue(capacity)
        qs[plastic_kernels.Q_RULE] = code
        qs[plastic_kernels.Q_MODES] = int(bool(multiplicative))
        room = queue[0].size * self._delays.size
        return (*queue, cursor, qs, np.zeros(room, np.int64), np.zeros(room + 1, np.int64),
                np.zeros(room, np.int64))

    def stretch_finish(self, arrays):
        """The queue of a stretch's ``arrays`` back into the heap and the history; the
        number of spikes it held, and whether it was full (see
        :meth:`.PairTraceRule.stretch_finish`)."""
        at = 40 if self._board_w else 30      # (q_stamp: see kernels/spinnaker_plasticity.py)
        return self._stretch_queue_back(*arrays[at:at + 5])

    def _float_rule(self):
        """(rule code, multiplicative, {name: per-synapse float64 values} of ``w_min``,
        ``w_max``, ``a_plus``, ``a_minus``, and the triplet rule's ``a3_plus``,
        ``a3_minus``) where the kernel has this rule in float mode; else None (NumPy)."""
        return None

    def _float_deliver(self, kernels):
        """Float mode (``setup(fixed_point=False)``: exact exponentials, float64 weights):
        :func:`.kernels.spinnaker_plasticity.spinnaker_pair_deliver` with ``w_acc`` None
        for the rules :meth:`_float_rule` names, their pending post events kept as the
        reference keeps them (``_pend_acc``: "sum", or "product" for the multiplicative
        dependence), the decays NumPy's exp by interval in ticks (:class:`DecayTables`),
        grown to cover the step's stamp; a step they cannot cover (past their cap, a
        time constant of more than ~1400 ticks) runs on NumPy, the state being the same
        arrays. None where the traces are in fixed point without board weights, where a
        trace's time constant differs between synapses, or the rule has no float kernel.
        """
        setup = self._float_setup()
        if setup is None:
            return None
        code, multiplicative, params, taus = setup
        triplet = code == board_kernels.RULE_TRIPLET
        # (the exponent _decay evaluates: -steps * (dt / tau))
        tables = [DecayTables([lambda steps, rate=self.dt / tau: -steps * rate],
                              [self.dt / tau]) for tau in taus]
        if not all(t.values for t in tables):
            return None
        n = self.size
        # (parameters every synapse shares as one element: fewer loads per synapse)
        # (copies: writeable, so that Numba compiles one variant)
        shared = lambda a: np.array(a[:1] if a.size and np.all(a == a[0]) else a,  # noqa: E731
                                    np.float64)
        unused = np.zeros(1)
        p = {name: shared(np.broadcast_to(np.asarray(params[name], float), (n,)))
             if name in params else unused
             for name in ("w_min", "w_max", "a_plus", "a_minus", "a3_plus", "a3_minus")}
        traces2 = (self._k_pre2, self._k_post2) if triplet else (unused, unused)
        head = (self.weight, None, None, None, p["w_min"], p["w_max"], p["a_plus"],
                p["a_minus"], p["a3_plus"], p["a3_minus"], multiplicative, code,
                self._k_pre, self._k_post, *traces2, self._t_last, self._t_post,
                self._n_pending, self._pend_acc, None, None, None, None)
        scratch = (np.full(n, -1, np.int64), np.zeros(1, np.int64), np.empty(n, np.int64),
                   np.full(n, -1, np.int64))
        # (a stretch delivers with the same arrays and tables: stretch_arrays)
        self._float_call = (head, scratch, tables, (unused, unused) if not triplet else ())
        luts = [None]
        covered = [-1]
        n_slots, row_size = self._n_slots, self._row_size
        rounds = RoundsScratch()
        no_events = self._NO_EVENTS
        kernel, numpy_deliver = kernels.spinnaker_pair_deliver, self.deliver

        def cover(stamp):
            """The tables covering every interval up to ``stamp`` (None: they cannot)."""
            if stamp > covered[0]:
                if not all(t.grow(stamp + 1) for t in tables):
                    return None
                values = [t.values[0] for t in tables]
                luts[0] = tuple(values) + ((unused, unused) if not triplet else ())
                covered[0] = min(np.iinfo(np.int64).max if t.saturated
                                 else t.values[0].size - 1 for t in tables)
            return luts[0]

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            luts = cover(stamp)
            if luts is None:
                numpy_deliver(spiking_ids, k, ring_flat)
                return
            heap = self._heap
            popped, events = self._pop_arrivals(stamp) if heap else ((), no_events)
            kernel(spiking_ids, stamp, self._indptr, self._by_pre, self._keys,
                   (stamp % n_slots) * row_size, ring_flat, *events, self._post_indptr,
                   self._by_post, self._post_lookup, None, None, None, None, *head, *luts,
                   *scratch, rounds.fit(spiking_ids.size))
            if heap or popped:      # as _apply_arrivals (called where the queue is not empty)
                self._done_until = max(self._done_until, stamp)
            self._remember_posts(spiking_ids, stamp)
        self._float_now = True      # (until end_run: SlotRule._compiled_now)
        return deliver

    def _float_setup(self):
        """(rule code, multiplicative, the parameters of :meth:`_float_rule`, the traces'
        time constants [pre, post, and the triplet rule's tau_x, tau_y]) where the kernel
        delivers this rule in float mode; else None."""
        if getattr(self, "_board", False) or self._board_w:
            return None
        rule = self._float_rule()
        if rule is None:
            return None
        code, multiplicative, params = rule
        if self._pmode != ("product" if multiplicative else "sum"):
            return None
        triplet = code == board_kernels.RULE_TRIPLET
        names = (self.pre_tau, self.post_tau) + (("tau_x", "tau_y") if triplet else ())
        taus = [self._scalar.get(name) for name in names]
        if any(tau is None or not tau > 0.0 for tau in taus):
            return None
        return code, multiplicative, params, taus

    def _kernel_index(self):
        """The kernel's arguments that follow the synapses' sources and delays: the
        presynaptic index (indptr, by_pre, keys) and the postsynaptic one with the post
        history (made again where they change during a run: structural plasticity)."""
        int64 = lambda a: np.ascontiguousarray(a, np.int64)     # noqa: E731
        recent = self._post_history()
        return ((self._indptr, self._by_pre, self._keys),
                (self._post_indptr, self._by_post, self._post_lookup,
                 int64(self._post_lookup[self.post]), int64(self.delay_steps),
                 recent.reshape(-1), self._recent_next))

    def end_run(self, last_stamp):
        super().end_run(last_stamp)
        self.__dict__.pop("_float_now", None)
        rings = self.__dict__.pop("_rings", None)
        if rings is not None:
            self._rings_to_events(*rings)

    #: the longest look-up table (ticks) the kernel takes; a longer one keeps NumPy
    LUT_CAP = 1 << 20

    def _lut_ticks(self, tau_name):
        """The decay of trace ``tau_name`` by interval in ticks, as :meth:`_decay` gives
        it, times 2**11 (int64), up to an interval past the look-up table's end (its
        last entry 0 then holds for any longer one); None where tau differs between
        synapses or the table would be longer than :data:`LUT_CAP`."""
        tau = self._scalar.get(tau_name)
        if tau is None or not tau > 0.0:
            return None
        shift = self.lut_shift.get(tau_name, 0)
        size = np.log(STDP_FIXED_POINT_ONE) * tau / self.dt / (1 << shift)
        if not np.isfinite(size) or size > self.LUT_CAP:
            return None
        ticks = ((int(np.ceil(size)) + 2) << shift) + 1
        values = self._decay(np.arange(ticks, dtype=np.int64), tau_name, None)
        if values[-1] != 0.0:
            return None
        return np.rint(values * STDP_FIXED_POINT_ONE).astype(np.int64)

    def _events_to_rings(self):
        """The pending post events (``_deferred``: K_pre, :meth:`_middle_term`, the post
        spike's stamp), taken out, as the kernel's rings (K_pre, stamp, first, o2; the
        last two one element where unused): synapse s's event r (of its ``_n_pending``)
        in slot ``s * EVENTS + r % EVENTS``; only its last EVENTS events (older ones left
        the post history)."""
        n, events = self.size, EVENTS_KEPT
        middle = self._middle_term()
        ev_k, ev_stamp = np.zeros(n * events), np.zeros(n * events, np.int64)
        ev_first = np.zeros(n * events if middle == "first" else 1, np.int64)
        ev_o2 = np.zeros(n * events if middle == "o2" else 1)
        syn, terms = self._deferred.take_flat(np.arange(n), n)
        if syn.size:
            k_pre, *first, post_stamp = terms
            rank = _rank_within(syn)
            count = np.bincount(syn, minlength=n)
            last = rank >= count[syn] - events
            syn, rank = syn[last], rank[last]
            # (the events' numbers: the last of a synapse is its _n_pending - 1)
            slot = syn * events + (rank + self._n_pending[syn] - count[syn]) % events
            ev_k[slot] = k_pre[last]
            ev_stamp[slot] = post_stamp[last]
            if middle == "first":
                ev_first[slot] = np.asarray(first[0])[last]
            elif middle == "o2":
                ev_o2[slot] = np.asarray(first[0])[last]
        return ev_k, ev_stamp, ev_first, ev_o2

    def _rings_to_events(self, ev_k, ev_stamp, ev_first, ev_o2):
        """The kernel's rings back into ``_deferred`` (each synapse's events in order).

        Where a synapse had more than EVENTS events, the nearest rule needs to know that
        the one before its oldest left the history (``_after_dropped``): an event stamped
        -2 (older than any history) stands for it."""
        events = EVENTS_KEPT
        count = self._n_pending
        syn_list = np.flatnonzero(count > 0)
        if syn_list.size == 0:
            return
        m = np.minimum(count[syn_list], events)
        syn = np.repeat(syn_list, m)
        j = np.arange(syn.size) - np.repeat(np.cumsum(m) - m, m)
        slot = syn * events + (np.repeat(count[syn_list] - m, m) + j) % events
        k_pre, stamp = ev_k[slot], ev_stamp[slot]
        middle = self._middle_term()
        if middle == "o2":
            self._deferred.append(syn, (k_pre, ev_o2[slot], stamp))
            return
        if middle is None:
            self._deferred.append(syn, (k_pre, stamp))
            return
        first = ev_first[slot] != 0
        gone = syn_list[count[syn_list] > events]
        if gone.size:
            self._deferred.append(gone, (np.zeros(gone.size), np.zeros(gone.size, bool),
                                         np.full(gone.size, -2, np.int64)))
        self._deferred.append(syn, (k_pre, first, stamp))



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
      K_pre`` and ``(w - w_min) A_minus K_post``, as NEST's
      (``weight_dependence_multiplicative.py`` writes A_plus, A_minus unscaled);
    - a post event reaching the synapse in the very tick of a pre spike is in
      that spike's window (``post_events_get_window_delayed`` takes the events in
      (last pre, now]): it potentiates with the earlier pre spikes, and it is
      the last post event when the depression is computed, ``now - t_post = 0``
      ticks after it (``timing_pair_impl.h`` applies the depression without a
      condition, with the look-up table's entry 0 = 1): the depression uses the
      post trace including that event, where NEST depresses with the trace of
      the earlier post events only;
    - a pre spike before any post event has reached the synapse leaves the
      weight alone (``prev_time_valid``).

    In fixed point, traces and decays as the board computes them and, when the
    front gave the weight format (:class:`BoardTraces`), the board's 16-bit
    weights and s16.15 updates: additive ``w += mul_accum_fixed(A+, r)`` then
    ``min(w, w_max)`` per post event, ``w -= mul_accum_fixed(A-, o)`` then
    ``max(w, w_min)``; multiplicative ``w += mul_accum_fixed((w_max - w) A+, r)``
    and ``w -= mul_accum_fixed((w - w_min) A-, o)`` (accum products toward -inf).
    """

    def start_run(self, dt):
        super().start_run(dt)
        self._additive = self._scalar.get("mu_plus") == 0.0 and self._scalar.get("mu_minus") == 0.0

    def _board_parameters(self):
        p, gws = self.params, self._board_gws
        if self._is_additive():
            # weight_dependence_additive.py: w_min, w_max, A_plus, A_minus times the scale
            return {"w_min": p["w_min"] * gws, "w_max": p["w_max"] * gws,
                    "A_plus": p["A_plus"] * gws, "A_minus": p["A_minus"] * gws}
        # weight_dependence_multiplicative.py: A_plus, A_minus as given
        return {"w_min": p["w_min"] * gws, "w_max": p["w_max"] * gws,
                "A_plus": p["A_plus"], "A_minus": p["A_minus"]}

    def _is_additive(self):
        return self._scalar.get("mu_plus") == 0.0 and self._scalar.get("mu_minus") == 0.0

    def _kernel_rule(self):
        if self._rule_type() not in (SpinnakerSTDP, NearestSTDP):
            return None
        code = board_kernels.RULE_NEAREST if self.nearest else board_kernels.RULE_PAIR
        return code, not self._additive, self._bconst["A_minus"]

    def _float_rule(self):
        if self._rule_type() not in (SpinnakerSTDP, NearestSTDP):
            return None
        # (sPyNNaker's dependences: additive, mu 0/0, and multiplicative, 1/1)
        mu = (self._scalar.get("mu_plus"), self._scalar.get("mu_minus"))
        if mu not in ((0.0, 0.0), (1.0, 1.0)):
            return None
        code = board_kernels.RULE_NEAREST if self.nearest else board_kernels.RULE_PAIR
        p = self.params
        return code, mu == (1.0, 1.0), {"w_min": p["w_min"], "w_max": p["w_max"],
                                        "a_plus": p["A_plus"], "a_minus": p["A_minus"]}

    def _board_supported(self):
        # sPyNNaker has the additive (mu 0/0) and multiplicative (1/1) dependences only
        mu = np.stack([self.params["mu_plus"], self.params["mu_minus"]])
        return bool((mu == 0.0).all() or (mu == 1.0).all())

    def _sum_composable(self):
        return self._additive and not self.nearest

    def _potentiate(self, idx, k_pre):
        if self._board_w:
            acc = self._w_acc[idx]
            if self._additive:
                acc = np.minimum(acc + mul_accum_fixed(self._bc("A_plus", idx), stdp_fixed(k_pre)),
                                 self._bc("w_max", idx))
            else:
                scale = fixed_point.mul(self._bc("w_max", idx) - acc, self._bc("A_plus", idx))
                acc = acc + mul_accum_fixed(scale, stdp_fixed(k_pre))
            self._w_acc[idx] = acc
            return None
        if not self._additive:
            return super()._potentiate(idx, k_pre)
        w = np.minimum(self.weight[idx] + self._p("A_plus", idx) * k_pre, self._p("w_max", idx))
        self.weight[idx] = w
        return w

    def _pending_mode(self):
        # (called by the base start_run, before self._additive is set)
        if self._board_w:
            return BoardTraces._pending_mode(self)
        return "sum" if self._is_additive() else super()._pending_mode()

    def _increment(self, idx, k_pre):
        if self._board_w:
            return self._board_increment(idx, k_pre)
        return super()._increment(idx, k_pre)

    def _apply_sum(self, idx, total):
        if self._board_w:
            return self._board_add_clipped(idx, total)
        if not self._additive:
            return super()._apply_sum(idx, total)
        self.weight[idx] = np.minimum(self.weight[idx] + total, self._p("w_max", idx))

    def _coincident(self, idx):
        """Which of the synapses ``idx`` have a post event arriving in this very tick."""
        now = self._arrived_now
        if now is None or now.size == 0:
            return None
        return np.isin(idx, now)

    def _post_trace_now(self, idx, k_post, coincident):
        """The post trace the depression uses, given which synapses have a coincident event.

        Pair rule: that event's own trace (the earlier ones decayed, plus 1).
        """
        return np.where(coincident, k_post + 1.0, k_post)

    def _depress(self, idx, k_post):
        coincident = self._coincident(idx)
        if coincident is None:
            coincident = np.zeros(idx.size, bool)
        elif coincident.any():
            k_post = self._post_trace_now(idx, k_post, coincident)
        # (without any post event so far, no depression: prev_time_valid)
        valid = self._depression_valid(idx, coincident)
        if self._board_w:
            acc = self._w_acc[idx]
            o1 = stdp_fixed(k_post)
            if self._additive:
                new = np.maximum(acc - mul_accum_fixed(self._bc("A_minus", idx), o1),
                                 self._bc("w_min", idx))
            else:
                scale = fixed_point.mul(acc - self._bc("w_min", idx), self._bc("A_minus", idx))
                new = acc - mul_accum_fixed(scale, o1)
            self._w_acc[idx] = np.where(valid, new, acc)
            return None
        k_post = np.where(valid, k_post, 0.0)
        if not self._additive:
            return STDP._depress(self, idx, k_post)
        w = np.maximum(self.weight[idx] - self._p("A_minus", idx) * k_post, self._p("w_min", idx))
        w = np.where(valid, w, self.weight[idx])
        self.weight[idx] = w
        return w


def _rank_within(syn):
    """Each entry's rank among the entries of its synapse, in their order."""
    order = np.argsort(syn, kind="stable")
    ranked = syn[order]
    starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
    rank = np.empty(syn.size, np.int64)
    rank[order] = np.arange(syn.size) - np.repeat(starts, np.diff(np.append(starts, syn.size)))
    return rank


class NearestSTDP(SpinnakerSTDP):
    """sPyNNaker's SpikeNearestPairRule with a weight dependence.

    :class:`SpinnakerSTDP` with sPyNNaker's nearest-pair timing
    (``timing_nearest_pair_impl.h``): a spike sets its trace to 1 instead of
    adding 1; a post event potentiates with the last pre spike only if it is the
    first post event since that pre spike; a pre spike is depressed by the most
    recent post event, including one arriving in the same tick (decay of 0
    ticks: the full A_minus), and not at all before any post event. Board
    weights as :class:`SpinnakerSTDP`'s.
    """

    nearest = True

    def _potentiation_terms(self, idx, k_pre, arrival):
        # (an earlier post event since the last pre spike has taken the pairing)
        first = self._t_post[idx] <= self._t_last[idx]
        if self._board_w:
            return (k_pre, first)       # (the pairing decided when the event is applied)
        return (np.where(first, k_pre, 0.0),)

    def _after_dropped(self, syn, terms, after_dropped):
        # timing_nearest_pair_impl.h compares with the previous event in the history: after
        # pushed-out events that is the placeholder at time 0, so this event pairs
        k_pre, first = terms
        return [k_pre, np.asarray(first) | after_dropped]

    def _potentiate(self, idx, k_pre, first=None):
        if first is not None:
            k_pre = np.where(first, k_pre, 0.0)
        return super()._potentiate(idx, k_pre)

    def _post_trace_now(self, idx, k_post, coincident):
        return np.where(coincident, 1.0, k_post)


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
    the pre spike is in o. In fixed point, the board's traces and 16-bit weights
    (:class:`BoardTraces`): a post event adds ``mul_accum_fixed(A+, r)`` (clipped at
    w_max), a pre spike ``mul_accum_fixed(A+, o - alpha)``, clipped at w_max only,
    as ``weight_one_term_apply_potentiation`` does (a weight driven below zero
    would wrap around on the board; here too).
    """

    parameter_names = ("alpha", "tau", "A_plus", "A_minus", "w_min", "w_max")

    def _board_parameters(self):
        p, gws = self.params, self._board_gws
        # weight_dependence_additive.py; alpha is written apart, in STDP fixed point
        return {"w_min": p["w_min"] * gws, "w_max": p["w_max"] * gws,
                "A_plus": p["A_plus"] * gws}

    def _sum_composable(self):
        return True

    def _kernel_rule(self):
        if self._rule_type() is not SpinnakerVogels:
            return None
        return board_kernels.RULE_VOGELS, False, self._alpha_bits(slice(None))

    def _float_rule(self):
        if self._rule_type() is not SpinnakerVogels:
            return None
        p = self.params
        # (the kernel's a_minus: alpha, as _depress reads it)
        return board_kernels.RULE_VOGELS, False, {
            "w_min": p["w_min"], "w_max": p["w_max"], "a_plus": self._p("eta", slice(None)),
            "a_minus": self._p("alpha", slice(None))}

    def _alpha_bits(self, idx):
        """alpha in STDP fixed point as the host writes it (float_to_fixed: round(alpha
        2**11)), per synapse ``idx``."""
        shape = self.params["alpha"][idx].shape
        return np.array([int(round(float(a) * STDP_FIXED_POINT_ONE))
                         for a in np.broadcast_to(self._p("alpha", idx), shape)], dtype=np.int64)

    def _increment(self, idx, k_pre):
        if self._board_w:
            return self._board_increment(idx, k_pre)
        return super()._increment(idx, k_pre)

    def _apply_sum(self, idx, total):
        if self._board_w:
            return self._board_add_clipped(idx, total)
        super()._apply_sum(idx, total)

    def _potentiate(self, idx, k_pre):
        if self._board_w:
            self._w_acc[idx] = np.minimum(
                self._w_acc[idx] + mul_accum_fixed(self._bc("A_plus", idx), stdp_fixed(k_pre)),
                self._bc("w_max", idx))
            return None
        return super()._potentiate(idx, k_pre)

    def _depress(self, idx, k_post):
        now = self._arrived_now
        coincident = (np.isin(idx, now) if now is not None and now.size
                      else np.zeros(idx.size, bool))
        valid = self._depression_valid(idx, coincident)
        k = k_post + coincident
        if self._board_w:
            # timing_vogels_2011_impl.h: (o - alpha) in STDP fixed point (alpha written by
            # float_to_fixed: round(alpha 2**11)) through the additive potentiation, which
            # clips at w_max only
            alpha = self._alpha_bits(idx)
            acc = self._w_acc[idx]
            new = np.minimum(acc + mul_accum_fixed(self._bc("A_plus", idx), stdp_fixed(k) - alpha),
                             self._bc("w_max", idx))
            self._w_acc[idx] = np.where(valid, new, acc)
            return None
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
    """sPyNNaker's PfisterSpikeTriplet with WeightDependenceAdditiveTriplet.

    The minimal all-to-all triplet rule of Pfister & Gerstner (2006): presynaptic
    traces r1 (tau_plus) and r2 (tau_x), postsynaptic traces o1 (tau_minus) and
    o2 (tau_y), each +1 per spike (after it is read). On the normalised weight
    x = (w - w_min)/(w_max - w_min), clipped to [0, 1]:
    at a presynaptic spike ``x -= o1 (A_minus + A3_minus r2)``, at a
    postsynaptic event ``x += r1 (A_plus + A3_plus o2)``, r2 and o2 read just
    before the spike's own increment. (sPyNNaker multiplies the amplitudes by
    w_max, the same with w_min = 0.) Timing as :class:`SpinnakerSTDP`'s
    (``timing_pfister_triplet_impl.h``): a post event reaching the synapse in
    the tick of a pre spike potentiates and is in the o1 of that spike's
    depression.

    Board weights (:class:`BoardTraces`): the host writes w_min, w_max and
    ``A * w_max`` (times the global weight scale) in s16.15
    (``weight_dependence_additive_triplet.py``); a post event does ``w +=
    mul_accum_fixed(A2+, r1) + mul_accum_fixed(A3+, r1 o2 >> 11)``, then
    ``min(w, w_max)``; a pre spike ``w -= mul_accum_fixed(A2-, o1) +
    mul_accum_fixed(A3-, o1 r2 >> 11)``, then ``max(w, w_min)``
    (``weight_additive_two_term_impl.h``).
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

    def _kernel_rule(self):
        if self._rule_type() is not PfisterTriplet:
            return None
        return board_kernels.RULE_TRIPLET, False, self._bconst["A_minus"]

    def _float_rule(self):
        if self._rule_type() is not PfisterTriplet:
            return None
        p = self.params
        return board_kernels.RULE_TRIPLET, False, {
            "w_min": p["w_min"], "w_max": p["w_max"], "a_plus": p["A_plus"],
            "a_minus": p["A_minus"], "a3_plus": p["A3_plus"], "a3_minus": p["A3_minus"]}

    def _middle_term(self):
        return "o2"

    def _board_parameters(self):
        p, gws = self.params, self._board_gws
        w_max = p["w_max"]
        return {"w_min": p["w_min"] * gws, "w_max": w_max * gws,
                "A_plus": p["A_plus"] * w_max * gws, "A_minus": p["A_minus"] * w_max * gws,
                "A3_plus": p["A3_plus"] * w_max * gws, "A3_minus": p["A3_minus"] * w_max * gws}

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
        if self._board_w:
            return BoardTraces._pending_mode(self)
        return "sum"                  # x += A_plus r1 + A3_plus r1 o2, clipped at 1

    def _sum_composable(self):
        return True

    def _board_increment(self, idx, k_pre, o2):
        r1 = stdp_fixed(k_pre)
        return (mul_accum_fixed(self._bc("A_plus", idx), r1)
                + mul_accum_fixed(self._bc("A3_plus", idx), stdp_mul(r1, stdp_fixed(o2))))

    def _increment(self, idx, k_pre, o2):
        if self._board_w:
            return self._board_increment(idx, k_pre, o2).astype(float)
        return self._p("A_plus", idx) * k_pre + self._p("A3_plus", idx) * self._fmul(k_pre, o2)

    def _apply_sum(self, idx, total):
        if self._board_w:
            self._w_acc[idx] = np.minimum(self._w_acc[idx] + total.astype(np.int64),
                                          self._bc("w_max", idx))
            return
        x, w_min, span = self._normalised(idx)
        self.weight[idx] = w_min + np.clip(x + total, 0.0, 1.0) * span

    def _potentiate(self, idx, k_pre, o2):
        if self._board_w:
            self._w_acc[idx] = np.minimum(self._w_acc[idx] + self._board_increment(idx, k_pre, o2),
                                          self._bc("w_max", idx))
            return None
        x, w_min, span = self._normalised(idx)
        x += self._p("A_plus", idx) * k_pre + self._p("A3_plus", idx) * self._fmul(k_pre, o2)
        np.clip(x, 0.0, 1.0, out=x)
        self.weight[idx] = w = w_min + x * span
        return w

    def _depress(self, idx, k_post):
        now = self._arrived_now
        coincident = (np.isin(idx, now) if now is not None and now.size
                      else np.zeros(idx.size, bool))
        # a post event of this very tick: its own o1 (the earlier ones decayed, plus 1)
        k_post = k_post + coincident
        valid = self._depression_valid(idx, coincident)
        if self._board_w:
            acc = self._w_acc[idx]
            o1 = stdp_fixed(k_post)
            new = acc - mul_accum_fixed(self._bc("A_minus", idx), o1)
            new = new - mul_accum_fixed(self._bc("A3_minus", idx),
                                        stdp_mul(o1, stdp_fixed(self._r2_before)))
            new = np.maximum(new, self._bc("w_min", idx))
            self._w_acc[idx] = np.where(valid, new, acc)
            return None
        x, w_min, span = self._normalised(idx)
        x_new = x - (self._p("A_minus", idx) * k_post
                     + self._p("A3_minus", idx) * self._fmul(k_post, self._r2_before))
        x = np.where(valid, np.clip(x_new, 0.0, 1.0), x)
        self.weight[idx] = w = w_min + x * span
        return w
