"""Live input and output in simulated time: the run loop of a network with live I/O.

On SpiNNaker a live experiment runs in real time: the host learns from the
database notification which Populations send and receive live spikes, calls
the connections' init callbacks, starts each start/resume callback in a thread
of its own, receives output spikes as packets while the board runs, and its
threads' packets (injected spikes, Poisson rate changes) enter the network the
moment they arrive. Here the same calls happen, in simulated time:

- :func:`run` advances the network in chunks (one time step when a receive
  callback exists, else one millisecond) and, between chunks, hands the output
  spikes of each chunk to the receive callbacks, tick by tick, in order, with
  the tick as sPyNNaker's LPG stamps it (the time ``get_data`` reports), and
  applies the Poisson rates set since the last chunk;
- a spike sent (``send_spike(s)``) from a callback or any thread is emitted by
  the injector at the next step simulated (the network's queue,
  :class:`~..engine.spinnaker.live.InjectedSpikes`): a receive callback that
  answers a spike is deterministic, one step later;
- start/resume and pause/stop callbacks run in threads, as sPyNNaker runs
  them. Such threads measure wall-clock time (``time.sleep``), so while any of
  them is alive the run is paced at ``time_scale_factor`` ms of wall time per
  ms simulated (``setup(time_scale_factor=...)``; default as sPyNNaker: 1, or
  1/timestep for steps under 1 ms), as the board is: what a thread sends lands
  at the step simulated when it sends it, so its timing is as nondeterministic
  as on the board. Once they have finished the run goes as fast as it can.
- ``run_forever()`` runs, paced, until ``request_stop()``.

The flavour's ``run()`` takes this path (:func:`active`) while a live
connection is open; otherwise nothing changes.
"""

import logging
import math
import threading
import time
import weakref

import numpy as np

from .. import simulator as core_simulator

logger = logging.getLogger("pyNN.tinysim.spinnaker")

#: every open live connection (they are made before setup(), as in the scripts)
CONNECTIONS = []
_CONNECTIONS_LOCK = threading.Lock()

#: network -> its Session
_SESSIONS = weakref.WeakKeyDictionary()


class Session:
    """The live I/O of one network (one setup()): what is live and the run's pacing."""

    def __init__(self, network, time_scale_factor=None):
        self.network = network
        dt = network.dt
        self.time_scale_factor = float(time_scale_factor) if time_scale_factor else \
            max(1.0, float(math.ceil(1.0 / dt - 1e-9)))
        self.live_outputs = []          # Populations whose spikes go to receive callbacks
        self.poisson_controls = {}      # control label -> Poisson Population
        self.stop_requested = False
        self.running = False
        self._rates_lock = threading.Lock()
        self._rates = []                # (Population, neuron ids, rates) set while running

    def queue_rates(self, population, ids, rates):
        with self._rates_lock:
            self._rates.append((population, np.asarray(ids, np.int64), np.asarray(rates, float)))

    def apply_rates(self):
        """Give the rate-controlled Poisson sources the rates set since the last chunk."""
        with self._rates_lock:
            pending, self._rates = self._rates, []
        for population, ids, rates in pending:
            group = population._group
            group.set_parameter(local_indices(population)[ids], "rate", rates)


def configure(network, time_scale_factor=None):
    """Called by setup(): a fresh session for the new network."""
    _SESSIONS[network] = Session(network, time_scale_factor)


def session():
    """The live session of the present network."""
    network = core_simulator.state.require_setup()
    found = _SESSIONS.get(network)
    if found is None:
        found = _SESSIONS[network] = Session(network)
    return found


def register(connection):
    with _CONNECTIONS_LOCK:
        if connection not in CONNECTIONS:
            CONNECTIONS.append(connection)


def unregister(connection):
    with _CONNECTIONS_LOCK:
        if connection in CONNECTIONS:
            CONNECTIONS.remove(connection)


def active():
    """Whether the next run needs the live loop: only connections send, receive or set
    rates, so without an open one a run is an ordinary run (live outputs, injectors and
    rate-controlled sources then simply run)."""
    with _CONNECTIONS_LOCK:
        return bool(CONNECTIONS)


def local_indices(population):
    """The indices in its engine group of a Population's neurons, as an array."""
    return np.arange(population._group.size)[population._group_indices]


def population_by_label(label):
    """The flavour Population labelled ``label`` (None if there is none)."""
    from .simulator import settings
    for population in settings().populations:
        if population.label == label:
            return population
    return None


# --- the run loop ------------------------------------------------------------------------

class _Output:
    """Reads the spikes of one live-output Population chunk by chunk."""

    def __init__(self, population):
        self.population = population
        group = population._group
        network = core_simulator.state.network
        network.record_spikes(group, population._group_indices)   # (idempotent)
        self.recorder = group.spike_recorder
        self.mark = self.recorder.mark()
        self.index_of = np.full(group.size, -1, np.int64)
        self.index_of[population._group_indices] = np.arange(population.size)

    def new_spikes(self):
        """(tick, neuron indices) of each tick with spikes since the last call, in time order."""
        stamps, local = self.recorder.since(self.mark)
        self.mark = self.recorder.mark()
        if stamps.size == 0:
            return []
        local = local[local < self.index_of.size]
        index = self.index_of[local]
        keep = index >= 0
        stamps, index = stamps[keep], index[keep]
        ticks, starts = np.unique(stamps, return_index=True)
        bounds = list(starts) + [stamps.size]
        # sPyNNaker stamps a spike with the tick whose update produced it (engine stamp - 1)
        return [(int(t) - 1, index[bounds[i]:bounds[i + 1]].tolist())
                for i, t in enumerate(ticks)]


def _connections():
    with _CONNECTIONS_LOCK:
        return list(CONNECTIONS)


def _call_init_callbacks(connections, run_time_ms, dt):
    for connection in connections:
        for label, size in connection.live_labels():
            connection.call_init_callbacks(label, size, run_time_ms, dt)


def run(simtime, core_run, forever=False):
    """Run ``simtime`` ms (``forever``: until request_stop()) with live I/O; return the time."""
    state = core_simulator.state
    here = session()
    dt = state.dt
    connections = _connections()
    for connection in connections:
        connection.bind(here)
    _call_init_callbacks(connections, None if forever else simtime, dt)
    receivers = [c for c in connections if c.receives()]
    listened = [_Output(p) for p in here.live_outputs
                if any(c.listens_to(p.label) for c in receivers)]
    steps_total = None if forever else state.steps_for(simtime, f"run({simtime!r})")
    chunk = 1 if listened else max(1, int(round(1.0 / dt)))
    threads = []
    for connection in connections:
        threads.extend(connection.start_threads())
    here.running = True
    here.stop_requested = False
    wall0, done = time.monotonic(), 0
    scale = here.time_scale_factor / 1000.0   # wall seconds per simulated ms
    try:
        while forever or done < steps_total:
            if forever and here.stop_requested:
                break
            here.apply_rates()
            k = chunk if forever else min(chunk, steps_total - done)
            core_run(k * dt)
            done += k
            for output in listened:
                label = output.population.label
                for tick, ids in output.new_spikes():
                    for connection in receivers:
                        connection.deliver(label, tick, ids)
            paced = forever or any(t.is_alive() for t in threads)
            if paced:
                delay = wall0 + done * dt * scale - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    time.sleep(0)       # let the callback threads run
    finally:
        here.running = False
        for connection in connections:
            connection.stop_threads()
    return state.t


def run_forever(core_run):
    """Run until request_stop() is called (from a callback or another thread)."""
    return run(None, core_run, forever=True)


def request_stop():
    """Stop a run_forever() after the present chunk."""
    session().stop_requested = True
