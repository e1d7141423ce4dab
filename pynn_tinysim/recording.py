"""Recorder: from the engine's recording arrays to what PyNN turns into neo objects.

The engine records per neuron group (see :mod:`pynn_tinysim.engine.recorders`);
a Population's Recorder selects its own cells, and its own time window (after
``get_data(clear=True)``), when PyNN asks for spikes or signals.
"""

import numpy as np

from pyNN import recording, errors

from . import simulator
from .engine.network import signal_recorder


class Recorder(recording.Recorder):
    _simulator = simulator

    def __init__(self, population, file=None):
        super().__init__(population, file=file)
        self._interval_steps = 1

    # --- what to record ---------------------------------------------------------

    def _local_indices(self, ids):
        population = self.population
        return population._group_indices.start + population.id_to_index(
            np.fromiter(ids, dtype=np.int64, count=len(ids)))

    def _record(self, variable, new_ids, sampling_interval=None):
        state = self._simulator.state
        network = state.require_setup()
        group = self.population._group
        local = self._local_indices(new_ids)
        if variable.name == "spikes":
            network.record_spikes(group, local)
            return
        interval = sampling_interval or self.sampling_interval or state.dt
        steps = interval / state.dt
        if steps < 1 - 1e-9 or abs(steps - round(steps)) > 1e-6:
            raise errors.InvalidParameterValueError(
                f"sampling_interval={interval} ms must be a whole multiple of the time step "
                f"({state.dt} ms)")
        self.sampling_interval = interval
        self._interval_steps = int(round(steps))
        if variable.name not in group.recordable:
            raise errors.RecordingError(variable.name, self.population.celltype)
        try:
            network.record_signal(group, variable.name, local, self._interval_steps)
        except ValueError as err:
            raise ValueError(str(err)) from None

    def _reset(self):
        group = self.population._group
        if group.spike_recorder is not None:
            group.spike_recorder.mask[self.population._group_indices] = False

    def _clear_simulator(self):
        # engine data is shared with other Populations of the same model family, so it
        # is not deleted here; data before _recording_start_time is filtered out instead
        pass

    # --- what was recorded ------------------------------------------------------

    def _start_step(self):
        return int(round(float(self._recording_start_time.rescale("ms").magnitude)
                         / self._simulator.state.dt))

    def _spikes(self, ids):
        """(ids, times in ms) of recorded spikes of the given cells since recording start."""
        group = self.population._group
        if group.spike_recorder is None:
            return np.zeros(0, np.int64), np.zeros(0)
        stamps, local = group.spike_recorder.get()
        # by stamp: a spike recorded at its exact time (SpikeSourceArray, off_grid) belongs
        # to the get_data(clear=True) window its emission step is in
        keep = stamps > self._start_step()
        wanted = np.zeros(group.size, bool)
        if len(ids):
            wanted[self._local_indices(ids)] = True
        keep &= wanted[local]
        times = group.spike_recorder.get_times(self._simulator.state.dt)
        return group.ids[local[keep]], times[keep]

    def _get_spiketimes(self, ids, clear=False):
        return self._spikes(ids)

    def _get_all_signals(self, variable, ids, clear=False):
        state = self._simulator.state
        group = self.population._group
        step = self._interval_steps
        recorder = signal_recorder(group, variable.name, step)
        first_sample = -(-self._start_step() // step)
        last_sample = state.network.step_count // step
        n_samples = max(last_sample - first_sample + 1, 0)
        if recorder is None or len(ids) == 0:
            return np.zeros((n_samples, 0)), None
        values = recorder.get(self._local_indices(ids), first_sample, n_samples)
        return values, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        spike_ids, _ = self._spikes(ids)
        counts = dict.fromkeys((int(i) for i in ids), 0)
        if spike_ids.size:
            unique, n = np.unique(spike_ids, return_counts=True)
            counts.update(zip(unique.tolist(), n.tolist()))
        return counts
