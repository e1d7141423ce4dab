"""The clock, the registry of neuron groups and synapses, and the step loop.

One step, from t = k dt to t + dt (NEST's order):

0. injected currents that change at step k are updated (see :mod:`.currents`;
   skipped when no current source exists);
1. every neuron group advances its state by dt (:meth:`NeuronGroup.step`):
   subthreshold dynamics with the synaptic state at t, then synaptic decay,
   then the input due at t + dt is taken from the ring buffer into the
   synaptic state, then threshold, reset and refractoriness; spikes are stamped
   t + dt (grid-based spike times);
2. the ring-buffer slot just read is cleared for reuse;
3. the spikes are delivered through one list of synapse deliveries
   (:class:`~.synapses.Delivery`), in order: first the network's
   :class:`~.synapses.SynapseStore` (every static synapse: each weight goes into the
   ring-buffer slot ``delay`` steps ahead of the spike stamp), then each plastic
   projection (:mod:`.plasticity`), which applies its rule (post events that have
   reached its synapses first, then the presynaptic spikes) and delivers what those
   spikes transmit the same way;
4. recorders sample the state at t + dt and keep the spikes (stamped t + dt; a
   SpikeArraySource's at their exact requested times when ``exact_source_times``
   is set, see :mod:`.sources`).

The Python loop runs over steps and over model families, never over neurons,
synapses or Populations. With the compiled engine (:mod:`.kernels`), a group or
delivery with a kernel runs it in place of its NumPy code, and a network made only
of such parts runs whole stretches of steps in one compiled call (:mod:`.stretch`);
results are the same bits either way.

Under MPI (:mod:`.exchange`) a rank holds only the neurons it owns (sources: all)
and the synapses onto them; the spikes of step 3 are then not delivered at once but
collected and delivered in the same order, for every rank's cells, at the end
of each window of the shortest delay (one hook: ``exchange.collect`` in the
step, ``exchange.flush`` at the window's end); a compiled stretch then runs up
to the window's end and hands its spikes to the exchange instead of delivering
(where windows are long enough to repay a stretch's call, see
:data:`.stretch_io.MIN_EXCHANGE_WINDOW`).
"""

import numpy as np

from . import kernels as compiled_kernels
from .ring import RingLayout
from .exchange import block_range, min_delay_of, splits
from .stretch import CompiledStretch
from .stretch_io import MIN_EXCHANGE_WINDOW, StretchIO
from .synapses import SynapseStore
from .recorders import (LeadingSignalRecorder, SignalRecorder, SpikeRecorder,
                        TickStartSignalRecorder, check_recordings_fit)
from .currents import CurrentInjection
from .interrupts import deferred_keyboard_interrupt


class Network:
    """A whole simulation: groups of neurons, synapse blocks, clock, RNG streams."""

    FIRST_ID = 1  # global neuron ids start at 1, as NEST's node ids do

    def __init__(self, dt=0.1, seed=None, engine=None, threads=None):
        self.dt = float(dt)
        # threads of the compiled kernels (None: Numba's count, see kernels.threads);
        # results are the same bits whatever the count
        if threads is not None and (isinstance(threads, bool) or int(threads) != threads
                                    or threads < 1):
            raise ValueError(f"threads must be a positive integer, not {threads!r}")
        self.threads = None if threads is None else int(threads)
        # "numba": compiled kernels where a model has them (the NumPy code elsewhere);
        # "numpy": the reference code only; "auto" (None): "numba" once the runs are long
        # enough to repay loading Numba (results are the same bits either way)
        engine = "auto" if engine is None else engine
        if engine not in compiled_kernels.ENGINES:
            raise ValueError(f"engine must be one of {compiled_kernels.ENGINES}, not {engine!r}")
        if engine != "numpy" and not compiled_kernels.numba_installed():
            compiled_kernels.warn_missing()
            engine = "numpy"
        self.engine = engine
        self._steps_without_kernels = 0  # neuron-weighted steps "auto" ran in NumPy
        self.step_count = 0             # steps done since the last reset
        self.groups = {}                # model class -> group
        self.static = SynapseStore(self.layout)  # every static synapse
        # what the step loop delivers through: the store, then each plastic projection
        self.deliveries = [self.static]
        self.next_id = self.FIRST_ID
        self.seed = int(np.random.SeedSequence(seed).entropy) if seed is None else int(seed)
        self._n_streams = 0
        self._reset_count = 0
        self._compiled = False          # deliveries merged and bound to the present ring
        self._ring = None
        self._layout = None             # (offsets, sizes, n_slots) of the present ring buffer
        self._current_layout = None     # cache of layout()
        self.currents = CurrentInjection(self)  # current sources (DC, AC, ...)
        # record a SpikeArraySource's spikes at their exact requested times rather than
        # at their (grid) emission times; delivery is on the grid either way
        self.exact_source_times = False
        # (step, exception) when a run stopped inside a step (see run()); None otherwise
        self.broken = None
        # the sPyNNaker flavour's settings (engine.spinnaker.settings.FlavourSettings, or
        # the flavour front's subclass of it); None: a network the flavour did not set up
        self.spinnaker = None
        # MPI (engine.exchange.SpikeExchange): None in one process. ``owned``: per global
        # id, whether this rank owns the cell (receives its synapses, its spikes are true)
        self.exchange = None
        self.owned = None

    def distribute(self, exchange):
        """Split this (still empty) network over the ranks of ``exchange`` (see .exchange)."""
        if self.next_id != self.FIRST_ID:
            raise RuntimeError("a network is distributed before any neuron is created")
        self.exchange = exchange
        self.owned = np.zeros(self.FIRST_ID, bool)

    # --- building -------------------------------------------------------------

    def add_neurons(self, model_class, n, parameters, initial_values):
        """Create ``n`` neurons of ``model_class``; return (group, slice in group, ids).

        Under MPI the group gets only the cells ``held_range`` names (the slice is
        theirs); ``ids`` are those of all ``n``.
        """
        group = self.groups.get(model_class)
        if group is None:
            group = self.groups[model_class] = model_class(self)
        ids = all_ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        if self.exchange is not None:
            first, stop = block_range(n, self.exchange.rank, self.exchange.size)
            owned = np.zeros(n, bool)
            owned[first:stop] = True
            self.owned = np.concatenate([self.owned, owned])
            held = self.held_range(model_class, n)
            if held != (0, n):      # this rank's cells only (see .exchange)
                ids = ids[first:stop]
                parameters = _rows(parameters, n, first, stop)
                initial_values = _rows(initial_values, n, first, stop)
        index = group.add_neurons(ids, parameters, initial_values)
        self._compiled = False
        self._current_layout = None
        return group, index, all_ids

    def held_range(self, model_class, n):
        """(first, stop): the cells of a new Population of ``n`` this rank's group holds."""
        if self.exchange is None or not splits(model_class):
            return 0, n
        return block_range(n, self.exchange.rank, self.exchange.size)

    def layout(self):
        """The ring-buffer layout of the neurons that exist now (see :mod:`.ring`)."""
        if self._current_layout is None:
            self._current_layout = RingLayout(self.groups.values(), self.next_id)
        return self._current_layout

    @property
    def blocks(self):
        """The StaticSynapseBlock of every static projection."""
        return self.static.blocks

    @property
    def plastic(self):
        """The PlasticSynapses of every plastic projection, in creation order."""
        return self.deliveries[1:]

    def new_synapse_block(self, receptor, model_class=None):
        """The synapses of one projection (:class:`~.synapses.ProjectionSynapses`).

        ``model_class``: None for static synapses (a block of the network's
        SynapseStore), else a :class:`~.plasticity.PlasticSynapses` subclass, whose
        object is the block and joins the delivery list itself.
        """
        if model_class is None:
            block = self.static.new_block(receptor)
        else:
            block = model_class(receptor, self)
            self.deliveries.append(block)
        self._compiled = False
        return block

    def shortest_delay_steps(self):
        """The shortest delay (steps) of any synapse, static or plastic, or None if none.

        Under MPI, of every rank's synapses: a collective (as NEST's min_delay, which
        GetKernelStatus agrees over the ranks), so every rank must ask.
        """
        local = [d for d in map(min_delay_of, self.deliveries) if d is not None]
        shortest = min(local) if local else None
        if self.exchange is not None:
            shortest = self.exchange.min_over_ranks(shortest)
        return shortest

    def synapses_changed(self):
        """Tell the network that weights, delays or connections changed."""
        self._compiled = False

    def new_stream_id(self):
        """A serial number for one independent random stream (e.g. one source group)."""
        self._n_streams += 1
        return self._n_streams

    def rng_for(self, *key):
        """A numpy Generator determined by the network seed, the reset count and ``key``."""
        return np.random.default_rng([self.seed, self._reset_count, *key])

    # --- recording ------------------------------------------------------------

    def record_signal(self, group, variable, local_indices, interval_steps):
        """Sample ``variable`` of the given neurons every ``interval_steps`` steps.

        A group holds cells of several Populations, which may record at different
        intervals: the recorder of the first interval is ``group.recorders[variable]``,
        that of another is ``group.recorders[(variable, interval_steps)]``
        (see :func:`signal_recorder`).
        """
        recorder = signal_recorder(group, variable, interval_steps)
        if recorder is None:
            key = variable if variable not in group.recorders else (variable, interval_steps)
            # (a group may sample a variable a step late: see LeadingSignalRecorder)
            if variable in group.leading_variables:
                cls = LeadingSignalRecorder
            elif group.records_at_tick_start:
                cls = TickStartSignalRecorder
            else:
                cls = SignalRecorder
            recorder = group.recorders[key] = cls(group, variable, interval_steps)
        recorder.add_indices(local_indices)
        return recorder

    def record_spikes(self, group, local_indices):
        if group.spike_recorder is None:
            group.spike_recorder = SpikeRecorder(group)
        group.spike_recorder.add_indices(local_indices)

    # --- compiling ------------------------------------------------------------

    def _compile(self, n_slots_needed):
        """Lay out the ring buffer and put synapses into delivery order."""
        groups = list(self.groups.values())
        layout = self.layout()
        for delivery in self.deliveries:
            delivery.merge(layout)
        max_delay = max(delivery.max_delay_steps for delivery in self.deliveries)
        if self.exchange is not None:       # the same ring depth as in one process
            max_delay = self.exchange.max_over_ranks(max_delay)
        n_slots = max(max_delay + 1, n_slots_needed, 2)
        self._rebuild_ring(groups, layout, n_slots)
        for delivery in self.deliveries:
            delivery.bind(layout, n_slots)
        self._compiled = True

    def _rebuild_ring(self, groups, layout, n_slots):
        """New ring buffer for a new layout, keeping input already in flight."""
        row_size = layout.row_size
        for g, offset in zip(layout.groups, layout.offset):
            g.input_offset = int(offset)
        ring = np.zeros((n_slots, row_size))
        old = self._ring
        if old is not None and self._layout is not None and old.any():
            old_offsets, old_sizes, old_slots = self._layout
            k = self.step_count
            for g in groups:
                if g not in old_offsets:
                    continue
                n_old = old_sizes[g]
                R = len(g.receptors)
                for j in range(old_slots):
                    src = old[(k + j) % old_slots, old_offsets[g]:old_offsets[g] + R * n_old]
                    dst = ring[(k + j) % n_slots, g.input_offset:g.input_offset + R * g.size]
                    dst.reshape(R, g.size)[:, :n_old] = src.reshape(R, n_old)
        self._ring = ring
        self._layout = ({g: g.input_offset for g in groups}, {g: g.size for g in groups}, n_slots)
        self._input_views = {
            g: ring[:, g.input_offset:g.input_offset + len(g.receptors) * g.size]
            .reshape(n_slots, len(g.receptors), g.size)
            for g in groups}

    # --- running --------------------------------------------------------------

    def run(self, n_steps, max_delay_steps=1):
        """Advance the simulation by ``n_steps`` time steps."""
        if self.broken is not None:
            step, error = self.broken
            raise RuntimeError(
                f"the previous run stopped inside time step {step} ({type(error).__name__}: "
                f"{error}); the network is not at a step boundary and cannot continue: "
                "call reset() (recorded data up to that step is kept until then)")
        if n_steps <= 0:
            return
        exchange = self.exchange
        if exchange is not None and exchange.any_rank(not self._compiled):
            # a rank that made no connection since the last run has nothing to
            # recompile, but the compile agrees on the ring depth with all: all do it
            self._compiled = False
        # the engine first: the store's merge (in _compile) uses the kernels where they run
        kernels = self.kernels_for_run(n_steps)
        self.static.kernels = kernels
        if not self._compiled:
            self._compile(max_delay_steps + 1)
        dt = self.dt
        k0 = self.step_count
        groups = list(self.groups.values())
        # every recording buffer of the run must fit, together, before any is allocated
        check_recordings_fit([rec for g in groups for rec in g.recorders.values()], n_steps)
        for g in groups:
            g.prepare(dt)
            g.start_run(k0, n_steps, dt)
            if g.spike_recorder is not None:
                g.spike_recorder.add_indices(np.zeros(0, np.int64))  # follow group growth
            for rec in g.recorders.values():
                rec.start_run(k0, n_steps)
        signal_recorders = [rec for g in groups for rec in g.recorders.values()]
        ring = self._ring
        ring_flat = ring.reshape(-1)
        n_slots = ring.shape[0]
        for delivery in self.deliveries:
            delivery.start_run(dt)
        # an empty delivery has nothing to do (the store before any static projection)
        deliveries = [d for d in self.deliveries if d.size]
        has_synapses = bool(deliveries)
        if exchange is not None:    # every rank delivers every spike (its own synapses)
            exchange.prepare(self, self.deliveries, [bool(g.receptors) for g in groups])

        currents = self.currents.start_run(k0, n_steps, dt)  # None: no current sources
        n_threads = 1 if kernels is None else compiled_kernels.threads(self.threads)
        # on several threads: the kernels' threaded variants (compiled only where used)
        kernels = compiled_kernels.for_threads(kernels, n_threads)
        # whole stretches of steps in compiled code where the network allows it (they
        # apply the current sources' changes, and under MPI hand spikes to the exchange)
        stretch = None
        if kernels is not None and (exchange is None or exchange.window is None
                                    or exchange.window >= MIN_EXCHANGE_WINDOW):
            stretch = CompiledStretch.for_run(kernels, groups, deliveries, self.static, ring,
                                              signal_recorders, n_threads,
                                              StretchIO(currents, exchange, self.owned))
        # else each group's step and each delivery: compiled where a kernel exists
        spiking = [(g, _compiled_step(g, kernels, n_threads) or g.step, g.ids,
                    g.spike_recorder, self._input_views[g]) for g in groups]
        deliveries = [(kernels is not None and d.compiled_deliver(kernels)) or d.deliver
                      for d in deliveries]

        # Interrupt safety (issue 14): Ctrl-C is noted and acted on after a whole step
        # or a whole compiled stretch (see .interrupts), and whatever stops the loop, the
        # clock, the recordings and the synapse blocks are closed at the last whole step
        # (the finally clause), so that data up to it is kept and a following run()
        # continues as if unbroken.
        repeats = any(g.repeats_spikes for g in groups)
        k, k_end = k0, k0 + n_steps
        done = k0           # steps completed; k_end when the loop runs out
        at_boundary = False     # True while a Ctrl-C is handed over between two steps
        if exchange is not None:
            self._run_distributed(k0, k_end, spiking, deliveries, currents, signal_recorders,
                                  ring, n_slots, stretch)
            return
        with deferred_keyboard_interrupt() as interrupt:
            try:
                while k < k_end:
                    if currents is not None and k >= currents.next_step:
                        currents.advance(k)
                    if stretch is not None:
                        k = done = stretch.run(k, k_end)
                        if interrupt.requested:     # Ctrl-C: handed over at this boundary
                            at_boundary = True
                            interrupt.deliver()     # raises, or returns: then go on
                            at_boundary = False
                        if k >= k_end:
                            break
                        if currents is not None and k >= currents.next_step:
                            continue    # the currents' next window: evaluate it, go on
                    slot = (k + 1) % n_slots
                    fired = []
                    for g, step, ids, spike_rec, inputs in spiking:
                        spiked = step(k, inputs[slot])
                        if spiked.size:
                            if spike_rec is not None:
                                spike_rec.record(k + 1, spiked, g.emitted_times)
                            if has_synapses:
                                fired.append(ids[spiked])
                    ring[slot] = 0.0
                    if fired:
                        fired_ids = fired[0] if len(fired) == 1 else np.concatenate(fired)
                        if repeats:
                            # a cell's second spike of the step reaches the synapses
                            # after its first (a plastic rule sees them in turn)
                            for layer in spike_layers(fired_ids):
                                for deliver in deliveries:
                                    deliver(layer, k, ring_flat)
                        else:
                            for deliver in deliveries:
                                deliver(fired_ids, k, ring_flat)
                    for rec in signal_recorders:
                        rec.sample(k + 1)
                    k = done = k + 1
                    if interrupt.requested:     # Ctrl-C: handed over at this step boundary
                        at_boundary = True      # (Python's handler raises KeyboardInterrupt;
                        interrupt.deliver()     # another handler may return: then go on)
                        at_boundary = False
            except BaseException as error:
                if not at_boundary:
                    # raised inside step `done`: part of the state has advanced, part
                    # not. Keep the data of the whole steps, and refuse to continue.
                    self._drop_data_after(done, groups)
                    self.broken = (done, error)
                raise
            finally:
                self.step_count = done
                if currents is not None:
                    currents.end_run(done)
                for delivery in self.deliveries:
                    delivery.end_run(done)
            interrupt.deliver()

    def _run_distributed(self, k, k_end, spiking, deliveries, currents, signal_recorders,
                         ring, n_slots, stretch=None):
        """The step loop under MPI: spikes collected, delivered at each window's end;
        a compiled ``stretch`` runs the steps of a window where it can (it collects its
        spikes itself, :mod:`.stretch_io`), the steps it leaves run here.

        (Ctrl-C is left to mpiexec: one rank stopping alone would leave the others
        waiting in the next exchange.)
        """
        exchange, owned = self.exchange, self.owned
        ring_flat = ring.reshape(-1)
        spiking = list(enumerate(spiking))
        try:
            while k < k_end:
                window_end = exchange.open(k, k_end)
                while k < window_end:
                    if currents is not None and k >= currents.next_step:
                        currents.advance(k)
                    if stretch is not None:
                        k = stretch.run(k, window_end)
                        if k >= window_end:
                            break
                        if currents is not None and k >= currents.next_step:
                            continue    # the currents' next window: evaluate it, go on
                    slot = (k + 1) % n_slots
                    for position, (g, step, ids, spike_rec, inputs) in spiking:
                        spiked = step(k, inputs[slot])
                        if spiked.size:
                            if spike_rec is not None:
                                spike_rec.record(k + 1, spiked, g.emitted_times)
                            exchange.collect(k, position, ids[spiked], owned)
                    ring[slot] = 0.0
                    for rec in signal_recorders:
                        rec.sample(k + 1)
                    k += 1
                exchange.flush(deliveries, ring_flat)
        except BaseException as error:
            # as in run(): keep the data of the whole steps, refuse to continue
            self._drop_data_after(k, [g for _, (g, *_) in spiking])
            self.broken = (k, error)
            raise
        finally:
            self.step_count = k
            if currents is not None:
                currents.end_run(k)
            for delivery in self.deliveries:
                delivery.end_run(k)

    def _drop_data_after(self, step, groups):
        """Forget what recorders took after ``step`` (a step stopped half-way)."""
        for g in groups:
            if g.spike_recorder is not None:
                g.spike_recorder.truncate(step)
            for rec in g.recorders.values():
                rec.truncate(step)

    def kernels_for_run(self, n_steps):
        """The compiled kernels for a run of ``n_steps`` steps, or None (NumPy engine).

        "auto" loads them once this network's runs (this one included) would have
        saved more time with them than loading Numba costs (kernels.worth_loading).
        """
        if self.engine == "numpy":
            return None
        kernels = compiled_kernels.loaded()
        if kernels is None and self.engine == "auto":
            n_neurons = self.next_id - self.FIRST_ID
            self._steps_without_kernels += n_steps
            extra = sum(getattr(g, "numpy_step_cost_s", 0.0) for g in self.groups.values())
            if not compiled_kernels.worth_loading(self._steps_without_kernels, n_neurons,
                                                  extra, self.static.queued_count()):
                return None
        if kernels is None:
            kernels = compiled_kernels.load()
            if kernels is None:         # Numba found but not importable (warned once)
                self.engine = "numpy"
        return kernels

    @property
    def t(self):
        return self.step_count * self.dt

    def reset(self):
        """Back to t = 0: state variables to initial values, no input in flight, no data."""
        self.step_count = 0
        self.broken = None
        self._reset_count += 1
        self.currents.reset()
        if self.exchange is not None:
            self.exchange.reset()
        if self._ring is not None:
            self._ring[:] = 0.0
        for delivery in self.deliveries:
            delivery.reset()
        for g in self.groups.values():
            g.reset()
            for rec in g.recorders.values():
                rec.clear()
            if g.spike_recorder is not None:
                g.spike_recorder.clear()


def _compiled_step(group, kernels, n_threads=1):
    """The group's step as a call of its compiled kernel (on ``n_threads`` threads where
    the group is large enough, see kernels.chunks), or None.

    A step replaced on the instance (a test's hook, a user's wrapper) is what must
    run, so such a group keeps it.
    """
    if kernels is None or "step" in vars(group):
        return None
    kernel = group.compiled_kernel()
    if kernel is None:
        return None
    function = getattr(kernels, kernel[0])
    args = (*kernel[1], compiled_kernels.chunks(group.size, n_threads))

    def step(k, inputs):
        spiked = function(k, inputs, *args)
        if spiked.size == 1 and spiked[0] < 0:
            # the kernel declined this step (kernels.neurons.DECLINED: a conductance
            # model's possibly stiff neuron): the NumPy step, adaptive integration included
            return group.step(k, inputs)
        return spiked
    return step


def _rows(values, n, first, stop):
    """Per-cell values (arrays or lists of length ``n``) cut to cells first..stop-1."""
    out = {}
    for name, value in values.items():
        if isinstance(value, list) and len(value) == n:
            out[name] = value[first:stop]
        elif np.ndim(value) and np.shape(value)[0] == n:
            out[name] = np.asarray(value)[first:stop]
        else:
            out[name] = value           # one value for every cell
    return out


def signal_recorder(group, variable, interval_steps):
    """The SignalRecorder of ``group`` sampling ``variable`` every ``interval_steps``, or None."""
    recorder = group.recorders.get(variable)
    if recorder is None or recorder.interval == interval_steps:
        return recorder
    return group.recorders.get((variable, interval_steps))


def spike_layers(ids):
    """``ids`` split into parts in which no id repeats: each id's first occurrence (in
    the order given), then each id's second, and so on (a step's spikes of cells that
    fired more than once in it, see ``NeuronGroup.repeats_spikes``)."""
    order = np.argsort(ids, kind="stable")
    ranked = ids[order]
    first = np.ones(ids.size, bool)
    first[1:] = ranked[1:] != ranked[:-1]
    positions = np.arange(ids.size)
    rank = np.empty(ids.size, np.int64)
    rank[order] = positions - np.maximum.accumulate(np.where(first, positions, 0))
    if ids.size == 0 or rank.max() == 0:
        return [ids]
    return [ids[rank == r] for r in range(int(rank.max()) + 1)]
