"""What the sPyNNaker flavour adds to pyNN.tinysim's simulator state.

The flavour shares pyNN.tinysim's one simulator state and engine network
(``pynn_tinysim.simulator.state``): a script uses one flavour at a time, and
sharing keeps every PyNN mechanism (IDs, recorders, get_data) working unchanged.
Its own settings live on the network (``network.spinnaker_settings``), so a new
``setup()`` of either flavour starts afresh.
"""

from pyNN import errors

from .. import simulator as core_simulator

name = "tinysim.spinnaker"

#: sPyNNaker's ``setup(timestep="auto")`` value and our default timestep (ms)
SPYNNAKER_AUTO_TIMESTEP = 1.0

#: spynnaker.cfg [Simulation] defaults that shape the ring-buffer weight scaling
SPIKES_PER_SECOND = 30.0
RING_BUFFER_SIGMA = 5.0


class SpinnakerException(Exception):
    """What sPyNNaker raises as SpynnakerException (e.g. a board setting made too late)."""


class SpiNNakerSettings:
    """The flavour's per-setup state."""

    def __init__(self, fixed_point=True):
        self.fixed_point = bool(fixed_point)
        self.projections = []       # every flavour Projection, in creation order
        self.populations = []       # every flavour Population, in creation order
        self.dirty = True           # weights must be (re)scaled before the next run
        self.warnings = []          # what sPyNNaker would have warned about (strings)

    def warn(self, logger, message, *args):
        text = message % args if args else message
        self.warnings.append(text)
        logger.warning(text)


def settings():
    """The flavour settings of the present network; an error if the flavour is not set up."""
    state = core_simulator.state
    network = state.network
    found = getattr(network, "spinnaker_settings", None) if network is not None else None
    if found is None:
        raise errors.InvalidModelError(
            "pyNN.tinysim.spinnaker: call pyNN.tinysim.spinnaker.setup() before building a "
            "network with this module (e.g. sim.setup(timestep=1.0)).")
    return found
