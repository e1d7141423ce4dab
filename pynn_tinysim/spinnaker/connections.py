"""sPyNNaker's live connections, in simulated time: no sockets, same calls and callbacks.

``SpynnakerLiveSpikesConnection`` and ``SpynnakerPoissonControlConnection``
(and their base, ``LiveEventConnection``) take sPyNNaker 7.4's arguments and
offer its methods. A connection registers itself when made (scripts make
them before ``setup()``) and serves every later run (see :mod:`.live` for
when its callbacks are called): labels name Populations; ``send_spike(s)``
queues spikes on the SpikeInjector Population of that label (emitted at the
next step); receive callbacks get ``(label, tick, [neuron indices])`` of a
live-output Population's spikes. Ports, hosts and keys are accepted and
ignored (``local_port`` is a number, as scripts pass it on); nothing leaves
the process. ``close()`` unregisters the connection.
"""

import functools
import itertools
import logging
import threading

import numpy as np

from pyNN import errors

from . import live

logger = logging.getLogger("pyNN.tinysim.spinnaker")

#: sPyNNaker's default notification port (spinn_front_end_common NOTIFY_PORT)
NOTIFY_PORT = 19999
_PORTS = itertools.count(NOTIFY_PORT + 1)


class ConfigurationException(Exception):
    """What spinn_front_end_common raises for a wrongly configured connection."""


class LiveEventConnection:
    """sPyNNaker's LiveEventConnection: callbacks by label, events sent by label."""

    def __init__(self, live_packet_gather_label=None, receive_labels=None, send_labels=None,
                 local_host=None, local_port=NOTIFY_PORT):
        self.live_packet_gather_label = live_packet_gather_label
        self._receive_labels = list(receive_labels) if receive_labels is not None else None
        self._send_labels = list(send_labels) if send_labels is not None else None
        self._init_callbacks = {}
        self._start_callbacks = {}
        self._stop_callbacks = {}
        self._time_callbacks = {}
        self._no_time_callbacks = {}
        for label in (self._send_labels or []) + (self._receive_labels or []):
            self._add_label(label)
        self.local_ip_address = local_host or "127.0.0.1"
        self.local_port = next(_PORTS) if local_port is None else int(local_port)
        self._session = None
        self._threads = []
        self._closed = False
        live.register(self)

    # --- labels and callbacks (sPyNNaker's API) ----------------------------------------

    def _add_label(self, label):
        for table in (self._init_callbacks, self._start_callbacks, self._stop_callbacks):
            table.setdefault(label, [])

    def add_send_label(self, label):
        if self._send_labels is None:
            self._send_labels = []
        if label not in self._send_labels:
            self._send_labels.append(label)
        self._add_label(label)

    def add_receive_label(self, label):
        if self._receive_labels is None:
            self._receive_labels = []
        if label not in self._receive_labels:
            self._receive_labels.append(label)
        self._add_label(label)

    def _known(self, label):
        if label not in self._init_callbacks:
            raise ConfigurationException(
                f"{label!r} is neither a send nor a receive label of this connection "
                f"(send: {self._send_labels}, receive: {self._receive_labels})")

    def add_init_callback(self, label, init_callback):
        """``init_callback(label, n_neurons, run_time_ms, machine_timestep_ms)`` before each run."""
        self._known(label)
        self._init_callbacks[label].append(init_callback)

    def add_receive_callback(self, label, live_event_callback, translate_key=True):
        """``live_event_callback(label, tick, [neuron indices])`` for each tick with spikes.

        (There are no routing keys here: the callback gets neuron indices whatever
        ``translate_key`` says.)
        """
        self._receive_label_check(label)
        self._time_callbacks.setdefault(label, []).append((live_event_callback, translate_key))

    def add_receive_no_time_callback(self, label, live_event_callback, translate_key=True):
        """``live_event_callback(label, neuron index, None)`` for each spike."""
        self._receive_label_check(label)
        self._no_time_callbacks.setdefault(label, []).append(
            (live_event_callback, translate_key))

    def _receive_label_check(self, label):
        if self._receive_labels is None or label not in self._receive_labels:
            raise ConfigurationException(
                f"{label!r} is not a receive label of this connection "
                f"(receive labels: {self._receive_labels})")

    def add_start_callback(self, label, start_callback):
        """Deprecated name of :meth:`add_start_resume_callback` (as in sPyNNaker)."""
        logger.warning("the method 'add_start_callback(label, start_callback)' is "
                       "deprecated; use 'add_start_resume_callback(label, "
                       "start_resume_callback)' instead")
        self.add_start_resume_callback(label, start_callback)

    def add_start_resume_callback(self, label, start_resume_callback):
        """``start_resume_callback(label, connection)`` in a thread of its own at each run start."""
        self._known(label)
        self._start_callbacks[label].append(start_resume_callback)

    def add_pause_stop_callback(self, label, pause_stop_callback):
        """``pause_stop_callback(label, connection)`` in a thread of its own at each run end."""
        self._known(label)
        self._stop_callbacks[label].append(pause_stop_callback)

    # --- sending -------------------------------------------------------------------------

    def send_event(self, label, atom_id, send_full_keys=False):
        self.send_events(label, [atom_id], send_full_keys)

    def send_events(self, label, atom_ids, send_full_keys=False):
        """Spikes of neurons ``atom_ids`` of the SpikeInjector Population ``label``, next step."""
        if self._send_labels is None or label not in self._send_labels:
            raise ConfigurationException(
                f"{label!r} is not a send label of this connection "
                f"(send labels: {self._send_labels})")
        population = self._population(label)
        if population is None:
            logger.debug("send_events(%r): no such Population in the present network; "
                         "dropped", label)
            return
        group = population._group
        if not hasattr(group, "inject"):
            raise ConfigurationException(
                f"Population {label!r} is not a SpikeInjector: live spikes can only be sent "
                "to a Population of external_devices.SpikeInjector()")
        ids = np.asarray(list(atom_ids), np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= population.size):
            raise errors.InvalidParameterValueError(
                f"send_events({label!r}): neuron ids {ids.tolist()} outside "
                f"0..{population.size - 1}")
        group.inject(live.local_indices(population)[ids])

    def send_event_with_payload(self, label, atom_id, payload):
        raise NotImplementedError("events with payloads go to devices pyNN.tinysim.spinnaker "
                                  "does not emulate")

    send_events_with_payloads = send_event_with_payload

    # --- what the run loop calls (see .live) -------------------------------------------

    def _population(self, label):
        try:
            return live.population_by_label(label)
        except errors.InvalidModelError:
            return None

    def bind(self, session):
        self._session = session

    def live_labels(self):
        """(label, size) of this connection's labels that name Populations of the network."""
        found = []
        for label in self._init_callbacks:
            population = self._population(self._population_label(label))
            if population is not None:
                found.append((label, population.size))
        return found

    def _population_label(self, label):
        return label

    def call_init_callbacks(self, label, size, run_time_ms, dt):
        for callback in self._init_callbacks.get(label, []):
            callback(label, size, run_time_ms, dt)

    def receives(self):
        return bool(self._time_callbacks or self._no_time_callbacks)

    def listens_to(self, label):
        return label in self._time_callbacks or label in self._no_time_callbacks

    def deliver(self, label, tick, neuron_ids):
        """Hand one tick's spikes of Population ``label`` to the receive callbacks."""
        for callback, _translate in self._time_callbacks.get(label, []):
            callback(label, tick, list(neuron_ids))
        for callback, _translate in self._no_time_callbacks.get(label, []):
            for neuron_id in neuron_ids:
                callback(label, neuron_id, None)

    def _launch(self, kind, label, callback):
        thread = threading.Thread(
            target=callback, args=(label, self),
            name=f"{kind} callback thread for live_event_connection {self.local_port}")
        thread.start()
        return thread

    def start_threads(self):
        """Start each start/resume callback in a thread; return the threads."""
        self._threads = [self._launch("start_resume", label, callback)
                         for label, callbacks in self._start_callbacks.items()
                         if self._population(self._population_label(label)) is not None
                         for callback in callbacks]
        return self._threads

    def stop_threads(self):
        """Start each pause/stop callback in a thread (the run has ended)."""
        return [self._launch("pause_stop", label, callback)
                for label, callbacks in self._stop_callbacks.items()
                if self._population(self._population_label(label)) is not None
                for callback in callbacks]

    def close(self):
        """Stop serving runs."""
        self._closed = True
        live.unregister(self)


class SpynnakerLiveSpikesConnection(LiveEventConnection):
    """sPyNNaker's connection for sending spikes to and receiving spikes from a simulation."""

    def __init__(self, receive_labels=None, send_labels=None, local_host=None,
                 local_port=NOTIFY_PORT, live_packet_gather_label="LiveSpikeReceiver"):
        super().__init__(live_packet_gather_label, receive_labels, send_labels,
                         local_host, local_port)

    def send_spike(self, label, neuron_id, send_full_keys=False):
        """A spike of neuron ``neuron_id`` of the SpikeInjector Population ``label``."""
        self.send_spikes(label, [neuron_id], send_full_keys)

    def send_spikes(self, label, neuron_ids, send_full_keys=False):
        """Spikes of the neurons ``neuron_ids`` of the SpikeInjector Population ``label``."""
        self.send_events(label, neuron_ids, send_full_keys)


class SpynnakerPoissonControlConnection(LiveEventConnection):
    """sPyNNaker's connection that changes the rates of Poisson sources while they run.

    Labels are the Poisson Populations' labels (the control label is that plus
    ``control_label_extension``, as in sPyNNaker); callbacks get the Poisson
    label. A rate set while running applies from the next chunk of the run
    (within a millisecond of simulated time), when not running from the next run.
    """

    def __init__(self, poisson_labels=None, local_host=None, local_port=NOTIFY_PORT,
                 control_label_extension="_control"):
        self._extension = control_label_extension
        self._control_to_label = {}
        self._label_to_control = {}
        controls = None
        if poisson_labels is not None:
            controls = [self._control(label) for label in poisson_labels]
        super().__init__(None, None, controls, local_host, local_port)

    def _control(self, label):
        control = f"{label}{self._extension}"
        self._control_to_label[control] = label
        self._label_to_control[label] = control
        return control

    def _population_label(self, label):
        return self._control_to_label.get(label, label)

    def add_poisson_label(self, label):
        self.add_send_label(self._control(label))

    def _wrap(self, callback):
        @functools.wraps(callback)
        def wrapped(label, *args):
            return callback(self._control_to_label.get(label, label), *args)
        return wrapped

    def add_start_callback(self, label, start_callback):
        super().add_start_callback(self._label_to_control.get(label, label),
                                   self._wrap(start_callback))

    def add_start_resume_callback(self, label, start_resume_callback):
        super().add_start_resume_callback(self._label_to_control.get(label, label),
                                          self._wrap(start_resume_callback))

    def add_init_callback(self, label, init_callback):
        super().add_init_callback(self._label_to_control.get(label, label),
                                  self._wrap(init_callback))

    def add_pause_stop_callback(self, label, pause_stop_callback):
        super().add_pause_stop_callback(self._label_to_control.get(label, label),
                                        self._wrap(pause_stop_callback))

    def add_receive_callback(self, label, live_event_callback, translate_key=True):
        raise ConfigurationException("SpynnakerPoissonControlPopulation can't receive data")

    def add_receive_no_time_callback(self, label, live_event_callback, translate_key=True):
        raise ConfigurationException("SpynnakerPoissonControlPopulation can't receive data")

    def set_rate(self, label, neuron_id, rate):
        """Set the rate (Hz) of neuron ``neuron_id`` of the Poisson Population ``label``."""
        self.set_rates(label, [(neuron_id, rate)])

    def set_rates(self, label, neuron_id_rates):
        """Set rates of several neurons: ``neuron_id_rates`` is a list of (id, rate in Hz)."""
        control = self._label_to_control.get(label, label)
        if self._send_labels is None or control not in self._send_labels:
            raise ConfigurationException(f"{label!r} is not a Poisson label of this connection")
        population = self._population(self._population_label(control))
        if population is None:
            logger.debug("set_rates(%r): no such Population in the present network; dropped",
                         label)
            return
        if control not in live.session().poisson_controls:
            raise ConfigurationException(
                f"set_rates({label!r}): the Poisson Population has no live rate control; "
                "call external_devices.add_poisson_live_rate_control(population) first "
                "(as sPyNNaker requires)")
        pairs = list(neuron_id_rates)
        ids = np.asarray([int(i) for i, _ in pairs], np.int64)
        rates = np.asarray([float(r) for _, r in pairs], float)
        if ids.size and (ids.min() < 0 or ids.max() >= population.size):
            raise errors.InvalidParameterValueError(
                f"set_rates({label!r}): neuron ids {ids.tolist()} outside "
                f"0..{population.size - 1}")
        if not np.all(np.isfinite(rates) & (rates >= 0)):
            raise errors.InvalidParameterValueError(
                f"set_rates({label!r}): rates must be finite and >= 0 Hz, got {rates.tolist()}")
        live.session().queue_rates(population, ids, rates)
