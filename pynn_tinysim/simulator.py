"""Global simulator state for pyNN.tinysim: the clock, the RNG seed, the engine network.

As in PyNN's other backends (pyNN/nest/simulator.py, pyNN/mock/simulator.py),
this module holds the single ``state`` object that the front-end classes share,
and the ``ID`` class of cell identifiers.
"""

import sys

import numpy as np

from pyNN import common, errors
from pyNN.utility import ProgressBar

from . import parallel
from .engine import Network
from .engine.interrupts import deferred_keyboard_interrupt

name = "tinysim"


class ID(int, common.IDMixin):
    """A cell identifier: an int (the engine's global neuron id) that knows its Population."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class StaleObjectError(errors.InvalidModelError):
    """An object made before the last setup() was used: its network no longer exists."""


def check_current(obj, network):
    """Raise StaleObjectError if ``network`` (where ``obj`` was made) is not the present one.

    setup() replaces the whole network; a Population or Projection of the old one
    would otherwise read and write arrays the simulation no longer uses (NaN v,
    no spikes) or connect cells of the new network by their old ids. NEST refuses
    such objects too.
    """
    if network is not state.network:
        label = getattr(obj, "label", None)
        name = type(obj).__name__ + (f" {label!r}" if label else "")
        raise StaleObjectError(
            f"{name} was created before the last call of setup(), which destroyed the "
            "network it belonged to; create it again after setup()")


class State(common.control.BaseState):
    """The simulation as PyNN sees it; the work is done by ``self.network``."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank = 0
        self.num_processes = 1
        self.network = None
        self.dt = 0.1
        self.min_delay = 0.1
        self.min_delay_auto = False     # setup(min_delay='auto')
        self.max_delay = 10.0
        self.rng_seed = None
        # as pyNN.nest: "off_grid" (default) records SpikeSourceArray spikes at their exact
        # times; "on_grid" at their grid times. Delivery and neuron spikes: grid either way
        self.spike_precision = "off_grid"
        self.segment_counter = -1
        self.recorders = set()
        self.progress = True            # setup(progress=False): never show a progress bar
        self.engine = None              # setup(engine=...); None: the default
        self.threads = None             # setup(threads=...); None: Numba's count

    # --- set-up ---------------------------------------------------------------

    def configure(self, dt, min_delay, max_delay, rng_seed, min_delay_auto=False,
                  spike_precision="off_grid", engine=None, threads=None):
        self.dt = float(dt)
        self.engine = engine    # None: the default (see engine/kernels)
        self.threads = threads  # None: Numba's count (see engine/kernels.threads)
        self.spike_precision = spike_precision
        self.min_delay = float(min_delay)
        self.min_delay_auto = bool(min_delay_auto)
        self.max_delay = float(max_delay)
        self.mpi_rank, self.num_processes = parallel.rank_and_size()
        if rng_seed is None and self.num_processes > 1:
            # a fresh seed, but rank 0's on every rank: sources must draw the same spikes
            rng_seed = parallel.broadcast(int(np.random.SeedSequence().entropy))
        self.rng_seed = rng_seed
        self.clear()

    def clear(self):
        """Destroy the network; start afresh with the present settings."""
        self.network = Network(dt=self.dt, seed=self.rng_seed, engine=self.engine,
                               threads=self.threads)
        exchange = parallel.new_exchange()     # None in one process
        if exchange is not None:
            self.network.distribute(exchange)
        self.network.exact_source_times = self.spike_precision == "off_grid"
        self.rng_seed = self.network.seed
        self.recorders = set()
        self.id_counter = Network.FIRST_ID
        self.segment_counter = -1
        self.write_on_end = []
        self.reset()

    def require_setup(self):
        if self.network is None:
            raise errors.InvalidModelError(
                "pyNN.tinysim: call setup() before building or running a network "
                "(e.g. sim.setup(timestep=0.1)).")
        return self.network

    def shortest_connection_delay(self):
        """The smallest delay (ms) of any connection in the network, or None if there are none."""
        if self.network is None:
            return None
        steps = self.network.shortest_delay_steps()
        return None if steps is None else steps * self.dt

    # --- time -----------------------------------------------------------------

    @property
    def t(self):
        return 0.0 if self.network is None else self.network.t

    def steps_for(self, duration, what="duration"):
        """Number of whole time steps in ``duration`` ms (within floating-point error).

        A duration that is not a whole number of steps is refused, as NEST refuses
        it ("The simulation time must be a multiple of the simulation resolution."),
        rather than silently rounded up.
        """
        n = duration / self.dt
        if not abs(n) < 2.0 ** 62:
            raise errors.InvalidParameterValueError(
                f"{what} {duration!r} ms is more time steps of {self.dt} ms than can be counted")
        n_round = int(np.rint(n))
        if abs(n - n_round) > 1e-6 * max(1.0, abs(n)):
            raise errors.InvalidParameterValueError(
                f"the simulation time must be a multiple of the time step: {what} "
                f"{duration!r} ms is {n:.6g} steps of {self.dt} ms")
        return n_round

    def run(self, simtime):
        self.run_until(self.t + simtime)

    #: a run shows a progress bar (stdout a terminal, setup(progress=True)) from this
    #: many steps on, or from PROGRESS_MIN_WORK neuron-steps (about 1 s of wall time)
    PROGRESS_MIN_STEPS = 10000
    PROGRESS_MIN_WORK = 2e7
    PROGRESS_CHUNKS = 50

    def _wants_progress_bar(self, n_steps):
        if self.num_processes > 1:
            # drawn by rank 0 only, but every rank must split the run the same way
            # (each piece of a run has its own exchanges)
            return parallel.broadcast(self._terminal_wants_bar(n_steps)
                                      if self.mpi_rank == 0 else None)
        return self._terminal_wants_bar(n_steps)

    def _terminal_wants_bar(self, n_steps):
        if not self.progress or n_steps < self.PROGRESS_CHUNKS:
            return False
        isatty = getattr(sys.stdout, "isatty", None)
        if isatty is None or not isatty():
            return False
        n_neurons = self.network.next_id - self.network.FIRST_ID
        return n_steps >= self.PROGRESS_MIN_STEPS or n_steps * n_neurons >= self.PROGRESS_MIN_WORK

    def run_until(self, tstop):
        network = self.require_setup()
        n_steps = self.steps_for(tstop - self.t, f"run_until({tstop!r}) from t={self.t!r}:")
        self.running = True
        n = self.max_delay / self.dt        # need not be whole: rounded up
        max_delay_steps = int(np.rint(n)) if abs(n - np.rint(n)) <= 1e-6 * max(1.0, n) \
            else int(np.ceil(n))
        if not self._wants_progress_bar(n_steps):
            network.run(n_steps, max_delay_steps=max_delay_steps)
            return
        # the engine gives the same results for a run split into pieces. Ctrl-C is
        # deferred to a step boundary for the whole loop, bar drawing included (see
        # engine.interrupts); the engine raises KeyboardInterrupt at that boundary
        bar = ProgressBar(width=60)
        chunk = -(-n_steps // self.PROGRESS_CHUNKS)
        done = 0
        try:
            with deferred_keyboard_interrupt() as interrupt:
                while done < n_steps:
                    k = min(chunk, n_steps - done)
                    network.run(k, max_delay_steps=max_delay_steps)
                    done += k
                    if self.mpi_rank == 0:
                        bar(done / n_steps)
                    interrupt.deliver()     # at this boundary (see engine.interrupts)
        finally:
            if self.mpi_rank == 0:
                sys.stdout.write("\n")
                sys.stdout.flush()

    def reset(self):
        """Back to t = 0 with a new Segment; network structure and parameters kept."""
        if self.network is not None:
            self.network.reset()
        self.running = False
        self.t_start = 0
        self.segment_counter += 1


state = State()
