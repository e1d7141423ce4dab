"""Compiled stretches of steps: whole steps of a network inside one Numba call.

The step loop (:mod:`.network`) costs some microseconds of Python per step and per
model family, which dominates small networks and long runs. When a network is made
only of parts with compiled kernels, :class:`CompiledStretch` runs many steps in one
call of a kernel of :mod:`.kernels.stretch`, with the same operations in the same
order as the step loop (so the same bits). It applies when, for this run:

- the engine is "numba";
- exactly one neuron group has a kernel (``compiled_kernel()``), and every other
  group is an event source whose events the stretch can emit (``compiled_events()``)
  or a Poisson source whose counts it draws (``compiled_poisson()``);
- the synapses are static ones (the network's SynapseStore) and plastic ones whose
  rule has a kernel (``stretch_ready()``: STDP's pair rule with additive,
  multiplicative or additive-potentiation/multiplicative-depression weight
  dependence, Vogels2011Rule, Tsodyks-Markram, SimpleStochastic, MultiQuantal,
  StochasticTsodyksMarkram; the sPyNNaker flavour's STDP rules, with board weights
  or in float mode: SpikePairRule, SpikeNearestPairRule, Vogels2011Rule,
  PfisterSpikeTriplet; see :mod:`.stretch_plastic`), which
  the stretch delivers to after the static ones, in the step loop's order;
- current sources of every kind may inject: a stretch applies their change events
  itself, in the step loop's order (:mod:`.stretch_io`), up to the end of the
  injection's window;
- state variables are sampled only of the neuron group with the kernel, by
  recorders that sample as a plain :class:`~.recorders.SignalRecorder` does within
  a run (:func:`samples_as_plain`; at most ``MAX_SIGNALS``), whose sampling the
  compiled loop does itself.

Under MPI a stretch runs up to the end of each exchange window (the caller passes
it as the end) and hands its spikes to the exchange (:mod:`.stretch_io`), which
delivers them, to the plastic projections too.

Otherwise the step loop runs as before. A stretch ends at the end of the run (or of
the current sources' or the exchange's window), where a
source draws its next window of events (that step runs in Python; Poisson sources
draw their counts inside the loop, step by step: :mod:`.kernels.poisson`), before a
step whose source events outnumber the source cells (several spikes of one cell in a
step: the step loop runs it, see ``_before_crowded_step``), where its neuron
kernel declines a step (a conductance-based model with a possibly stiff neuron: the
step loop runs that step with the NumPy code, adaptive integration included), or
where its record buffers are full (they are emptied into the spike recorders, and
it goes on; a single step whose Poisson counts would not fit even empty buffers
runs in the step loop).
"""

import numpy as np

from . import kernels as kernels_module
from .kernels import delivery as delivery_kernels
from .kernels import poisson as poisson_kernels
from .recorders import LeadingSignalRecorder, SignalRecorder, TickStartSignalRecorder
from .stretch_io import StretchIO
from .stretch_plastic import PlasticArenas

#: spikes the record buffers hold before a stretch hands them to the recorders
RECORD_BUFFER = 1 << 18
#: signal recorders a stretch samples at most: their arrays travel as tuples padded
#: to the next length of :data:`SIGNAL_PADS`, so that the kernels are compiled for a
#: few lengths, not per number of recorders
MAX_SIGNALS = 8
#: the lengths the recorders' tuples are padded to. Each length is one more signature
#: of a stretch (cached), but every padded recorder is three more arrays for Numba to
#: compile the stretch's call with: a network recording one or two variables does not
#: pay for eight (MAX_SIGNALS 8 -> 1 measured ~0.8 s less compilation); none: None
SIGNAL_PADS = (1, 2, 4, MAX_SIGNALS)
#: the record and fired buffers hold this many times the Poisson sources' mean
#: spikes per step beyond every cell once (a step that would not fit runs in Python)
POISSON_MARGIN = 4


def _no():
    """``stretch_ready`` of a delivery that has none: it cannot join a stretch."""
    return False


def samples_as_plain(recorder):
    """Whether a stretch's ``_sample`` samples ``recorder`` within a run as the step
    loop does: SignalRecorder itself; TickStartSignalRecorder (sPyNNaker's v: it
    differs only at a run's start, in start_run, outside stretches);
    LeadingSignalRecorder (sPyNNaker's gsyn: a step later than the grid, the
    stretch's lag of 1; at an interval of one step, after every step)."""
    return type(recorder) in (SignalRecorder, TickStartSignalRecorder, LeadingSignalRecorder)


class CompiledStretch:
    """Runs steps k .. k_end - 1 of one run in compiled code (see the module docstring)."""

    @classmethod
    def for_run(cls, kernels, groups, deliveries, store, ring, signal_recorders=(), threads=1,
                io=None):
        """A CompiledStretch for this run, or None where the network does not qualify;
        ``io``: the run's currents and exchange (a :class:`.stretch_io.StretchIO`)."""
        if kernels is None:
            return None
        plastic = [d for d in deliveries if d is not store]
        if not all(getattr(d, "stretch_ready", _no)() for d in plastic):
            return None
        if len(signal_recorders) > MAX_SIGNALS:
            return None
        neuron, sources, drawn = None, [], []
        for g in groups:
            if "step" in vars(g):       # replaced on the instance: it must run (see network)
                return None
            kernel = g.compiled_kernel()
            if kernel is not None and neuron is None:
                neuron = (g, kernel)
            elif g.compiled_events() is not None:
                sources.append(g)
            elif getattr(g, "compiled_poisson", None) is not None:
                drawn.append(g)     # a PoissonSource: the stretch draws its counts
            else:
                return None
        if neuron is None:
            return None
        for rec in signal_recorders:
            if not samples_as_plain(rec) or rec.group is not neuron[0]:
                return None
            array = rec.compiled_view()[0]
            if array.dtype != np.float64 or not array.flags.c_contiguous:
                return None
        if io is not None and io.exchange is not None:
            plastic = []    # under MPI the exchange delivers every spike (in Python)
        return cls(kernels, groups, neuron, sources, store if store in deliveries else None,
                   ring, signal_recorders, threads, io, drawn, plastic)

    def __init__(self, kernels, groups, neuron, sources, store, ring, signal_recorders=(),
                 threads=1, io=None, drawn=(), plastic=()):
        self._io = StretchIO() if io is None else io
        # the plastic projections, in the delivery list's order (after the store)
        self._plastic = list(plastic)
        self._arenas = PlasticArenas(plastic) if plastic else None
        group, (name, args) = neuron
        # the neuron kernel's chunks (threads; kernels.chunks), and the delivery's
        self._args = (*args, kernels_module.chunks(group.size, threads))
        self._threads = threads
        self._kernel = getattr(kernels, "stretch_" + name)
        self._group = group
        self._shape = (group.input_offset, len(group.receptors), group.size)
        self._sources = sources
        self._groups = groups
        # each group's code: -1 the neuron group, i >= 0 event source i, -2 - i Poisson source i
        self._order = np.array([-1 if g is group else sources.index(g) if g in sources
                                else -2 - drawn.index(g) for g in groups], np.int64)
        self._drawn = list(drawn)
        sizes = np.array([g.size for g in groups], np.int64)
        self._ids_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self._ids = np.concatenate([g.ids for g in groups]).astype(np.int64)
        self._rec_mask = np.concatenate(
            [g.spike_recorder.mask[:g.size] if g.spike_recorder is not None
             else np.zeros(g.size, bool) for g in groups])
        total = int(self._ids_ptr[-1])
        # (a step records at most every cell once plus the Poisson counts: see _room)
        capacity = max(RECORD_BUFFER, 4 * total + POISSON_MARGIN * int(sum(
            float(np.sum(g.compiled_poisson()[3] * g.compiled_poisson()[5])) for g in drawn)))
        self._rec = (np.empty(capacity, np.int64), np.empty(capacity, np.int64),
                     np.empty(capacity, np.int64))
        self._ring = ring
        if store is not None and store.size:
            self._synapses = (*store.kernel_arrays(), True)
        else:
            # no static synapse: an index of empty rows for every id (the spikes are
            # collected for the plastic projections where there are any)
            empty_keys = np.zeros(0, np.int32)
            self._synapses = (np.zeros(int(self._ids.max(initial=0)) + 2, np.int64),
                              empty_keys, np.zeros(0), 0.0, np.zeros(0), bool(self._plastic))
        self._fired = np.empty(capacity, np.int64)
        self._signals = list(signal_recorders)
        views = [rec.compiled_view() for rec in self._signals]
        self._n_pad = min(n for n in SIGNAL_PADS if n >= len(views))
        padding = self._n_pad - len(views)
        self._sig = (
            tuple([v[0] for v in views] + [np.zeros(0)] * padding),
            tuple([np.ascontiguousarray(v[1], np.int64) for v in views]
                  + [np.zeros(0, np.int64)] * padding),
            tuple([v[2] for v in views] + [np.zeros((0, 0))] * padding),
            # (intervals; lags: a LeadingSignalRecorder samples a step after the grid)
            np.array([[rec.interval for rec in self._signals] + [1] * padding,
                      [int(isinstance(rec, LeadingSignalRecorder)) for rec in self._signals]
                      + [0] * padding], np.int64))

    def run(self, k, k_end):
        """Run steps k .. k_end - 1 or up to the first one a source must draw; return
        the step reached."""
        events = [s.compiled_events() for s in self._sources]
        until = min([e[3] for e in events], default=k_end)
        k_stop = self._io.stop(min(k_end, until))
        if k_stop <= k:
            return k
        lengths = np.array([e[0].size for e in events], np.int64)
        ev_start = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        ev_end = ev_start + lengths
        ev_steps = (np.concatenate([e[0] for e in events]) if events
                    else np.zeros(0, np.int64)).astype(np.int64)
        ev_neurons = (np.concatenate([e[1] for e in events]) if events
                      else np.zeros(0, np.int64)).astype(np.int64)
        cursor = ev_start + np.array([e[2] for e in events], np.int64)
        k_stop = self._before_crowded_step(ev_steps, k, k_stop)
        if k_stop <= k:
            return k
        plastic = None
        if self._arenas is not None:
            plastic, k_stop = self._arenas.take(k_stop, self._fired.size)
            if k_stop <= k:
                self._arenas.give_back()
                return k
        ring = self._ring
        n_slots, row_size = ring.shape
        indptr, keys, weights, limit, scratch, has_synapses = self._synapses
        counter = np.zeros(1, np.int64)
        halt = np.zeros(1, np.int64)
        # the recorders' next rows (the step loop may have sampled since the last stretch)
        rows = np.zeros(self._n_pad, np.int64)
        for r, rec in enumerate(self._signals):
            rows[r] = rec.compiled_view()[3]
        # (the optional parts are None where the network lacks them: their code is then
        # not compiled into the stretch, see kernels/stretch.py)
        signals = (*self._sig, rows, len(self._signals)) if self._signals else None
        net = (ring, ring.reshape(-1), n_slots, row_size, self._order, self._ids,
               self._ids_ptr, self._rec_mask, ev_steps, ev_neurons, ev_end, cursor,
               indptr, keys, weights, limit, scratch, has_synapses, self._fired,
               *self._rec, counter, signals,
               *self._io.arrays(k_stop, self._rec[0].size), halt,
               self._threads, delivery_kernels.PARALLEL_MIN_EVENTS, self._poisson(), plastic)
        try:
            while k < k_stop:
                k = self._kernel(k, k_stop, net, *self._shape, self._args)
                self._flush(int(counter[0]))
                counter[0] = 0
                self._io.hand_over()
                if halt[0]:
                    break       # the neuron kernel declined step k: the step loop runs it
                if k < k_stop and plastic is not None and self._arenas.full():
                    # a queue of post events was full: the same queue, larger, and on
                    self._arenas.give_back()
                    plastic, _ = self._arenas.take(k_stop, self._fired.size)
                    net = net[:-1] + (plastic,)
        finally:
            if self._arenas is not None:
                self._arenas.give_back()
        self._io.finish()
        for r, rec in enumerate(self._signals):
            rec.set_row(rows[r])
        for source, start, c in zip(self._sources, ev_start, cursor):
            source.set_cursor(c - start)
        return k

    def _before_crowded_step(self, ev_steps, k, k_stop):
        """``k_stop``, or the first step before it whose events outnumber the sources'
        cells. A source may emit several events for one cell in a step (sPyNNaker's
        Poisson sources above one spike per tick); the stretch's buffers hold one spike
        per cell and step, so such a step runs in the step loop."""
        steps = ev_steps[(ev_steps >= k) & (ev_steps < k_stop)]
        if steps.size:
            n_source_cells = sum(s.size for s in self._sources)
            crowded = np.flatnonzero(np.bincount(steps - k) > n_source_cells)
            if crowded.size:
                return k + int(crowded[0])
        return k_stop

    def _poisson(self):
        """The Poisson sources' draws, concatenated (kernels/stretch.py's ``_draw``):
        (cells pointer, cell hashes, from, to, mean, exp(-mean), pieces, counts, scratch,
        the inversion's table);
        None where there is no Poisson source (the draw is then not compiled)."""
        parts = [g.compiled_poisson() for g in self._drawn]
        if not parts:
            return None
        sizes = [g.size for g in self._drawn]
        ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        tables = [np.concatenate([p[i] for p in parts], axis=-1) for i in range(6)]
        scratch = [np.zeros(int(ptr[-1]), np.int64) for _ in range(2)]
        return (ptr, *tables, *scratch, np.zeros(poisson_kernels.TABLE))

    def _flush(self, n):
        """Hand the spikes in the record buffers to each group's recorder."""
        if n == 0:
            return
        stamps, positions, local = (a[:n] for a in self._rec)
        for position, g in enumerate(self._groups):
            if g.spike_recorder is not None:
                mine = positions == position
                g.spike_recorder.record_chunk(stamps[mine], local[mine])
