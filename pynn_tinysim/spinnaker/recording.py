"""Recorder of the sPyNNaker flavour: times labelled as sPyNNaker labels them.

sPyNNaker records at the start of each timer tick: the membrane potential of
tick ``k`` (time ``k dt``) is the value before that tick's update, and a spike
produced by tick ``k``'s update is reported at ``k dt``. The engine samples
state after each step and stamps spikes with the step's end, so:

- spike times are reported one time step earlier than the engine stamps them;
- a run of ``T`` ms gives samples at 0, dt, ..., T - dt (no sample at T).
"""

from .. import recording as core_recording


class Recorder(core_recording.Recorder):

    def _spikes(self, ids):
        spike_ids, times = super()._spikes(ids)
        return spike_ids, times - self._simulator.state.dt

    def _get_all_signals(self, variable, ids, clear=False):
        values, other = super()._get_all_signals(variable, ids, clear)
        network = self._simulator.state.network
        if values.shape[0] and network.step_count % self._interval_steps == 0:
            values = values[:-1]     # the sample at the present time, not yet "recorded"
        return values, other
