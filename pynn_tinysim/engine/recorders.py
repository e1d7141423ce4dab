"""Recording of state variables and spikes into preallocated arrays.

One :class:`SignalRecorder` per (neuron group, variable) samples the union of
the neurons any Population asked for, and one :class:`SpikeRecorder` per group
keeps the spikes of recorded neurons; Populations pick their own columns out
when data is requested. So the per-step recording cost does not grow with the
number of Populations.
"""

import numpy as np

from .resources import AllocationTooLargeError, available_memory, gib


class NumericalInstabilityError(ValueError):
    """A state variable became NaN: the parameters make the model unstable.

    NEST stops with a NumericalInstability exception in that case too.
    """

    @classmethod
    def at(cls, group, variable, local_indices, step):
        i = int(local_indices[0])
        values = ", ".join(f"{name}={float(group.params[name][i])!r}"
                           for name in group.parameter_names)
        return cls(
            f"numerical instability: {variable} of {len(local_indices)} "
            f"{type(group).__name__} cell(s) became NaN at t={step * group.network.dt:g} ms "
            f"(the first: global id {int(group.ids[i])}, with {values}); check those "
            "parameter values. The data of the steps before is kept; call reset() to "
            "run again")


def check_recording_fits(recorder, n_samples):
    """AllocationTooLargeError before a run whose samples of ``recorder`` cannot fit."""
    needed = 8 * n_samples * recorder.indices.size
    available = available_memory()
    if available is not None and needed > available:
        raise AllocationTooLargeError(
            f"recording {recorder.variable!r} of {recorder.indices.size} "
            f"{type(recorder.group).__name__} cell(s) for {n_samples:,} samples needs "
            f"{gib(needed)}, but {gib(available)} of memory is available; record fewer "
            "cells, use a larger sampling_interval, or run in shorter pieces with "
            "get_data(clear=True) or write_data() in between")


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
        check_recording_fits(self, n)
        self._first_sample = first_sample
        self._buffer = np.empty((n, self.indices.size))
        self._row = 0
        if first_step == 0 and n > 0:
            self.sample(0)

    def sample(self, step):
        """Take a sample if ``step`` (time = step * dt) is on this recorder's grid.

        A NaN is never recorded: it raises NumericalInstabilityError instead (the run
        then keeps the data of the steps before, see Network.run).
        """
        if step % self.interval == 0 and self._row < self._buffer.shape[0]:
            row = self._buffer[self._row]
            np.take(self.group.state[self.variable], self.indices, out=row)
            if np.isnan(row.sum()):
                raise NumericalInstabilityError.at(self.group, self.variable,
                                                   self.indices[np.isnan(row)], step)
            self._row += 1

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

    def truncate(self, step):
        """Drop the samples taken after ``step`` (a run stopped inside a step)."""
        if self._buffer is not None:
            last = step // self.interval             # last sample number to keep
            self._row = max(0, min(self._row, last - self._first_sample + 1))


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

    def truncate(self, step):
        """Drop the spikes stamped after ``step`` (a run stopped inside a step)."""
        while self._stamps and self._stamps[-1].size and self._stamps[-1][-1] > step:
            keep = self._stamps[-1] <= step
            if keep.any():
                self._stamps[-1] = self._stamps[-1][keep]
                self._neurons[-1] = self._neurons[-1][keep]
                self._times[-1] = self._times[-1][keep]
                break
            del self._stamps[-1], self._neurons[-1], self._times[-1]
