"""Recorder of the sPyNNaker flavour: times labelled as sPyNNaker labels them.

sPyNNaker records at the start of each timer tick: the membrane potential of
tick ``k`` (time ``k dt``) is the value before that tick's update, and a spike
produced by tick ``k``'s update is reported at ``k dt``. The engine samples
state after each step and stamps spikes with the step's end, so:

- spike times are reported one time step earlier than the engine stamps them;
- a run of ``T`` ms gives samples at 0, dt, ..., T - dt (no sample at T).

As in sPyNNaker, each variable of a Population may have its own
``sampling_interval`` (PyNN allows one per Population).
"""

from .. import recording as core_recording


class Recorder(core_recording.Recorder):

    def __init__(self, population, file=None):
        super().__init__(population, file=file)
        self._intervals = {}      # variable name -> (sampling interval ms, steps)

    def _check_sampling_interval(self, sampling_interval):
        pass                      # per variable (see _record)

    def _record(self, variable, new_ids, sampling_interval=None):
        if variable.name != "spikes":
            known = self._intervals.get(variable.name)
            if sampling_interval is None and known is not None:
                sampling_interval = known[0]
            elif sampling_interval is None:
                sampling_interval = self._simulator.state.dt
            self.sampling_interval = sampling_interval
        super()._record(variable, new_ids, sampling_interval)
        if variable.name != "spikes":
            self._intervals[variable.name] = (self.sampling_interval, self._interval_steps)

    def _use_interval_of(self, name):
        known = self._intervals.get(name)
        if known is not None:
            self.sampling_interval, self._interval_steps = known

    def _spikes(self, ids):
        spike_ids, times = super()._spikes(ids)
        return spike_ids, times - self._simulator.state.dt

    def _get_all_signals(self, variable, ids, clear=False):
        # (PyNN builds the AnalogSignal with self.sampling_interval right after this call)
        self._use_interval_of(variable.name)
        values, other = super()._get_all_signals(variable, ids, clear)
        network = self._simulator.state.network
        # (values gathered from MPI ranks, see ..recording.Recorder.get, were cut there)
        if self._gathered is None and values.shape[0] and \
                network.step_count % self._interval_steps == 0:
            values = values[:-1]     # the sample at the present time, not yet "recorded"
        return values, other
