"""sPyNNaker 7.4's neuromodulated STDP: dopamine traces, eligibility traces, reward and punishment.

The rule of ``synapse_dynamics_stdp_izhikevich_neuromodulation.c`` (Izhikevich
2007, "Solving the distal reward problem", as Mantas Mikaitis put it on
SpiNNaker), for a Population that receives both an STDP projection
(SpikePairRule, Additive- or MultiplicativeWeightDependence) and
``extra_models.Neuromodulation`` projections on the receptor types
``"reward"`` or ``"punishment"``:

- each postsynaptic neuron keeps one event history (:class:`PostHistory`,
  ``post_events_with_da.h``): at most 16 entries after a placeholder at time
  0, each (time, post trace, dopamine trace, is-dopamine). A post spike adds
  an entry with post trace ``o decay_minus + 1`` and the dopamine trace
  decayed (``decay_d``); a spike of a Neuromodulation synapse adds an entry
  with the post trace decayed (no increment) and the dopamine trace decayed
  plus the synapse's concentration (its weight; negative for punishment). A
  full history drops its oldest entry after the placeholder.
- each plastic synapse has a real weight ``w`` (transmitted) and an eligibility
  trace ``c`` (the STDP "weight", moved by the pair rule's potentiation and
  depression and clipped to the weight dependence's [w_min, w_max], starting
  at 0). When its presynaptic spike at time t is processed, the history's
  entries in (t_last_pre - d, t - d] (d: the synapse's delay, all dendritic)
  are walked in order from ``t_c = t_last_pre`` with ``D`` the dopamine trace of
  the last entry before the window decayed to t_last_pre (0 without one);
  at each entry (time t_j + d):

      w += c D (exp(-(t_j + d - t_c)/tau_c) exp(-(t_j + d - t_c)/tau_d) - 1) k
      c *= exp(-(t_j + d - t_c)/tau_c)
      a post spike entry then potentiates c (pair rule, with the pre trace)
      D = the entry's dopamine trace, t_c = t_j + d

  with ``k = 1 / -(1/tau_c + 1/tau_d)`` (ms), i.e. w gains the integral of c D
  over the interval. Then, if the history has any entry, the same step once
  more up to t, followed by the pair rule's depression of c at t (with the
  post trace of the last entry, skipped if it is at t); w is clipped to the
  Neuromodulation's [w_min, w_max] and transmitted.

As the other rules of this flavour: times are engine stamps for every event
(pre, post, dopamine), and in fixed point (``setup(fixed_point=True)``, the
default) the board's arithmetic: decays from sPyNNaker's look-up tables (tau_c
with a time shift of 4, tau_d of 2, tau_plus/tau_minus of 0), traces and
concentrations in multiples of 2**-11, products of traces ``(a b) >> 11``;
once the front has given the ring-buffer format (``set_board_weights``, as
for :class:`~.plasticity.BoardTraces`), the weight and the eligibility are the
board's 16-bit integers, updated in s16.15 in the C code's order
(:meth:`NeuromodulatedSTDP._on_pre_board`). In float mode, float64 weights. The C code's quirks
are kept: the dopamine trace before the window decays over (t_last_pre -
t_prev), without the delay; sPyNNaker misaligns its dopamine markers when
post events lie beyond a window's end, which cannot happen here (the windows
always end at the newest event or later) — with ``backprop_delay=True`` and
delays over one step it can on the board: a known difference.

The parameters tau_c, tau_d, w_min and w_max are, in sPyNNaker, those of the
target Population's synapse dynamics (one set per post vertex): a neuron of a
neuromodulated Population that no Neuromodulation synapse reaches has them too
(:attr:`NeuromodulationSynapses.modulated`, given by the front): its dopamine
trace stays 0, so its weights only stay within [w_min, w_max] while their
eligibility follows the pair rule. A neuron with no such parameters at all (a
neuromodulated projection onto an Assembly reaching an unmodulated Population)
keeps its weights unchanged.
"""

import weakref

import numpy as np

from ..plasticity import DecayTables, PlasticSynapses
from . import fixed_point
from .plasticity import (BoardTraces, WEIGHT_MASK, mul_accum_fixed, s1615_parameter,
                         stdp_fixed, stdp_mul)
from .settings import traces_in_fixed_point
from .structural import SlotRule, structural_model

STDP_FIXED_POINT_ONE = 2048
#: post_events_with_da.h's MAX_POST_SYNAPTIC_EVENTS (the placeholder included)
MAX_POST_SYNAPTIC_EVENTS = 16
#: time shifts of the tau_c and tau_d look-up tables (synapse_dynamics_neuromodulation.py)
LOOKUP_TAU_C_SHIFT = 4
LOOKUP_TAU_D_SHIFT = 2
#: receptor types of the Neuromodulation synapses (NEUROMODULATION_TARGETS)
TARGETS = {"reward": 1.0, "punishment": -1.0}


def lut_decay(ticks, tau, dt, shift, board):
    """exp(-ticks dt / tau); on the board, the look-up table sPyNNaker writes.

    ``get_exp_lut_array``: entry i = floor(exp(-(i << shift) dt / tau) 2**11),
    looked up at i = ticks >> shift, zero past the table's end (its size is
    ln(2048) tau / (dt 2**shift) rounded up to an even number).
    """
    ticks = np.asarray(ticks, dtype=np.int64)
    step_over_tau = dt / np.asarray(tau, dtype=float)
    if not board:
        return np.exp(-ticks * step_over_tau)
    size = np.log(STDP_FIXED_POINT_ONE) / step_over_tau / (1 << shift)
    size = (np.floor(size / 2) + (np.mod(size, 2) > 0)) * 2
    index = ticks >> shift
    value = np.floor(np.exp(-(index << shift) * step_over_tau) * STDP_FIXED_POINT_ONE)
    return np.where(index < size, value, 0.0) / STDP_FIXED_POINT_ONE


def trace_mul(a, b, board):
    """Product of two traces: exact, or the board's ``(a b) >> 11`` on 11-bit fractions."""
    if not board:
        return a * b
    one = STDP_FIXED_POINT_ONE
    return np.floor(np.rint(np.asarray(a) * one) * np.rint(np.asarray(b) * one) / one) / one


def to_trace(value, board):
    """A value as a 16-bit STDP fixed-point trace (on the board) or as given."""
    if not board:
        return np.asarray(value, dtype=float)
    return np.rint(np.asarray(value, dtype=float) * STDP_FIXED_POINT_ONE) / STDP_FIXED_POINT_ONE


class PostHistory:
    """The post-synaptic event histories of one network's neuromodulated neurons.

    One row per neuron (by global id) that a neuromodulated projection
    targets, with that neuron's parameters: tau_minus (of its STDP rule), and
    tau_c, tau_d, w_min, w_max (of its Neuromodulation).
    """

    def __init__(self, network):
        self.network = network
        self.row_of = {}
        n = 0
        self.times = np.zeros((n, MAX_POST_SYNAPTIC_EVENTS), np.int64)
        self.post = np.zeros((n, MAX_POST_SYNAPTIC_EVENTS))
        self.dopamine = np.zeros((n, MAX_POST_SYNAPTIC_EVENTS))
        self.is_dopamine = np.zeros((n, MAX_POST_SYNAPTIC_EVENTS), bool)
        self.count = np.zeros(n, np.int64)          # entries, the placeholder included
        self.last_post = np.zeros(n, np.int64)      # stamp of the last post spike added
        self.params = {name: np.full(n, np.nan) for name in
                       ("tau_minus", "tau_c", "tau_d", "w_min", "w_max")}

    def rows(self, ids):
        """Row of each global id, new rows made as needed."""
        ids = np.asarray(ids, np.int64)
        new = [i for i in np.unique(ids).tolist() if i not in self.row_of]
        if new:
            start = len(self.row_of)
            for offset, i in enumerate(new):
                self.row_of[i] = start + offset
            grow = len(new)
            self.times = np.concatenate([self.times, np.zeros((grow, MAX_POST_SYNAPTIC_EVENTS),
                                                              np.int64)])
            for name in ("post", "dopamine"):
                setattr(self, name, np.concatenate(
                    [getattr(self, name), np.zeros((grow, MAX_POST_SYNAPTIC_EVENTS))]))
            self.is_dopamine = np.concatenate(
                [self.is_dopamine, np.zeros((grow, MAX_POST_SYNAPTIC_EVENTS), bool)])
            self.count = np.concatenate([self.count, np.ones(grow, np.int64)])
            self.last_post = np.concatenate([self.last_post, np.full(grow, -1, np.int64)])
            for name, values in self.params.items():
                self.params[name] = np.concatenate([values, np.full(grow, np.nan)])
        lookup = self.row_of
        return np.fromiter((lookup[i] for i in ids.tolist()), np.int64, ids.size)

    def set_params(self, rows, **values):
        """Give rows their parameters (where not given yet: the first projection's win)."""
        for name, value in values.items():
            column = self.params[name]
            unset = np.isnan(column[rows])
            column[rows[unset]] = np.broadcast_to(np.asarray(value, float), rows.shape)[unset]

    def reset(self):
        self.times[:] = 0
        self.post[:] = 0.0
        self.dopamine[:] = 0.0
        self.is_dopamine[:] = False
        self.count[:] = 1
        self.last_post[:] = -1

    def _last(self, rows):
        last = self.count[rows] - 1
        return self.times[rows, last], self.post[rows, last], self.dopamine[rows, last]

    def _append(self, rows, stamp, post, dopamine, is_dopamine):
        """Add one entry to each of ``rows`` (distinct)."""
        full = self.count[rows] >= MAX_POST_SYNAPTIC_EVENTS
        if full.any():
            f = rows[full]
            for table in (self.times, self.post, self.dopamine, self.is_dopamine):
                table[f, 1:-1] = table[f, 2:]
            self.count[f] -= 1
        at = self.count[rows]
        self.times[rows, at] = stamp
        self.post[rows, at] = post
        self.dopamine[rows, at] = dopamine
        self.is_dopamine[rows, at] = is_dopamine
        self.count[rows] += 1

    def add_post_spikes(self, rows, stamp, dt, board):
        """Post spikes of ``rows`` at ``stamp`` (a row already given this stamp is skipped)."""
        rows = np.unique(rows)
        rows = rows[self.last_post[rows] != stamp]
        if rows.size == 0:
            return
        self.last_post[rows] = stamp
        t, o, da = self._last(rows)
        p = self.params
        o_new = trace_mul(o, lut_decay(stamp - t, p["tau_minus"][rows], dt, 0, board),
                          board) + 1.0
        # (a row no Neuromodulation parameter reached has no tau_d, and no dopamine:
        # its trace stays 0, not 0 times exp(-NaN))
        tau_d = np.where(np.isnan(p["tau_d"][rows]), 1.0, p["tau_d"][rows])
        da_new = trace_mul(da, lut_decay(stamp - t, tau_d, dt, LOOKUP_TAU_D_SHIFT, board),
                           board)
        self._append(rows, stamp, o_new, da_new, False)

    def add_dopamine(self, rows, stamp, concentrations, dt, board):
        """Neuromodulation spikes: one entry per (row, concentration), in order."""
        rows = np.asarray(rows, np.int64)
        concentrations = np.asarray(concentrations, float)
        while rows.size:
            first, where = np.unique(rows, return_index=True)
            conc = concentrations[where]
            t, o, da = self._last(first)
            p = self.params
            tau_minus = np.where(np.isnan(p["tau_minus"][first]), 1.0, p["tau_minus"][first])
            o_new = trace_mul(o, lut_decay(stamp - t, tau_minus, dt, 0, board), board)
            da_new = trace_mul(da, lut_decay(stamp - t, p["tau_d"][first], dt,
                                             LOOKUP_TAU_D_SHIFT, board), board) + conc
            self._append(first, stamp, o_new, da_new, True)
            rest = np.ones(rows.size, bool)
            rest[where] = False
            rows, concentrations = rows[rest], concentrations[rest]


_HISTORIES = weakref.WeakKeyDictionary()


def history_of(network):
    """The network's :class:`PostHistory` (one, shared by all its neuromodulated projections)."""
    found = _HISTORIES.get(network)
    if found is None:
        found = _HISTORIES[network] = PostHistory(network)
    return found


class NeuromodulationSynapses(PlasticSynapses):
    """``extra_models.Neuromodulation`` synapses: their spikes add dopamine, transmit nothing.

    The weight is the concentration added to the target's dopamine trace (as
    ``rint(|w| 2**11)`` 11-bit fixed point on the board); ``sign`` is +1 for
    the receptor type "reward", -1 for "punishment". tau_c, tau_d, w_min and
    w_max are the target Population's neuromodulation parameters.
    """

    parameter_names = ("tau_c", "tau_d", "w_min", "w_max")
    sign = 1.0
    #: (global ids, {name: value}): the neurons of the Populations this projection
    #: targets and its synapse type's parameters, which they all take, reached by a
    #: synapse or not (sPyNNaker's are one set per Population: the post vertex's
    #: synapse dynamics); None: only the synapses' targets (set by the front)
    modulated = None

    def bind(self, layout, n_slots):
        # no receptor of the target receives these synapses: nothing goes to the ring
        self.compile(self.network.next_id, lambda block: np.zeros(block.post.size, np.int64),
                     layout.row_size, n_slots)

    def start_run(self, dt):
        super().start_run(dt)
        self._board = traces_in_fixed_point(self.network)
        self._history = history_of(self.network)
        self._rows = self._history.rows(self.post)
        self._history.set_params(self._rows, **{n: self.params[n] for n in self.parameter_names})
        if self.modulated is not None:
            # the rest of the Population: the same time constants and bounds, no dopamine
            ids, values = self.modulated
            self._history.set_params(self._history.rows(ids), **values)

    def _on_pre(self, idx, stamp):
        concentration = self.sign * to_trace(np.abs(self.weight[idx]), self._board)
        self._history.add_dopamine(self._rows[idx], stamp, concentration, self.dt, self._board)
        return idx[:0], np.zeros(0)

    def _reset_internal(self):
        history_of(self.network).reset()

    def compiled_deliver(self, kernels):
        """:func:`.kernels.spinnaker_neuromodulation.dopamine_deliver` where its rows'
        tau_minus (1 ms where none) and tau_d have one value each; else None (NumPy)."""
        if type(self) is not NeuromodulationSynapses or "deliver" in vars(self) \
                or not self.size:
            return None
        h, rows = self._history, self._rows
        tau_minus = h.params["tau_minus"][rows]
        tau_minus = _uniform(np.where(np.isnan(tau_minus), 1.0, tau_minus))
        tau_d = _uniform(h.params["tau_d"][rows])
        if tau_minus is None or tau_d is None:
            return None
        decays = _Decays(((tau_minus, 0), (tau_d, LOOKUP_TAU_D_SHIFT)), self.dt, self._board)
        if not decays.ok:
            return None
        kernel, history = kernels.dopamine_deliver, _HistoryViews(h)
        fixed = (self._indptr, self._by_pre, rows, self.weight, float(self.sign))
        scratch = (np.full(self.size, -1, np.int64), np.zeros(1, np.int64))
        board, numpy_deliver = bool(self._board), self.deliver

        def deliver(spiking_ids, k, ring_flat):
            tables = decays.cover(k + 1)
            if tables is None:          # (an interval past the tables' cap: NumPy)
                return numpy_deliver(spiking_ids, k, ring_flat)
            times, post, dop, isd, count, _ = history.views()
            kernel(spiking_ids, k + 1, *fixed, times, post, dop, isd, count, *tables, board,
                   *scratch)
        return deliver


class NeuromodulatedSTDP(PlasticSynapses):
    """SpikePairRule STDP whose weight follows eligibility times dopamine (see the module)."""

    parameter_names = ("tau_plus", "tau_minus", "A_plus", "A_minus", "w_min", "w_max",
                       "mu_plus", "mu_minus")

    def _grow(self, n):
        self.eligibility = np.concatenate([getattr(self, "eligibility", np.zeros(0)),
                                           np.zeros(n)])
        self._k_pre = np.concatenate([getattr(self, "_k_pre", np.zeros(0)), np.zeros(n)])

    def _reset_internal(self):
        self.eligibility[:] = 0.0
        self._k_pre[:] = 0.0
        history_of(self.network).reset()

    def compile(self, n_ids, input_position, row_size, n_slots):
        super().compile(n_ids, input_position, row_size, n_slots)
        self._is_post = np.zeros(n_ids, bool)
        self._is_post[self.post] = True

    # the board's 16-bit weights: the front gives the format as to the other rules
    _board_shift = None
    _board_gws = None
    _board_w = False
    set_board_weights = BoardTraces.set_board_weights

    def start_run(self, dt):
        super().start_run(dt)
        self._board = traces_in_fixed_point(self.network)
        self._history = history_of(self.network)
        self._rows = self._history.rows(self.post)
        self._history.set_params(self._rows, tau_minus=self.params["tau_minus"])
        self._multiplicative = self._scalar.get("mu_plus") == 1.0
        shift = self._board_shift
        mu = np.concatenate([self.params["mu_plus"], self.params["mu_minus"]])
        self._board_w = bool(self._board and shift is not None and shift.size > 0
                             and shift.size == self.weight.size and (shift >= 0).all()
                             and ((mu == 0.0).all() or (mu == 1.0).all()))
        if self._board_w:
            self._w_scale = 2.0 ** (15 - shift) * self._board_gws
            for values in (self.weight, self.eligibility):
                # rint(|w| s) & 0xFFFF as the host writes them (after a run: unchanged)
                counts = np.rint(np.abs(values) * self._w_scale).astype(np.int64) & WEIGHT_MASK
                values[:] = counts / self._w_scale
            p, gws = self.params, self._board_gws
            scaled = 1.0 if self._multiplicative else gws     # (as SpinnakerSTDP's host)
            self._bconst = {"w_min": s1615_parameter(p["w_min"] * gws),
                            "w_max": s1615_parameter(p["w_max"] * gws),
                            "A_plus": s1615_parameter(p["A_plus"] * scaled),
                            "A_minus": s1615_parameter(p["A_minus"] * scaled)}

    def deliver(self, spiking_ids, k, ring_flat):
        posts = spiking_ids[self._is_post[spiking_ids]] if self._is_post.size else spiking_ids[:0]
        if posts.size:
            self._history.add_post_spikes(self._history.rows(posts), k + 1, self.dt, self._board)
        super().deliver(spiking_ids, k, ring_flat)

    # --- the rule -----------------------------------------------------------------------

    def _decay(self, ticks, tau, shift):
        return lut_decay(ticks, tau, self.dt, shift, self._board)

    def _potentiate(self, c, idx, decayed_pre):
        a_plus, w_max = self._p("A_plus", idx), self._p("w_max", idx)
        if self._multiplicative:
            return c + (w_max - c) * a_plus * decayed_pre
        return np.minimum(c + a_plus * decayed_pre, w_max)

    def _depress(self, c, idx, decayed_post):
        a_minus, w_min = self._p("A_minus", idx), self._p("w_min", idx)
        if self._multiplicative:
            return c - (c - w_min) * a_minus * decayed_post
        return np.maximum(c - a_minus * decayed_post, w_min)

    def _dopamine_step(self, w, c, D, span, tau_c, tau_d, constant):
        """Weight gained over ``span`` ticks with eligibility c and dopamine D; c decayed."""
        decay_c = self._decay(span, tau_c, LOOKUP_TAU_C_SHIFT)
        has_d = D != 0
        if has_d.any():
            decay_d = self._decay(span, tau_d, LOOKUP_TAU_D_SHIFT)
            both = trace_mul(decay_c, decay_d, self._board) - 1.0
            w = np.where(has_d, w + c * D * both * constant, w)
        return w, c * decay_c

    def _on_pre(self, idx, stamp):
        if self._board_w:
            return self._on_pre_board(idx, stamp)
        h = self._history
        rows = self._rows[idx]
        board = self._board
        d = self.delay_steps[idx]
        t_last = self._t_last[idx]
        k_pre = self._k_pre[idx]
        tau_c, tau_d = h.params["tau_c"][rows], h.params["tau_d"][rows]
        missing = np.isnan(tau_c)
        if missing.any():    # (no Neuromodulation parameters for this neuron: w stays)
            tau_c = np.where(missing, 1.0, tau_c)
            tau_d = np.where(missing, 1.0, tau_d)
        constant = 1.0 / -(1.0 / tau_c + 1.0 / tau_d)
        tau_plus, tau_minus = self._p("tau_plus", idx), self._p("tau_minus", idx)
        w = self.weight[idx].copy()
        c = self.eligibility[idx].copy()

        times, end, valid, prev, prev_valid, prev_time = _post_window(h, rows, t_last, stamp, d)
        prev_post = h.post[rows, prev]
        D = np.where(prev_valid, trace_mul(
            h.dopamine[rows, prev], self._decay(t_last - prev_time, tau_d, LOOKUP_TAU_D_SHIFT),
            board), 0.0)
        t_c = t_last.copy()
        for e in range(1, MAX_POST_SYNAPTIC_EVENTS):
            active = valid[:, e] & (e > prev) & (times[:, e] <= end)
            if not active.any():
                continue
            t_post = times[:, e] + d
            w_new, c_new = self._dopamine_step(w, c, D, t_post - t_c, tau_c, tau_d, constant)
            spike = active & ~h.is_dopamine[rows, e]
            since_pre = t_post - t_last
            decayed_pre = trace_mul(k_pre, self._decay(np.maximum(since_pre, 0), tau_plus, 0),
                                    board)
            potentiated = self._potentiate(c_new, idx, decayed_pre)
            c_new = np.where(spike & (since_pre > 0), potentiated, c_new)
            w = np.where(active, w_new, w)
            c = np.where(active, c_new, c)
            D = np.where(active, h.dopamine[rows, e], D)
            t_c = np.where(active, t_post, t_c)
            prev_time = np.where(active, times[:, e], prev_time)
            prev_post = np.where(active, h.post[rows, e], prev_post)
            prev_valid |= active
        # the presynaptic spike itself, once any post or dopamine event has been seen
        w_new, c_new = self._dopamine_step(w, c, D, stamp - t_c, tau_c, tau_d, constant)
        since_post = stamp - (prev_time + d)
        decayed_post = trace_mul(prev_post, self._decay(np.maximum(since_post, 0), tau_minus, 0),
                                 board)
        c_new = np.where(since_post > 0, self._depress(c_new, idx, decayed_post), c_new)
        w = np.where(prev_valid, w_new, w)
        c = np.where(prev_valid, c_new, c)
        w = np.clip(w, np.where(missing, -np.inf, h.params["w_min"][rows]),
                    np.where(missing, np.inf, h.params["w_max"][rows]))
        self.weight[idx] = w
        self.eligibility[idx] = c
        # the row's pre trace (timing_add_pre_spike), then its time
        self._k_pre[idx] = trace_mul(k_pre, self._decay(stamp - t_last, tau_plus, 0), board) + 1.0
        self._t_last[idx] = stamp
        return idx, w

    def wrong_side(self):
        return None

    # --- compiled delivery (kernels/spinnaker_neuromodulation.py) ----------------------

    def compiled_deliver(self, kernels):
        """:func:`.kernels.spinnaker_neuromodulation.neuromodulated_deliver`, in fixed point
        with the board's weights or in float, where tau_plus, tau_minus (the rule's and
        its rows'), tau_c and tau_d have one value each and every row has its
        Neuromodulation parameters; else None (NumPy: also fixed-point traces with
        float64 weights, and the structural block's slots, a subclass). Compiled
        stretches do not take this rule: it runs in the step loop."""
        if type(self) is not NeuromodulatedSTDP or "deliver" in vars(self) \
                or not self.size or (self._board and not self._board_w):
            return None
        h, rows = self._history, self._rows
        p = {name: h.params[name][rows] for name in ("tau_minus", "tau_c", "tau_d",
                                                      "w_min", "w_max")}
        if any(np.isnan(values).any() for values in p.values()):
            return None
        tau_plus, tau_minus = self._scalar["tau_plus"], self._scalar["tau_minus"]
        tau_c, tau_d = _uniform(p["tau_c"]), _uniform(p["tau_d"])
        if None in (tau_plus, tau_minus, tau_c, tau_d) or _uniform(p["tau_minus"]) != tau_minus:
            return None
        decays = _Decays(((tau_plus, 0), (tau_minus, 0), (tau_c, LOOKUP_TAU_C_SHIFT),
                          (tau_d, LOOKUP_TAU_D_SHIFT)), self.dt, self._board)
        if not decays.ok:
            return None
        constant = 1.0 / -(1.0 / tau_c + 1.0 / tau_d)
        if self._board_w:
            b, gws = self._bconst, self._board_gws
            bounds = (_shared(self._w_scale), _shared(self._board_shift),
                      _shared(s1615_parameter(p["w_min"] * gws)),
                      _shared(s1615_parameter(p["w_max"] * gws)),
                      *(_shared(np.ascontiguousarray(b[name], np.int64))
                        for name in ("w_min", "w_max", "A_plus", "A_minus")))
            constant = int(s1615_parameter(constant))
        else:
            bounds = (None, None, _shared(p["w_min"]), _shared(p["w_max"]),
                      *(_shared(self.params[name]) for name in ("w_min", "w_max", "A_plus",
                                                                "A_minus")))
        row_of_id = np.full(self._is_post.size, -1, np.int64)
        row_of_id[self.post] = rows
        kernel, history = kernels.neuromodulated_deliver, _HistoryViews(h)
        fixed = (self._indptr, self._by_pre, self._keys)
        synapses = (row_of_id, rows, np.ascontiguousarray(self.delay_steps, np.int64))
        state = (self.weight, self.eligibility, self._k_pre, self._t_last, *bounds,
                 bool(self._multiplicative), constant)
        scratch = (np.full(self.size, -1, np.int64), np.zeros(1, np.int64))
        n_slots, row_size, numpy_deliver = self._n_slots, self._row_size, self.deliver

        def deliver(spiking_ids, k, ring_flat):
            stamp = k + 1
            tables = decays.cover(stamp)
            if tables is None:          # (an interval past the tables' cap: NumPy)
                return numpy_deliver(spiking_ids, k, ring_flat)
            kernel(spiking_ids, stamp, *fixed, (stamp % n_slots) * row_size, ring_flat,
                   *synapses, *history.views(), *state, *tables, *scratch)
        return deliver

    # --- the board's 16-bit weights, in s16.15 ---------------------------------------

    def _ilut(self, ticks, tau, shift):
        """A look-up-table decay as the board's 11-bit integer."""
        return stdp_fixed(lut_decay(np.maximum(ticks, 0), tau, self.dt, shift, True))

    def _potentiate_board(self, c, idx, r):
        b = self._bconst
        if self._multiplicative:
            return c + mul_accum_fixed(fixed_point.mul(b["w_max"][idx] - c, b["A_plus"][idx]), r)
        return np.minimum(c + mul_accum_fixed(b["A_plus"][idx], r), b["w_max"][idx])

    def _depress_board(self, c, idx, o):
        b = self._bconst
        if self._multiplicative:
            return c - mul_accum_fixed(fixed_point.mul(c - b["w_min"][idx], b["A_minus"][idx]), o)
        return np.maximum(c - mul_accum_fixed(b["A_minus"][idx], o), b["w_min"][idx])

    def _on_pre_board(self, idx, stamp):
        """:meth:`_on_pre` as ``synapse_dynamics_stdp_izhikevich_neuromodulation.c`` computes
        it: the weight and the eligibility enter as s16.15 accums (``W << shift``), the
        dopamine step is ``mul_accum_fixed(mul_accum_fixed(c, D), (dc dd >> 11) - 1) *
        constant`` (accum products toward -inf), the pair rule moves the eligibility as
        the weight dependence does, and both leave as ``bits >> shift`` (16 bits)."""
        h = self._history
        rows = self._rows[idx]
        d = self.delay_steps[idx]
        t_last = self._t_last[idx]
        k_pre = stdp_fixed(self._k_pre[idx])
        shift = self._board_shift[idx]
        scale = self._w_scale[idx]
        w = np.rint(self.weight[idx] * scale).astype(np.int64) << shift
        c = np.rint(self.eligibility[idx] * scale).astype(np.int64) << shift
        tau_c, tau_d = h.params["tau_c"][rows], h.params["tau_d"][rows]
        missing = np.isnan(tau_c)
        if missing.any():    # (no Neuromodulation parameters for this neuron: w stays)
            tau_c = np.where(missing, 1.0, tau_c)
            tau_d = np.where(missing, 1.0, tau_d)
        constant = s1615_parameter(1.0 / -(1.0 / tau_c + 1.0 / tau_d))
        tau_plus, tau_minus = self._p("tau_plus", idx), self._p("tau_minus", idx)
        one = STDP_FIXED_POINT_ONE

        def dopamine_step(w, c, D, span):
            dc = self._ilut(span, tau_c, LOOKUP_TAU_C_SHIFT)
            both = stdp_mul(dc, self._ilut(span, tau_d, LOOKUP_TAU_D_SHIFT)) - one
            gain = fixed_point.mul(mul_accum_fixed(mul_accum_fixed(c, D), both), constant)
            return np.where(D != 0, w + gain, w), mul_accum_fixed(c, dc)

        times, end, valid, prev, prev_valid, prev_time = _post_window(h, rows, t_last, stamp, d)
        dopamine, post = stdp_fixed(h.dopamine[rows]), stdp_fixed(h.post[rows])
        n = np.arange(idx.size)
        prev_post = post[n, prev]
        D = np.where(prev_valid, stdp_mul(dopamine[n, prev], self._ilut(
            t_last - prev_time, tau_d, LOOKUP_TAU_D_SHIFT)), 0)
        t_c = t_last.copy()
        for e in range(1, MAX_POST_SYNAPTIC_EVENTS):
            active = valid[:, e] & (e > prev) & (times[:, e] <= end)
            if not active.any():
                continue
            t_post = times[:, e] + d
            w_new, c_new = dopamine_step(w, c, D, t_post - t_c)
            since_pre = t_post - t_last
            r = stdp_mul(k_pre, self._ilut(since_pre, tau_plus, 0))
            spike = active & ~h.is_dopamine[rows, e] & (since_pre > 0)
            c_new = np.where(spike, self._potentiate_board(c_new, idx, r), c_new)
            w = np.where(active, w_new, w)
            c = np.where(active, c_new, c)
            D = np.where(active, dopamine[:, e], D)
            t_c = np.where(active, t_post, t_c)
            prev_time = np.where(active, times[:, e], prev_time)
            prev_post = np.where(active, post[:, e], prev_post)
            prev_valid |= active
        w_new, c_new = dopamine_step(w, c, D, stamp - t_c)
        since_post = stamp - (prev_time + d)
        o = stdp_mul(prev_post, self._ilut(since_post, tau_minus, 0))
        c_new = np.where(since_post > 0, self._depress_board(c_new, idx, o), c_new)
        w = np.where(prev_valid, w_new, w)
        c = np.where(prev_valid, c_new, c)
        gws = self._board_gws[idx]
        w_min = s1615_parameter(np.where(missing, 0.0, h.params["w_min"][rows]) * gws)
        w_max = s1615_parameter(np.where(missing, 0.0, h.params["w_max"][rows]) * gws)
        w = np.where(missing, w, np.minimum(np.maximum(w, w_min), w_max))
        self.weight[idx] = weight = ((w >> shift) & WEIGHT_MASK) / scale
        self.eligibility[idx] = ((c >> shift) & WEIGHT_MASK) / scale
        self._k_pre[idx] = trace_mul(self._k_pre[idx], self._decay(stamp - t_last, tau_plus, 0),
                                     True) + 1.0
        self._t_last[idx] = stamp
        return idx, weight


class NeuromodulatedSlots(SlotRule):
    """Mixin making :class:`NeuromodulatedSTDP`'s synapses the slots of a structural projection.

    sPyNNaker merges a neuromodulation into a ``StructuralMechanismSTDP``'s
    dynamics as into a plain STDP one (the structural block's rule becomes the
    neuromodulated one). A synapse formed by rewiring starts with the
    formation's weight and an eligibility trace of 0
    (``synapse_dynamics_stdp_izhikevich_neuromodulation.c``,
    ``synapse_dynamics_add_neuron``) and takes its row's presynaptic trace.
    Elimination compares the *eligibility* with its threshold, as the C code's
    ``synapse_dynamics_find_neuron`` returns it.
    """

    def structural_find_weight(self, slot):
        # synapse_dynamics_find_neuron gives elimination the eligibility's weight, not the
        # transmitted one (a quirk of the neuromodulated C code, kept)
        return self.eligibility[slot]

    def structural_row_trace(self, k_row, ticks):
        tau_plus = self._p("tau_plus", np.zeros(k_row.size, np.int64))
        return trace_mul(k_row, self._decay(ticks, tau_plus, 0), self._board) + 1.0

    def structural_formed(self, slot, row_t, row_k, delay_changed=False):
        self._t_last[slot] = row_t
        self._k_pre[slot] = row_k
        self.eligibility[slot] = 0.0
        if delay_changed:
            self.structural_delays_changed()


def structural_neuromodulated_model():
    """The block class of a StructuralMechanismSTDP projection onto a neuromodulated
    Population (its slots follow :class:`NeuromodulatedSTDP`)."""
    return structural_model(NeuromodulatedSTDP, NeuromodulatedSlots)


# --- what the compiled deliveries take (kernels/spinnaker_neuromodulation.py) -----------


def _uniform(values):
    """The one value of ``values`` (a float), or None where they differ (or none)."""
    values = np.asarray(values, float)
    if values.size == 0 or not np.all(values == values[0]):
        return None
    return float(values[0])


def _shared(values):
    """Per-synapse values as the kernel takes them: one element where all are the same."""
    values = np.ascontiguousarray(values)
    return values[:1] if values.size and np.all(values == values[0]) else values


class _HistoryViews:
    """The :class:`PostHistory`'s arrays as the kernels write them in place (flat views),
    taken again where the history has grown (new rows: new arrays)."""

    def __init__(self, history):
        self.history = history
        self._of = None

    def views(self):
        h = self.history
        if self._of is not h.times:
            self._of = h.times
            self._views = (h.times.reshape(-1), h.post.reshape(-1), h.dopamine.reshape(-1),
                           h.is_dopamine.reshape(-1), h.count, h.last_post)
        return self._views


#: the longest board look-up table (ticks) the kernels take; a longer one keeps NumPy
LUT_CAP = 1 << 20


class _Decays:
    """The decay tables of a compiled delivery, by interval in ticks: :func:`lut_decay`
    itself for each (tau, shift). On the board, the whole look-up table up to its end
    and one entry past it (0, as every longer interval's); in float, NumPy's ``np.exp``
    (:class:`~..plasticity.DecayTables`), grown to cover intervals up to the step's stamp
    (the longest a history or a synapse can hold) or saturated; ``cover`` gives None
    where that would pass the tables' cap (that step then runs on NumPy)."""

    def __init__(self, taus, dt, board):
        self.board = board
        self.ok = True
        self._covered = -1
        if board:
            self._tables = [self._board_table(tau, dt, shift) for tau, shift in taus]
            self.ok = all(t is not None for t in self._tables)
            self._covered = np.iinfo(np.int64).max
        else:
            self._decays = [DecayTables([lambda steps, rate=dt / tau: -steps * rate],
                                        [dt / tau]) for tau, _ in taus]
            self.ok = all(d.values for d in self._decays)   # (none below a tiny cap)
            self._tables = [d.values[0] for d in self._decays] if self.ok else None

    @staticmethod
    def _board_table(tau, dt, shift):
        size = np.log(STDP_FIXED_POINT_ONE) * tau / dt / (1 << shift)
        if not np.isfinite(size) or size > LUT_CAP:
            return None
        ticks = ((int(np.ceil(size)) + 2) << shift) + 1
        values = lut_decay(np.arange(ticks, dtype=np.int64), tau, dt, shift, True)
        return values if values[-1] == 0.0 else None

    def cover(self, stamp):
        """The tables, covering every interval up to ``stamp`` ticks; None where they cannot."""
        if stamp <= self._covered:
            return self._tables
        for d in self._decays:
            if not d.grow(stamp + 1):
                return None
        self._tables = [d.values[0] for d in self._decays]
        self._covered = min(np.iinfo(np.int64).max if d.saturated else d.values[0].size - 1
                            for d in self._decays)
        return self._tables


def _post_window(history, rows, t_last, stamp, delay):
    """The post events a presynaptic spike at ``stamp`` (last one at ``t_last``) pairs
    with, per synapse: (event times, window end, which history entries are real events,
    the index of the last event at or before the window's start (0: the placeholder),
    whether there is one, its time). The window is (t_last - delay, stamp - delay], the
    whole delay dendritic, as in the float and the board paths alike."""
    times, count = history.times[rows], history.count[rows]
    begin = np.maximum(t_last - delay, 0)
    end = np.maximum(stamp - delay, 0)
    j = np.arange(MAX_POST_SYNAPTIC_EVENTS)
    valid = (j[None, :] >= 1) & (j[None, :] < count[:, None])
    prev = np.sum(valid & (times <= begin[:, None]), axis=1)
    prev_valid = prev > 0
    prev_time = times[np.arange(rows.size), prev]
    return times, end, valid, prev, prev_valid, prev_time
