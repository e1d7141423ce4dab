"""What the sPyNNaker flavour adds to pyNN.tinysim's simulator state.

The flavour shares pyNN.tinysim's one simulator state and engine network
(``pynn_tinysim.simulator.state``): a script uses one flavour at a time, and
sharing keeps every PyNN mechanism (IDs, recorders, get_data) working unchanged.
Its own settings live on the network (its declared field ``network.spinnaker``), so a new
``setup()`` of either flavour starts afresh.
"""

from dataclasses import dataclass, field

from pyNN import errors

from .. import simulator as core_simulator
from ..engine.spinnaker.settings import FlavourSettings

name = "tinysim.spinnaker"

#: sPyNNaker's ``setup(timestep="auto")`` value and our default timestep (ms)
SPYNNAKER_AUTO_TIMESTEP = 1.0

#: spynnaker.cfg [Simulation] defaults that shape the ring-buffer weight scaling
SPIKES_PER_SECOND = 30.0
RING_BUFFER_SIGMA = 5.0


class SpinnakerException(Exception):
    """What sPyNNaker raises as SpynnakerException (e.g. a board setting made too late)."""


@dataclass(eq=False)
class SpiNNakerSettings(FlavourSettings):
    """The flavour's per-setup state: the engine's settings (``fixed_point``) and the
    front's bookkeeping, kept in the network's declared field ``Network.spinnaker``."""

    #: every flavour Projection, in creation order
    projections: list = field(default_factory=list)
    #: every flavour Population, in creation order
    populations: list = field(default_factory=list)
    #: weights must be (re)scaled before the next run
    dirty: bool = True
    #: what sPyNNaker would have warned about (strings)
    warnings: list = field(default_factory=list)

    def warn(self, logger, message, *args):
        text = message % args if args else message
        self.warnings.append(text)
        logger.warning(text)


def settings():
    """The flavour settings of the present network; an error if the flavour is not set up."""
    state = core_simulator.state
    network = state.network
    found = network.spinnaker if network is not None else None
    if found is None:
        raise errors.InvalidModelError(
            "pyNN.tinysim.spinnaker: call pyNN.tinysim.spinnaker.setup() before building a "
            "network with this module (e.g. sim.setup(timestep=1.0)).")
    return found
