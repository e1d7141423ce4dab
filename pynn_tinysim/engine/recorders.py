"""Recording of state variables and spikes into preallocated arrays.

One :class:`SignalRecorder` per (neuron group, variable) samples the union of
the neurons any Population asked for, and one :class:`SpikeRecorder` per group
keeps the spikes of recorded neurons; Populations pick their own columns out
when data is requested. So the per-step recording cost does not grow with the
number of Populations.
"""

import numpy as np


class SignalRecorder:
    """Samples ``group.state[variable]`` at steps that are multiples of ``interval``."""

    def __init__(self, group, variable, interval):
        self.group = group
        self.variable = variable
        self.interval = interval
        self.indices = np.zeros(0, np.int64)  # local indices, sorted
        self.chunks = []        # (first sample number, indices, data[n_samples, n_indices])
        self._buffer = None
        self._row = 0

    def add_indices(self, local_indices):
        merged = np.union1d(self.indices, np.asarray(local_indices, np.int64))
        if merged.size != self.indices.size:
            self._close_chunk()
            self.indices = merged

    def start_run(self, first_step, n_steps):
        """Preallocate room for the samples of the steps (first_step, first_step + n_steps]."""
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)          # ceil: first sample time >= now
        last_sample = (first_step + n_steps) // iv
        if first_step > 0 and first_sample * iv == first_step:
            first_sample += 1                        # taken at the end of the previous run
        n = max(last_sample - first_sample + 1, 0)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0
        if first_step == 0 and n > 0:
            self.sample(0)

    def sample(self, step):
        """Take a sample if ``step`` (time = step * dt) is on this recorder's grid."""
        if step % self.interval == 0 and self._row < self._buffer.shape[0]:
            self._buffer[self._row] = self.group.state[self.variable][self.indices]
            self._row += 1

    def compiled_view(self):
        """(sampled array, indices, buffer, next row) for a compiled stretch, which
        samples as :meth:`sample` does and then hands back the row by :meth:`set_row`."""
        return self.group.state[self.variable], self.indices, self._buffer, self._row

    def set_row(self, row):
        """The buffer's rows before ``row`` hold samples (taken by a compiled stretch)."""
        self._row = int(row)

    def _close_chunk(self):
        if self._buffer is not None and self._row > 0:
            self.chunks.append((self._first_sample, self.indices, self._buffer[:self._row]))
            self._first_sample += self._row
        self._buffer = None
        self._row = 0

    def get(self, local_indices, first_sample, n_samples):
        """Samples first_sample .. first_sample + n_samples - 1 of the given neurons.

        Entries for neurons or times that were not recorded are NaN.
        """
        self._close_chunk()
        local_indices = np.asarray(local_indices, np.int64)
        out = np.full((n_samples, local_indices.size), np.nan)
        end_sample = first_sample + n_samples
        for first, indices, data in self.chunks:
            lo, hi = max(first, first_sample), min(first + data.shape[0], end_sample)
            if hi <= lo or indices.size == 0:
                continue
            cols = np.clip(np.searchsorted(indices, local_indices), 0, indices.size - 1)
            present = indices[cols] == local_indices
            out[lo - first_sample:hi - first_sample, present] = \
                data[lo - first:hi - first][:, cols[present]]
        return out

    def clear(self):
        self._close_chunk()
        self.chunks = []


class LeadingSignalRecorder(SignalRecorder):
    """A SignalRecorder whose sample for time ``j interval dt`` is taken one step later.

    For values a step computes for the interval *starting* at its time: sPyNNaker
    records at tick t the synaptic input that drives tick t (with v before that
    tick's update, ``neuron_impl_standard.h``); the engine's step t computes that
    input and finishes at time t + dt, so the sample labelled t is taken after
    step t. A run up to time T has no sample labelled T (the step that computes
    it has not run).
    """

    def start_run(self, first_step, n_steps):
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)          # labels j with j iv >= first_step ...
        last_sample = (first_step + n_steps - 1) // iv   # ... and j iv + 1 <= last step
        n = max(last_sample - first_sample + 1, 0)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0

    def sample(self, step):
        if (step - 1) % self.interval == 0 and self._row < self._buffer.shape[0]:
            self._buffer[self._row] = self.group.state[self.variable][self.indices]
            self._row += 1


class TickStartSignalRecorder(SignalRecorder):
    """A SignalRecorder whose sample at the end of a run is taken at the start of the next.

    For simulators that record a tick's state when the tick starts (sPyNNaker:
    v of tick t before that tick's update): what a script changes between runs
    (``set_state``, ``initialize``) is in the first sample of the next run, as
    on the board. Within a run the samples are the same as SignalRecorder's.
    """

    def start_run(self, first_step, n_steps):
        self._close_chunk()
        iv = self.interval
        first_sample = -(-first_step // iv)
        last_sample = (first_step + n_steps - 1) // iv     # the end-of-run one: next run
        n = max(last_sample - first_sample + 1, 0)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0
        if n > 0 and first_sample * iv == first_step:
            self.sample(first_step)


class SpikeRecorder:
    """Keeps (stamp, local index) of every spike of the recorded neurons of one group."""

    def __init__(self, group):
        self.group = group
        self.mask = np.zeros(group.size, bool)
        self.all_recorded = False
        self._stamps = []
        self._neurons = []
        self._times = []   # exact times (ms) per record() call, NaN where only the stamp is known

    def add_indices(self, local_indices):
        if self.mask.size < self.group.size:
            self.mask = np.concatenate([self.mask, np.zeros(self.group.size - self.mask.size, bool)])
        self.mask[local_indices] = True
        self.all_recorded = bool(self.mask.all())

    def record(self, stamp, spiked, times=None):
        """Keep the spikes of ``spiked`` stamped ``stamp``; ``times``: their exact times, if any."""
        if not self.all_recorded:
            recorded = self.mask[spiked]
            spiked = spiked[recorded]
            if spiked.size == 0:
                return
            if times is not None:
                times = times[recorded]
        self._stamps.append(np.full(spiked.size, stamp, np.int64))
        self._neurons.append(spiked)
        self._times.append(np.full(spiked.size, np.nan) if times is None
                           else np.asarray(times, float))

    def record_chunk(self, stamps, neurons):
        """Keep spikes of recorded neurons already selected, stamps ascending (a
        compiled stretch of steps records this way)."""
        if stamps.size:
            self._stamps.append(stamps)
            self._neurons.append(neurons)
            self._times.append(np.full(stamps.size, np.nan))

    def get(self):
        """All recorded spikes as (stamps, local indices), in time order."""
        if len(self._stamps) > 1:
            self._stamps = [np.concatenate(self._stamps)]
            self._neurons = [np.concatenate(self._neurons)]
        if not self._stamps:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return self._stamps[0], self._neurons[0]

    def get_times(self, dt):
        """The spike times (ms) in the order of :meth:`get`: exact where known, else stamp * dt."""
        stamps, _ = self.get()
        if len(self._times) > 1:
            self._times = [np.concatenate(self._times)]
        if not self._times:
            return np.zeros(0)
        return np.where(np.isnan(self._times[0]), stamps * dt, self._times[0])

    def clear(self):
        self._stamps = []
        self._neurons = []
        self._times = []
