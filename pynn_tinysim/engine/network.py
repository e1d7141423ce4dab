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
3. the spikes are delivered: each synapse's weight goes into the ring-buffer
   slot ``delay`` steps ahead of the spike stamp;
4. plasticity: each plastic projection (:mod:`.plasticity`) gets the ids that
   spiked, applies its rule (post events that have reached its synapses first,
   then the presynaptic spikes) and delivers what those spikes transmit into the
   ring buffer like step 3 (static projections never see this step);
5. recorders sample the state at t + dt and keep the spikes (stamped t + dt; a
   SpikeArraySource's at their exact requested times when ``exact_source_times``
   is set, see :mod:`.sources`).

The Python loop runs over steps and over model families, never over neurons,
synapses or Populations.
"""

import numpy as np

from .ring import RingLayout
from .synapses import SynapseStore
from .recorders import SignalRecorder, SpikeRecorder
from .currents import CurrentInjection
from .interrupts import deferred_keyboard_interrupt


class Network:
    """A whole simulation: groups of neurons, synapse blocks, clock, RNG streams."""

    FIRST_ID = 1  # global neuron ids start at 1, as NEST's node ids do

    def __init__(self, dt=0.1, seed=None):
        self.dt = float(dt)
        self.step_count = 0             # steps done since the last reset
        self.groups = {}                # model class -> group
        self.static = SynapseStore(self.layout)  # every static synapse
        self.plastic = []               # PlasticSynapses of every plastic projection
        self.next_id = self.FIRST_ID
        self.seed = int(np.random.SeedSequence(seed).entropy) if seed is None else int(seed)
        self._n_streams = 0
        self._reset_count = 0
        self._compiled = None
        self._ring = None
        self._layout = None             # (offsets, sizes, n_slots) of the present ring buffer
        self._current_layout = None     # cache of layout()
        self.currents = CurrentInjection(self)  # current sources (DC, AC, ...)
        # record a SpikeArraySource's spikes at their exact requested times rather than
        # at their (grid) emission times; delivery is on the grid either way
        self.exact_source_times = False
        # (step, exception) when a run stopped inside a step (see run()); None otherwise
        self.broken = None

    # --- building -------------------------------------------------------------

    def add_neurons(self, model_class, n, parameters, initial_values):
        """Create ``n`` neurons of ``model_class``; return (group, slice in group, ids)."""
        group = self.groups.get(model_class)
        if group is None:
            group = self.groups[model_class] = model_class(self)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        index = group.add_neurons(ids, parameters, initial_values)
        self._compiled = None
        self._current_layout = None
        return group, index, ids

    def layout(self):
        """The ring-buffer layout of the neurons that exist now (see :mod:`.ring`)."""
        if self._current_layout is None:
            self._current_layout = RingLayout(self.groups.values(), self.next_id)
        return self._current_layout

    @property
    def blocks(self):
        """The StaticSynapseBlock of every static projection."""
        return self.static.blocks

    def new_synapse_block(self, receptor):
        block = self.static.new_block(receptor)
        self._compiled = None
        return block

    def new_plastic_synapses(self, model_class, receptor):
        """A :class:`~.plasticity.PlasticSynapses` of ``model_class`` for one projection."""
        block = model_class(receptor, self)
        self.plastic.append(block)
        self._compiled = None
        return block

    def synapses_changed(self):
        """Tell the network that weights, delays or connections changed."""
        self._compiled = None

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
            recorder = group.recorders[key] = SignalRecorder(group, variable, interval_steps)
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
        self.static.compile(layout)
        for block in self.plastic:
            block.consolidate()
        max_delay = max([self.static.max_delay_steps]
                        + [int(b.delay_steps.max()) for b in self.plastic if b.delay_steps.size])
        n_slots = max(max_delay + 1, n_slots_needed, 2)
        self._rebuild_ring(groups, layout, n_slots)
        self.static.bind_ring(n_slots, layout.row_size)

        def input_position(block):
            return layout.positions(block.post, block.receptor)

        for block in self.plastic:
            block.compile(self.next_id, input_position, layout.row_size, n_slots)
        self._compiled = self.static

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
        if self._compiled is None:
            self._compile(max_delay_steps + 1)
        dt = self.dt
        k0 = self.step_count
        groups = list(self.groups.values())
        for g in groups:
            g.prepare(dt)
            g.start_run(k0, n_steps, dt)
            if g.spike_recorder is not None:
                g.spike_recorder.add_indices(np.zeros(0, np.int64))  # follow group growth
            for rec in g.recorders.values():
                rec.start_run(k0, n_steps)
        signal_recorders = [rec for g in groups for rec in g.recorders.values()]
        spiking = [(g, g.ids, g.spike_recorder, self._input_views[g]) for g in groups]
        synapses = self._compiled
        ring = self._ring
        ring_flat = ring.reshape(-1)
        n_slots = ring.shape[0]
        plastic = self.plastic
        for block in plastic:
            block.start_run(dt)
        has_synapses = synapses.size > 0 or bool(plastic)

        currents = self.currents.start_run(k0, n_steps, dt)  # None: no current sources

        # Interrupt safety (issue 14): Ctrl-C is noted and acted on after a whole step
        # (see .interrupts), and whatever stops the loop, the clock, the recordings and
        # the plastic blocks are closed at the last whole step (the finally clause), so
        # that data up to it is kept and a following run() continues as if unbroken.
        done = k0           # steps completed; k0 + n_steps when the loop runs out
        with deferred_keyboard_interrupt() as interrupt:
            try:
                for k in range(k0, k0 + n_steps):
                    if currents is not None and k >= currents.next_step:
                        currents.advance(k)
                    slot = (k + 1) % n_slots
                    fired = []
                    for g, ids, spike_rec, inputs in spiking:
                        spiked = g.step(k, inputs[slot])
                        if spiked.size:
                            if spike_rec is not None:
                                spike_rec.record(k + 1, spiked, g.emitted_times)
                            if has_synapses:
                                fired.append(ids[spiked])
                    ring[slot] = 0.0
                    if fired:
                        fired_ids = fired[0] if len(fired) == 1 else np.concatenate(fired)
                        synapses.deliver(fired_ids, k, ring_flat)
                        for block in plastic:
                            block.deliver(fired_ids, k, ring_flat)
                    for rec in signal_recorders:
                        rec.sample(k + 1)
                    done = k + 1
                    if interrupt.requested:     # Ctrl-C: stop here, at a step boundary
                        break
            except BaseException as error:
                # raised inside step `done`: part of the state has advanced, part not.
                # Keep the data of the whole steps, and refuse to continue from here.
                self._drop_data_after(done, groups)
                self.broken = (done, error)
                raise
            finally:
                self.step_count = done
                if currents is not None:
                    currents.end_run(done)
                for block in plastic:
                    block.end_run(done)
            if interrupt.take():
                raise KeyboardInterrupt

    def _drop_data_after(self, step, groups):
        """Forget what recorders took after ``step`` (a step stopped half-way)."""
        for g in groups:
            if g.spike_recorder is not None:
                g.spike_recorder.truncate(step)
            for rec in g.recorders.values():
                rec.truncate(step)

    @property
    def t(self):
        return self.step_count * self.dt

    def reset(self):
        """Back to t = 0: state variables to initial values, no input in flight, no data."""
        self.step_count = 0
        self.broken = None
        self._reset_count += 1
        self.currents.reset()
        if self._ring is not None:
            self._ring[:] = 0.0
        for block in self.plastic:
            block.reset()
        for g in self.groups.values():
            g.reset()
            for rec in g.recorders.values():
                rec.clear()
            if g.spike_recorder is not None:
                g.spike_recorder.clear()


def signal_recorder(group, variable, interval_steps):
    """The SignalRecorder of ``group`` sampling ``variable`` every ``interval_steps``, or None."""
    recorder = group.recorders.get(variable)
    if recorder is None or recorder.interval == interval_steps:
        return recorder
    return group.recorders.get((variable, interval_steps))
